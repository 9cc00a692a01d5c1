"""Publishing a built site to its bucket (HIROBA_PUBLISH_URL=s3://…), fenced so that one
publisher at a time writes it and an older one never overwrites a newer site."""

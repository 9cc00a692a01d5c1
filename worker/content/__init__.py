"""What the worker writes into content/ for Pelican: posts, group profiles, their media."""

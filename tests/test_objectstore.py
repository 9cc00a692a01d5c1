"""The object-storage settings and the shared S3 client, against the private S3 server."""

from __future__ import annotations

from pathlib import Path

import pytest
from s3_support import S3Server

from intake import objectstore
from intake.config import Settings
from intake.config.storage import Location, parse_location
from intake.errors import ConfigError


def test_default_locations_are_this_hosts_folders(tmp_path: Path) -> None:
    settings = Settings.from_env({"HIROBA_HOME": str(tmp_path)})
    assert settings.uploads_location == Location("file", path=tmp_path.resolve() / "uploads")
    assert settings.publish_location == Location("file", path=settings.live_dir)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("s3://site", Location("s3", bucket="site")),
        ("s3://site/", Location("s3", bucket="site")),
        ("s3://site/ward/public", Location("s3", bucket="site", prefix="ward/public/")),
        ("file:///srv/hiroba/up", Location("file", path=Path("/srv/hiroba/up"))),
    ],
)
def test_locations_parse(raw: str, expected: Location) -> None:
    assert parse_location("HIROBA_PUBLISH_URL", raw) == expected


@pytest.mark.parametrize(
    "raw", ["s3:///nobucket", "http://example.com/x", "file://relative/x", "s3://b/p?x=1", "/srv"]
)
def test_bad_locations_are_refused_with_the_setting_named(raw: str) -> None:
    with pytest.raises(ConfigError, match="HIROBA_UPLOADS_URL"):
        parse_location("HIROBA_UPLOADS_URL", raw)


def test_private_uploads_may_not_live_inside_the_public_site(tmp_path: Path) -> None:
    env = {
        "HIROBA_HOME": str(tmp_path),
        "HIROBA_PUBLISH_URL": "s3://ward-site",
        "HIROBA_UPLOADS_URL": "s3://ward-site/uploads",
    }
    with pytest.raises(ConfigError, match="添付ファイルが公開されてしまう"):
        Settings.from_env(env)
    env["HIROBA_UPLOADS_URL"] = "s3://ward-private/uploads"
    assert Settings.from_env(env).uploads_location.bucket == "ward-private"


def test_client_lists_and_deletes_in_batches(
    s3_server: S3Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bucket = s3_server.new_bucket()
    for key, value in s3_server.env().items():
        monkeypatch.setenv(key, value)
    env = {"HIROBA_HOME": str(tmp_path), "HIROBA_PUBLISH_URL": f"s3://{bucket}/site"}
    settings = Settings.from_env({**env, **s3_server.env()})
    s3 = objectstore.client(settings)
    where = settings.publish_location
    names = [f"p/{n:04d}.html" for n in range(1005)] + ["other.css"]
    for name in names:
        s3.put_object(Bucket=bucket, Key=where.key(name), Body=name.encode())
    s3.put_object(Bucket=bucket, Key="outside-the-prefix", Body=b"x")
    assert list(objectstore.list_keys(s3, where)) == sorted(where.key(n) for n in names)
    assert objectstore.delete_keys(s3, bucket, objectstore.list_keys(s3, where, "p/")) == 1005
    assert set(s3_server.objects(bucket)) == {"site/other.css", "outside-the-prefix"}

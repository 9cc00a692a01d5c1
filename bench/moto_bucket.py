"""The publication bucket of `bench_publish.py --publish s3`: moto's S3 server (the test
extra's moto[server]) in its own process on a free port, a bucket in it, and a reader of
the published site's files (never a real provider: moto's dummy credentials)."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
    "AWS_DEFAULT_REGION": "ap-northeast-1",
}
BUCKET, PREFIX = "hiroba-bench", "site/"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_moto(folder: Path, env: dict[str, str]) -> tuple[subprocess.Popen[bytes], dict[str, str]]:
    """Start moto's S3 server and make the bucket; return the process and the settings
    that publish the site to it (HIROBA_PUBLISH_URL and the client's)."""
    port = _free_port()
    with open(folder / "moto.log", "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            stdout=log, stderr=subprocess.STDOUT, env={**env, **CREDENTIALS},
        )  # fmt: skip
    deadline = time.monotonic() + 60
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                break
        except OSError as exc:
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(
                    f"moto's S3 server did not start (see {folder / 'moto.log'})"
                ) from exc
            time.sleep(0.1)
    settings = {
        **CREDENTIALS,
        "HIROBA_S3_ENDPOINT_URL": f"http://127.0.0.1:{port}",
        "HIROBA_S3_REGION": CREDENTIALS["AWS_DEFAULT_REGION"],
        "HIROBA_PUBLISH_URL": f"s3://{BUCKET}/{PREFIX.rstrip('/')}",
    }
    reader = Reader(settings["HIROBA_S3_ENDPOINT_URL"])
    reader.s3.create_bucket(
        Bucket=BUCKET,
        CreateBucketConfiguration={"LocationConstraint": CREDENTIALS["AWS_DEFAULT_REGION"]},
    )
    return process, settings


class Reader:
    """Reads the published site's files from the bucket, as a reader behind it would."""

    def __init__(self, endpoint: str) -> None:
        import boto3

        self.s3: Any = boto3.session.Session(
            aws_access_key_id=CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
            region_name=CREDENTIALS["AWS_DEFAULT_REGION"],
        ).client("s3", endpoint_url=endpoint)
        # {rel: (ETag, bytes)} of what was read: asked again with If-None-Match, as a
        # browser or a CDN does, so polling the site's large files (the sitemap, the feeds,
        # the search index) does not load moto's one process while a publication writes.
        self.seen: dict[str, tuple[str, bytes]] = {}

    def read(self, rel: str) -> bytes | None:
        """Return the bytes of the site's file at rel, or None when the bucket has none."""
        from botocore.exceptions import ClientError

        known = self.seen.get(rel)
        ask = {"IfNoneMatch": known[0]} if known else {}
        try:
            answer = self.s3.get_object(Bucket=BUCKET, Key=PREFIX + rel, **ask)
        except self.s3.exceptions.NoSuchKey:
            self.seen.pop(rel, None)
            return None
        except ClientError as exc:
            if known is not None and exc.response.get("Error", {}).get("Code") == "304":
                return known[1]
            raise
        data = bytes(answer["Body"].read())
        self.seen[rel] = (answer["ETag"], data)
        return data

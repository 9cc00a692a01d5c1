"""A private S3-compatible server for the tests: moto's server (PyPI: moto[server]) on a
free port, started once per session like the private Redis, and a fresh bucket per test.

Never a real provider: the credentials are moto's dummies, set in the environment the
tests and the processes they start inherit.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "ap-northeast-1",
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class S3Server:
    """moto's S3 server in its own process."""

    folder: Path
    port: int = 0
    process: subprocess.Popen[bytes] | None = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.port = _free_port()
        with open(self.folder / "moto.log", "wb") as log:  # the child keeps its own copy
            self.process = subprocess.Popen(
                [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
                stdout=log,
                stderr=subprocess.STDOUT,
                env={**os.environ, **CREDENTIALS},
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                if self.process.poll() is not None:
                    break
                time.sleep(0.1)
        pytest.fail(f"moto's S3 server did not start (see {self.folder / 'moto.log'})")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=30)

    def client(self) -> Any:
        import boto3

        return boto3.session.Session(
            aws_access_key_id=CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
            region_name=CREDENTIALS["AWS_DEFAULT_REGION"],
        ).client("s3", endpoint_url=self.endpoint)

    def new_bucket(self) -> str:
        """Create an empty bucket with a unique name; return the name."""
        name = f"hiroba-test-{uuid.uuid4().hex[:12]}"
        self.client().create_bucket(
            Bucket=name,
            CreateBucketConfiguration={"LocationConstraint": CREDENTIALS["AWS_DEFAULT_REGION"]},
        )
        return name

    def env(self) -> dict[str, str]:
        """Return the environment settings that point Hiroba at this server."""
        return {
            **CREDENTIALS,
            "HIROBA_S3_ENDPOINT_URL": self.endpoint,
            "HIROBA_S3_REGION": CREDENTIALS["AWS_DEFAULT_REGION"],
        }

    def objects(self, bucket: str, prefix: str = "") -> dict[str, bytes]:
        """Return {key: bytes} of every object under prefix (for comparing with a build)."""
        s3 = self.client()
        found: dict[str, bytes] = {}
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            for item in page.get("Contents", ()):
                key = item["Key"]
                found[key] = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        return found

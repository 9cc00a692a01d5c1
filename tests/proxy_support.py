"""Debian's nginx with the configuration `hiroba deploy nginx` writes, in front of a real
`hiroba web` (gunicorn), on free ports with a throw-away self-signed certificate.

nginx runs in the foreground as a child of the test (`daemon off`), from a folder of its
own (`--standalone`: pid, temporary files and logs there). Run by root, its workers run
as www-data, as on a server, so a file only its owner may read answers 403 here too.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import signal
import socket
import ssl
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from certificates import self_signed
from conftest import free_port

NGINX = Path("/usr/sbin/nginx")
NGINX_USER = "www-data"  # Debian's nginx user, for when the tests run as root


def wait_for_port(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    """Return once something accepts connections on the loopback port."""
    for _ in range(600):
        if process.poll() is not None:
            raise RuntimeError(f"exited with {process.returncode}: {log.read_text()[-3000:]}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.1)
    raise RuntimeError(f"nothing answers on port {port}: {log.read_text()[-3000:]}")


def stop(process: subprocess.Popen[bytes]) -> None:
    """Stop a child started in its own session (its workers with it)."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@dataclass
class Reply:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def all(self, name: str) -> list[str]:
        return self.headers.get_all(name) or []

    def one(self, name: str) -> str:
        values = self.all(name)
        assert len(values) == 1, (name, values)
        return values[0]


@dataclass
class Proxy:
    """nginx on https_port and http_port in front of `hiroba web` on web_port."""

    https_port: int
    http_port: int
    web_port: int
    folder: Path
    cert: Path
    key: Path
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def origin(self) -> str:
        return f"https://127.0.0.1:{self.https_port}"

    def https(
        self, method: str, path: str, headers: dict[str, str] | None = None, body: bytes = b""
    ) -> Reply:
        context = ssl.create_default_context(cafile=str(self.cert))
        conn = http.client.HTTPSConnection("127.0.0.1", self.https_port, context=context)
        return self._send(conn, method, path, headers, body)

    def http(self, path: str) -> Reply:
        conn = http.client.HTTPConnection("127.0.0.1", self.http_port)
        return self._send(conn, "GET", path, None, b"")

    @staticmethod
    def _send(
        conn: http.client.HTTPConnection,
        method: str,
        path: str,
        headers: dict[str, str] | None,
        body: bytes,
    ) -> Reply:
        try:
            conn.request(method, path, body=body or None, headers=headers or {})
            response = conn.getresponse()
            return Reply(response.status, response.headers, response.read())
        finally:
            conn.close()

    def start_web(self, env: dict[str, str]) -> None:
        """Start `hiroba web` (gunicorn) on web_port and wait until it answers."""
        log = self.folder / "web.log"
        hiroba = Path(sys.executable).parent / "hiroba"
        with open(log, "wb") as out:
            process = subprocess.Popen(
                [str(hiroba), "web", "--port", str(self.web_port), "--workers", "2"],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.processes.append(process)
        wait_for_port(self.web_port, process, log)

    def configure(self, env: dict[str, str], acme_root: Path) -> Path:
        """Write nginx.conf through `hiroba deploy nginx --standalone`; check it with -t."""
        run = self.folder / "nginx"
        run.mkdir(mode=0o711)
        hiroba = Path(sys.executable).parent / "hiroba"
        argv = [str(hiroba), "deploy", "nginx", "--server-name", "localhost",
                "--listen", f"127.0.0.1:{self.https_port}",
                "--http-listen", f"127.0.0.1:{self.http_port}",
                "--upstream", f"127.0.0.1:{self.web_port}",
                "--tls-cert", str(self.cert), "--tls-key", str(self.key),
                "--acme-root", str(acme_root), "--standalone", str(run)]  # fmt: skip
        if os.geteuid() == 0:
            argv += ["--standalone-user", NGINX_USER]
        made = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
        assert made.returncode == 0, made.stderr
        conf = run / "nginx.conf"
        conf.write_text(made.stdout, encoding="utf-8")
        checked = subprocess.run(
            [str(NGINX), "-t", "-p", str(run), "-e", str(run / "error.log"), "-c", str(conf)],
            capture_output=True,
            text=True,
            check=False,
        )
        assert checked.returncode == 0, checked.stderr
        return conf

    def start_nginx(self, conf: Path) -> None:
        """Run nginx in the foreground with conf; wait until both ports answer."""
        log = conf.parent / "stderr.log"
        with open(log, "wb") as out:
            process = subprocess.Popen(
                [
                    str(NGINX),
                    "-p",
                    str(conf.parent),
                    "-e",
                    str(conf.parent / "error.log"),
                    "-c",
                    str(conf),
                    "-g",
                    "daemon off;",
                ],  # fmt: skip
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.processes.append(process)
        wait_for_port(self.https_port, process, log)
        wait_for_port(self.http_port, process, log)

    def stop(self) -> None:
        for process in reversed(self.processes):
            stop(process)


def new_proxy(folder: Path) -> Proxy:
    """Return a Proxy on three free ports with a fresh certificate in folder."""
    cert, key = self_signed(folder, "nginx", "localhost")
    return Proxy(free_port(), free_port(), free_port(), folder, cert, key)

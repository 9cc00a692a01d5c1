"""A client of ClamAV's daemon (clamd): INSTREAM and VERSION, each on its own connection.

The protocol (clamd(8)): a command is sent as ``z<COMMAND>\\0``; INSTREAM then takes chunks
of a 4-byte big-endian length and the bytes, ended by a zero length, and clamd answers
one ``\\0``-terminated line (``stream: OK``, ``stream: <signature> FOUND`` or ``... ERROR``)
and closes the connection. Every socket operation has the timeout, and every socket is
closed, whatever happens. (The PyPI clients were weighed: clamav-client is GPL-2.0 and
lets a broken pipe escape as a bare OSError; clamdpy leaves the socket of a refused
connection open.)
"""

from __future__ import annotations

import socket
import struct
from dataclasses import dataclass

from ..errors import HirobaError
from ..validation import N_

CHUNK_BYTES = 64 * 1024
MAX_ANSWER_BYTES = 4096


class ClamdError(HirobaError):
    """clamd could not be reached, broke off, or answered without a verdict (a Japanese
    message id with its values, like every HirobaError)."""


@dataclass(frozen=True)
class Verdict:
    """clamd's answer to one INSTREAM: the signature found, or None when the data is clean."""

    found: str | None


@dataclass(frozen=True)
class Clamd:
    """Where clamd listens (a unix socket path, or a host and port) and how long to wait."""

    socket_path: str = ""
    host: str = ""
    port: int = 3310
    timeout: float = 30

    def _connect(self) -> socket.socket:
        if self.socket_path:
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            address: str | tuple[str, int] = self.socket_path
        else:
            sock = socket.socket(socket.AF_INET6 if ":" in self.host else socket.AF_INET)
            address = (self.host, self.port)
        try:
            sock.settimeout(self.timeout)
            sock.connect(address)
        except OSError as exc:
            sock.close()
            raise ClamdError(
                N_("接続できません（%(reason)s）"), reason=exc.strerror or str(exc)
            ) from None
        return sock

    def _command(self, command: bytes, payload: bytes | None = None) -> str:
        sock = self._connect()
        try:
            sock.sendall(b"z" + command + b"\0")
            if payload is not None:
                for start in range(0, len(payload), CHUNK_BYTES):
                    chunk = payload[start : start + CHUNK_BYTES]
                    sock.sendall(struct.pack("!L", len(chunk)) + chunk)
                sock.sendall(struct.pack("!L", 0))
            return _read_answer(sock)
        except TimeoutError:
            raise ClamdError(
                N_("%(seconds)s 秒待っても答えがありません"), seconds=f"{self.timeout:g}"
            ) from None
        except OSError as exc:  # clamd closed the connection (e.g. over StreamMaxLength)
            raise ClamdError(
                N_("接続が途中で切れました（%(reason)s）"), reason=exc.strerror or str(exc)
            ) from None
        finally:
            sock.close()

    def instream(self, data: bytes) -> Verdict:
        """Scan data; raise ClamdError unless clamd answers OK or FOUND."""
        answer = self._command(b"INSTREAM", data)
        if answer == "stream: OK":
            return Verdict(None)
        if answer.startswith("stream: ") and answer.endswith(" FOUND"):
            return Verdict(answer[len("stream: ") : -len(" FOUND")].strip() or "unnamed")
        raise ClamdError(N_("思いがけない答えです: %(answer)r"), answer=answer[:200])

    def version(self) -> str:
        """Return clamd's VERSION answer (engine, and the signatures' version and date)."""
        answer = self._command(b"VERSION")
        if not answer.startswith("ClamAV"):
            raise ClamdError(N_("思いがけない答えです: %(answer)r"), answer=answer[:200])
        return answer


def _read_answer(sock: socket.socket) -> str:
    """Read one answer up to its terminating NUL (or the end of the connection)."""
    received = b""
    while b"\0" not in received and len(received) < MAX_ANSWER_BYTES:
        chunk = sock.recv(1024)
        if not chunk:
            break
        received += chunk
    if not received:
        raise ClamdError(N_("答えを返さずに接続を閉じました"))
    return received.split(b"\0", 1)[0].decode("utf-8", "replace").strip()

"""Malware scanning of uploads through ClamAV's daemon (clamd), when one is configured.

Every uploaded file's original bytes are sent to clamd (INSTREAM) before anything is
decoded or stored. A file clamd flags is refused and the refusal audited (the signature's
name and the file's kind, nothing the user typed). A clamd that does not answer, or
answers something other than a verdict, refuses the upload too (fail closed): the log
then says which clamd to check. The signatures are the vendor's to keep fresh
(`freshclam`); `database` reads their version and date for `hiroba check`.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime

from redis.exceptions import RedisError

from .. import redis_keys
from ..config import Settings
from ..errors import HirobaError
from ..protection import audit
from ..runtime import Runtime
from ..store import transaction
from ..validation import N_
from .clamd import Clamd, ClamdError
from .errors import UploadRejected

log = logging.getLogger(__name__)

# A signature's name as the audit log keeps it (clamd's names are ASCII words and dots).
SIGNATURE_NAME = re.compile(r"[^A-Za-z0-9._:/-]")


class ScannerUnavailable(HirobaError):
    """clamd did not answer, or answered without a verdict: where it was expected, and what
    happened (its ClamdError) as the ``problem``."""

    @classmethod
    def at(cls, where: str, exc: ClamdError) -> ScannerUnavailable:
        return cls(
            N_("%(where)s の clamd: %(problem)s"),
            where=where,
            problem=exc.message,
            problem_values=exc.params,
        )

    @property
    def reason(self) -> str:
        """The sentence in Japanese (for the log)."""
        return str(self)


@dataclass(frozen=True)
class ScannerDatabase:
    """What clamd's VERSION says: the engine, and the signatures' version and date if known."""

    engine: str
    version: int | None
    date: datetime | None


@dataclass(frozen=True)
class Scanner:
    """The clamd of this deployment (where it listens, how long to wait), with the refusal
    rules: what it answers becomes a signature name or ScannerUnavailable."""

    clamd: Clamd

    @classmethod
    def from_settings(cls, settings: Settings) -> Scanner | None:
        """Return the configured scanner, or None when no clamd is configured."""
        if not (settings.clamd_socket or settings.clamd_host):
            return None
        return cls(
            Clamd(
                settings.clamd_socket,
                settings.clamd_host,
                settings.clamd_port,
                settings.clamd_timeout,
            )
        )

    def describe(self) -> str:
        """Return where clamd is expected, for the operator."""
        clamd = self.clamd
        return (
            f"unix socket {clamd.socket_path}"
            if clamd.socket_path
            else f"{clamd.host}:{clamd.port}"
        )

    def scan(self, data: bytes) -> str | None:
        """Return the name of the signature data matches, or None when clamd finds nothing."""
        try:
            verdict = self.clamd.instream(data)
        except ClamdError as exc:
            raise ScannerUnavailable.at(self.describe(), exc) from None
        if verdict.found is None:
            return None
        return SIGNATURE_NAME.sub("_", verdict.found)[:200]

    def database(self) -> ScannerDatabase:
        """Return clamd's engine and its signature database's version and date."""
        try:
            answer = self.clamd.version()
        except ClamdError as exc:
            raise ScannerUnavailable.at(self.describe(), exc) from None
        return parse_version(answer)


def parse_version(answer: str) -> ScannerDatabase:
    """Read clamd's VERSION answer, e.g. ``ClamAV 1.4.6/27500/Tue Dec  1 09:00:00 2026``.

    A clamd with only local signatures (no .cvd) answers the engine alone.
    """
    engine, _, rest = answer.strip().partition("/")
    number, _, stamp = rest.partition("/")
    try:
        date = datetime.strptime(" ".join(stamp.split()), "%a %b %d %H:%M:%S %Y")
    except ValueError:
        date = None
    return ScannerDatabase(engine, int(number) if number.isdigit() else None, date)


# How long the moderators' status panel shows a scanner failure no later scan cleared.
FAILURE_NOTE_SECONDS = 86400


def _note_failure(rt: Runtime, scanner: Scanner) -> None:
    """Leave the time and place of the failure for the status panel (best effort)."""
    try:
        note = f"{int(datetime.now().timestamp())} {scanner.describe()}"
        rt.redis.set(
            redis_keys.scanner_failure(rt.settings.redis_prefix), note, ex=FAILURE_NOTE_SECONDS
        )
    except RedisError:  # the log line above already tells the operator
        log.warning("The scanner failure could not be noted in Redis for the status panel.")


def _clear_failure(rt: Runtime) -> None:
    try:
        rt.redis.delete(redis_keys.scanner_failure(rt.settings.redis_prefix))
    except RedisError:
        log.warning("The scanner's answer could not clear its failure note in Redis.")


def last_failure(rt: Runtime) -> tuple[datetime, str] | None:
    """Return when and where the scanner last failed to answer, unless a scan answered since."""
    raw = rt.redis.get(redis_keys.scanner_failure(rt.settings.redis_prefix))
    if not raw:
        return None
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
    stamp, _, where = text.partition(" ")
    if not stamp.isdigit():
        return None
    return datetime.fromtimestamp(int(stamp), UTC).replace(tzinfo=None), where


def scan_upload(
    rt: Runtime, scanner: Scanner, account_id: int | None, kind: str, data: bytes
) -> None:
    """Scan one upload's original bytes; raise UploadRejected when it must not be stored.

    An infected file is audited ('refuse_infected_upload': the kind and the signature's
    name); a scanner that does not answer is logged with where it was expected.
    """
    try:
        found = scanner.scan(data)
    except ScannerUnavailable as exc:
        log.error(
            "Upload refused: the virus scanner (clamd at %s) did not answer (%s). Check that "
            "clamd runs, listens there, may be reached by this user and has loaded its "
            "signatures (freshclam).",
            scanner.describe(),
            exc.reason,
        )
        _note_failure(rt, scanner)
        raise UploadRejected("scanner_unavailable") from None
    _clear_failure(rt)  # clamd answered: the status panel's warning is over
    if found is None:
        return
    log.warning("Upload refused: clamd found %s in an uploaded %s.", found, kind)
    with transaction(rt.sessions) as session:
        audit.record(
            session, account_id, "refuse_infected_upload", "upload", None, detail=f"{kind}: {found}"
        )
    raise UploadRejected("infected")

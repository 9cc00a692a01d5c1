"""Decoding uploaded images in a bounded child process, a few at a time per host.

The web process never decodes an uploaded image itself. Each one is decoded and
re-encoded (uploads_images.process_image) in a forked child process, under an
RLIMIT_CPU and RLIMIT_AS of its own and at a lower CPU priority (nice 10): a
crafted file that costs too much is stopped by the kernel and refused, and while it runs
the web workers' other requests (``/healthz``, sign-in, reading forms) are served first.
At most ``HIROBA_IMAGE_DECODERS`` such decodes run at once on a host: each request holds
one slot (an flock on a file under ``$HIROBA_HOME/decoders/``, released by the kernel if
the process dies) for its images, and a request that finds every slot taken is refused
at once with a request to send again, rather than holding a gunicorn worker while it
waits. gunicorn's sync workers serve one request each, so a per-process semaphore would
never block anything: the slots are per host, which is what shares the CPU.
"""

from __future__ import annotations

import contextlib
import fcntl
import multiprocessing
import os
import resource
from collections.abc import Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path

from ..config import Settings
from .errors import UploadRejected
from .images import ProcessedImage, process_image

CHILD_NICENESS = 10
# Wall-clock allowance over the CPU limit: a niced child waits behind the web's requests.
WALL_FACTOR = 4


@dataclass(frozen=True)
class DecodeLimits:
    """How many decodes may run on a host, and what one decoding process may use."""

    folder: Path
    decoders: int = 1
    cpu_seconds: int = 20
    memory_bytes: int = 2048 * 1024 * 1024

    @classmethod
    def from_settings(cls, settings: Settings) -> DecodeLimits:
        return cls(
            folder=settings.home / "decoders",
            decoders=settings.image_decoders,
            cpu_seconds=settings.image_decode_seconds,
            memory_bytes=settings.image_decode_megabytes * 1024 * 1024,
        )


@contextlib.contextmanager
def decoder_slot(limits: DecodeLimits) -> Iterator[None]:
    """Hold one of the host's decoder slots; refuse with 'decoder_busy' when none is free."""
    limits.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    for n in range(limits.decoders):
        fd = os.open(limits.folder / f"decoder-{n}.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            continue
        try:
            yield
        finally:
            os.close(fd)  # closing the descriptor releases the lock
        return
    raise UploadRejected("decoder_busy")


def _address_space() -> int:
    """Return this process's current virtual memory size in bytes."""
    with open("/proc/self/statm", encoding="ascii") as statm:
        return int(statm.read().split()[0]) * resource.getpagesize()


def _decode_in_child(
    sender: Connection, data: bytes, max_pixels: int, cpu_seconds: int, memory_bytes: int
) -> None:
    """Run process_image under the limits and send back its result or its refusal."""
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1))
    # The forked child starts with the web process's address space: allow that plus the
    # decoding's own share.
    address_space = _address_space() + memory_bytes
    resource.setrlimit(resource.RLIMIT_AS, (address_space, address_space))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    os.nice(CHILD_NICENESS)
    result: ProcessedImage | UploadRejected
    try:
        result = process_image(data, max_pixels)
    except UploadRejected as exc:
        result = exc
    except MemoryError:
        result = UploadRejected("too_costly")
    sender.send(result)
    sender.close()


def decode_image(data: bytes, max_pixels: int, limits: DecodeLimits) -> ProcessedImage:
    """Check and clean one image in a bounded child process (see process_image).

    Raises UploadRejected like process_image, or with 'too_costly' when the child went
    over its CPU time or memory or did not answer in time.
    """
    # fork, not forkserver or spawn: those re-import the parent's __main__ (gunicorn's,
    # pytest's) in every child. The child shares the parent's pages until it writes and
    # leaves with os._exit, never touching the parent's database or Redis connections.
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(
        target=_decode_in_child,
        args=(sender, data, max_pixels, limits.cpu_seconds, limits.memory_bytes),
        daemon=True,
    )
    process.start()
    sender.close()
    result: object = None
    try:
        if receiver.poll(limits.cpu_seconds * WALL_FACTOR):
            result = receiver.recv()
    except (EOFError, OSError):  # the child was stopped by a limit before it answered
        result = None
    finally:
        receiver.close()
        if process.is_alive():
            process.kill()
        process.join()
        process.close()
    if isinstance(result, ProcessedImage):
        return result
    if isinstance(result, UploadRejected):
        raise result
    raise UploadRejected("too_costly")

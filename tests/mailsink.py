"""A real SMTP server for tests (aiosmtpd on a free port) that keeps what it receives."""

from __future__ import annotations

import email
import email.policy
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any, TypeVar

import pytest
from aiosmtpd.controller import Controller
from conftest import free_port


@dataclass
class MailSink:
    """Messages received by the test SMTP server, in order."""

    host: str
    port: int
    messages: list[EmailMessage] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append(parsed)
        return "250 Message accepted for delivery"

    def wait_for(self, count: int, seconds: float = 10) -> list[EmailMessage]:
        """Return the messages once count have arrived (the worker has already sent them)."""
        deadline = time.monotonic() + seconds
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return list(self.messages)


MailSinkT = TypeVar("MailSinkT", bound=MailSink)


@contextmanager
def running_sink(kind: type[MailSinkT] = MailSink) -> Iterator[MailSinkT]:  # type: ignore[assignment]
    """Serve a sink of kind (MailSink or a subclass with other answers) on a free port."""
    sink = kind(host="127.0.0.1", port=free_port())
    controller = Controller(sink, hostname=sink.host, port=sink.port)
    controller.start()
    try:
        yield sink
    finally:
        controller.stop()


@pytest.fixture
def mailsink() -> Iterator[MailSink]:
    with running_sink() as sink:
        yield sink

"""A real SMTP server (aiosmtpd) on the loopback interface, for the tests to send mail to with
Django's SMTP backend: what arrives is what a mail server would get, bytes and envelope."""

from __future__ import annotations

import asyncio
import email
import email.policy
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller


@dataclass(frozen=True)
class Received:
    mail_from: str
    recipients: list[str]
    data: bytes

    @property
    def message(self) -> EmailMessage:
        return email.message_from_bytes(self.data, policy=email.policy.default)


class Inbox:
    """What arrived, and the faults a test can switch on: a server that stops answering after
    the connection (`hanging`), one that holds a mail at RCPT until told (`hold_at_recipient`,
    with `at_recipient` set when a sender waits there), and something to do just before a mail
    is accepted (`before_accepting`)."""

    def __init__(self):
        self.received: list[Received] = []
        self.hanging = threading.Event()
        self.hold_at_recipient = threading.Event()
        self.at_recipient = threading.Event()
        self.before_accepting: Callable[[], None] | None = None

    async def handle_EHLO(self, server, session, envelope, hostname, responses):  # noqa: N802
        while self.hanging.is_set():
            await asyncio.sleep(0.05)
        session.host_name = hostname  # aiosmtpd leaves this to a handler with this hook
        return responses

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        while self.hold_at_recipient.is_set():
            self.at_recipient.set()
            await asyncio.sleep(0.05)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        if self.before_accepting is not None:
            self.before_accepting()
        self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos),
                                      envelope.original_content or envelope.content))
        return "250 Message accepted for delivery"

    def take(self) -> list[Received]:
        """What arrived since the last call."""
        taken, self.received = self.received, []
        return taken


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_inbox(settings):
    """Django sends through SMTP to a server started for this test; yields its inbox."""
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    inbox.port = controller.port
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 10
    try:
        yield inbox
    finally:
        controller.stop()

"""The demo's mailbox: every e-mail the demo sends, kept as an .eml file and shown at /dev/e-mail/.

Someone trying the demo schedules an intake and wants to see the invitation that went out, with
its calendar attachment; a console backend prints it where nobody looks. So the demo's
`EMAIL_BACKEND` is `MailboxBackend`, which writes each message to `DEMO_MAILBOX_DIR` (one
RFC 5322 file per message, which any mail or calendar program opens), and these pages list
them. The pages answer only in the demo or with DEBUG on, never with production settings,
and only to DUO staff who passed TOTP in this session: the mails name people's e-mail
addresses and appointments.
"""

from __future__ import annotations

import email
import email.policy
import os
import re
import uuid
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage as ParsedMessage
from email.utils import parsedate_to_datetime
from functools import wraps
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.mail.backends.base import BaseEmailBackend
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils import timezone
from django.views.decorators.cache import never_cache

from portal.duo.permissions import duo_staff_required

# What a stored message is called: `<UTC time>-<random>.eml`, nothing a visitor can steer.
_MESSAGE_NAME = re.compile(r"^[0-9]{8}T[0-9]{12}-[0-9a-f]{32}\.eml$")
LIST_LIMIT = 200


def mailbox_dir() -> Path:
    return Path(settings.DEMO_MAILBOX_DIR)


def mailbox_enabled() -> bool:
    """The demo, or a developer's machine with DEBUG on; never production settings."""
    if getattr(settings, "IS_PRODUCTION", True):
        return False
    return settings.DEBUG or settings.DJANGO_ENV == "demo"


# --- The e-mail backend ------------------------------------------------------------------------


class MailboxBackend(BaseEmailBackend):
    """Keeps each message as `DEMO_MAILBOX_DIR/<time>-<id>.eml` instead of sending it."""

    def __init__(self, fail_silently=False, **kwargs):
        super().__init__(fail_silently=fail_silently, **kwargs)
        if getattr(settings, "IS_PRODUCTION", True):
            raise ImproperlyConfigured("the demo mailbox keeps e-mails on disk; it is not for production")

    def send_messages(self, email_messages) -> int:
        folder = mailbox_dir()
        folder.mkdir(parents=True, exist_ok=True)
        sent = 0
        for message in email_messages:
            if not message.recipients():
                continue
            now = timezone.now()
            name = f"{now:%Y%m%dT%H%M%S%f}-{uuid.uuid4().hex}.eml"
            temporary = folder / f".{name}.tmp"
            try:
                temporary.write_bytes(message.message().as_bytes(linesep="\r\n"))
                os.replace(temporary, folder / name)  # a reader never sees half a message
            except Exception:
                temporary.unlink(missing_ok=True)
                if not self.fail_silently:
                    raise
                continue
            sent += 1
        return sent


# --- Reading the mailbox -----------------------------------------------------------------------


@dataclass(frozen=True)
class StoredMail:
    name: str
    message: ParsedMessage

    @property
    def sent_at(self) -> datetime | None:
        try:
            return parsedate_to_datetime(self.message["Date"])
        except (TypeError, ValueError):
            return None

    @property
    def subject(self) -> str:
        return str(self.message["Subject"] or "")

    @property
    def to(self) -> str:
        return str(self.message["To"] or "")

    @property
    def headers(self) -> list[tuple[str, str]]:
        shown = ("Date", "From", "To", "Reply-To", "Subject", "Auto-Submitted")
        return [(name, str(self.message[name])) for name in shown if self.message[name] is not None]

    @property
    def text(self) -> str:
        part = self.message.get_body(preferencelist=("plain",))
        return part.get_content() if part is not None else ""

    @property
    def attachments(self) -> list[dict]:
        return [{"number": number, "filename": part.get_filename() or f"attachment-{number}",
                 "content_type": part.get_content_type(), "method": part.get_param("method") or ""}
                for number, part in enumerate(self.message.iter_attachments(), start=1)]

    def attachment(self, number: int):
        for index, part in enumerate(self.message.iter_attachments(), start=1):
            if index == number:
                return part
        raise Http404


def _read(file: Path) -> StoredMail:
    with file.open("rb") as handle:
        return StoredMail(file.name, email.message_from_binary_file(handle, policy=email.policy.default))


def stored_mails(limit: int = LIST_LIMIT) -> list[StoredMail]:
    """The newest `limit` messages, newest first (the names sort by time)."""
    folder = mailbox_dir()
    if not folder.is_dir():
        return []
    names = sorted((entry.name for entry in os.scandir(folder) if _MESSAGE_NAME.match(entry.name)), reverse=True)
    return [_read(folder / name) for name in names[:limit]]


def stored_mail(name: str) -> StoredMail:
    if not _MESSAGE_NAME.match(name):
        raise Http404
    file = mailbox_dir() / name
    if not file.is_file():
        raise Http404
    return _read(file)


# --- Pages -------------------------------------------------------------------------------------


def demo_only(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not mailbox_enabled():
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper


@never_cache
@demo_only
@duo_staff_required
def mail_list(request):
    return render(request, "portal/devmail/list.html", {
        "mails": stored_mails(), "limit": LIST_LIMIT,
        "backend_is_mailbox": settings.EMAIL_BACKEND == "portal.devmail.MailboxBackend",
    })


@never_cache
@demo_only
@duo_staff_required
def mail_detail(request, name):
    return render(request, "portal/devmail/detail.html", {"mail": stored_mail(name)})


@never_cache
@demo_only
@duo_staff_required
def mail_download(request, name):
    """The whole message as a file: a mail program shows it as it would arrive."""
    stored_mail(name)  # checks the name and that it exists
    response = HttpResponse((mailbox_dir() / name).read_bytes(), content_type="message/rfc822")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@never_cache
@demo_only
@duo_staff_required
def attachment_download(request, name, number):
    part = stored_mail(name).attachment(number)
    filename = re.sub(r"[^A-Za-z0-9._-]", "_", part.get_filename() or f"attachment-{number}")
    response = HttpResponse(part.get_payload(decode=True), content_type=part.get_content_type())
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


app_name = "devmail"
urlpatterns = [
    path("", mail_list, name="list"),
    path("<str:name>/", mail_detail, name="detail"),
    path("<str:name>/bericht.eml", mail_download, name="download"),
    path("<str:name>/bijlage/<int:number>/", attachment_download, name="attachment"),
]

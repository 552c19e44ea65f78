"""The e-mails the portal sends by itself.

Every one is marked as automatic (RFC 3834 `Auto-Submitted: auto-generated`, and the Exchange
equivalent), so no out-of-office reply or mail loop answers it. An e-mail on behalf of a
municipality says so in its From name and has the municipality as `Reply-To`: a person who
answers reaches the people who can move the appointment, not a no-reply box.
"""

from __future__ import annotations

from email.mime.base import MIMEBase
from email.mime.text import MIMEText
from email.utils import formataddr, parseaddr

from django.conf import settings
from django.core.mail import EmailMessage

AUTOMATIC_HEADERS = {
    "Auto-Submitted": "auto-generated",
    "X-Auto-Response-Suppress": "All",
}


def sender_for(municipality=None) -> str:
    """`Mijn Inburgering <noreply@…>`, or `Gemeente Utrecht via Mijn Inburgering <noreply@…>`:
    always the portal's own sending address, so the mail passes the domain's SPF and DKIM."""
    name, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    if municipality is None:
        return settings.DEFAULT_FROM_EMAIL
    return formataddr((f"Gemeente {municipality.name} via {name or 'Mijn Inburgering'}", address))


def calendar_part(ics: bytes, method: str, filename: str) -> MIMEBase:
    """The calendar object as a MIME part: `text/calendar; charset="utf-8"; method=REQUEST`,
    one charset and the iTIP method that makes mail clients show it as an invitation."""
    part = MIMEText(ics.decode("utf-8"), "calendar", "utf-8")
    part.set_param("method", method, requote=False)
    part.add_header("Content-Disposition", "attachment", filename=filename)
    return part


def automatic_email(subject: str, body: str, to: list[str], *, municipality=None,
                    attachments: tuple[MIMEBase, ...] = ()) -> EmailMessage:
    reply_to = [municipality.email] if municipality is not None and municipality.email else []
    message = EmailMessage(subject, body, sender_for(municipality), to, reply_to=reply_to,
                           headers=dict(AUTOMATIC_HEADERS))
    for attachment in attachments:
        message.attach(attachment)
    return message

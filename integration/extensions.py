"""Extra time (verlenging, Wi2021 art 12; DOMAIN.md §4): the person asks from 6 months before
the end of the period, DUO decides, a granted request moves the period's last day.

Every write locks the person's row, checks against the case status, and recomputes the case
state in the same transaction; the letters app sends the decision letter after commit.
"""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.dispatch import Signal
from django.utils import timezone
from django.utils.translation import gettext as _

from . import case_facts
from .choices import ExtensionStatus
from .models import ExtensionRequest, Newcomer
from .services import _locked, refresh_case_state

# Sent inside the transaction of DUO's decision, with `request` (decided, saved); the letters
# app requests the decision letter in the same transaction.
extension_decided = Signal()

# What an attachment may be: a PDF or a photo (JPEG), at most this big ⚠ (a setting in use).
ATTACHMENT_TYPES = {"application/pdf": b"%PDF-", "image/jpeg": b"\xff\xd8\xff"}
DEFAULT_MAX_ATTACHMENT_BYTES = 5 * 1024 * 1024


def max_attachment_bytes() -> int:
    from django.conf import settings

    return getattr(settings, "EXTENSION_ATTACHMENT_MAX_BYTES", DEFAULT_MAX_ATTACHMENT_BYTES)


def check_attachment(upload) -> str:
    """The attachment's type, checked by its first bytes, not by the name or the type the browser
    claims: a file that is neither a PDF nor a JPEG is refused, and so is one that is too big.
    The file is only ever stored and handed back as a download to DUO staff, never opened or
    shown in a page here (`Content-Disposition: attachment`, `X-Content-Type-Options: nosniff`)."""
    if upload.size > max_attachment_bytes():
        raise ValidationError({"attachment": _("The file is too big: at most %(mb)d MB.")
                               % {"mb": max_attachment_bytes() // (1024 * 1024)}}, code="too_big")
    upload.seek(0)
    head = upload.read(8)
    upload.seek(0)
    for content_type, magic in ATTACHMENT_TYPES.items():
        if head.startswith(magic):
            return content_type
    raise ValidationError({"attachment": _("Send a PDF file or a photo (JPEG).")}, code="type")


def request_extension(newcomer: Newcomer, *, reason: str, explanation: str, attachment=None,
                      on: date | None = None) -> ExtensionRequest:
    """The person's request for more time. Refused outside the window (from 6 months before the
    end up to its last day) and while another request waits for DUO."""
    on = on or timezone.localdate()
    with transaction.atomic():
        locked = _locked(newcomer)
        status = case_facts.status_for(locked.pk, on)
        if not status.extension_window_open:
            raise ValidationError(_("You can ask for more time from 6 months before the end of your integration "
                                    "period until its last day."), code="window_closed")
        if status.open_extension is not None:
            raise ValidationError(_("DUO is still deciding on your earlier request."), code="open_request")
        request = ExtensionRequest(newcomer=locked, reason=reason, explanation=explanation.strip(),
                                   requested_on=on, period_last_day=status.period.last_day)
        if attachment is not None:
            request.attachment_type = check_attachment(attachment)
        request.full_clean(exclude=["attachment"])
        if attachment is not None:
            request.attachment.save(attachment.name, attachment, save=False)
        try:
            with transaction.atomic():
                request.save()
        except IntegrityError:  # extension_one_open_request: a double submit
            if request.attachment:
                request.attachment.delete(save=False)
            raise ValidationError(_("DUO is still deciding on your earlier request."), code="open_request") from None
        refresh_case_state(locked)
    return request


def decide_extension(request: ExtensionRequest, *, granted: bool, decided_by, new_last_day: date | None = None,
                     refusal_reason: str = "", on: date | None = None) -> ExtensionRequest:
    """DUO's decision: granted with a new last day (later than the current one), or refused with
    a reason. Decided once; the case state (the period's end, the reminder) moves with it."""
    on = on or timezone.localdate()
    with transaction.atomic():
        locked = _locked(request.newcomer)
        request = ExtensionRequest.objects.select_for_update().get(pk=request.pk)
        if request.status != ExtensionStatus.REQUESTED:
            raise ValidationError(_("This request was decided already."), code="decided")
        if granted:
            status = case_facts.status_for(locked.pk, on)
            current_last = status.period.last_day if status.period else request.period_last_day
            if new_last_day is None or new_last_day <= current_last:
                raise ValidationError({"new_last_day": _("The new last day must come after %(day)s.")
                                       % {"day": current_last.isoformat()}}, code="new_last_day")
            request.status, request.new_last_day = ExtensionStatus.GRANTED, new_last_day
            request.period_last_day = current_last
        else:
            if not refusal_reason.strip():
                raise ValidationError({"refusal_reason": _("Say why the request is refused.")}, code="reason")
            request.status, request.refusal_reason = ExtensionStatus.REFUSED, refusal_reason.strip()
        request.decided_on, request.decided_by = on, decided_by
        request.full_clean(exclude=["attachment"])
        request.save()
        refresh_case_state(locked)
        extension_decided.send(sender=ExtensionRequest, request=request)
    return request


def open_requests(batch=None):
    """DUO's work list: undecided requests, oldest first (`extension_open_idx`)."""
    found = (ExtensionRequest.objects.filter(status=ExtensionStatus.REQUESTED)
             .select_related("newcomer").order_by("requested_on", "pk"))
    return found if batch is None else found[:batch]

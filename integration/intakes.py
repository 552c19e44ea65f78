"""Scheduling the brede intake (WI2021 art 14–15): the interview and the learnability test.

Every write runs in one transaction with the newcomer's row locked, the same lock order as the
other case writes. No officer and no room is booked twice: on PostgreSQL the exclusion
constraints of the database keep that even against concurrent requests, and a violation is
turned into a message an officer can act on; other databases (the SQLite demo) check the
overlap here, inside the transaction, after locking the officer's row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from .models import BOOKED_STATUSES, IntakeAppointment, IntakeKind, IntakeStatus, Newcomer
from .rules import NO_SHOWS_BEFORE_COMPLETING_WITHOUT_PERSON
from .services import refresh_case_state

# Office hours in which free slots are suggested (local time), and the step between suggestions.
WORKDAY_START = time(9, 0)
WORKDAY_END = time(17, 0)
SLOT_STEP = timedelta(minutes=30)
DEFAULT_DURATION = {IntakeKind.INTERVIEW: timedelta(minutes=60), IntakeKind.LBT: timedelta(minutes=90)}
# The least notice an invitation gives: the free-slot finder offers no time earlier than this
# many working days (Monday to Friday) after today, so the letter and the e-mail reach the
# person well before the appointment. Setting INTAKE_NOTICE_WORKING_DAYS overrides it.
DEFAULT_NOTICE_WORKING_DAYS = 5

_CONSTRAINT_FIELD = {"intake_officer_not_double_booked": "officer", "intake_room_not_double_booked": "location"}


@dataclass(frozen=True)
class Slot:
    starts_at: datetime
    ends_at: datetime


@dataclass(frozen=True)
class OutcomeResult:
    appointment: IntakeAppointment
    no_show_number: int | None  # 1, 2, 3 … for a no-show; None when the person came

    @property
    def is_third_no_show(self) -> bool:
        return self.no_show_number == NO_SHOWS_BEFORE_COMPLETING_WITHOUT_PERSON


# --- Reading -------------------------------------------------------------------------------


def _booked():
    return IntakeAppointment.objects.filter(status__in=BOOKED_STATUSES)


def _overlapping(starts_at: datetime, ends_at: datetime):
    """Booked appointments sharing any moment with [starts_at, ends_at) — half-open, like the
    constraint, so one appointment may start the minute the previous one ends."""
    return _booked().filter(starts_at__lt=ends_at, ends_at__gt=starts_at)


def booked_for_officer(officer, starts_at, ends_at, *, exclude_pk=None):
    return _overlapping(starts_at, ends_at).filter(officer=officer).exclude(pk=exclude_pk).first()


def booked_for_room(municipality, location, starts_at, ends_at, *, exclude_pk=None):
    return (_overlapping(starts_at, ends_at).filter(municipality=municipality, location=location)
            .exclude(pk=exclude_pk).first())


def no_show_count(newcomer: Newcomer) -> int:
    return IntakeAppointment.objects.filter(newcomer=newcomer, status=IntakeStatus.NO_SHOW).count()


def no_show_numbers(appointments) -> dict[int, int]:
    """Number each no-show of one person in date order: {appointment pk: 1, 2, 3 …}."""
    numbers, seen = {}, 0
    for appointment in sorted(appointments, key=lambda a: (a.starts_at, a.pk)):
        if appointment.status == IntakeStatus.NO_SHOW:
            seen += 1
            numbers[appointment.pk] = seen
    return numbers


def notice_working_days() -> int:
    return getattr(settings, "INTAKE_NOTICE_WORKING_DAYS", DEFAULT_NOTICE_WORKING_DAYS)


def working_days_after(day: date, working_days: int) -> date:
    """The day `working_days` working days (Monday to Friday) after `day`; 0 gives `day` itself."""
    while working_days > 0:
        day += timedelta(days=1)
        if day.weekday() < 5:
            working_days -= 1
    return day


def earliest_invitable_day(today: date | None = None) -> date:
    """The first day an appointment planned today may fall on: the notice period after today."""
    return working_days_after(today or timezone.localdate(), notice_working_days())


def free_slots(*, municipality, officer, location: str, duration: timedelta, after: datetime,
               count: int = 5, days: int = 14, today: date | None = None) -> list[Slot]:
    """The first `count` moments in office hours, on weekdays, from `after` on and not before the
    notice period has passed (`earliest_invitable_day`), at which both the officer and the room
    are free for `duration`. `days` counts from the first day offered. One query for the window."""
    after = max(after, _local(earliest_invitable_day(today), time.min))
    window_end = after + timedelta(days=days + 1)
    busy = list(
        _booked().filter(starts_at__lt=window_end, ends_at__gt=after)
        .filter(Q(officer=officer) | Q(municipality=municipality, location=location))
        .values_list("starts_at", "ends_at")
    )
    slots: list[Slot] = []
    first_day = timezone.localtime(after).date()
    for offset in range(days + 1):
        day = first_day + timedelta(days=offset)
        if day.weekday() >= 5:
            continue
        start = _local(day, WORKDAY_START)
        day_end = _local(day, WORKDAY_END)
        while start + duration <= day_end:
            end = start + duration
            if start >= after and not any(b_start < end and b_end > start for b_start, b_end in busy):
                slots.append(Slot(start, end))
                if len(slots) == count:
                    return slots
            start += SLOT_STEP
    return slots


def _local(day: date, at: time) -> datetime:
    return timezone.make_aware(datetime.combine(day, at), timezone.get_current_timezone())


# --- Messages ------------------------------------------------------------------------------


def _span(starts_at: datetime, ends_at: datetime) -> dict:
    start, end = timezone.localtime(starts_at), timezone.localtime(ends_at)
    end_format = "H:i" if start.date() == end.date() else "j F Y H:i"
    return {"start": date_format(start, "j F Y H:i"), "end": date_format(end, end_format)}


def officer_conflict(other: IntakeAppointment) -> ValidationError:
    return ValidationError(
        {"officer": _("This officer is already booked from %(start)s to %(end)s.")
         % _span(other.starts_at, other.ends_at)}, code="officer_booked")


def room_conflict(other: IntakeAppointment) -> ValidationError:
    return ValidationError(
        {"location": _("This room is already booked from %(start)s to %(end)s.")
         % _span(other.starts_at, other.ends_at)}, code="room_booked")


# --- Writing -------------------------------------------------------------------------------


def _lock_newcomer(newcomer: Newcomer) -> Newcomer:
    return Newcomer.objects.select_for_update().get(pk=newcomer.pk)


def _check_officer(officer, municipality) -> None:
    # Only municipal officers have a municipality (constraint user_only_officers_have_municipality),
    # so the municipality alone says both "an officer" and "of this municipality"; who may use the
    # municipal workspace at all is portal.accounts' question.
    if getattr(officer, "municipality_id", None) != municipality.pk:
        raise ValidationError({"officer": _("Choose an officer of this municipality.")}, code="officer_elsewhere")


# Namespace of the PostgreSQL advisory locks on rooms (any constant that no other code uses).
_ROOM_LOCK_NAMESPACE = 0x494E42  # "INB"


def _take_turns_for_officer_and_room(appointment: IntakeAppointment) -> None:
    """Make bookings of the same officer or the same room wait for each other, always in the
    order officer, then room.

    Without this, two concurrent inserts would first meet inside the exclusion constraints, and
    two inserts that each wait for the other's uncommitted row there deadlock (seen: PostgreSQL
    aborts one with "deadlock detected" instead of the clear "already booked"). Waiting here
    instead, the later booking sees the earlier one once it commits and gets the clear message.
    SQLite serialises all writers, so it needs nothing more than the row lock.
    """
    type(appointment.officer).objects.select_for_update().filter(pk=appointment.officer_id).first()
    if connection.vendor == "postgresql":
        room = f"{appointment.municipality_id}:{appointment.location}"
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, hashtext(%s))", [_ROOM_LOCK_NAMESPACE, room])


def _check_free_here(appointment: IntakeAppointment) -> None:
    """The overlap check, with a clear message; the exclusion constraints (PostgreSQL) are the
    guarantee behind it."""
    other = booked_for_officer(appointment.officer, appointment.starts_at, appointment.ends_at,
                               exclude_pk=appointment.pk)
    if other:
        raise officer_conflict(other)
    other = booked_for_room(appointment.municipality, appointment.location, appointment.starts_at,
                            appointment.ends_at, exclude_pk=appointment.pk)
    if other:
        raise room_conflict(other)


def _check_person_free(appointment: IntakeAppointment) -> None:
    """A person cannot be in two appointments at once; the newcomer row is locked, so this
    check is safe against concurrent requests on every database."""
    other = (_overlapping(appointment.starts_at, appointment.ends_at).filter(newcomer=appointment.newcomer)
             .exclude(pk=appointment.pk).first())
    if other:
        raise ValidationError(
            {"starts_at": _("This person already has an appointment from %(start)s to %(end)s.")
             % _span(other.starts_at, other.ends_at)}, code="person_booked")


def _conflict_from_constraint(exc: IntegrityError, appointment: IntakeAppointment) -> ValidationError | None:
    """Translate a PostgreSQL exclusion violation into the officer's or the room's message."""
    cause = exc.__cause__
    name = getattr(getattr(cause, "diag", None), "constraint_name", None) or next(
        (n for n in _CONSTRAINT_FIELD if n in str(exc)), None)
    if name not in _CONSTRAINT_FIELD:
        return None
    # The winner has committed, so a fresh read (READ COMMITTED) finds the booking that won.
    if _CONSTRAINT_FIELD[name] == "officer":
        other = booked_for_officer(appointment.officer, appointment.starts_at, appointment.ends_at,
                                   exclude_pk=appointment.pk)
        return officer_conflict(other or appointment)
    other = booked_for_room(appointment.municipality, appointment.location, appointment.starts_at,
                            appointment.ends_at, exclude_pk=appointment.pk)
    return room_conflict(other or appointment)


def _save_booking(appointment: IntakeAppointment) -> None:
    appointment.full_clean()
    _check_person_free(appointment)
    _take_turns_for_officer_and_room(appointment)
    _check_free_here(appointment)
    try:
        with transaction.atomic():  # a savepoint: the caller's transaction survives a refusal
            appointment.save()
    except IntegrityError as exc:
        conflict = _conflict_from_constraint(exc, appointment)
        if conflict is None:
            raise
        raise conflict from None


def schedule(*, newcomer: Newcomer, municipality, kind: str, starts_at: datetime, ends_at: datetime,
             location: str, officer) -> IntakeAppointment:
    """Plan an interview or LBT. Raises ValidationError (keyed by field) when the officer, the
    room or the person is not free."""
    with transaction.atomic():
        locked = _lock_newcomer(newcomer)
        _check_officer(officer, municipality)
        appointment = IntakeAppointment(newcomer=locked, municipality=municipality, kind=kind,
                                        starts_at=starts_at, ends_at=ends_at, location=location.strip(),
                                        officer=officer, status=IntakeStatus.PLANNED)
        _save_booking(appointment)
        refresh_case_state(locked)  # the work list's stage moves to "intake planned"
    return appointment


def _lock_planned(appointment: IntakeAppointment) -> IntakeAppointment:
    _lock_newcomer(appointment.newcomer)
    locked = IntakeAppointment.objects.select_for_update().select_related("newcomer", "officer",
                                                                          "municipality").get(pk=appointment.pk)
    if locked.status != IntakeStatus.PLANNED:
        raise ValidationError(_("Only a planned appointment can be changed; this one is %(status)s.")
                              % {"status": locked.get_status_display()}, code="not_planned")
    return locked


def reschedule(appointment: IntakeAppointment, *, starts_at: datetime, ends_at: datetime,
               location: str | None = None, officer=None) -> IntakeAppointment:
    """Move a planned appointment: the old one is kept as cancelled (the history and the letter
    that invited for it stay true) and a new planned appointment takes its place, as the next
    version of the same calendar event."""
    with transaction.atomic():
        old = _lock_planned(appointment)
        officer = officer or old.officer
        _check_officer(officer, old.municipality)
        new_start = timezone.localtime(starts_at)
        old.status = IntakeStatus.CANCELLED
        old.outcome_notes = _join(old.outcome_notes, _("Rescheduled to %(when)s.")
                                  % {"when": date_format(new_start, "j F Y H:i")})
        old.save(update_fields=["status", "outcome_notes", "updated_at"])
        # The same event in the person's calendar, one version on (RFC 5545 UID and SEQUENCE).
        new = IntakeAppointment(newcomer=old.newcomer, municipality=old.municipality, kind=old.kind,
                                starts_at=starts_at, ends_at=ends_at,
                                location=(location if location is not None else old.location).strip(),
                                officer=officer, status=IntakeStatus.PLANNED, calendar_uid=old.calendar_uid,
                                calendar_sequence=old.calendar_sequence + 1)
        _save_booking(new)
        refresh_case_state(old.newcomer)
    return new


def cancel(appointment: IntakeAppointment, *, reason: str) -> IntakeAppointment:
    """Cancel a planned appointment; it frees the officer and the room and keeps its history.
    The cancellation is the calendar event's last version (its SEQUENCE one higher)."""
    with transaction.atomic():
        locked = _lock_planned(appointment)
        locked.status = IntakeStatus.CANCELLED
        locked.calendar_sequence += 1
        locked.outcome_notes = _join(locked.outcome_notes, _("Cancelled: %(reason)s") % {"reason": reason})
        locked.save(update_fields=["status", "calendar_sequence", "outcome_notes", "updated_at"])
        refresh_case_state(locked.newcomer)
    return locked


def record_outcome(appointment: IntakeAppointment, *, attended: bool, notes: str = "",
                   now: datetime | None = None) -> OutcomeResult:
    """Record that the person came or did not come. Only once the appointment has begun; a
    no-show stays in the history and is numbered, so the third one stands out."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = _lock_planned(appointment)
        if locked.starts_at > now:
            raise ValidationError(_("The outcome can be recorded once the appointment has begun."),
                                  code="not_yet")
        locked.status = IntakeStatus.COMPLETED if attended else IntakeStatus.NO_SHOW
        locked.outcome_notes = _join(locked.outcome_notes, notes.strip())
        locked.save(update_fields=["status", "outcome_notes", "updated_at"])
        number = None if attended else no_show_count(locked.newcomer)
        refresh_case_state(locked.newcomer)
    return OutcomeResult(locked, number)


def _join(*parts: str) -> str:
    return "\n".join(part for part in parts if part)

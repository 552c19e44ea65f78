"""The intake as one calendar event (UID and SEQUENCE kept by the database), the notice period of
the free-slot finder, and the municipality's contact details that letters print whole or not at all."""

from datetime import date, datetime, time, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from integration import intakes
from integration.models import IntakeAppointment, IntakeKind, IntakeStatus, Municipality
from portal.accounts.models import Role, User
from tests.portal import newcomer_cases as cases

pytestmark = pytest.mark.django_db

ROOM = "Stadskantoor, kamer 3.12"


def officer() -> User:
    return User.objects.create_user(email="ambtenaar@utrecht.example", password="x" * 12,
                                    role=Role.MUNICIPAL_OFFICER, municipality=cases.municipality())


def at(day: date, hour: int) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour)))


def a_weekday(days_ahead: int) -> date:
    day = timezone.localdate() + timedelta(days=days_ahead)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def book(person, who, day, hour=10):
    return intakes.schedule(newcomer=person, municipality=cases.municipality(), kind=IntakeKind.INTERVIEW,
                            starts_at=at(day, hour), ends_at=at(day, hour + 1), location=ROOM, officer=who)


# --- One event for the whole life of an intake ------------------------------------------------


def test_moving_keeps_the_event_and_raises_its_sequence_cancelling_raises_it_again():
    who = officer()
    first = book(cases.ready(), who, a_weekday(10))
    assert first.calendar_sequence == 0
    moved = intakes.reschedule(first, starts_at=at(a_weekday(14), 9), ends_at=at(a_weekday(14), 10))
    moved_again = intakes.reschedule(moved, starts_at=at(a_weekday(21), 9), ends_at=at(a_weekday(21), 10))
    assert moved.calendar_uid == moved_again.calendar_uid == first.calendar_uid
    assert (moved.calendar_sequence, moved_again.calendar_sequence) == (1, 2)
    cancelled = intakes.cancel(moved_again, reason="ill")
    assert (cancelled.calendar_uid, cancelled.calendar_sequence) == (first.calendar_uid, 3)
    first.refresh_from_db()
    assert (first.status, first.calendar_sequence) == (IntakeStatus.CANCELLED, 0)  # its version stays as sent


def test_a_new_intake_is_a_new_event():
    who = officer()
    person = cases.ready()
    one = book(person, who, a_weekday(10))
    intakes.cancel(one, reason="ill")
    two = book(person, who, a_weekday(14))
    assert two.calendar_uid != one.calendar_uid and two.calendar_sequence == 0


def test_the_database_refuses_two_live_copies_of_one_event():
    who = officer()
    first = book(cases.ready(), who, a_weekday(10))
    copy = IntakeAppointment(newcomer=first.newcomer, municipality=first.municipality, kind=first.kind,
                             starts_at=at(a_weekday(14), 9), ends_at=at(a_weekday(14), 10), location="Elders",
                             officer=who, calendar_uid=first.calendar_uid, calendar_sequence=1)
    with pytest.raises(IntegrityError, match="intake_one_planned_per_calendar_event"), transaction.atomic():
        copy.save()


def test_the_database_refuses_two_appointments_as_the_same_version_of_an_event():
    who = officer()
    first = book(cases.ready(), who, a_weekday(10))
    intakes.cancel(first, reason="ill")  # now version 1, and not planned
    first.refresh_from_db()
    same = IntakeAppointment(newcomer=first.newcomer, municipality=first.municipality, kind=first.kind,
                             starts_at=at(a_weekday(14), 9), ends_at=at(a_weekday(14), 10), location=ROOM,
                             officer=who, status=IntakeStatus.CANCELLED, calendar_uid=first.calendar_uid,
                             calendar_sequence=first.calendar_sequence)
    with pytest.raises(IntegrityError, match="intake_calendar_version_unique"), transaction.atomic():
        same.save()


# --- The notice period ------------------------------------------------------------------------


@pytest.mark.parametrize(("today", "earliest"), [
    (date(2026, 11, 30), date(2026, 12, 7)),   # Monday → the Monday after
    (date(2026, 12, 4), date(2026, 12, 11)),   # Friday → the Friday after
    (date(2026, 12, 5), date(2026, 12, 11)),   # Saturday → Friday: Monday is the first working day
])
def test_the_notice_period_counts_working_days(settings, today, earliest):
    settings.INTAKE_NOTICE_WORKING_DAYS = 5
    assert intakes.earliest_invitable_day(today) == earliest


def test_no_slot_is_offered_inside_the_notice_period(settings):
    settings.INTAKE_NOTICE_WORKING_DAYS = 5
    today = timezone.localdate()
    slots = intakes.free_slots(municipality=cases.municipality(), officer=officer(), location=ROOM,
                               duration=timedelta(hours=1), after=timezone.now(), count=50)
    earliest = intakes.earliest_invitable_day(today)
    days = {timezone.localtime(slot.starts_at).date() for slot in slots}
    assert min(days) == earliest
    assert timezone.localtime(slots[0].starts_at).time() == intakes.WORKDAY_START
    # A letter issued today is dated at least five working days before the appointment.
    assert all(intakes.working_days_after(today, 5) <= day for day in days)


def test_the_notice_period_is_a_setting(settings):
    settings.INTAKE_NOTICE_WORKING_DAYS = 10
    slots = intakes.free_slots(municipality=cases.municipality(), officer=officer(), location=ROOM,
                               duration=timedelta(hours=1), after=timezone.now(), count=1)
    assert timezone.localtime(slots[0].starts_at).date() == intakes.working_days_after(timezone.localdate(), 10)


def test_a_later_start_than_the_notice_period_is_kept():
    later = timezone.make_aware(datetime.combine(intakes.earliest_invitable_day() + timedelta(days=14), time(13)))
    slots = intakes.free_slots(municipality=cases.municipality(), officer=officer(), location=ROOM,
                               duration=timedelta(hours=1), after=later, count=1)
    assert slots[0].starts_at >= later


# --- Contact details, whole or not at all -----------------------------------------------------


def test_a_half_address_is_refused_by_the_form_rules_and_by_the_database():
    utrecht = cases.municipality()
    utrecht.postal_address = "Postbus 16200"
    with pytest.raises(ValidationError) as refused:
        utrecht.full_clean()
    assert {"postal_postcode", "postal_town"} <= set(refused.value.message_dict)
    with pytest.raises(IntegrityError, match="municipality_postal_address_complete"), transaction.atomic():
        utrecht.save()


def test_the_database_refuses_a_visiting_address_with_a_bad_postcode():
    with pytest.raises(IntegrityError, match="municipality_visiting_address_complete"), transaction.atomic():
        Municipality.objects.create(code="GM0363", name="Amsterdam", visiting_street="Amstel 1",
                                    visiting_postcode="1011PN", visiting_town="Amsterdam")


def test_the_return_address_is_the_postal_address_or_else_the_visiting_address():
    utrecht = cases.municipality()
    assert utrecht.return_address is None
    utrecht.visiting_street, utrecht.visiting_postcode, utrecht.visiting_town = "Stadsplateau 1", "3521 AZ", "Utrecht"
    assert utrecht.return_address == ("Stadsplateau 1", "3521 AZ  UTRECHT")
    assert utrecht.visiting_address == "Stadsplateau 1, 3521 AZ Utrecht"
    utrecht.postal_address, utrecht.postal_postcode, utrecht.postal_town = "Postbus 16200", "3500 CE", "Utrecht"
    assert utrecht.return_address == ("Postbus 16200", "3500 CE  UTRECHT")

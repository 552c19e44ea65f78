"""Scheduling the brede intake: no officer, room or person booked twice; outcomes keep history."""

import threading
from datetime import datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, OperationalError, connection, transaction
from django.utils import timezone, translation

from integration import intakes
from integration.models import IntakeAppointment, IntakeKind, IntakeStatus
from portal.accounts.models import Role, User
from tests.portal import newcomer_cases as cases

ROOM = "Stadskantoor, kamer 3.12"


def officer(email="ambtenaar@utrecht.example", where=None) -> User:
    return User.objects.create_user(email=email, password="x" * 12, role=Role.MUNICIPAL_OFFICER,
                                    municipality=where or cases.municipality())


def _a_weekday_next_week():
    day = timezone.localdate() + timedelta(days=7)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def at(hour: int, minute: int = 0, days_ahead: int = 0) -> datetime:
    """A time on a weekday next week (office hours apply), shifted by `days_ahead`."""
    day = _a_weekday_next_week() + timedelta(days=days_ahead)
    return timezone.make_aware(datetime(day.year, day.month, day.day, hour, minute))


def book(person, who, start, end, location=ROOM, kind=IntakeKind.INTERVIEW):
    return intakes.schedule(newcomer=person, municipality=cases.municipality(), kind=kind, starts_at=start,
                            ends_at=end, location=location, officer=who)


@pytest.mark.django_db
class TestScheduling:
    def test_a_free_slot_is_booked_as_planned(self):
        appointment = book(cases.ready(), officer(), at(10), at(11))
        assert appointment.status == IntakeStatus.PLANNED
        assert IntakeAppointment.objects.count() == 1

    def test_the_same_officer_at_an_overlapping_time_is_refused_with_the_booked_times(self):
        who = officer()
        book(cases.ready("Amal"), who, at(10), at(11))
        with pytest.raises(ValidationError) as refused:
            book(cases.ready("Samir"), who, at(10, 30), at(11, 30), location="Stadskantoor, kamer 1.01")
        message = refused.value.message_dict["officer"][0]
        assert message.startswith("This officer is already booked from")
        assert "10:00 to 11:00" in message
        assert IntakeAppointment.objects.count() == 1

    def test_the_same_room_at_an_overlapping_time_is_refused(self):
        book(cases.ready("Amal"), officer(), at(10), at(11))
        with pytest.raises(ValidationError) as refused:
            book(cases.ready("Samir"), officer("collega@utrecht.example"), at(9, 30), at(10, 30))
        assert "This room is already booked from" in refused.value.message_dict["location"][0]

    def test_back_to_back_appointments_are_allowed(self):
        who = officer()
        book(cases.ready("Amal"), who, at(10), at(11))
        book(cases.ready("Samir"), who, at(11), at(12))
        assert IntakeAppointment.objects.count() == 2

    def test_a_cancelled_appointment_frees_officer_and_room(self):
        who = officer()
        first = book(cases.ready("Amal"), who, at(10), at(11))
        intakes.cancel(first, reason="person is ill")
        book(cases.ready("Samir"), who, at(10), at(11))
        assert IntakeAppointment.objects.filter(status=IntakeStatus.PLANNED).count() == 1

    def test_a_person_cannot_be_in_two_appointments_at_once(self):
        person = cases.ready()
        book(person, officer(), at(10), at(11))
        with pytest.raises(ValidationError) as refused:
            book(person, officer("collega@utrecht.example"), at(10, 30), at(12), location="Kamer 2",
                 kind=IntakeKind.LBT)
        assert "starts_at" in refused.value.message_dict

    def test_an_officer_of_another_municipality_cannot_be_booked(self):
        amsterdam = cases.municipality("GM0363", "Amsterdam")
        with pytest.raises(ValidationError) as refused:
            book(cases.ready(), officer("ambtenaar@amsterdam.example", where=amsterdam), at(10), at(11))
        assert "officer" in refused.value.message_dict


@pytest.mark.django_db
def test_rescheduling_keeps_the_old_appointment_as_cancelled_and_frees_its_slot():
    who = officer()
    old = book(cases.ready("Amal"), who, at(10), at(11))
    new = intakes.reschedule(old, starts_at=at(14), ends_at=at(15))
    old.refresh_from_db()
    assert old.status == IntakeStatus.CANCELLED and "Rescheduled to" in old.outcome_notes
    assert new.status == IntakeStatus.PLANNED and new.location == ROOM and new.officer == who
    book(cases.ready("Samir"), who, at(10), at(11))  # the old slot is free again


@pytest.mark.django_db
def test_rescheduling_onto_a_booked_slot_changes_nothing():
    who = officer()
    book(cases.ready("Amal"), who, at(14), at(15))
    old = book(cases.ready("Samir"), who, at(10), at(11))
    with pytest.raises(ValidationError):
        intakes.reschedule(old, starts_at=at(14, 30), ends_at=at(15, 30))
    old.refresh_from_db()
    assert old.status == IntakeStatus.PLANNED
    assert IntakeAppointment.objects.count() == 2


@pytest.mark.django_db
def test_the_third_no_show_is_marked_and_every_no_show_stays_in_the_history():
    person, who = cases.ready(), officer()
    results = []
    for week in (1, 2, 3):
        appointment = book(person, who, at(10, days_ahead=-7 * week - 7), at(11, days_ahead=-7 * week - 7))
        results.append(intakes.record_outcome(appointment, attended=False))
    assert [r.no_show_number for r in results] == [1, 2, 3]
    assert [r.is_third_no_show for r in results] == [False, False, True]
    assert IntakeAppointment.objects.filter(newcomer=person, status=IntakeStatus.NO_SHOW).count() == 3


@pytest.mark.django_db
def test_an_outcome_cannot_be_recorded_before_the_appointment_or_twice():
    appointment = book(cases.ready(), officer(), at(10), at(11))
    with pytest.raises(ValidationError):
        intakes.record_outcome(appointment, attended=True)
    done = intakes.record_outcome(appointment, attended=True, now=at(11)).appointment
    assert done.status == IntakeStatus.COMPLETED
    with pytest.raises(ValidationError):
        intakes.record_outcome(appointment, attended=False, now=at(12))


@pytest.mark.django_db
def test_free_slots_skip_what_the_officer_or_the_room_has_booked():
    who = officer()
    book(cases.ready("Amal"), who, at(9), at(10))
    book(cases.ready("Samir"), officer("collega@utrecht.example"), at(10), at(11))  # same room
    slots = intakes.free_slots(municipality=cases.municipality(), officer=who, location=ROOM,
                               duration=timedelta(hours=1), after=at(0), count=2)
    assert [timezone.localtime(s.starts_at).strftime("%H:%M") for s in slots] == ["11:00", "11:30"]


# --- Concurrency on PostgreSQL: the exclusion constraint decides -----------------------------


def _race(calls, refusals=(ValidationError,)):
    """Run each call in its own thread and connection, started together; return what each
    returned, or the refusal it raised."""
    barrier = threading.Barrier(len(calls))
    outcomes = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait(timeout=10)
            with translation.override("en"):  # the language is per thread; the asserts read English
                outcomes[index] = call()
        except refusals as exc:
            outcomes[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return outcomes


postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="exclusion constraints exist on PostgreSQL only; SQLite serialises writers and is covered "
           "by the checked validation in TestScheduling")


@postgres_only
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("shared", ["officer", "room"])
def test_concurrent_double_booking_one_wins_the_other_gets_a_clear_error(shared):
    first, second = cases.ready("Amal"), cases.ready("Samir")
    officer_a = officer()
    officer_b = officer_a if shared == "officer" else officer("collega@utrecht.example")
    room_b = ROOM if shared == "room" else "Stadskantoor, kamer 1.01"
    outcomes = _race([
        lambda: book(first, officer_a, at(10), at(11)),
        lambda: book(second, officer_b, at(10, 30), at(11, 30), location=room_b),
    ])
    won = [o for o in outcomes if isinstance(o, IntakeAppointment)]
    lost = [o for o in outcomes if isinstance(o, ValidationError)]
    assert len(won) == 1 and len(lost) == 1, outcomes
    field = "officer" if shared == "officer" else "location"
    message = lost[0].message_dict[field][0]
    winner = won[0]
    start, end = timezone.localtime(winner.starts_at), timezone.localtime(winner.ends_at)
    assert "already booked from" in message and f"{start:%H:%M} to {end:%H:%M}" in message
    assert IntakeAppointment.objects.filter(status=IntakeStatus.PLANNED).count() == 1


@postgres_only
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("shared", ["officer", "room"])
def test_the_database_itself_refuses_concurrent_double_bookings_that_bypass_the_service(shared):
    """The exclusion constraints hold even for writers that skip the service's turn-taking:
    of two concurrent inserts for the same officer or room, exactly one is stored."""
    first, second = cases.ready("Amal"), cases.ready("Samir")
    officer_a = officer()
    officer_b = officer_a if shared == "officer" else officer("collega@utrecht.example")
    room_b = ROOM if shared == "room" else "Stadskantoor, kamer 1.01"

    def insert(person, who, location):
        def write():
            with transaction.atomic():
                return IntakeAppointment.objects.create(
                    newcomer=person, municipality=cases.municipality(), kind=IntakeKind.INTERVIEW,
                    starts_at=at(10), ends_at=at(11), location=location, officer=who)
        return write

    # Both may wait on each other inside the constraint: PostgreSQL then refuses one as a deadlock.
    outcomes = _race([insert(first, officer_a, ROOM), insert(second, officer_b, room_b)],
                     refusals=(IntegrityError, OperationalError))
    stored = [o for o in outcomes if isinstance(o, IntakeAppointment)]
    refused = [o for o in outcomes if isinstance(o, IntegrityError | OperationalError)]
    assert len(stored) == 1 and len(refused) == 1, outcomes
    assert IntakeAppointment.objects.count() == 1

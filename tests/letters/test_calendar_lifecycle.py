"""An intake's life in the person's calendar (RFC 5545 / RFC 5546): planned, moved, cancelled.

The officer's actions go through `portal.municipality.actions` as the pages call them; the
e-mails go by SMTP to a real server started by the test (`smtp_inbox`); every calendar part is parsed with
`icalendar` and fed to a model of what a calendar app does with iTIP messages. After the
invitation the app holds the one appointment, after the move the same event at the new time,
after the cancellation nothing.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from email.utils import parseaddr

import pytest
from django.utils import timezone
from icalendar import Calendar

from integration.models import IntakeAppointment, IntakeKind, IntakeStatus
from letters import invitations, publish, sweep
from letters.models import Letter, LetterKind, LetterStatus
from letters.selectors import issued_letters_for
from portal.accounts.models import Role, User
from portal.municipality import actions
from tests.portal import newcomer_cases as cases

from .municipal_contact import with_contact_details

pytestmark = pytest.mark.django_db

ROOM = "Stadskantoor, kamer 3.12"
ADDRESS = "amal.h.4821@example.org"  # the person's e-mail address


class CalendarApp:
    """What a calendar app does with the iTIP messages it receives (RFC 5546 §2.1.4, §3.2):
    one event per UID; a REQUEST adds or updates it, a CANCEL removes it, and a message older
    (by SEQUENCE) than the event it has is ignored."""

    def __init__(self):
        self.events: dict[str, dict] = {}

    def receive(self, ics: bytes) -> None:
        calendar = Calendar.from_ical(ics)
        method = str(calendar["METHOD"])
        for event in calendar.walk("VEVENT"):
            uid, sequence = str(event["UID"]), int(event["SEQUENCE"])
            held = self.events.get(uid)
            if held is not None and sequence < held["sequence"]:
                continue
            if method == "CANCEL":
                self.events.pop(uid, None)
            else:
                self.events[uid] = {"sequence": sequence, "starts": event.decoded("dtstart"),
                                    "location": str(event["location"])}


@pytest.fixture
def utrecht():
    return with_contact_details(cases.municipality())


@pytest.fixture
def officer(utrecht):
    return User.objects.create_user(email="ambtenaar@utrecht.example", password="x" * 12,
                                    role=Role.MUNICIPAL_OFFICER, municipality=utrecht)


@pytest.fixture
def person():
    person = cases.ready("Amal", "Haddad", ready_days_ago=30)
    person.email, person.preferred_language = ADDRESS, "en"
    person.save(update_fields=["email", "preferred_language"])
    return person


def at(days_ahead: int, hour: int) -> datetime:
    day = timezone.localdate() + timedelta(days=days_ahead)
    return timezone.make_aware(datetime(day.year, day.month, day.day, hour))


def calendar_part(received):
    [part] = [p for p in received.message.walk() if p.get_content_type() == "text/calendar"]
    return part


def parse_ics(received) -> tuple[Calendar, object]:
    calendar = Calendar.from_ical(calendar_part(received).get_payload(decode=True))
    [event] = calendar.walk("VEVENT")
    return calendar, event


def all_text(received) -> str:
    """Headers and every part decoded: what anyone who gets hold of the mail can read."""
    message = received.message
    text = "\n".join(f"{name}: {value}" for name, value in message.items())
    for part in message.walk():
        payload = part.get_payload(decode=True)
        if payload:
            text += "\n" + payload.decode("utf-8")
    return text


def test_plan_move_cancel_leaves_the_calendar_with_the_right_event_then_none(
        person, officer, smtp_inbox, django_capture_on_commit_callbacks):
    app = CalendarApp()

    with django_capture_on_commit_callbacks(execute=True):
        first = actions.schedule_intake(officer, person, kind=IntakeKind.INTERVIEW, starts_at=at(10, 10),
                                        ends_at=at(10, 11), location=ROOM, officer=officer)
    [invitation] = smtp_inbox.take()
    calendar, event = parse_ics(invitation)
    assert (str(calendar["METHOD"]), int(event["SEQUENCE"]), str(event["STATUS"])) == ("REQUEST", 0, "CONFIRMED")
    uid = str(event["UID"])
    app.receive(calendar_part(invitation).get_payload(decode=True))
    assert app.events == {uid: {"sequence": 0, "starts": at(10, 10),
                                "location": f"{ROOM}, Stadsplateau 1, 3521 AZ Utrecht"}}

    with django_capture_on_commit_callbacks(execute=True):
        moved = actions.reschedule_intake(officer, first, starts_at=at(12, 14), ends_at=at(12, 15), location=ROOM,
                                          officer=officer)
    [move] = smtp_inbox.take()
    calendar, event = parse_ics(move)
    assert (str(calendar["METHOD"]), str(event["UID"]), int(event["SEQUENCE"])) == ("REQUEST", uid, 1)
    assert event.decoded("dtstart") == at(12, 14) and event.decoded("dtend") == at(12, 15)
    app.receive(calendar_part(move).get_payload(decode=True))
    assert list(app.events) == [uid] and app.events[uid]["starts"] == at(12, 14)

    with django_capture_on_commit_callbacks(execute=True):
        actions.cancel_intake(officer, moved, reason="the person moved to another town")
    [cancellation] = smtp_inbox.take()
    calendar, event = parse_ics(cancellation)
    assert (str(calendar["METHOD"]), str(event["UID"]), int(event["SEQUENCE"])) == ("CANCEL", uid, 2)
    assert str(event["STATUS"]) == "CANCELLED"
    app.receive(calendar_part(cancellation).get_payload(decode=True))
    assert app.events == {}

    # What the database keeps: one event, three versions; nothing is planned any more.
    versions = IntakeAppointment.objects.filter(newcomer=person).order_by("calendar_sequence")
    assert {a.calendar_uid for a in versions} == {first.calendar_uid}
    assert [(a.calendar_sequence, a.status) for a in versions] == [(0, IntakeStatus.CANCELLED),
                                                                 (2, IntakeStatus.CANCELLED)]

    # An update that arrives late, after a newer one, does not undo the newer one.
    late = CalendarApp()
    for received in (move, invitation):
        late.receive(calendar_part(received).get_payload(decode=True))
    assert late.events[uid]["starts"] == at(12, 14)


def test_each_mail_names_organizer_and_attendee_and_is_marked_automatic(
        person, officer, smtp_inbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = actions.schedule_intake(officer, person, kind=IntakeKind.LBT, starts_at=at(10, 10),
                                        ends_at=at(10, 11), location=ROOM, officer=officer)
    with django_capture_on_commit_callbacks(execute=True):
        moved = actions.reschedule_intake(officer, first, starts_at=at(11, 9), ends_at=at(11, 10), location=ROOM,
                                          officer=officer)
    with django_capture_on_commit_callbacks(execute=True):
        actions.cancel_intake(officer, moved, reason="ill")
    mails = smtp_inbox.take()
    assert len(mails) == 3

    for received, method in zip(mails, ("REQUEST", "REQUEST", "CANCEL"), strict=True):
        message = received.message
        assert received.recipients == [ADDRESS] and message["To"] == ADDRESS
        assert parseaddr(message["From"]) == ("Gemeente Utrecht via Mijn Inburgering", "noreply@inburgering.example")
        assert message["Reply-To"] == "inburgering@utrecht.example"
        assert message["Auto-Submitted"] == "auto-generated"

        part = calendar_part(received)
        content_type = part["Content-Type"]
        assert content_type.count("charset") == 1, content_type
        assert part.get_param("method") == method and part.get_content_charset() == "utf-8"
        assert part.get_filename() == "uitnodiging-brede-intake.ics"

        calendar, event = parse_ics(received)
        assert str(calendar["METHOD"]) == method
        assert str(event["ORGANIZER"]) == "mailto:inburgering@utrecht.example"
        assert event["ORGANIZER"].params["CN"] == "Gemeente Utrecht"
        assert str(event["ATTENDEE"]) == f"mailto:{ADDRESS}"
        assert event["ATTENDEE"].params["RSVP"] == "FALSE"
        assert isinstance(event.decoded("dtstamp"), datetime)

        # Only what the person needs to turn up: no BSN, no name, no home address.
        text = all_text(received)
        for personal in (person.bsn, "Amal", "Haddad", "Oudegracht", "3511 AB"):
            assert personal not in text, personal


def test_the_mails_say_what_happened_in_the_person_s_language(
        person, officer, smtp_inbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = actions.schedule_intake(officer, person, kind=IntakeKind.INTERVIEW, starts_at=at(10, 10),
                                        ends_at=at(10, 11), location=ROOM, officer=officer)
    with django_capture_on_commit_callbacks(execute=True):
        moved = actions.reschedule_intake(officer, first, starts_at=at(12, 14), ends_at=at(12, 15), location=ROOM,
                                          officer=officer)
    with django_capture_on_commit_callbacks(execute=True):
        actions.cancel_intake(officer, moved, reason="ill")
    invitation, move, cancellation = (m.message for m in smtp_inbox.take())

    old_day, new_day = f"{at(10, 10):%A} {at(10, 10).day}", f"{at(12, 14):%A} {at(12, 14).day}"
    assert invitation["Subject"].startswith(f"Invitation: intake interview on {old_day}")
    assert move["Subject"].startswith(f"Appointment moved: intake interview now on {new_day}")
    body = move.get_body(("plain",)).get_content()
    assert f"It no longer takes place on {old_day}" in body and "at 10:00" in body
    assert "14:00 – 15:00" in body
    assert cancellation["Subject"].startswith(f"Appointment cancelled: intake interview on {new_day}")
    body = cancellation.get_body(("plain",)).get_content()
    assert "has cancelled your appointment" in body and "14:00 – 15:00" in body
    assert "Phone: 14 030" in body and "inburgering@utrecht.example" in body


def test_a_person_without_an_e_mail_address_gets_the_letters_and_no_mail(
        person, officer, smtp_inbox, django_capture_on_commit_callbacks):
    person.email = ""
    person.save(update_fields=["email"])
    assert invitations.will_send_email(person) is False
    with django_capture_on_commit_callbacks(execute=True):
        first = actions.schedule_intake(officer, person, kind=IntakeKind.INTERVIEW, starts_at=at(10, 10),
                                        ends_at=at(10, 11), location=ROOM, officer=officer)
    with django_capture_on_commit_callbacks(execute=True):
        moved = actions.reschedule_intake(officer, first, starts_at=at(12, 14), ends_at=at(12, 15), location=ROOM,
                                          officer=officer)
    with django_capture_on_commit_callbacks(execute=True):
        actions.cancel_intake(officer, moved, reason="ill")
    assert smtp_inbox.take() == []
    letters = Letter.objects.filter(newcomer=person, kind=LetterKind.INTAKE_INVITATION)
    assert [letter.status for letter in letters] == [LetterStatus.ISSUED, LetterStatus.ISSUED]


def test_the_person_s_file_marks_invitations_that_no_longer_hold(
        person, officer, django_capture_on_commit_callbacks):
    """Issued letters stay in the file; the letters list can say which appointment was moved
    and which one was called off, instead of showing them as current."""
    with django_capture_on_commit_callbacks(execute=True):
        first = actions.schedule_intake(officer, person, kind=IntakeKind.INTERVIEW, starts_at=at(10, 10),
                                        ends_at=at(10, 11), location=ROOM, officer=officer)
    with django_capture_on_commit_callbacks(execute=True):
        moved = actions.reschedule_intake(officer, first, starts_at=at(12, 14), ends_at=at(12, 15), location=ROOM,
                                          officer=officer)

    def invitations_in_file():
        return {letter.intake_id: (letter.appointment_cancelled, letter.appointment_moved)
                for letter in issued_letters_for(person.pk) if letter.kind == LetterKind.INTAKE_INVITATION}

    assert invitations_in_file() == {first.pk: (True, True), moved.pk: (False, False)}
    with django_capture_on_commit_callbacks(execute=True):
        actions.cancel_intake(officer, moved, reason="ill")
    assert invitations_in_file() == {first.pk: (True, True), moved.pk: (True, False)}


def test_a_cancellation_held_back_by_an_outage_is_sent_by_the_sweep_and_a_move_is_not_cancelled(
        person, officer, smtp_inbox, settings, monkeypatch, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = actions.schedule_intake(officer, person, kind=IntakeKind.INTERVIEW, starts_at=at(10, 10),
                                        ends_at=at(10, 11), location=ROOM, officer=officer)
    with django_capture_on_commit_callbacks(execute=True):
        moved = actions.reschedule_intake(officer, first, starts_at=at(12, 14), ends_at=at(12, 15), location=ROOM,
                                          officer=officer)
    smtp_inbox.take()

    def broker_down(task, *args):
        raise ConnectionError("broker down")

    with monkeypatch.context() as outage, django_capture_on_commit_callbacks(execute=True):
        outage.setattr(publish, "publish", broker_down)
        actions.cancel_intake(officer, moved, reason="ill")
    assert smtp_inbox.take() == []

    settings.LETTER_QUEUED_GRACE_SECONDS = 0
    # The cancellation, not the moved one (and the notice of the start-date letter this sweep
    # issued: the person's was still queued).
    assert sweep.sweep(run_now=True)["emails"] == 2
    [cancellation] = [received for received in smtp_inbox.take()
                      if any(p.get_content_type() == "text/calendar" for p in received.message.walk())]
    calendar, event = parse_ics(cancellation)
    assert (str(calendar["METHOD"]), int(event["SEQUENCE"])) == ("CANCEL", 2)
    assert sweep.sweep(run_now=True)["emails"] == 0
    assert smtp_inbox.take() == []

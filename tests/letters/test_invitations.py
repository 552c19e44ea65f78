"""The intake invitation (letter + e-mail with an .ics) and DUO's period letter after the PIP."""

from datetime import datetime, timedelta
from email.utils import parseaddr

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone
from icalendar import Calendar
from pypdf import PdfReader

from integration import intakes, plans
from integration.choices import ExtensionReason, ExtensionStatus, Route
from integration.models import ExtensionRequest, IntakeKind
from letters import invitations, publish, sending, sweep
from letters.facts import letter_facts
from letters.issuing import IssueOutcome, issue_letter
from letters.models import Letter, LetterKind, LetterStatus, OutgoingEmail
from portal.accounts.models import Role, User
from tests.portal import newcomer_cases as cases

from .municipal_contact import with_contact_details

pytestmark = pytest.mark.django_db
ROOM = "Stadskantoor, kamer 3.12"


@pytest.fixture(autouse=True)
def utrecht():
    return with_contact_details(cases.municipality())


@pytest.fixture
def officer():
    return User.objects.create_user(email="ambtenaar@utrecht.example", password="x" * 12,
                                    role=Role.MUNICIPAL_OFFICER, municipality=cases.municipality())


@pytest.fixture
def person():
    person = cases.ready(ready_days_ago=30)
    person.email = "amal@example.org"
    person.save(update_fields=["email"])
    return person


def plan_appointment(person, officer, days_ahead=10, kind=IntakeKind.INTERVIEW):
    start = timezone.make_aware(datetime.combine(timezone.localdate() + timedelta(days=days_ahead),
                                                 datetime.min.time())) + timedelta(hours=10)
    return intakes.schedule(newcomer=person, municipality=cases.municipality(), kind=kind, starts_at=start,
                            ends_at=start + timedelta(minutes=90), location=ROOM, officer=officer)


def invitation_emails():
    """The invitation e-mails (with the .ics); the "a new letter is waiting" notice is another."""
    return [message for message in mail.outbox if message.attachments]


def request_invitation(appointment, capture):
    with capture(execute=True), transaction.atomic():
        return invitations.request_intake_invitation(appointment)


def test_requesting_the_invitation_twice_gives_one_letter_one_pdf_and_one_email(
        person, officer, django_capture_on_commit_callbacks):
    appointment = plan_appointment(person, officer)
    first = request_invitation(appointment, django_capture_on_commit_callbacks)
    second = request_invitation(appointment, django_capture_on_commit_callbacks)
    assert first.pk == second.pk
    assert Letter.objects.filter(kind=LetterKind.INTAKE_INVITATION).count() == 1
    letter = Letter.objects.get(pk=first.pk)
    assert letter.status == LetterStatus.ISSUED, letter.last_error  # issued by the eager task after commit
    assert issue_letter(letter.pk) is IssueOutcome.ALREADY_DONE
    assert len(invitation_emails()) == 1
    appointment.refresh_from_db()
    assert appointment.invitation_sent_at is not None


def test_the_invitation_letter_names_the_appointment(person, officer, django_capture_on_commit_callbacks):
    appointment = plan_appointment(person, officer, kind=IntakeKind.LBT)
    letter = request_invitation(appointment, django_capture_on_commit_callbacks)
    letter.refresh_from_db()
    text = " ".join(PdfReader(letter.pdf.open("rb")).pages[0].extract_text().split())
    start = timezone.localtime(appointment.starts_at)
    assert "Uitnodiging brede intake: leerbaarheidstoets" in text
    assert f"{start:%H.%M}" in text and "kamer 3.12" in text
    assert letter.page_count == 1


def test_the_invitation_email_carries_a_valid_ics_and_no_bsn(person, officer, django_capture_on_commit_callbacks):
    appointment = plan_appointment(person, officer)
    request_invitation(appointment, django_capture_on_commit_callbacks)
    [message] = invitation_emails()
    assert message.to == ["amal@example.org"]
    # Read the attachment back from the e-mail as it goes over the wire.
    [part] = [p for p in message.message().walk() if p.get_content_type() == "text/calendar"]
    assert part.get_filename().endswith(".ics")
    content = part.get_payload(decode=True)
    event = Calendar.from_ical(content).walk("VEVENT")[0]
    assert event.decoded("dtstart") == appointment.starts_at
    assert event.decoded("dtend") == appointment.ends_at
    # The room and the street address, so a map app finds it.
    assert str(event["location"]) == f"{ROOM}, Stadsplateau 1, 3521 AZ Utrecht"
    assert "Brede intake" in str(event["summary"])
    everything = message.subject + message.body + content.decode()
    assert person.bsn not in everything
    assert person.surname not in everything  # no personal data beyond when and where
    assert ROOM in message.body and "Stadsplateau 1, 3521 AZ Utrecht" in message.body


def test_a_cancelled_appointment_withdraws_the_queued_invitation_and_sends_no_email(person, officer):
    appointment = plan_appointment(person, officer)
    with transaction.atomic():  # no commit callbacks run: the letter stays queued
        letter = invitations.request_intake_invitation(appointment)
    intakes.cancel(appointment, reason="person moved")
    invitations.withdraw_intake_invitation(appointment, "appointment cancelled")
    letter.refresh_from_db()
    assert letter.status == LetterStatus.CANCELLED
    # The invitation's e-mail was owed in that transaction; sent now, it is no longer due.
    [email] = OutgoingEmail.objects.filter(appointment=appointment)
    assert sending.send(email.pk) == sending.Result.SKIPPED
    assert invitation_emails() == []


def test_the_first_pip_queues_one_period_letter_with_the_period_dates(
        person, officer, django_capture_on_commit_callbacks):
    past = plan_appointment(person, officer, days_ahead=-5)
    intakes.record_outcome(past, attended=True)
    plan_date = timezone.localdate() - timedelta(days=1)
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        plans.write_first_plan(person, plan_date=plan_date, route=Route.B1, exams=["knm"], pvt_required=True,
                               map_required=True, written_by=officer)
        letter, created = invitations.request_period_letter(person)
    assert created
    _, created_again = invitations.request_period_letter(person)
    assert not created_again
    letter.refresh_from_db()
    assert letter.status == LetterStatus.ISSUED, letter.last_error
    text = " ".join(PdfReader(letter.pdf.open("rb")).pages[0].extract_text().split())
    from letters.rendering import dutch_date

    start, anniversary = plans.integration_period_of(person)
    # The last day is the day before the third anniversary (DOMAIN.md §8).
    assert f"loopt van {dutch_date(start)} tot en met {dutch_date(anniversary - timedelta(days=1))}" in text
    assert Letter.objects.filter(newcomer=person, kind=LetterKind.PERIOD).count() == 1


def test_the_period_letter_states_the_period_as_extended_by_its_date(person, officer):
    """A period letter rendered after DUO granted more time (a correction, a late issuance) states
    the extended last day; an extension decided after the letter's date does not change it."""
    past = plan_appointment(person, officer, days_ahead=-5)
    intakes.record_outcome(past, attended=True)
    plans.write_first_plan(person, plan_date=timezone.localdate() - timedelta(days=1), route=Route.B1,
                           exams=["knm"], pvt_required=True, map_required=True, written_by=officer)
    with transaction.atomic():  # no commit callbacks: the letter stays queued
        letter, _ = invitations.request_period_letter(person)
    letter.letter_date = timezone.localdate()  # as issuing it today sets it
    original_last_day = plans.integration_period_of(person)[1] - timedelta(days=1)
    assert letter_facts(letter).period_last_day == original_last_day

    granted = ExtensionRequest.objects.create(
        newcomer=person, reason=ExtensionReason.ILLNESS, explanation="ziek", requested_on=letter.letter_date,
        period_last_day=original_last_day, status=ExtensionStatus.GRANTED, decided_on=letter.letter_date,
        new_last_day=original_last_day + timedelta(days=180))
    assert letter_facts(letter).period_last_day == granted.new_last_day

    ExtensionRequest.objects.filter(pk=granted.pk).update(decided_on=letter.letter_date + timedelta(days=1))
    assert letter_facts(letter).period_last_day == original_last_day


def test_an_invitation_email_that_did_not_go_out_is_sent_by_the_sweep(
        person, officer, settings, monkeypatch, django_capture_on_commit_callbacks):
    """A broker outage at scheduling time leaves the e-mail unsent; the next sweep sends it, once."""

    def broker_down(task, *args):
        raise ConnectionError("broker down")

    appointment = plan_appointment(person, officer)
    with monkeypatch.context() as outage:
        outage.setattr(publish, "publish", broker_down)
        request_invitation(appointment, django_capture_on_commit_callbacks)
    appointment.refresh_from_db()
    assert appointment.invitation_sent_at is None and not invitation_emails()

    settings.LETTER_QUEUED_GRACE_SECONDS = 0
    # The invitation, and the notice of the person's start-date letter this sweep issued too.
    assert sweep.sweep(run_now=True)["emails"] == 2
    assert len(invitation_emails()) == 1
    assert sweep.sweep(run_now=True)["emails"] == 0


def test_an_issued_invitation_letter_sends_no_second_notice(person, officer, django_capture_on_commit_callbacks):
    """The invitation e-mail already points to Mijn Inburgering; no extra "new letter" mail."""
    appointment = plan_appointment(person, officer)
    request_invitation(appointment, django_capture_on_commit_callbacks)
    assert len(mail.outbox) == 1 and mail.outbox[0].attachments


# --- The municipality as the sender -----------------------------------------------------------


def letter_text(letter) -> str:
    return " ".join(PdfReader(letter.pdf.open("rb")).pages[0].extract_text().split())


def test_the_invitation_letter_has_the_municipality_as_sender_with_a_return_address(
        person, officer, django_capture_on_commit_callbacks):
    letter = request_invitation(plan_appointment(person, officer), django_capture_on_commit_callbacks)
    letter.refresh_from_db()
    text = letter_text(letter)
    assert "Retouradres Postbus 16200, 3500 CE UTRECHT" in text
    assert "Retouradres ," not in text
    assert "Bezoekadres Stadsplateau 1 3521 AZ Utrecht" in text
    assert "T 14 030" in text and "E inburgering@utrecht.example" in text and "www.utrecht.nl" in text
    # The letter asks the person to let the municipality know, and says how.
    assert "bel 14 030 of mail naar inburgering@utrecht.example" in text
    assert f"Plaats: {ROOM}, Stadsplateau 1, 3521 AZ Utrecht" in text


def test_without_a_phone_or_e_mail_the_letter_says_where_to_write(
        utrecht, person, officer, django_capture_on_commit_callbacks):
    with_contact_details(utrecht, phone="", email="")
    letter = request_invitation(plan_appointment(person, officer), django_capture_on_commit_callbacks)
    letter.refresh_from_db()
    assert "schrijf naar Gemeente Utrecht, Postbus 16200, 3500 CE UTRECHT" in letter_text(letter)


def test_an_invitation_without_a_return_address_is_not_issued_and_staff_see_why(
        utrecht, person, officer, django_capture_on_commit_callbacks):
    with_contact_details(utrecht, visiting_street="", visiting_postcode="", visiting_town="", postal_address="",
                         postal_postcode="", postal_town="")
    letter = request_invitation(plan_appointment(person, officer), django_capture_on_commit_callbacks)
    letter.refresh_from_db()
    assert letter.status == LetterStatus.FAILED
    assert "no postal or visiting address for the return address" in letter.last_error
    # Once an administrator fills in the address, the next try issues it.
    with_contact_details(utrecht)
    assert issue_letter(letter.pk) is IssueOutcome.ISSUED


def test_the_invitation_email_comes_from_the_municipality_and_replies_reach_it(
        person, officer, django_capture_on_commit_callbacks):
    request_invitation(plan_appointment(person, officer), django_capture_on_commit_callbacks)
    [message] = invitation_emails()
    sent = message.message()
    assert parseaddr(sent["From"]) == ("Gemeente Utrecht via Mijn Inburgering", "noreply@inburgering.example")
    assert sent["Reply-To"] == "inburgering@utrecht.example"
    assert sent["Auto-Submitted"] == "auto-generated"
    assert "14 030" in message.body and "inburgering@utrecht.example" in message.body


def test_the_new_letter_notice_is_marked_automatic(person, django_capture_on_commit_callbacks):
    start_letter = Letter.objects.get(newcomer=person, kind=LetterKind.START_DATE)
    with django_capture_on_commit_callbacks(execute=True):
        assert issue_letter(start_letter.pk) is IssueOutcome.ISSUED
    [notice] = mail.outbox
    assert notice.message()["Auto-Submitted"] == "auto-generated"
    assert "Reply-To" not in notice.message()  # DUO's notice: nobody reads replies

"""The person page shows facts, dates and a timeline; every view and action is audited."""

import pytest
from django.urls import reverse
from django.utils import timezone

from integration.choices import DecisionReason, Outcome, Regime
from integration.models import ContactMoment, Newcomer
from letters.models import Letter, LetterStatus
from portal.audit.models import AuditAction, AuditRecord
from tests.conftest import log_in_with_mfa

from . import newcomer_cases as cases
from .test_duo_access import staff_user
from .test_duo_overdue_list import fail_letter, start_letter

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client):
    user = staff_user()
    log_in_with_mfa(client, user)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"  # the assertions read English texts
    return user


def person_url(person, name="duo:person"):
    return reverse(name, args=[person.public_id])


def timeline_of(client, person) -> list[str]:
    return [entry.what for entry in client.get(person_url(person)).context["case"].timeline]


def test_the_page_shows_facts_dates_and_bsn_and_audits_the_view(client, staff):
    person = cases.ready("Over", "Due", ready_days_ago=60)
    response = client.get(person_url(person))
    assert response.status_code == 200
    page = response.content.decode()
    case = response.context["case"]
    assert case.ready_on == cases.days_ago(60)
    assert case.expected_by == cases.days_ago(4) and case.days_overdue == 4
    assert person.bsn in page  # staff see it here, and only here
    assert person.bsn not in response.request["PATH_INFO"]
    assert AuditRecord.objects.filter(actor=staff, newcomer=person, action=AuditAction.VIEW,
                                      what="person page").count() == 1
    assert {"residence permit recorded (IND)", "municipal registration recorded (BRP)",
            "obligation decision recorded", "letter queued"} <= set(timeline_of(client, person))


def test_an_unknown_person_is_404(client, staff):
    assert client.get(reverse("duo:person", args=["00000000-0000-0000-0000-000000000000"])).status_code == 404


def test_retrying_a_failed_letter_issues_it_and_shows_in_the_timeline(client, staff):
    person = cases.ready("Render", "Failed", ready_days_ago=70)
    letter = fail_letter(person)

    response = client.post(person_url(person, "duo:retry"), {"confirm": "on"}, follow=True)
    assert "The letter was issued." in response.content.decode()
    letter.refresh_from_db()
    assert letter.status == LetterStatus.ISSUED
    assert Newcomer.objects.get(pk=person.pk).start_letter_issued_on == timezone.localdate()
    record = AuditRecord.objects.get(action=AuditAction.ACTION, newcomer=person)
    assert record.actor == staff and record.detail == {"letter": letter.reference, "status_before": "failed"}
    timeline = timeline_of(client, person)
    assert timeline.index("letter issued") < timeline.index("retry issuance of the start-date letter")
    assert "Render Failed" not in {row.full_name for row in
                                   client.get(reverse("duo:overdue_list")).context["page"].rows}


def test_retry_without_confirmation_changes_nothing(client, staff):
    person = cases.ready("Render", "Failed", ready_days_ago=70)
    letter = fail_letter(person)
    response = client.post(person_url(person, "duo:retry"), {})
    assert response.status_code == 400
    letter.refresh_from_db()
    assert letter.status == LetterStatus.FAILED
    assert not AuditRecord.objects.filter(action=AuditAction.ACTION).exists()


def test_retry_for_a_ready_person_without_a_letter_requests_and_issues_one(client, staff):
    person = cases.ready("Lost", "Letter", ready_days_ago=60)
    Letter.objects.filter(newcomer=person).update(status=LetterStatus.CANCELLED)  # as if the letter vanished
    client.post(person_url(person, "duo:retry"), {"confirm": "on"})
    assert Letter.objects.get(newcomer=person, status=LetterStatus.ISSUED)
    assert AuditRecord.objects.filter(action=AuditAction.ACTION, newcomer=person).exists()


def test_a_staff_member_opens_an_issued_letter_and_that_is_audited(client, staff):
    person = cases.ready("Got", "Letter", ready_days_ago=5)
    letter = cases.issue_start_letter(person)
    response = client.get(reverse("duo:letter", args=[person.public_id, letter.public_id]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    assert AuditRecord.objects.filter(what="letter opened", newcomer=person,
                                      detail={"letter": letter.reference}).exists()


def test_recording_a_contact_is_audited_shown_and_marks_the_row(client, staff):
    person = cases.ready("Called", "Duo", ready_days_ago=60)
    response = client.post(person_url(person, "duo:record_contact"), {
        "contacted_on": timezone.localdate().isoformat(), "subject": "missing start-date letter",
        "note": "called about the missing letter", "confirm": "on"})
    assert response.status_code == 302
    contact = ContactMoment.objects.get(newcomer=person)
    assert contact.recorded_by == staff and contact.note == "called about the missing letter"
    assert AuditRecord.objects.filter(action=AuditAction.CREATE, newcomer=person, what="contact recorded").exists()
    assert "contact recorded" in timeline_of(client, person)
    rows = client.get(reverse("duo:overdue_list"), {"contacted": "yes"}).context["page"].rows
    assert [row.pk for row in rows] == [person.pk]


def test_a_contact_in_the_future_is_refused(client, staff):
    person = cases.ready("Called", "Duo", ready_days_ago=60)
    response = client.post(person_url(person, "duo:record_contact"), {
        "contacted_on": cases.days_ago(-1).isoformat(), "subject": "x", "confirm": "on"})
    assert response.status_code == 400
    assert not ContactMoment.objects.exists()


def test_recording_a_decision_for_someone_being_assessed_queues_the_letter(client, staff):
    person = cases.newcomer("No", "Decision", bsn_days_ago=80)
    cases.permit(person, decided_days_ago=70)
    cases.registration(person, registered_days_ago=60)
    response = client.post(person_url(person, "duo:change_decision"), {
        "regime": Regime.WI2021, "outcome": Outcome.OBLIGED, "reason": DecisionReason.OBLIGED_BY_RULE,
        "note": "asylum permit 8c, checked with the IND", "confirm": "on"})
    assert response.status_code == 302
    decision = person.decisions.get()
    assert decision.decided_by == staff and decision.note == "asylum permit 8c, checked with the IND"
    record = AuditRecord.objects.get(action=AuditAction.CHANGE, newcomer=person)
    assert record.why == "asylum permit 8c, checked with the IND"
    assert start_letter(person).status == LetterStatus.QUEUED
    assert {"obligation decision recorded", "letter queued"} <= set(timeline_of(client, person))


def test_an_impossible_decision_is_refused_with_a_message(client, staff):
    person = cases.ready("Over", "Due", ready_days_ago=60)
    response = client.post(person_url(person, "duo:change_decision"), {
        "regime": Regime.VOLUNTARY, "outcome": Outcome.OBLIGED, "reason": DecisionReason.OTHER,
        "note": "mistake", "confirm": "on"})
    assert response.status_code == 400
    assert person.decisions.count() == 1
    assert not AuditRecord.objects.filter(action=AuditAction.CHANGE).exists()

"""DUO's letters on the way to the finish: the obligation fulfilled, the decision on extra time,
the reminder 6 months before the end (once per period end, re-armed by an extension) and the
notice that the period ended (DOMAIN.md §4, §5), each through the exactly-once pipeline."""

from datetime import timedelta
from io import BytesIO

import pytest
from django.contrib.auth import get_user_model
from pypdf import PdfReader

from integration import case_facts, extensions, results, rules, services
from integration.choices import ExtensionReason
from integration.models import IntakeStatus, Newcomer
from integration.tasks import rederive_due_cases
from letters.issuing import IssueOutcome, issue_letter
from letters.models import Letter, LetterKind, LetterStatus
from portal.accounts.models import Role
from tests.portal import newcomer_cases as cases

pytestmark = pytest.mark.django_db

B1_ROUTE = ("reading", "listening", "writing", "speaking", "knm", "pvt", "map")


@pytest.fixture
def duo():
    return get_user_model().objects.create_user(email="medewerker@duo.example", password="x" * 12,
                                                role=Role.DUO_STAFF)


def on_route(pip_days_ago=200):
    person = cases.ready(ready_days_ago=pip_days_ago + 60)
    cases.issue_start_letter(person)
    cases.intake(person, on=cases.days_ago(pip_days_ago + 10), status=IntakeStatus.COMPLETED)
    cases.plan(person, on=cases.days_ago(pip_days_ago))
    return Newcomer.objects.get(pk=person.pk)


def letters_of(person, kind):
    return list(Letter.objects.filter(newcomer=person, kind=kind).exclude(status=LetterStatus.CANCELLED))


def issued_text(letter) -> str:
    assert issue_letter(letter.pk) == IssueOutcome.ISSUED
    letter.refresh_from_db()
    assert letter.page_count == 1
    with letter.pdf.open("rb") as pdf:
        return " ".join(page.extract_text() for page in PdfReader(BytesIO(pdf.read())).pages)


def test_the_last_result_brings_the_fulfilment_letter_once(duo):
    person = on_route()
    for component in B1_ROUTE[:-1]:
        results.record_result(person, component=component, taken_on=cases.days_ago(9), outcome="passed",
                              recorded_by=duo)
    assert not letters_of(person, LetterKind.FULFILMENT)
    results.record_result(person, component="map", taken_on=cases.days_ago(2), outcome="passed", recorded_by=duo)
    [letter] = letters_of(person, LetterKind.FULFILMENT)
    text = issued_text(letter)
    assert "voldaan aan uw inburgeringsplicht" in text
    # More results and re-derivations do not bring a second one.
    results.record_result(person, component="knm", taken_on=cases.days_ago(1), outcome="passed", recorded_by=duo)
    services.rederive_case(person)
    assert len(letters_of(person, LetterKind.FULFILMENT)) == 1


def test_the_reminder_goes_out_once_in_the_last_six_months_and_an_extension_re_arms_it(duo):
    person = on_route(pip_days_ago=3 * 365 - 90)
    [reminder] = letters_of(person, LetterKind.REMINDER)
    status = case_facts.status_for(person.pk)
    assert reminder.period_end == status.period.last_day
    services.rederive_case(person)
    rederive_due_cases(cases.days_from_now(1))
    assert len(letters_of(person, LetterKind.REMINDER)) == 1
    assert "eindigt over 6 maanden" in issued_text(reminder)
    request = extensions.request_extension(person, reason=ExtensionReason.ILLNESS, explanation="In hospital")
    new_end = status.period.last_day + timedelta(days=365)
    extensions.decide_extension(request, granted=True, new_last_day=new_end, decided_by=duo)
    assert len(letters_of(person, LetterKind.REMINDER)) == 1  # the new end is more than 6 months away
    # On the new end's reminder day the daily re-derivation finds the person by index.
    reminder_day = rules.extension_request_opens(new_end)
    assert Newcomer.objects.get(pk=person.pk).case_review_on <= reminder_day
    rederive_due_cases(reminder_day)
    rederive_due_cases(reminder_day)  # found again (a later review day): still one
    again = [letter for letter in letters_of(person, LetterKind.REMINDER) if letter.period_end == new_end]
    assert len(again) == 1


def test_a_queued_reminder_is_cancelled_when_the_period_end_moves_before_issuance(duo):
    person = on_route(pip_days_ago=3 * 365 - 90)
    [reminder] = letters_of(person, LetterKind.REMINDER)
    request = extensions.request_extension(person, reason=ExtensionReason.NO_FAULT, explanation="x")
    end = case_facts.status_for(person.pk).period.last_day
    extensions.decide_extension(request, granted=True, new_last_day=end + timedelta(days=365), decided_by=duo)
    assert issue_letter(reminder.pk) == IssueOutcome.CANCELLED


def test_no_reminder_while_the_end_is_further_than_six_months_away():
    person = on_route(pip_days_ago=200)
    assert not letters_of(person, LetterKind.REMINDER)


def test_the_decision_letter_says_granted_with_the_new_end_or_refused_with_the_reason(duo):
    person = on_route(pip_days_ago=3 * 365 - 90)
    request = extensions.request_extension(person, reason=ExtensionReason.CHILDBIRTH, explanation="Baby born")
    end = case_facts.status_for(person.pk).period.last_day
    extensions.decide_extension(request, granted=True, new_last_day=end + timedelta(weeks=16), decided_by=duo)
    [letter] = letters_of(person, LetterKind.EXTENSION_DECISION)
    assert letter.extension_id == request.pk
    assert "Wij verlengen uw inburgeringstermijn" in issued_text(letter)

    other = on_route(pip_days_ago=3 * 365 - 60)
    refused = extensions.request_extension(other, reason=ExtensionReason.NO_FAULT, explanation="x")
    extensions.decide_extension(refused, granted=False, refusal_reason="Geen bewijs van de vertraging.",
                                decided_by=duo)
    text = issued_text(letters_of(other, LetterKind.EXTENSION_DECISION)[0])
    assert "Wij wijzen uw aanvraag af" in text and "Geen bewijs van de vertraging." in text


def test_the_notice_goes_out_once_the_day_after_an_unfulfilled_period_ended():
    person = on_route(pip_days_ago=3 * 365 - 90)
    end = case_facts.status_for(person.pk).period.last_day
    rederive_due_cases(end + timedelta(days=1))
    rederive_due_cases(end + timedelta(days=2))
    [notice] = letters_of(person, LetterKind.PERIOD_ENDED)
    assert notice.period_end == end


def test_periods_that_ended_long_ago_get_no_notice():
    person = cases.ready(ready_days_ago=30, regime="WI2013", decision_date=cases.days_ago(9 * 365))
    cases.issue_start_letter(person)
    services.rederive_case(person)
    assert not letters_of(person, LetterKind.PERIOD_ENDED)

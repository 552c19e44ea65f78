"""The overdue list shows exactly whom the system failed, says why, and stays one query per page."""

import csv
import io
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from integration import services
from integration.choices import DecisionReason, Outcome, Regime
from integration.models import ContactMoment, ResidencePermit
from letters.models import Letter, LetterKind, LetterStatus
from portal.accounts.models import Role
from portal.audit.models import AuditAction, AuditRecord

from . import newcomer_cases as cases
from .test_duo_access import log_in_with_mfa, staff_user

pytestmark = pytest.mark.django_db

LIST = reverse("duo:overdue_list")
CSV = reverse("duo:overdue_csv")


@pytest.fixture
def staff(client):
    user = staff_user()
    log_in_with_mfa(client, user)
    return user


def start_letter(person) -> Letter:
    return Letter.objects.get(newcomer=person, kind=LetterKind.START_DATE)


def fail_letter(person, error="WeasyPrint: font not found") -> Letter:
    """Put the person's queued letter where a crashed rendering leaves it."""
    letter = start_letter(person)
    Letter.objects.filter(pk=letter.pk).update(status=LetterStatus.FAILED, attempts=1, last_error=error)
    return letter


def names_on_list(client, **params) -> set[str]:
    response = client.get(LIST, params)
    assert response.status_code == 200
    return {row.full_name for row in response.context["page"].rows}


def row_of(client, person, **params):
    rows = {row.pk: row for row in client.get(LIST, params).context["page"].rows}
    return rows[person.pk]


def test_the_list_holds_exactly_the_failed_people_of_each_state(client, staff):
    # Overdue: ready 57 days ago, no letter.
    cases.ready("Over", "Due", ready_days_ago=57)
    # On the expected-by day itself a letter may still arrive: not overdue.
    cases.ready("Exactly", "FiftySix", ready_days_ago=56)
    # Issued: never on the list however long it took.
    cases.issue_start_letter(cases.ready("Got", "Letter", ready_days_ago=90))
    # Conditions met 60 days ago but no decision: DUO failed to decide.
    undecided = cases.newcomer("No", "Decision", bsn_days_ago=80)
    cases.permit(undecided, decided_days_ago=70)
    cases.registration(undecided, registered_days_ago=60)
    # Not obliged: no letter is owed.
    eu = cases.ready("Not", "Obliged", ready_days_ago=90)
    services.record_decision(eu, regime=Regime.WI2021, outcome=Outcome.NOT_OBLIGED,
                             reason=DecisionReason.EU_EEA_SWISS, decided_on=timezone.localdate(),
                             decided_by=staff)
    # Permit withdrawn, or deregistered: the conditions no longer hold.
    withdrawn = cases.ready("Permit", "Withdrawn", ready_days_ago=90)
    services.withdraw_permit(withdrawn.permits.get(), cases.days_ago(1))
    moved_away = cases.ready("Moved", "Away", ready_days_ago=90)
    services.record_deregistration(moved_away.registrations.get(), cases.days_ago(1))
    # Only 10 days ready, but the letter failed: on the list now, not only in 46 days.
    fail_letter(cases.ready("Failed", "Early", ready_days_ago=10))
    # Only 10 days ready and the letter has been sitting in the queue for a day.
    stuck = cases.ready("Stuck", "Queue", ready_days_ago=10)
    a_day_ago = timezone.now() - timedelta(days=1)
    Letter.objects.filter(newcomer=stuck).update(queued_at=a_day_ago, updated_at=a_day_ago)
    # Only 10 days ready and the letter was just queued: healthy.
    cases.ready("Fresh", "Queue", ready_days_ago=10)

    assert names_on_list(client) == {"Over Due", "No Decision", "Failed Early", "Stuck Queue"}


def test_each_row_says_why_the_letter_is_not_there(client, staff):
    overdue = cases.ready("Over", "Due", ready_days_ago=60)
    failed = cases.ready("Render", "Failed", ready_days_ago=70)
    fail_letter(failed, "LetterRenderingError: the letter needs 2 pages")
    undecided = cases.newcomer("No", "Decision", bsn_days_ago=80)
    cases.permit(undecided, decided_days_ago=70)
    cases.registration(undecided, registered_days_ago=60)
    lapsed = cases.ready("Permit", "Ended", ready_days_ago=100)
    # The permit ran out yesterday; nothing was recorded since, so the stored state is stale.
    ResidencePermit.objects.filter(newcomer=lapsed).update(valid_until=cases.days_ago(1))

    row = row_of(client, overdue)
    assert (row.reason, row.regime, row.municipality_name, row.days_overdue) == ("queued", "WI2021", "Utrecht", 4)
    row = row_of(client, failed)
    english_page = client.get(LIST, headers={"accept-language": "en"}).content.decode()
    assert row.reason == "failed" and "rendering failed: <code>LetterRenderingError: the letter needs 2 pages" in (
        english_page)
    row = row_of(client, undecided)
    assert (row.reason, row.regime, row.days_overdue) == ("no_decision", None, 4)
    assert row_of(client, lapsed).reason == "lapsed"
    assert "being assessed" in english_page


def test_filters_narrow_the_list(client, staff):
    amsterdam = cases.municipality("GM0363", "Amsterdam")
    in_utrecht = cases.ready("In", "Utrecht", ready_days_ago=60)
    in_amsterdam = cases.newcomer("In", "Amsterdam", bsn_days_ago=90)
    cases.permit(in_amsterdam, decision_date=date(2021, 6, 1))  # obliged under the 2013 act
    cases.registration(in_amsterdam, registered_days_ago=70, where=amsterdam)
    cases.decision(in_amsterdam, regime=Regime.WI2013)
    fail_letter(in_amsterdam)
    ContactMoment.objects.create(newcomer=in_utrecht, contacted_on=timezone.localdate(), subject="brief",
                                 recorded_by=staff)

    assert names_on_list(client, municipality="GM0363") == {"In Amsterdam"}
    assert names_on_list(client, regime="WI2013") == {"In Amsterdam"}
    assert names_on_list(client, reason="failed") == {"In Amsterdam"}
    assert names_on_list(client, contacted="yes") == {"In Utrecht"}
    assert names_on_list(client, contacted="no") == {"In Amsterdam"}
    assert names_on_list(client, regime="assessing") == set()


def test_most_overdue_first_and_keyset_pages_cover_everyone_once(client, staff, monkeypatch):
    monkeypatch.setattr("portal.duo.selectors.PAGE_SIZE", 2)
    for days in (57, 80, 60, 90, 70):
        cases.ready("Ready", f"{days}", ready_days_ago=days)

    seen, params = [], {}
    while True:
        page = client.get(LIST, params).context["page"]
        seen += [int(row.surname) for row in page.rows]
        if not page.next_cursor:
            break
        params = {"after": str(page.next_cursor)}
    assert seen == [90, 80, 70, 60, 57]

    back = client.get(LIST, {"before": str(page.previous_cursor)}).context["page"]
    assert [int(row.surname) for row in back.rows] == [70, 60]
    fewest_first = client.get(LIST, {"sort": "least_overdue"}).context["page"]
    assert [int(row.surname) for row in fewest_first.rows] == [57, 60]


def test_the_list_costs_the_same_number_of_queries_for_5_and_50_rows(client, staff):
    def queries_for_list():
        with CaptureQueriesContext(connection) as context:
            assert client.get(LIST).status_code == 200
        return len(context.captured_queries)

    for number in range(5):
        cases.ready("Person", str(number), ready_days_ago=60 + number)
    assert len(client.get(LIST).context["page"].rows) == 5
    with_5 = queries_for_list()
    for number in range(5, 50):
        fail_letter(cases.ready("Person", str(number), ready_days_ago=60 + number))
    assert len(client.get(LIST).context["page"].rows) == 50
    assert queries_for_list() == with_5


def test_viewing_the_list_is_audited(client, staff):
    client.get(LIST, {"reason": "failed"})
    record = AuditRecord.objects.get(actor=staff, what="overdue list")
    assert record.action == AuditAction.VIEW and record.detail["filters"] == {"reason": "failed"}


# --- CSV export -----------------------------------------------------------------------------


def read_csv(response) -> list[dict]:
    """The rows, keyed by column key (the headers are in the staff member's language)."""
    from django.utils import translation

    from portal.duo.export import BSN_COLUMN, COLUMNS

    body = b"".join(response.streaming_content).decode()
    with translation.override(response.wsgi_request.LANGUAGE_CODE):
        keys = {str(label): key for key, label in COLUMNS + [BSN_COLUMN]}
    return [{keys[header]: value for header, value in row.items()} for row in csv.DictReader(io.StringIO(body))]


def test_csv_holds_the_filtered_rows_without_bsn_for_duo_staff(client, staff):
    failed = cases.ready("Render", "Failed", ready_days_ago=70)
    fail_letter(failed)
    cases.ready("Just", "Overdue", ready_days_ago=60)

    response = client.get(CSV, {"reason": "failed"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = read_csv(response)
    assert [row["name"] for row in rows] == ["Render Failed"]
    assert rows[0]["person_id"] == str(failed.public_id)
    # The reason is written in the staff member's language (Dutch unless they chose otherwise).
    assert rows[0]["days_overdue"] == "14" and rows[0]["reason"] == "aanmaken mislukt"
    assert "bsn" not in rows[0]
    assert failed.bsn not in str(rows)
    export = AuditRecord.objects.get(action=AuditAction.EXPORT)
    assert export.actor == staff and export.detail == {"filters": {"reason": "failed"}, "bsn_column": False}


@pytest.mark.parametrize("error", ["=HYPERLINK(\"http://evil.example\")", "+1+1", "-2+3", "@SUM(A1)",
                                   "\t=cmd|' /C calc'!A0", "\r=1+1"])
def test_csv_cells_that_a_spreadsheet_would_run_as_a_formula_are_defused(client, staff, error):
    fail_letter(cases.ready("=Render", "Failed", ready_days_ago=70), error=error)

    [row] = read_csv(client.get(CSV, {"reason": "failed"}))

    assert row["error"] == "'" + error
    assert row["name"] == "'=Render Failed"


def test_duo_staff_cannot_ask_for_the_bsn_column(client, staff):
    assert client.get(CSV, {"bsn": "1", "why": "curious"}).status_code == 403
    assert not AuditRecord.objects.filter(action=AuditAction.EXPORT).exists()


def test_an_administrator_gets_the_bsn_column_only_with_a_reason_which_is_audited(client):
    admin = staff_user(Role.ADMINISTRATOR, "beheer@duo.example")
    log_in_with_mfa(client, admin)
    person = cases.ready("Over", "Due", ready_days_ago=60)

    assert client.get(CSV, {"bsn": "1"}).status_code == 400
    rows = read_csv(client.get(CSV, {"bsn": "1", "why": "hand-over to the IND, case 42"}))
    assert rows[0]["bsn"] == person.bsn
    export = AuditRecord.objects.get(action=AuditAction.EXPORT)
    assert export.why == "hand-over to the IND, case 42" and export.detail["bsn_column"] is True


# --- Dashboard ------------------------------------------------------------------------------


def test_dashboard_counts_what_the_morning_check_needs(client, staff):
    cases.ready("Over", "Due", ready_days_ago=60)
    fail_letter(cases.ready("Render", "Failed", ready_days_ago=10))
    cases.issue_start_letter(cases.ready("Got", "Letter", ready_days_ago=5))
    waiting = cases.ready("Waiting", "Long", ready_days_ago=3)
    Letter.objects.filter(newcomer=waiting).update(queued_at=timezone.now() - timedelta(hours=5))

    counts = client.get(reverse("duo:dashboard")).context["counts"]
    assert (counts.ready_awaiting_letter, counts.issued_this_week, counts.overdue, counts.failed) == (3, 1, 1, 1)
    assert timedelta(hours=5) <= counts.oldest_queued_age < timedelta(hours=5, minutes=5)

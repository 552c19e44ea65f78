"""Results, the import from the exam system, waivers and extra time, through the services, with
the case status they lead to (DOMAIN.md §4, §5)."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from integration import case_facts, extensions, results
from integration.case_status import CasePhase, NextAction
from integration.choices import DecisionReason, ExtensionReason, ExtensionStatus, Outcome, Regime, Route
from integration.models import ExtensionRequest, IntakeStatus, Newcomer, Result
from portal.accounts.models import Role
from tests.portal import newcomer_cases as cases

pytestmark = pytest.mark.django_db

B1_ROUTE = ("reading", "listening", "writing", "speaking", "knm", "pvt", "map")


@pytest.fixture
def duo():
    return get_user_model().objects.create_user(email="medewerker@duo.example", password="x" * 12,
                                                role=Role.DUO_STAFF)


def on_route(route=Route.B1, pip_days_ago=200):
    """A WI2021 person with the start-date letter and a first PIP written `pip_days_ago` days ago."""
    person = cases.ready(ready_days_ago=pip_days_ago + 60)
    cases.issue_start_letter(person)
    cases.intake(person, on=cases.days_ago(pip_days_ago + 10), status=IntakeStatus.COMPLETED)
    cases.plan(person, on=cases.days_ago(pip_days_ago), route=route)
    return Newcomer.objects.get(pk=person.pk)


def near_the_end():
    """A person whose period ends in about 3 months: inside the 6-month window."""
    return on_route(pip_days_ago=3 * 365 - 90)


def status_of(person):
    return case_facts.status_for(person.pk)


def record_all(person, components, by, days_ago=5):
    for component in components:
        results.record_result(person, component=component, taken_on=cases.days_ago(days_ago), outcome="passed",
                              recorded_by=by)


def test_each_required_component_shows_its_latest_result(duo):
    person = on_route()
    results.record_result(person, component="reading", taken_on=cases.days_ago(30), outcome="not_passed",
                          recorded_by=duo)
    results.record_result(person, component="reading", taken_on=cases.days_ago(3), outcome="passed",
                          recorded_by=duo)
    status = status_of(person)
    by_component = {c.component: c for c in status.component_results}
    assert list(by_component) == list(B1_ROUTE)
    assert by_component["reading"].met_on == cases.days_ago(3)
    assert by_component["reading"].latest.outcome == "passed"
    assert by_component["listening"].latest is None
    assert status.phase == CasePhase.PERIOD_RUNNING and not status.fulfilled


def test_the_plan_advances_through_exams_pvt_and_map_to_done(duo):
    person = on_route()
    current = lambda: status_of(person).current_step.key  # noqa: E731
    assert current() == "route"
    record_all(person, ("reading", "listening", "writing", "speaking", "knm"), duo, days_ago=20)
    assert current() == "pvt"
    record_all(person, ("pvt",), duo, days_ago=10)
    assert current() == "map"
    record_all(person, ("map",), duo, days_ago=2)
    status = status_of(person)
    assert status.current_step is None
    assert status.steps[-1].key == "done" and status.steps[-1].done_on == cases.days_ago(2)
    assert status.phase == CasePhase.FULFILLED and status.fulfilled_on == cases.days_ago(2)
    assert status.next_action == NextAction.FULFILLED
    stored = Newcomer.objects.get(pk=person.pk)
    assert stored.fulfilled_on == cases.days_ago(2) and stored.case_phase == CasePhase.FULFILLED


def test_the_z_route_is_done_after_the_final_interview(duo):
    person = on_route(route=Route.Z)
    record_all(person, ("pvt", "map"), duo)
    assert status_of(person).current_step.key == "route"
    record_all(person, ("final_interview",), duo)
    assert status_of(person).phase == CasePhase.FULFILLED


def test_wi2013_exams_mark_the_study_choice_and_the_exam_step_done(duo):
    person = cases.ready(ready_days_ago=30, regime=Regime.WI2013, decision_date=cases.days_ago(9 * 365))
    cases.issue_start_letter(person)
    assert status_of(person).current_step.key == "study_choice"
    record_all(person, ("reading", "listening", "writing", "speaking", "knm"), duo)
    status = status_of(person)
    assert [s.key for s in status.steps if s.state == "done"][-2:] == ["study_choice", "exams"]


def test_a_result_refuses_an_unknown_component_and_a_future_date(duo):
    person = on_route()
    with pytest.raises(ValidationError):
        results.record_result(person, component="cooking", taken_on=cases.days_ago(1), outcome="passed")
    with pytest.raises(ValidationError):
        results.record_result(person, component="knm", taken_on=cases.days_from_now(1), outcome="passed")
    assert not Result.objects.exists()


def test_a_waiver_ends_the_obligation_with_its_reason(duo):
    person = on_route()
    results.record_relief(person, outcome=Outcome.WAIVED, reason=DecisionReason.MEDICAL,
                          note="Permanent medical barrier, report of 3 March", decided_by=duo)
    status = status_of(person)
    assert status.phase == CasePhase.NOT_OBLIGED
    assert (status.decision.outcome, status.decision.reason) == (Outcome.WAIVED, DecisionReason.MEDICAL)


def test_a_waiver_needs_a_fitting_reason_and_a_note(duo):
    person = on_route()
    with pytest.raises(ValidationError):
        results.record_relief(person, outcome=Outcome.WAIVED, reason=DecisionReason.DUTCH_DIPLOMA, note="x",
                              decided_by=duo)
    with pytest.raises(ValidationError):
        results.record_relief(person, outcome=Outcome.EXEMPT, reason=DecisionReason.DUTCH_DIPLOMA, note=" ",
                              decided_by=duo)


# --- The import -------------------------------------------------------------------------------


def csv_text(*rows):
    return "result_id,bsn,component,date,outcome\n" + "".join(",".join(row) + "\n" for row in rows)


def test_an_import_records_every_row_and_a_second_import_of_the_same_file_adds_nothing():
    person = on_route()
    day = cases.days_ago(4).isoformat()
    text = csv_text(("EX-1", person.bsn, "reading", day, "passed"), ("EX-2", person.bsn, "knm", day, "exempted"))
    report = results.import_results(text)
    assert (report.ok, report.imported, report.already_imported, report.people) == (True, 2, 0, 1)
    again = results.import_results(text)
    assert (again.ok, again.imported, again.already_imported) == (True, 0, 2)
    assert Result.objects.filter(newcomer=person, source="exam_import").count() == 2


def test_an_import_with_a_refused_row_imports_nothing_and_says_which_rows_and_why():
    person = on_route()
    day = cases.days_ago(4).isoformat()
    text = csv_text(("EX-1", person.bsn, "reading", day, "passed"),
                    ("EX-2", "123456789", "knm", day, "passed"),
                    ("EX-3", person.bsn, "cooking", "04-05-2025", "maybe"),
                    ("EX-1", person.bsn, "knm", day, "passed"))
    report = results.import_results(text)
    assert not report.ok and report.imported == 0
    assert [row.line for row in report.refused] == [3, 4, 5]
    assert "the BSN is not valid" in report.refused[0].reasons
    assert len(report.refused[1].reasons) == 3
    assert "the result id also appears on line 2" in report.refused[2].reasons
    assert not Result.objects.exists()
    # The BSN never appears in the report.
    assert person.bsn not in repr(report)


def test_an_import_refuses_an_unknown_person_and_a_result_id_that_changed():
    person = on_route()
    day = cases.days_ago(4).isoformat()
    results.import_results(csv_text(("EX-1", person.bsn, "reading", day, "passed")))
    report = results.import_results(csv_text(("EX-1", person.bsn, "reading", day, "not_passed"),
                                             ("EX-9", "111222333", "reading", day, "passed")))
    assert [r.reasons for r in report.refused] == [("this result id was imported before with other data",),
                                                   ("no person with this BSN",)]
    assert Result.objects.count() == 1


def test_an_import_without_the_columns_is_refused_as_a_whole():
    report = results.import_results("id;bsn\n1;2\n")
    assert not report.ok and report.refused[0].line == 1


def test_the_last_imported_result_fulfils_the_obligation():
    person = on_route()
    day = cases.days_ago(1).isoformat()
    rows = [(f"EX-{n}", person.bsn, component, day, "passed") for n, component in enumerate(B1_ROUTE)]
    assert results.import_results(csv_text(*rows)).ok
    assert Newcomer.objects.get(pk=person.pk).case_phase == CasePhase.FULFILLED


# --- Extra time -------------------------------------------------------------------------------


def pdf_upload(size=100):
    return SimpleUploadedFile("verklaring arts.pdf", b"%PDF-1.7\n" + b"0" * size, content_type="application/pdf")


def test_the_extension_life_cycle_moves_the_end_of_the_period(duo, _private_storage):
    person = near_the_end()
    before = status_of(person)
    assert before.extension_window_open and before.may_request_extension
    request = extensions.request_extension(person, reason=ExtensionReason.ILLNESS, explanation="In hospital",
                                           attachment=pdf_upload())
    assert request.attachment.name.startswith("extensions/") and "verklaring" not in request.attachment.name
    assert request.attachment_type == "application/pdf"
    assert status_of(person).open_extension.id == request.pk
    assert not status_of(person).may_request_extension
    new_end = before.period.last_day + timedelta(days=183)
    extensions.decide_extension(request, granted=True, new_last_day=new_end, decided_by=duo)
    after = status_of(person)
    assert after.period.last_day == new_end and after.period.extended
    assert after.period.original_last_day == before.period.last_day
    assert not after.extension_window_open  # the new end is more than 6 months away
    assert Newcomer.objects.get(pk=person.pk).period_last_day == new_end


def test_a_refusal_needs_a_reason_and_leaves_the_period(duo):
    person = near_the_end()
    request = extensions.request_extension(person, reason=ExtensionReason.NO_FAULT, explanation="School closed")
    with pytest.raises(ValidationError):
        extensions.decide_extension(request, granted=False, refusal_reason="", decided_by=duo)
    extensions.decide_extension(request, granted=False, refusal_reason="No proof of the delay", decided_by=duo)
    status = status_of(person)
    assert status.latest_extension.status == ExtensionStatus.REFUSED
    assert not status.period.extended and status.may_request_extension
    with pytest.raises(ValidationError):
        extensions.decide_extension(request, granted=True, new_last_day=cases.days_from_now(400), decided_by=duo)


def test_a_grant_must_move_the_end_later(duo):
    person = near_the_end()
    request = extensions.request_extension(person, reason=ExtensionReason.NO_FAULT, explanation="x")
    with pytest.raises(ValidationError):
        extensions.decide_extension(request, granted=True, new_last_day=cases.days_ago(1), decided_by=duo)
    assert ExtensionRequest.objects.get(pk=request.pk).status == ExtensionStatus.REQUESTED


def test_no_request_before_the_window_opens_and_only_one_open_request():
    with pytest.raises(ValidationError):
        extensions.request_extension(on_route(), reason=ExtensionReason.NO_FAULT, explanation="x")
    person = near_the_end()
    extensions.request_extension(person, reason=ExtensionReason.NO_FAULT, explanation="x")
    with pytest.raises(ValidationError):
        extensions.request_extension(person, reason=ExtensionReason.ILLNESS, explanation="y")


def test_an_attachment_that_is_not_a_pdf_or_jpeg_or_too_big_is_refused(settings):
    person = near_the_end()
    fake = SimpleUploadedFile("virus.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf")
    with pytest.raises(ValidationError):
        extensions.request_extension(person, reason=ExtensionReason.ILLNESS, explanation="x", attachment=fake)
    settings.EXTENSION_ATTACHMENT_MAX_BYTES = 50
    with pytest.raises(ValidationError):
        extensions.request_extension(person, reason=ExtensionReason.ILLNESS, explanation="x",
                                     attachment=pdf_upload(size=100))
    assert not ExtensionRequest.objects.exists()

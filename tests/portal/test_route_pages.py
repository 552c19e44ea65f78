"""The pages of the route to the finish: DUO records results, imports the exam system's file and
decides requests for more time; the newcomer sees the results and asks for more time; the
municipal officer reads the results. Every new URL refuses whoever may not use it."""

import io
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from integration import case_facts, extensions
from integration.choices import ExtensionReason, ExtensionStatus
from integration.models import ExtensionRequest, IntakeStatus, Newcomer, Result
from letters.models import Letter, LetterKind
from portal.accounts.backends import DIGID_BACKEND
from portal.accounts.models import Role
from portal.audit.models import AuditRecord
from portal.digid.linking import account_for
from tests.conftest import log_in_with_mfa
from tests.portal import newcomer_cases as cases

pytestmark = pytest.mark.django_db


def on_route(pip_days_ago=200, name="Amal"):
    person = cases.ready(name, ready_days_ago=pip_days_ago + 60)
    cases.issue_start_letter(person)
    cases.intake(person, on=cases.days_ago(pip_days_ago + 10), status=IntakeStatus.COMPLETED,
                 hour=10 if name == "Amal" else 13)  # one officer: not at the same time
    cases.plan(person, on=cases.days_ago(pip_days_ago))
    return Newcomer.objects.get(pk=person.pk)


def near_the_end(name="Amal"):
    return on_route(pip_days_ago=3 * 365 - 90, name=name)


@pytest.fixture
def duo_user():
    return get_user_model().objects.create_user(email="medewerker@duo.example", password="x" * 16,
                                                role=Role.DUO_STAFF)


@pytest.fixture
def duo(duo_user):
    return log_in_with_mfa(Client(HTTP_ACCEPT_LANGUAGE="en"), duo_user)


def as_newcomer(person):
    client = cases.client_in("en")
    client.force_login(account_for(person), backend=DIGID_BACKEND)
    return client


def as_officer(where=None):
    return log_in_with_mfa(Client(HTTP_ACCEPT_LANGUAGE="en"), cases.officer(where))


# --- DUO --------------------------------------------------------------------------------------


def test_duo_records_a_result_with_confirmation_and_the_person_page_shows_it(duo):
    person = on_route()
    url = reverse("duo:record_result", args=[person.public_id])
    data = {"component": "knm", "taken_on": cases.days_ago(3).isoformat(), "outcome": "passed"}
    assert duo.post(url, data).status_code == 400  # the confirmation box is not ticked
    assert not Result.objects.exists()
    assert duo.post(url, {**data, "confirm": "on"}).status_code == 302
    assert Result.objects.get(newcomer=person).recorded_by.email == "medewerker@duo.example"
    assert AuditRecord.objects.filter(newcomer=person, what="result recorded").exists()
    page = duo.get(reverse("duo:person", args=[person.public_id])).content.decode()
    assert 'id="results"' in page and "Knowledge of Dutch society (KNM)" in page


def test_the_import_page_reports_refused_rows_and_imports_nothing_then_a_good_file(duo):
    person = on_route()
    day = cases.days_ago(2).isoformat()
    bad = f"result_id,bsn,component,date,outcome\nEX-1,{person.bsn},reading,{day},passed\nEX-2,123,knm,{day},passed\n"
    response = duo.post(reverse("duo:import_results"), {
        "file": SimpleUploadedFile("uitslagen.csv", bad.encode()), "confirm": "on"})
    assert response.status_code == 400
    page = response.content.decode()
    assert 'id="refused-rows"' in page and "the BSN is not valid" in page and person.bsn not in page
    assert not Result.objects.exists()
    good = f"result_id,bsn,component,date,outcome\nEX-1,{person.bsn},reading,{day},passed\n"
    response = duo.post(reverse("duo:import_results"), {
        "file": SimpleUploadedFile("uitslagen.csv", good.encode()), "confirm": "on"})
    assert response.status_code == 200 and "Imported 1 results" in response.content.decode()
    assert Result.objects.get().external_id == "EX-1"


def test_the_work_list_shows_open_requests_oldest_first_and_a_decision_needs_confirmation(duo):
    older, newer = near_the_end("Amal"), near_the_end("Yonas")
    first = extensions.request_extension(older, reason=ExtensionReason.ILLNESS, explanation="x",
                                         on=cases.days_ago(5))
    extensions.request_extension(newer, reason=ExtensionReason.NO_FAULT, explanation="y")
    page = duo.get(reverse("duo:extension_list")).content.decode()
    assert page.index("Amal") < page.index("Yonas")
    url = reverse("duo:extension", args=[first.public_id])
    new_end = (case_facts.status_for(older.pk).period.last_day + timedelta(days=183)).isoformat()
    assert duo.post(url, {"decision": "grant", "new_last_day": new_end}).status_code == 400
    assert duo.post(url, {"decision": "grant", "confirm": "on"}).status_code == 400  # no new end
    assert duo.post(url, {"decision": "grant", "new_last_day": new_end, "confirm": "on"}).status_code == 302
    first.refresh_from_db()
    assert first.status == ExtensionStatus.GRANTED
    assert Letter.objects.filter(kind=LetterKind.EXTENSION_DECISION, extension=first).exists()
    assert "Amal" not in duo.get(reverse("duo:extension_list")).content.decode()


def test_the_attachment_is_a_download_for_duo_only(duo):
    person = near_the_end()
    request = extensions.request_extension(person, reason=ExtensionReason.ILLNESS, explanation="x",
                                           attachment=SimpleUploadedFile("a.pdf", b"%PDF-1.7\n0"))
    response = duo.get(reverse("duo:extension_attachment", args=[request.public_id]))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert as_newcomer(person).get(reverse("duo:extension_attachment", args=[request.public_id])).status_code in (
        302, 403)


@pytest.mark.parametrize("name", ["extension_list", "import_results"])
def test_duo_pages_refuse_newcomers_and_municipal_officers(name):
    person = on_route()
    for client in (as_newcomer(person), as_officer()):
        assert client.get(reverse(f"duo:{name}")).status_code in (302, 403)


def test_request_urls_refuse_outsiders_and_unknown_ids(duo):
    person = near_the_end()
    request = extensions.request_extension(person, reason=ExtensionReason.ILLNESS, explanation="x")
    for url in (reverse("duo:extension", args=[request.public_id]),
                reverse("duo:record_result", args=[person.public_id])):
        for client in (as_newcomer(person), as_officer(), Client()):
            assert client.post(url, {"confirm": "on"}).status_code in (302, 403)
    unknown = ExtensionRequest._meta.get_field("public_id").default()
    assert duo.get(reverse("duo:extension", args=[unknown])).status_code == 404
    assert duo.get(reverse("duo:extension_attachment", args=[request.public_id])).status_code == 404


# --- The newcomer -------------------------------------------------------------------------------


def test_the_steps_page_shows_each_component_with_its_result(duo_user):
    person = on_route()
    from integration import results

    results.record_result(person, component="reading", taken_on=cases.days_ago(4), outcome="passed",
                          recorded_by=duo_user)
    page = as_newcomer(person).get(reverse("newcomer:steps")).content.decode()
    assert 'id="results"' in page and "Reading" in page and "not yet" in page


def test_extra_time_can_be_requested_only_in_the_window_and_shows_its_status():
    early = on_route()
    page = as_newcomer(early).get(reverse("newcomer:extension")).content.decode()
    assert 'id="window-closed"' in page and "<form" not in page.split("<main")[-1].split("</main>")[0]
    response = as_newcomer(early).post(reverse("newcomer:extension"), {"reason": "illness", "explanation": "x"})
    assert response.status_code == 400 and not ExtensionRequest.objects.exists()

    person = near_the_end("Yonas")
    client = as_newcomer(person)
    response = client.post(reverse("newcomer:extension"), {
        "reason": "childbirth", "explanation": "Our daughter was born",
        "attachment": SimpleUploadedFile("geboorte.jpg", b"\xff\xd8\xff\xe0" + b"0" * 50)})
    assert response.status_code == 302
    request = ExtensionRequest.objects.get(newcomer=person)
    assert request.attachment_type == "image/jpeg"
    page = client.get(reverse("newcomer:extension")).content.decode()
    assert "DUO is deciding" in page
    # The other newcomer sees only their own requests.
    assert "DUO is deciding" not in as_newcomer(early).get(reverse("newcomer:extension")).content.decode()


def test_an_attachment_of_the_wrong_kind_is_refused_with_a_message():
    person = near_the_end()
    response = as_newcomer(person).post(reverse("newcomer:extension"), {
        "reason": "illness", "explanation": "x", "attachment": SimpleUploadedFile("x.pdf", b"<html>")})
    assert response.status_code == 400 and "Send a PDF file or a photo (JPEG)." in response.content.decode()


# --- The municipal officer -----------------------------------------------------------------------


def test_the_municipal_officer_reads_the_results_of_their_newcomer(duo_user):
    from integration import results

    person = on_route()
    results.record_result(person, component="pvt", taken_on=cases.days_ago(4), outcome="passed",
                          recorded_by=duo_user)
    page = as_officer().get(reverse("municipality:person", args=[person.public_id])).content.decode()
    assert 'id="results"' in page and "Participation statement (PVT)" in page
    assert "<form" not in page.split('id="results-heading"')[1]
    amsterdam = cases.municipality("GM0363", "Amsterdam")
    assert as_officer(amsterdam).get(reverse("municipality:person", args=[person.public_id])).status_code == 404


# --- The management command ------------------------------------------------------------------------


def test_the_command_imports_a_file_and_refuses_a_bad_one(tmp_path, duo_user):
    person = on_route()
    day = cases.days_ago(2).isoformat()
    good = tmp_path / "good.csv"
    good.write_text(f"result_id,bsn,component,date,outcome\nEX-7,{person.bsn},map,{day},passed\n")
    out = io.StringIO()
    call_command("import_results", str(good), actor=duo_user.email, stdout=out)
    assert "imported 1 results" in out.getvalue()
    bad = tmp_path / "bad.csv"
    bad.write_text(f"result_id,bsn,component,date,outcome\nEX-8,{person.bsn},map,tomorrow,passed\n")
    with pytest.raises(CommandError):
        call_command("import_results", str(bad), actor=duo_user.email, stderr=io.StringIO())
    assert Result.objects.count() == 1


def test_duo_finds_a_person_by_a_posted_bsn_and_never_puts_it_in_a_url(duo):
    person = on_route()
    response = duo.post(reverse("duo:find_person"), {"bsn": person.bsn})
    assert response.status_code == 302 and response["Location"] == reverse("duo:person", args=[person.public_id])
    assert person.bsn not in response["Location"]
    assert AuditRecord.objects.filter(newcomer=person, what="person found by BSN").exists()
    assert duo.post(reverse("duo:find_person"), {"bsn": "111222333"}).status_code == 400  # nobody
    assert duo.post(reverse("duo:find_person"), {"bsn": "123"}).status_code == 400
    assert as_newcomer(person).post(reverse("duo:find_person"), {"bsn": person.bsn}).status_code in (302, 403)

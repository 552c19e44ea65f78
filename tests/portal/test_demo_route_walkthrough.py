"""The README's walk-throughs of the route to the finish, on the demo data, through the pages:
Layla Nasser reaches "done" when DUO records her last module, and Omar Karimi asks for extra
time and sees DUO's decision."""

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from integration import case_facts
from integration.case_status import CasePhase
from integration.models import ExtensionRequest, Newcomer
from letters.models import Letter, LetterKind, LetterStatus
from portal.accounts.models import User
from tests.conftest import log_in_with_mfa

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo():
    call_command("demo_data", stdout=io.StringIO())


def test_duo_records_laylas_last_module_and_she_sees_done_and_the_fulfilment_letter(
        demo, client, django_capture_on_commit_callbacks):
    layla = Newcomer.objects.get(bsn="111222436")
    client.post("/inloggen/", {"bsn": "111222436"})
    steps = client.get("/mijn-inburgering/stappen/", HTTP_ACCEPT_LANGUAGE="nl").content.decode()
    assert 'id="results"' in steps and "Lezen" in steps and 'aria-current="step"' in steps
    assert case_facts.status_for(layla.pk).current_step.key == "map"

    client.logout()
    log_in_with_mfa(client, User.objects.get(email="duo@inburgering.example"))
    today = timezone.localdate().isoformat()
    with django_capture_on_commit_callbacks(execute=True):  # the letter is issued after commit
        response = client.post(f"/duo/personen/{layla.public_id}/resultaat/", {
            "component": "map", "taken_on": today, "outcome": "passed", "confirm": "on"})
    assert response.status_code == 302
    assert Letter.objects.filter(newcomer=layla, kind=LetterKind.FULFILMENT, status=LetterStatus.ISSUED).exists()

    client.logout()
    client.post("/inloggen/", {"bsn": "111222436"})
    overview = client.get("/mijn-inburgering/", HTTP_ACCEPT_LANGUAGE="nl").content.decode()
    assert 'id="fulfilled"' in overview
    assert case_facts.status_for(layla.pk).phase == CasePhase.FULFILLED
    letters = client.get("/mijn-inburgering/brieven/", HTTP_ACCEPT_LANGUAGE="nl").content.decode()
    assert "voldaan" in letters.lower()


def test_omar_asks_for_extra_time_and_sees_duos_decision(demo, client, django_capture_on_commit_callbacks):
    omar = Newcomer.objects.get(bsn="111222448")
    assert Letter.objects.filter(newcomer=omar, kind=LetterKind.REMINDER).exists()
    client.post("/inloggen/", {"bsn": "111222448"})
    page = client.get("/mijn-inburgering/meer-tijd/", HTTP_ACCEPT_LANGUAGE="nl").content.decode()
    assert 'name="reason"' in page
    response = client.post("/mijn-inburgering/meer-tijd/", {"reason": "illness", "explanation": "Lang ziek geweest"})
    assert response.status_code == 302
    # The page he lands on confirms the request was sent, once.
    confirmed = client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="nl").content.decode()
    assert confirmed.count("Uw aanvraag is verstuurd") == 1
    request = ExtensionRequest.objects.get(newcomer=omar)

    client.logout()
    log_in_with_mfa(client, User.objects.get(email="duo@inburgering.example"))
    assert "Karimi" in client.get("/duo/verlengingen/").content.decode()
    new_end = case_facts.status_for(omar.pk).period.last_day + timedelta(days=183)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/duo/verlengingen/{request.public_id}/", {
            "decision": "grant", "new_last_day": new_end.isoformat(), "confirm": "on"})
    assert response.status_code == 302
    assert Letter.objects.filter(newcomer=omar, kind=LetterKind.EXTENSION_DECISION,
                                 status=LetterStatus.ISSUED).exists()

    client.logout()
    client.post("/inloggen/", {"bsn": "111222448"})
    page = client.get("/mijn-inburgering/meer-tijd/", HTTP_ACCEPT_LANGUAGE="nl").content.decode()
    assert "Toegekend" in page and str(new_end.year) in page

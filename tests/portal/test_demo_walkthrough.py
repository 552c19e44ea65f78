"""The walk-throughs the README promises, on the demo data, through the pages themselves."""

import io

import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone

from integration import rules
from integration.models import IntakeAppointment, IntakeStatus, Newcomer
from letters.models import Letter, LetterKind, LetterStatus
from portal.accounts.models import User
from tests.conftest import log_in_with_mfa

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo():
    call_command("demo_data", stdout=io.StringIO())


def test_the_utrecht_officer_records_the_intake_and_writes_a_pip_that_the_newcomer_then_sees(
        demo, client, django_capture_on_commit_callbacks):
    samira = Newcomer.objects.get(bsn="111222424")
    officer = User.objects.get(email="utrecht@inburgering.example")
    log_in_with_mfa(client, officer)
    assert "Osman, Samira" in client.get("/gemeente/").content.decode()

    interview = IntakeAppointment.objects.get(newcomer=samira)
    response = client.post(f"/gemeente/afspraken/{interview.public_id}/uitkomst/", {"attended": "yes"})
    assert response.status_code == 302
    interview.refresh_from_db()
    assert interview.status == IntakeStatus.COMPLETED

    today = timezone.localdate()
    needs = rules.route_requirements("B1")
    plan = {"plan_date": today.isoformat(), "route": "B1", "exams": list(needs.exams), "pvt_required": "on",
            "map_required": "on"}
    check = client.post(f"/gemeente/personen/{samira.public_id}/pip/", plan)
    assert check.status_code == 200 and 'id="pip-check"' in check.content.decode()  # the dates, asked first
    with django_capture_on_commit_callbacks(execute=True):  # the period letter is issued after commit
        response = client.post(f"/gemeente/personen/{samira.public_id}/pip/", {**plan, "confirmed": "yes"})
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Letter.objects.filter(newcomer=samira, kind=LetterKind.PERIOD, status=LetterStatus.ISSUED).exists()

    client.logout()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "nl"  # she picks Nederlands at the top of the login page
    client.post("/inloggen/", {"bsn": "111222424"})
    page = client.get("/mijn-inburgering/").content.decode()
    _, period_end = rules.integration_period("WI2021", None, today)
    assert "B1-route" in page
    assert f"{period_end.day} " in page and str(period_end.year) in page
    intake_page = client.get("/mijn-inburgering/intake/").content.decode()
    assert "Stadskantoor" in intake_page

    client.logout()
    log_in_with_mfa(client, User.objects.get(email="amsterdam@inburgering.example"))
    assert client.get(f"/gemeente/personen/{samira.public_id}/").status_code == 404


def test_duo_staff_find_the_overdue_persona_and_retry_her_letter(demo, client, django_capture_on_commit_callbacks):
    mariam = Newcomer.objects.get(bsn="111222369")
    log_in_with_mfa(client, User.objects.get(email="duo@inburgering.example"))
    assert "Mariam Ahmadi" in client.get("/duo/").content.decode()

    response = client.post(f"/duo/personen/{mariam.public_id}/opnieuw-uitgeven/", {"confirm": "on"})
    assert response.status_code == 302
    assert Letter.objects.get(newcomer=mariam, kind=LetterKind.START_DATE).status == LetterStatus.ISSUED

"""/gemeente/ is for municipal officers with TOTP, and each sees only their own municipality."""

import pytest
from django.urls import reverse

from portal.accounts.backends import DIGID_BACKEND
from portal.accounts.models import Role
from portal.audit.models import AuditRecord
from portal.digid.linking import account_for

from . import municipality_cases as m
from . import newcomer_cases as cases
from .test_duo_access import staff_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def utrecht_case():
    officer = m.officer(m.utrecht())
    person, planned = m.person_with_history(officer)
    return officer, person, planned


def object_urls(person, appointment):
    return [
        reverse("municipality:person", args=[person.public_id]),
        reverse("municipality:schedule", args=[person.public_id]),
        reverse("municipality:plan", args=[person.public_id]),
        reverse("municipality:reschedule", args=[appointment.public_id]),
        reverse("municipality:cancel", args=[appointment.public_id]),
        reverse("municipality:outcome", args=[appointment.public_id]),
    ]


LIST_URLS = [reverse("municipality:work_list"), reverse("municipality:planning")]


def client_resolve(url):
    from django.urls import resolve

    return resolve(url).url_name


def every_url(person, appointment):
    return LIST_URLS + object_urls(person, appointment)


def test_the_url_list_covers_every_route_of_the_workspace(utrecht_case):
    from portal.municipality.urls import urlpatterns

    _, person, planned = utrecht_case
    names = {f"municipality:{pattern.name}" for pattern in urlpatterns}
    tested = {f"municipality:{client_resolve(url)}" for url in every_url(person, planned)}
    assert tested == names, "every page of the workspace must be in this access test"


def test_an_amsterdam_officer_gets_404_for_every_utrecht_person_appointment_and_pip(client, utrecht_case):
    _, person, planned = utrecht_case
    m.logged_in(client, m.officer(m.amsterdam()))
    for url in object_urls(person, planned):
        assert client.get(url).status_code == 404, url
        assert client.post(url, {"reason": "x", "attended": "no", "plan_date": "2026-01-01", "route": "B1",
                                 "kind": "INTERVIEW"}).status_code == 404, url
    planned.refresh_from_db()
    assert planned.status == "planned"


def test_an_amsterdam_officer_does_not_see_utrecht_people_in_lists(client, utrecht_case):
    _, person, planned = utrecht_case
    m.logged_in(client, m.officer(m.amsterdam()))
    work_list = client.get(reverse("municipality:work_list")).content.decode()
    day = planned.starts_at.date().isoformat()
    planning = client.get(reverse("municipality:planning"), {"dag": day, "weergave": "week"}).content.decode()
    assert person.surname not in work_list and person.surname not in planning


def test_the_utrecht_officer_opens_every_page(client, utrecht_case):
    officer, person, planned = utrecht_case
    m.logged_in(client, officer)
    for url in every_url(person, planned):
        assert client.get(url).status_code == 200, url
    # every view is audited
    assert AuditRecord.objects.filter(actor=officer).count() == len(every_url(person, planned))


def test_anonymous_visitors_are_sent_to_the_staff_login(client, utrecht_case):
    _, person, planned = utrecht_case
    for url in every_url(person, planned):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("account_login")), url


@pytest.mark.parametrize("who", ["newcomer", "duo_staff", "administrator"])
def test_newcomers_and_duo_staff_are_refused(client, utrecht_case, who):
    _, person, planned = utrecht_case
    if who == "newcomer":
        client.force_login(account_for(person), backend=DIGID_BACKEND)
    else:
        m.logged_in(client, staff_user(Role.DUO_STAFF if who == "duo_staff" else Role.ADMINISTRATOR,
                                       f"{who}@duo.example"))
    for url in every_url(person, planned):
        assert client.get(url).status_code == 403, url


def test_an_officer_without_the_second_factor_must_give_the_code(client, utrecht_case):
    officer, _, _ = utrecht_case
    client.force_login(officer)
    response = client.get(reverse("municipality:work_list"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("mfa_reauthenticate"))


def test_a_person_who_moved_away_is_no_longer_visible_to_the_old_municipality(client, utrecht_case):
    officer, person, _ = utrecht_case
    from integration import services

    registration = person.registrations.get()
    services.record_deregistration(registration, cases.days_ago(1))
    cases.registration(person, registered_days_ago=1, where=m.amsterdam())
    m.logged_in(client, officer)
    assert client.get(reverse("municipality:person", args=[person.public_id])).status_code == 404

"""The admin as an operator uses it: finding a person, filtering lists, and bad input refused
with a clear message and nothing saved."""

from datetime import date, timedelta

import pytest
from django.contrib import admin
from django.urls import reverse, reverse_lazy
from django.utils import timezone

from integration import results, rules, services
from integration.choices import (
    Component,
    DecisionReason,
    DecisionSource,
    ExtensionReason,
    Outcome,
    PurposeOfStay,
    Regime,
    ResultOutcome,
)
from integration.models import (
    ExtensionRequest,
    Municipality,
    MunicipalRegistration,
    Newcomer,
    ObligationDecision,
    ResidencePermit,
    Result,
)
from letters.models import Letter, LetterEvent, LetterKind, LetterStatus
from portal.accounts.models import Role, User
from portal.audit.models import AuditRecord
from tests.conftest import log_in_with_mfa
from tests.portal.newcomer_cases import issue_start_letter

pytestmark = pytest.mark.django_db

AMAL_BSN = "111222333"
YONAS_BSN = "123456782"


def days_ago(days: int) -> date:
    return timezone.localdate() - timedelta(days=days)


@pytest.fixture
def superuser(django_user_model):
    return django_user_model.objects.create_superuser(email="beheer@duo.example", password="x" * 16)


@pytest.fixture
def client(client, superuser):
    log_in_with_mfa(client, superuser)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"  # the assertions read the English messages
    return client


@pytest.fixture
def amsterdam():
    return Municipality.objects.create(code="GM0363", name="Amsterdam")


def make_person(given_names, surname, *, bsn=None, municipality=None, ready_days_ago=30, decision=None,
                author=None, override=""):
    """A person built through the services, so the stored case state is what they compute."""
    person = Newcomer.objects.create(given_names=given_names, surname=surname, date_of_birth=date(1990, 1, 1),
                                     nationality="SY")
    if bsn:
        services.record_bsn(person, bsn, days_ago(ready_days_ago + 20))
        services.record_permit(person, residence_title=26, purpose=PurposeOfStay.ASYLUM,
                               decision_date=days_ago(ready_days_ago + 10), valid_from=days_ago(ready_days_ago + 10))
    if municipality:
        services.record_registration(person, municipality=municipality, street="Oudegracht", house_number="1",
                                     postcode="3511 AB", town=municipality.name, registered_on=days_ago(ready_days_ago))
    if decision:
        regime, outcome = decision
        services.record_decision(person, decided_by=author, regime=regime, outcome=outcome,
                                 reason=DecisionReason.OTHER, decided_on=days_ago(5), regime_override_reason=override)
    return Newcomer.objects.get(pk=person.pk)


@pytest.fixture
def people(utrecht, amsterdam, superuser):
    """One person in each state of the case."""
    obliged_2021 = (Regime.WI2021, Outcome.OBLIGED)
    issued = make_person("Sara", "Bekele", bsn="123456794", municipality=utrecht, decision=obliged_2021,
                         author=superuser)
    issue_start_letter(issued)
    return {
        "ready": make_person("Amal", "Haddad", bsn=AMAL_BSN, municipality=utrecht, decision=obliged_2021,
                             author=superuser),
        # A deliberate deviation from the regime of the dates (DOMAIN.md §8), with its reason.
        "overdue": make_person("Yonas", "Tesfay", bsn=YONAS_BSN, municipality=amsterdam, ready_days_ago=100,
                               decision=(Regime.WI2013, Outcome.OBLIGED), author=superuser,
                               override="transitional case, decided under the 2013 act"),
        "assessing": make_person("Hamid", "Rahimi", bsn="123456800", municipality=amsterdam),
        "waiting": make_person("Leila", "Nouri"),
        "not_due": make_person("Omar", "Farah", bsn="123456812", municipality=utrecht,
                               decision=(Regime.WI2021, Outcome.EXEMPT), author=superuser),
        "issued": Newcomer.objects.get(pk=issued.pk),
    }


NEWCOMERS_URL = reverse("admin:integration_newcomer_changelist")


def listed(client, **params):
    response = client.get(NEWCOMERS_URL, params)
    assert response.status_code == 200
    return {person.surname for person in response.context["cl"].result_list}


# --- Search ---------------------------------------------------------------------------------


FIND_BY_BSN_URL = reverse_lazy("admin:integration_newcomer_find_by_bsn")


def test_a_complete_bsn_posted_opens_exactly_that_persons_page(client, people):
    for typed in (AMAL_BSN, "111 222 333"):
        response = client.post(FIND_BY_BSN_URL, {"bsn": typed})
        assert response.status_code == 302
        assert response["Location"] == reverse("admin:integration_newcomer_change", args=[people["ready"].pk])
        assert AMAL_BSN not in response["Location"]


def test_looking_up_and_viewing_a_person_is_audited(client, people, superuser):
    client.post(FIND_BY_BSN_URL, {"bsn": AMAL_BSN}, follow=True)
    records = AuditRecord.objects.filter(actor=superuser, newcomer=people["ready"]).values_list("what", flat=True)
    assert set(records) == {"admin: looked up by BSN", "admin: person page"}
    assert not AuditRecord.objects.filter(what__contains=AMAL_BSN).exists()


@pytest.mark.parametrize("fragment", ["111222", "11122233", "222333", "1112223334", "111222334"])
def test_part_of_a_bsn_or_an_invalid_one_finds_no_one(client, people, fragment):
    response = client.post(FIND_BY_BSN_URL, {"bsn": fragment}, follow=True)
    assert response.redirect_chain[-1][0] == NEWCOMERS_URL
    assert [str(m) for m in response.context["messages"]]  # says why nothing was found


def test_the_search_box_never_searches_by_bsn(client, people):
    # The search box is a GET form: a BSN there would sit in the address and the logs.
    assert listed(client, q=AMAL_BSN) == set()
    assert b"find-by-bsn" in client.get(NEWCOMERS_URL).content


def test_looking_up_by_bsn_only_by_post(client, people):
    assert client.get(FIND_BY_BSN_URL).status_code == 302
    assert not AuditRecord.objects.exists()


def test_a_name_finds_the_person(client, people):
    assert listed(client, q="haddad") == {"Haddad"}
    assert listed(client, q="Amal") == {"Haddad"}


def test_the_list_shows_no_bsn_but_the_persons_own_page_does(client, people):
    page = client.get(NEWCOMERS_URL).content.decode()
    assert "Haddad" in page
    assert AMAL_BSN not in page and YONAS_BSN not in page

    own_page = client.get(reverse("admin:integration_newcomer_change", args=[people["ready"].pk]))
    assert AMAL_BSN in own_page.content.decode()


# --- Columns and filters --------------------------------------------------------------------


def test_the_list_shows_municipality_regime_and_state(client, people):
    response = client.get(NEWCOMERS_URL)
    rows = {person.surname: person for person in response.context["cl"].result_list}
    model_admin = response.context["cl"].model_admin

    haddad = rows["Haddad"]
    assert model_admin.municipality_column(haddad) == "Utrecht"
    assert model_admin.regime_column(haddad) == "Wet inburgering 2021"
    assert model_admin.state_column(haddad).startswith("ready, letter expected by")
    assert model_admin.state_column(rows["Tesfay"]).startswith("overdue")
    assert model_admin.state_column(rows["Nouri"]) == "waiting for conditions"
    assert model_admin.regime_column(rows["Nouri"]) == "no decision yet"
    assert model_admin.state_column(rows["Rahimi"]) == "being assessed"
    assert model_admin.state_column(rows["Farah"]) == "no letter due"
    assert model_admin.state_column(rows["Bekele"]) == "letter issued"


def test_filter_by_municipality_of_the_current_registration(client, people, utrecht, amsterdam):
    assert listed(client, municipality=amsterdam.pk) == {"Tesfay", "Rahimi"}
    # Moving out of Amsterdam takes a person off the Amsterdam list.
    services.record_deregistration(people["assessing"].registrations.get(), days_ago(1))
    assert listed(client, municipality=amsterdam.pk) == {"Tesfay"}
    assert listed(client, municipality=utrecht.pk) == {"Haddad", "Farah", "Bekele"}


def test_filter_by_regime_of_the_current_decision(client, people, superuser):
    assert listed(client, regime=Regime.WI2013) == {"Tesfay"}
    assert listed(client, regime=Regime.WI2021) == {"Haddad", "Farah", "Bekele"}
    assert listed(client, regime="none") == {"Rahimi", "Nouri"}
    # A new decision supersedes the old one.
    services.record_decision(people["overdue"], decided_by=superuser, regime=Regime.WI2021,
                             outcome=Outcome.OBLIGED, reason=DecisionReason.OTHER, decided_on=days_ago(1))
    assert listed(client, regime=Regime.WI2013) == set()


@pytest.mark.parametrize(
    ("state", "surnames"),
    [
        ("waiting", {"Nouri"}),
        ("assessing", {"Rahimi"}),
        ("ready", {"Haddad"}),
        ("overdue", {"Tesfay"}),
        ("issued", {"Bekele"}),
        ("not_due", {"Farah"}),
    ],
)
def test_filter_by_state(client, people, state, surnames):
    assert listed(client, state=state) == surnames


def test_overdue_starts_the_day_after_the_letter_was_expected(client, utrecht, superuser):
    obliged = (Regime.WI2021, Outcome.OBLIGED)
    make_person("On", "Time", bsn=AMAL_BSN, municipality=utrecht, decision=obliged, author=superuser,
                ready_days_ago=rules.LETTER_DELIVERY_DAYS)
    make_person("One Day", "Late", bsn=YONAS_BSN, municipality=utrecht, decision=obliged, author=superuser,
                ready_days_ago=rules.LETTER_DELIVERY_DAYS + 1)

    assert listed(client, state="overdue") == {"Late"}
    assert listed(client, state="ready") == {"Time"}


# --- Bad input in the newcomer form ---------------------------------------------------------


def inline_management(prefix, total=0, initial=0):
    return {f"{prefix}-TOTAL_FORMS": str(total), f"{prefix}-INITIAL_FORMS": str(initial),
            f"{prefix}-MIN_NUM_FORMS": "0", f"{prefix}-MAX_NUM_FORMS": "1000"}


def newcomer_form(**overrides):
    data = {"given_names": "Amal", "surname": "Haddad", "date_of_birth": "1990-05-01", "nationality": "SY",
            "preferred_language": "ar", "email": "", "bsn": AMAL_BSN,
            "bsn_assigned_on": days_ago(100).isoformat(),
            **inline_management("permits"), **inline_management("registrations"),
            **inline_management("decisions")}
    return {**data, **overrides}


def with_permit(data, **overrides):
    permit = {"residence_title": "26", "purpose": PurposeOfStay.ASYLUM, "decision_date": days_ago(90).isoformat(),
              "valid_from": days_ago(90).isoformat(), "valid_until": "", "withdrawn_on": "", **overrides}
    return {**data, **inline_management("permits", total=1), **{f"permits-0-{k}": v for k, v in permit.items()}}


def with_registration(data, place, **overrides):
    registration = {"municipality": str(place.pk), "street": "Oudegracht", "house_number": "1",
                    "postcode": "3511 AB", "town": "Utrecht", "registered_on": days_ago(60).isoformat(),
                    "deregistered_on": "", **overrides}
    return {**data, **inline_management("registrations", total=1),
            **{f"registrations-0-{k}": v for k, v in registration.items()}}


def with_decision(data, **overrides):
    decision = {"regime": Regime.WI2021, "outcome": Outcome.OBLIGED, "reason": DecisionReason.OBLIGED_BY_RULE,
                "note": "", "decided_on": days_ago(1).isoformat(), **overrides}
    return {**data, **inline_management("decisions", total=1),
            **{f"decisions-0-{k}": v for k, v in decision.items()}}


def post_new_newcomer(client, data):
    return client.post(reverse("admin:integration_newcomer_add"), data)


def assert_refused(response, message):
    assert response.status_code == 200, "the form is shown again with its errors"
    assert message in response.content.decode()
    assert not Newcomer.objects.exists()
    assert not ResidencePermit.objects.exists()
    assert not MunicipalRegistration.objects.exists()
    assert not ObligationDecision.objects.exists()


@pytest.mark.parametrize(
    ("bsn", "message"),
    [
        ("111222334", "This is not a valid BSN: it fails the 11-check."),
        ("1112223", "A BSN has 9 digits."),
        ("1112223334", "A BSN has 9 digits."),
        ("111 222 333 4", "A BSN has 9 digits."),
        ("11122233A", "A BSN consists of digits only."),
    ],
)
def test_an_invalid_bsn_is_refused_with_its_message(client, bsn, message):
    assert_refused(post_new_newcomer(client, newcomer_form(bsn=bsn)), message)


def test_a_bsn_without_its_date_is_refused(client):
    response = post_new_newcomer(client, newcomer_form(bsn_assigned_on=""))
    assert_refused(response, "A BSN and the date it was assigned go together.")


def test_a_future_date_of_birth_is_refused(client):
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    assert_refused(post_new_newcomer(client, newcomer_form(date_of_birth=tomorrow)), "This date lies in the future.")


def test_an_invalid_permit_row_saves_nothing_at_all(client, utrecht):
    data = with_registration(with_permit(newcomer_form(), valid_from=days_ago(10).isoformat(),
                                         valid_until=days_ago(20).isoformat()), utrecht)
    assert_refused(post_new_newcomer(client, data), "A permit cannot end before it starts.")


@pytest.mark.parametrize("postcode", ["0123 AB", "1234 SA", "123 AB"])
def test_an_invalid_postcode_saves_nothing_at_all(client, utrecht, postcode):
    data = with_registration(newcomer_form(), utrecht, postcode=postcode)
    assert_refused(post_new_newcomer(client, data), "Enter a Dutch postcode")


def test_a_future_registration_date_saves_nothing_at_all(client, utrecht):
    next_week = (timezone.localdate() + timedelta(days=7)).isoformat()
    data = with_registration(newcomer_form(), utrecht, registered_on=next_week)
    assert_refused(post_new_newcomer(client, data), "This date lies in the future.")


def test_deregistration_before_registration_saves_nothing_at_all(client, utrecht):
    data = with_registration(newcomer_form(), utrecht, deregistered_on=days_ago(61).isoformat())
    assert_refused(post_new_newcomer(client, data), "Deregistration cannot come before registration.")


def test_an_unknown_municipality_saves_nothing_at_all(client, utrecht):
    data = with_registration(newcomer_form(), utrecht, municipality=str(utrecht.pk + 99))
    assert_refused(post_new_newcomer(client, data), "This municipality is not known.")


def test_an_obliged_voluntary_decision_saves_nothing_at_all(client):
    data = with_decision(newcomer_form(), regime=Regime.VOLUNTARY)
    assert_refused(post_new_newcomer(client, data), "Voluntary integration is not an obligation")


# --- Good input in the newcomer form --------------------------------------------------------


def test_a_complete_case_entered_in_the_admin_is_ready_and_a_letter_is_queued(client, utrecht, superuser):
    data = with_permit(newcomer_form(bsn="111.222.333"), valid_from=days_ago(95).isoformat())
    data = with_decision(with_registration(data, utrecht, postcode="3511ab"), regime=Regime.WI2021)
    response = post_new_newcomer(client, data)

    assert response.status_code == 302
    person = Newcomer.objects.get()
    assert person.bsn == AMAL_BSN
    assert person.bsn_assigned_on == days_ago(100)
    assert person.registrations.get().postcode == "3511 AB"  # normalised, not refused
    assert person.conditions_met_on == days_ago(60)
    assert person.ready_on == days_ago(60)
    decision = person.decisions.get()
    assert (decision.decided_by, decision.source) == (superuser, DecisionSource.DUO_STAFF)
    assert Letter.objects.filter(newcomer=person, kind=LetterKind.START_DATE, regime=Regime.WI2021).count() == 1


def test_issuing_the_letter_after_the_save_never_undoes_the_save(client, utrecht,
                                                                django_capture_on_commit_callbacks):
    data = with_decision(with_registration(with_permit(newcomer_form()), utrecht))
    with django_capture_on_commit_callbacks(execute=True):
        response = post_new_newcomer(client, data)

    assert response.status_code == 302
    person = Newcomer.objects.get()
    assert person.ready_on is not None
    # Issued or failed depends on the letter layout; either way the letter is known, not lost.
    letter = Letter.objects.get(newcomer=person, kind=LetterKind.START_DATE)
    assert letter.status in (LetterStatus.ISSUED, LetterStatus.FAILED)


def test_saved_decisions_cannot_be_edited_through_the_newcomer_form(client, people):
    person = people["ready"]
    decision = person.decisions.get()
    registration = person.registrations.get()
    permit = person.permits.get()
    data = newcomer_form(given_names=person.given_names, surname=person.surname, bsn=person.bsn,
                         bsn_assigned_on=person.bsn_assigned_on.isoformat())
    data.update(inline_management("permits", total=1, initial=1))
    data.update({"permits-0-id": str(permit.pk), "permits-0-newcomer": str(person.pk),
                 "permits-0-residence_title": "26", "permits-0-purpose": permit.purpose,
                 "permits-0-decision_date": permit.decision_date.isoformat(),
                 "permits-0-valid_from": permit.valid_from.isoformat(), "permits-0-valid_until": "",
                 "permits-0-withdrawn_on": days_ago(1).isoformat()})
    data.update(inline_management("registrations", total=1, initial=1))
    data.update({"registrations-0-id": str(registration.pk), "registrations-0-newcomer": str(person.pk),
                 "registrations-0-town": "Elsewhere", "registrations-0-deregistered_on": ""})
    data.update(inline_management("decisions", total=1, initial=1))
    data.update({"decisions-0-id": str(decision.pk), "decisions-0-newcomer": str(person.pk),
                 "decisions-0-regime": Regime.WI2013, "decisions-0-outcome": Outcome.EXEMPT})
    # The read-only lists of results and requests send their (empty) management forms, as the page does.
    data.update(inline_management("results") | inline_management("extension_requests"))

    response = client.post(reverse("admin:integration_newcomer_change", args=[person.pk]), data)

    assert response.status_code == 302
    decision.refresh_from_db()
    assert (decision.regime, decision.outcome) == (Regime.WI2021, Outcome.OBLIGED)
    assert MunicipalRegistration.objects.get(pk=registration.pk).town == "Utrecht"  # history is fixed
    # The permit withdrawal did go through, and the case state followed it.
    person.refresh_from_db()
    assert (person.conditions_met_on, person.ready_on) == (None, None)


def test_a_saved_decision_cannot_be_changed_or_deleted_on_its_own_page(client, people):
    decision = people["ready"].decisions.get()
    change_url = reverse("admin:integration_obligationdecision_change", args=[decision.pk])

    assert client.get(change_url).status_code == 200  # readable
    assert client.post(change_url, {"regime": Regime.WI2013}).status_code == 403
    delete_url = reverse("admin:integration_obligationdecision_delete", args=[decision.pk])
    assert client.post(delete_url, {"post": "yes"}).status_code == 403
    assert ObligationDecision.objects.filter(pk=decision.pk, regime=Regime.WI2021).exists()


def test_a_decision_added_on_its_own_page_names_its_author_and_updates_the_case(client, people, superuser):
    person = people["assessing"]
    response = client.post(reverse("admin:integration_obligationdecision_add"), {
        "newcomer": str(person.pk), "regime": Regime.WI2021, "outcome": Outcome.OBLIGED,
        "reason": DecisionReason.OBLIGED_BY_RULE, "note": "", "decided_on": days_ago(1).isoformat()})

    assert response.status_code == 302
    decision = person.decisions.get()
    assert (decision.decided_by, decision.source) == (superuser, DecisionSource.DUO_STAFF)
    assert Newcomer.objects.get(pk=person.pk).ready_on == person.conditions_met_on


def test_a_permit_added_on_its_own_page_updates_the_case(client, utrecht):
    person = make_person("Amal", "Haddad", municipality=utrecht)
    services.record_bsn(person, AMAL_BSN, days_ago(100))
    response = client.post(reverse("admin:integration_residencepermit_add"), {
        "newcomer": str(person.pk), "residence_title": "26", "purpose": PurposeOfStay.ASYLUM,
        "decision_date": days_ago(30).isoformat(), "valid_from": days_ago(30).isoformat()})

    assert response.status_code == 302
    assert ResidencePermit.objects.get().article == "8c"
    assert Newcomer.objects.get(pk=person.pk).conditions_met_on == days_ago(30)


def test_a_municipality_code_must_be_gm_and_four_digits(client):
    response = client.post(reverse("admin:integration_municipality_add"), {"code": "0344", "name": "Utrecht"})
    assert response.status_code == 200
    assert "A municipality code is GM followed by four digits" in response.content.decode()
    assert not Municipality.objects.exists()


# --- Letters --------------------------------------------------------------------------------


@pytest.fixture
def failed_letter(people):
    letter = Letter.objects.get(newcomer=people["ready"], kind=LetterKind.START_DATE)
    Letter.objects.filter(pk=letter.pk).update(status=LetterStatus.FAILED, attempts=2,
                                               last_error="RuntimeError: font missing")
    LetterEvent.objects.create(letter=letter, event="failed", detail="RuntimeError: font missing")
    return letter


def test_letters_are_read_only_in_the_admin(client, failed_letter):
    change_url = reverse("admin:letters_letter_change", args=[failed_letter.pk])
    page = client.get(change_url)

    assert page.status_code == 200
    content = page.content.decode()
    assert failed_letter.reference in content
    assert "RuntimeError: font missing" in content
    assert client.get(reverse("admin:letters_letter_add")).status_code == 403
    assert client.post(change_url, {"status": LetterStatus.CANCELLED}).status_code == 403
    delete_url = reverse("admin:letters_letter_delete", args=[failed_letter.pk])
    assert client.post(delete_url, {"post": "yes"}).status_code == 403
    assert Letter.objects.get(pk=failed_letter.pk).status == LetterStatus.FAILED


def test_letters_can_be_filtered_by_status(client, failed_letter, people):
    url = reverse("admin:letters_letter_changelist")
    failed = client.get(url, {"status__exact": LetterStatus.FAILED}).context["cl"].result_list
    queued = client.get(url, {"status__exact": LetterStatus.QUEUED}).context["cl"].result_list
    assert [letter.pk for letter in failed] == [failed_letter.pk]
    assert failed_letter.pk not in {letter.pk for letter in queued}


# --- Users ----------------------------------------------------------------------------------


def add_user(client, **fields):
    data = {"email": "", "role": Role.DUO_STAFF, "municipality": "", "usable_password": "true",
            "password1": "een lang genoeg wachtwoord", "password2": "een lang genoeg wachtwoord", **fields}
    return client.post(reverse("admin:accounts_user_add"), data)


def test_a_staff_user_logs_in_with_the_email_address_the_username_mirrors(client):
    response = add_user(client, email="officer@utrecht.example", role=Role.DUO_STAFF)

    assert response.status_code == 302
    user = User.objects.get(email="officer@utrecht.example")
    assert user.username == "officer@utrecht.example"


def test_a_municipal_officer_needs_a_municipality(client):
    response = add_user(client, email="officer@utrecht.example", role=Role.MUNICIPAL_OFFICER)

    assert response.status_code == 200
    assert "A municipal officer needs a municipality." in response.content.decode()
    assert not User.objects.filter(email="officer@utrecht.example").exists()


def test_changing_the_email_address_changes_the_login(client, utrecht):
    user = User.objects.create_user(email="old@utrecht.example", password="x" * 16, role=Role.MUNICIPAL_OFFICER,
                                    municipality=utrecht)
    page = client.get(reverse("admin:accounts_user_change", args=[user.pk]))
    data = {**page.context["adminform"].form.initial, "email": "new@utrecht.example", "municipality": utrecht.pk,
            "first_name": "", "last_name": "", "newcomer": "", "groups": [], "user_permissions": [],
            "last_login": "", "date_joined_0": user.date_joined.date().isoformat(),
            "date_joined_1": user.date_joined.strftime("%H:%M:%S"), "is_active": "on"}
    data = {key: value for key, value in data.items() if value is not None and key not in {"password", "date_joined"}}

    response = client.post(reverse("admin:accounts_user_change", args=[user.pk]), data)

    assert response.status_code == 302
    user.refresh_from_db()
    assert (user.email, user.username) == ("new@utrecht.example", "new@utrecht.example")


# --- Every page renders ---------------------------------------------------------------------


def test_every_changelist_add_and_change_page_renders(client, people, failed_letter):
    for model, model_admin in admin.site._registry.items():
        opts = model._meta
        changelist = client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
        assert changelist.status_code == 200, opts.label
        if model_admin.has_add_permission(changelist.wsgi_request):
            add = client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_add"))
            assert add.status_code == 200, opts.label
        first = model.objects.first()
        if first is not None:
            change = client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[first.pk]))
            assert change.status_code == 200, opts.label


# --- Results and requests for more time: readable, never changed here -------------------------


@pytest.fixture
def recorded(people, superuser):
    """A result and an open request for more time of one person, as DUO's pages record them."""
    person = people["issued"]
    result = results.record_result(person, component=Component.KNM, taken_on=days_ago(10),
                                   outcome=ResultOutcome.PASSED, recorded_by=superuser)
    request = ExtensionRequest.objects.create(newcomer=person, reason=ExtensionReason.ILLNESS,
                                              explanation="Drie maanden ziek", requested_on=days_ago(2),
                                              period_last_day=days_ago(-90), attachment="extensions/proof.pdf",
                                              attachment_type="application/pdf")
    return person, result, request


def test_the_person_page_lists_results_and_requests_read_only(client, recorded):
    person, result, request = recorded
    page = client.get(reverse("admin:integration_newcomer_change", args=[person.pk])).content.decode()
    assert "knowledge of Dutch society (KNM)" in page and "illness" in page
    assert reverse("admin:integration_result_change", args=[result.pk]) in page
    assert 'name="results-0-outcome"' not in page, "a result is shown, not offered for editing"
    assert "results-TOTAL_FORMS" in page  # the management form a browser sends back on save


def test_results_and_requests_have_their_own_lists_to_read_but_not_to_change(client, recorded, superuser):
    person, result, request = recorded
    for model, record in (("result", result), ("extensionrequest", request)):
        assert person.surname in client.get(reverse(f"admin:integration_{model}_changelist")).content.decode()
        change_url = reverse(f"admin:integration_{model}_change", args=[record.pk])
        assert client.get(change_url).status_code == 200
        assert client.post(change_url, {"note": "changed"}).status_code == 403
        assert client.get(reverse(f"admin:integration_{model}_add")).status_code == 403
        assert client.post(reverse(f"admin:integration_{model}_delete", args=[record.pk]),
                           {"post": "yes"}).status_code == 403
    assert Result.objects.filter(pk=result.pk, note="").exists()
    assert ExtensionRequest.objects.filter(pk=request.pk).exists()
    viewed = set(AuditRecord.objects.filter(actor=superuser, newcomer=person).values_list("what", flat=True))
    assert {"admin: result", "admin: request for more time"} <= viewed


def test_the_request_page_does_not_offer_the_attachment(client, recorded):
    _, _, request = recorded
    page = client.get(reverse("admin:integration_extensionrequest_change", args=[request.pk])).content.decode()
    assert "application/pdf" in page
    assert "proof.pdf" not in page, "the attachment is opened on DUO's request page, audited, as a download"

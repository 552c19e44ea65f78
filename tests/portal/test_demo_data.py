"""`manage.py demo_data`: the personas the README lists are in the state it promises, and
running the command again changes nothing."""

import io
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone
from stdnum.nl import bsn as stdnum_bsn

from integration import case_facts, rules
from integration.case_status import mirror_columns
from integration.choices import DecisionReason, Outcome, Regime
from integration.models import (
    IntakeAppointment,
    IntakeKind,
    IntakeStatus,
    Municipality,
    MunicipalRegistration,
    Newcomer,
    ObligationDecision,
    ResidencePermit,
)
from letters.models import Letter, LetterKind, LetterStatus
from portal.accounts.models import Role
from portal.demo.bsn import LOAD_FIRST_BSN
from portal.demo.personas import PERSONAS, persona_by_key
from portal.demo.staff import STAFF_ACCOUNTS

pytestmark = pytest.mark.django_db

COUNTED = (Municipality, Newcomer, ResidencePermit, MunicipalRegistration, ObligationDecision, Letter,
           IntakeAppointment)


@pytest.fixture
def load_demo(django_capture_on_commit_callbacks):
    """Run the command with its after-commit work (letter dispatch) carried out, as in `make run`."""

    def load():
        with django_capture_on_commit_callbacks(execute=True):
            call_command("demo_data", stdout=_Sink(), stderr=_Sink())

    return load


@pytest.fixture
def demo(load_demo):
    load_demo()


class _Sink:
    def __init__(self):
        self.text = ""

    def write(self, text):
        self.text += text

    def flush(self):
        pass


def persona(key):
    return Newcomer.objects.get(bsn=persona_by_key(key).bsn)


def start_letters(newcomer):
    return list(Letter.objects.filter(newcomer=newcomer, kind=LetterKind.START_DATE))


def today():
    return timezone.localdate()


def test_running_it_twice_leaves_the_same_rows(load_demo):
    load_demo()
    first = {model.__name__: model.objects.count() for model in (*COUNTED, get_user_model())}
    duo = get_user_model().objects.get(role=Role.DUO_STAFF)
    duo.set_password("changed-by-someone-trying-things")
    duo.save()
    load_demo()
    second = {model.__name__: model.objects.count() for model in (*COUNTED, get_user_model())}
    assert second == first
    assert first["Newcomer"] == len(PERSONAS)
    assert first["User"] == len(STAFF_ACCOUNTS)
    # The README's passwords hold again after a second run.
    duo.refresh_from_db()
    assert duo.check_password(next(a.password for a in STAFF_ACCOUNTS if a.role == Role.DUO_STAFF))
    codes = set(Municipality.objects.values_list("code", flat=True))
    assert {"GM0344", "GM0363", "GM0599", "GM0518"} <= codes


def test_every_persona_has_a_distinct_valid_bsn_outside_the_load_data_range():
    bsns = [p.bsn for p in PERSONAS]
    assert len(set(bsns)) == len(bsns)
    assert all(stdnum_bsn.is_valid(bsn) and bsn < LOAD_FIRST_BSN for bsn in bsns)
    assert "111222333" in bsns  # the example of DOMAIN.md


def test_stored_case_state_is_what_the_rules_make_of_each_persona(demo):
    """The SQL mirror of every persona agrees with `case_status`, column by column."""
    newcomers = list(Newcomer.objects.all())
    assert len(newcomers) == len(PERSONAS)
    for newcomer in newcomers:
        expected = mirror_columns(case_facts.status_for(newcomer.pk, today()))
        stored = {name: getattr(newcomer, name) for name in expected}
        assert stored == expected, newcomer.surname


def test_personas_short_of_a_ready_date_have_no_letter(demo):
    waiting = persona("waiting")
    assert waiting.bsn and waiting.current_permit(today()) is not None
    assert waiting.current_registration(today()) is None
    assert waiting.conditions_met_on is None and waiting.ready_on is None

    # All three conditions, but DUO has not decided: "being assessed".
    assessed = persona("being_assessed")
    assert assessed.conditions_met_on is not None and assessed.current_decision() is None
    assert assessed.ready_on is None and assessed.start_letter_owed

    assert start_letters(waiting) == start_letters(assessed) == []


def test_ready_and_overdue_personas_keep_their_letter_queued(demo):
    ready, overdue = persona("ready"), persona("overdue")
    assert ready.ready_on == today() - timedelta(days=10)
    assert not rules.is_overdue(ready.ready_on, ready.start_letter_issued_on, today())
    assert overdue.conditions_met_on == overdue.ready_on == today() - timedelta(weeks=10)
    assert rules.is_overdue(overdue.ready_on, overdue.start_letter_issued_on, today())
    for newcomer in (ready, overdue):
        assert newcomer.current_decision().regime == Regime.WI2021
        assert [letter.status for letter in start_letters(newcomer)] == [LetterStatus.QUEUED]
        assert newcomer.start_letter_issued_on is None


def test_issued_personas_have_their_start_date_letter(demo):
    wi2021, wi2013 = persona("issued"), persona("wi2013")
    assert wi2021.current_registration(today()).municipality.code == "GM0344"
    start = rules.obligation_start_date(wi2013.current_permit(today()).facts())
    assert rules.regime_for_obligation_start(start) == Regime.WI2013
    for newcomer, regime in ((wi2021, Regime.WI2021), (wi2013, Regime.WI2013)):
        (letter,) = start_letters(newcomer)
        assert letter.status == LetterStatus.ISSUED, letter.last_error
        assert letter.regime == regime
        assert letter.start_date == newcomer.current_permit(today()).decision_date
        assert newcomer.start_letter_issued_on == letter.letter_date


def test_the_issued_wi2021_persona_has_an_interview_planned_with_the_utrecht_officer(demo):
    (interview,) = IntakeAppointment.objects.filter(newcomer=persona("issued"))
    assert (interview.kind, interview.status) == (IntakeKind.INTERVIEW, IntakeStatus.PLANNED)
    assert interview.municipality.code == interview.officer.municipality.code == "GM0344"
    assert interview.officer.email == "utrecht@inburgering.example"
    day = timezone.localtime(interview.starts_at).date()
    assert today() < day <= today() + timedelta(days=7) and day.weekday() < 5


def test_one_wi2021_persona_had_her_interview_and_waits_for_the_officer_to_record_it(demo):
    """So a demo officer can record an outcome and write a PIP today (only a begun appointment
    takes an outcome, and the planning form books only future times)."""
    (interview,) = IntakeAppointment.objects.filter(newcomer=persona("intake_held"))
    assert (interview.kind, interview.status) == (IntakeKind.INTERVIEW, IntakeStatus.PLANNED)
    assert interview.officer.email == "utrecht@inburgering.example"
    day = timezone.localtime(interview.starts_at).date()
    assert today() - timedelta(days=4) <= day < today() and day.weekday() < 5
    # Nobody else has one planned (the personas on their route attended theirs long ago).
    assert IntakeAppointment.objects.filter(status=IntakeStatus.PLANNED).count() == 2


def test_personas_without_a_start_date_letter(demo):
    expected = {
        "pre_2013": (Regime.PRE_2013, Outcome.OBLIGED, DecisionReason.OBLIGED_BY_RULE),
        "voluntary": (Regime.VOLUNTARY, Outcome.NOT_OBLIGED, DecisionReason.CHOSE_VOLUNTARY),
        "not_obliged": (Regime.WI2021, Outcome.NOT_OBLIGED, DecisionReason.EU_EEA_SWISS),
    }
    for key, (regime, outcome, reason) in expected.items():
        newcomer = persona(key)
        decision = newcomer.current_decision()
        assert (decision.regime, decision.outcome, decision.reason) == (regime, outcome, reason), key
        assert newcomer.conditions_met_on is not None, key
        assert newcomer.ready_on is None and not newcomer.start_letter_owed, key
        assert start_letters(newcomer) == [], key
    assert persona("not_obliged").nationality == "PL"


def test_staff_accounts_have_their_roles_and_only_the_administrator_gets_into_the_admin(demo, client):
    users = {user.email: user for user in get_user_model().objects.all()}
    officers = {users[a.email].municipality.code for a in STAFF_ACCOUNTS if a.role == Role.MUNICIPAL_OFFICER}
    assert officers == {"GM0344", "GM0363"}
    for account in STAFF_ACCOUNTS:
        user = users[account.email]
        assert user.role == account.role
        assert user.is_superuser == user.is_staff == (account.role == Role.ADMINISTRATOR)
        client.logout()
        _log_in_as_the_readme_says(client, account)
        response = client.get("/admin/")
        assert (response.status_code == 200) == (account.role == Role.ADMINISTRATOR), account.email


def _log_in_as_the_readme_says(client, account):
    """Password, then the code of the documented demo TOTP secret (what `demo_totp` prints)."""
    response = client.post("/accounts/login/", {"login": account.email, "password": account.password})
    assert response.status_code == 302, account.email
    code = call_command_output("demo_totp").strip()
    response = client.post(response["Location"], {"code": code})
    assert response.status_code == 302 and "/2fa/" not in response["Location"], account.email


def call_command_output(name):
    out = io.StringIO()
    call_command(name, stdout=out)
    return out.getvalue()


def test_refuses_to_run_in_production(settings):
    settings.IS_PRODUCTION = True
    with pytest.raises(CommandError, match="production"):
        call_command("demo_data", stdout=_Sink())
    assert not Newcomer.objects.exists()

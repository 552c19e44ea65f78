"""The services that write a person's case: each recomputes the derived case state, and each
refuses bad input as a whole (nothing half-saved)."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from integration import services
from integration.choices import DecisionReason, Outcome, PurposeOfStay, Regime
from integration.models import MunicipalRegistration, Newcomer, ObligationDecision, ResidencePermit
from letters.models import Letter, LetterKind, LetterStatus

pytestmark = pytest.mark.django_db

VALID_BSN = "111222333"


def days_ago(days: int) -> date:
    return timezone.localdate() - timedelta(days=days)


@pytest.fixture
def staff_user(django_user_model):
    return django_user_model.objects.create_user(email="medewerker@duo.example", password="x" * 16,
                                                 role="duo_staff")


@pytest.fixture
def newcomer():
    return Newcomer.objects.create(given_names="Amal", surname="Haddad", date_of_birth=date(1990, 5, 1),
                                   nationality="SY")


def record_permit(newcomer, **overrides):
    fields = {"residence_title": 26, "purpose": PurposeOfStay.ASYLUM, "decision_date": days_ago(90),
              "valid_from": days_ago(120), "valid_until": None}
    return services.record_permit(newcomer, **{**fields, **overrides})


def record_registration(newcomer, municipality, **overrides):
    fields = {"municipality": municipality, "street": "Oudegracht", "house_number": "1", "postcode": "3511 AB",
              "town": "Utrecht", "registered_on": days_ago(60)}
    return services.record_registration(newcomer, **{**fields, **overrides})


def record_obliged(newcomer, staff_user, regime=Regime.WI2021):
    return services.record_decision(newcomer, decided_by=staff_user, regime=regime, outcome=Outcome.OBLIGED,
                                    reason=DecisionReason.OBLIGED_BY_RULE, decided_on=days_ago(10))


def stored(newcomer):
    return Newcomer.objects.get(pk=newcomer.pk)


@pytest.fixture
def ready_newcomer(newcomer, utrecht, staff_user):
    services.record_bsn(newcomer, VALID_BSN, days_ago(100))
    record_permit(newcomer)
    record_registration(newcomer, utrecht)
    record_obliged(newcomer, staff_user)
    return stored(newcomer)


def test_ready_on_is_the_day_the_last_condition_became_true(ready_newcomer):
    # BSN 100 days ago, permit decided 90 days ago, registered 60 days ago: the registration is last.
    assert ready_newcomer.conditions_met_on == days_ago(60)
    assert ready_newcomer.ready_on == days_ago(60)
    assert ready_newcomer.start_letter_owed is True


def test_a_permit_counts_from_its_decision_not_from_an_earlier_valid_from(newcomer, utrecht, staff_user):
    services.record_bsn(newcomer, VALID_BSN, days_ago(300))
    record_registration(newcomer, utrecht, registered_on=days_ago(250))
    record_permit(newcomer, valid_from=days_ago(400), decision_date=days_ago(200))
    record_obliged(newcomer, staff_user)

    assert stored(newcomer).ready_on == days_ago(200)


def test_without_a_decision_the_conditions_are_met_but_the_person_is_not_ready(newcomer, utrecht):
    services.record_bsn(newcomer, VALID_BSN, days_ago(100))
    record_permit(newcomer)
    record_registration(newcomer, utrecht)

    state = stored(newcomer)
    assert state.conditions_met_on == days_ago(60)
    assert state.ready_on is None
    assert state.start_letter_owed is True  # being assessed: a letter may yet be owed


def test_recording_the_last_condition_queues_one_start_date_letter(ready_newcomer):
    letters = Letter.objects.filter(newcomer=ready_newcomer, kind=LetterKind.START_DATE)
    assert [(letter.regime, letter.status) for letter in letters] == [(Regime.WI2021, LetterStatus.QUEUED)]


def test_withdrawing_the_permit_cancels_readiness(ready_newcomer):
    permit = ready_newcomer.permits.get()
    services.withdraw_permit(permit, days_ago(1))

    state = stored(ready_newcomer)
    assert state.conditions_met_on is None
    assert state.ready_on is None


def test_deregistration_cancels_readiness(ready_newcomer):
    registration = ready_newcomer.registrations.get()
    services.record_deregistration(registration, days_ago(1))

    state = stored(ready_newcomer)
    assert state.conditions_met_on is None
    assert state.ready_on is None


def test_a_not_obliged_decision_means_no_letter_is_owed(ready_newcomer, staff_user):
    services.record_decision(ready_newcomer, decided_by=staff_user, regime=Regime.WI2021,
                             outcome=Outcome.EXEMPT, reason=DecisionReason.DUTCH_DIPLOMA, decided_on=days_ago(1))

    state = stored(ready_newcomer)
    assert state.start_letter_owed is False
    assert state.ready_on is None
    assert state.conditions_met_on == days_ago(60)


def test_a_later_decision_supersedes_the_earlier_one(newcomer, utrecht, staff_user):
    services.record_bsn(newcomer, VALID_BSN, days_ago(100))
    record_permit(newcomer)
    record_registration(newcomer, utrecht)
    services.record_decision(newcomer, decided_by=staff_user, regime=Regime.WI2021, outcome=Outcome.NOT_OBLIGED,
                             reason=DecisionReason.TEMPORARY_PURPOSE, decided_on=days_ago(20))
    assert stored(newcomer).ready_on is None

    record_obliged(newcomer, staff_user)

    assert stored(newcomer).ready_on == days_ago(60)
    assert ObligationDecision.objects.filter(newcomer=newcomer).count() == 2


# --- Bad input: rejected as a whole ---------------------------------------------------------


@pytest.mark.parametrize(
    ("bsn", "message"),
    [
        ("111222334", "fails the 11-check"),
        ("1112223334", "A BSN has 9 digits."),
        ("11122233A", "digits only"),
        ("000000000", "This is not a valid BSN."),
    ],
)
def test_an_invalid_bsn_is_refused_and_not_stored(newcomer, bsn, message):
    with pytest.raises(ValidationError) as error:
        services.record_bsn(newcomer, bsn, days_ago(10))

    assert message in " ".join(error.value.message_dict["bsn"])
    assert bsn not in str(error.value)  # the BSN is never repeated in a message
    assert stored(newcomer).bsn is None


def test_a_bsn_assigned_in_the_future_is_refused(newcomer):
    with pytest.raises(ValidationError) as error:
        services.record_bsn(newcomer, VALID_BSN, timezone.localdate() + timedelta(days=1))

    assert error.value.message_dict["bsn_assigned_on"] == ["This date lies in the future."]
    assert stored(newcomer).bsn is None


def test_a_permit_that_ends_before_it_starts_is_refused(newcomer):
    with pytest.raises(ValidationError) as error:
        record_permit(newcomer, valid_from=days_ago(10), valid_until=days_ago(20))

    assert error.value.message_dict["valid_until"] == ["A permit cannot end before it starts."]
    assert not ResidencePermit.objects.exists()


def test_a_registration_with_a_bad_postcode_or_a_future_date_is_refused(newcomer, utrecht):
    with pytest.raises(ValidationError) as error:
        record_registration(newcomer, utrecht, postcode="0123 AB",
                            registered_on=timezone.localdate() + timedelta(days=3))

    assert "Enter a Dutch postcode" in error.value.message_dict["postcode"][0]
    assert error.value.message_dict["registered_on"] == ["This date lies in the future."]
    assert not MunicipalRegistration.objects.exists()


def test_a_failed_record_leaves_the_case_state_as_it_was(ready_newcomer):
    registration = ready_newcomer.registrations.get()
    with pytest.raises(ValidationError):
        services.record_deregistration(registration, registration.registered_on - timedelta(days=1))

    assert stored(ready_newcomer).ready_on == days_ago(60)
    assert MunicipalRegistration.objects.get().deregistered_on is None

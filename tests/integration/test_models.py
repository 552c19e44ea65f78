"""The database keeps the invariants even when Python validation is bypassed (a bulk import, a
shell, a bug): every bad row below is refused by a constraint, and good rows still go in."""

from contextlib import contextmanager
from datetime import date

import pytest
from django.db import IntegrityError, connection, transaction

from integration.choices import DecisionReason, DecisionSource, Outcome, PurposeOfStay, Regime
from integration.models import Municipality, MunicipalRegistration, Newcomer, ObligationDecision, ResidencePermit
from letters.models import Letter, LetterKind, LetterStatus

pytestmark = pytest.mark.django_db

VALID_BSN = "111222333"

@contextmanager
def refused_by_the_database():
    """Expect an IntegrityError, in a savepoint so the test's transaction stays usable."""
    with pytest.raises(IntegrityError), transaction.atomic():
        yield


def newcomer_fields(**overrides):
    return {"given_names": "Yonas", "surname": "Tesfay", "date_of_birth": date(1995, 3, 2), "nationality": "ER",
            **overrides}


@pytest.fixture
def newcomer():
    return Newcomer.objects.create(**newcomer_fields())


def test_a_valid_bsn_is_stored():
    person = Newcomer.objects.create(**newcomer_fields(bsn=VALID_BSN, bsn_assigned_on=date(2024, 1, 5)))
    assert Newcomer.objects.get(pk=person.pk).bsn == VALID_BSN


@pytest.mark.parametrize(
    "bsn",
    [
        "111222334",  # fails the 11-check
        "11122233",  # 8 digits: the column holds 9
        "1112223",  # 7 digits
        "000000000",  # passes the 11-check arithmetic, but is no BSN
        "111 22233",  # a space
    ],
)
def test_the_database_refuses_an_invalid_bsn(bsn):
    with refused_by_the_database():
        Newcomer.objects.create(**newcomer_fields(bsn=bsn, bsn_assigned_on=date(2024, 1, 5)))


def test_the_database_refuses_a_bsn_with_letters():
    with refused_by_the_database():
        Newcomer.objects.create(**newcomer_fields(bsn="11122233A", bsn_assigned_on=date(2024, 1, 5)))


def test_a_bulk_insert_with_one_bad_bsn_stores_nothing():
    rows = [
        Newcomer(**newcomer_fields(bsn=VALID_BSN, bsn_assigned_on=date(2024, 1, 5))),
        Newcomer(**newcomer_fields(bsn="123456789", bsn_assigned_on=date(2024, 1, 5))),
    ]
    with refused_by_the_database():
        Newcomer.objects.bulk_create(rows)
    assert not Newcomer.objects.exists()


def test_a_bsn_needs_the_date_it_was_assigned():
    with refused_by_the_database():
        Newcomer.objects.create(**newcomer_fields(bsn=VALID_BSN))


def test_the_derived_ready_date_needs_the_conditions_date():
    with refused_by_the_database():
        Newcomer.objects.create(**newcomer_fields(ready_on=date(2024, 3, 1)))


def test_a_municipality_code_is_gm_and_four_digits():
    Municipality.objects.create(code="GM0363", name="Amsterdam")
    with refused_by_the_database():
        Municipality.objects.create(code="0344", name="Utrecht")


def registration_fields(newcomer, municipality, **overrides):
    return {"newcomer": newcomer, "municipality": municipality, "street": "Oudegracht", "house_number": "1",
            "postcode": "3511 AB", "town": "Utrecht", "registered_on": date(2024, 2, 1), **overrides}


def test_a_registration_with_a_dutch_postcode_is_stored(newcomer, utrecht):
    MunicipalRegistration.objects.create(**registration_fields(newcomer, utrecht))
    assert MunicipalRegistration.objects.count() == 1


@pytest.mark.parametrize("postcode", ["0123 AB", "1234 SA", "1234 SD", "1234 SS", "1234ab", "1234AB", "12345 A"])
def test_the_database_refuses_a_bad_postcode(newcomer, utrecht, postcode):
    with refused_by_the_database():
        MunicipalRegistration.objects.create(**registration_fields(newcomer, utrecht, postcode=postcode))


def test_the_database_refuses_deregistration_before_registration(newcomer, utrecht):
    with refused_by_the_database():
        MunicipalRegistration.objects.create(
            **registration_fields(newcomer, utrecht, registered_on=date(2024, 2, 1),
                                  deregistered_on=date(2024, 1, 31))
        )


def test_the_database_refuses_an_unknown_municipality(newcomer, utrecht):
    with refused_by_the_database():
        MunicipalRegistration.objects.create(**registration_fields(newcomer, None, municipality_id=utrecht.pk + 99))
        # Foreign keys are checked at commit; check now, as a commit would.
        connection.check_constraints()


def permit_fields(newcomer, **overrides):
    return {"newcomer": newcomer, "residence_title": 26, "purpose": PurposeOfStay.ASYLUM,
            "decision_date": date(2024, 1, 10), "valid_from": date(2024, 1, 1), **overrides}


def test_the_database_refuses_a_permit_that_ends_before_it_starts(newcomer):
    ResidencePermit.objects.create(**permit_fields(newcomer, valid_until=date(2024, 1, 1)))  # one day is fine
    with refused_by_the_database():
        ResidencePermit.objects.create(**permit_fields(newcomer, valid_until=date(2023, 12, 31)))


def test_the_database_refuses_an_unknown_residence_title(newcomer):
    permit = ResidencePermit(**permit_fields(newcomer))
    permit.save()
    with refused_by_the_database():
        ResidencePermit.objects.filter(pk=permit.pk).update(residence_title=99)


def decision_fields(newcomer, **overrides):
    return {"newcomer": newcomer, "regime": Regime.WI2021, "outcome": Outcome.OBLIGED,
            "reason": DecisionReason.OBLIGED_BY_RULE, "decided_on": date(2024, 2, 1),
            "source": DecisionSource.REGISTRY_FEED, **overrides}


def test_the_database_refuses_an_obliged_voluntary_decision(newcomer):
    with refused_by_the_database():
        ObligationDecision.objects.create(**decision_fields(newcomer, regime=Regime.VOLUNTARY))


def test_a_staff_decision_must_name_its_author(newcomer):
    ObligationDecision.objects.create(**decision_fields(newcomer))  # the registry feed has no author
    with refused_by_the_database():
        ObligationDecision.objects.create(**decision_fields(newcomer, source=DecisionSource.DUO_STAFF))


def start_letter(newcomer, **overrides):
    fields = {"newcomer": newcomer, "kind": LetterKind.START_DATE, "regime": Regime.WI2021, **overrides}
    return Letter.objects.create(**fields)


def test_the_database_refuses_a_second_start_date_letter_for_one_obligation(newcomer):
    start_letter(newcomer, status=LetterStatus.FAILED)
    with refused_by_the_database():
        start_letter(newcomer)


def test_a_cancelled_letter_or_a_correction_is_not_a_second_letter(newcomer):
    start_letter(newcomer, status=LetterStatus.CANCELLED)
    first = start_letter(newcomer)
    start_letter(newcomer, corrects=first)
    start_letter(newcomer, obligation_number=2)  # another obligation (after leaving the country), another letter

    assert Letter.objects.filter(newcomer=newcomer).count() == 4

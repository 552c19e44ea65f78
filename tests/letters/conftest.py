"""People who are ready for their start-date letter, made two ways.

`make_ready_newcomer` goes through the integration services one condition at a time, as the
registry feed and DUO staff do, so the letter is requested by the real signal. `bulk_ready_people`
loads many people at once the way a bulk import does (facts inserted in bulk, the derived case
state set from the rules), leaving the letters to the sweep.
"""

from __future__ import annotations

from datetime import date

import pytest
from django.utils import timezone

from integration import rules, services
from integration.choices import DecisionReason, DecisionSource, Outcome, PurposeOfStay, Regime
from integration.models import (
    MunicipalRegistration,
    Newcomer,
    ObligationDecision,
    ResidencePermit,
)
from tests.factories import utrecht, valid_bsns
from tests.letters.smtp_server import smtp_inbox  # noqa: F401 - a fixture: a real SMTP server for the test

BSN_ASSIGNED_ON = date(2024, 3, 1)
PERMIT_DECIDED_ON = date(2024, 2, 12)
REGISTERED_ON = date(2024, 3, 5)  # the last condition: the ready date
RESIDENCE_TITLE = 21  # regular fixed term, Vw2000 art 8a


def _person(surname: str, given_names: str, email: str) -> Newcomer:
    return Newcomer(given_names=given_names, surname=surname, date_of_birth=date(1990, 6, 15),
                    nationality="SY", email=email)


def make_ready_newcomer(*, bsn: str = "111222333", surname: str = "Haddad", given_names: str = "Amira",
                        email: str = "amira@example.org", registered: bool = True) -> Newcomer:
    """A person who becomes ready through the services; the last fact recorded is the
    registration, and with it the start-date letter is requested. With `registered=False` the
    person stops one fact short of ready."""
    newcomer = _person(surname, given_names, email)
    newcomer.save()
    services.record_bsn(newcomer, bsn, BSN_ASSIGNED_ON)
    services.record_permit(newcomer, residence_title=RESIDENCE_TITLE, purpose=PurposeOfStay.FAMILY,
                           decision_date=PERMIT_DECIDED_ON, valid_from=PERMIT_DECIDED_ON)
    services.record_decision(newcomer, regime=Regime.WI2021, outcome=Outcome.OBLIGED,
                             reason=DecisionReason.OBLIGED_BY_RULE, decided_on=PERMIT_DECIDED_ON,
                             source=DecisionSource.REGISTRY_FEED)
    if registered:
        services.record_registration(newcomer, municipality=utrecht(), street="Oudegracht", house_number="12",
                                     postcode="3511 AB", town="Utrecht", registered_on=REGISTERED_ON)
    newcomer.refresh_from_db()
    return newcomer


def bulk_ready_people(count_: int, *, surnames: dict[int, str] | None = None, first_bsn: int = 20_000_000
                      ) -> list[int]:
    """`count_` ready people with no letter yet, as a bulk import leaves them; returns their ids
    in id order. `surnames` gives chosen people (by position) a particular surname."""
    surnames = surnames or {}
    bsns = valid_bsns(first_bsn)
    people = []
    for position in range(count_):
        person = _person(surnames.get(position, f"Persoon{position:05d}"), "Sam", f"p{position}@example.org")
        person.bsn, person.bsn_assigned_on = next(bsns), BSN_ASSIGNED_ON
        people.append(person)
    people = Newcomer.objects.bulk_create(people)
    municipality = utrecht()
    article = rules.vw_article_for_residence_title(RESIDENCE_TITLE)
    ResidencePermit.objects.bulk_create(
        ResidencePermit(newcomer=p, residence_title=RESIDENCE_TITLE, article=article, purpose=PurposeOfStay.FAMILY,
                        decision_date=PERMIT_DECIDED_ON, valid_from=PERMIT_DECIDED_ON) for p in people)
    MunicipalRegistration.objects.bulk_create(
        MunicipalRegistration(newcomer=p, municipality=municipality, street="Oudegracht", house_number=str(i + 1),
                              postcode="3511 AB", town="Utrecht", registered_on=REGISTERED_ON)
        for i, p in enumerate(people))
    ObligationDecision.objects.bulk_create(
        ObligationDecision(newcomer=p, regime=Regime.WI2021, outcome=Outcome.OBLIGED,
                           reason=DecisionReason.OBLIGED_BY_RULE, decided_on=PERMIT_DECIDED_ON,
                           source=DecisionSource.REGISTRY_FEED) for p in people)
    # Everyone has the same facts, so the rules give everyone the same derived state.
    met = rules.conditions_met_on(
        BSN_ASSIGNED_ON,
        rules.PermitFacts(article, PurposeOfStay.FAMILY, PERMIT_DECIDED_ON, PERMIT_DECIDED_ON),
        rules.RegistrationFacts(REGISTERED_ON),
        timezone.localdate(),
    )
    ready = rules.ready_date(met, rules.DecisionFacts(Regime.WI2021, Outcome.OBLIGED))
    assert ready == REGISTERED_ON
    ids = sorted(p.pk for p in people)
    Newcomer.objects.filter(pk__in=ids).update(conditions_met_on=met, ready_on=ready, start_letter_owed=True)
    return ids


def events(letter) -> list[str]:
    """What happened to a letter, in order (its timeline's event names)."""
    return list(letter.events.values_list("event", flat=True))


def stored_files(storage_root) -> list[str]:
    """The PDF files in the letters' storage folder, by their names in storage, sorted."""
    return sorted(path.relative_to(storage_root).as_posix() for path in storage_root.rglob("*.pdf"))


@pytest.fixture
def ready_newcomer(db) -> Newcomer:
    return make_ready_newcomer()


@pytest.fixture
def new_ready_newcomer():
    """Factory: `new_ready_newcomer(bsn=..., surname=...)`; the test asks for a database itself."""
    return make_ready_newcomer


@pytest.fixture
def ready_people():
    """Factory: `ready_people(count, surnames={position: surname})` → ids, as a bulk import leaves them."""
    return bulk_ready_people

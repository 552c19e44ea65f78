"""Newcomers in each situation of DOMAIN.md §3, built through the integration services the way
the registry feed and DUO staff build them, so the derived case state is the real one."""

from __future__ import annotations

from datetime import date, timedelta
from itertools import count

from django.utils import timezone

from integration import services
from integration.choices import DecisionReason, DecisionSource, Outcome, PurposeOfStay, Regime
from integration.models import Municipality, Newcomer
from letters import services as letter_services
from letters.models import Letter, LetterKind, LetterStatus


def days_ago(days: int) -> date:
    return timezone.localdate() - timedelta(days=days)


def valid_bsns(first: int = 20_000_000):
    """Distinct BSNs that pass the 11-check."""
    weights = (9, 8, 7, 6, 5, 4, 3, 2)
    for prefix in count(first):
        digits = f"{prefix:08d}"
        check = sum(int(d) * w for d, w in zip(digits, weights, strict=True)) % 11
        if check < 10:
            yield digits + str(check)


_bsns = valid_bsns()


def municipality(code="GM0344", name="Utrecht") -> Municipality:
    return Municipality.objects.get_or_create(code=code, defaults={"name": name})[0]


def newcomer(given_names="Amal", surname="Haddad", *, bsn_days_ago: int | None = 100, bsn: str | None = None,
             nationality="SY") -> Newcomer:
    person = Newcomer.objects.create(given_names=given_names, surname=surname, date_of_birth=date(1990, 5, 1),
                                     nationality=nationality)
    if bsn_days_ago is not None:
        person = services.record_bsn(person, bsn or next(_bsns), days_ago(bsn_days_ago))
    return person


def permit(person, *, decided_days_ago=90, decision_date=None, residence_title=26, purpose=PurposeOfStay.ASYLUM):
    decided = decision_date or days_ago(decided_days_ago)
    return services.record_permit(person, residence_title=residence_title, purpose=purpose,
                                  decision_date=decided, valid_from=decided, valid_until=None)


def registration(person, *, registered_days_ago=80, where=None):
    return services.record_registration(
        person, municipality=where or municipality(), street="Oudegracht", house_number="1",
        postcode="3511 AB", town="Utrecht", registered_on=days_ago(registered_days_ago))


def decision(person, regime=Regime.WI2021, outcome=Outcome.OBLIGED, reason=DecisionReason.OBLIGED_BY_RULE):
    return services.record_decision(person, regime=regime, outcome=outcome, reason=reason,
                                    decided_on=timezone.localdate(), source=DecisionSource.REGISTRY_FEED)


def ready(given_names="Amal", surname="Haddad", *, ready_days_ago=10, regime=Regime.WI2021,
          decision_date=None) -> Newcomer:
    """All three conditions met `ready_days_ago` days ago (the registration came last), obliged."""
    person = newcomer(given_names, surname, bsn_days_ago=ready_days_ago + 20)
    permit(person, decided_days_ago=ready_days_ago + 10, decision_date=decision_date)
    registration(person, registered_days_ago=ready_days_ago)
    decision(person, regime=regime)
    return Newcomer.objects.get(pk=person.pk)


def issue_start_letter(person) -> Letter:
    """Issue the requested start-date letter through the real letter service (renders the PDF).

    Where commits happen (transactional tests) the eager task may have issued it already.
    """
    letter = Letter.objects.get(newcomer=person, kind=LetterKind.START_DATE)
    letter_services.issue(letter.pk)
    letter.refresh_from_db()
    assert letter.status == LetterStatus.ISSUED, letter.last_error
    return letter

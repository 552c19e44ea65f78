"""Writes to a person's case. Each one runs in a transaction, validates fully before saving
(nothing half-saved), recomputes the derived case state with the rules, and announces the
change so other apps (the letters) can act after commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.db import transaction
from django.dispatch import Signal
from django.utils import timezone

from . import rules
from .choices import DecisionSource
from .models import MunicipalRegistration, Newcomer, ObligationDecision, ResidencePermit
from .validators import normalise_bsn

# Sent inside the transaction after a newcomer's case state was recomputed.
# Receivers get `newcomer` (locked, fresh) and must do their own work in the same transaction.
case_state_changed = Signal()


@dataclass(frozen=True)
class CaseState:
    conditions_met_on: date | None
    ready_on: date | None
    start_letter_owed: bool


def compute_case_state(newcomer: Newcomer, on: date) -> CaseState:
    """Apply the rules to a newcomer's current facts (reads permits, registrations, decisions)."""
    permit = newcomer.current_permit(on)
    registration = newcomer.current_registration(on)
    decision = newcomer.current_decision()
    decision_facts = decision.facts() if decision else None
    met = rules.conditions_met_on(
        newcomer.bsn_assigned_on if newcomer.bsn else None,
        permit.facts() if permit else None,
        registration.facts() if registration else None,
        on,
    )
    return CaseState(met, rules.ready_date(met, decision_facts), rules.letter_may_apply(decision_facts))


def refresh_case_state(newcomer: Newcomer, on: date | None = None) -> CaseState:
    """Recompute and store the derived fields of a case; the one place they are written."""
    on = on or timezone.localdate()
    state = compute_case_state(newcomer, on)
    previous = Newcomer.objects.filter(pk=newcomer.pk).values_list("conditions_met_on", flat=True).first()
    if previous and state.conditions_met_on and previous < state.conditions_met_on:
        # A move or a renewed permit while the conditions kept holding does not restart the
        # 8-week clock: the conditions have been met since the earlier day.
        met = previous
        state = CaseState(met, met if state.ready_on else None, state.start_letter_owed)
    Newcomer.objects.filter(pk=newcomer.pk).update(
        conditions_met_on=state.conditions_met_on,
        ready_on=state.ready_on,
        start_letter_owed=state.start_letter_owed,
        updated_at=timezone.now(),
    )
    newcomer.conditions_met_on = state.conditions_met_on
    newcomer.ready_on = state.ready_on
    newcomer.start_letter_owed = state.start_letter_owed
    case_state_changed.send(sender=Newcomer, newcomer=newcomer)
    return state


def _locked(newcomer: Newcomer) -> Newcomer:
    """Re-read the newcomer under a row lock so concurrent writes to one case serialise."""
    return Newcomer.objects.select_for_update().get(pk=newcomer.pk)


def record_bsn(newcomer: Newcomer, bsn: str, assigned_on: date) -> Newcomer:
    with transaction.atomic():
        locked = _locked(newcomer)
        locked.bsn = normalise_bsn(bsn)
        locked.bsn_assigned_on = assigned_on
        locked.full_clean()
        locked.save(update_fields=["bsn", "bsn_assigned_on", "updated_at"])
        refresh_case_state(locked)
    return locked


def record_permit(newcomer: Newcomer, **fields) -> ResidencePermit:
    with transaction.atomic():
        locked = _locked(newcomer)
        permit = ResidencePermit(newcomer=locked, **fields)
        permit.full_clean(exclude=["article"])
        permit.save()
        refresh_case_state(locked)
    return permit


def withdraw_permit(permit: ResidencePermit, withdrawn_on: date) -> ResidencePermit:
    with transaction.atomic():
        locked = _locked(permit.newcomer)
        permit = ResidencePermit.objects.select_for_update().get(pk=permit.pk)
        permit.withdrawn_on = withdrawn_on
        permit.full_clean(exclude=["article"])
        permit.save(update_fields=["withdrawn_on"])
        refresh_case_state(locked)
    return permit


def record_registration(newcomer: Newcomer, **fields) -> MunicipalRegistration:
    with transaction.atomic():
        locked = _locked(newcomer)
        registration = MunicipalRegistration(newcomer=locked, **fields)
        registration.full_clean()
        registration.save()
        refresh_case_state(locked)
    return registration


def record_deregistration(registration: MunicipalRegistration, deregistered_on: date) -> MunicipalRegistration:
    with transaction.atomic():
        locked = _locked(registration.newcomer)
        registration = MunicipalRegistration.objects.select_for_update().get(pk=registration.pk)
        registration.deregistered_on = deregistered_on
        registration.full_clean()
        registration.save(update_fields=["deregistered_on"])
        refresh_case_state(locked)
    return registration


def record_decision(newcomer: Newcomer, *, decided_by=None, source=DecisionSource.DUO_STAFF,
                    **fields) -> ObligationDecision:
    with transaction.atomic():
        locked = _locked(newcomer)
        decision = ObligationDecision(newcomer=locked, decided_by=decided_by, source=source, **fields)
        decision.full_clean()
        decision.save()
        refresh_case_state(locked)
    return decision


def derive_decision_from_registry(newcomer: Newcomer, on: date | None = None) -> ObligationDecision | None:
    """Record the decision the registry facts imply (DOMAIN.md §2 ▶), if a permit is known.

    Never guesses without a permit: such a person stays "being assessed".
    """
    on = on or timezone.localdate()
    permit = newcomer.latest_permit()
    if permit is None:
        return None
    regime, outcome, reason = rules.obligation_by_registry(
        nationality=newcomer.nationality,
        permit=permit.facts(),
        date_of_birth=newcomer.date_of_birth,
        state_pension_age=settings.STATE_PENSION_AGE,
    )
    return record_decision(newcomer, regime=regime, outcome=outcome, reason=reason, decided_on=on,
                           source=DecisionSource.REGISTRY_FEED)

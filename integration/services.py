"""Writes to a person's case. Each one runs in a transaction, validates fully before saving
(nothing half-saved), recomputes the derived case state with the rules, and announces the
change so other apps (the letters) can act after commit.
"""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.dispatch import Signal
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from . import case_facts
from .case_status import CaseStatus, mirror_columns, registry_decision
from .choices import DecisionSource, Regime
from .models import ContactMoment, MunicipalRegistration, Newcomer, ObligationDecision, ResidencePermit
from .rows import update_rows
from .validators import normalise_bsn

# Sent inside the transaction after a newcomer's case state was recomputed.
# Receivers get `newcomer` (locked, fresh) and `status` (the CaseStatus just stored) and must
# do their own work in the same transaction.
case_state_changed = Signal()


def refresh_case_state(newcomer: Newcomer, on: date | None = None) -> CaseStatus:
    """Compute the person's status with `case_status` and store its SQL mirror; the one place
    the derived columns are written. Call it with the newcomer's row locked, in the transaction
    that changed a fact, so the columns never disagree with the facts."""
    status = case_facts.status_of_loaded(case_facts.load(newcomer.pk), on or timezone.localdate())
    _store_case_state(newcomer, status)
    return status


def refresh_case_states(newcomers: list[Newcomer], on: date | None = None) -> dict[int, CaseStatus]:
    """`refresh_case_state` for several people whose rows the caller has locked, their facts
    read in one query (issuing a batch of letters)."""
    on, now = on or timezone.localdate(), timezone.now()
    loaded = {person.pk: person
              for person in case_facts.with_case_facts(Newcomer.objects.filter(pk__in=[n.pk for n in newcomers]))}
    statuses, columns = {}, []
    for newcomer in newcomers:
        statuses[newcomer.pk] = status = case_facts.status_of_loaded(loaded[newcomer.pk], on)
        columns = _set_case_state(newcomer, status, now)
    update_rows(newcomers, [*columns, "updated_at"])  # every person's in one statement
    for newcomer in newcomers:
        case_state_changed.send(sender=Newcomer, newcomer=newcomer, status=statuses[newcomer.pk])
    return statuses


def _store_case_state(newcomer: Newcomer, status: CaseStatus) -> None:
    """Store the status's SQL mirror and announce the change (see `refresh_case_state`)."""
    columns = _set_case_state(newcomer, status, timezone.now())
    update_rows([newcomer], [*columns, "updated_at"])
    case_state_changed.send(sender=Newcomer, newcomer=newcomer, status=status)


def _set_case_state(newcomer: Newcomer, status: CaseStatus, now) -> list[str]:
    """Put the status's SQL mirror on the newcomer in memory; the names of its columns."""
    columns = mirror_columns(status)
    for name, value in columns.items():
        setattr(newcomer, name, value)
    newcomer.updated_at = now
    return list(columns)


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


def regime_deviation(newcomer: Newcomer, regime: str, on: date | None = None) -> str | None:
    """The regime the dates call for when `regime` is another one (DOMAIN.md §8 ▶), else None.

    Voluntary integration is a choice, not a matter of dates; without a permit nothing can be
    checked yet.
    """
    if regime == Regime.VOLUNTARY:
        return None
    fitting = case_facts.status_for(newcomer.pk, on).regime_by_dates
    return fitting if fitting is not None and fitting != regime else None


def record_decision(newcomer: Newcomer, *, decided_by=None, source=DecisionSource.DUO_STAFF,
                    regime_override_reason: str = "", **fields) -> ObligationDecision:
    """Record a decision. Its regime must fit the dates of the obligation (DOMAIN.md §2, §8):
    recording another one needs an explicit reason, which is stored with the decision (and
    audited by the caller)."""
    with transaction.atomic():
        locked = _locked(newcomer)
        fitting = regime_deviation(locked, fields.get("regime"))
        if fitting is not None and not regime_override_reason.strip():
            raise ValidationError({"regime": _(
                "The dates of this case call for %(fitting)s, not %(regime)s: the obligation started on "
                "%(start)s. Choose %(fitting)s, or give a reason to deviate.") % {
                "fitting": Regime(fitting).label, "regime": Regime(fields["regime"]).label,
                "start": _start_text(locked)}}, code="regime_does_not_fit")
        decision = ObligationDecision(newcomer=locked, decided_by=decided_by, source=source,
                                      regime_override_reason=regime_override_reason.strip() if fitting else "",
                                      **fields)
        decision.full_clean()
        decision.save()
        refresh_case_state(locked)
    return decision


def _start_text(newcomer: Newcomer) -> str:
    status = case_facts.status_for(newcomer.pk)
    day = status.obligation.starts_on if status.obligation else None
    return date_format(day) if day else "–"


def derive_decision_from_registry(newcomer: Newcomer, on: date | None = None) -> ObligationDecision | None:
    """Record the decision the registry facts imply (DOMAIN.md §2, §8 ▶), if a permit is known
    and the outcome differs from the decision in force. Never guesses without a permit: such a
    person stays "being assessed"."""
    on = on or timezone.localdate()
    loaded = case_facts.load(newcomer.pk)
    status = case_facts.status_of_loaded(loaded, on)
    derived = registry_decision(case_facts.facts_of(loaded), on, case_facts.pension_ages())
    if derived is None:
        return None
    regime, outcome, reason = derived
    current = status.decision
    if current is not None and (current.regime, current.outcome, current.reason) == (regime, outcome, reason):
        return None
    return record_decision(newcomer, regime=regime, outcome=outcome, reason=reason, decided_on=on,
                           source=DecisionSource.REGISTRY_FEED)


def rederive_case(newcomer: Newcomer, on: date | None = None) -> CaseStatus:
    """Time passed (a birthday, a permit's end, the 8 weeks): derive the case again, as a fact
    change would. A decision that came from the registry feed is derived again too (a person
    who turns 18 becomes obliged, DOMAIN.md §8); a staff decision stays as DUO made it."""
    on = on or timezone.localdate()
    with transaction.atomic():
        locked = _locked(newcomer)
        status = case_facts.status_for(locked.pk, on)
        if status.decision is not None and status.decision.source == DecisionSource.REGISTRY_FEED:
            derive_decision_from_registry(locked, on)
        return refresh_case_state(locked, on)


def cases_to_rederive(on: date, batch_size: int = 500, after_id: int = 0):
    """People whose status changes by `on` without a new fact, found by `newcomer_review_idx`."""
    return (Newcomer.objects.filter(case_review_on__lte=on, pk__gt=after_id).order_by("pk")
            .values_list("pk", flat=True)[:batch_size])


def record_contact(newcomer: Newcomer, *, contacted_on: date, subject: str, note: str, recorded_by) -> ContactMoment:
    """A person contacted DUO (about a missing letter, for example), recorded by DUO staff."""
    with transaction.atomic():
        contact = ContactMoment(newcomer=newcomer, contacted_on=contacted_on, subject=subject, note=note,
                                recorded_by=recorded_by)
        contact.full_clean()
        contact.save()
    return contact

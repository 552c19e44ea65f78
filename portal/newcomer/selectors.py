"""Everything the newcomer pages show, fetched in a fixed number of queries.

One query for the person with their decision in force and their start-date letter as
annotations, one for their permits and one for their registrations (with the municipality),
whatever the size of the database or of their history.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import OuterRef, Prefetch, Subquery
from django.utils import timezone

from integration import rules
from integration.choices import DecisionReason, Outcome, Regime
from integration.models import MunicipalRegistration, Newcomer, ObligationDecision, ResidencePermit
from letters.models import Letter, LetterKind, LetterStatus


@dataclass(frozen=True)
class Condition:
    """One of the three conditions as the person sees it."""

    key: str  # bsn, permit, registration
    met: bool
    on: date | None
    lapsed: bool = False  # there was one, but it ended or was withdrawn
    municipality: str = ""


@dataclass(frozen=True)
class Situation:
    """What the overview says, as plain values; the template only words it."""

    newcomer: Newcomer
    today: date
    conditions: tuple[Condition, Condition, Condition]
    regime: str | None  # None: being assessed
    outcome: str | None
    reason: str | None
    conditions_met_on: date | None
    ready_on: date | None
    letter_expected_by: date | None
    overdue: bool
    start_date: date | None  # from the issued start-date letter
    letter_issued_on: date | None
    period: tuple[date, date] | None

    @property
    def being_assessed(self):
        return self.regime is None

    @property
    def obliged(self):
        return self.outcome == Outcome.OBLIGED and self.regime in (Regime.WI2013, Regime.WI2021)

    @property
    def old_rules(self):
        return self.regime == Regime.PRE_2013

    @property
    def voluntary(self):
        return self.regime == Regime.VOLUNTARY

    @property
    def not_obliged(self):
        return self.regime in (Regime.WI2013, Regime.WI2021) and self.outcome != Outcome.OBLIGED

    @property
    def reason_label(self):
        return DecisionReason(self.reason).label if self.reason else ""

    @property
    def letter_issued(self):
        return self.letter_issued_on is not None

    def case_facts(self) -> rules.CaseFacts:
        """The facts the step-by-step plan is computed from; only an obligation has a route."""
        return rules.CaseFacts(
            regime=self.regime if self.obliged else None,
            obligation_start=self.start_date,
            conditions_met_on=self.conditions_met_on,
            start_letter_issued_on=self.letter_issued_on,
        )

    def steps(self) -> list[rules.Step]:
        return rules.route_steps(self.case_facts())


def _with_case(queryset):
    latest_decision = ObligationDecision.objects.filter(newcomer=OuterRef("pk")).order_by("-decided_on", "-pk")
    # A correction is a later letter; the latest issued one holds the date that counts.
    start_letter = Letter.objects.filter(
        newcomer=OuterRef("pk"), kind=LetterKind.START_DATE, status=LetterStatus.ISSUED,
    ).order_by("-issued_at", "-pk")
    return queryset.annotate(
        decision_regime=Subquery(latest_decision.values("regime")[:1]),
        decision_outcome=Subquery(latest_decision.values("outcome")[:1]),
        decision_reason=Subquery(latest_decision.values("reason")[:1]),
        letter_start_date=Subquery(start_letter.values("start_date")[:1]),
    ).prefetch_related(
        Prefetch("permits", queryset=ResidencePermit.objects.all()),
        Prefetch("registrations", queryset=MunicipalRegistration.objects.select_related("municipality")),
    )


def _permit_condition(newcomer: Newcomer, today: date) -> Condition:
    permit = newcomer.current_permit(today)
    if permit is not None:
        return Condition("permit", True, max(permit.decision_date, permit.valid_from))
    return Condition("permit", False, None, lapsed=newcomer.latest_permit() is not None)


def _registration_condition(newcomer: Newcomer, today: date) -> Condition:
    registration = newcomer.current_registration(today)
    if registration is not None:
        return Condition("registration", True, registration.registered_on,
                         municipality=registration.municipality.name)
    return Condition("registration", False, None, lapsed=bool(newcomer.registrations.all()))


def situation_for(newcomer_id: int, today: date | None = None) -> Situation:
    """The newcomer's situation on `today`; raises Newcomer.DoesNotExist for an unknown id."""
    today = today or timezone.localdate()
    newcomer = _with_case(Newcomer.objects.filter(pk=newcomer_id)).get()
    regime, outcome = newcomer.decision_regime, newcomer.decision_outcome
    ready = newcomer.ready_on
    start_date = newcomer.letter_start_date if newcomer.start_letter_issued_on else None
    period = None
    if regime is not None and outcome == Outcome.OBLIGED and start_date is not None:
        # WI2021 needs the first PIP's date, which the portal does not hold yet.
        period = rules.integration_period(regime, start_date, None)
    bsn_condition = Condition("bsn", bool(newcomer.bsn), newcomer.bsn_assigned_on if newcomer.bsn else None)
    return Situation(
        newcomer=newcomer,
        today=today,
        conditions=(bsn_condition, _permit_condition(newcomer, today), _registration_condition(newcomer, today)),
        regime=regime,
        outcome=outcome,
        reason=newcomer.decision_reason,
        conditions_met_on=newcomer.conditions_met_on,
        ready_on=ready,
        letter_expected_by=rules.letter_expected_by(ready) if ready else None,
        overdue=rules.is_overdue(ready, newcomer.start_letter_issued_on, today),
        start_date=start_date,
        letter_issued_on=newcomer.start_letter_issued_on,
        period=period,
    )

"""Everything the newcomer pages show, fetched in one query whatever the size of the database
or of the person's history.

That query fetches the person with, as annotations, their decision in force, their start-date
letter, their plan (PIP), the intake appointments the overview mentions, and their permits and
registrations (with the municipality) as JSON. The intake page lists all appointments with one
more query.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from functools import cache

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Aggregate, JSONField, OuterRef, Subquery
from django.db.models.functions import JSONObject, Now
from django.utils import timezone

from integration import rules
from integration.choices import DecisionReason, Outcome, Regime
from integration.models import (
    IntakeAppointment,
    IntakeKind,
    IntakeStatus,
    MunicipalRegistration,
    Newcomer,
    ObligationDecision,
    PersonalPlan,
    ResidencePermit,
)
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
class NextIntake:
    """The first planned intake appointment still to come, as the overview announces it."""

    kind: str
    starts_at: datetime
    location: str

    @property
    def kind_label(self):
        return IntakeKind(self.kind).label


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
    first_pip_on: date | None = None  # the first plan fixes the WI2021 period
    route: str | None = None  # from the latest plan: a revision may change the route
    intake_completed_on: date | None = None
    next_intake: NextIntake | None = None

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

    @property
    def has_intake(self):
        """The brede intake and the PIP exist only under the 2021 act."""
        return self.obliged and self.regime == Regime.WI2021

    def case_facts(self) -> rules.CaseFacts:
        """The facts the step-by-step plan is computed from; only an obligation has a route."""
        return rules.CaseFacts(
            regime=self.regime if self.obliged else None,
            obligation_start=self.start_date,
            conditions_met_on=self.conditions_met_on,
            start_letter_issued_on=self.letter_issued_on,
            intake_completed_on=self.intake_completed_on,
            first_pip_on=self.first_pip_on,
            route=self.route,
        )

    def steps(self) -> list[rules.Step]:
        return rules.route_steps(self.case_facts())


class _JSONRows(Aggregate):
    """The grouped rows as one JSON array: `JSONB_AGG` on PostgreSQL, `JSON_GROUP_ARRAY` on SQLite."""

    function = "JSONB_AGG"
    output_field = JSONField()

    def as_sqlite(self, compiler, connection, **extra_context):
        return super().as_sql(compiler, connection, function="JSON_GROUP_ARRAY", **extra_context)


def _json_rows(queryset, **fields):
    """A subquery giving the person's rows of `queryset` as a JSON array of objects (NULL: none)."""
    return Subquery(
        queryset.filter(newcomer=OuterRef("pk")).order_by().values("newcomer")
        .annotate(rows=_JSONRows(JSONObject(**fields))).values("rows")
    )


def _with_case(queryset):
    latest_decision = ObligationDecision.objects.filter(newcomer=OuterRef("pk")).order_by("-decided_on", "-pk")
    # A correction is a later letter; the latest issued one holds the date that counts.
    start_letter = Letter.objects.filter(
        newcomer=OuterRef("pk"), kind=LetterKind.START_DATE, status=LetterStatus.ISSUED,
    ).order_by("-issued_at", "-pk")
    # The first plan is the one that revises nothing (one per person, a database constraint).
    first_plan = PersonalPlan.objects.filter(newcomer=OuterRef("pk"), revision_of__isnull=True)
    latest_plan = PersonalPlan.objects.filter(newcomer=OuterRef("pk")).order_by("-plan_date", "-pk")
    intakes = IntakeAppointment.objects.filter(newcomer=OuterRef("pk"))
    last_attended = intakes.filter(status=IntakeStatus.COMPLETED).order_by("-starts_at")
    # The database's clock, so the query holds no moment of its own and can be reused.
    next_planned = intakes.filter(status=IntakeStatus.PLANNED, ends_at__gt=Now()).order_by("starts_at", "pk")
    # Each subquery costs PostgreSQL planning time on every page: values read from the same row
    # come in one subquery, as a JSON object.
    return queryset.annotate(
        decision=Subquery(latest_decision.values(
            json=JSONObject(regime="regime", outcome="outcome", reason="reason"))[:1]),
        letter_start_date=Subquery(start_letter.values("start_date")[:1]),
        first_pip_date=Subquery(first_plan.values("plan_date")[:1]),
        plan_route=Subquery(latest_plan.values("route")[:1]),
        intake_attended_at=Subquery(last_attended.values("starts_at")[:1]),
        next_intake_starts_at=Subquery(next_planned.values("starts_at")[:1]),
        next_intake=Subquery(next_planned.values(json=JSONObject(kind="kind", location="location"))[:1]),
        # Permits and registrations ride along as JSON: a person has a handful of each, and a
        # query of their own would cost a round trip and an ORM compilation per page.
        permit_rows=_json_rows(
            ResidencePermit.objects, id="pk", article="article", purpose="purpose",
            decision_date="decision_date", valid_from="valid_from", valid_until="valid_until",
            withdrawn_on="withdrawn_on",
        ),
        registration_rows=_json_rows(
            MunicipalRegistration.objects, id="pk", registered_on="registered_on",
            deregistered_on="deregistered_on", municipality="municipality__name",
        ),
    )


class _CaseQuery:
    """The newcomer query with every annotation, compiled to SQL once per process.

    Turning the ORM expression into SQL costs more than PostgreSQL takes to run it, on every
    page a newcomer opens; the SQL differs between people only in the primary key. So the query
    is compiled once for a placeholder id, and each request runs that SQL with the person's id
    and turns the row into a Newcomer with the compiler's own converters, as the ORM would.
    """

    _PLACEHOLDER_ID = -7_211_000_003  # never a real id: ids are positive

    def __init__(self, using: str):
        queryset = _with_case(Newcomer.objects.order_by()).filter(pk=self._PLACEHOLDER_ID)
        self.using = using
        self.compiler = queryset.query.get_compiler(using=using)
        self.sql, params = self.compiler.as_sql()
        positions = [index for index, param in enumerate(params) if param == self._PLACEHOLDER_ID]
        if len(positions) != 1:
            raise RuntimeError("the newcomer id is not a single parameter of the compiled query")
        self.params, self.id_position = list(params), positions[0]
        select_fields = self.compiler.klass_info["select_fields"]
        self.fields = slice(select_fields[0], select_fields[-1] + 1)
        self.field_names = [column[0].target.attname for column in self.compiler.select[self.fields]]

    def get(self, newcomer_id: int) -> Newcomer:
        params = list(self.params)
        params[self.id_position] = int(newcomer_id)
        with connections[self.using].cursor() as cursor:
            cursor.execute(self.sql, params)
            rows = cursor.fetchall()
        if not rows:
            raise Newcomer.DoesNotExist(f"no newcomer with id {newcomer_id}")
        # The converters (dates on SQLite, JSON) only read the compiling connection's settings,
        # so one compiler serves every thread.
        row = next(iter(self.compiler.results_iter(results=[rows])))
        newcomer = Newcomer.from_db(self.using, self.field_names, row[self.fields])
        for name, position in self.compiler.annotation_col_map.items():
            setattr(newcomer, name, row[position])
        return newcomer


@cache
def _case_query(using: str = DEFAULT_DB_ALIAS) -> _CaseQuery:
    return _CaseQuery(using)


def _day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


@dataclass(frozen=True)
class _Permit:
    id: int
    facts: rules.PermitFacts


@dataclass(frozen=True)
class _Registration:
    id: int
    facts: rules.RegistrationFacts
    municipality: str


def _permits(rows) -> list[_Permit]:
    return [_Permit(row["id"], rules.PermitFacts(
        row["article"], row["purpose"], _day(row["decision_date"]), _day(row["valid_from"]),
        _day(row["valid_until"]), _day(row["withdrawn_on"]))) for row in rows or ()]


def _registrations(rows) -> list[_Registration]:
    return [_Registration(row["id"], rules.RegistrationFacts(_day(row["registered_on"]),
                                                             _day(row["deregistered_on"])),
                          row["municipality"]) for row in rows or ()]


def _permit_condition(permits: list[_Permit], today: date) -> Condition:
    # As Newcomer.current_permit: the most recent current one counts.
    by_recency = sorted(permits, key=lambda p: (p.facts.valid_from, p.id), reverse=True)
    for permit in by_recency:
        if rules.permit_is_current(permit.facts, today):
            return Condition("permit", True, max(permit.facts.decision_date, permit.facts.valid_from))
    return Condition("permit", False, None, lapsed=bool(permits))


def _registration_condition(registrations: list[_Registration], today: date) -> Condition:
    # As Newcomer.current_registration: the most recent current one counts.
    by_recency = sorted(registrations, key=lambda r: (r.facts.registered_on, r.id), reverse=True)
    for registration in by_recency:
        if rules.registration_is_current(registration.facts, today):
            return Condition("registration", True, registration.facts.registered_on,
                             municipality=registration.municipality)
    return Condition("registration", False, None, lapsed=bool(registrations))


def _next_intake(newcomer: Newcomer) -> NextIntake | None:
    if newcomer.next_intake_starts_at is None:
        return None
    return NextIntake(newcomer.next_intake["kind"], newcomer.next_intake_starts_at, newcomer.next_intake["location"])


def situation_for(newcomer_id: int, today: date | None = None) -> Situation:
    """The newcomer's situation on `today`; raises Newcomer.DoesNotExist for an unknown id."""
    today = today or timezone.localdate()
    newcomer = _case_query().get(newcomer_id)
    decision_in_force = newcomer.decision or {}
    regime, outcome = decision_in_force.get("regime"), decision_in_force.get("outcome")
    decision = rules.DecisionFacts(regime, outcome) if regime is not None else None
    ready = newcomer.ready_on
    # The 8 weeks also run while DUO has not decided: that delay is DUO's, not the person's.
    clock_start = rules.letter_clock_start(newcomer.conditions_met_on, decision)
    start_date = newcomer.letter_start_date if newcomer.start_letter_issued_on else None
    period = None
    if regime is not None and outcome == Outcome.OBLIGED:
        period = rules.integration_period(regime, start_date, newcomer.first_pip_date)
    attended = newcomer.intake_attended_at
    bsn_condition = Condition("bsn", bool(newcomer.bsn), newcomer.bsn_assigned_on if newcomer.bsn else None)
    return Situation(
        newcomer=newcomer,
        today=today,
        conditions=(bsn_condition, _permit_condition(_permits(newcomer.permit_rows), today),
                    _registration_condition(_registrations(newcomer.registration_rows), today)),
        regime=regime,
        outcome=outcome,
        reason=decision_in_force.get("reason"),
        conditions_met_on=newcomer.conditions_met_on,
        ready_on=ready,
        letter_expected_by=rules.letter_expected_by(clock_start) if clock_start else None,
        overdue=rules.is_overdue(clock_start, newcomer.start_letter_issued_on, today),
        start_date=start_date,
        letter_issued_on=newcomer.start_letter_issued_on,
        period=period,
        first_pip_on=newcomer.first_pip_date,
        route=newcomer.plan_route,
        intake_completed_on=timezone.localdate(attended) if attended else None,
        next_intake=_next_intake(newcomer),
    )


def intakes_for(newcomer_id: int):
    """All the person's intake appointments, in time order, with the municipality (one query)."""
    return IntakeAppointment.objects.filter(newcomer_id=newcomer_id).select_related("municipality").order_by(
        "starts_at", "pk")

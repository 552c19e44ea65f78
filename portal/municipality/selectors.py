"""Reads for the municipal workspace, every one scoped to the officer's municipality.

"In the municipality" means: the person's current registration (the latest one that holds
today, as `Newcomer.current_registration` decides) is there, and the decision in force says
obliged under the 2021 act. A person, appointment or plan outside that scope is not found, so
the views answer 404 and reveal nothing about people elsewhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import Case, Count, Exists, IntegerField, OuterRef, Q, Subquery, Value, When
from django.db.models import CharField as CharFieldType
from django.shortcuts import get_object_or_404
from django.utils import timezone

from integration import rules
from integration.choices import Outcome, Regime
from integration.intakes import no_show_numbers
from integration.models import (
    IntakeAppointment,
    IntakeStatus,
    MunicipalRegistration,
    Newcomer,
    ObligationDecision,
    PersonalPlan,
)
from integration.plans import integration_period_of
from integration.rules import NO_SHOWS_BEFORE_COMPLETING_WITHOUT_PERSON

PIP_DUE_SOON_DAYS = 14  # "approaching": the PIP is due within two weeks


class Stage:
    NEEDS_INTAKE = "needs_intake"
    INTAKE_PLANNED = "intake_planned"
    INTAKE_DONE = "intake_done"
    PIP_WRITTEN = "pip_written"
    ORDER = (NEEDS_INTAKE, INTAKE_PLANNED, INTAKE_DONE, PIP_WRITTEN)


class Due:
    PASSED = "passed"
    APPROACHING = "approaching"


def _current_registrations(today: date):
    return MunicipalRegistration.objects.filter(newcomer=OuterRef("pk"), registered_on__lte=today).filter(
        Q(deregistered_on__isnull=True) | Q(deregistered_on__gt=today)).order_by("-registered_on", "-pk")


def people_in(municipality, today: date | None = None):
    """WI2021-obliged people whose current registration is in `municipality`."""
    today = today or timezone.localdate()
    current = _current_registrations(today)
    decision = ObligationDecision.objects.filter(newcomer=OuterRef("pk")).order_by("-decided_on", "-pk")
    return (
        Newcomer.objects
        # The Exists lets the planner start from the municipality's registrations (indexed).
        .filter(Exists(current.filter(municipality=municipality)))
        .annotate(
            registration_municipality=Subquery(current.values("municipality_id")[:1]),
            registered_on=Subquery(current.values("registered_on")[:1]),
            regime=Subquery(decision.values("regime")[:1]),
            outcome=Subquery(decision.values("outcome")[:1]),
        )
        .filter(registration_municipality=municipality.pk, regime=Regime.WI2021, outcome=Outcome.OBLIGED)
    )


def _with_stage(queryset, now: datetime):
    intakes = IntakeAppointment.objects.filter(newcomer=OuterRef("pk"))
    no_shows = (intakes.filter(status=IntakeStatus.NO_SHOW).order_by().values("newcomer")
                .annotate(n=Count("pk")).values("n"))
    first_plan = PersonalPlan.objects.filter(newcomer=OuterRef("pk"), revision_of__isnull=True)
    return queryset.annotate(
        first_pip_on=Subquery(first_plan.values("plan_date")[:1]),
        attended=Exists(intakes.filter(status=IntakeStatus.COMPLETED)),
        no_shows=Subquery(no_shows[:1], output_field=IntegerField()),
        next_intake_at=Subquery(intakes.filter(status=IntakeStatus.PLANNED).order_by("starts_at")
                                .values("starts_at")[:1]),
    ).annotate(stage=Case(
        When(first_pip_on__isnull=False, then=Value(Stage.PIP_WRITTEN)),
        When(Q(attended=True) | Q(no_shows__gte=NO_SHOWS_BEFORE_COMPLETING_WITHOUT_PERSON),
             then=Value(Stage.INTAKE_DONE)),
        When(next_intake_at__isnull=False, then=Value(Stage.INTAKE_PLANNED)),
        default=Value(Stage.NEEDS_INTAKE), output_field=CharFieldType(),
    ))


def _stage_condition(stage: str) -> Q:
    """The stage as conditions on the person's intakes and plans (the same order as `_with_stage`)."""
    intakes = IntakeAppointment.objects.filter(newcomer=OuterRef("pk"))
    has_plan = Exists(PersonalPlan.objects.filter(newcomer=OuterRef("pk"), revision_of__isnull=True))
    attended = Exists(intakes.filter(status=IntakeStatus.COMPLETED))
    # "at least three no-shows": the third one (by id) exists
    three_no_shows = Exists(intakes.filter(status=IntakeStatus.NO_SHOW).order_by("pk")
                            [NO_SHOWS_BEFORE_COMPLETING_WITHOUT_PERSON - 1:NO_SHOWS_BEFORE_COMPLETING_WITHOUT_PERSON])
    planned = Exists(intakes.filter(status=IntakeStatus.PLANNED))
    intake_done = attended | three_no_shows
    if stage == Stage.PIP_WRITTEN:
        return Q(has_plan)
    if stage == Stage.INTAKE_DONE:
        return ~Q(has_plan) & Q(intake_done)
    if stage == Stage.INTAKE_PLANNED:
        return ~Q(has_plan) & ~Q(intake_done) & Q(planned)
    return ~Q(has_plan) & ~Q(intake_done) & ~Q(planned)


@dataclass(frozen=True)
class WorkListFilters:
    stage: str = ""
    due: str = ""
    name: str = ""
    sort: str = "due"


SORTS = {
    "due": ("registered_on", "surname", "pk"),
    "-due": ("-registered_on", "surname", "pk"),
    "name": ("surname", "given_names", "pk"),
}


def work_list(municipality, filters: WorkListFilters, today: date | None = None):
    today = today or timezone.localdate()
    rows = people_in(municipality, today)
    if filters.stage:
        # Filter with plain EXISTS tests before the per-row stage is computed for the page.
        rows = rows.filter(_stage_condition(filters.stage))
    rows = _with_stage(rows, timezone.now())
    # PIP due = registration + 10 weeks (rules.pip_due_by); compared on the registration date
    # so the database can use it directly.
    due_today = today - timedelta(weeks=rules.PIP_DUE_WEEKS)
    if filters.due == Due.PASSED:
        rows = rows.filter(first_pip_on__isnull=True, registered_on__lt=due_today)
    elif filters.due == Due.APPROACHING:
        rows = rows.filter(first_pip_on__isnull=True, registered_on__gte=due_today,
                           registered_on__lte=due_today + timedelta(days=PIP_DUE_SOON_DAYS))
    if filters.name:
        rows = rows.filter(Q(surname__icontains=filters.name) | Q(given_names__icontains=filters.name))
    return rows.order_by(*SORTS.get(filters.sort, SORTS["due"])).only("public_id", "given_names", "surname")


def due_state(row, today: date) -> tuple[date, str]:
    due = rules.pip_due_by(row.registered_on)
    if row.first_pip_on:
        return due, ""
    if due < today:
        return due, Due.PASSED
    if due <= today + timedelta(days=PIP_DUE_SOON_DAYS):
        return due, Due.APPROACHING
    return due, ""


# --- One person, one appointment -----------------------------------------------------------


def person(municipality, public_id) -> Newcomer:
    return get_object_or_404(people_in(municipality), public_id=public_id)


def appointment(municipality, public_id) -> IntakeAppointment:
    """An appointment of this municipality, for a person who is still in it."""
    return get_object_or_404(
        IntakeAppointment.objects.select_related("newcomer", "officer", "municipality")
        .filter(municipality=municipality, newcomer__in=people_in(municipality).values("pk")),
        public_id=public_id)


@dataclass
class PersonFile:
    newcomer: Newcomer
    appointments: list
    plans: list
    period: tuple[date, date] | None
    pip_due: date
    no_show_numbers: dict


def person_file(newcomer: Newcomer) -> PersonFile:
    appointments = list(newcomer.intakes.select_related("officer").order_by("-starts_at", "-pk"))
    plans = list(newcomer.plans.select_related("written_by").order_by("plan_date", "pk"))
    return PersonFile(newcomer, appointments, plans, integration_period_of(newcomer),
                      rules.pip_due_by(newcomer.registered_on), no_show_numbers(appointments))


def appointments_between(municipality, first_day: date, last_day: date):
    tz = timezone.get_current_timezone()
    start = timezone.make_aware(datetime.combine(first_day, datetime.min.time()), tz)
    end = timezone.make_aware(datetime.combine(last_day + timedelta(days=1), datetime.min.time()), tz)
    return (IntakeAppointment.objects.filter(municipality=municipality, starts_at__gte=start, starts_at__lt=end)
            .filter(newcomer__in=people_in(municipality).values("pk"))
            .select_related("newcomer", "officer").order_by("starts_at", "location"))

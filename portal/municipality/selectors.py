"""Reads for the municipal workspace, every one scoped to the officer's municipality.

"In the municipality" means: the person's current registration (the latest one that holds
today, as `Newcomer.current_registration` decides) is there, and the decision in force says
obliged under the 2021 act. A person, appointment or plan outside that scope is not found, so
the views answer 404 and reveal nothing about people elsewhere.

The work list is read from the municipality's registrations, not from all newcomers: the rows
come in registration-date order from an index on the registrations, and each membership and
stage test is an indexed lookup for that one person, so the database stops as soon as a page is
full. A page is read one row beyond its size to know whether another follows; nothing counts
the whole list, which for a large city is tens of thousands of people.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db.models import Case, Count, Exists, F, IntegerField, OuterRef, Q, Subquery, Value, When
from django.db.models import CharField as CharFieldType
from django.shortcuts import get_object_or_404
from django.utils import timezone

from integration import case_facts, rules
from integration.case_status import CaseStatus
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
from integration.rules import NO_SHOWS_BEFORE_COMPLETING_WITHOUT_PERSON

PIP_DUE_SOON_DAYS = 14  # "approaching": the PIP is due within two weeks
PAGE_SIZE = 25
# Pages are numbered; past this one the officer is asked to narrow the list with the filters,
# so no request walks tens of thousands of rows to skip them.
LAST_PAGE = 40


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
    return MunicipalRegistration.objects.current_on(today).filter(newcomer=OuterRef("pk")).order_by(
        "-registered_on", "-pk")


def _decision_in_force_is_wi2021_obligation(newcomer_ref: OuterRef) -> Exists:
    """The person's latest decision (by decided_on, then id) says: obliged under the 2021 act."""
    later = ObligationDecision.objects.filter(newcomer=OuterRef("newcomer")).filter(
        Q(decided_on__gt=OuterRef("decided_on")) | Q(decided_on=OuterRef("decided_on"), pk__gt=OuterRef("pk")))
    return Exists(ObligationDecision.objects.filter(newcomer=newcomer_ref, regime=Regime.WI2021,
                                                    outcome=Outcome.OBLIGED).filter(~Exists(later)))


def _current_registrations_in(municipality, today: date):
    """The municipality's registrations that are their person's current one."""
    later = MunicipalRegistration.objects.current_on(today).filter(newcomer=OuterRef("newcomer")).filter(
        Q(registered_on__gt=OuterRef("registered_on")) | Q(registered_on=OuterRef("registered_on"),
                                                          pk__gt=OuterRef("pk")))
    return MunicipalRegistration.objects.current_on(today).filter(municipality=municipality).filter(
        ~Exists(later))


def _members(municipality, today: date):
    """Registrations of the people on the municipality's lists (current here, WI2021-obliged)."""
    return _current_registrations_in(municipality, today).filter(
        _decision_in_force_is_wi2021_obligation(OuterRef("newcomer")))


def people_in(municipality, today: date | None = None):
    """WI2021-obliged people whose current registration is in `municipality`.

    Meant for finding one person (or the people of a few appointments): each row is tested
    with indexed lookups on that person's registrations and decisions.
    """
    today = today or timezone.localdate()
    here = _members(municipality, today).filter(newcomer=OuterRef("pk"))
    return Newcomer.objects.filter(Exists(here)).annotate(
        registered_on=Subquery(_current_registrations(today).values("registered_on")[:1]))


def _stage_tests(newcomer_ref: OuterRef) -> dict[str, Exists]:
    intakes = IntakeAppointment.objects.filter(newcomer=newcomer_ref)
    return {
        "has_plan": Exists(PersonalPlan.objects.filter(newcomer=newcomer_ref, revision_of__isnull=True)),
        "attended": Exists(intakes.filter(status=IntakeStatus.COMPLETED)),
        # "at least three no-shows": the third one (by id) exists
        "three_no_shows": Exists(intakes.filter(status=IntakeStatus.NO_SHOW).order_by("pk")
                                 [NO_SHOWS_BEFORE_COMPLETING_WITHOUT_PERSON - 1:
                                  NO_SHOWS_BEFORE_COMPLETING_WITHOUT_PERSON]),
        "planned": Exists(intakes.filter(status=IntakeStatus.PLANNED)),
    }


def _stage_condition(stage: str) -> Q:
    """The stage as conditions on the person's intakes and plans (the same order as `_with_stage`)."""
    tests = _stage_tests(OuterRef("newcomer"))
    has_plan, planned = Q(tests["has_plan"]), Q(tests["planned"])
    intake_done = Q(tests["attended"]) | Q(tests["three_no_shows"])
    if stage == Stage.PIP_WRITTEN:
        return has_plan
    if stage == Stage.INTAKE_DONE:
        return ~has_plan & intake_done
    if stage == Stage.INTAKE_PLANNED:
        return ~has_plan & ~intake_done & planned
    return ~has_plan & ~intake_done & ~planned


def _with_stage(registrations):
    """The page's columns: who the person is and where their intake and PIP stand."""
    newcomer = OuterRef("newcomer")
    intakes = IntakeAppointment.objects.filter(newcomer=newcomer)
    no_shows = (intakes.filter(status=IntakeStatus.NO_SHOW).order_by().values("newcomer")
                .annotate(n=Count("pk")).values("n"))
    first_plan = PersonalPlan.objects.filter(newcomer=newcomer, revision_of__isnull=True)
    return registrations.annotate(
        public_id=F("newcomer__public_id"),
        given_names=F("newcomer__given_names"),
        surname=F("newcomer__surname"),
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


@dataclass(frozen=True)
class WorkListFilters:
    stage: str = ""
    due: str = ""
    name: str = ""
    sort: str = "due"


# The registration date orders the "due" sorts (the PIP is due 10 weeks after it); the
# newcomer id breaks ties, so the order is the one of the registrations' index.
SORTS = {
    "due": ("registered_on", "newcomer_id"),
    "-due": ("-registered_on", "-newcomer_id"),
    "name": ("newcomer__surname", "newcomer__given_names", "newcomer_id"),
}


def work_list(municipality, filters: WorkListFilters, today: date | None = None):
    """The work list as registrations of the municipality, each row annotated with the person's
    public id, names, stage, first PIP date and next planned intake."""
    today = today or timezone.localdate()
    rows = _members(municipality, today)
    if filters.stage:
        # Plain EXISTS tests, so a stage that few people are in is found without computing
        # every person's stage.
        rows = rows.filter(_stage_condition(filters.stage))
    # PIP due = registration + 10 weeks (rules.pip_due_by); compared on the registration date
    # so the index on the registrations answers it.
    due_today = today - timedelta(weeks=rules.PIP_DUE_WEEKS)
    no_plan = ~Q(_stage_tests(OuterRef("newcomer"))["has_plan"])
    if filters.due == Due.PASSED:
        rows = rows.filter(no_plan, registered_on__lt=due_today)
    elif filters.due == Due.APPROACHING:
        rows = rows.filter(no_plan, registered_on__gte=due_today,
                           registered_on__lte=due_today + timedelta(days=PIP_DUE_SOON_DAYS))
    if filters.name:
        rows = rows.filter(Q(newcomer__surname__icontains=filters.name)
                           | Q(newcomer__given_names__icontains=filters.name))
    rows = rows.order_by(*SORTS.get(filters.sort, SORTS["due"]))
    return _with_stage(rows).only("registered_on", "newcomer_id")


@dataclass
class WorkListPage:
    """One numbered page of the work list; answers like Django's `Page` for the template."""

    rows: list
    number: int
    has_next: bool
    narrow_down: bool = field(default=False)  # more follow, but only through the filters

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    def has_other_pages(self) -> bool:
        return self.has_previous or self.has_next

    def next_page_number(self) -> int:
        return self.number + 1

    def previous_page_number(self) -> int:
        return self.number - 1


def page_number(text: str | None) -> int:
    try:
        number = int(text or 1)
    except ValueError:
        return 1
    return min(max(number, 1), LAST_PAGE)


def work_list_page(municipality, filters: WorkListFilters, number: int = 1, today: date | None = None,
                   size: int = PAGE_SIZE) -> WorkListPage:
    """Page `number` of the work list, in one query, read one row beyond the page."""
    number = min(max(number, 1), LAST_PAGE)
    start = (number - 1) * size
    rows = list(work_list(municipality, filters, today)[start:start + size + 1])
    more = len(rows) > size
    return WorkListPage(rows=rows[:size], number=number, has_next=more and number < LAST_PAGE,
                        narrow_down=more and number == LAST_PAGE)


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


def _is_member(municipality) -> Exists:
    """For rows with a `newcomer`: that person is on the municipality's lists today."""
    return Exists(_members(municipality, timezone.localdate()).filter(newcomer=OuterRef("newcomer")))


def person(municipality, public_id) -> Newcomer:
    return get_object_or_404(people_in(municipality), public_id=public_id)


def appointment(municipality, public_id) -> IntakeAppointment:
    """An appointment of this municipality, for a person who is still in it."""
    return get_object_or_404(
        IntakeAppointment.objects.select_related("newcomer", "officer", "municipality")
        .filter(municipality=municipality).filter(_is_member(municipality)),
        public_id=public_id)


@dataclass
class PersonFile:
    newcomer: Newcomer
    status: CaseStatus
    appointments: list
    plans: list
    no_show_numbers: dict

    @property
    def period(self):
        return self.status.period

    @property
    def pip_due(self) -> date | None:
        return self.status.pip_due_on


def person_file(newcomer: Newcomer) -> PersonFile:
    appointments = list(newcomer.intakes.select_related("officer").order_by("-starts_at", "-pk"))
    plans = list(newcomer.plans.select_related("written_by").order_by("plan_date", "pk"))
    return PersonFile(newcomer, case_facts.status_for(newcomer.pk), appointments, plans,
                      no_show_numbers(appointments))


def appointments_between(municipality, first_day: date, last_day: date):
    tz = timezone.get_current_timezone()
    start = timezone.make_aware(datetime.combine(first_day, datetime.min.time()), tz)
    end = timezone.make_aware(datetime.combine(last_day + timedelta(days=1), datetime.min.time()), tz)
    return (IntakeAppointment.objects.filter(municipality=municipality, starts_at__gte=start, starts_at__lt=end)
            .filter(_is_member(municipality))
            .select_related("newcomer", "officer").order_by("starts_at", "location"))

"""Reads for the municipal workspace, every one scoped to the officer's municipality.

"In the municipality" means what the case status stores for the person
(`integration.case_status`): their current registration is here and they have a brede intake
(obliged under the 2021 act). A person, appointment or plan outside that scope is not found, so
the views answer 404 and reveal nothing about people elsewhere.

The work list reads those stored columns: an index range scan per municipality, stage and due
date, continued after the last row of the previous page (keyset pagination). Nothing counts the
whole list, which for a large city is tens of thousands of people.
"""

from __future__ import annotations

import json
from base64 import urlsafe_b64decode, urlsafe_b64encode
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import Exists, F, OuterRef, Q, Subquery
from django.db.models.fields.tuple_lookups import Tuple, TupleGreaterThan, TupleLessThan
from django.shortcuts import get_object_or_404
from django.utils import timezone

from integration import case_facts
from integration.case_status import CaseStatus, MunicipalStage
from integration.intakes import no_show_numbers
from integration.models import (
    IntakeAppointment,
    IntakeStatus,
    MunicipalRegistration,
    Newcomer,
    PersonalPlan,
)
from integration.names import searchable_name

PIP_DUE_SOON_DAYS = 14  # "approaching": the PIP is due within two weeks
PAGE_SIZE = 25


class Stage:
    """The work list's stages: the stored `Newcomer.municipal_stage` (from the case status)."""

    NEEDS_INTAKE = MunicipalStage.NEEDS_INTAKE
    INTAKE_PLANNED = MunicipalStage.INTAKE_PLANNED
    INTAKE_DONE = MunicipalStage.INTAKE_DONE
    PIP_WRITTEN = MunicipalStage.PIP_WRITTEN
    ORDER = (NEEDS_INTAKE, INTAKE_PLANNED, INTAKE_DONE, PIP_WRITTEN)


class Due:
    PASSED = "passed"
    APPROACHING = "approaching"


def people_in(municipality):
    """The municipality's WI2021 newcomers: their current registration is here and the case
    status gives them a brede intake (the stored `current_municipality` and `municipal_stage`)."""
    return Newcomer.objects.filter(current_municipality=municipality).exclude(municipal_stage="")


@dataclass(frozen=True)
class WorkListFilters:
    stage: str = ""
    due: str = ""
    name: str = ""
    sort: str = "due"


# What a row of the list shows of the person (besides `_with_columns`).
LIST_COLUMNS = ("public_id", "given_names", "surname", "municipal_stage", "pip_due_on")

# Each sort is a key of stored columns ending in the id, so a page continues after the last row
# of the previous one (keyset pagination) through the work-list indexes.
SORTS = {
    "due": ("pip_due_on", "id"),
    "-due": ("-pip_due_on", "-id"),
    "name": ("surname", "given_names", "id"),
}


def work_list(municipality, filters: WorkListFilters, today: date | None = None):
    """The municipality's WI2021 newcomers with their stage, from the stored case state.

    `current_municipality` and `municipal_stage` are the case status's SQL mirror, kept in the
    transaction of every change that moves them (a move, an intake planned, held or missed, the
    PIP written), so the list is an index range scan per municipality, stage and due date.
    """
    today = today or timezone.localdate()
    rows = Newcomer.objects.filter(current_municipality=municipality).exclude(municipal_stage="")
    if filters.stage:
        rows = rows.filter(municipal_stage=filters.stage)
    if filters.due == Due.PASSED:
        rows = rows.exclude(municipal_stage=Stage.PIP_WRITTEN).filter(pip_due_on__lt=today)
    elif filters.due == Due.APPROACHING:
        rows = rows.exclude(municipal_stage=Stage.PIP_WRITTEN).filter(
            pip_due_on__gte=today, pip_due_on__lte=today + timedelta(days=PIP_DUE_SOON_DAYS))
    if filters.name:
        rows = rows.filter(name_matches(filters.name))
    return rows.only(*LIST_COLUMNS)


def name_matches(text: str) -> Q:
    """Accent- and case-insensitive, anywhere in the name: "ham" finds Ahmadi and Hamid, "oz" finds
    Özdemir. On PostgreSQL a trigram index answers it (`newcomer_name_trgm_idx`)."""
    return Q(name_search__contains=searchable_name(text))


def _with_columns(rows):
    """What a page shows besides the stored columns, computed for the page's rows only."""
    newcomer = OuterRef("pk")
    intakes = IntakeAppointment.objects.filter(newcomer=newcomer)
    registration = MunicipalRegistration.objects.filter(newcomer=newcomer, deregistered_on__isnull=True).order_by(
        "-registered_on", "-pk")
    return rows.annotate(
        registered_on=Subquery(registration.values("registered_on")[:1]),
        first_pip_on=Subquery(PersonalPlan.objects.filter(newcomer=newcomer, revision_of__isnull=True)
                              .values("plan_date")[:1]),
        next_intake_at=Subquery(intakes.filter(status=IntakeStatus.PLANNED).order_by("starts_at")
                                .values("starts_at")[:1]),
    )


@dataclass(frozen=True)
class WorkListCursor:
    """A position in the work list: the sort key of the last row shown, written as a token."""

    values: tuple

    def __str__(self) -> str:
        return urlsafe_b64encode(json.dumps(self.values, default=str).encode()).decode().rstrip("=")

    @classmethod
    def parse(cls, text: str | None, sort: str) -> WorkListCursor | None:
        if not text:
            return None
        try:
            values = json.loads(urlsafe_b64decode(text + "=" * (-len(text) % 4)))
            fields = SORTS[sort]
            if not isinstance(values, list) or len(values) != len(fields):
                return None
            typed = [date.fromisoformat(v) if f.lstrip("-") == "pip_due_on" else int(v) if f.lstrip("-") == "id"
                     else str(v) for f, v in zip(fields, values, strict=True)]
        except (ValueError, TypeError, KeyError):
            return None
        return cls(tuple(typed))


def _after(sort: str, cursor: WorkListCursor):
    """Rows after the cursor in the sort's order: a row comparison, `(pip_due_on, id) > (…, …)`.

    PostgreSQL takes a row comparison over the index's columns as where the index scan starts,
    so a deep page reads its 26 rows and no more; the same condition spelled out with OR (as
    Django writes it for SQLite) is only a filter on rows read from the list's start.
    """
    fields = SORTS[sort]
    # Django 5.2's row comparison (built for composite primary keys); on SQLite it falls back
    # to the OR form.
    columns = Tuple(*(F(field.lstrip("-")) for field in fields))
    comparison = TupleLessThan if fields[0].startswith("-") else TupleGreaterThan
    return comparison(columns, cursor.values)


@dataclass
class WorkListPage:
    rows: list
    next_cursor: WorkListCursor | None
    first: bool


def _sort(filters: WorkListFilters) -> str:
    """The key of the list's order in SORTS; a sort the list does not know lists by due date."""
    return filters.sort if filters.sort in SORTS else "due"


def page_query(municipality, filters: WorkListFilters, after: WorkListCursor | None = None,
               today: date | None = None, size: int = PAGE_SIZE):
    """The query of one page: first the ids of its rows (and one more), then those rows with
    what the page shows.

    The first step reads only columns of the work-list indexes (the filters, the sort key, the
    id), so PostgreSQL answers it with an index-only scan. A name that few people have, listed
    by name, passes many index entries before it finds a page of matches; read from the heap,
    each of those would be a row fetched only to be thrown away.
    """
    sort = _sort(filters)
    rows = work_list(municipality, filters, today)
    if after is not None:
        rows = rows.filter(_after(sort, after))
    page_ids = rows.order_by(*SORTS[sort]).values("pk")[:size + 1]
    return _with_columns(Newcomer.objects.filter(pk__in=page_ids).order_by(*SORTS[sort])
                         .only(*LIST_COLUMNS))


def work_list_page(municipality, filters: WorkListFilters, after: WorkListCursor | None = None,
                   today: date | None = None, size: int = PAGE_SIZE) -> WorkListPage:
    """One page of the work list in one query, read one row beyond the page to know whether
    another follows; nothing counts the whole list."""
    sort = _sort(filters)
    found = list(page_query(municipality, filters, after, today, size))
    more = len(found) > size
    found = found[:size]
    next_cursor = None
    if more and found:
        last = found[-1]
        next_cursor = WorkListCursor(tuple(getattr(last, f.lstrip("-")) for f in SORTS[sort]))
    return WorkListPage(found, next_cursor, after is None)


def due_state(row, today: date) -> str:
    if row.municipal_stage == Stage.PIP_WRITTEN or row.pip_due_on is None:
        return ""
    if row.pip_due_on < today:
        return Due.PASSED
    if row.pip_due_on <= today + timedelta(days=PIP_DUE_SOON_DAYS):
        return Due.APPROACHING
    return ""


# --- One person, one appointment -----------------------------------------------------------


def _is_member(municipality) -> Exists:
    """For rows with a `newcomer`: that person is on the municipality's lists."""
    return Exists(people_in(municipality).filter(pk=OuterRef("newcomer")))


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

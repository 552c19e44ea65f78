"""The facts of a case, read from the database for `case_status` in one query.

The person comes with every permit, registration, decision, intake appointment and plan as JSON
arrays in the same row, so one person's status costs one query, and a page of fifty people's
statuses costs one query too (`statuses_for`). Plain ORM: annotations with a JSON aggregate.

One person's query (`load`, used by every write to a case and twice for every letter issued) is
compiled once per process and database: building and compiling its five JSON subqueries costs
Django several times what PostgreSQL needs to run them. That shortcut goes through Django's
query compiler, which is not a public API; the plain ORM path (`load_plain`) stays beside it,
a test checks that both read the same facts for every demo persona, and the setting
CASE_FACTS_COMPILED_QUERY=False switches to the plain path should a Django upgrade break it.
"""

from __future__ import annotations

import functools
import json
from datetime import UTC, date, datetime

from django.conf import settings
from django.db.models import Aggregate, JSONField, OuterRef, Subquery
from django.db.models.functions import JSONObject
from django.utils import timezone

from . import rules
from .case_status import (
    CaseFacts,
    CaseStatus,
    DecisionRecord,
    ExtensionRecord,
    IntakeRecord,
    PermitRecord,
    PlanRecord,
    RegistrationRecord,
    ResultRecord,
    StatedLetter,
    case_status,
)
from .models import (
    ExtensionRequest,
    IntakeAppointment,
    MunicipalRegistration,
    Newcomer,
    ObligationDecision,
    PersonalPlan,
    ResidencePermit,
    Result,
)


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


def with_case_facts(queryset):
    """`queryset` of newcomers, each with the rows its case status needs."""
    return queryset.annotate(
        permit_rows=_json_rows(ResidencePermit.objects, id="pk", article="article", purpose="purpose",
                               decision_date="decision_date", valid_from="valid_from", valid_until="valid_until",
                               withdrawn_on="withdrawn_on"),
        registration_rows=_json_rows(MunicipalRegistration.objects, id="pk", registered_on="registered_on",
                                     deregistered_on="deregistered_on", moved_abroad="moved_abroad",
                                     municipality_id="municipality_id", municipality="municipality__name"),
        decision_rows=_json_rows(ObligationDecision.objects, id="pk", regime="regime", outcome="outcome",
                                 reason="reason", decided_on="decided_on", source="source"),
        intake_rows=_json_rows(IntakeAppointment.objects, id="pk", kind="kind", status="status",
                               starts_at="starts_at", ends_at="ends_at", location="location"),
        plan_rows=_json_rows(PersonalPlan.objects, id="pk", plan_date="plan_date", route="route",
                             revision_of="revision_of_id", exams="exams", pvt_required="pvt_required",
                             map_required="map_required"),
        result_rows=_json_rows(Result.objects, id="pk", component="component", taken_on="taken_on",
                               outcome="outcome", source="source"),
        extension_rows=_json_rows(ExtensionRequest.objects, id="pk", status="status", reason="reason",
                                  requested_on="requested_on", decided_on="decided_on",
                                  new_last_day="new_last_day"),
    )


def _day(value) -> date | None:
    return date.fromisoformat(value[:10]) if value else None


def _moment(value) -> datetime:
    moment = datetime.fromisoformat(value.replace(" ", "T"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)  # SQLite stores UTC


def facts_of(newcomer: Newcomer) -> CaseFacts:
    """The facts of a newcomer read through `with_case_facts`."""
    letter = None
    if newcomer.issued_letter_date is not None:
        letter = StatedLetter(newcomer.issued_letter_date, newcomer.issued_letter_start_date,
                              newcomer.issued_letter_regime, newcomer.issued_letter_obligation or 1,
                              newcomer.correction_requested)
    return CaseFacts(
        date_of_birth=newcomer.date_of_birth,
        nationality=newcomer.nationality,
        bsn_assigned_on=newcomer.bsn_assigned_on if newcomer.bsn else None,
        permits=tuple(PermitRecord(row["id"], rules.PermitFacts(
            row["article"], row["purpose"], _day(row["decision_date"]), _day(row["valid_from"]),
            _day(row["valid_until"]), _day(row["withdrawn_on"]))) for row in newcomer.permit_rows or ()),
        registrations=tuple(RegistrationRecord(
            row["id"], rules.RegistrationFacts(_day(row["registered_on"]), _day(row["deregistered_on"])),
            row["municipality_id"], row["municipality"], bool(row["moved_abroad"]))
            for row in newcomer.registration_rows or ()),
        decisions=tuple(DecisionRecord(row["id"], row["regime"], row["outcome"], row["reason"],
                                       _day(row["decided_on"]), row["source"]) for row in newcomer.decision_rows or ()),
        letter=letter,
        start_letter_requested=newcomer.start_letter_requested,
        intakes=tuple(IntakeRecord(row["id"], row["kind"], row["status"], _moment(row["starts_at"]),
                                   _moment(row["ends_at"]), row["location"]) for row in newcomer.intake_rows or ()),
        plans=tuple(PlanRecord(row["id"], _day(row["plan_date"]), row["route"], row["revision_of"] is not None,
                               _exams(row.get("exams")), bool(row.get("pvt_required", True)),
                               bool(row.get("map_required", True)))
                    for row in newcomer.plan_rows or ()),
        results=tuple(ResultRecord(row["id"], row["component"], _day(row["taken_on"]), row["outcome"], row["source"])
                      for row in newcomer.result_rows or ()),
        extensions=tuple(ExtensionRecord(row["id"], row["status"], row["reason"], _day(row["requested_on"]),
                                         _day(row["decided_on"]), _day(row["new_last_day"]))
                         for row in newcomer.extension_rows or ()),
    )


def _exams(value) -> tuple[str, ...] | None:
    """The PIP's exams: a JSON list (SQLite may hand it over as its text)."""
    if value is None:
        return None
    if isinstance(value, str):
        import json

        value = json.loads(value)
    return tuple(value)


def pension_ages() -> dict[int, tuple[int, int]]:
    return settings.STATE_PENSION_AGE_TABLE


def status_of_loaded(newcomer: Newcomer, today: date | None = None) -> CaseStatus:
    """The status of a newcomer read through `with_case_facts`."""
    return case_status(facts_of(newcomer), today or timezone.localdate(), now=timezone.now(),
                       pension_ages=pension_ages())


_ANY_ID = -20261130  # stands for the newcomer's id in the compiled query; never a real id


@functools.cache
def _compiled_load(alias: str) -> tuple[str, tuple, int, tuple[str, ...]]:
    """`with_case_facts` for one newcomer as SQL and parameters, where the id goes in them, and
    the names of the JSON columns."""
    query = with_case_facts(Newcomer.objects.using(alias).filter(pk=_ANY_ID).order_by()).query
    sql, params = query.get_compiler(alias).as_sql()
    return sql, tuple(params), params.index(_ANY_ID), tuple(query.annotations)


def load(newcomer_id: int, using: str = "default") -> Newcomer:
    """The newcomer with the facts of their case (one query)."""
    if not settings.CASE_FACTS_COMPILED_QUERY:
        return load_plain(newcomer_id, using)
    return load_compiled(newcomer_id, using)


def load_plain(newcomer_id: int, using: str = "default") -> Newcomer:
    """`load` through the ORM alone."""
    return with_case_facts(Newcomer.objects.using(using).filter(pk=newcomer_id)).get()


def load_compiled(newcomer_id: int, using: str = "default") -> Newcomer:
    """`load` with the query compiled once (`_compiled_load`)."""
    sql, params, at, json_columns = _compiled_load(using)
    found = list(Newcomer.objects.using(using).raw(sql, (*params[:at], newcomer_id, *params[at + 1:])))
    if not found:
        raise Newcomer.DoesNotExist(f"no newcomer with id {newcomer_id}")
    newcomer = found[0]
    for name in json_columns:  # a raw query applies no JSONField converter: the arrays come as text
        value = getattr(newcomer, name)
        if isinstance(value, str | bytes):
            setattr(newcomer, name, json.loads(value))
    return newcomer


def status_for(newcomer_id: int, today: date | None = None) -> CaseStatus:
    return status_of_loaded(load(newcomer_id), today)


def statuses_for(newcomer_ids, today: date | None = None) -> dict[int, CaseStatus]:
    """The statuses of several people, for a page of a list (one query)."""
    today = today or timezone.localdate()
    return {newcomer.pk: status_of_loaded(newcomer, today)
            for newcomer in with_case_facts(Newcomer.objects.filter(pk__in=list(newcomer_ids)))}

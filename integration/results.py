"""Results, waivers and exemptions: what a person completed on their route (DOMAIN.md §5).

DUO staff record a result by hand, or the exam system's results come in as a CSV file. Each
write runs in a transaction with the person's row locked and recomputes the case state (which
may make the obligation fulfilled, `case_status`), so the letters app can act after commit.
An import is idempotent by the exam system's result id and all-or-nothing: every row is
checked first, and a file with a refused row imports nothing.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .choices import Component, DecisionReason, Outcome, ResultOutcome, ResultSource
from .models import Newcomer, ObligationDecision, Result
from .services import _locked, record_decision, refresh_case_state
from .validators import normalise_bsn, validate_bsn


def record_result(newcomer: Newcomer, *, component: str, taken_on: date, outcome: str, recorded_by=None,
                  source: str = ResultSource.DUO_STAFF, external_id: str = "", note: str = "") -> Result:
    """Record one result and recompute the case (a last requirement met fulfils the obligation)."""
    with transaction.atomic():
        locked = _locked(newcomer)
        result = _save_result(locked, component=component, taken_on=taken_on, outcome=outcome,
                              recorded_by=recorded_by, source=source, external_id=external_id, note=note)
        refresh_case_state(locked)
    return result


def _save_result(newcomer, **fields) -> Result:
    result = Result(newcomer=newcomer, **fields)
    result.full_clean()
    result.save()
    return result


# DOMAIN.md §2: an exemption (vrijstelling) for Dutch schooling or a Dutch-taught diploma, a
# waiver (ontheffing) for a permanent medical barrier or exceptional circumstances.
RELIEF_REASONS = {
    Outcome.EXEMPT: (DecisionReason.DUTCH_SCHOOLING, DecisionReason.DUTCH_DIPLOMA, DecisionReason.OTHER),
    Outcome.WAIVED: (DecisionReason.MEDICAL, DecisionReason.EXCEPTIONAL, DecisionReason.OTHER),
}


def record_relief(newcomer: Newcomer, *, outcome: str, reason: str, note: str, decided_by) -> ObligationDecision:
    """DUO's waiver or exemption of the whole obligation: a new decision under the act in force,
    which ends the obligation (the case status shows "not obliged" with this reason)."""
    if reason not in RELIEF_REASONS.get(outcome, ()):
        raise ValidationError({"reason": _("This reason does not fit a waiver or exemption.")}, code="reason")
    if not note.strip():
        raise ValidationError({"note": _("Say why: the decision is part of the person's file.")}, code="note")
    current = newcomer.current_decision()
    if current is None or current.outcome != Outcome.OBLIGED:
        raise ValidationError(_("Only a person who is obliged to integrate can be exempted or waived."),
                              code="not_obliged")
    return record_decision(newcomer, decided_by=decided_by, regime=current.regime, outcome=outcome,
                           reason=reason, note=note.strip(), decided_on=timezone.localdate())


# --- The import from the exam system -----------------------------------------------------------

CSV_COLUMNS = ("result_id", "bsn", "component", "date", "outcome")
MAX_IMPORT_ROWS = 20_000


@dataclass(frozen=True)
class RefusedRow:
    line: int  # the line in the file (the header is line 1)
    result_id: str
    reasons: tuple[str, ...]


@dataclass
class ImportReport:
    imported: int = 0
    already_imported: int = 0
    refused: list[RefusedRow] = field(default_factory=list)
    people: int = 0

    @property
    def ok(self) -> bool:
        return not self.refused


@dataclass(frozen=True)
class _Row:
    line: int
    result_id: str
    bsn: str
    component: str
    taken_on: date
    outcome: str


def _parse(text: str, report: ImportReport) -> list[_Row]:
    reader = csv.DictReader(io.StringIO(text))
    missing = [name for name in CSV_COLUMNS if name not in (reader.fieldnames or [])]
    if missing:
        report.refused.append(RefusedRow(1, "", (_("The file lacks the columns: %(names)s.")
                                                 % {"names": ", ".join(missing)},)))
        return []
    rows, seen = [], {}
    for number, raw in enumerate(reader, start=2):
        if number - 1 > MAX_IMPORT_ROWS:
            report.refused.append(RefusedRow(number, "", (_("The file has more than %(max)d rows; split it.")
                                                          % {"max": MAX_IMPORT_ROWS},)))
            break
        reasons = []
        result_id = (raw.get("result_id") or "").strip()
        if not result_id or len(result_id) > 64 or not result_id.isprintable():
            reasons.append(_("the result id is missing or too long"))
        elif result_id in seen:
            reasons.append(_("the result id also appears on line %(line)d") % {"line": seen[result_id]})
        else:
            seen[result_id] = number
        bsn = normalise_bsn(raw.get("bsn") or "")
        try:
            validate_bsn(bsn)
        except ValidationError:
            reasons.append(_("the BSN is not valid"))
        component = (raw.get("component") or "").strip().lower()
        if component not in Component.values:
            reasons.append(_("unknown exam or module"))
        outcome = (raw.get("outcome") or "").strip().lower()
        if outcome not in ResultOutcome.values:
            reasons.append(_("the outcome must be passed, not_passed or exempted"))
        try:
            taken_on = date.fromisoformat((raw.get("date") or "").strip())
            if taken_on > timezone.localdate():
                reasons.append(_("the date is in the future"))
        except ValueError:
            taken_on = None
            reasons.append(_("the date must be written as YYYY-MM-DD"))
        if reasons:
            report.refused.append(RefusedRow(number, result_id[:64], tuple(reasons)))
        else:
            rows.append(_Row(number, result_id, bsn, component, taken_on, outcome))
    return rows


def import_results(text: str, *, imported_by=None) -> ImportReport:
    """See `_import_results`; a concurrent import of the same results loses on the unique result
    id and is checked again, finding them imported."""
    try:
        return _import_results(text, imported_by=imported_by)
    except IntegrityError:
        return _import_results(text, imported_by=imported_by)


def _import_results(text: str, *, imported_by=None) -> ImportReport:
    """Import the exam system's CSV (columns `CSV_COLUMNS`). Every row is checked first; when any
    row is refused nothing is imported, and the report says which rows and why. A result id
    imported before is skipped when it says the same, refused when it says something else."""
    report = ImportReport()
    rows = _parse(text, report)
    people = dict(Newcomer.objects.filter(bsn__in={row.bsn for row in rows}).values_list("bsn", "pk"))
    known = {result.external_id: result for result in Result.objects.filter(
        external_id__in=[row.result_id for row in rows])}
    new_rows = []
    for row in rows:
        reasons = []
        newcomer_id = people.get(row.bsn)
        if newcomer_id is None:
            reasons.append(_("no person with this BSN"))
        earlier = known.get(row.result_id)
        if earlier is not None:
            same = (earlier.newcomer_id, earlier.component, earlier.taken_on, earlier.outcome) == (
                newcomer_id, row.component, row.taken_on, row.outcome)
            if not same:
                reasons.append(_("this result id was imported before with other data"))
            elif not reasons:
                report.already_imported += 1
                continue
        if reasons:
            report.refused.append(RefusedRow(row.line, row.result_id, tuple(reasons)))
        else:
            new_rows.append((newcomer_id, row))
    report.refused.sort(key=lambda refused: refused.line)
    if report.refused:
        return report
    by_person: dict[int, list[_Row]] = {}
    for newcomer_id, row in new_rows:
        by_person.setdefault(newcomer_id, []).append(row)
    with transaction.atomic():
        # People in id order, as every writer locks them, so two imports cannot deadlock.
        for newcomer_id in sorted(by_person):
            locked = Newcomer.objects.select_for_update().get(pk=newcomer_id)
            for row in by_person[newcomer_id]:
                _save_result(locked, component=row.component, taken_on=row.taken_on, outcome=row.outcome,
                             source=ResultSource.EXAM_IMPORT, external_id=row.result_id, recorded_by=imported_by)
                report.imported += 1
            refresh_case_state(locked)
    report.people = len(by_person)
    return report

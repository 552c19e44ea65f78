"""The overdue list as CSV, streamed row by row so a list of 100,000 people never sits in memory.

The BSN is not a column by default: a list that leaves the portal is the easiest place for it to
leak. An administrator may ask for it (`?bsn=1&why=...`); the reason is required and goes into
the audit record of the export. DUO staff asking for it are refused.
"""

import csv
from datetime import date

from django.utils.translation import gettext, gettext_lazy

from integration.choices import Regime

from .selectors import Reason, days_overdue

# (key, header): the headers are in the staff member's language, like the values.
COLUMNS = [
    ("person_id", gettext_lazy("person id")), ("name", gettext_lazy("name")),
    ("municipality", gettext_lazy("municipality")), ("regime", gettext_lazy("regime")),
    ("conditions_met_on", gettext_lazy("conditions met on")), ("ready_on", gettext_lazy("ready on")),
    ("expected_by", gettext_lazy("letter expected by")), ("days_overdue", gettext_lazy("days overdue")),
    ("reason", gettext_lazy("why no letter")), ("error", gettext_lazy("error")),
    ("contacted_duo", gettext_lazy("contacted DUO")),
]
BSN_COLUMN = ("bsn", gettext_lazy("BSN"))


def headers(with_bsn: bool = False) -> list[str]:
    return [str(label) for _, label in COLUMNS + ([BSN_COLUMN] if with_bsn else [])]
CHUNK_SIZE = 2000


# OWASP "CSV injection": a cell starting with one of these is run as a formula by spreadsheets
# (a tab or carriage return first hides the formula sign from a naive check).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cell(value):
    """Text that a spreadsheet would run as a formula is defused with a leading quote."""
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


class _Echo:
    """A file-like object whose write returns the line, so csv.writer feeds a generator."""

    def write(self, value):
        return value


def csv_rows(queryset, *, today: date, with_bsn: bool = False):
    """Yield the CSV lines of `queryset` (most overdue first), header first."""
    from integration.rules import letter_expected_by

    writer = csv.writer(_Echo())
    yield writer.writerow(headers(with_bsn))
    if with_bsn:
        queryset = queryset.only("public_id", "given_names", "surname", "conditions_met_on", "ready_on",
                                 "letter_clock_on", "bsn")
    for row in queryset.order_by("letter_clock_on", "id").iterator(chunk_size=CHUNK_SIZE):
        line = [
            row.public_id,
            _cell(row.full_name),
            row.municipality_name or "",
            str(Regime(row.regime).label) if row.regime else gettext("being assessed"),
            row.conditions_met_on.isoformat(),
            row.ready_on.isoformat() if row.ready_on else "",
            letter_expected_by(row.letter_clock_on).isoformat(),
            days_overdue(row, today),
            gettext(Reason.LABELS[row.reason]),
            _cell(row.last_error) if row.reason == Reason.RENDERING_FAILED else "",
            gettext("yes") if row.contacted else gettext("no"),
        ]
        if with_bsn:
            line.append(row.bsn or "")
        yield writer.writerow(line)

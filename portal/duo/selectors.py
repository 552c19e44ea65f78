"""Read side of the DUO workspace: the overdue list, its keyset pages and the dashboard counts.

The overdue list is one query per page. Every column (municipality, regime, reason, contact)
is a stored case-state column (the SQL mirror of `integration.case_status`) or a correlated
subquery computed for the rows of that page only, so the number of queries does not grow with
the page size, and the rows are read from the partial index `newcomer_awaiting_letter_idx` in
(letter_clock_on, id) order, so a deep page costs about what the first one costs (keyset
pagination: "after this row", never OFFSET). The days overdue are `rules.days_overdue` from the
same column the person page's `CaseStatus` computes them from.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.db.models import Case, CharField, Exists, F, OuterRef, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import NullIf
from django.utils import timezone
from django.utils.translation import gettext_noop

from integration import rules
from integration.models import ContactMoment, MunicipalRegistration, Newcomer, ResidencePermit
from letters.models import Letter, LetterKind, LetterStatus

PAGE_SIZE = 50
BEING_ASSESSED = "assessing"  # regime filter value for "no decision yet"


class Reason:
    """Why the start-date letter is not there; checked in this order, the first that holds wins."""

    CONDITIONS_LAPSED = "lapsed"  # permit withdrawn or ended, or deregistered, since the stored state
    NO_DECISION = "no_decision"
    RENDERING_FAILED = "failed"
    QUEUED = "queued"  # queued or rendering and not issued yet
    NOT_REQUESTED = "not_requested"  # ready, but no letter was ever queued (the sweep should)

    LABELS = {
        CONDITIONS_LAPSED: gettext_noop("permit withdrawn or ended, or deregistered"),
        NO_DECISION: gettext_noop("no obligation decision"),
        RENDERING_FAILED: gettext_noop("rendering failed"),
        QUEUED: gettext_noop("still queued"),
        NOT_REQUESTED: gettext_noop("no letter requested"),
    }
    CHOICES = list(LABELS.items())


@dataclass(frozen=True)
class OverdueFilters:
    municipality: str = ""  # CBS code, e.g. GM0344
    regime: str = ""  # a Regime value or BEING_ASSESSED
    reason: str = ""
    contacted: bool | None = None


def _start_letters():
    return Letter.objects.filter(newcomer=OuterRef("pk"), kind=LetterKind.START_DATE, corrects__isnull=True)


def _stuck_letters(now):
    """The person's start-date letter failed, sat queued past the grace the sweep gives the
    queue (the sweep's own test), or is rendering past its lease (a dead worker).

    Correlated (EXISTS per person) rather than an id list: on deep pages, past the people who
    are overdue by date, the scan meets mostly people with a stuck letter, and probing their
    letters one by one was measured cheaper than hashing every stuck letter in the country.
    """
    grace = timedelta(seconds=settings.LETTER_QUEUED_GRACE_SECONDS)
    lease = timedelta(seconds=settings.LETTER_RENDER_LEASE_SECONDS)
    return _start_letters().filter(
        Q(status=LetterStatus.FAILED)
        | Q(status=LetterStatus.QUEUED, updated_at__lt=now - grace)
        | Q(status=LetterStatus.RENDERING, rendering_started_at__lt=now - lease)
    )


def _current_registrations(today):
    return MunicipalRegistration.objects.current_on(today).filter(newcomer=OuterRef("pk")).order_by(
        "-registered_on", "-pk")


def _current_permits(today):
    return ResidencePermit.objects.current_on(today).filter(newcomer=OuterRef("pk"))


def overdue_queryset(filters: OverdueFilters = OverdueFilters(), *, today: date | None = None) -> QuerySet:
    """Everyone on the list, annotated with every column the list and the CSV show.

    On the list: the 8 weeks are running (a letter owed, or DUO still deciding; the stored case
    state), no letter issued, and either the expected-by day has passed or the start-date letter
    is stuck.
    """
    today = today or timezone.localdate()
    now = timezone.now()
    # Scalar subqueries with LIMIT 1 run per row of the page; an EXISTS here would let
    # PostgreSQL hash every queued letter in the country once per page instead.
    live_letter = _start_letters().exclude(status=LetterStatus.CANCELLED).order_by("-pk")
    queryset = (
        Newcomer.objects.filter(letter_clock_on__isnull=False, start_letter_issued_on__isnull=True)
        .filter(Q(letter_clock_on__lt=rules.overdue_cutoff(today)) | Exists(_stuck_letters(now)))
        .annotate(
            municipality_name=F("current_municipality__name"),
            regime=NullIf(F("case_regime"), Value("")),
            contacted=Exists(ContactMoment.objects.filter(newcomer=OuterRef("pk"))),
            letter_status=Subquery(live_letter.values("status")[:1]),
            last_error=Subquery(live_letter.values("last_error")[:1]),
            reason=Case(
                When(~Exists(_current_permits(today)) | ~Exists(_current_registrations(today)),
                     then=Value(Reason.CONDITIONS_LAPSED)),
                When(ready_on__isnull=True, then=Value(Reason.NO_DECISION)),
                When(letter_status=LetterStatus.FAILED, then=Value(Reason.RENDERING_FAILED)),
                When(letter_status__in=[LetterStatus.QUEUED, LetterStatus.RENDERING], then=Value(Reason.QUEUED)),
                default=Value(Reason.NOT_REQUESTED),
                output_field=CharField(),
            ),
        )
    )
    if filters.municipality:
        queryset = queryset.filter(current_municipality__code=filters.municipality)
    if filters.regime == BEING_ASSESSED:
        queryset = queryset.filter(case_regime="")
    elif filters.regime:
        queryset = queryset.filter(case_regime=filters.regime)
    if filters.reason:
        queryset = queryset.filter(reason=filters.reason)
    if filters.contacted is not None:
        queryset = queryset.filter(contacted=filters.contacted)
    return queryset.only("public_id", "given_names", "surname", "conditions_met_on", "ready_on", "letter_clock_on")


# --- Keyset pages ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Cursor:
    """A position in the list: the (letter_clock_on, id) of a row, written as `2025-03-01.123`."""

    letter_clock_on: date
    id: int

    def __str__(self):
        return f"{self.letter_clock_on.isoformat()}.{self.id}"

    @classmethod
    def parse(cls, text: str | None) -> Cursor | None:
        try:
            day, _, pk = (text or "").partition(".")
            return cls(date.fromisoformat(day), int(pk))
        except ValueError:
            return None

    @classmethod
    def of(cls, row) -> Cursor:
        return cls(row.letter_clock_on, row.pk)


@dataclass
class Page:
    rows: list
    next_cursor: Cursor | None
    previous_cursor: Cursor | None


def _beyond(cursor: Cursor, ascending: bool) -> Q:
    """Rows after `cursor` in the given direction. The first, redundant, range condition lets
    PostgreSQL start the index scan at the cursor instead of filtering from the start."""
    if ascending:
        return Q(letter_clock_on__gte=cursor.letter_clock_on) & (
            Q(letter_clock_on__gt=cursor.letter_clock_on) | Q(id__gt=cursor.id))
    return Q(letter_clock_on__lte=cursor.letter_clock_on) & (
        Q(letter_clock_on__lt=cursor.letter_clock_on) | Q(id__lt=cursor.id))


def keyset_page(queryset: QuerySet, *, most_overdue_first: bool = True, after: Cursor | None = None,
                before: Cursor | None = None, size: int | None = None) -> Page:
    """One page of `queryset` in days-overdue order, read one row beyond to know if more follow.

    Most overdue first means the oldest clock date first: ascending (letter_clock_on, id).
    """
    size = size or PAGE_SIZE
    ascending = most_overdue_first
    backwards = before is not None and after is None
    scan_ascending = ascending != backwards
    order = ("letter_clock_on", "id") if scan_ascending else ("-letter_clock_on", "-id")
    if backwards:
        queryset = queryset.filter(_beyond(before, scan_ascending))
    elif after is not None:
        queryset = queryset.filter(_beyond(after, scan_ascending))
    rows = list(queryset.order_by(*order)[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    if backwards:
        rows.reverse()
        has_next, has_previous = True, more
    else:
        has_next, has_previous = more, after is not None
    return Page(
        rows=rows,
        next_cursor=Cursor.of(rows[-1]) if rows and has_next else None,
        previous_cursor=Cursor.of(rows[0]) if rows and has_previous else None,
    )


def days_overdue(row, today: date) -> int:
    """As `CaseStatus.days_overdue`: counted from the day the 8 weeks run from."""
    return rules.days_overdue(row.letter_clock_on, today)


# --- Dashboard ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Dashboard:
    ready_awaiting_letter: int
    issued_this_week: int
    overdue: int
    failed: int
    oldest_queued_at: object  # datetime or None

    @property
    def oldest_queued_age(self):
        return timezone.now() - self.oldest_queued_at if self.oldest_queued_at else None


def dashboard(today: date | None = None) -> Dashboard:
    today = today or timezone.localdate()
    week_start = today - timedelta(days=today.weekday())
    awaiting = Newcomer.objects.filter(letter_clock_on__isnull=False, start_letter_issued_on__isnull=True)
    start_letters = Letter.objects.filter(kind=LetterKind.START_DATE)
    oldest = start_letters.filter(status=LetterStatus.QUEUED).order_by("queued_at").values_list(
        "queued_at", flat=True).first()
    return Dashboard(
        ready_awaiting_letter=awaiting.filter(ready_on__isnull=False).count(),
        issued_this_week=start_letters.filter(status=LetterStatus.ISSUED,
                                              letter_date__gte=week_start).count(),
        overdue=awaiting.filter(letter_clock_on__lt=rules.overdue_cutoff(today)).count(),
        failed=start_letters.filter(status=LetterStatus.FAILED).count(),
        oldest_queued_at=oldest,
    )

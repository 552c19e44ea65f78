"""The rules of civic integration that the portal encodes (DOMAIN.md), as pure functions.

Every rule of DOMAIN.md lives here once, under the name the domain page gives it, with the
article it rests on. Inputs and outputs are plain values (dates, enums, small frozen
dataclasses); nothing here touches the database, HTTP or the clock: callers pass "today".
Facts the domain page marks as uncertain (⚠) come from settings through the callers.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

from .choices import (
    Actor,
    Component,
    DecisionReason,
    Outcome,
    PurposeOfStay,
    Regime,
    ResultOutcome,
    Route,
    StepState,
    VwArticle,
)

# --- Constants of the law -------------------------------------------------------------------

WI2013_FIRST_DAY = date(2013, 1, 1)  # Wet inburgering 2013 in force (Stb. 2012, 630)
WI2021_FIRST_DAY = date(2022, 1, 1)  # Wet inburgering 2021 in force (Stb. 2021, 600)
LETTER_DELIVERY_DAYS = 56  # project rule ▶: the start-date letter arrives within 8 weeks
INTEGRATION_PERIOD_YEARS = 3  # Wi2021 art 11 / WI2013 art 7: the inburgeringstermijn
PVT_DUE_YEARS = 1  # WI2013 art 7(2): participation statement within 1 year
PIP_DUE_WEEKS = 10  # Wi2021 art 15-16 with Besluit inburgering 2021: PIP within 10 weeks
EXTENSION_APPLY_MONTHS = 6  # Wi2021 art 12: apply at most 6 months before the end
ONA_FROM = date(2015, 1, 1)  # WI2013 art 7(2)(b): ONA for those obliged from 2015
PVT_FROM = date(2017, 10, 1)  # WI2013 art 7(2)(c): PVT for those obliged from 1 October 2017
MINIMUM_AGE = 16  # WI2021 art 3(1) / WI2013 art 3(1)

# Residence titles of BRP table 56 and their Vw2000 article (DOMAIN.md §6).
_RESIDENCE_TITLE_ARTICLE = {
    **{code: VwArticle.REGULAR_FIXED_TERM for code in (21, 22, 23, 24)},
    25: VwArticle.REGULAR_PERMANENT,
    26: VwArticle.ASYLUM_FIXED_TERM,
    27: VwArticle.ASYLUM_PERMANENT,
    **{code: VwArticle.EU for code in (28, 29, 30, 36, 37, 38, 40)},
    35: VwArticle.TURKEY,
    98: VwArticle.NONE,
}
RESIDENCE_TITLES = tuple(sorted(_RESIDENCE_TITLE_ARTICLE))

# WI2021 art 3(1)(b) / WI2013 art 3(1)(b): stays for these purposes are temporary.
TEMPORARY_PURPOSES = frozenset(
    {
        PurposeOfStay.STUDY,
        PurposeOfStay.EMPLOYMENT,
        PurposeOfStay.KNOWLEDGE_MIGRANT,
        PurposeOfStay.BLUE_CARD,
        PurposeOfStay.SEASONAL,
        PurposeOfStay.INTRA_COMPANY,
        PurposeOfStay.RESEARCH,
        PurposeOfStay.ORIENTATION_YEAR,
        PurposeOfStay.EXCHANGE,
        PurposeOfStay.MEDICAL_TREATMENT,
        PurposeOfStay.FAMILY_OF_TEMPORARY,
    }
)

# EU and EEA member states plus Switzerland (ISO 3166-1 alpha-2): never obliged.
EU_EEA_SWISS = frozenset(
    {
        *("AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE"),
        *("IT", "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE"),
        *("IS", "LI", "NO"),  # EEA
        "CH",
    }
)


# --- Plain facts the rules work on ----------------------------------------------------------


@dataclass(frozen=True)
class PermitFacts:
    """A residence permit as the IND reports it."""

    article: str
    purpose: str
    decision_date: date
    valid_from: date
    valid_until: date | None = None
    withdrawn_on: date | None = None

    @property
    def article_label(self) -> str:
        return VwArticle(self.article).label if self.article in VwArticle.values else self.article

    @property
    def purpose_label(self) -> str:
        return PurposeOfStay(self.purpose).label if self.purpose in PurposeOfStay.values else self.purpose


@dataclass(frozen=True)
class RegistrationFacts:
    """A registration with a municipality in the BRP."""

    registered_on: date
    deregistered_on: date | None = None


@dataclass(frozen=True)
class DecisionFacts:
    """The obligation decision in force for a person."""

    regime: str
    outcome: str


# --- Small date helpers ---------------------------------------------------------------------


def add_years(day: date, years: int) -> date:
    """The same calendar day `years` later; 29 February becomes 28 February in a common year.

    Dutch law counts a period in years to the same date; where that date does not exist the
    period ends on the last day of the month (Algemene termijnenwet, read with BW art 1:2).
    """
    year = day.year + years
    last_day = calendar.monthrange(year, day.month)[1]
    return day.replace(year=year, day=min(day.day, last_day))


def add_months(day: date, months: int) -> date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


# --- §2 Which regime applies ----------------------------------------------------------------


def regime_for_obligation_start(obligation_start: date) -> Regime:
    """The act that governs an obligation that started on this day (DOMAIN.md §2)."""
    if obligation_start < WI2013_FIRST_DAY:
        return Regime.PRE_2013  # old rules, Wet inburgering before 2013
    if obligation_start < WI2021_FIRST_DAY:
        return Regime.WI2013  # Wet inburgering (2013), BWBR0020611
    return Regime.WI2021  # Wet inburgering 2021, BWBR0044770


def obligation_start_date(permit: PermitFacts) -> date:
    """The obligation starts when the IND announced the residence right (WI2021 art 3)."""
    return permit.decision_date


def vw_article_for_residence_title(residence_title: int) -> VwArticle:
    """BRP table 56 residence title → Vreemdelingenwet 2000 article (DOMAIN.md §6)."""
    try:
        return _RESIDENCE_TITLE_ARTICLE[residence_title]
    except KeyError:
        raise ValueError(f"unknown BRP residence title {residence_title}") from None


def age_on(date_of_birth: date, day: date) -> int:
    had_birthday = (day.month, day.day) >= (date_of_birth.month, date_of_birth.day)
    return day.year - date_of_birth.year - (0 if had_birthday else 1)


def obligation_by_registry(
    *,
    nationality: str,
    permit: PermitFacts,
    date_of_birth: date,
    state_pension_age: int,
) -> tuple[Regime, Outcome, DecisionReason]:
    """Derive the obligation from registry facts (WI2021 art 3 / WI2013 art 3; DOMAIN.md §2).

    Exemptions (schooling, diploma) and waivers are decided by DUO staff, not derived here.
    """
    start = obligation_start_date(permit)
    regime = regime_for_obligation_start(start)
    age = age_on(date_of_birth, start)
    if nationality.upper() in EU_EEA_SWISS:
        return regime, Outcome.NOT_OBLIGED, DecisionReason.EU_EEA_SWISS
    if nationality.upper() == "TR" and regime == Regime.WI2013:
        return regime, Outcome.NOT_OBLIGED, DecisionReason.TURKISH_WI2013  # Association law
    if permit.article not in (VwArticle.REGULAR_FIXED_TERM, VwArticle.ASYLUM_FIXED_TERM):
        return regime, Outcome.NOT_OBLIGED, DecisionReason.PERMIT_TYPE
    if permit.purpose in TEMPORARY_PURPOSES:
        return regime, Outcome.NOT_OBLIGED, DecisionReason.TEMPORARY_PURPOSE
    if not MINIMUM_AGE <= age < state_pension_age:
        return regime, Outcome.NOT_OBLIGED, DecisionReason.AGE
    return regime, Outcome.OBLIGED, DecisionReason.OBLIGED_BY_RULE


# --- §8 Which permit counts, age and time ----------------------------------------------------

ADULT_AGE = 18  # DOMAIN.md §8 ▶: obliged from the 18th birthday when the permit came before it


def permit_obliges(permit: PermitFacts) -> bool:
    """A permit of an obliged kind: fixed-term regular (8a) or asylum (8c), for a non-temporary
    purpose (Wi2021 art 3 / WI2013 art 3; DOMAIN.md §2). Renewals and changes to 8b/8d do not
    create an obligation; they continue one (§8)."""
    return (permit.article in (VwArticle.REGULAR_FIXED_TERM, VwArticle.ASYLUM_FIXED_TERM)
            and permit.purpose not in TEMPORARY_PURPOSES)


def permit_validity(permit: PermitFacts) -> tuple[date, date | None] | None:
    """The days the permit gives a residence right: from `valid_from` up to and including
    `valid_until`, cut off the day before a withdrawal; None when withdrawn before it began."""
    last = permit.valid_until
    if permit.withdrawn_on is not None:
        cut = permit.withdrawn_on - timedelta(days=1)
        last = cut if last is None else min(last, cut)
    if last is not None and last < permit.valid_from:
        return None
    return permit.valid_from, last


def _spells(intervals: list[tuple[date, date | None]]) -> list[tuple[date, date | None]]:
    """Merge day intervals (last day inclusive, None = open) into continuous spells: an interval
    starting on the day after another ends continues it (no day without cover)."""
    spells: list[list] = []
    for first, last in sorted(intervals, key=lambda interval: interval[0]):
        if spells and (spells[-1][1] is None or first <= spells[-1][1] + timedelta(days=1)):
            if spells[-1][1] is not None and (last is None or last > spells[-1][1]):
                spells[-1][1] = last
        else:
            spells.append([first, last])
    return [(first, last) for first, last in spells]


def _spell_containing(spells, day: date):
    return next((spell for spell in spells if spell[0] <= day and (spell[1] is None or day <= spell[1])), None)


def permit_held_since(permits: list[PermitFacts], on: date) -> date | None:
    """Since when the person holds a residence permit without a day's break, as known on `on`.

    Renewals and changes of purpose that follow on without a gap continue the spell (DOMAIN.md
    §8); a permit counts only from its decision date, so the spell starts no earlier than the
    first decision within it (a permit valid from the application is held once granted, §3).
    """
    known = [permit for permit in permits if permit.decision_date <= on]
    intervals = {permit: permit_validity(permit) for permit in known}
    spell = _spell_containing(_spells([interval for interval in intervals.values() if interval]), on)
    if spell is None:
        return None
    decided = [permit.decision_date for permit, interval in intervals.items()
               if interval and _overlaps(interval, spell)]
    held_from = max(spell[0], min(decided))
    return held_from if held_from <= on else None


def _overlaps(interval, spell) -> bool:
    first, last = interval
    return first <= (spell[1] or date.max) and (last is None or last >= spell[0])


def registered_since(registrations: list[RegistrationFacts], on: date) -> date | None:
    """Since when the person is registered in some municipality without a day's break (DOMAIN.md
    §8 ▶): a deregistration and a registration elsewhere on the same day are one continuous
    registration, whatever order the registry reported them in; a gap of a day or more is a gap."""
    intervals = [(registration.registered_on,
                  registration.deregistered_on - timedelta(days=1) if registration.deregistered_on else None)
                 for registration in registrations if registration.registered_on <= on]
    spell = _spell_containing(_spells([(first, last) for first, last in intervals
                                       if last is None or last >= first]), on)
    return spell[0] if spell else None


def conditions_met_since(bsn_assigned_on: date | None, permits: list[PermitFacts],
                         registrations: list[RegistrationFacts], on: date) -> date | None:
    """The day since which all three conditions hold without a break, as known on `on` (§3, §8).

    A move between municipalities on one day or a renewal without a gap does not restart the
    8-week clock; the answer depends only on the facts, never on the order they were recorded.
    """
    if bsn_assigned_on is None or bsn_assigned_on > on:
        return None
    permit_since = permit_held_since(permits, on)
    registration_since = registered_since(registrations, on)
    if permit_since is None or registration_since is None:
        return None
    return max(bsn_assigned_on, permit_since, registration_since)


@dataclass(frozen=True)
class Obligation:
    """One integration obligation: created by `permit` (the first permit of an obliged kind),
    starting on `starts_on`; `ended_on` is the first day it no longer held (None: it holds)."""

    number: int
    permit: PermitFacts
    starts_on: date
    ended_on: date | None = None

    @property
    def regime(self) -> Regime:
        return regime_for_obligation_start(self.starts_on)


def obligation_start_for(permit: PermitFacts, date_of_birth: date) -> date:
    """The obligation starts on the permit's decision date (Wi2021 art 3), but a person who was
    under 18 then is treated as obliged from their 18th birthday (DOMAIN.md §8 ▶)."""
    return max(obligation_start_date(permit), add_years(date_of_birth, ADULT_AGE))


def obligations(permits: list[PermitFacts], departures_abroad: list[date], date_of_birth: date,
                on: date) -> list[Obligation]:
    """The person's obligations, oldest first, from the facts known on `on` (DOMAIN.md §8 ▶).

    The first permit of an obliged kind creates an obligation. Renewals, extensions and changes
    of purpose or to a permanent permit continue it. It ends when the person leaves the
    Netherlands (a deregistration to abroad) or holds no permit for a day; only a permit of an
    obliged kind decided after that creates a new one.
    """
    known = [permit for permit in permits if permit.decision_date <= on]
    spells = _spells([interval for permit in known if (interval := permit_validity(permit))])
    found: list[Obligation] = []
    for permit in sorted(known, key=lambda p: (p.decision_date, p.valid_from)):
        interval = permit_validity(permit)
        if interval is None or not permit_obliges(permit):
            continue
        if found and (found[-1].ended_on is None or permit.decision_date < found[-1].ended_on):
            continue  # a renewal or change within an obligation that still holds
        starts_on = obligation_start_for(permit, date_of_birth)
        spell = _spell_containing(spells, max(interval[0], min(permit.decision_date, interval[1] or date.max)))
        endings = [day for day in departures_abroad if day >= permit.decision_date]
        if spell is not None and spell[1] is not None:
            endings.append(spell[1] + timedelta(days=1))  # the first day without a permit
        ended_on = min((day for day in endings if day <= on), default=None)
        if ended_on is not None and ended_on <= starts_on:
            continue  # ended before it began (left before turning 18): no obligation
        found.append(Obligation(len(found) + 1, permit, starts_on, ended_on))
    return found


def state_pension_age(year: int, table: dict[int, tuple[int, int]]) -> tuple[int, int]:
    """The AOW age (years, months) for a calendar year, from the table setting (DOMAIN.md §8 ⚠);
    years before the table take its first entry, years after it its last."""
    years = sorted(table)
    chosen = max((y for y in years if y <= year), default=years[0])
    return table[chosen]


def has_state_pension_age(date_of_birth: date, on: date, table: dict[int, tuple[int, int]]) -> bool:
    """Whether the person has reached the AOW age on `on`, by the age of `on`'s calendar year."""
    years, months = state_pension_age(on.year, table)
    return on >= add_months(add_years(date_of_birth, years), months)


# --- §3 The three conditions and the start-date letter --------------------------------------


def permit_is_current(permit: PermitFacts, on: date) -> bool:
    """A permit counts once decided, while it is valid on the day and not withdrawn (§3)."""
    if permit.withdrawn_on is not None and permit.withdrawn_on <= on:
        return False
    if permit.decision_date > on or permit.valid_from > on:
        return False
    return permit.valid_until is None or permit.valid_until >= on


def registration_is_current(registration: RegistrationFacts, on: date) -> bool:
    if registration.registered_on > on:
        return False
    return registration.deregistered_on is None or registration.deregistered_on > on


def conditions_met_on(
    bsn_assigned_on: date | None,
    permit: PermitFacts | None,
    registration: RegistrationFacts | None,
    on: date,
) -> date | None:
    """The day the last of the three conditions (BSN, permit, registration) became true.

    None while any of them is missing or no longer current on `on` (DOMAIN.md §3).
    """
    if bsn_assigned_on is None or bsn_assigned_on > on:
        return None
    if permit is None or not permit_is_current(permit, on):
        return None
    if registration is None or not registration_is_current(registration, on):
        return None
    # A permit is often valid from the application date, before the IND decided; the person
    # only holds it from the decision, so the later of the two counts (DOMAIN.md §3).
    permit_held_from = max(permit.decision_date, permit.valid_from)
    return max(bsn_assigned_on, permit_held_from, registration.registered_on)


def letter_applies(decision: DecisionFacts | None) -> bool:
    """A start-date letter is sent only to those obliged under the 2013 or 2021 act (§2)."""
    return (
        decision is not None
        and decision.outcome == Outcome.OBLIGED
        and decision.regime in (Regime.WI2013, Regime.WI2021)
    )


def letter_may_apply(decision: DecisionFacts | None) -> bool:
    """True while a letter is owed or may yet be owed: obliged, or still being assessed."""
    return decision is None or letter_applies(decision)


def ready_date(conditions_met: date | None, decision: DecisionFacts | None) -> date | None:
    """The ready date: the three conditions hold and a positive decision exists (§3)."""
    if conditions_met is None or not letter_applies(decision):
        return None
    return conditions_met


def letter_clock_start(conditions_met: date | None, decision: DecisionFacts | None) -> date | None:
    """The day the 8 weeks start counting for the person (§3, §7).

    That is the ready date, and also the day the conditions were met while DUO has not decided
    yet: a missing decision is DUO's delay, so the person is told to contact DUO after 8 weeks
    all the same, and DUO staff see them in the overdue list with the reason "no decision".
    """
    if conditions_met is None or not letter_may_apply(decision):
        return None
    return conditions_met


def letter_expected_by(ready: date) -> date:
    """Ready date + 8 weeks: the latest day the start-date letter should arrive (§3)."""
    return ready + timedelta(days=LETTER_DELIVERY_DAYS)


def is_overdue(ready: date | None, letter_issued_on: date | None, on: date) -> bool:
    """Overdue: the expected-by day has passed and no letter was issued (§3).

    On the expected-by day itself the letter may still arrive, so that day is not overdue.
    """
    if ready is None or letter_issued_on is not None:
        return False
    return on > letter_expected_by(ready)


def overdue_cutoff(on: date) -> date:
    """`is_overdue(ready, None, on)` holds exactly for a ready date before this day; for
    queries that select the overdue by a date column."""
    return on - timedelta(days=LETTER_DELIVERY_DAYS)


def days_overdue(ready: date, on: date) -> int:
    return max(0, (on - letter_expected_by(ready)).days)


# --- §4 The integration period --------------------------------------------------------------


def integration_period(
    regime: str, obligation_start: date | None, first_pip_date: date | None
) -> tuple[date, date] | None:
    """The 3-year inburgeringstermijn as [first day, anniversary): the anniversary is the first
    day after the period (DOMAIN.md §4, §8); `period_last_day` gives the day printed "tot en met".

    WI2013 (art 7): from the obligation start date. Wi2021 (art 11): from the day after the date
    of the first PIP; a revised PIP does not move it, so callers pass the first PIP's date.
    """
    if regime == Regime.WI2013 and obligation_start is not None:
        start = obligation_start
    elif regime == Regime.WI2021 and first_pip_date is not None:
        start = first_pip_date + timedelta(days=1)
    else:
        return None
    return start, add_years(start, INTEGRATION_PERIOD_YEARS)


def period_last_day(period: tuple[date, date]) -> date:
    """The last day of a period [first day, anniversary): the day before the anniversary, the
    day letters and pages print as "tot en met" (DOMAIN.md §8)."""
    return period[1] - timedelta(days=1)


def pvt_due_by(obligation_start: date, registered_on: date) -> date:
    """WI2013 art 7(2)(c): the participation statement within 1 year of the later of the
    obligation start and the BRP registration."""
    return add_years(max(obligation_start, registered_on), PVT_DUE_YEARS)


def pip_due_by(notice_or_registration: date) -> date:
    """Wi2021 art 15-16 (with the Besluit inburgering 2021): the PIP within 10 weeks of DUO's
    notice or the BRP registration."""
    return notice_or_registration + timedelta(weeks=PIP_DUE_WEEKS)


def extension_request_opens(period_end: date) -> date:
    """Wi2021 art 12 / WI2013 art 7(3): an extension is requested at most 6 months before
    the end of the period."""
    return add_months(period_end, -EXTENSION_APPLY_MONTHS)


def ona_applies(obligation_start: date) -> bool:
    return obligation_start >= ONA_FROM


def pvt_applies(regime: str, obligation_start: date) -> bool:
    return regime == Regime.WI2021 or obligation_start >= PVT_FROM


# --- §5 Routes and the step-by-step plan ----------------------------------------------------


# Wi2021 art 14 (brede intake): after three invitations without the person showing up, the
# municipality may complete the brede intake without them.
NO_SHOWS_BEFORE_COMPLETING_WITHOUT_PERSON = 3

# The B1-route's exams: reading, listening, writing and speaking at B1, plus KNM (§5).
B1_EXAMS = ("reading", "listening", "writing", "speaking", "knm")


@dataclass(frozen=True)
class RouteRequirements:
    exams: tuple[str, ...]
    pvt_required: bool
    map_required: bool


# Wi2021 art 15-16 read with DOMAIN.md §5: what a PIP requires for each route unless it deviates.
ROUTE_REQUIREMENTS = {
    Route.B1: RouteRequirements(B1_EXAMS, pvt_required=True, map_required=True),
    # The bridging course's diploma (fallback: B1 ×4 + KNM); no labour-market module.
    Route.EDUCATION: RouteRequirements(("course_diploma",), pvt_required=True, map_required=False),
    # No exams unless the PIP says so; ends with a final interview and a certificate.
    Route.Z: RouteRequirements((), pvt_required=True, map_required=True),
}


def route_requirements(route: str) -> RouteRequirements:
    return ROUTE_REQUIREMENTS[Route(route)]


# --- §5 What a route requires and when it is complete ------------------------------------------

# WI2013 art 7(2)(a): the integration exam at A2 — reading, listening, speaking, KNM, writing.
WI2013_EXAMS = ("reading", "listening", "writing", "speaking", "knm")
# Wi2021 art 7 with DOMAIN.md §5: the onderwijsroute ends with the course diploma; the B1 exams
# plus KNM count as well when the course is not completed.
EDUCATION_FALLBACK = B1_EXAMS


@dataclass(frozen=True)
class Requirements:
    """What a person must complete to fulfil the obligation (DOMAIN.md §5).

    `exams` must all be met, or else all of `alternative_exams` (the onderwijsroute's
    fallback); `modules` (PVT, MAP, ONA, the Z-route's final interview) must all be met."""

    exams: tuple[str, ...]
    modules: tuple[str, ...]
    alternative_exams: tuple[str, ...] = ()

    @property
    def components(self) -> tuple[str, ...]:
        return (*self.exams, *self.modules)


def requirements_for(regime: str, *, obligation_start: date | None = None, route: str | None = None,
                     plan_exams: tuple[str, ...] | None = None, pvt_required: bool = True,
                     map_required: bool = True) -> Requirements | None:
    """What the route requires (DOMAIN.md §5); None while it is not known (WI2021 before the PIP).

    WI2021: the PIP fixes the route and may deviate from its defaults (art 15-16): its exams and
    its PVT/MAP flags count. The Z-route ends with a final interview. WI2013 (art 7): the A2
    exams, ONA when obliged from 2015, PVT when obliged from 1 October 2017.
    """
    if regime == Regime.WI2013:
        if obligation_start is None:
            return None
        modules = []
        if pvt_applies(Regime.WI2013, obligation_start):
            modules.append(Component.PVT.value)
        if ona_applies(obligation_start):
            modules.append(Component.ONA.value)
        return Requirements(WI2013_EXAMS, tuple(modules))
    if regime != Regime.WI2021 or route is None:
        return None
    defaults = route_requirements(route)
    # The B1-route and the onderwijsroute cannot go without their exams: a PIP that lists none
    # takes the route's own; the Z-route has exams only where its PIP names them.
    exams = tuple(plan_exams) if plan_exams or route == Route.Z else defaults.exams
    if route == Route.Z and plan_exams is None:
        exams = defaults.exams
    modules = []
    if route == Route.Z:
        modules.append(Component.FINAL_INTERVIEW.value)
    if pvt_required:
        modules.append(Component.PVT.value)
    if map_required and route != Route.EDUCATION:  # the onderwijsroute has no MAP (§5)
        modules.append(Component.MAP.value)
    alternative = EDUCATION_FALLBACK if route == Route.EDUCATION and Component.COURSE_DIPLOMA in exams else ()
    return Requirements(exams, tuple(modules), alternative)


@dataclass(frozen=True)
class ResultFacts:
    """One recorded result: a component, the day it was taken or decided, and its outcome."""

    component: str
    taken_on: date
    outcome: str


def component_met_on(component: str, results) -> date | None:
    """The first day the component was passed or exempted; a later failed attempt does not undo a
    pass (a passed exam stays passed)."""
    return min((r.taken_on for r in results if r.component == component
                and r.outcome in (ResultOutcome.PASSED, ResultOutcome.EXEMPTED)), default=None)


def all_met_on(components, results) -> date | None:
    """The day the last of `components` was met; None while one is open. No components: None
    (nothing to mark done by)."""
    days = [component_met_on(component, results) for component in components]
    if not days or any(day is None for day in days):
        return None
    return max(days)


def exams_met_on(requirements: Requirements, results) -> date | None:
    """The day the exam part of the route was complete: all exams, or else all the fallback
    exams (onderwijsroute); the earlier of the two when both."""
    options = [all_met_on(requirements.exams, results)]
    if requirements.alternative_exams:
        options.append(all_met_on(requirements.alternative_exams, results))
    return min((day for day in options if day is not None), default=None)


def fulfilled_on(requirements: Requirements | None, results) -> date | None:
    """The day the obligation was fulfilled (DOMAIN.md §5): every requirement met; the date is
    the day the last one was. A route without any requirement is never fulfilled by results."""
    if requirements is None or not requirements.components:
        return None
    days = [all_met_on((module,), results) for module in requirements.modules]
    if requirements.exams:
        days.append(exams_met_on(requirements, results))
    if any(day is None for day in days):
        return None
    return max(days)


def extended_last_day(last_day: date, granted_last_days) -> date:
    """The period's last day after extensions (Wi2021 art 12): the latest granted new end; an
    extension never shortens the period."""
    return max([last_day, *granted_last_days])


def extension_window_open(last_day: date, on: date) -> bool:
    """Wi2021 art 12: a request is possible from 6 months before the end of the period up to and
    including its last day."""
    return extension_request_opens(last_day) <= on <= last_day


@dataclass(frozen=True)
class CaseFacts:
    """What is known about a person's integration, as plain dates (None = not yet)."""

    regime: str | None
    obligation_start: date | None = None
    conditions_met_on: date | None = None
    start_letter_issued_on: date | None = None
    intake_completed_on: date | None = None
    first_pip_on: date | None = None
    route: str | None = None
    study_choice_on: date | None = None  # WI2013: chose self-study or a school
    exams_passed_on: date | None = None
    pvt_done_on: date | None = None
    map_done_on: date | None = None
    ona_done_on: date | None = None


@dataclass(frozen=True)
class Step:
    number: int
    key: str
    actor: Actor
    state: StepState
    done_on: date | None = None


def _steps_for(facts: CaseFacts) -> list[tuple[str, Actor, date | None, bool]]:
    """(key, who acts, done on, applies) per step, in order."""
    if facts.regime == Regime.WI2021:
        route = facts.route
        return [
            ("conditions", Actor.IND_AND_MUNICIPALITY, facts.conditions_met_on, True),
            ("letter", Actor.DUO, facts.start_letter_issued_on, True),
            ("intake", Actor.MUNICIPALITY, facts.intake_completed_on, True),
            ("pip", Actor.MUNICIPALITY, facts.first_pip_on, True),
            ("route", Actor.YOU, facts.exams_passed_on, True),
            ("pvt", Actor.YOU, facts.pvt_done_on, True),
            # The education route has no labour-market module (DOMAIN.md §5).
            ("map", Actor.YOU, facts.map_done_on, route != Route.EDUCATION),
        ]
    if facts.regime == Regime.WI2013:
        start = facts.obligation_start
        pvt = start is not None and pvt_applies(Regime.WI2013, start)
        ona = start is not None and ona_applies(start)
        return [
            ("conditions", Actor.IND_AND_MUNICIPALITY, facts.conditions_met_on, True),
            ("letter", Actor.DUO, facts.start_letter_issued_on, True),
            ("study_choice", Actor.YOU, facts.study_choice_on, True),
            ("exams", Actor.YOU, facts.exams_passed_on, True),
            ("pvt", Actor.YOU, facts.pvt_done_on, pvt),
            ("ona", Actor.YOU, facts.ona_done_on, ona),
        ]
    return []


def voluntary_steps() -> list[Step]:
    """Voluntary integration (DOMAIN.md §2): no letter and no deadline, a route to the exams,
    for example for naturalisation or a permanent permit. Nothing is recorded to mark the steps
    done, so the first is current and the rest follow."""
    return [
        Step(1, "voluntary_prepare", Actor.YOU, StepState.CURRENT),
        Step(2, "voluntary_exams", Actor.YOU, StepState.NEXT),
        Step(3, "voluntary_use", Actor.YOU, StepState.NEXT),
    ]


def route_steps(facts: CaseFacts) -> list[Step]:
    """The step-by-step plan for a person (DOMAIN.md §5).

    Steps that apply and have a date are done; the first applicable step without one is
    current; later steps without a date are next. A final "done" step completes when every
    applicable step is.
    Regimes without a route (before 2013, voluntary, undecided) have no steps.
    """
    raw = _steps_for(facts)
    if not raw:
        return []
    steps: list[Step] = []
    current_given = False
    for number, (key, actor, done_on, applies) in enumerate(raw, start=1):
        if not applies:
            state = StepState.NOT_APPLICABLE
        elif done_on is not None:
            # Steps can be done out of order (a PVT before the exams): a date means done.
            state = StepState.DONE
        elif not current_given:
            state, current_given = StepState.CURRENT, True
        else:
            state = StepState.NEXT
        steps.append(Step(number, key, actor, state, done_on if state == StepState.DONE else None))
    finished = not current_given
    last_date = max((s.done_on for s in steps if s.done_on), default=None)
    steps.append(
        Step(
            len(steps) + 1,
            "done",
            Actor.YOU,
            StepState.DONE if finished else StepState.NEXT,
            last_date if finished else None,
        )
    )
    return steps

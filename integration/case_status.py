"""A person's situation, computed in one place from the facts (DOMAIN.md §2–§5, §8).

`case_status(facts, today)` is the only function that decides where a case stands: the
obligation and the permit that created it, the regime, the three conditions with their dates,
the ready and expected-by dates, overdue or not, the state of the start-date letter, the
integration period, the steps, the current step and what the person must do next and who
acts. Pages, letters, staff lists, exports, the admin and the demo read it; templates word it.

The facts come in as plain values (`CaseFacts`, built by `integration.case_facts` from the
database) and the result is a plain value (`CaseStatus`); nothing here touches the database or
the clock. `mirror_columns` turns a status into the stored case-state columns of `Newcomer`
that lists select by (its SQL mirror, kept in the transaction of every change, and tested to
agree with this module).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db import models
from django.utils.translation import gettext_lazy as _

from . import rules
from .choices import Actor, DecisionReason, Outcome, Regime, StepState

# --- The facts ------------------------------------------------------------------------------


@dataclass(frozen=True)
class PermitRecord:
    id: int
    facts: rules.PermitFacts


@dataclass(frozen=True)
class RegistrationRecord:
    id: int
    facts: rules.RegistrationFacts
    municipality_id: int
    municipality_name: str
    moved_abroad: bool = False


@dataclass(frozen=True)
class DecisionRecord:
    id: int
    regime: str
    outcome: str
    reason: str
    decided_on: date
    source: str = "DUO_STAFF"

    def facts(self) -> rules.DecisionFacts:
        return rules.DecisionFacts(self.regime, self.outcome)


@dataclass(frozen=True)
class StatedLetter:
    """What the issued start-date letter (or its latest correction) told the person, as the
    letters app records it on the newcomer when it issues one."""

    issued_on: date
    start_date: date | None
    regime: str
    obligation_number: int = 1
    correction_requested: bool = False


@dataclass(frozen=True)
class IntakeRecord:
    id: int
    kind: str
    status: str  # planned, completed, no_show, cancelled
    starts_at: datetime
    ends_at: datetime
    location: str


@dataclass(frozen=True)
class PlanRecord:
    id: int
    plan_date: date
    route: str
    is_revision: bool
    # What the PIP requires (Wi2021 art 15-16); None: the route's defaults.
    exams: tuple[str, ...] | None = None
    pvt_required: bool = True
    map_required: bool = True


@dataclass(frozen=True)
class ResultRecord:
    """An exam, module or final step as recorded by DUO or imported from the exam system."""

    id: int
    component: str
    taken_on: date
    outcome: str
    source: str = "duo_staff"

    def facts(self) -> rules.ResultFacts:
        return rules.ResultFacts(self.component, self.taken_on, self.outcome)


@dataclass(frozen=True)
class ExtensionRecord:
    """A request for more time (Wi2021 art 12) and DUO's decision on it."""

    id: int
    status: str  # requested, granted, refused
    reason: str
    requested_on: date
    decided_on: date | None = None
    new_last_day: date | None = None


@dataclass(frozen=True)
class CaseFacts:
    """Everything known about one person that their situation depends on."""

    date_of_birth: date
    nationality: str
    bsn_assigned_on: date | None  # None: no BSN
    permits: tuple[PermitRecord, ...] = ()
    registrations: tuple[RegistrationRecord, ...] = ()
    decisions: tuple[DecisionRecord, ...] = ()
    letter: StatedLetter | None = None
    start_letter_requested: bool = False
    intakes: tuple[IntakeRecord, ...] = ()
    plans: tuple[PlanRecord, ...] = ()
    results: tuple[ResultRecord, ...] = ()
    extensions: tuple[ExtensionRecord, ...] = ()


# --- The result -----------------------------------------------------------------------------


class CasePhase(models.TextChoices):
    """Where a case stands, one value per case; each has its own story on every page."""

    OLD_RULES = "old_rules", _("obliged before 2013 (old rules)")
    NOT_OBLIGED = "not_obliged", _("not obliged")
    VOLUNTARY = "voluntary", _("voluntary integration")
    WAITING = "waiting", _("waiting for the conditions")
    ASSESSING = "assessing", _("being assessed")
    LETTER_ON_ITS_WAY = "letter_coming", _("letter on its way")
    LETTER_OVERDUE = "letter_overdue", _("letter overdue")
    INTAKE = "intake", _("letter issued, brede intake and PIP")
    PERIOD_RUNNING = "period_running", _("integration period running")
    PERIOD_ENDED = "period_ended", _("integration period ended")
    FULFILLED = "fulfilled", _("integration obligation fulfilled")


class LetterState(models.TextChoices):
    NOT_DUE = "not_due", _("no letter due")
    WAITING = "waiting", _("waiting for the conditions")
    ASSESSING = "assessing", _("waiting for DUO's decision")
    ON_ITS_WAY = "on_its_way", _("on its way")
    OVERDUE = "overdue", _("overdue")
    ISSUED = "issued", _("issued")


class MunicipalStage(models.TextChoices):
    """Where the brede intake and the PIP stand, for the municipal work list (WI2021 only)."""

    NEEDS_INTAKE = "needs_intake", _("needs an intake")
    INTAKE_PLANNED = "intake_planned", _("intake planned")
    INTAKE_DONE = "intake_done", _("intake done, no PIP yet")
    PIP_WRITTEN = "pip_written", _("PIP written")


class NextAction(models.TextChoices):
    """What happens next for the person, and so who acts (`NEXT_ACTORS`)."""

    CONTACT_MUNICIPALITY = "contact_municipality", _("contact your municipality")
    NOTHING = "nothing", _("nothing to do")
    TAKE_EXAMS_VOLUNTARILY = "voluntary_exams", _("take the exams when you are ready")
    GET_BSN = "get_bsn", _("get a BSN")
    GET_PERMIT = "get_permit", _("wait for the IND's decision on your permit")
    REGISTER = "register", _("register at your municipality")
    WAIT_FOR_DECISION = "wait_for_decision", _("wait for DUO's decision")
    WAIT_FOR_LETTER = "wait_for_letter", _("wait for the letter")
    CONTACT_DUO_LETTER = "contact_duo_letter", _("contact DUO about your letter")
    WAIT_FOR_INVITATION = "wait_for_invitation", _("wait for the invitation to the brede intake")
    GO_TO_INTAKE = "go_to_intake", _("go to your intake appointment")
    WAIT_FOR_PIP = "wait_for_pip", _("wait for your personal plan")
    FOLLOW_ROUTE = "follow_route", _("follow your route")
    CONTACT_DUO_PERIOD_ENDED = "contact_duo_period", _("contact DUO about your obligation")
    FULFILLED = "fulfilled", _("nothing more: you have fulfilled your obligation")


NEXT_ACTORS = {
    NextAction.CONTACT_MUNICIPALITY: Actor.YOU,
    NextAction.NOTHING: None,
    NextAction.TAKE_EXAMS_VOLUNTARILY: Actor.YOU,
    NextAction.GET_BSN: Actor.YOU,
    NextAction.GET_PERMIT: Actor.IND_AND_MUNICIPALITY,
    NextAction.REGISTER: Actor.YOU,
    NextAction.WAIT_FOR_DECISION: Actor.DUO,
    NextAction.WAIT_FOR_LETTER: Actor.DUO,
    NextAction.CONTACT_DUO_LETTER: Actor.YOU,
    NextAction.WAIT_FOR_INVITATION: Actor.MUNICIPALITY,
    NextAction.GO_TO_INTAKE: Actor.YOU,
    NextAction.WAIT_FOR_PIP: Actor.MUNICIPALITY,
    NextAction.FOLLOW_ROUTE: Actor.YOU,
    NextAction.CONTACT_DUO_PERIOD_ENDED: Actor.YOU,
    NextAction.FULFILLED: None,
}


@dataclass(frozen=True)
class Condition:
    """One of the three conditions as the person sees it."""

    key: str  # bsn, permit, registration
    met: bool
    since: date | None
    lapsed: bool = False  # there was one, but it ended or was withdrawn
    municipality: str = ""


@dataclass(frozen=True)
class Period:
    """The 3-year integration period: [first_day, last_day], printed "tot en met" last_day.
    `last_day` includes granted extensions (Wi2021 art 12); `original_last_day` is the end
    the law set before any."""

    first_day: date
    last_day: date
    ended: bool
    original_last_day: date | None = None

    @property
    def extended(self) -> bool:
        return self.original_last_day is not None and self.original_last_day != self.last_day

    @property
    def reminder_on(self) -> date:
        """The day the 6 months before the end begin: the reminder's day, and the first day an
        extension can be requested (Wi2021 art 12)."""
        return rules.extension_request_opens(self.last_day)

    @property
    def anniversary(self) -> date:
        return self.last_day + timedelta(days=1)


@dataclass(frozen=True)
class ComponentResult:
    """One thing the route requires, with where it stands: met (passed or exempted) on a day,
    or open, with the latest recorded attempt."""

    component: str
    met_on: date | None
    latest: ResultRecord | None

    @property
    def met(self) -> bool:
        return self.met_on is not None


@dataclass(frozen=True)
class CaseStatus:
    today: date
    phase: CasePhase
    # §2, §8: the obligation the facts show, and the decision in force.
    obligation: rules.Obligation | None
    regime_by_dates: Regime | None  # the act that fits the dates (for checking decisions)
    decision: DecisionRecord | None
    # §3: the conditions, the ready date and the 8 weeks.
    conditions: tuple[Condition, Condition, Condition]
    conditions_met_on: date | None
    ready_on: date | None
    clock_start: date | None  # the 8 weeks run from here, also while DUO has not decided
    expected_by: date | None
    overdue: bool  # for DUO: the 8 weeks passed without a letter (also while undecided)
    days_overdue: int
    letter_state: LetterState
    letter: StatedLetter | None
    needs_correction: bool  # the issued letter states another start date or act than the facts
    # §4, §5
    period: Period | None
    first_pip_on: date | None
    route: str | None
    intake_completed_on: date | None
    next_intake: IntakeRecord | None
    no_shows: int
    municipal_stage: MunicipalStage | None
    pip_due_on: date | None
    current_registration: RegistrationRecord | None
    steps: tuple[rules.Step, ...] = field(default_factory=tuple)
    next_action: NextAction = NextAction.NOTHING
    # The next day on which this status can change without a new fact (a birthday, a permit's
    # end, the 8 weeks, the period's end): the daily re-derivation finds the person by it.
    review_on: date | None = None
    # §5: what the route requires, each requirement with its result, and the day all were met.
    requirements: rules.Requirements | None = None
    component_results: tuple[ComponentResult, ...] = ()
    results: tuple[ResultRecord, ...] = ()
    fulfilled_on: date | None = None
    # §4: requests for more time, newest first.
    extensions: tuple[ExtensionRecord, ...] = ()

    # -- Plain questions the pages ask ---------------------------------------------------------

    @property
    def regime(self) -> str | None:
        """The act of the decision in force; None while DUO has not decided (being assessed)."""
        return self.decision.regime if self.decision else None

    @property
    def being_assessed(self) -> bool:
        return self.decision is None

    @property
    def obliged(self) -> bool:
        return self.decision is not None and rules.letter_applies(self.decision.facts())

    @property
    def start_date(self) -> date | None:
        """The day the obligation started (§3: the date in the letter), for an obliged person."""
        return self.obligation.starts_on if self.obliged and self.obligation else None

    @property
    def start_permit(self) -> rules.PermitFacts | None:
        return self.obligation.permit if self.obligation else None

    @property
    def letter_issued(self) -> bool:
        return self.letter is not None

    @property
    def late_for_the_person(self) -> bool:
        """The person is told their letter is late only once DUO decided they must integrate;
        while DUO is still assessing, the delay is DUO's own business (its overdue list)."""
        return self.overdue and self.obliged

    @property
    def has_intake(self) -> bool:
        """The brede intake and the PIP exist only under the 2021 act."""
        return self.obliged and self.decision.regime == Regime.WI2021

    @property
    def next_actor(self):
        return NEXT_ACTORS[self.next_action]

    @property
    def current_step(self) -> rules.Step | None:
        return next((step for step in self.steps if step.state == StepState.CURRENT), None)

    @property
    def missing_conditions(self) -> list[str]:
        return [condition.key for condition in self.conditions if not condition.met]

    @property
    def fulfilled(self) -> bool:
        return self.fulfilled_on is not None

    @property
    def open_requirements(self) -> list[str]:
        return [c.component for c in self.component_results if not c.met]

    @property
    def open_extension(self) -> ExtensionRecord | None:
        """The request DUO has not decided yet (at most one at a time)."""
        return next((e for e in self.extensions if e.status == "requested"), None)

    @property
    def latest_extension(self) -> ExtensionRecord | None:
        return self.extensions[0] if self.extensions else None

    @property
    def extension_window_open(self) -> bool:
        """Wi2021 art 12: from 6 months before the end of a running period, while the
        obligation is open."""
        return (self.phase == CasePhase.PERIOD_RUNNING and self.period is not None
                and rules.extension_window_open(self.period.last_day, self.today))

    @property
    def may_request_extension(self) -> bool:
        return self.extension_window_open and self.open_extension is None

    @property
    def reminder_due(self) -> bool:
        """The 6-month reminder is due: a running period within its last 6 months, with
        requirements still open."""
        return self.extension_window_open

    @property
    def ended_unfulfilled(self) -> bool:
        """The period ended and the obligation was not fulfilled (the notice's case)."""
        return self.phase == CasePhase.PERIOD_ENDED


# --- Computing it ---------------------------------------------------------------------------

# AOW age by calendar year (DOMAIN.md §8 ⚠), the default of settings.STATE_PENSION_AGE_TABLE.
DEFAULT_STATE_PENSION_AGES = {
    2013: (65, 1), 2014: (65, 2), 2015: (65, 3), 2016: (65, 6), 2017: (65, 9), 2018: (66, 0),
    2019: (66, 4), 2020: (66, 4), 2021: (66, 4), 2022: (66, 7), 2023: (66, 10), 2024: (67, 0),
    2025: (67, 0), 2026: (67, 0), 2027: (67, 0), 2028: (67, 3),
}


def decision_in_force(decisions) -> DecisionRecord | None:
    """The latest decision: decisions are never edited, a new one supersedes the old (§2 ▶)."""
    return max(decisions, key=lambda d: (d.decided_on, d.id), default=None)


def _current_registration(registrations, today) -> RegistrationRecord | None:
    current = [r for r in registrations if rules.registration_is_current(r.facts, today)]
    return max(current, key=lambda r: (r.facts.registered_on, r.id), default=None)


def _conditions(facts: CaseFacts, today: date, current_registration) -> tuple[Condition, Condition, Condition]:
    bsn = Condition("bsn", facts.bsn_assigned_on is not None and facts.bsn_assigned_on <= today,
                    facts.bsn_assigned_on)
    permit_since = rules.permit_held_since([p.facts for p in facts.permits], today)
    permit = Condition("permit", permit_since is not None, permit_since,
                       lapsed=permit_since is None and any(p.facts.decision_date <= today for p in facts.permits))
    registered = rules.registered_since([r.facts for r in facts.registrations], today)
    registration = Condition("registration", registered is not None, registered,
                             lapsed=registered is None and bool(facts.registrations),
                             municipality=current_registration.municipality_name if current_registration else "")
    return bsn, permit, registration


def _current_obligation(facts: CaseFacts, today: date) -> rules.Obligation | None:
    departures = [r.facts.deregistered_on for r in facts.registrations
                  if r.moved_abroad and r.facts.deregistered_on is not None]
    found = rules.obligations([p.facts for p in facts.permits], departures, facts.date_of_birth, today)
    return found[-1] if found else None


def _regime_by_dates(facts: CaseFacts, obligation, today) -> Regime | None:
    """The act the dates point to: the obligation's start, or else the first permit's decision."""
    if obligation is not None:
        return obligation.regime
    decided = [p.facts.decision_date for p in facts.permits if p.facts.decision_date <= today]
    return rules.regime_for_obligation_start(min(decided)) if decided else None


def registry_decision(facts: CaseFacts, today: date, pension_ages=None) -> tuple[str, str, str] | None:
    """The (regime, outcome, reason) the registry facts imply (DOMAIN.md §2, §8 ▶); None without a
    permit, so the person stays "being assessed". Exemptions and waivers are DUO's decisions."""
    pension_ages = pension_ages or DEFAULT_STATE_PENSION_AGES
    known = sorted((p.facts for p in facts.permits if p.facts.decision_date <= today),
                   key=lambda p: (p.decision_date, p.valid_from))
    if not known:
        return None
    # The latest obligation, also when it has ended since (a permit ran out, the person left):
    # it was an obligation all the same; the lapsed conditions keep the letter from going out.
    obligation = _current_obligation(facts, today)
    regime = _regime_by_dates(facts, obligation, today)
    if facts.nationality.upper() in rules.EU_EEA_SWISS:
        return regime, Outcome.NOT_OBLIGED, DecisionReason.EU_EEA_SWISS
    if obligation is None:
        latest = known[-1]
        if latest.article not in (rules.VwArticle.REGULAR_FIXED_TERM, rules.VwArticle.ASYLUM_FIXED_TERM):
            return regime, Outcome.NOT_OBLIGED, DecisionReason.PERMIT_TYPE
        return regime, Outcome.NOT_OBLIGED, DecisionReason.TEMPORARY_PURPOSE
    if obligation.starts_on > today:
        return regime, Outcome.NOT_OBLIGED, DecisionReason.AGE  # obliged from the 18th birthday
    if facts.nationality.upper() == "TR" and regime == Regime.WI2013:
        return regime, Outcome.NOT_OBLIGED, DecisionReason.TURKISH_WI2013
    if rules.has_state_pension_age(facts.date_of_birth, obligation.starts_on, pension_ages):
        return regime, Outcome.NOT_OBLIGED, DecisionReason.AGE
    return regime, Outcome.OBLIGED, DecisionReason.OBLIGED_BY_RULE


def _period(decision, obligation, first_pip_on, today, extensions=()) -> Period | None:
    if decision is None or not rules.letter_applies(decision.facts()) or obligation is None:
        return None
    span = rules.integration_period(decision.regime, obligation.starts_on, first_pip_on)
    if span is None:
        return None
    original = rules.period_last_day(span)
    last = rules.extended_last_day(original, [e.new_last_day for e in extensions
                                              if e.status == "granted" and e.new_last_day is not None])
    return Period(span[0], last, ended=today > last, original_last_day=original)


def _requirements(decision, obligation, plans) -> rules.Requirements | None:
    """What the person's route requires: the PIP in force under WI2021, the act under WI2013."""
    if decision is None or not rules.letter_applies(decision.facts()):
        return None
    if decision.regime == Regime.WI2013:
        return rules.requirements_for(Regime.WI2013, obligation_start=obligation.starts_on if obligation else None)
    if not plans:
        return None
    plan = plans[-1]
    return rules.requirements_for(Regime.WI2021, route=plan.route, plan_exams=plan.exams,
                                  pvt_required=plan.pvt_required, map_required=plan.map_required)


def _component_results(requirements, results) -> tuple[ComponentResult, ...]:
    if requirements is None:
        return ()
    facts = [r.facts() for r in results]
    shown = list(requirements.components)
    # The onderwijsroute's fallback exams are shown once any of them has a result.
    shown += [c for c in requirements.alternative_exams
              if c not in shown and any(r.component == c for r in results)]
    found = []
    for component in shown:
        mine = sorted((r for r in results if r.component == component), key=lambda r: (r.taken_on, r.id))
        found.append(ComponentResult(component, rules.component_met_on(component, facts),
                                     mine[-1] if mine else None))
    return tuple(found)


def _municipal_stage(facts: CaseFacts, first_pip_on, attended, no_shows, next_intake) -> MunicipalStage:
    if first_pip_on is not None:
        return MunicipalStage.PIP_WRITTEN
    if attended is not None or no_shows >= rules.NO_SHOWS_BEFORE_COMPLETING_WITHOUT_PERSON:
        return MunicipalStage.INTAKE_DONE
    if next_intake is not None:
        return MunicipalStage.INTAKE_PLANNED
    return MunicipalStage.NEEDS_INTAKE


def case_status(facts: CaseFacts, today: date, *, now: datetime | None = None,
                pension_ages=None) -> CaseStatus:
    """Where the case stands on `today` (`now` places today's intake appointments)."""
    now = now or datetime.combine(today, datetime.min.time()).astimezone()
    decision = decision_in_force(facts.decisions)
    decision_facts = decision.facts() if decision else None
    obligation = _current_obligation(facts, today)
    current_registration = _current_registration(facts.registrations, today)
    conditions = _conditions(facts, today, current_registration)

    met = rules.conditions_met_since(facts.bsn_assigned_on, [p.facts for p in facts.permits],
                                     [r.facts for r in facts.registrations], today)
    ready = rules.ready_date(met, decision_facts)
    if ready is not None and obligation is not None and obligation.starts_on > ready:
        ready = obligation.starts_on  # obliged from the 18th birthday: the 8 weeks start then
    # An obligation that starts later (a minor's 18th birthday) has no letter and no clock yet.
    not_started = obligation is not None and obligation.starts_on > today
    if ready is not None and ready > today:
        ready = None
    clock_start = None if not_started else rules.letter_clock_start(met, decision_facts)
    if ready is not None:
        clock_start = ready
    letter = facts.letter
    # A letter stated for an earlier obligation is not this obligation's letter.
    if letter is not None and obligation is not None and letter.obligation_number != obligation.number:
        letter = None
    issued_on = letter.issued_on if letter else None
    overdue = rules.is_overdue(clock_start, issued_on, today)
    days_overdue = rules.days_overdue(clock_start, today) if overdue else 0

    plans = sorted(facts.plans, key=lambda p: (p.plan_date, p.id))
    first_plan = next((p for p in plans if not p.is_revision), None)
    first_pip_on = first_plan.plan_date if first_plan else None
    route = plans[-1].route if plans else None
    attended = max((i.starts_at for i in facts.intakes if i.status == "completed"), default=None)
    no_shows = sum(1 for i in facts.intakes if i.status == "no_show")
    next_intake = min((i for i in facts.intakes if i.status == "planned" and i.ends_at > now),
                      key=lambda i: (i.starts_at, i.id), default=None)
    extensions = tuple(sorted(facts.extensions, key=lambda e: (e.requested_on, e.id), reverse=True))
    period = _period(decision, obligation, first_pip_on, today, extensions)
    obliged = decision is not None and rules.letter_applies(decision_facts)
    requirements = _requirements(decision, obligation, plans)
    result_facts = [r.facts() for r in facts.results]
    fulfilled = rules.fulfilled_on(requirements, result_facts) if obliged else None

    needs_correction = bool(
        obliged and letter is not None and obligation is not None and not letter.correction_requested
        and (letter.start_date != obligation.starts_on or letter.regime != decision.regime))

    letter_state = _letter_state(decision_facts, None if not_started else met, ready, letter, overdue)
    phase = _phase(decision, obligation, letter_state, period, first_pip_on)
    # Fulfilled once every requirement is met, also after the period ended (a late result still
    # counts); before the period runs there is nothing to fulfil yet.
    if phase not in (CasePhase.PERIOD_RUNNING, CasePhase.PERIOD_ENDED):
        fulfilled = None
    elif fulfilled is not None:
        phase = CasePhase.FULFILLED
    has_intake = obliged and decision.regime == Regime.WI2021
    stage = (_municipal_stage(facts, first_pip_on, attended, no_shows, next_intake)
             if has_intake and current_registration else None)
    pip_due_on = rules.pip_due_by(current_registration.facts.registered_on) if stage else None
    intake_completed_on = attended.date() if attended else None

    steps = tuple(_steps(decision, obligation, met, issued_on, intake_completed_on, first_pip_on, route,
                         requirements, result_facts))
    steps = _done_step(steps, fulfilled)
    action = _next_action(phase, conditions, facts, next_intake, letter_state, overdue and obliged, stage)
    status = CaseStatus(
        today=today, phase=phase, obligation=obligation,
        regime_by_dates=_regime_by_dates(facts, obligation, today), decision=decision,
        conditions=conditions, conditions_met_on=met, ready_on=ready, clock_start=clock_start,
        expected_by=rules.letter_expected_by(clock_start) if clock_start else None,
        overdue=overdue, days_overdue=days_overdue, letter_state=letter_state, letter=letter,
        needs_correction=needs_correction, period=period, first_pip_on=first_pip_on, route=route,
        intake_completed_on=intake_completed_on, next_intake=next_intake, no_shows=no_shows,
        municipal_stage=stage, pip_due_on=pip_due_on, current_registration=current_registration,
        steps=steps, next_action=action, requirements=requirements,
        component_results=_component_results(requirements, facts.results),
        results=tuple(sorted(facts.results, key=lambda r: (r.taken_on, r.id), reverse=True)),
        fulfilled_on=fulfilled, extensions=extensions,
    )
    return _with_review_day(status, facts)


def _letter_state(decision_facts, met, ready, letter, overdue) -> LetterState:
    if letter is not None:
        return LetterState.ISSUED
    if decision_facts is not None and not rules.letter_applies(decision_facts):
        return LetterState.NOT_DUE
    if met is None:
        return LetterState.WAITING
    if ready is None:
        return LetterState.ASSESSING
    return LetterState.OVERDUE if overdue else LetterState.ON_ITS_WAY


def _phase(decision, obligation, letter_state, period, first_pip_on) -> CasePhase:
    if decision is not None:
        if decision.regime == Regime.PRE_2013:
            return CasePhase.OLD_RULES
        if decision.regime == Regime.VOLUNTARY:
            return CasePhase.VOLUNTARY
        if decision.outcome != Outcome.OBLIGED:
            return CasePhase.NOT_OBLIGED
    if letter_state == LetterState.WAITING:
        return CasePhase.WAITING
    if letter_state == LetterState.ASSESSING:
        return CasePhase.ASSESSING
    if letter_state == LetterState.ON_ITS_WAY:
        return CasePhase.LETTER_ON_ITS_WAY
    if letter_state == LetterState.OVERDUE:
        return CasePhase.LETTER_OVERDUE
    if period is None:
        return CasePhase.INTAKE  # WI2021 before the first PIP
    return CasePhase.PERIOD_ENDED if period.ended else CasePhase.PERIOD_RUNNING


def _route_dates(requirements, results) -> dict:
    """The days the route's parts were done, for the step plan (§5)."""
    if requirements is None:
        return {}
    modules = {module: rules.all_met_on((module,), results) for module in requirements.modules}
    exams = rules.exams_met_on(requirements, results) if requirements.exams else None
    # The Z-route's route step ends with the final interview (and any exams its PIP names).
    if "final_interview" in modules:
        parts = [modules["final_interview"]] + ([exams] if requirements.exams else [])
        exams = None if any(day is None for day in parts) else max(parts)
    elif not requirements.exams:
        exams = None
    return {
        "exams_passed_on": exams,
        "pvt_done_on": modules.get("pvt"),
        "map_done_on": modules.get("map"),
        "ona_done_on": modules.get("ona"),
        # WI2013: whoever took an exam has chosen how to prepare (self-study or a school).
        "study_choice_on": min((r.taken_on for r in results), default=None),
    }


def _steps(decision, obligation, met, issued_on, intake_completed_on, first_pip_on, route,
           requirements=None, results=()):
    if decision is None:
        return []
    if decision.regime == Regime.VOLUNTARY:
        return rules.voluntary_steps()
    if not rules.letter_applies(decision.facts()):
        return []
    return rules.route_steps(rules.CaseFacts(
        regime=decision.regime,
        obligation_start=obligation.starts_on if obligation else None,
        conditions_met_on=met,
        start_letter_issued_on=issued_on,
        intake_completed_on=intake_completed_on,
        first_pip_on=first_pip_on,
        route=route,
        **_route_dates(requirements, results),
    ))


def _done_step(steps, fulfilled):
    """The last step is done exactly when the obligation is fulfilled, on that day (§5): the day
    the last requirement was met, not the latest date of any step."""
    if not steps or steps[-1].key != "done":
        return steps
    last = steps[-1]
    if fulfilled is not None:
        return (*steps[:-1], dataclasses.replace(last, state=StepState.DONE, done_on=fulfilled))
    if last.state == StepState.DONE:
        return (*steps[:-1], dataclasses.replace(last, state=StepState.NEXT, done_on=None))
    return steps


def _next_action(phase, conditions, facts, next_intake, letter_state, late, stage) -> NextAction:
    if phase == CasePhase.OLD_RULES:
        return NextAction.CONTACT_MUNICIPALITY
    if phase == CasePhase.NOT_OBLIGED:
        return NextAction.NOTHING
    if phase == CasePhase.VOLUNTARY:
        return NextAction.TAKE_EXAMS_VOLUNTARILY
    if phase == CasePhase.WAITING:
        bsn, permit, registration = conditions
        if bsn.met and permit.met and registration.met:
            return NextAction.NOTHING  # waiting for the obligation to start (the 18th birthday)
        if not permit.met:
            return NextAction.GET_PERMIT
        if not registration.met:
            return NextAction.REGISTER
        return NextAction.GET_BSN
    if phase == CasePhase.ASSESSING:
        return NextAction.WAIT_FOR_DECISION
    if phase == CasePhase.LETTER_ON_ITS_WAY:
        return NextAction.WAIT_FOR_LETTER
    if phase == CasePhase.LETTER_OVERDUE:
        return NextAction.CONTACT_DUO_LETTER if late else NextAction.WAIT_FOR_LETTER
    if phase == CasePhase.PERIOD_ENDED:
        return NextAction.CONTACT_DUO_PERIOD_ENDED
    if phase == CasePhase.FULFILLED:
        return NextAction.FULFILLED
    if phase == CasePhase.INTAKE:
        if stage == MunicipalStage.INTAKE_PLANNED:
            return NextAction.GO_TO_INTAKE
        if stage == MunicipalStage.INTAKE_DONE:
            return NextAction.WAIT_FOR_PIP
        return NextAction.WAIT_FOR_INVITATION
    return NextAction.FOLLOW_ROUTE


def _with_review_day(status: CaseStatus, facts: CaseFacts) -> CaseStatus:
    """The first day after `today` on which the same facts could give another status."""
    today = status.today
    candidates = [rules.add_years(facts.date_of_birth, rules.ADULT_AGE)]
    for permit in facts.permits:
        p = permit.facts
        candidates += [p.decision_date, p.valid_from]
        if p.valid_until is not None:
            candidates.append(p.valid_until + timedelta(days=1))
        if p.withdrawn_on is not None:
            candidates.append(p.withdrawn_on)
    for registration in facts.registrations:
        candidates.append(registration.facts.registered_on)
        if registration.facts.deregistered_on is not None:
            candidates.append(registration.facts.deregistered_on)
    if facts.bsn_assigned_on is not None:
        candidates.append(facts.bsn_assigned_on)
    if status.expected_by is not None and status.letter is None:
        candidates.append(status.expected_by + timedelta(days=1))
    if status.period is not None:
        candidates.append(status.period.anniversary)
        candidates.append(status.period.reminder_on)  # the 6-month reminder and extension window
    if status.pip_due_on is not None:
        candidates.append(status.pip_due_on + timedelta(days=1))
    upcoming = [day for day in candidates if day > today]
    return _replace(status, review_on=min(upcoming, default=None))


def _replace(status: CaseStatus, **changes) -> CaseStatus:
    return dataclasses.replace(status, **changes)


# --- The SQL mirror -------------------------------------------------------------------------


def mirror_columns(status: CaseStatus) -> dict:
    """The stored case-state columns of `Newcomer` for this status (see the module docstring)."""
    decision = status.decision
    return {
        "conditions_met_on": status.conditions_met_on,
        "ready_on": status.ready_on,
        "letter_clock_on": status.clock_start,
        "start_letter_issued_on": status.letter.issued_on if status.letter else None,
        "start_letter_owed": decision is None or rules.letter_applies(decision.facts()),
        "obligation_start_on": status.obligation.starts_on if status.obligation else None,
        "obligation_number": status.obligation.number if status.obligation else None,
        "case_regime": decision.regime if decision else "",
        "case_phase": status.phase,
        "start_letter_needs_correction": status.needs_correction,
        "current_municipality_id": (status.current_registration.municipality_id
                                    if status.current_registration else None),
        "municipal_stage": status.municipal_stage or "",
        "pip_due_on": status.pip_due_on,
        "case_review_on": status.review_on,
        "fulfilled_on": status.fulfilled_on,
        "period_last_day": status.period.last_day if status.period else None,
    }


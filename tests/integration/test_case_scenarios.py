"""Real-life cases, each built through the services as the registries and staff would build it,
and checked end to end: the case status (`integration.case_status`), its stored SQL mirror, and
what the newcomer's overview and steps page, the DUO person page and the letter say.

Dates are counted from today where the story needs it to be current, and fixed where the law's
boundaries are the point (2013, 2022, leap days). DOMAIN.md §2–§5 and §8 are the reference.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.text import capfirst
from pypdf import PdfReader

from integration import case_facts, results, rules, services
from integration.case_status import CasePhase, LetterState, MunicipalStage, NextAction, mirror_columns
from integration.choices import DecisionReason, DecisionSource, Outcome, PurposeOfStay, Regime, Route
from integration.models import IntakeStatus, Municipality, Newcomer
from integration.tasks import rederive_due_cases
from letters.issuing import IssueOutcome, issue_letter
from letters.models import Letter, LetterKind, LetterStatus
from portal.accounts.backends import DIGID_BACKEND
from portal.accounts.models import Role, User
from portal.digid.linking import account_for
from portal.duo import actions as duo_actions
from tests.conftest import log_in_with_mfa
from tests.portal import newcomer_cases as cases

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
ANY = object()


def ago(days: int) -> date:
    return TODAY - timedelta(days=days)


def years_ago(years: int, days: int = 0) -> date:
    return rules.add_years(TODAY, -years) - timedelta(days=days)


# --- Building a case the way the registries and DUO do ------------------------------------------


class Story:
    """One person's facts, recorded through `integration.services` in the order they happen."""

    def __init__(self, *, born: date = date(1990, 5, 1), nationality: str = "SY"):
        self.person = Newcomer.objects.create(given_names="Amal", surname="Haddad", date_of_birth=born,
                                              nationality=nationality)
        self.utrecht = cases.municipality()
        self.amsterdam = cases.municipality("GM0363", "Amsterdam")
        self.staff = User.objects.get_or_create(email="duo@duo.example", defaults={
            "username": "duo@duo.example", "role": Role.DUO_STAFF})[0]

    def bsn(self, on: date):
        services.record_bsn(self.person, next(cases._bsns), on)
        return self

    def permit(self, decided: date, *, valid_from: date | None = None, until: date | None = None, title: int = 26,
               purpose: str = PurposeOfStay.ASYLUM):
        self.last_permit = services.record_permit(self.person, residence_title=title, purpose=purpose,
                                                  decision_date=decided, valid_from=valid_from or decided,
                                                  valid_until=until)
        return self

    def withdraw(self, on: date):
        services.withdraw_permit(self.last_permit, on)
        return self

    def register(self, on: date, where: Municipality | None = None):
        self.last_registration = services.record_registration(
            self.person, municipality=where or self.utrecht, street="Oudegracht", house_number="1",
            postcode="3511 AB", town="Utrecht", registered_on=on)
        return self

    def deregister(self, on: date, *, abroad: bool = False, registration=None):
        registration = registration or self.last_registration
        if abroad:
            registration.moved_abroad = True
            registration.save(update_fields=["moved_abroad"])
        services.record_deregistration(registration, on)
        return self

    def registry(self):
        services.derive_decision_from_registry(self.person)
        return self

    def decide(self, regime=Regime.WI2021, outcome=Outcome.OBLIGED, reason=DecisionReason.OBLIGED_BY_RULE,
               override: str = ""):
        services.record_decision(self.person, regime=regime, outcome=outcome, reason=reason, decided_on=TODAY,
                                 decided_by=self.staff, regime_override_reason=override)
        return self

    def issue(self):
        letter = Letter.objects.filter(newcomer=self.person, kind=LetterKind.START_DATE).exclude(
            status=LetterStatus.CANCELLED).order_by("-pk").first()
        assert issue_letter(letter.pk) == IssueOutcome.ISSUED, letter.last_error
        return self

    def intake(self, on: date, status=IntakeStatus.PLANNED):
        cases.intake(self.person, on=on, status=status)
        return self

    def pip(self, on: date, route=Route.B1, revision_of=None):
        self.last_plan = cases.plan(self.person, on=on, route=route, revision_of=revision_of)
        return self

    def results(self, on: date, *components, outcome="passed"):
        for component in components:
            results.record_result(self.person, component=component, taken_on=on, outcome=outcome,
                                  recorded_by=self.staff)
        return self


def ready_wi2021(days: int, **kwargs) -> Story:
    """Obliged under the 2021 act, all conditions met `days` ago (the registration came last)."""
    return Story(**kwargs).bsn(ago(days + 20)).permit(ago(days + 10)).register(ago(days)).registry()


# --- The scenarios ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Expect:
    phase: CasePhase
    regime: object = ANY  # the decision in force (None: being assessed)
    start: object = ANY  # obligation start
    met: object = ANY  # conditions met since
    ready: object = ANY
    expected_by: object = ANY
    days_overdue: object = ANY
    letter: object = ANY  # LetterState
    period: object = ANY  # (first day, last day, ended) or None
    action: object = ANY  # NextAction
    stage: object = ANY  # MunicipalStage or None
    obligation: object = ANY  # obligation number
    needs_correction: bool = False


@dataclass(frozen=True)
class Scenario:
    name: str
    build: Callable[[], Story]
    expect: Expect
    checks: tuple[Callable, ...] = field(default_factory=tuple)


def leap_pip() -> Story:
    return ready_wi2021(400).issue().intake(ago(300), IntakeStatus.COMPLETED).pip(date(2024, 2, 28))


S = Scenario
SCENARIOS = [
    # --- §2 regime boundaries, from the permit that created the obligation
    S("obliged 31 December 2012: old rules",
      lambda: Story().bsn(date(2012, 12, 1)).permit(date(2012, 12, 31)).register(date(2013, 1, 5)).registry(),
      Expect(CasePhase.OLD_RULES, regime=Regime.PRE_2013, start=date(2012, 12, 31), letter=LetterState.NOT_DUE,
             action=NextAction.CONTACT_MUNICIPALITY)),
    S("obliged 1 January 2013: the 2013 act",
      lambda: Story().bsn(date(2012, 12, 1)).permit(date(2013, 1, 1)).register(date(2013, 1, 5)).registry().issue(),
      Expect(CasePhase.PERIOD_ENDED, regime=Regime.WI2013, start=date(2013, 1, 1),
             period=(date(2013, 1, 1), date(2015, 12, 31), True), action=NextAction.CONTACT_DUO_PERIOD_ENDED)),
    S("obliged 31 December 2021: still the 2013 act",
      lambda: Story().bsn(date(2021, 12, 1)).permit(date(2021, 12, 31)).register(date(2022, 1, 3)).registry()
      .issue(), Expect(CasePhase.PERIOD_ENDED, regime=Regime.WI2013, start=date(2021, 12, 31),
                       period=(date(2021, 12, 31), date(2024, 12, 30), True))),
    S("obliged 1 January 2022: the 2021 act",
      lambda: Story().bsn(date(2021, 12, 1)).permit(date(2022, 1, 1)).register(date(2022, 1, 3)).registry().issue(),
      Expect(CasePhase.INTAKE, regime=Regime.WI2021, start=date(2022, 1, 1), period=None,
             action=NextAction.WAIT_FOR_INVITATION, stage=MunicipalStage.NEEDS_INTAKE)),
    # --- §3 the 8 weeks
    S("ready today", lambda: ready_wi2021(0),
      Expect(CasePhase.LETTER_ON_ITS_WAY, ready=TODAY, expected_by=TODAY + timedelta(days=56), days_overdue=0,
             letter=LetterState.ON_ITS_WAY, action=NextAction.WAIT_FOR_LETTER)),
    S("day 56: not yet overdue", lambda: ready_wi2021(56),
      Expect(CasePhase.LETTER_ON_ITS_WAY, expected_by=TODAY, days_overdue=0)),
    S("day 57: one day overdue", lambda: ready_wi2021(57),
      Expect(CasePhase.LETTER_OVERDUE, expected_by=ago(1), days_overdue=1, letter=LetterState.OVERDUE,
             action=NextAction.CONTACT_DUO_LETTER)),
    S("ten weeks: fourteen days overdue", lambda: ready_wi2021(70),
      Expect(CasePhase.LETTER_OVERDUE, days_overdue=14)),
    S("decided today on conditions met 60 days ago: the 8 weeks ran from the conditions",
      lambda: Story().bsn(ago(90)).permit(ago(70)).register(ago(60)).decide(),
      Expect(CasePhase.LETTER_OVERDUE, ready=ago(60), days_overdue=4, action=NextAction.CONTACT_DUO_LETTER)),
    S("letter issued: never overdue", lambda: ready_wi2021(70).issue(),
      Expect(CasePhase.INTAKE, letter=LetterState.ISSUED, days_overdue=0)),
    # --- being assessed
    S("being assessed within 8 weeks", lambda: Story().bsn(ago(40)).permit(ago(30)).register(ago(20)),
      Expect(CasePhase.ASSESSING, regime=None, met=ago(20), ready=None, expected_by=ago(20) + timedelta(days=56),
             letter=LetterState.ASSESSING, action=NextAction.WAIT_FOR_DECISION)),
    S("being assessed past 8 weeks: overdue for DUO, no late alert for the person",
      lambda: Story().bsn(ago(90)).permit(ago(80)).register(ago(63)),
      Expect(CasePhase.ASSESSING, regime=None, days_overdue=7, action=NextAction.WAIT_FOR_DECISION)),
    S("no facts but a BSN: waiting", lambda: Story().bsn(ago(10)),
      Expect(CasePhase.WAITING, regime=None, met=None, action=NextAction.GET_PERMIT)),
    # --- waiting for a condition the person can act on
    S("waiting for registration", lambda: Story().bsn(ago(20)).permit(ago(20)).registry(),
      Expect(CasePhase.WAITING, regime=Regime.WI2021, met=None, letter=LetterState.WAITING,
             action=NextAction.REGISTER)),
    S("waiting for the permit", lambda: Story().bsn(ago(20)).register(ago(20)),
      Expect(CasePhase.WAITING, action=NextAction.GET_PERMIT)),
    S("waiting for a BSN", lambda: Story().permit(ago(20)).register(ago(20)).registry(),
      Expect(CasePhase.WAITING, action=NextAction.GET_BSN)),
    S("permit withdrawn before the letter: readiness cancelled",
      lambda: ready_wi2021(10).withdraw(ago(1)),
      Expect(CasePhase.WAITING, met=None, ready=None, action=NextAction.GET_PERMIT)),
    S("permit ended before the letter",
      lambda: Story().bsn(ago(400)).permit(ago(390), until=ago(2)).register(ago(380)).registry(),
      Expect(CasePhase.WAITING, met=None)),
    S("a retroactive permit counts from its decision",
      lambda: Story().bsn(ago(100)).register(ago(90)).permit(ago(30), valid_from=ago(200)).registry(),
      Expect(CasePhase.LETTER_ON_ITS_WAY, met=ago(30), start=ago(30))),
    # --- §8 which permit counts: renewals and changes do not move the start
    S("renewal without a gap keeps the start date",
      lambda: Story().bsn(date(2022, 3, 1)).permit(date(2022, 3, 10), until=date(2023, 3, 9)).register(
          date(2022, 3, 15)).permit(date(2023, 3, 1), valid_from=date(2023, 3, 10)).registry().issue(),
      Expect(CasePhase.INTAKE, start=date(2022, 3, 10), met=date(2022, 3, 15), obligation=1)),
    S("late renewal with retroactive validity keeps the start and the clock",
      lambda: Story().bsn(ago(800)).permit(ago(790), until=ago(100)).register(ago(780))
      .permit(ago(50), valid_from=ago(99)).registry().issue(),
      Expect(CasePhase.INTAKE, start=ago(790), met=ago(780), obligation=1)),
    S("change of purpose within the obligation keeps the start",
      lambda: ready_wi2021(300).issue().permit(ago(10), title=21, purpose=PurposeOfStay.HUMANITARIAN),
      Expect(CasePhase.INTAKE, start=ago(310))),
    S("a permanent permit (8d) after 8c keeps the start",
      lambda: ready_wi2021(500).issue().permit(ago(5), title=27),
      Expect(CasePhase.INTAKE, start=ago(510))),
    S("study permit first, then family: obliged from the family permit (2021 act)",
      lambda: Story().bsn(date(2019, 9, 1)).permit(date(2019, 8, 20), until=date(2022, 8, 19), title=21,
                                                   purpose=PurposeOfStay.STUDY)
      .register(date(2019, 9, 1)).permit(date(2022, 3, 14), title=21, purpose=PurposeOfStay.FAMILY).registry(),
      # Any permit is one of the three conditions; the 8 weeks run from the obligation's start.
      Expect(CasePhase.LETTER_OVERDUE, regime=Regime.WI2021, start=date(2022, 3, 14), met=date(2019, 9, 1),
             ready=date(2022, 3, 14))),
    S("study permit first, then family in 2021: the 2013 act",
      lambda: Story().bsn(date(2019, 9, 1)).permit(date(2019, 8, 20), until=date(2021, 8, 19), title=21,
                                                   purpose=PurposeOfStay.STUDY)
      .register(date(2019, 9, 1)).permit(date(2021, 6, 14), title=21, purpose=PurposeOfStay.FAMILY).registry(),
      Expect(CasePhase.LETTER_OVERDUE, regime=Regime.WI2013, start=date(2021, 6, 14))),
    S("work permit only: not obliged",
      lambda: Story().bsn(ago(30)).permit(ago(30), title=21, purpose=PurposeOfStay.EMPLOYMENT).register(ago(20))
      .registry(), Expect(CasePhase.NOT_OBLIGED, regime=Regime.WI2021, letter=LetterState.NOT_DUE,
                          action=NextAction.NOTHING, start=None)),
    S("a year without a permit ends the obligation: a new one starts with the next permit",
      lambda: Story().bsn(date(2018, 1, 1)).permit(date(2018, 2, 1), until=date(2019, 1, 31)).register(
          date(2018, 1, 5)).permit(date(2022, 6, 1)).registry(),
      Expect(CasePhase.LETTER_OVERDUE, regime=Regime.WI2021, start=date(2022, 6, 1), obligation=2)),
    S("left the Netherlands and came back with a new permit: a new obligation",
      lambda: Story().bsn(date(2018, 1, 1)).permit(date(2018, 2, 1)).register(date(2018, 1, 5))
      .deregister(date(2019, 7, 1), abroad=True).register(date(2023, 2, 1)).permit(date(2023, 1, 20)).registry(),
      Expect(CasePhase.LETTER_OVERDUE, regime=Regime.WI2021, start=date(2023, 1, 20), met=date(2023, 2, 1),
             obligation=2)),
    # --- §8 moves: a same-day move is one registration, whatever order it is reported in
    S("same-day move, deregistration reported first",
      lambda: same_day_move(deregister_first=True),
      Expect(CasePhase.LETTER_ON_ITS_WAY, met=ago(30), ready=ago(30))),
    S("same-day move, registration reported first",
      lambda: same_day_move(deregister_first=False),
      Expect(CasePhase.LETTER_ON_ITS_WAY, met=ago(30), ready=ago(30))),
    S("a move with a gap of three days restarts the 8 weeks",
      lambda: ready_wi2021(30).deregister(ago(10)).register(ago(7), where=cases.municipality("GM0363", "Amsterdam")),
      Expect(CasePhase.LETTER_ON_ITS_WAY, met=ago(7), ready=ago(7))),
    S("a move with a gap of one day is a gap",
      lambda: ready_wi2021(30).deregister(ago(10)).register(ago(9), where=cases.municipality("GM0363", "Amsterdam")),
      Expect(CasePhase.LETTER_ON_ITS_WAY, met=ago(9))),
    S("a move after the letter keeps everything",
      lambda: ready_wi2021(100).issue().deregister(ago(5)).register(ago(5), where=cases.municipality(
          "GM0363", "Amsterdam")),
      Expect(CasePhase.INTAKE, met=ago(100), letter=LetterState.ISSUED)),
    # --- decisions that are not an obligation
    S("EU national: not obliged",
      lambda: Story(nationality="PL").bsn(ago(50)).permit(ago(60), title=28, purpose=PurposeOfStay.EMPLOYMENT)
      .register(ago(50)).registry(), Expect(CasePhase.NOT_OBLIGED, letter=LetterState.NOT_DUE)),
    S("Turkish national under the 2013 act: not obliged",
      lambda: Story(nationality="TR").bsn(date(2018, 1, 1)).permit(date(2018, 2, 1), title=21,
                                                                   purpose=PurposeOfStay.FAMILY)
      .register(date(2018, 1, 5)).registry(), Expect(CasePhase.NOT_OBLIGED, regime=Regime.WI2013)),
    S("Turkish national under the 2021 act: obliged",
      lambda: Story(nationality="TR").bsn(ago(50)).permit(ago(40), title=21, purpose=PurposeOfStay.FAMILY)
      .register(ago(30)).registry(), Expect(CasePhase.LETTER_ON_ITS_WAY, regime=Regime.WI2021)),
    S("exempt by DUO", lambda: ready_wi2021(10).decide(outcome=Outcome.EXEMPT,
                                                       reason=DecisionReason.DUTCH_DIPLOMA),
      Expect(CasePhase.NOT_OBLIGED, letter=LetterState.NOT_DUE, action=NextAction.NOTHING)),
    S("waived by DUO", lambda: ready_wi2021(10).decide(outcome=Outcome.WAIVED, reason=DecisionReason.MEDICAL),
      Expect(CasePhase.NOT_OBLIGED)),
    S("voluntary: a route to the exams, no letter",
      lambda: Story().bsn(ago(300)).permit(ago(300), title=21, purpose=PurposeOfStay.KNOWLEDGE_MIGRANT)
      .register(ago(290)).decide(Regime.VOLUNTARY, Outcome.NOT_OBLIGED, DecisionReason.CHOSE_VOLUNTARY),
      Expect(CasePhase.VOLUNTARY, letter=LetterState.NOT_DUE, action=NextAction.TAKE_EXAMS_VOLUNTARILY)),
    S("staff deviate from the regime of the dates with a reason",
      lambda: ready_wi2021(20).decide(Regime.WI2013, override="transitional case, confirmed by the IND"),
      Expect(CasePhase.LETTER_ON_ITS_WAY, regime=Regime.WI2013)),
    # --- §8 age
    S("arrived at 15, now 17: not obliged until the 18th birthday",
      lambda: Story(born=years_ago(17, 100)).bsn(ago(700)).permit(ago(700)).register(ago(690)).registry(),
      Expect(CasePhase.NOT_OBLIGED, start=rules.add_years(years_ago(17, 100), 18), ready=None)),
    S("arrived at 15, turned 18 ten days ago: obliged from the birthday",
      lambda: Story(born=years_ago(18, 10)).bsn(ago(1200)).permit(ago(1200)).register(ago(1190)).registry(),
      Expect(CasePhase.LETTER_ON_ITS_WAY, regime=Regime.WI2021, start=ago(10), met=ago(1190), ready=ago(10),
             expected_by=ago(10) + timedelta(days=56))),
    S("obliged by DUO at 17: no letter and no 8 weeks before the 18th birthday",
      lambda: Story(born=years_ago(17, 100)).bsn(ago(700)).permit(ago(700)).register(ago(690)).decide(
          reason=DecisionReason.OTHER),
      Expect(CasePhase.WAITING, ready=None, expected_by=None, days_overdue=0, letter=LetterState.WAITING,
             action=NextAction.NOTHING)),
    S("a 16-year-old with a permit waits for 18 too",
      lambda: Story(born=years_ago(16, 30)).bsn(ago(20)).permit(ago(20)).register(ago(10)).registry(),
      Expect(CasePhase.NOT_OBLIGED, ready=None)),
    S("AOW age 2021 is 66 years and 4 months: obliged just below it",
      lambda: Story(born=date(2021, 6, 1) - timedelta(days=66 * 365 + 90)).bsn(date(2021, 5, 1))
      .permit(date(2021, 6, 1)).register(date(2021, 6, 10)).registry(),
      Expect(CasePhase.LETTER_OVERDUE, regime=Regime.WI2013)),
    S("AOW age 2021: not obliged at 66 years and 5 months",
      lambda: Story(born=rules.add_months(rules.add_years(date(2021, 6, 1), -66), -5)).bsn(date(2021, 5, 1))
      .permit(date(2021, 6, 1)).register(date(2021, 6, 10)).registry(),
      Expect(CasePhase.NOT_OBLIGED)),
    S("AOW age 2024 is 67: obliged at 66 years and 11 months",
      lambda: Story(born=rules.add_months(rules.add_years(date(2024, 6, 1), -66), -11)).bsn(date(2024, 5, 1))
      .permit(date(2024, 6, 1)).register(date(2024, 6, 10)).registry(),
      Expect(CasePhase.LETTER_OVERDUE, regime=Regime.WI2021)),
    # --- §4 the period and the brede intake
    S("WI2021 letter issued, no intake yet", lambda: ready_wi2021(30).issue(),
      Expect(CasePhase.INTAKE, period=None, action=NextAction.WAIT_FOR_INVITATION,
             stage=MunicipalStage.NEEDS_INTAKE)),
    S("WI2021 intake planned", lambda: ready_wi2021(30).issue().intake(TODAY + timedelta(days=5)),
      Expect(CasePhase.INTAKE, action=NextAction.GO_TO_INTAKE, stage=MunicipalStage.INTAKE_PLANNED)),
    S("WI2021 intake attended", lambda: ready_wi2021(60).issue().intake(ago(3), IntakeStatus.COMPLETED),
      Expect(CasePhase.INTAKE, action=NextAction.WAIT_FOR_PIP, stage=MunicipalStage.INTAKE_DONE)),
    S("WI2021 three no-shows complete the intake without the person",
      lambda: ready_wi2021(90).issue().intake(ago(30), IntakeStatus.NO_SHOW).intake(ago(20), IntakeStatus.NO_SHOW)
      .intake(ago(10), IntakeStatus.NO_SHOW),
      Expect(CasePhase.INTAKE, stage=MunicipalStage.INTAKE_DONE)),
    S("WI2021 after the PIP: the period runs from the day after it",
      lambda: ready_wi2021(200).issue().intake(ago(100), IntakeStatus.COMPLETED).pip(ago(50)),
      Expect(CasePhase.PERIOD_RUNNING, period=(ago(49), rules.add_years(ago(49), 3) - timedelta(days=1), False),
             action=NextAction.FOLLOW_ROUTE, stage=MunicipalStage.PIP_WRITTEN)),
    S("a revised PIP does not move the period",
      lambda: revised_pip(),
      Expect(CasePhase.PERIOD_RUNNING, period=(ago(49), rules.add_years(ago(49), 3) - timedelta(days=1), False))),
    S("PIP on 28 February 2024: the period starts on the leap day", leap_pip,
      Expect(CasePhase.PERIOD_RUNNING, period=(date(2024, 2, 29), date(2027, 2, 27), False))),
    S("PIP on new year's eve: the period starts in the new year",
      lambda: ready_wi2021(1200).issue().intake(date(2023, 11, 1), IntakeStatus.COMPLETED).pip(date(2023, 12, 31)),
      Expect(CasePhase.PERIOD_RUNNING, period=(date(2024, 1, 1), date(2026, 12, 31), False))),
    S("WI2013 from a leap day: the last day is 27 February",
      lambda: Story().bsn(date(2016, 2, 1)).register(date(2016, 2, 10)).permit(date(2016, 2, 29)).registry().issue(),
      Expect(CasePhase.PERIOD_ENDED, period=(date(2016, 2, 29), date(2019, 2, 27), True))),
    S("every WI2013 period has ended: say so, and contact DUO",
      lambda: Story().bsn(date(2019, 4, 1)).permit(date(2019, 5, 1)).register(date(2019, 5, 10)).registry().issue(),
      Expect(CasePhase.PERIOD_ENDED, period=(date(2019, 5, 1), date(2022, 4, 30), True),
             action=NextAction.CONTACT_DUO_PERIOD_ENDED)),
    # --- §5 results and the finish
    S("B1-route with one exam still open: the period runs",
      lambda: ready_wi2021(300).issue().intake(ago(250), IntakeStatus.COMPLETED).pip(ago(200))
      .results(ago(20), "reading", "listening", "writing", "knm", "pvt", "map"),
      Expect(CasePhase.PERIOD_RUNNING, action=NextAction.FOLLOW_ROUTE)),
    S("B1-route with every exam, PVT and MAP: fulfilled",
      lambda: ready_wi2021(300).issue().intake(ago(250), IntakeStatus.COMPLETED).pip(ago(200))
      .results(ago(20), "reading", "listening", "writing", "speaking", "knm", "pvt").results(ago(3), "map"),
      Expect(CasePhase.FULFILLED, action=NextAction.FULFILLED,
             period=(ago(199), rules.add_years(ago(199), 3) - timedelta(days=1), False))),
    S("WI2013 exams passed after the period ended: fulfilled all the same",
      lambda: Story().bsn(date(2019, 4, 1)).permit(date(2019, 5, 1)).register(date(2019, 5, 10)).registry().issue()
      .results(date(2023, 1, 10), "reading", "listening", "writing", "speaking", "knm", "pvt", "ona"),
      Expect(CasePhase.FULFILLED, action=NextAction.FULFILLED)),
    # --- corrections
    S("an earlier obliged permit found after the letter: the letter needs a correction",
      lambda: ready_wi2021(100, born=date(1990, 5, 1)).issue().permit(ago(150), valid_from=ago(150), title=21,
                                                                      purpose=PurposeOfStay.FAMILY),
      Expect(CasePhase.INTAKE, start=ago(150), needs_correction=True)),
    S("the correction is issued and refers to the old letter",
      lambda: corrected(),
      Expect(CasePhase.INTAKE, start=ago(150), needs_correction=False, letter=LetterState.ISSUED)),
]


def same_day_move(*, deregister_first: bool) -> Story:
    story = ready_wi2021(30)
    first = story.last_registration
    amsterdam = cases.municipality("GM0363", "Amsterdam")
    if deregister_first:
        story.deregister(ago(5), registration=first).register(ago(5), where=amsterdam)
    else:
        story.register(ago(5), where=amsterdam).deregister(ago(5), registration=first)
    return story


def revised_pip() -> Story:
    story = ready_wi2021(200).issue().intake(ago(100), IntakeStatus.COMPLETED).pip(ago(50))
    return story.pip(ago(5), route=Route.Z, revision_of=story.last_plan)


def corrected() -> Story:
    story = ready_wi2021(100).issue().permit(ago(150), valid_from=ago(150), title=21, purpose=PurposeOfStay.FAMILY)
    duo_actions.correct_start_letter(story.staff, story.person.public_id, why="an earlier permit was found")
    correction = Letter.objects.get(newcomer=story.person, corrects__isnull=False)
    assert issue_letter(correction.pk) == IssueOutcome.ISSUED
    return story


def _matches(expected, actual) -> bool:
    return expected is ANY or expected == actual


def english(day: date) -> str:
    with translation.override("en"):
        return date_format(day, "DATE_FORMAT")


def dutch(day: date) -> str:
    with translation.override("nl"):
        return date_format(day, "j F Y")


@pytest.fixture
def staff_client():
    staff = User.objects.create_user(email="medewerker@duo.example", password="x" * 16, role=Role.DUO_STAFF)
    return log_in_with_mfa(Client(HTTP_ACCEPT_LANGUAGE="en"), staff)


def test_there_are_at_least_sixty_scenarios_with_every_phase():
    assert len(SCENARIOS) + len(DEMO_PERSONA_KEYS) >= 60
    assert {s.expect.phase for s in SCENARIOS} == set(CasePhase)


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_scenario(scenario, staff_client):
    story = scenario.build()
    person = Newcomer.objects.get(pk=story.person.pk)
    status = case_facts.status_for(person.pk)
    expect = scenario.expect

    # The case status.
    period = (status.period.first_day, status.period.last_day, status.period.ended) if status.period else None
    actual = {
        "phase": status.phase, "regime": status.regime, "start": status.obligation.starts_on if status.obligation
        else None, "met": status.conditions_met_on, "ready": status.ready_on, "expected_by": status.expected_by,
        "days_overdue": status.days_overdue, "letter": status.letter_state, "period": period,
        "action": status.next_action, "stage": status.municipal_stage,
        "obligation": status.obligation.number if status.obligation else None,
        "needs_correction": status.needs_correction,
    }
    wanted = {name: getattr(expect, name) for name in actual}
    wrong = {name: (wanted[name], actual[name]) for name in actual if not _matches(wanted[name], actual[name])}
    assert not wrong, f"expected vs actual: {wrong}"

    # Its SQL mirror, stored in the transaction of the last change, says the same.
    stored = {name: getattr(person, name) for name in mirror_columns(status)}
    assert stored == mirror_columns(status)

    check_pages(person, status, staff_client)


def check_pages(person, status, staff_client):
    """What the overview, the steps page, the DUO person page and the letter say."""
    client = cases.client_in("en")  # the person chose English with the switcher
    client.force_login(account_for(person), backend=DIGID_BACKEND)
    overview = client.get(reverse("newcomer:overview")).content.decode()
    steps = client.get(reverse("newcomer:steps")).content.decode()
    duo = staff_client.get(reverse("duo:person", args=[person.public_id])).content.decode()

    assert f'data-phase="{status.phase}"' in overview
    # "Your letter is late" only for the decided obligation past its 8 weeks.
    assert ("Your letter is late" in overview) == (status.phase == CasePhase.LETTER_OVERDUE and status.obliged)
    says = {
        CasePhase.OLD_RULES: "This portal is not for you",
        CasePhase.NOT_OBLIGED: "You do not have to integrate.",
        CasePhase.VOLUNTARY: "you chose to do so voluntarily",
        CasePhase.WAITING: "once all three conditions below are met",
        CasePhase.ASSESSING: "DUO is assessing whether you have to integrate",
    }
    if status.phase in says:
        assert says[status.phase] in overview
    if status.phase == CasePhase.LETTER_ON_ITS_WAY:
        assert f"Your letter is expected before <strong>{english(status.expected_by)}</strong>" in overview
    if status.letter_issued:
        assert f"started on <strong>{english(status.start_date)}</strong>" in overview
    if status.period is not None and status.letter_issued:
        assert f"up to and including {english(status.period.last_day)}" in overview
        # A fulfilled obligation is not told that its period ended (nothing is left to do).
        assert ("It has ended." in overview) == (status.period.ended and not status.fulfilled)
    # The conditions checklist only where a letter may come.
    shows_conditions = 'id="conditions-heading"' in overview
    assert shows_conditions == (status.phase not in (CasePhase.OLD_RULES, CasePhase.NOT_OBLIGED,
                                                     CasePhase.VOLUNTARY))

    if status.steps:
        current = status.current_step
        assert ('aria-current="step"' in steps) == (current is not None)
    elif status.phase == CasePhase.OLD_RULES:
        assert "Old rules apply to you" in steps

    # DUO sees the same dates and the same count.
    assert capfirst(str(status.phase.label)) in duo
    if status.expected_by:
        assert status.expected_by.isoformat() in duo
    assert (f'<dt class="portal-summary__key">Days overdue</dt><dd class="portal-summary__value">'
            f"{status.days_overdue}</dd>") in duo

    if status.letter_issued:
        letter = Letter.objects.filter(newcomer=person, kind=LetterKind.START_DATE,
                                       status=LetterStatus.ISSUED).order_by("-issued_at", "-pk").first()
        with letter.pdf.open("rb") as handle:
            text = re.sub(r"\s+", " ", PdfReader(io.BytesIO(handle.read())).pages[0].extract_text())
        assert f"Uw inburgeringsplicht is begonnen op {dutch(letter.start_date)}" in text
        if not status.needs_correction:
            assert letter.start_date == status.start_date


# --- Decisions that do not fit the dates ------------------------------------------------------


def test_wi2021_for_a_2019_obligation_is_refused_with_a_clear_message():
    story = Story().bsn(date(2019, 1, 1)).permit(date(2019, 3, 1)).register(date(2019, 3, 5))

    with pytest.raises(ValidationError) as refused:
        story.decide(Regime.WI2021)

    assert "The dates of this case call for Wet inburgering 2013" in str(refused.value)
    assert not story.person.decisions.exists()


def test_wi2013_for_a_2023_obligation_is_refused():
    story = Story().bsn(date(2023, 1, 1)).permit(date(2023, 3, 1)).register(date(2023, 3, 5))

    with pytest.raises(ValidationError):
        story.decide(Regime.WI2013)


def test_a_deviation_with_a_reason_is_recorded_and_audited_through_the_duo_workspace(staff_client):
    from portal.audit.models import AuditRecord

    story = Story().bsn(date(2023, 1, 1)).permit(date(2023, 3, 1)).register(date(2023, 3, 5))
    response = staff_client.post(reverse("duo:change_decision", args=[story.person.public_id]), {
        "regime": Regime.WI2013, "outcome": Outcome.OBLIGED, "reason": DecisionReason.OTHER,
        "note": "checked", "confirm": "on"})
    assert response.status_code == 400
    assert "The dates of this case call for Wet inburgering 2021" in response.content.decode()

    response = staff_client.post(reverse("duo:change_decision", args=[story.person.public_id]), {
        "regime": Regime.WI2013, "outcome": Outcome.OBLIGED, "reason": DecisionReason.OTHER,
        "note": "checked", "override_reason": "court ruling 2026/123", "confirm": "on"})
    assert response.status_code == 302
    decision = story.person.decisions.get()
    assert decision.regime_override_reason == "court ruling 2026/123"
    record = AuditRecord.objects.get(newcomer=story.person, what="obligation decision recorded")
    assert record.why == "court ruling 2026/123" and record.detail["regime_override"] is True


# --- Corrections ---------------------------------------------------------------------------------


def test_a_correction_letter_refers_to_the_old_one_which_stays_visible_and_marked(staff_client):
    story = corrected()
    person = story.person
    old, new = (Letter.objects.get(newcomer=person, corrects__isnull=True),
                Letter.objects.get(newcomer=person, corrects__isnull=False))

    assert new.corrects == old and old.status == new.status == LetterStatus.ISSUED
    assert (old.start_date, new.start_date) == (ago(110), ago(150))
    with new.pdf.open("rb") as handle:
        text = re.sub(r"\s+", " ", PdfReader(io.BytesIO(handle.read())).pages[0].extract_text())
    assert f"Deze brief vervangt onze brief met kenmerk {old.reference}" in text
    client = cases.client_in("en")  # the person chose English with the switcher
    client.force_login(account_for(person), backend=DIGID_BACKEND)
    letters = client.get(reverse("newcomer:letters")).content.decode()
    assert f'This letter replaces letter <bdi dir="ltr">{old.reference}</bdi>' in letters
    assert f'Replaced by letter <bdi dir="ltr">{new.reference}</bdi>' in letters
    # Never two independent start-date letters: one original, one correction.
    assert Letter.objects.filter(newcomer=person, kind=LetterKind.START_DATE, corrects__isnull=True,
                                 status=LetterStatus.ISSUED).count() == 1


def test_a_correction_is_refused_when_the_letter_is_right(staff_client):
    story = ready_wi2021(30).issue()

    with pytest.raises(ValidationError):
        duo_actions.correct_start_letter(story.staff, story.person.public_id, why="just because")
    assert not Letter.objects.filter(corrects__isnull=False).exists()


def test_duo_staff_see_the_correct_action_and_use_it(staff_client, django_capture_on_commit_callbacks):
    story = ready_wi2021(100).issue().permit(ago(150), valid_from=ago(150), title=21, purpose=PurposeOfStay.FAMILY)
    page = staff_client.get(reverse("duo:person", args=[story.person.public_id])).content.decode()
    assert "Correct the start-date letter" in page

    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(reverse("duo:correct_letter", args=[story.person.public_id]),
                                     {"why": "an earlier permit was found", "confirm": "on"})

    assert response.status_code == 302
    assert Letter.objects.get(newcomer=story.person, corrects__isnull=False).status == LetterStatus.ISSUED
    assert Newcomer.objects.get(pk=story.person.pk).start_letter_needs_correction is False


# --- Time passing --------------------------------------------------------------------------------


def test_turning_18_makes_the_person_obliged_on_the_day_through_the_daily_rederivation(
        django_capture_on_commit_callbacks):
    born = years_ago(18)  # the 18th birthday is today
    story = Story(born=born).bsn(ago(900)).permit(ago(900)).register(ago(890))
    services.derive_decision_from_registry(story.person, on=ago(1))  # yesterday: 17, not obliged
    Newcomer.objects.filter(pk=story.person.pk).update(case_review_on=TODAY)  # as stored yesterday
    assert story.person.decisions.get().outcome == Outcome.NOT_OBLIGED

    with django_capture_on_commit_callbacks(execute=True):
        done = rederive_due_cases(TODAY)

    person = Newcomer.objects.get(pk=story.person.pk)
    assert done >= 1
    status = case_facts.status_for(person.pk)
    assert status.decision.outcome == Outcome.OBLIGED and status.decision.source == DecisionSource.REGISTRY_FEED
    assert (status.obligation.starts_on, status.ready_on) == (TODAY, TODAY)
    assert Letter.objects.get(newcomer=person, kind=LetterKind.START_DATE).status == LetterStatus.ISSUED


def test_a_permit_running_out_is_noticed_on_the_day_and_cancels_the_queued_letter():
    story = Story().bsn(ago(60)).permit(ago(50), until=ago(1)).register(ago(40)).registry()
    Newcomer.objects.filter(pk=story.person.pk).update(ready_on=ago(40), conditions_met_on=ago(40),
                                                       case_review_on=TODAY)  # as stored yesterday

    rederive_due_cases(TODAY)

    person = Newcomer.objects.get(pk=story.person.pk)
    assert (person.ready_on, person.case_phase) == (None, CasePhase.WAITING)
    assert not Letter.objects.filter(newcomer=person).exclude(status=LetterStatus.CANCELLED).exists()


def test_the_daily_rederivation_finds_people_by_index_not_by_a_scan():
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("the plan is PostgreSQL's")
    from integration.services import cases_to_rederive

    with connection.cursor() as cursor:
        sql, params = cases_to_rederive(TODAY).query.sql_with_params()
        cursor.execute("SET enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute("SET enable_seqscan = on")
    assert "newcomer_review_idx" in plan


def test_each_status_names_the_day_it_next_changes():
    story = ready_wi2021(10)
    status = case_facts.status_for(story.person.pk)
    assert status.review_on == status.expected_by + timedelta(days=1)  # the day it becomes overdue


# --- The demo personas -------------------------------------------------------------------------------

DEMO_PERSONA_KEYS = ["waiting", "ready", "issued", "intake_held", "overdue", "being_assessed", "wi2013",
                     "pre_2013", "voluntary", "not_obliged"]
DEMO_PHASES = {
    "waiting": CasePhase.WAITING, "ready": CasePhase.LETTER_ON_ITS_WAY, "issued": CasePhase.INTAKE,
    "intake_held": CasePhase.INTAKE, "overdue": CasePhase.LETTER_OVERDUE, "being_assessed": CasePhase.ASSESSING,
    "wi2013": CasePhase.PERIOD_ENDED, "pre_2013": CasePhase.OLD_RULES, "voluntary": CasePhase.VOLUNTARY,
    "not_obliged": CasePhase.NOT_OBLIGED,
}


@pytest.fixture
def demo(db):
    from django.core.management import call_command

    call_command("demo_data", verbosity=0)


@pytest.mark.parametrize("key", DEMO_PERSONA_KEYS)
def test_every_demo_persona_tells_one_story_everywhere(demo, key, staff_client):
    from portal.demo.personas import persona_by_key

    person = Newcomer.objects.get(bsn=persona_by_key(key).bsn)
    status = case_facts.status_for(person.pk)

    assert status.phase == DEMO_PHASES[key]
    assert {name: getattr(person, name) for name in mirror_columns(status)} == mirror_columns(status)
    check_pages(person, status, staff_client)


@pytest.mark.parametrize("key", DEMO_PERSONA_KEYS)
def test_every_demo_persona_reads_the_same_on_the_duo_list_csv_and_municipal_page(demo, key, staff_client):

    from portal.demo.personas import persona_by_key

    person = Newcomer.objects.get(bsn=persona_by_key(key).bsn)
    status = case_facts.status_for(person.pk)

    rows = {row.pk: row for row in staff_client.get(reverse("duo:overdue_list")).context["page"].rows}
    on_list = person.pk in rows
    # Everyone past the 8 weeks without a letter is on the list (also a stuck letter within them).
    if status.overdue and not status.letter_issued:
        assert on_list, key
    if on_list:
        assert rows[person.pk].days_overdue == status.days_overdue
    from tests.portal.test_duo_overdue_list import read_csv

    exported = {row["person_id"]: row for row in read_csv(staff_client.get(reverse("duo:overdue_csv")))}
    if on_list:
        row = exported[str(person.public_id)]
        assert (row["expected_by"], int(row["days_overdue"])) == (status.expected_by.isoformat(),
                                                                  status.days_overdue)

    if status.municipal_stage is not None:
        registration = status.current_registration
        officer = User.objects.filter(role=Role.MUNICIPAL_OFFICER, municipality_id=registration.municipality_id).first()
        if officer is None:
            return  # the demo has officers for Utrecht and Amsterdam only
        municipal = log_in_with_mfa(Client(HTTP_ACCEPT_LANGUAGE="en"), officer)
        page = municipal.get(reverse("municipality:person", args=[person.public_id]))
        assert page.status_code == 200
        assert page.context["file"].status.municipal_stage == status.municipal_stage
        assert date_format(status.pip_due_on, "j F Y") in page.content.decode()

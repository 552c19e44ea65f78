"""What a letter states, as facts: the dates, the act, the period, the appointment, and until when
the person can object. The PDF (letters.rendering, in Dutch) and the companion page in the
person's own language ("what this letter says") both read them from here, so the two cannot
tell different dates.

The facts are those of the letter as issued (its start date, its letter date, the plan that
started the period), not of today's case: the companion explains this letter, not the case.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.utils import timezone

from integration.choices import ExtensionStatus, Regime
from integration.models import ExtensionRequest
from integration.plans import current_plan, first_plan, integration_period_of
from integration.rules import extended_last_day, integration_period, period_last_day

from .models import Letter, LetterKind

# "Binnen 6 weken na de datum van deze brief" (Awb art. 6:7): the letters say it in words, the
# companion page gives the day.
OBJECTION_PERIOD = timedelta(weeks=6)


class LetterFactsError(Exception):
    """The letter lacks a fact it must state (a start-date letter without its start date)."""


@dataclass(frozen=True)
class LetterFacts:
    kind: str
    reference: str
    letter_date: date
    regime: str | None = None
    start_date: date | None = None
    # The 3-year period: WI2013 from the start date, WI2021 from the day after the first PIP.
    period_start: date | None = None
    period_last_day: date | None = None
    period_ended: bool = False  # on the letter date (a letter never states a passed deadline as ahead)
    pip_date: date | None = None
    route: str | None = None  # Route value of the plan in force (period letter)
    corrects_reference: str | None = None
    corrects_letter_date: date | None = None
    # Invitation letters: the appointment.
    appointment_kind: str | None = None
    appointment_starts: datetime | None = None
    appointment_ends: datetime | None = None
    appointment_location: str = ""
    appointment_address: str = ""
    municipality: str = ""

    @property
    def objection_deadline(self) -> date | None:
        """The last day to object; only decisions (start date, period) can be objected to."""
        if self.kind in (LetterKind.START_DATE, LetterKind.PERIOD):
            return self.letter_date + OBJECTION_PERIOD
        return None


def letter_facts(letter: Letter) -> LetterFacts:
    if letter.letter_date is None:
        raise LetterFactsError(f"letter {letter.reference}: the letter date is not set")
    common = {"kind": letter.kind, "reference": letter.reference, "letter_date": letter.letter_date,
              "regime": letter.regime}
    corrects = letter.corrects
    if corrects is not None:
        common |= {"corrects_reference": corrects.reference, "corrects_letter_date": corrects.letter_date}
    if letter.kind == LetterKind.START_DATE:
        return _start_date_facts(letter, common)
    if letter.kind == LetterKind.PERIOD:
        return _period_facts(letter, common)
    if letter.kind == LetterKind.INTAKE_INVITATION:
        appointment = letter.intake
        return LetterFacts(**common, appointment_kind=appointment.kind,
                           appointment_starts=timezone.localtime(appointment.starts_at),
                           appointment_ends=timezone.localtime(appointment.ends_at),
                           appointment_location=appointment.location,
                           appointment_address=appointment.municipality.visiting_address or "",
                           municipality=appointment.municipality.name)
    raise LetterFactsError(f"letter {letter.reference}: no facts for {letter.kind}")


def _start_date_facts(letter: Letter, common: dict) -> LetterFacts:
    if letter.start_date is None:
        raise LetterFactsError(f"letter {letter.reference}: the start date is not set")
    if letter.regime == Regime.WI2021:
        # The period starts after the PIP; the start-date letter does not state it.
        return LetterFacts(**common, start_date=letter.start_date)
    if letter.regime == Regime.WI2013:
        period = integration_period(Regime.WI2013, letter.start_date, None)
        last_day = period_last_day(period)
        return LetterFacts(**common, start_date=letter.start_date, period_start=period[0],
                           period_last_day=last_day, period_ended=last_day < letter.letter_date)
    raise LetterFactsError(f"letter {letter.reference}: no start-date letter under {letter.regime}")


def _period_facts(letter: Letter, common: dict) -> LetterFacts:
    plan, period = first_plan(letter.newcomer), integration_period_of(letter.newcomer)
    if plan is None or period is None:
        raise LetterFactsError(f"letter {letter.reference}: the person has no PIP yet")
    # The period as it stood on the letter's date: extended by what DUO had granted by then.
    granted = (ExtensionRequest.objects.filter(newcomer=letter.newcomer, status=ExtensionStatus.GRANTED,
                                               decided_on__lte=letter.letter_date)
               .values_list("new_last_day", flat=True))
    return LetterFacts(**common, pip_date=plan.plan_date, period_start=period[0],
                       period_last_day=extended_last_day(period_last_day(period), granted),
                       route=current_plan(letter.newcomer).route)

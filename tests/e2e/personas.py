"""The people the browser tests log in as, built through the same services as the view tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db import transaction

from integration.choices import Regime
from integration.models import IntakeKind, IntakeStatus
from letters.models import Letter
from portal.demo.letter_states import hold_start_letter_in_queue
from tests.portal import newcomer_cases as cases


@dataclass(frozen=True)
class Persona:
    name: str
    start_date: date | None = None
    letter: Letter | None = None


def issued(given_names="Dawit", surname="Tesfaye") -> Persona:
    """Obliged under WI2021, letter issued as a real PDF, one intake attended, one to come, a plan."""
    person = cases.ready(given_names, surname, ready_days_ago=60, decision_date=cases.days_ago(75))
    letter = cases.issue_start_letter(person)
    cases.intake(person, on=cases.days_ago(30), status=IntakeStatus.COMPLETED)
    cases.intake(person, on=cases.days_from_now(6), hour=13, kind=IntakeKind.LBT, location="Wijkcentrum Overvecht")
    cases.plan(person, on=cases.days_ago(14))
    return Persona(person.full_name, letter.start_date, letter)


def overdue(given_names="Yonas", surname="Berhe") -> Persona:
    """Obliged, all three conditions met ten weeks ago and no letter: past the 8 weeks."""
    person = cases.newcomer(given_names, surname, bsn_days_ago=100)
    cases.permit(person, decided_days_ago=90)
    cases.registration(person, registered_days_ago=70)
    with transaction.atomic():  # the letter stays in the queue, as after a lost message
        hold_start_letter_in_queue(person, Regime.WI2021, queued_on=cases.days_ago(70))
        cases.decision(person)
    return Persona(person.full_name)


def log_in(page, persona: Persona) -> None:
    """Through the DigiD mock, picking the persona by name as a demo user would."""
    page.goto("/inloggen/")
    page.select_option("#id_persona", label=persona.name)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/mijn-inburgering/")

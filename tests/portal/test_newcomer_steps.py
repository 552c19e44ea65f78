"""The step-by-step plan: numbered steps with their state, read out with the step name."""

import re

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.formats import date_format

from integration.choices import Regime, Route
from integration.models import IntakeStatus
from portal.accounts.backends import DIGID_BACKEND
from portal.digid.linking import account_for

from . import newcomer_cases as cases

pytestmark = pytest.mark.django_db


def english_date(day):
    with translation.override("en"):
        return date_format(day, "DATE_FORMAT")


def steps_page(person):
    client = cases.client_in("en")
    client.force_login(account_for(person), backend=DIGID_BACKEND)
    return client.get(reverse("newcomer:steps")).content.decode()


def step_items(page):
    return re.findall(r'<li class="portal-steps__step portal-steps__step--(\w+)"( aria-current="step")?>', page)


def test_wi2021_person_with_letter_is_at_the_intake_step():
    person = cases.ready(ready_days_ago=10)
    cases.issue_start_letter(person)

    page = steps_page(person)

    states = [state for state, _ in step_items(page)]
    assert states == ["done", "done", "current", "next", "next", "next", "next", "next"]
    assert [current for _, current in step_items(page)].count(' aria-current="step"') == 1
    assert "Broad intake with your municipality" in page
    assert "Step 3:" in page
    assert 'aria-describedby="step-3-state"' in page and 'id="step-3-state"' in page
    assert "Who acts: your municipality" in page


def test_attended_intake_and_first_plan_are_done_and_the_route_is_current():
    person = cases.ready(ready_days_ago=60)
    cases.issue_start_letter(person)
    cases.intake(person, on=cases.days_ago(30), status=IntakeStatus.NO_SHOW)
    cases.intake(person, on=cases.days_ago(20), status=IntakeStatus.COMPLETED)
    cases.plan(person, on=cases.days_ago(10), route=Route.EDUCATION)

    page = steps_page(person)

    states = [state for state, _ in step_items(page)]
    # conditions, letter, intake, PIP, route, PVT, MAP (not in the education route), done
    assert states == ["done", "done", "done", "done", "current", "next", "not_applicable", "next"]
    assert f"Done on {english_date(cases.days_ago(20))}" in page
    assert f"Done on {english_date(cases.days_ago(10))}" in page


def test_wi2013_person_waiting_for_the_letter_has_the_letter_as_current_step():
    person = cases.ready(ready_days_ago=10, regime=Regime.WI2013, decision_date=cases.days_ago(2000))

    page = steps_page(person)

    states = [state for state, _ in step_items(page)]
    assert states[:3] == ["done", "current", "next"]
    assert "Choose self-study or a school" in page


def test_person_being_assessed_has_no_steps_yet():
    person = cases.newcomer()

    page = steps_page(person)

    assert step_items(page) == []
    assert "Your steps appear here once that is decided" in page

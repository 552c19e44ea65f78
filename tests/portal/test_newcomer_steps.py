"""The step-by-step plan: numbered steps with their state, read out with the step name."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from integration.choices import Regime
from portal.digid.linking import account_for

from . import newcomer_cases as cases

pytestmark = pytest.mark.django_db


def steps_page(person):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(account_for(person))
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

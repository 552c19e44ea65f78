"""The PIP fixes the WI2021 integration period; a revision never moves it (DOMAIN.md §4)."""

from datetime import date, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from integration import intakes, plans
from integration.choices import Regime, Route
from integration.models import IntakeKind, PersonalPlan
from portal.accounts.models import Role, User
from tests.portal import newcomer_cases as cases

pytestmark = pytest.mark.django_db


@pytest.fixture
def officer():
    return User.objects.create_user(email="ambtenaar@utrecht.example", password="x" * 12,
                                    role=Role.MUNICIPAL_OFFICER, municipality=cases.municipality())


def attended_intake(person, officer, days_ago=30):
    start = timezone.make_aware(datetime.combine(cases.days_ago(days_ago), datetime.min.time())) + timedelta(hours=10)
    appointment = intakes.schedule(newcomer=person, municipality=cases.municipality(), kind=IntakeKind.INTERVIEW,
                                   starts_at=start, ends_at=start + timedelta(hours=1), location="Kamer 1",
                                   officer=officer)
    intakes.record_outcome(appointment, attended=True)
    return appointment


def write(person, officer, plan_date, route=Route.B1, revise=False):
    defaults = plans.plan_defaults(route)
    service = plans.revise_plan if revise else plans.write_first_plan
    return service(person, plan_date=plan_date, route=route, exams=defaults.exams,
                   pvt_required=defaults.pvt_required, map_required=defaults.map_required, written_by=officer)


def test_the_period_starts_the_day_after_the_first_pip_and_lasts_three_years(officer):
    person = cases.ready(ready_days_ago=60)
    attended_intake(person, officer)
    write(person, officer, date(2026, 3, 14))
    assert plans.integration_period_of(person) == (date(2026, 3, 15), date(2029, 3, 15))


def test_a_pip_on_the_last_day_of_february_in_a_leap_year_ends_on_the_same_calendar_day(officer):
    person = cases.ready(ready_days_ago=60)
    attended_intake(person, officer)
    write(person, officer, date(2024, 2, 28))
    # Starts 29 February 2024; 2027 has no 29 February, so the period ends on the 28th.
    assert plans.integration_period_of(person) == (date(2024, 2, 29), date(2027, 2, 28))


def test_a_revised_pip_changes_the_route_but_not_the_period(officer):
    person = cases.ready(ready_days_ago=60)
    attended_intake(person, officer)
    first = write(person, officer, cases.days_ago(20))
    revision = write(person, officer, cases.days_ago(2), route=Route.Z, revise=True)
    assert revision.revision_of == first
    assert plans.current_plan(person).route == Route.Z
    start, end = plans.integration_period_of(person)
    assert start == cases.days_ago(19)
    assert end.year == start.year + 3


def test_a_second_first_pip_is_refused(officer):
    person = cases.ready(ready_days_ago=60)
    attended_intake(person, officer)
    write(person, officer, cases.days_ago(10))
    with pytest.raises(ValidationError, match="already has a PIP"):
        write(person, officer, cases.days_ago(5))
    assert PersonalPlan.objects.filter(newcomer=person).count() == 1


def test_no_pip_before_the_brede_intake(officer):
    person = cases.ready(ready_days_ago=60)
    with pytest.raises(ValidationError, match="brede intake first"):
        write(person, officer, cases.days_ago(1))


def test_after_three_no_shows_the_pip_may_be_written_without_the_person(officer):
    person = cases.ready(ready_days_ago=60)
    for days_ago in (40, 30, 20):
        start = timezone.make_aware(datetime.combine(cases.days_ago(days_ago), datetime.min.time())) + timedelta(
            hours=10)
        appointment = intakes.schedule(newcomer=person, municipality=cases.municipality(),
                                       kind=IntakeKind.INTERVIEW, starts_at=start,
                                       ends_at=start + timedelta(hours=1), location="Kamer 1", officer=officer)
        intakes.record_outcome(appointment, attended=False)
    assert write(person, officer, cases.days_ago(1)).route == Route.B1


def test_no_pip_under_the_2013_act(officer):
    person = cases.ready(regime=Regime.WI2013, ready_days_ago=60, decision_date=date(2019, 5, 1))
    attended_intake(person, officer)
    with pytest.raises(ValidationError, match="Wet inburgering 2021"):
        write(person, officer, cases.days_ago(1))


def test_a_pip_cannot_be_dated_in_the_future(officer):
    person = cases.ready(ready_days_ago=60)
    attended_intake(person, officer)
    with pytest.raises(ValidationError):
        write(person, officer, timezone.localdate() + timedelta(days=1))


@pytest.mark.parametrize(("route", "exams", "pvt", "map_"), [
    (Route.B1, ["reading", "listening", "writing", "speaking", "knm"], True, True),
    (Route.EDUCATION, ["course_diploma"], True, False),
    (Route.Z, [], True, True),
])
def test_route_defaults_follow_domain_section_5(route, exams, pvt, map_):
    defaults = plans.plan_defaults(route)
    assert (list(defaults.exams), defaults.pvt_required, defaults.map_required) == (exams, pvt, map_)


def test_unknown_exam_codes_are_refused(officer):
    person = cases.ready(ready_days_ago=60)
    attended_intake(person, officer)
    with pytest.raises(ValidationError):
        plans.write_first_plan(person, plan_date=cases.days_ago(1), route=Route.B1, exams=["juggling"],
                               pvt_required=True, map_required=True, written_by=officer)

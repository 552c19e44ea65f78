"""What each route requires and when it is complete (DOMAIN.md §5), as pure rules."""

from datetime import date

import pytest

from integration import rules
from integration.choices import Regime, Route
from integration.rules import ResultFacts

B1_DAY = date(2025, 6, 1)


def passed(*components, on=B1_DAY):
    return [ResultFacts(component, on, "passed") for component in components]


def test_the_b1_route_requires_four_b1_exams_knm_pvt_and_map():
    required = rules.requirements_for(Regime.WI2021, route=Route.B1, plan_exams=rules.B1_EXAMS)
    assert set(required.components) == {"reading", "listening", "writing", "speaking", "knm", "pvt", "map"}


def test_a_pip_without_exams_keeps_the_exams_of_the_b1_route():
    assert rules.requirements_for(Regime.WI2021, route=Route.B1, plan_exams=()).exams == rules.B1_EXAMS


def test_the_b1_route_is_complete_on_the_day_the_last_requirement_was_met():
    required = rules.requirements_for(Regime.WI2021, route=Route.B1, plan_exams=rules.B1_EXAMS)
    results = passed("reading", "listening", "writing", "speaking", "knm", "pvt")
    assert rules.fulfilled_on(required, results) is None  # MAP still open
    results.append(ResultFacts("map", date(2025, 9, 3), "passed"))
    assert rules.fulfilled_on(required, results) == date(2025, 9, 3)


def test_a_failed_attempt_leaves_the_component_open_and_a_later_pass_meets_it():
    results = [ResultFacts("speaking", date(2025, 1, 1), "not_passed")]
    assert rules.component_met_on("speaking", results) is None
    results.append(ResultFacts("speaking", date(2025, 4, 1), "passed"))
    results.append(ResultFacts("speaking", date(2025, 5, 1), "not_passed"))
    assert rules.component_met_on("speaking", results) == date(2025, 4, 1)


def test_an_exemption_meets_a_component():
    assert rules.component_met_on("knm", [ResultFacts("knm", B1_DAY, "exempted")]) == B1_DAY


def test_the_education_route_needs_the_course_diploma_and_pvt_but_no_map():
    required = rules.requirements_for(Regime.WI2021, route=Route.EDUCATION, plan_exams=("course_diploma",),
                                      map_required=True)
    assert required.components == ("course_diploma", "pvt")
    assert rules.fulfilled_on(required, passed("course_diploma", "pvt")) == B1_DAY


def test_the_education_route_is_also_complete_with_the_b1_exams_and_knm_instead_of_the_diploma():
    required = rules.requirements_for(Regime.WI2021, route=Route.EDUCATION, plan_exams=("course_diploma",))
    assert rules.fulfilled_on(required, passed("reading", "listening", "writing", "speaking", "pvt")) is None
    assert rules.fulfilled_on(required, passed("reading", "listening", "writing", "speaking", "knm", "pvt")) == B1_DAY


def test_the_z_route_ends_with_the_final_interview_pvt_and_map_and_no_exams():
    required = rules.requirements_for(Regime.WI2021, route=Route.Z, plan_exams=())
    assert required.exams == ()
    assert set(required.modules) == {"final_interview", "pvt", "map"}
    assert rules.fulfilled_on(required, passed("pvt", "map")) is None
    assert rules.fulfilled_on(required, passed("pvt", "map", "final_interview")) == B1_DAY


def test_the_z_route_requires_the_exams_its_pip_names():
    required = rules.requirements_for(Regime.WI2021, route=Route.Z, plan_exams=("speaking",))
    assert rules.fulfilled_on(required, passed("pvt", "map", "final_interview")) is None
    assert rules.fulfilled_on(required, passed("pvt", "map", "final_interview", "speaking")) == B1_DAY


def test_a_pip_that_waives_the_pvt_and_map_leaves_them_out():
    required = rules.requirements_for(Regime.WI2021, route=Route.B1, plan_exams=rules.B1_EXAMS,
                                      pvt_required=False, map_required=False)
    assert required.modules == ()


@pytest.mark.parametrize(("start", "modules"), [
    (date(2014, 6, 1), ()),                  # before ONA and PVT
    (date(2015, 1, 1), ("ona",)),            # ONA from 2015
    (date(2017, 10, 1), ("pvt", "ona")),     # PVT from 1 October 2017
])
def test_wi2013_requires_the_a2_exams_and_ona_and_pvt_by_the_start_date(start, modules):
    required = rules.requirements_for(Regime.WI2013, obligation_start=start)
    assert required.exams == ("reading", "listening", "writing", "speaking", "knm")
    assert required.modules == modules


def test_nothing_is_required_before_the_pip_and_nothing_fulfils_an_unknown_route():
    assert rules.requirements_for(Regime.WI2021, route=None) is None
    assert rules.fulfilled_on(None, passed("pvt")) is None


def test_an_extension_moves_the_last_day_and_never_shortens_it():
    assert rules.extended_last_day(date(2028, 3, 14), []) == date(2028, 3, 14)
    assert rules.extended_last_day(date(2028, 3, 14), [date(2028, 9, 14)]) == date(2028, 9, 14)
    assert rules.extended_last_day(date(2028, 3, 14), [date(2027, 1, 1)]) == date(2028, 3, 14)


def test_the_extension_window_opens_six_months_before_the_last_day_and_closes_after_it():
    last = date(2028, 3, 14)
    assert not rules.extension_window_open(last, date(2027, 9, 13))
    assert rules.extension_window_open(last, date(2027, 9, 14))
    assert rules.extension_window_open(last, last)
    assert not rules.extension_window_open(last, date(2028, 3, 15))

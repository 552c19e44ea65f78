"""Properties of the date rules (DOMAIN.md §2–§5) that hold for every date, not just examples."""

from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from integration import rules
from integration.choices import Regime, Route, StepState
from integration.rules import CaseFacts, PermitFacts, RegistrationFacts

# Pure functions without I/O: no deadline, so a slow, busy machine cannot make them flaky.
no_deadline = settings(deadline=None)

days = st.dates(min_value=date(1990, 1, 1), max_value=date(2060, 12, 31))
offsets = st.integers(min_value=0, max_value=2000)
maybe_days = st.none() | days


@no_deadline
@given(days)
def test_letter_is_always_expected_56_days_after_ready(ready):
    assert (rules.letter_expected_by(ready) - ready).days == 56


@no_deadline
@given(days, offsets, offsets)
def test_overdue_is_monotone_in_the_day(ready, earlier, later_by):
    """Once overdue, a case stays overdue on every later day (until a letter is issued)."""
    first = ready + timedelta(days=earlier)
    second = first + timedelta(days=later_by)
    if rules.is_overdue(ready, None, first):
        assert rules.is_overdue(ready, None, second)
    assert rules.days_overdue(ready, first) <= rules.days_overdue(ready, second)


@no_deadline
@given(days, st.integers(min_value=-100, max_value=2000))
def test_overdue_exactly_when_days_overdue_is_positive(ready, offset):
    on = ready + timedelta(days=offset)
    assert rules.is_overdue(ready, None, on) == (rules.days_overdue(ready, on) > 0)
    assert rules.is_overdue(ready, None, on) == (offset > 56)


@no_deadline
@given(days, days, days)
def test_an_issued_letter_is_never_overdue(ready, issued, on):
    assert not rules.is_overdue(ready, issued, on)


@no_deadline
@given(days)
def test_integration_period_wi2013_ends_three_calendar_years_later(start):
    period = rules.integration_period(Regime.WI2013, start, None)
    assert period is not None
    begin, end = period
    assert begin == start
    assert end > begin
    assert end.year == begin.year + 3
    assert end.month == begin.month
    if (begin.month, begin.day) == (2, 29):  # three years on is never a leap year
        assert end.day == 28
    else:
        assert end.day == begin.day


@no_deadline
@given(days)
def test_integration_period_wi2021_starts_the_day_after_the_first_pip(pip_on):
    begin, end = rules.integration_period(Regime.WI2021, None, pip_on)
    assert begin == pip_on + timedelta(days=1)
    assert rules.add_years(begin, 3) == end
    # Three years are 1095 or 1096 days, with 28 February standing in for 29 February.
    assert 1095 <= (end - begin).days <= 1096


@no_deadline
@given(days)
def test_extension_opens_before_the_period_ends_and_roughly_six_months_earlier(end):
    opens = rules.extension_request_opens(end)
    assert opens < end
    assert 181 <= (end - opens).days <= 184


@no_deadline
@given(days)
def test_regime_boundaries_partition_every_date(start):
    regime = rules.regime_for_obligation_start(start)
    expected = {
        Regime.PRE_2013: start < date(2013, 1, 1),
        Regime.WI2013: date(2013, 1, 1) <= start <= date(2021, 12, 31),
        Regime.WI2021: start >= date(2022, 1, 1),
    }
    assert sum(expected.values()) == 1
    assert expected[regime]


@st.composite
def permits(draw):
    decision_date = draw(days)
    valid_from = decision_date + timedelta(days=draw(st.integers(-400, 60)))
    valid_until = draw(
        st.none() | st.integers(0, 2000).map(lambda n: valid_from + timedelta(days=n))
    )
    withdrawn_on = draw(
        st.none() | st.integers(0, 2000).map(lambda n: decision_date + timedelta(days=n))
    )
    return PermitFacts("8a", "FAMILY", decision_date, valid_from, valid_until, withdrawn_on)


@st.composite
def registrations(draw):
    registered_on = draw(days)
    deregistered_on = draw(
        st.none() | st.integers(0, 2000).map(lambda n: registered_on + timedelta(days=n))
    )
    return RegistrationFacts(registered_on, deregistered_on)


@no_deadline
@given(maybe_days, st.none() | permits(), st.none() | registrations(), days)
def test_conditions_met_is_the_last_of_the_three_and_never_after_the_day(
    bsn_on, permit, registration, on
):
    met = rules.conditions_met_on(bsn_on, permit, registration, on)
    all_current = (
        bsn_on is not None
        and bsn_on <= on
        and permit is not None
        and rules.permit_is_current(permit, on)
        and registration is not None
        and rules.registration_is_current(registration, on)
    )
    if not all_current:
        assert met is None
        return
    assert met == max(bsn_on, permit.decision_date, permit.valid_from, registration.registered_on)
    assert met <= on
    # Never before the obligation started: the letter cannot be owed before the permit exists.
    assert met >= rules.obligation_start_date(permit)


def _case_facts(regime):
    return st.builds(
        CaseFacts,
        regime=st.just(regime),
        obligation_start=maybe_days,
        conditions_met_on=maybe_days,
        start_letter_issued_on=maybe_days,
        intake_completed_on=maybe_days,
        first_pip_on=maybe_days,
        route=st.none() | st.sampled_from(list(Route)),
        study_choice_on=maybe_days,
        exams_passed_on=maybe_days,
        pvt_done_on=maybe_days,
        map_done_on=maybe_days,
        ona_done_on=maybe_days,
    )


case_facts = st.sampled_from([Regime.WI2013, Regime.WI2021]).flatmap(_case_facts)


@no_deadline
@given(case_facts)
def test_plan_has_one_current_step_unless_finished_and_numbers_one_to_n(facts):
    steps = rules.route_steps(facts)
    assert [s.number for s in steps] == list(range(1, len(steps) + 1))
    assert steps[-1].key == "done"
    current = [s for s in steps if s.state == StepState.CURRENT]
    finished = steps[-1].state == StepState.DONE
    assert len(current) == (0 if finished else 1)
    applicable = [s for s in steps[:-1] if s.state != StepState.NOT_APPLICABLE]
    assert finished == all(s.state == StepState.DONE for s in applicable)


@no_deadline
@given(case_facts)
def test_plan_steps_are_done_exactly_when_they_have_a_date_and_next_only_after_current(facts):
    steps = rules.route_steps(facts)
    for step in steps:
        assert (step.state == StepState.DONE) == (step.done_on is not None)
    states = [s.state for s in steps[:-1]]
    if StepState.CURRENT in states:
        first_current = states.index(StepState.CURRENT)
        assert StepState.NEXT not in states[:first_current]


@no_deadline
@given(st.sampled_from([Regime.PRE_2013, Regime.VOLUNTARY, None]).flatmap(_case_facts))
def test_regimes_without_a_route_never_have_steps(facts):
    assert rules.route_steps(facts) == []

"""Examples for each rule of civic integration (DOMAIN.md §2–§5), one group per rule.

The rules are pure functions: no database, no clock. Every date is written out so a reader can
check the expected outcome against the domain page by hand.
"""

from dataclasses import replace
from datetime import date, timedelta

import pytest

from integration import rules
from integration.choices import (
    Actor,
    DecisionReason,
    Outcome,
    PurposeOfStay,
    Regime,
    Route,
    StepState,
    VwArticle,
)
from integration.rules import (
    CaseFacts,
    DecisionFacts,
    PermitFacts,
    RegistrationFacts,
)

STATE_PENSION_AGE = 67


def permit(
    *,
    article=VwArticle.REGULAR_FIXED_TERM,
    purpose=PurposeOfStay.FAMILY,
    decision_date=date(2024, 3, 1),
    valid_from=None,
    valid_until=None,
    withdrawn_on=None,
) -> PermitFacts:
    return PermitFacts(
        article=article,
        purpose=purpose,
        decision_date=decision_date,
        valid_from=valid_from or decision_date,
        valid_until=valid_until,
        withdrawn_on=withdrawn_on,
    )


OBLIGED_WI2021 = DecisionFacts(Regime.WI2021, Outcome.OBLIGED)
OBLIGED_WI2013 = DecisionFacts(Regime.WI2013, Outcome.OBLIGED)


# --- §2 regime_for_obligation_start -------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "regime"),
    [
        (date(2000, 6, 1), Regime.PRE_2013),
        (date(2012, 12, 31), Regime.PRE_2013),
        (date(2013, 1, 1), Regime.WI2013),
        (date(2017, 6, 15), Regime.WI2013),
        (date(2021, 12, 31), Regime.WI2013),
        (date(2022, 1, 1), Regime.WI2021),
        (date(2026, 5, 19), Regime.WI2021),
    ],
)
def test_regime_follows_the_day_the_obligation_started(start, regime):
    assert rules.regime_for_obligation_start(start) == regime


# --- §2 obligation_start_date ---------------------------------------------------------------


def test_obligation_starts_on_the_permit_decision_date_not_its_validity():
    # Asylum permits are usually valid from the application date, months before the decision.
    granted = permit(decision_date=date(2024, 3, 1), valid_from=date(2023, 6, 12))
    assert rules.obligation_start_date(granted) == date(2024, 3, 1)


# --- §6 vw_article_for_residence_title ------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "article"),
    [
        (21, VwArticle.REGULAR_FIXED_TERM),
        (22, VwArticle.REGULAR_FIXED_TERM),
        (23, VwArticle.REGULAR_FIXED_TERM),
        (24, VwArticle.REGULAR_FIXED_TERM),
        (25, VwArticle.REGULAR_PERMANENT),
        (26, VwArticle.ASYLUM_FIXED_TERM),
        (27, VwArticle.ASYLUM_PERMANENT),
        (28, VwArticle.EU),
        (29, VwArticle.EU),
        (30, VwArticle.EU),
        (35, VwArticle.TURKEY),
        (36, VwArticle.EU),
        (37, VwArticle.EU),
        (38, VwArticle.EU),
        (40, VwArticle.EU),
        (98, VwArticle.NONE),
    ],
)
def test_every_brp_table_56_residence_title_maps_to_its_vw_article(code, article):
    assert rules.vw_article_for_residence_title(code) == article


def test_the_known_residence_titles_are_exactly_those_of_table_56():
    assert rules.RESIDENCE_TITLES == (
        21,
        22,
        23,
        24,
        25,
        26,
        27,
        28,
        29,
        30,
        35,
        36,
        37,
        38,
        40,
        98,
    )


@pytest.mark.parametrize("code", [0, 20, 31, 34, 39, 41, 99])
def test_an_unknown_residence_title_is_refused_rather_than_guessed(code):
    with pytest.raises(ValueError, match=str(code)):
        rules.vw_article_for_residence_title(code)


# --- §2 obligation_by_registry --------------------------------------------------------------


def derive(*, nationality="SY", date_of_birth=date(1990, 5, 4), **permit_fields):
    return rules.obligation_by_registry(
        nationality=nationality,
        permit=permit(**permit_fields),
        date_of_birth=date_of_birth,
        state_pension_age=STATE_PENSION_AGE,
    )


def test_a_non_eu_adult_with_a_non_temporary_8a_permit_is_obliged_under_the_act_of_the_start():
    assert derive(decision_date=date(2024, 3, 1)) == (
        Regime.WI2021,
        Outcome.OBLIGED,
        DecisionReason.OBLIGED_BY_RULE,
    )
    assert derive(decision_date=date(2019, 3, 1)) == (
        Regime.WI2013,
        Outcome.OBLIGED,
        DecisionReason.OBLIGED_BY_RULE,
    )


def test_an_asylum_status_holder_with_an_8c_permit_is_obliged():
    regime, outcome, reason = derive(
        article=VwArticle.ASYLUM_FIXED_TERM, purpose=PurposeOfStay.ASYLUM, nationality="ER"
    )
    assert (outcome, reason) == (Outcome.OBLIGED, DecisionReason.OBLIGED_BY_RULE)


@pytest.mark.parametrize("nationality", ["DE", "PL", "NO", "IS", "LI", "CH", "nl"])
def test_eu_eea_and_swiss_nationals_are_never_obliged(nationality):
    _, outcome, reason = derive(nationality=nationality)
    assert (outcome, reason) == (Outcome.NOT_OBLIGED, DecisionReason.EU_EEA_SWISS)


def test_the_united_kingdom_is_no_longer_in_the_eu():
    _, outcome, _ = derive(nationality="GB")
    assert outcome == Outcome.OBLIGED


def test_turkish_nationals_are_exempt_under_the_2013_act_but_obliged_under_the_2021_act():
    assert derive(nationality="TR", decision_date=date(2021, 12, 31)) == (
        Regime.WI2013,
        Outcome.NOT_OBLIGED,
        DecisionReason.TURKISH_WI2013,
    )
    assert derive(nationality="tr", decision_date=date(2022, 1, 1)) == (
        Regime.WI2021,
        Outcome.OBLIGED,
        DecisionReason.OBLIGED_BY_RULE,
    )


@pytest.mark.parametrize(
    "article",
    [
        VwArticle.REGULAR_PERMANENT,
        VwArticle.ASYLUM_PERMANENT,
        VwArticle.EU,
        VwArticle.TURKEY,
        VwArticle.NONE,
    ],
)
def test_only_fixed_term_permits_8a_and_8c_oblige(article):
    _, outcome, reason = derive(article=article)
    assert (outcome, reason) == (Outcome.NOT_OBLIGED, DecisionReason.PERMIT_TYPE)


@pytest.mark.parametrize("purpose", sorted(rules.TEMPORARY_PURPOSES))
def test_a_temporary_purpose_of_stay_does_not_oblige(purpose):
    _, outcome, reason = derive(purpose=purpose)
    assert (outcome, reason) == (Outcome.NOT_OBLIGED, DecisionReason.TEMPORARY_PURPOSE)


@pytest.mark.parametrize(
    "purpose",
    [
        PurposeOfStay.FAMILY,
        PurposeOfStay.ASYLUM,
        PurposeOfStay.HUMANITARIAN,
        PurposeOfStay.OTHER_NON_TEMPORARY,
    ],
)
def test_a_non_temporary_purpose_of_stay_obliges(purpose):
    _, outcome, _ = derive(purpose=purpose)
    assert outcome == Outcome.OBLIGED


@pytest.mark.parametrize(
    ("date_of_birth", "outcome"),
    [
        (date(2008, 3, 2), Outcome.NOT_OBLIGED),  # 15 on the decision date, 16 the next day
        (date(2008, 3, 1), Outcome.OBLIGED),  # 16th birthday on the decision date
        (date(1957, 3, 2), Outcome.OBLIGED),  # 66, reaches 67 the day after
        (date(1957, 3, 1), Outcome.NOT_OBLIGED),  # 67th birthday on the decision date
    ],
)
def test_age_on_the_decision_date_counts_from_16_up_to_state_pension_age(date_of_birth, outcome):
    _, derived, reason = derive(decision_date=date(2024, 3, 1), date_of_birth=date_of_birth)
    assert derived == outcome
    if outcome == Outcome.NOT_OBLIGED:
        assert reason == DecisionReason.AGE


def test_the_state_pension_age_is_a_parameter_not_a_constant():
    facts = permit(decision_date=date(2024, 3, 1))
    born = date(1957, 1, 1)  # 67 on the decision date
    assert (
        rules.obligation_by_registry(
            nationality="SY", permit=facts, date_of_birth=born, state_pension_age=67
        )[1]
        == Outcome.NOT_OBLIGED
    )
    assert (
        rules.obligation_by_registry(
            nationality="SY", permit=facts, date_of_birth=born, state_pension_age=68
        )[1]
        == Outcome.OBLIGED
    )


# --- §3 permit_is_current -------------------------------------------------------------------


def test_a_permit_withdrawn_before_or_on_the_day_no_longer_counts():
    withdrawn = permit(decision_date=date(2024, 3, 1), withdrawn_on=date(2024, 6, 10))
    assert rules.permit_is_current(withdrawn, date(2024, 6, 9))
    assert not rules.permit_is_current(withdrawn, date(2024, 6, 10))
    assert not rules.permit_is_current(withdrawn, date(2024, 6, 11))


def test_a_permit_counts_up_to_and_including_its_last_valid_day():
    fixed_term = permit(decision_date=date(2024, 3, 1), valid_until=date(2029, 2, 28))
    assert rules.permit_is_current(fixed_term, date(2029, 2, 28))
    assert not rules.permit_is_current(fixed_term, date(2029, 3, 1))


def test_a_permit_that_becomes_valid_later_does_not_count_yet():
    future = permit(decision_date=date(2024, 3, 1), valid_from=date(2024, 4, 1))
    assert not rules.permit_is_current(future, date(2024, 3, 31))
    assert rules.permit_is_current(future, date(2024, 4, 1))


def test_a_permit_valid_from_the_application_counts_only_once_decided():
    retroactive = permit(decision_date=date(2024, 3, 1), valid_from=date(2023, 6, 12))
    assert not rules.permit_is_current(retroactive, date(2024, 2, 29))
    assert rules.permit_is_current(retroactive, date(2024, 3, 1))


# --- §3 registration_is_current -------------------------------------------------------------


def test_a_registration_counts_from_its_day_until_the_day_before_deregistration():
    moved_out = RegistrationFacts(date(2024, 2, 1), deregistered_on=date(2025, 1, 15))
    assert not rules.registration_is_current(moved_out, date(2024, 1, 31))
    assert rules.registration_is_current(moved_out, date(2024, 2, 1))
    assert rules.registration_is_current(moved_out, date(2025, 1, 14))
    assert not rules.registration_is_current(moved_out, date(2025, 1, 15))


def test_an_open_registration_stays_current():
    assert rules.registration_is_current(RegistrationFacts(date(2024, 2, 1)), date(2040, 1, 1))


# --- §3 conditions_met_on -------------------------------------------------------------------

BSN_ON = date(2024, 1, 10)
REGISTERED = RegistrationFacts(date(2024, 2, 1))
TODAY = date(2024, 6, 1)


@pytest.mark.parametrize(
    ("bsn_on", "decided", "registered_on", "expected"),
    [
        (date(2024, 3, 5), date(2024, 3, 1), date(2024, 2, 1), date(2024, 3, 5)),  # BSN last
        (date(2024, 1, 10), date(2024, 3, 1), date(2024, 2, 1), date(2024, 3, 1)),  # permit last
        (date(2024, 1, 10), date(2024, 1, 20), date(2024, 4, 2), date(2024, 4, 2)),  # BRP last
    ],
)
def test_conditions_are_met_on_the_day_the_last_of_the_three_became_true(
    bsn_on, decided, registered_on, expected
):
    met = rules.conditions_met_on(
        bsn_on, permit(decision_date=decided), RegistrationFacts(registered_on), TODAY
    )
    assert met == expected


def test_a_retroactive_permit_meets_the_condition_on_its_decision_date():
    # Valid from the asylum application in 2023, but the person only holds it once decided.
    retroactive = permit(decision_date=date(2024, 3, 1), valid_from=date(2023, 6, 12))
    assert rules.conditions_met_on(BSN_ON, retroactive, REGISTERED, TODAY) == date(2024, 3, 1)


def test_a_permit_valid_from_after_its_decision_meets_the_condition_when_valid():
    later = permit(decision_date=date(2024, 3, 1), valid_from=date(2024, 4, 1))
    assert rules.conditions_met_on(BSN_ON, later, REGISTERED, TODAY) == date(2024, 4, 1)


@pytest.mark.parametrize("missing", ["bsn", "permit", "registration"])
def test_conditions_are_not_met_while_any_of_the_three_is_missing(missing):
    met = rules.conditions_met_on(
        None if missing == "bsn" else BSN_ON,
        None if missing == "permit" else permit(),
        None if missing == "registration" else REGISTERED,
        TODAY,
    )
    assert met is None


def test_a_bsn_assigned_after_the_day_does_not_count_yet():
    assert rules.conditions_met_on(date(2024, 7, 1), permit(), REGISTERED, TODAY) is None


def test_a_permit_withdrawn_before_the_letter_cancels_readiness():
    withdrawn = permit(decision_date=date(2024, 3, 1), withdrawn_on=date(2024, 4, 15))
    assert rules.conditions_met_on(BSN_ON, withdrawn, REGISTERED, date(2024, 4, 14)) == date(
        2024, 3, 1
    )
    assert rules.conditions_met_on(BSN_ON, withdrawn, REGISTERED, date(2024, 4, 15)) is None


def test_a_permit_that_expired_cancels_readiness():
    expired = permit(decision_date=date(2024, 3, 1), valid_until=date(2024, 5, 31))
    assert rules.conditions_met_on(BSN_ON, expired, REGISTERED, date(2024, 5, 31)) == date(
        2024, 3, 1
    )
    assert rules.conditions_met_on(BSN_ON, expired, REGISTERED, date(2024, 6, 1)) is None


def test_deregistration_cancels_readiness():
    left = RegistrationFacts(date(2024, 2, 1), deregistered_on=date(2024, 5, 1))
    assert rules.conditions_met_on(BSN_ON, permit(), left, date(2024, 4, 30)) == date(2024, 3, 1)
    assert rules.conditions_met_on(BSN_ON, permit(), left, date(2024, 5, 1)) is None


# --- §3 letter_applies / letter_may_apply / ready_date ---------------------------------------


@pytest.mark.parametrize(
    ("decision", "applies", "may_apply"),
    [
        (None, False, True),  # being assessed: a letter may yet be owed
        (DecisionFacts(Regime.WI2013, Outcome.OBLIGED), True, True),
        (DecisionFacts(Regime.WI2021, Outcome.OBLIGED), True, True),
        (DecisionFacts(Regime.PRE_2013, Outcome.OBLIGED), False, False),
        (DecisionFacts(Regime.VOLUNTARY, Outcome.NOT_OBLIGED), False, False),
        (DecisionFacts(Regime.WI2021, Outcome.NOT_OBLIGED), False, False),
        (DecisionFacts(Regime.WI2021, Outcome.EXEMPT), False, False),
        (DecisionFacts(Regime.WI2013, Outcome.WAIVED), False, False),
    ],
)
def test_a_start_date_letter_is_owed_only_to_the_obliged_under_the_2013_or_2021_act(
    decision, applies, may_apply
):
    assert rules.letter_applies(decision) is applies
    assert rules.letter_may_apply(decision) is may_apply


def test_ready_date_needs_both_the_conditions_and_a_positive_decision():
    met = date(2024, 3, 1)
    assert rules.ready_date(met, OBLIGED_WI2021) == met
    assert rules.ready_date(met, None) is None
    assert rules.ready_date(met, DecisionFacts(Regime.WI2021, Outcome.EXEMPT)) is None
    assert rules.ready_date(None, OBLIGED_WI2021) is None


# --- §3 letter_expected_by / is_overdue / days_overdue ---------------------------------------


def test_the_letter_is_expected_eight_weeks_after_the_ready_date():
    assert rules.letter_expected_by(date(2024, 3, 1)) == date(2024, 4, 26)
    assert rules.letter_expected_by(date(2024, 12, 20)) == date(2025, 2, 14)


def test_exactly_56_days_is_not_overdue_but_57_is():
    ready = date(2024, 3, 1)
    assert not rules.is_overdue(ready, None, date(2024, 4, 26))  # day 56
    assert rules.is_overdue(ready, None, date(2024, 4, 27))  # day 57
    assert rules.days_overdue(ready, date(2024, 4, 26)) == 0
    assert rules.days_overdue(ready, date(2024, 4, 27)) == 1
    assert rules.days_overdue(ready, date(2024, 5, 27)) == 31


def test_an_issued_letter_is_never_overdue():
    ready = date(2024, 3, 1)
    assert not rules.is_overdue(ready, date(2024, 6, 1), date(2024, 12, 1))
    assert not rules.is_overdue(ready, date(2024, 3, 10), date(2026, 1, 1))


def test_without_a_ready_date_nothing_is_overdue():
    assert not rules.is_overdue(None, None, date(2030, 1, 1))


def test_days_overdue_is_never_negative():
    assert rules.days_overdue(date(2024, 3, 1), date(2024, 3, 2)) == 0


# --- §4 integration_period ------------------------------------------------------------------


def test_wi2013_period_runs_three_years_from_the_obligation_start():
    assert rules.integration_period(Regime.WI2013, date(2019, 3, 1), None) == (
        date(2019, 3, 1),
        date(2022, 3, 1),
    )


def test_wi2021_period_runs_three_years_from_the_day_after_the_first_pip():
    assert rules.integration_period(Regime.WI2021, date(2024, 3, 1), date(2024, 6, 14)) == (
        date(2024, 6, 15),
        date(2027, 6, 15),
    )


def test_wi2021_period_does_not_start_before_there_is_a_pip():
    assert rules.integration_period(Regime.WI2021, date(2024, 3, 1), None) is None


def test_a_period_starting_on_29_february_ends_on_28_february():
    assert rules.integration_period(Regime.WI2013, date(2016, 2, 29), None) == (
        date(2016, 2, 29),
        date(2019, 2, 28),
    )
    # The day after a PIP signed on 28 February 2024 is 29 February.
    assert rules.integration_period(Regime.WI2021, None, date(2024, 2, 28)) == (
        date(2024, 2, 29),
        date(2027, 2, 28),
    )


def test_a_pip_on_new_years_eve_starts_the_period_in_the_new_year():
    assert rules.integration_period(Regime.WI2021, None, date(2023, 12, 31)) == (
        date(2024, 1, 1),
        date(2027, 1, 1),
    )


@pytest.mark.parametrize("regime", [Regime.PRE_2013, Regime.VOLUNTARY, None])
def test_other_regimes_have_no_integration_period(regime):
    assert rules.integration_period(regime, date(2019, 3, 1), date(2019, 5, 1)) is None


# --- §4 pvt_due_by / pip_due_by / extension_request_opens ------------------------------------


def test_pvt_is_due_one_year_after_the_later_of_obligation_start_and_registration():
    assert rules.pvt_due_by(date(2018, 3, 1), date(2018, 1, 15)) == date(2019, 3, 1)
    assert rules.pvt_due_by(date(2018, 3, 1), date(2018, 5, 20)) == date(2019, 5, 20)
    assert rules.pvt_due_by(date(2020, 2, 29), date(2020, 1, 1)) == date(2021, 2, 28)


def test_pip_is_due_ten_weeks_after_the_notice_or_registration():
    assert rules.pip_due_by(date(2024, 3, 1)) == date(2024, 5, 10)


def test_an_extension_can_be_requested_from_six_months_before_the_end():
    assert rules.extension_request_opens(date(2027, 6, 15)) == date(2026, 12, 15)
    assert rules.extension_request_opens(date(2027, 3, 1)) == date(2026, 9, 1)
    # 31 August minus six months: February has no 31st, so the last day of February.
    assert rules.extension_request_opens(date(2027, 8, 31)) == date(2027, 2, 28)
    assert rules.extension_request_opens(date(2028, 8, 31)) == date(2028, 2, 29)


# --- §5 ona_applies / pvt_applies -----------------------------------------------------------


def test_ona_applies_to_those_obliged_from_2015():
    assert not rules.ona_applies(date(2014, 12, 31))
    assert rules.ona_applies(date(2015, 1, 1))


def test_pvt_applies_under_wi2013_from_1_october_2017_and_always_under_wi2021():
    assert not rules.pvt_applies(Regime.WI2013, date(2017, 9, 30))
    assert rules.pvt_applies(Regime.WI2013, date(2017, 10, 1))
    assert rules.pvt_applies(Regime.WI2021, date(2022, 1, 1))


# --- §5 route_steps -------------------------------------------------------------------------


def states(steps):
    return [(step.key, step.state) for step in steps]


def test_wi2021_plan_has_eight_numbered_steps_in_the_order_of_the_domain():
    steps = rules.route_steps(CaseFacts(Regime.WI2021))
    assert [s.key for s in steps] == [
        "conditions",
        "letter",
        "intake",
        "pip",
        "route",
        "pvt",
        "map",
        "done",
    ]
    assert [s.number for s in steps] == list(range(1, 9))


def test_wi2021_plan_says_who_acts_at_each_step():
    steps = rules.route_steps(CaseFacts(Regime.WI2021))
    assert [s.actor for s in steps] == [
        Actor.IND_AND_MUNICIPALITY,
        Actor.DUO,
        Actor.MUNICIPALITY,
        Actor.MUNICIPALITY,
        Actor.YOU,
        Actor.YOU,
        Actor.YOU,
        Actor.YOU,
    ]


def test_a_new_wi2021_case_is_waiting_for_the_conditions():
    steps = rules.route_steps(CaseFacts(Regime.WI2021))
    assert states(steps)[0] == ("conditions", StepState.CURRENT)
    assert all(state == StepState.NEXT for _, state in states(steps)[1:])


def test_wi2021_after_the_letter_the_intake_is_current():
    facts = CaseFacts(
        Regime.WI2021,
        obligation_start=date(2024, 3, 1),
        conditions_met_on=date(2024, 3, 1),
        start_letter_issued_on=date(2024, 3, 20),
        route=Route.B1,
    )
    steps = rules.route_steps(facts)
    assert states(steps) == [
        ("conditions", StepState.DONE),
        ("letter", StepState.DONE),
        ("intake", StepState.CURRENT),
        ("pip", StepState.NEXT),
        ("route", StepState.NEXT),
        ("pvt", StepState.NEXT),
        ("map", StepState.NEXT),
        ("done", StepState.NEXT),
    ]
    assert steps[1].done_on == date(2024, 3, 20)
    assert steps[2].done_on is None


def test_the_education_route_has_no_labour_market_module():
    steps = rules.route_steps(CaseFacts(Regime.WI2021, route=Route.EDUCATION))
    assert dict(states(steps))["map"] == StepState.NOT_APPLICABLE
    for route in (Route.B1, Route.Z):
        assert dict(states(rules.route_steps(CaseFacts(Regime.WI2021, route=route))))["map"] == (
            StepState.NEXT
        )


def test_education_route_is_finished_without_map():
    facts = CaseFacts(
        Regime.WI2021,
        conditions_met_on=date(2024, 3, 1),
        start_letter_issued_on=date(2024, 3, 20),
        intake_completed_on=date(2024, 5, 2),
        first_pip_on=date(2024, 6, 14),
        route=Route.EDUCATION,
        exams_passed_on=date(2026, 7, 1),
        pvt_done_on=date(2025, 1, 10),
    )
    steps = rules.route_steps(facts)
    assert steps[-1].key == "done"
    assert steps[-1].state == StepState.DONE
    assert steps[-1].done_on == date(2026, 7, 1)  # the last thing done
    assert StepState.CURRENT not in {s.state for s in steps}


def test_a_step_done_out_of_order_stays_done():
    # The PVT was done before the intake: it stays done; the intake is still the current step.
    facts = CaseFacts(
        Regime.WI2021,
        conditions_met_on=date(2024, 3, 1),
        start_letter_issued_on=date(2024, 3, 20),
        pvt_done_on=date(2024, 4, 2),
    )
    got = dict(states(rules.route_steps(facts)))
    assert got["pvt"] == StepState.DONE
    assert got["intake"] == StepState.CURRENT
    assert got["pip"] == StepState.NEXT
    assert got["done"] == StepState.NEXT


def test_the_final_step_is_done_only_when_every_applicable_step_is_done():
    almost = CaseFacts(
        Regime.WI2021,
        conditions_met_on=date(2024, 3, 1),
        start_letter_issued_on=date(2024, 3, 20),
        intake_completed_on=date(2024, 5, 2),
        first_pip_on=date(2024, 6, 14),
        route=Route.B1,
        exams_passed_on=date(2026, 7, 1),
        pvt_done_on=date(2025, 1, 10),
    )
    steps = rules.route_steps(almost)
    assert dict(states(steps))["map"] == StepState.CURRENT
    assert steps[-1].state == StepState.NEXT
    assert steps[-1].done_on is None

    finished = rules.route_steps(replace(almost, map_done_on=date(2026, 9, 3)))
    assert finished[-1].state == StepState.DONE
    assert finished[-1].done_on == date(2026, 9, 3)


def test_wi2013_plan_has_the_exam_route_steps():
    steps = rules.route_steps(CaseFacts(Regime.WI2013, obligation_start=date(2019, 3, 1)))
    assert [s.key for s in steps] == [
        "conditions",
        "letter",
        "study_choice",
        "exams",
        "pvt",
        "ona",
        "done",
    ]
    assert [s.number for s in steps] == list(range(1, 8))


@pytest.mark.parametrize(
    ("start", "pvt", "ona"),
    [
        (date(2013, 1, 1), StepState.NOT_APPLICABLE, StepState.NOT_APPLICABLE),
        (date(2014, 12, 31), StepState.NOT_APPLICABLE, StepState.NOT_APPLICABLE),
        (date(2015, 1, 1), StepState.NOT_APPLICABLE, StepState.NEXT),
        (date(2017, 9, 30), StepState.NOT_APPLICABLE, StepState.NEXT),
        (date(2017, 10, 1), StepState.NEXT, StepState.NEXT),
        (date(2021, 12, 31), StepState.NEXT, StepState.NEXT),
    ],
)
def test_wi2013_pvt_and_ona_steps_apply_by_obligation_start(start, pvt, ona):
    got = dict(states(rules.route_steps(CaseFacts(Regime.WI2013, obligation_start=start))))
    assert (got["pvt"], got["ona"]) == (pvt, ona)


def test_wi2013_from_before_2015_is_finished_after_the_exams():
    facts = CaseFacts(
        Regime.WI2013,
        obligation_start=date(2014, 5, 1),
        conditions_met_on=date(2014, 5, 1),
        start_letter_issued_on=date(2014, 6, 1),
        study_choice_on=date(2014, 7, 1),
        exams_passed_on=date(2016, 11, 30),
    )
    steps = rules.route_steps(facts)
    assert steps[-1].state == StepState.DONE
    assert steps[-1].done_on == date(2016, 11, 30)


@pytest.mark.parametrize("regime", [Regime.PRE_2013, Regime.VOLUNTARY, None])
def test_regimes_without_a_route_have_no_steps(regime):
    facts = CaseFacts(regime, obligation_start=date(2010, 1, 1), conditions_met_on=date(2010, 1, 1))
    assert rules.route_steps(facts) == []


class TestLetterClockStart:
    """The 8 weeks run from the conditions, also while DUO has not decided yet."""

    met = date(2026, 3, 2)

    def test_runs_from_the_conditions_for_an_obliged_person(self):
        decision = rules.DecisionFacts(Regime.WI2021, Outcome.OBLIGED)
        assert rules.letter_clock_start(self.met, decision) == self.met

    def test_runs_while_no_decision_exists(self):
        assert rules.letter_clock_start(self.met, None) == self.met
        assert rules.is_overdue(rules.letter_clock_start(self.met, None), None, self.met + timedelta(days=57))

    def test_does_not_run_when_no_letter_is_due(self):
        for decision in (rules.DecisionFacts(Regime.WI2021, Outcome.NOT_OBLIGED),
                         rules.DecisionFacts(Regime.PRE_2013, Outcome.OBLIGED),
                         rules.DecisionFacts(Regime.VOLUNTARY, Outcome.NOT_OBLIGED)):
            assert rules.letter_clock_start(self.met, decision) is None

    def test_does_not_run_before_the_conditions_are_met(self):
        assert rules.letter_clock_start(None, None) is None


class TestRouteRequirements:
    """What a PIP requires per WI2021 route unless it deviates (DOMAIN.md §5)."""

    def test_b1_route_needs_four_b1_exams_knm_pvt_and_map(self):
        needs = rules.route_requirements(Route.B1)
        assert set(needs.exams) == {"reading", "listening", "writing", "speaking", "knm"}
        assert needs.pvt_required and needs.map_required

    def test_education_route_ends_with_the_course_diploma_and_has_no_map(self):
        needs = rules.route_requirements(Route.EDUCATION)
        assert needs.exams == ("course_diploma",)
        assert needs.pvt_required and not needs.map_required

    def test_z_route_has_no_exams_unless_the_pip_says_so(self):
        needs = rules.route_requirements(Route.Z)
        assert needs.exams == ()
        assert needs.pvt_required and needs.map_required

    def test_an_unknown_route_is_refused(self):
        with pytest.raises(ValueError):
            rules.route_requirements("A2")


def test_the_overdue_cutoff_selects_exactly_what_is_overdue():
    today = date(2026, 11, 29)
    cutoff = rules.overdue_cutoff(today)
    for ready in (cutoff - timedelta(days=1), cutoff, cutoff + timedelta(days=1)):
        assert rules.is_overdue(ready, None, today) == (ready < cutoff)

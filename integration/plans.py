"""The personal integration and participation plan (PIP, WI2021 art 16; DOMAIN.md §4–§5).

The first PIP fixes the integration period: it starts the day after the first PIP's date and
lasts 3 years. A revision is a new plan that refers to the first one; it may change the route
and the exams but never moves the period.
"""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from . import rules
from .choices import Exam, Outcome, Regime
from .intakes import no_show_count
from .models import IntakeAppointment, IntakeStatus, Newcomer, PersonalPlan
from .services import refresh_case_state

# Exam and module codes a PIP can require (DOMAIN.md §5), with their labels.
EXAMS = dict(Exam.choices)


def plan_defaults(route: str) -> rules.RouteRequirements:
    return rules.route_requirements(route)


def first_plan(newcomer: Newcomer) -> PersonalPlan | None:
    return PersonalPlan.objects.filter(newcomer=newcomer, revision_of__isnull=True).first()


def current_plan(newcomer: Newcomer) -> PersonalPlan | None:
    """The plan in force: the latest revision, or the first plan when it was never revised."""
    return PersonalPlan.objects.filter(newcomer=newcomer).order_by("-plan_date", "-pk").first()


def integration_period_of(newcomer: Newcomer) -> tuple[date, date] | None:
    """The WI2021 period as [first day, anniversary); None before the first PIP (DOMAIN.md §4).
    Pages and letters read it from the case status (`CaseStatus.period`, with its last day)."""
    plan = first_plan(newcomer)
    return rules.integration_period(Regime.WI2021, None, plan.plan_date if plan else None)


def intake_finished(newcomer: Newcomer) -> bool:
    """The brede intake is done when an appointment was attended, or after three no-shows
    (the municipality may then complete it without the person; DOMAIN.md §5)."""
    attended = IntakeAppointment.objects.filter(newcomer=newcomer, status=IntakeStatus.COMPLETED).exists()
    return attended or no_show_count(newcomer) >= rules.NO_SHOWS_BEFORE_COMPLETING_WITHOUT_PERSON


def _clean_plan(plan: PersonalPlan) -> None:
    unknown = [code for code in plan.exams if code not in EXAMS]
    if unknown:
        raise ValidationError({"exams": _("Unknown exam or module: %(codes)s.") % {"codes": ", ".join(unknown)}})
    plan.exams = [code for code in EXAMS if code in plan.exams]  # a fixed order, no duplicates
    plan.full_clean()


def _check_obliged_under_2021(newcomer: Newcomer) -> None:
    decision = newcomer.current_decision()
    if decision is None or decision.regime != Regime.WI2021 or decision.outcome != Outcome.OBLIGED:
        raise ValidationError(_("A PIP is written only for people obliged under the Wet inburgering 2021."),
                              code="not_wi2021")


def check_first_plan_allowed(newcomer: Newcomer) -> None:
    """Raise the ValidationError that `write_first_plan` would, before anyone is asked to confirm."""
    _check_obliged_under_2021(newcomer)
    if not intake_finished(newcomer):
        raise ValidationError(_("Record the brede intake first: the PIP follows an attended intake "
                                "(or three invitations the person did not come to)."), code="no_intake")
    if first_plan(newcomer) is not None:
        raise ValidationError(_("This person already has a PIP; write a revision instead."), code="exists")


def write_first_plan(newcomer: Newcomer, *, plan_date: date, route: str, exams, pvt_required: bool,
                     map_required: bool, written_by) -> PersonalPlan:
    """Write the first PIP; it fixes the integration period. Refused when one exists already."""
    with transaction.atomic():
        locked = Newcomer.objects.select_for_update().get(pk=newcomer.pk)
        check_first_plan_allowed(locked)
        plan = PersonalPlan(newcomer=locked, plan_date=plan_date, route=route, exams=list(exams),
                            pvt_required=pvt_required, map_required=map_required, written_by=written_by)
        _clean_plan(plan)
        try:
            with transaction.atomic():
                plan.save()
        except IntegrityError:  # pip_one_first_plan_per_newcomer: someone else was quicker
            raise ValidationError(_("This person already has a PIP; write a revision instead."),
                                  code="exists") from None
        refresh_case_state(locked)  # the period starts: stage, phase and review day move
    return plan


def revise_plan(newcomer: Newcomer, *, plan_date: date, route: str, exams, pvt_required: bool,
                map_required: bool, written_by) -> PersonalPlan:
    """Write a revised PIP. It refers to the first plan, whose date keeps fixing the period."""
    with transaction.atomic():
        locked = Newcomer.objects.select_for_update().get(pk=newcomer.pk)
        first = first_plan(locked)
        if first is None:
            raise ValidationError(_("There is no PIP to revise yet."), code="no_plan")
        latest = current_plan(locked)
        if plan_date < latest.plan_date:
            raise ValidationError({"plan_date": _("A revision cannot be dated before the plan it revises "
                                                  "(%(date)s).") % {"date": latest.plan_date.isoformat()}})
        plan = PersonalPlan(newcomer=locked, plan_date=plan_date, route=route, exams=list(exams),
                            pvt_required=pvt_required, map_required=map_required, written_by=written_by,
                            revision_of=first)
        _clean_plan(plan)
        plan.save()
        refresh_case_state(locked)
    return plan

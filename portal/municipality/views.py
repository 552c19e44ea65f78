"""Municipal officers' pages. Each runs behind `municipal_officer_required` (role + TOTP in this
session), finds everything through the officer's municipality (another municipality's people
are a 404) and writes an audit record for every view and change."""

from __future__ import annotations

from datetime import date, timedelta

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from integration import intakes, plans, rules
from integration.choices import Regime
from integration.models import IntakeStatus
from letters.invitations import will_send_email
from portal.audit.models import AuditAction
from portal.audit.services import audit

from . import actions, selectors
from .forms import (
    DUE_LABELS,
    PLANNING_WINDOW,
    STAGE_LABELS,
    CancelForm,
    OutcomeForm,
    PlanForm,
    RescheduleForm,
    ScheduleForm,
    WorkListFilterForm,
    default_duration,
)
from .permissions import municipal_officer_required

# The fields a free-slot link fills in (see `_suggestions`).
SLOT_FIELDS = ("officer", "location", "day", "start_time", "duration")


@never_cache
@municipal_officer_required
def work_list(request):
    municipality = request.user.municipality
    form = WorkListFilterForm(request.GET)
    filters = form.filters()
    today = timezone.localdate()
    with transaction.atomic():
        # No count over the whole municipality: a page and whether another one follows.
        after = selectors.WorkListCursor.parse(request.GET.get("na"), filters.sort)
        page = selectors.work_list_page(municipality, filters, after, today)
        rows = page.rows
        audit(request.user, AuditAction.VIEW, "municipal work list", rows=len(rows),
              filters={k: v for k, v in vars(filters).items() if v})
    for row in rows:
        row.due = selectors.due_state(row, today)
        row.stage_label = STAGE_LABELS[row.municipal_stage]
        row.due_label = DUE_LABELS.get(row.due, "")
    query = urlencode([(k, v) for k, v in request.GET.items() if k != "na"])
    return render(request, "municipality/work_list.html",
                  {"form": form, "page": page, "rows": rows, "query": query, "municipality": municipality})


@never_cache
@municipal_officer_required
def planning(request):
    """A day or week of appointments; `?dag=2026-03-02&weergave=week`."""
    municipality = request.user.municipality
    today = timezone.localdate()
    asked = request.GET.get("dag", "")
    try:
        day = date.fromisoformat(asked)
    except ValueError:
        day = today
        if asked:
            messages.warning(request, _("That is not a date; showing today."))
    earliest, latest = PLANNING_WINDOW.bounds(today)
    if not earliest <= day <= latest:
        messages.warning(request, _("Planning can be shown from %(earliest)s to %(latest)s; showing today.") % {
            "earliest": date_format(earliest), "latest": date_format(latest)})
        day = today
    week = request.GET.get("weergave") == "week"
    first = day - timedelta(days=day.weekday()) if week else day
    last = first + timedelta(days=6 if week else 0)
    with transaction.atomic():
        appointments = list(selectors.appointments_between(municipality, first, last))
        audit(request.user, AuditAction.VIEW, "intake planning", first_day=first.isoformat(),
              last_day=last.isoformat(), rows=len(appointments))
    days = {first + timedelta(days=n): [] for n in range((last - first).days + 1)}
    for appointment in appointments:
        days[timezone.localtime(appointment.starts_at).date()].append(appointment)
    step = timedelta(days=7 if week else 1)
    return render(request, "municipality/planning.html", {
        "days": days.items(), "week": week, "first": first, "last": last,
        "previous": (first - step).isoformat(), "next": (first + step).isoformat(),
        "municipality": municipality,
    })


@never_cache
@municipal_officer_required
def person_detail(request, public_id):
    with transaction.atomic():
        newcomer = selectors.person(request.user.municipality, public_id)
        file = selectors.person_file(newcomer)
        audit(request.user, AuditAction.VIEW, "municipal person page", newcomer=newcomer)
    return render(request, "municipality/person_detail.html", {
        "file": file, "newcomer": newcomer, "statuses": IntakeStatus,
        "third_no_show": rules.NO_SHOWS_BEFORE_COMPLETING_WITHOUT_PERSON, "now": timezone.now(),
    })


def _suggestions(request, form, kind):
    """Free slots for the officer and room in the form (or the signed-in officer), as links
    that fill in the form: works without JavaScript."""
    data = form.data if form.is_bound else form.initial
    try:
        officer = form.fields["officer"].clean(data.get("officer") or request.user.pk)
        location = form.fields["location"].clean(data.get("location") or "")
        duration = timedelta(minutes=form.fields["duration"].clean(data.get("duration") or default_duration(kind)))
    except ValidationError:
        return []  # the form itself tells the officer what is wrong
    slots = intakes.free_slots(municipality=request.user.municipality, officer=officer, location=location,
                               duration=duration, after=timezone.now())
    links = []
    for slot in slots:
        start = timezone.localtime(slot.starts_at)
        params = {"kind": kind, "officer": officer.pk, "location": location, "day": start.date().isoformat(),
                  "start_time": start.strftime("%H:%M"), "duration": int(duration.total_seconds() // 60)}
        links.append({"starts_at": slot.starts_at, "ends_at": slot.ends_at, "query": urlencode(params)})
    return links


@never_cache
@municipal_officer_required
def schedule(request, public_id):
    municipality = request.user.municipality
    with transaction.atomic():
        newcomer = selectors.person(municipality, public_id)
        audit(request.user, AuditAction.VIEW, "schedule intake form", newcomer=newcomer)
    if request.method == "POST":
        form = ScheduleForm(request.POST, municipality=municipality)
        if form.is_valid():
            data = form.cleaned_data
            try:
                appointment = actions.schedule_intake(
                    request.user, newcomer, kind=data["kind"], starts_at=data["starts_at"],
                    ends_at=data["ends_at"], location=data["location"], officer=data["officer"])
            except ValidationError as exc:
                form.add_service_error(exc, form.field_map)
            else:
                messages.success(request, _(
                    "The appointment is planned and the invitation is being sent by e-mail. The letter is in Mijn "
                    "Inburgering.") if will_send_email(newcomer) else _(
                    "The appointment is planned. The invitation letter is in Mijn Inburgering; no e-mail address is "
                    "known, so no e-mail is sent."))
                return redirect("municipality:person", public_id=appointment.newcomer.public_id)
    else:
        kind = request.GET.get("kind") or "INTERVIEW"
        initial = {"kind": kind, "officer": request.user.pk, "duration": default_duration(kind),
                   **{k: v for k, v in request.GET.items() if k in SLOT_FIELDS}}
        form = ScheduleForm(initial=initial, municipality=municipality)
    kind = (form.data.get("kind") if form.is_bound else form.initial.get("kind")) or "INTERVIEW"
    return render(request, "municipality/schedule.html", {
        "form": form, "newcomer": newcomer, "suggestions": _suggestions(request, form, kind), "kind": kind,
    }, status=400 if form.is_bound and form.errors else 200)


@never_cache
@municipal_officer_required
def reschedule(request, public_id):
    municipality = request.user.municipality
    with transaction.atomic():
        appointment = selectors.appointment(municipality, public_id)
        audit(request.user, AuditAction.VIEW, "reschedule intake form", newcomer=appointment.newcomer,
              appointment=str(appointment.public_id))
    if request.method == "POST":
        form = RescheduleForm(request.POST, municipality=municipality)
        if form.is_valid():
            data = form.cleaned_data
            try:
                actions.reschedule_intake(request.user, appointment, starts_at=data["starts_at"],
                                          ends_at=data["ends_at"], location=data["location"],
                                          officer=data["officer"])
            except ValidationError as exc:
                form.add_service_error(exc, form.field_map)
            else:
                messages.success(request, _(
                    "The appointment is moved. An e-mail with the new time is being sent; it also moves the "
                    "appointment in the person's calendar. The new letter is in Mijn Inburgering.")
                    if will_send_email(appointment.newcomer) else _(
                    "The appointment is moved. The new letter is in Mijn Inburgering; no e-mail address is known, so "
                    "no e-mail is sent."))
                return redirect("municipality:person", public_id=appointment.newcomer.public_id)
    else:
        start = timezone.localtime(appointment.starts_at)
        minutes = int((appointment.ends_at - appointment.starts_at).total_seconds() // 60)
        initial = {"officer": appointment.officer_id, "location": appointment.location,
                   "day": start.date(), "start_time": start.strftime("%H:%M"), "duration": minutes}
        # A free-slot link fills the form with its officer, room, day and time.
        initial.update({key: value for key, value in request.GET.items() if key in SLOT_FIELDS})
        form = RescheduleForm(initial=initial, municipality=municipality)
    return render(request, "municipality/appointment_form.html", {
        "form": form, "appointment": appointment, "newcomer": appointment.newcomer,
        "suggestions": _suggestions(request, form, appointment.kind), "action": "reschedule",
    }, status=400 if form.is_bound and form.errors else 200)


def _appointment_action(request, public_id, form_class, template, perform, success):
    with transaction.atomic():
        appointment = selectors.appointment(request.user.municipality, public_id)
        audit(request.user, AuditAction.VIEW, f"{template} form", newcomer=appointment.newcomer,
              appointment=str(appointment.public_id))
    form = form_class(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            result = perform(appointment, form.cleaned_data)
        except ValidationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, success(result))
            return redirect("municipality:person", public_id=appointment.newcomer.public_id)
    return render(request, f"municipality/{template}.html", {
        "form": form, "appointment": appointment, "newcomer": appointment.newcomer,
    }, status=400 if form.is_bound and form.errors else 200)


@never_cache
@municipal_officer_required
def cancel(request, public_id):
    return _appointment_action(
        request, public_id, CancelForm, "cancel",
        lambda appointment, data: actions.cancel_intake(request.user, appointment, reason=data["reason"]),
        lambda result: _(
            "The appointment is cancelled. An e-mail is being sent; it also removes the appointment from the "
            "person's calendar.") if will_send_email(result.newcomer) else _(
            "The appointment is cancelled. No e-mail address is known: the person sees the cancellation in Mijn "
            "Inburgering."))


def _outcome_message(result):
    if result.no_show_number is None:
        return _("Recorded: the person attended.")
    if result.is_third_no_show:
        return _("Recorded: third no-show. The municipality may now complete the brede intake without the "
                 "person.")
    return _("Recorded: no-show number %(n)s.") % {"n": result.no_show_number}


@never_cache
@municipal_officer_required
def outcome(request, public_id):
    return _appointment_action(
        request, public_id, OutcomeForm, "outcome",
        lambda appointment, data: actions.record_intake_outcome(request.user, appointment,
                                                                attended=data["attended"], notes=data["notes"]),
        _outcome_message)


@never_cache
@municipal_officer_required
def write_plan(request, public_id):
    with transaction.atomic():
        newcomer = selectors.person(request.user.municipality, public_id)
        file = selectors.person_file(newcomer)
        audit(request.user, AuditAction.VIEW, "PIP form", newcomer=newcomer)
    revising = bool(file.plans)
    if request.method == "POST":
        form = PlanForm(request.POST)
        if form.is_valid() and not revising and request.POST.get("confirmed") != "yes":
            try:
                plans.check_first_plan_allowed(newcomer)
            except ValidationError as exc:
                form.add_service_error(exc)
                return render(request, "municipality/plan_form.html", {
                    "form": form, "newcomer": newcomer, "file": file, "revising": revising}, status=400)
            # Saving the first PIP fixes the 3-year period: show the dates and ask first.
            plan_date = form.cleaned_data["plan_date"]
            period = rules.integration_period(Regime.WI2021, None, plan_date)
            return render(request, "municipality/plan_confirm.html", {
                "form": form, "newcomer": newcomer, "plan_date": plan_date, "first_day": period[0],
                "last_day": rules.period_last_day(period), "data": request.POST,
                "route_label": dict(PlanForm.base_fields["route"].choices)[form.cleaned_data["route"]],
            })
        if form.is_valid():
            try:
                actions.write_plan(request.user, newcomer, **form.cleaned_data)
            except ValidationError as exc:
                form.add_service_error(exc)
            else:
                messages.success(request, _("The revised PIP is saved; the integration period does not change.")
                                 if revising else
                                 _("The PIP is saved. The integration period is fixed and DUO's letter about "
                                   "it is on its way."))
                return redirect("municipality:person", public_id=newcomer.public_id)
    else:
        latest = file.plans[-1] if file.plans else None
        route = request.GET.get("route") or (latest.route if latest else "B1")
        if route not in dict(PlanForm.base_fields["route"].choices):
            route = "B1"
        initial = PlanForm.initial_for(route, timezone.localdate())
        if latest and not request.GET.get("route"):
            initial.update(exams=latest.exams, pvt_required=latest.pvt_required, map_required=latest.map_required)
        form = PlanForm(initial=initial)
    return render(request, "municipality/plan_form.html", {
        "form": form, "newcomer": newcomer, "file": file, "revising": revising,
    }, status=400 if form.is_bound and form.errors else 200)



"""Forms of the municipal workspace. Errors are linked to their fields (aria-describedby), and
a refusal from a service (a booked officer or room) lands on the field it is about."""

from __future__ import annotations

from datetime import datetime, timedelta

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from integration import intakes, plans, rules
from integration.choices import Route
from integration.models import IntakeKind
from portal.accounts.models import Role, User
from portal.forms import PortalFormMixin

from .selectors import SORTS, Due, Stage

STAGE_LABELS = {
    Stage.NEEDS_INTAKE: _("needs an intake"),
    Stage.INTAKE_PLANNED: _("intake planned"),
    Stage.INTAKE_DONE: _("intake done, no PIP yet"),
    Stage.PIP_WRITTEN: _("PIP written"),
}
DUE_LABELS = {Due.PASSED: _("PIP due date passed"), Due.APPROACHING: _("PIP due within 2 weeks")}


class MunicipalForm(PortalFormMixin, forms.Form):
    """A form of the municipal workspace; Django links each field to its errors itself."""

    def add_service_error(self, error: ValidationError, field_map: dict | None = None) -> None:
        """Put a service's ValidationError on the matching fields (non-field otherwise)."""
        field_map = field_map or {}
        if not hasattr(error, "error_dict"):
            self.add_error(None, error.messages)
            return
        for name, messages in error.message_dict.items():
            name = field_map.get(name, name)
            self.add_error(name if name in self.fields else None, messages)


class WorkListFilterForm(PortalFormMixin, forms.Form):
    stage = forms.ChoiceField(label=_("Stage"), required=False,
                              choices=[("", _("all"))] + [(s, STAGE_LABELS[s]) for s in Stage.ORDER])
    due = forms.ChoiceField(label=_("PIP due"), required=False,
                            choices=[("", _("all")), *DUE_LABELS.items()])
    name = forms.CharField(label=_("Name"), required=False, max_length=100)
    sort = forms.ChoiceField(label=_("Sort by"), required=False, choices=[
        ("due", _("PIP due date, earliest first")), ("-due", _("PIP due date, latest first")),
        ("name", _("name"))])

    def filters(self):
        from .selectors import WorkListFilters

        data = self.cleaned_data if self.is_valid() else {}
        sort = data.get("sort") or "due"
        return WorkListFilters(stage=data.get("stage", ""), due=data.get("due", ""),
                               name=(data.get("name") or "").strip(), sort=sort if sort in SORTS else "due")


class DateWindow:
    """The dates a person may enter in a field, relative to today: out-of-range dates get a
    clear message instead of reaching the rules (and a year 9999 never reaches date arithmetic)."""

    def __init__(self, days_back: int, days_ahead: int):
        self.days_back, self.days_ahead = days_back, days_ahead

    def bounds(self, today):
        return today - timedelta(days=self.days_back), today + timedelta(days=self.days_ahead)


# Appointments are planned up to two years ahead; planning pages reach five years back.
APPOINTMENT_WINDOW = DateWindow(days_back=0, days_ahead=2 * 366)
PLANNING_WINDOW = DateWindow(days_back=5 * 366, days_ahead=2 * 366)
# A PIP is written on or after the 2021 act came into force, never in the future.
PLAN_DATE_EARLIEST = rules.WI2021_FIRST_DAY


DURATIONS = [(30, _("30 minutes")), (45, _("45 minutes")), (60, _("1 hour")), (90, _("1.5 hours")),
             (120, _("2 hours"))]


class AppointmentTimeForm(MunicipalForm):
    """When, where and with whom; combined into aware start and end times."""

    officer = forms.ModelChoiceField(label=_("Officer"), queryset=User.objects.none())
    location = forms.CharField(label=_("Location (room)"), max_length=200)
    day = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    start_time = forms.TimeField(label=_("Start time"), widget=forms.TimeInput(attrs={"type": "time"}))
    duration = forms.TypedChoiceField(label=_("Duration"), choices=DURATIONS, coerce=int, initial=60)

    field_map = {"starts_at": "start_time", "ends_at": "duration"}

    def __init__(self, *args, municipality, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["officer"].queryset = User.objects.filter(role=Role.MUNICIPAL_OFFICER,
                                                              municipality=municipality, is_active=True)

    def clean_day(self):
        day = self.cleaned_data["day"]
        earliest, latest = APPOINTMENT_WINDOW.bounds(timezone.localdate())
        if day < earliest:
            raise ValidationError(_("Choose a moment in the future."), code="past")
        if day > latest:
            raise ValidationError(_("Appointments can be planned up to %(latest)s.") % {
                "latest": date_format(latest)}, code="too_far")
        return day

    def clean(self):
        data = super().clean()
        if data.get("day") and data.get("start_time") and data.get("duration"):
            starts_at = timezone.make_aware(datetime.combine(data["day"], data["start_time"]))
            if starts_at < timezone.now():
                self.add_error("day", _("Choose a moment in the future."))
            data["starts_at"] = starts_at
            data["ends_at"] = starts_at + timedelta(minutes=data["duration"])
        return data


class ScheduleForm(AppointmentTimeForm):
    kind = forms.ChoiceField(label=_("Kind of appointment"), choices=IntakeKind.choices,
                             widget=forms.RadioSelect)

    field_order = ["kind", "officer", "location", "day", "start_time", "duration"]


class RescheduleForm(AppointmentTimeForm):
    pass


class CancelForm(MunicipalForm):
    reason = forms.CharField(label=_("Reason"), max_length=200)


class OutcomeForm(MunicipalForm):
    attended = forms.TypedChoiceField(
        label=_("Did the person come?"), widget=forms.RadioSelect, coerce=lambda value: value == "yes",
        choices=[("yes", _("Yes, attended")), ("no", _("No, did not attend (no-show)"))])
    notes = forms.CharField(label=_("Notes"), required=False, max_length=2000,
                            widget=forms.Textarea(attrs={"rows": 3}))


class PlanForm(MunicipalForm):
    plan_date = forms.DateField(label=_("Date of the plan"), widget=forms.DateInput(attrs={"type": "date"}))
    route = forms.ChoiceField(label=_("Route"), choices=Route.choices, widget=forms.RadioSelect)
    exams = forms.MultipleChoiceField(label=_("Exams and modules required"), required=False,
                                      choices=list(plans.EXAMS.items()), widget=forms.CheckboxSelectMultiple)
    pvt_required = forms.BooleanField(label=_("Participation statement (PVT) required"), required=False)
    map_required = forms.BooleanField(label=_("Labour market and participation module (MAP) required"),
                                      required=False)

    def clean_plan_date(self):
        day = self.cleaned_data["plan_date"]
        if day < PLAN_DATE_EARLIEST:
            raise ValidationError(_("A PIP exists from %(first)s, when the 2021 act came into force.") % {
                "first": date_format(PLAN_DATE_EARLIEST)}, code="before_act")
        if day > timezone.localdate():
            raise ValidationError(_("The date of the plan cannot be in the future."), code="future")
        return day

    @staticmethod
    def initial_for(route: str, plan_date) -> dict:
        defaults = plans.plan_defaults(route)
        return {"plan_date": plan_date, "route": route, "exams": list(defaults.exams),
                "pvt_required": defaults.pvt_required, "map_required": defaults.map_required}


def default_duration(kind: str) -> int:
    return int(intakes.DEFAULT_DURATION.get(kind, timedelta(hours=1)).total_seconds() // 60)

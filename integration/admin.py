"""Django admin for newcomers and the facts of their case.

Every save recomputes the derived case state through `services.refresh_case_state`, in the
transaction the admin opens around a save, so the admin can never leave a case whose stored
state disagrees with its facts. The BSN is personal data: it is shown on a person's own page
only, never in a list, and it is found by an exact match only.
"""

import re

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db.models import Case, CharField, Q, Value, When
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from . import rules, services
from .case_status import CasePhase
from .choices import Regime
from .forms import DecisionAdminForm, FindByBsnForm, NewcomerAdminForm, RegistrationAdminForm
from .models import (
    ExtensionRequest,
    Municipality,
    MunicipalRegistration,
    Newcomer,
    ObligationDecision,
    ResidencePermit,
    Result,
)
from .signals import personal_data_viewed
from .validators import normalise_postcode


class UsableInitialDataMixin:
    """The admin fills an add form from the query string (`?newcomer=12`); a value that cannot
    be one of the field's values is dropped instead of breaking the page."""

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        usable = {}
        for name, value in initial.items():
            try:
                field = self.model._meta.get_field(name)
                target = field.target_field if field.is_relation else field
                for item in value if isinstance(value, list) else [value]:
                    target.to_python(item)
            except (FieldDoesNotExist, ValidationError, AttributeError):
                continue
            usable[name] = value
        return usable


# --- The case state as one label, from the stored case-state columns ------------------------


class CaseStateLabel:
    """The admin's coarse view of `CasePhase`: what a support desk asks about a case."""

    WAITING = "waiting"
    ASSESSING = "assessing"
    READY = "ready"
    OVERDUE = "overdue"
    ISSUED = "issued"
    NOT_DUE = "not_due"

    choices = [
        (WAITING, _("waiting for conditions")),
        (ASSESSING, _("being assessed")),
        (READY, _("ready, letter expected soon")),
        (OVERDUE, _("overdue")),
        (ISSUED, _("letter issued")),
        (NOT_DUE, _("no letter due")),
    ]


LETTER_COMING = (CasePhase.LETTER_ON_ITS_WAY, CasePhase.LETTER_OVERDUE)


def case_state_conditions(today):
    """(label, condition on the stored case-state columns) per state. The conditions exclude
    each other; ready and overdue split on the day the 8 weeks run from, by the same cutoff as
    `rules.is_overdue`, so the list is right on the day itself."""
    overdue_before = rules.overdue_cutoff(today)
    return [
        (CaseStateLabel.ISSUED, Q(case_phase__in=(CasePhase.INTAKE, CasePhase.PERIOD_RUNNING,
                                                  CasePhase.PERIOD_ENDED, CasePhase.FULFILLED))),
        (CaseStateLabel.NOT_DUE, Q(case_phase__in=(CasePhase.OLD_RULES, CasePhase.NOT_OBLIGED, CasePhase.VOLUNTARY))),
        (CaseStateLabel.WAITING, Q(case_phase=CasePhase.WAITING)),
        (CaseStateLabel.ASSESSING, Q(case_phase=CasePhase.ASSESSING)),
        (CaseStateLabel.OVERDUE, Q(case_phase__in=LETTER_COMING, letter_clock_on__lt=overdue_before)),
        (CaseStateLabel.READY, Q(case_phase__in=LETTER_COMING, letter_clock_on__gte=overdue_before)),
    ]


def with_case_columns(queryset, today):
    """The list columns, from the stored case state: municipality, regime and state."""
    return queryset.select_related("current_municipality").annotate(
        case_state=Case(
            *(When(condition, then=Value(label)) for label, condition in case_state_conditions(today)),
            output_field=CharField(),
        ),
    )


# --- List filters ---------------------------------------------------------------------------


class CurrentMunicipalityFilter(admin.SimpleListFilter):
    title = _("municipality (current registration)")
    parameter_name = "municipality"

    def lookups(self, request, model_admin):
        return [(str(m.pk), m.name) for m in Municipality.objects.order_by("name")]

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        if not self.value().isdigit():
            return queryset.none()
        return queryset.filter(current_municipality_id=self.value())


class CurrentRegimeFilter(admin.SimpleListFilter):
    title = _("regime (current decision)")
    parameter_name = "regime"
    NO_DECISION = "none"

    def lookups(self, request, model_admin):
        return [*Regime.choices, (self.NO_DECISION, _("no decision yet"))]

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        if self.value() == self.NO_DECISION:
            return queryset.filter(case_regime="")
        return queryset.filter(case_regime=self.value())


class CaseStateFilter(admin.SimpleListFilter):
    title = _("state")
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return CaseStateLabel.choices

    def queryset(self, request, queryset):
        conditions = dict(case_state_conditions(timezone.localdate()))
        if self.value() in conditions:
            return queryset.filter(conditions[self.value()])
        return queryset


# --- Inlines --------------------------------------------------------------------------------


class PermitInline(admin.TabularInline):
    model = ResidencePermit
    fields = ["residence_title", "article", "purpose", "decision_date", "valid_from", "valid_until",
              "withdrawn_on"]
    readonly_fields = ["article"]
    extra = 0
    can_delete = False  # a permit ends by withdrawal or expiry; its history stays


class RegistrationInline(admin.TabularInline):
    model = MunicipalRegistration
    form = RegistrationAdminForm
    fields = ["municipality", "street", "house_number", "postcode", "town", "registered_on", "deregistered_on"]
    extra = 0
    can_delete = False


class DecisionInline(admin.TabularInline):
    model = ObligationDecision
    form = DecisionAdminForm
    fields = ["regime", "outcome", "reason", "note", "decided_on", "regime_override_reason", "source", "decided_by"]
    readonly_fields = ["source", "decided_by"]
    extra = 0
    can_delete = False

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        formset.form = DecisionAdminForm.with_author(formset.form, request.user)
        return formset


class ReadOnlyInline(admin.TabularInline):
    """What DUO records on its own pages (results, requests for more time): shown beside the
    facts of the case, never changed here. Those pages audit the action and re-derive the case
    in the same transaction; the admin would do neither."""

    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ResultInline(ReadOnlyInline):
    model = Result
    fields = ["component", "taken_on", "outcome", "source", "external_id", "recorded_by"]


class ExtensionRequestInline(ReadOnlyInline):
    model = ExtensionRequest
    fields = ["requested_on", "reason", "period_last_day", "status", "decided_on", "new_last_day"]


# --- Saving through the services --------------------------------------------------------------


def lock_newcomer(pk):
    """Lock the person's row first, as the services do, so concurrent writes to one case queue."""
    return Newcomer.objects.select_for_update().get(pk=pk)


class RefreshesCaseStateAdmin(UsableInitialDataMixin, admin.ModelAdmin):
    """For the facts of a case: saving one recomputes the person's derived state."""

    def get_readonly_fields(self, request, obj=None):
        # A fact belongs to one person; moving it to another is not something that happens.
        fields = list(super().get_readonly_fields(request, obj))
        return [*fields, "newcomer"] if obj is not None else fields

    def save_model(self, request, obj, form, change):
        newcomer = lock_newcomer(obj.newcomer_id)
        super().save_model(request, obj, form, change)
        services.refresh_case_state(newcomer)


# --- Model admins ---------------------------------------------------------------------------


@admin.register(Newcomer)
class NewcomerAdmin(UsableInitialDataMixin, admin.ModelAdmin):
    form = NewcomerAdminForm
    list_display = ["full_name", "municipality_column", "regime_column", "state_column"]
    list_filter = [CurrentMunicipalityFilter, CurrentRegimeFilter, CaseStateFilter]
    # Names only: a BSN is matched exactly in get_search_results, never with LIKE.
    search_fields = ["given_names", "surname"]
    search_help_text = _("Search by name. To find someone by BSN, use the BSN form above the list.")
    change_list_template = "admin/integration/newcomer/change_list.html"
    list_per_page = 50
    show_full_result_count = False  # a count over a million people on every page is wasted work
    inlines = [PermitInline, RegistrationInline, DecisionInline, ResultInline, ExtensionRequestInline]
    readonly_fields = ["public_id", "state_column", "conditions_met_on", "ready_on", "start_letter_owed",
                       "start_letter_issued_on"]
    fieldsets = [
        (None, {"fields": ["given_names", "surname", "date_of_birth", "nationality", "preferred_language",
                           "email"]}),
        (_("BSN"), {"fields": ["bsn", "bsn_assigned_on"]}),
        (_("Case state (derived from the facts below)"), {"fields": readonly_fields}),
    ]

    def get_queryset(self, request):
        return with_case_columns(super().get_queryset(request), timezone.localdate())

    def get_inline_instances(self, request, obj=None):
        # A new person has no results or requests yet: the read-only lists appear once they can.
        inlines = super().get_inline_instances(request, obj)
        return inlines if obj is not None else [i for i in inlines if not isinstance(i, ReadOnlyInline)]

    def get_search_results(self, request, queryset, search_term):
        digits = re.sub(r"[\s.]", "", search_term)
        if digits.isdigit():
            # The search box is a GET form: a BSN typed there would end up in the address,
            # the browser history and access logs. Numbers find no one here; the BSN is
            # looked up with the POST form above the list (`find_by_bsn`).
            return queryset.none(), False
        return super().get_search_results(request, queryset, search_term)

    def get_urls(self):
        find = path("bsn/", self.admin_site.admin_view(self.find_by_bsn), name="integration_newcomer_find_by_bsn")
        return [find, *super().get_urls()]

    def find_by_bsn(self, request):
        """Find a person by the exact, complete BSN, sent by POST so it never enters a URL."""
        changelist = reverse("admin:integration_newcomer_changelist")
        if request.method != "POST":
            return redirect(changelist)
        form = FindByBsnForm(request.POST)
        if not form.is_valid():
            for error in form.errors.get("bsn", []):
                messages.error(request, error)
            return redirect(changelist)
        newcomer = Newcomer.objects.filter(bsn=form.cleaned_data["bsn"]).first()
        if newcomer is None or not self.has_view_permission(request, newcomer):
            messages.warning(request, _("No newcomer has this BSN."))
            return redirect(changelist)
        personal_data_viewed.send(sender=Newcomer, actor=request.user, newcomer=newcomer,
                                  what="admin: looked up by BSN")
        return redirect(reverse("admin:integration_newcomer_change", args=[newcomer.pk]))

    def change_view(self, request, object_id, form_url="", extra_context=None):
        newcomer = self.get_object(request, object_id)
        if newcomer is not None and request.method == "GET":
            personal_data_viewed.send(sender=Newcomer, actor=request.user, newcomer=newcomer,
                                      what="admin: person page")
        return super().change_view(request, object_id, form_url, extra_context)

    @admin.display(description=_("name"), ordering="surname")
    def full_name(self, obj):
        return obj.full_name

    @admin.display(description=_("municipality"), ordering="current_municipality__name")
    def municipality_column(self, obj):
        return obj.current_municipality.name if obj.current_municipality else "–"

    @admin.display(description=_("regime"), ordering="case_regime")
    def regime_column(self, obj):
        return Regime(obj.case_regime).label if obj.case_regime else _("no decision yet")

    @admin.display(description=_("state"))
    def state_column(self, obj):
        state = getattr(obj, "case_state", None)
        if state is None:  # an object not read through get_queryset (a fresh add form)
            return "–"
        if state in (CaseStateLabel.READY, CaseStateLabel.OVERDUE):
            expected = formats.date_format(rules.letter_expected_by(obj.letter_clock_on), "DATE_FORMAT")
            if state == CaseStateLabel.READY:
                return _("ready, letter expected by %(date)s") % {"date": expected}
            return _("overdue: letter expected by %(date)s") % {"date": expected}
        return dict(CaseStateLabel.choices)[state]

    def save_model(self, request, obj, form, change):
        if change:
            lock_newcomer(obj.pk)
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        services.refresh_case_state(lock_newcomer(form.instance.pk))


class MunicipalityAdminForm(forms.ModelForm):
    """Postcodes as people type them (`3521az`) are stored the standard way (`3521 AZ`)."""

    class Meta:
        model = Municipality
        fields = ["code", "name", "visiting_street", "visiting_postcode", "visiting_town", "postal_address",
                  "postal_postcode", "postal_town", "phone", "email", "website"]

    def clean_visiting_postcode(self):
        return normalise_postcode(self.cleaned_data.get("visiting_postcode", ""))

    def clean_postal_postcode(self):
        return normalise_postcode(self.cleaned_data.get("postal_postcode", ""))


@admin.register(Municipality)
class MunicipalityAdmin(UsableInitialDataMixin, admin.ModelAdmin):
    """The contact details are what the invitation letter prints as the sender (a letter
    without a return address is not issued), what the intake page and the invitation e-mail
    show, and where replies to that e-mail go."""

    form = MunicipalityAdminForm
    list_display = ["code", "name", "phone", "email", "has_return_address"]
    search_fields = ["code", "name"]
    ordering = ["name"]
    fieldsets = [
        (None, {"fields": ["code", "name"]}),
        (_("Visiting address (where the intake takes place)"),
         {"fields": ["visiting_street", "visiting_postcode", "visiting_town"]}),
        (_("Postal address (the return address on letters)"),
         {"fields": ["postal_address", "postal_postcode", "postal_town"]}),
        (_("How newcomers reach the municipality"), {"fields": ["phone", "email", "website"]}),
    ]

    @admin.display(boolean=True, description=_("return address"))
    def has_return_address(self, municipality):
        return municipality.return_address is not None


@admin.register(ResidencePermit)
class ResidencePermitAdmin(RefreshesCaseStateAdmin):
    list_display = ["newcomer", "residence_title", "article", "purpose", "decision_date", "valid_from",
                    "valid_until", "withdrawn_on"]
    list_filter = ["article", "purpose"]
    list_select_related = ["newcomer"]
    search_fields = ["newcomer__given_names", "newcomer__surname"]
    raw_id_fields = ["newcomer"]
    fields = ["newcomer", "residence_title", "article", "purpose", "decision_date", "valid_from", "valid_until",
              "withdrawn_on"]
    readonly_fields = ["article"]
    date_hierarchy = "decision_date"


@admin.register(MunicipalRegistration)
class MunicipalRegistrationAdmin(RefreshesCaseStateAdmin):
    form = RegistrationAdminForm
    list_display = ["newcomer", "municipality", "postcode", "town", "registered_on", "deregistered_on"]
    list_filter = ["municipality"]
    list_select_related = ["newcomer", "municipality"]
    search_fields = ["newcomer__given_names", "newcomer__surname"]
    raw_id_fields = ["newcomer"]
    date_hierarchy = "registered_on"


@admin.register(ObligationDecision)
class ObligationDecisionAdmin(RefreshesCaseStateAdmin):
    """Decisions are added, never changed or deleted: a new decision supersedes the old one."""

    form = DecisionAdminForm
    list_display = ["newcomer", "regime", "outcome", "reason", "decided_on", "source", "decided_by"]
    list_filter = ["regime", "outcome", "source"]
    list_select_related = ["newcomer", "decided_by"]
    search_fields = ["newcomer__given_names", "newcomer__surname"]
    raw_id_fields = ["newcomer"]
    fields = ["newcomer", "regime", "outcome", "reason", "note", "decided_on", "regime_override_reason", "source",
              "decided_by"]
    readonly_fields = ["source", "decided_by"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        form_class = super().get_form(request, obj, change=change, **kwargs)
        return DecisionAdminForm.with_author(form_class, request.user)

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False


class ViewOnlyAdmin(admin.ModelAdmin):
    """Lists of what DUO records on its own pages, for the support desk: searchable and
    filterable, never changed here (see `ReadOnlyInline`). Opening one is a view of personal
    data and is audited like the person page."""

    audit_label = ""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def change_view(self, request, object_id, form_url="", extra_context=None):
        record = self.get_object(request, object_id)
        if record is not None and request.method == "GET":
            personal_data_viewed.send(sender=self.model, actor=request.user, newcomer=record.newcomer,
                                      what=f"admin: {self.audit_label}")
        return super().change_view(request, object_id, form_url, extra_context)


@admin.register(Result)
class ResultAdmin(ViewOnlyAdmin):
    audit_label = "result"
    list_display = ["newcomer", "component", "taken_on", "outcome", "source", "recorded_by"]
    list_filter = ["component", "outcome", "source"]
    list_select_related = ["newcomer", "recorded_by"]
    search_fields = ["newcomer__given_names", "newcomer__surname", "=external_id"]
    search_help_text = _("Search by name or by the exact result id of the exam system.")
    date_hierarchy = "taken_on"
    show_full_result_count = False
    fields = ["newcomer", "component", "taken_on", "outcome", "source", "external_id", "note", "recorded_by",
              "created_at"]


@admin.register(ExtensionRequest)
class ExtensionRequestAdmin(ViewOnlyAdmin):
    """The attachment is not offered here: it is opened on DUO's request page, as a download
    only and audited."""

    audit_label = "request for more time"
    list_display = ["newcomer", "requested_on", "reason", "status", "period_last_day", "new_last_day", "decided_on"]
    list_filter = ["status", "reason"]
    list_select_related = ["newcomer"]
    search_fields = ["newcomer__given_names", "newcomer__surname"]
    date_hierarchy = "requested_on"
    fields = ["newcomer", "requested_on", "reason", "explanation", "attachment_type", "period_last_day", "status",
              "decided_on", "decided_by", "new_last_day", "refusal_reason"]

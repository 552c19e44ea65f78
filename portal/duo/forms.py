"""Forms of the DUO workspace. Every action form carries a confirmation box: the pages work
without JavaScript, so the confirmation is part of the form itself."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from integration import rules
from integration.choices import Component, DecisionReason, ExtensionReason, Outcome, Regime, ResultOutcome
from integration.models import Municipality
from integration.validators import normalise_bsn, validate_bsn
from portal.forms import PortalFormMixin

from .selectors import BEING_ASSESSED, OverdueFilters, Reason


class OverdueFilterForm(PortalFormMixin, forms.Form):
    municipality = forms.ModelChoiceField(
        label=_("Municipality"), queryset=Municipality.objects.all(), to_field_name="code", required=False,
        empty_label=_("all"))
    regime = forms.ChoiceField(label=_("Regime"), required=False,
                               choices=[("", _("all")), *Regime.choices, (BEING_ASSESSED, _("being assessed"))])
    reason = forms.ChoiceField(label=_("Reason"), required=False,
                               choices=[("", _("all")), *((value, _(label)) for value, label in Reason.LABELS.items())])
    contacted = forms.ChoiceField(label=_("Contacted DUO"), required=False,
                                  choices=[("", _("all")), ("yes", _("yes")), ("no", _("no"))])
    sort = forms.ChoiceField(label=_("Sort"), required=False, choices=[
        ("most_overdue", _("most days overdue first")), ("least_overdue", _("fewest days overdue first"))])

    def filters(self) -> OverdueFilters:
        """The filters asked for; an invalid value is ignored rather than answered with an error."""
        data = self.cleaned_data if self.is_valid() else {}
        municipality = data.get("municipality")
        contacted = data.get("contacted")
        return OverdueFilters(
            municipality=municipality.code if municipality else "",
            regime=data.get("regime", ""),
            reason=data.get("reason", ""),
            contacted={"yes": True, "no": False}.get(contacted),
        )

    def most_overdue_first(self) -> bool:
        return (self.cleaned_data.get("sort") if self.is_valid() else "") != "least_overdue"


# Contacts about start-date letters exist from the 2013 act onwards.
CONTACTS_FROM = rules.WI2013_FIRST_DAY


class ServiceErrorsForm(PortalFormMixin, forms.Form):
    def add_service_error(self, error: ValidationError) -> None:
        """Put a service's ValidationError on the matching fields (non-field otherwise)."""
        if not hasattr(error, "error_dict"):
            self.add_error(None, error.messages)
            return
        for name, messages in error.message_dict.items():
            self.add_error(name if name in self.fields else None, messages)


class ConfirmForm(ServiceErrorsForm):
    confirm = forms.BooleanField(label=_("I confirm this action"), required=True)


class ContactForm(ConfirmForm):
    contacted_on = forms.DateField(label=_("Date of the contact"), widget=forms.DateInput(attrs={"type": "date"}))
    subject = forms.CharField(label=_("Subject"), max_length=200, initial=_("missing start-date letter"))
    note = forms.CharField(label=_("Note"), widget=forms.Textarea(attrs={"rows": 3}), required=False,
                           max_length=2000)

    field_order = ["contacted_on", "subject", "note", "confirm"]

    def cleaned_data_for_service(self) -> dict:
        return {name: self.cleaned_data[name] for name in ("contacted_on", "subject", "note")}

    def clean_contacted_on(self):
        day = self.cleaned_data["contacted_on"]
        if day > timezone.localdate():
            raise forms.ValidationError(_("A contact cannot be in the future."))
        if day < CONTACTS_FROM:
            raise forms.ValidationError(_("Enter a date from 2013 onwards."))
        return day


class DecisionForm(ConfirmForm):
    regime = forms.ChoiceField(label=_("Regime"), choices=Regime.choices)
    outcome = forms.ChoiceField(label=_("Outcome"), choices=Outcome.choices)
    reason = forms.ChoiceField(label=_("Reason"), choices=DecisionReason.choices)
    note = forms.CharField(label=_("Why (recorded with the decision)"), widget=forms.Textarea(attrs={"rows": 3}),
                           max_length=2000)
    override_reason = forms.CharField(
        label=_("Reason to deviate from the regime the dates call for"), required=False, max_length=500,
        help_text=_("Only when you deliberately record another regime than the obligation's start date gives. "
                    "The reason is kept with the decision and in the audit trail."),
        widget=forms.Textarea(attrs={"rows": 2}))

    field_order = ["regime", "outcome", "reason", "note", "override_reason", "confirm"]


class CorrectionForm(ConfirmForm):
    why = forms.CharField(label=_("What was wrong in the letter"), max_length=500,
                          widget=forms.Textarea(attrs={"rows": 2}))

    field_order = ["why", "confirm"]


class RetryForm(ConfirmForm):
    pass


class BsnExportForm(PortalFormMixin, forms.Form):
    """An administrator asking for the BSN column must say why; the reason goes in the audit."""

    why = forms.CharField(max_length=500)


class ResultForm(ConfirmForm):
    """A result recorded by hand (an exam the exam system did not report, a module, an exemption)."""

    component = forms.ChoiceField(label=_("Exam or module"), choices=Component.choices)
    taken_on = forms.DateField(label=_("Date of the exam or decision"), widget=forms.DateInput(attrs={"type": "date"}))
    outcome = forms.ChoiceField(label=_("Outcome"), choices=ResultOutcome.choices)
    note = forms.CharField(label=_("Note"), max_length=500, required=False)

    field_order = ["component", "taken_on", "outcome", "note", "confirm"]


class ExtensionDecisionForm(ConfirmForm):
    GRANT, REFUSE = "grant", "refuse"
    decision = forms.ChoiceField(label=_("Decision"), widget=forms.RadioSelect, choices=[
        (GRANT, _("grant: the period ends later")), (REFUSE, _("refuse"))])
    new_last_day = forms.DateField(label=_("New last day of the period (when granted)"), required=False,
                                   widget=forms.DateInput(attrs={"type": "date"}))
    refusal_reason = forms.CharField(label=_("Why the request is refused (when refused; quoted in the letter)"),
                                     required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))

    field_order = ["decision", "new_last_day", "refusal_reason", "confirm"]

    def clean(self):
        data = super().clean()
        if data.get("decision") == self.GRANT and not data.get("new_last_day"):
            self.add_error("new_last_day", _("Give the new last day of the period."))
        if data.get("decision") == self.REFUSE and not (data.get("refusal_reason") or "").strip():
            self.add_error("refusal_reason", _("Say why the request is refused."))
        return data


class ExtensionFilterForm(PortalFormMixin, forms.Form):
    reason = forms.ChoiceField(label=_("Reason"), required=False, choices=[("", _("all")), *ExtensionReason.choices])


class ResultImportForm(ConfirmForm):
    file = forms.FileField(label=_("CSV file from the exam system"),
                           help_text=_("Columns: result_id, bsn, component, date (YYYY-MM-DD), outcome "
                                       "(passed, not_passed or exempted). UTF-8."))

    field_order = ["file", "confirm"]


class FindPersonForm(PortalFormMixin, forms.Form):
    bsn = forms.CharField(label=_("BSN"), max_length=11, widget=forms.TextInput(attrs={"autocomplete": "off"}))

    def clean_bsn(self):
        value = normalise_bsn(self.cleaned_data["bsn"])
        try:
            validate_bsn(value)
        except ValidationError:
            raise forms.ValidationError(_("Enter a valid BSN: 9 digits that pass the 11-check.")) from None
        return value

"""Admin forms for a person's case: clear messages for bad input before the database sees it.

The models and their validators hold the rules; these forms add what a form can do better:
normalising what people type (spaces in a BSN, `1234ab`), a message for the invariants the
database only knows as a CHECK constraint, and read-only rows for history that is never edited.
"""

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from . import services
from .choices import DecisionSource, Outcome, Regime
from .models import MunicipalRegistration, Newcomer, ObligationDecision
from .validators import normalise_bsn, normalise_postcode, validate_bsn

BSN_LENGTH_MESSAGE = _("A BSN has 9 digits.")
UNKNOWN_MUNICIPALITY_MESSAGE = _("This municipality is not known. Choose one from the list.")
VOLUNTARY_NOT_OBLIGED_MESSAGE = _("Voluntary integration is not an obligation: choose another outcome.")
REGIME_DOES_NOT_FIT_MESSAGE = _("The dates of this case call for %(fitting)s. Choose it, or give a reason to deviate.")


class NewcomerAdminForm(forms.ModelForm):
    # Longer than the column: people type "111 222 333"; clean_bsn makes it 9 digits.
    bsn = forms.CharField(label=_("BSN"), required=False, max_length=20,
                          help_text=_("9 digits; spaces and dots are ignored."))

    class Meta:
        model = Newcomer
        fields = ["given_names", "surname", "date_of_birth", "nationality", "preferred_language", "email",
                  "bsn", "bsn_assigned_on"]

    def clean_bsn(self):
        """Accept the spaces and dots people type; a missing leading zero is added (DOMAIN.md §6).

        Any other length is refused here, because the BSN library would pad it silently.
        """
        value = self.cleaned_data.get("bsn")
        if not value:
            return None  # NULL, not "": the unique constraint allows many people without a BSN
        digits = re.sub(r"[\s.]", "", value)
        if digits.isdigit() and len(digits) == 8:
            digits = "0" + digits
        if digits.isdigit() and len(digits) != 9:
            raise forms.ValidationError(BSN_LENGTH_MESSAGE, code="bsn_length")
        return digits


class FindByBsnForm(forms.Form):
    """Look a person up by BSN. Posted, never in a query string (DOMAIN.md §6)."""

    bsn = forms.CharField(label=_("BSN"), max_length=20,
                          widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "numeric"}))

    def clean_bsn(self):
        typed = self.cleaned_data["bsn"]
        validate_bsn(typed)  # before padding: only 8 digits may get a leading zero
        return normalise_bsn(typed)


class RegistrationAdminForm(forms.ModelForm):
    """A registration is history from the BRP: once saved only the deregistration date changes."""

    fixed_when_saved = ("municipality", "street", "house_number", "postcode", "town", "registered_on")

    class Meta:
        model = MunicipalRegistration
        fields = ["newcomer", "municipality", "street", "house_number", "postcode", "town", "registered_on",
                  "deregistered_on"]
        error_messages = {"municipality": {"invalid_choice": UNKNOWN_MUNICIPALITY_MESSAGE}}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            for name in self.fixed_when_saved:
                if name in self.fields:
                    self.fields[name].disabled = True

    def clean_postcode(self):
        return normalise_postcode(self.cleaned_data.get("postcode", ""))


class DecisionAdminForm(forms.ModelForm):
    """A new obligation decision by a member of staff. Saved decisions are never edited: a new
    decision supersedes them, so their rows are shown disabled.

    `author` is set on a subclass per request (see `with_author`), because the database
    requires a staff decision to name its author and the form validates that constraint.
    """

    author = None

    class Meta:
        model = ObligationDecision
        fields = ["regime", "outcome", "reason", "note", "decided_on", "regime_override_reason"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is None:
            self.instance.decided_by = self.author
            self.instance.source = DecisionSource.DUO_STAFF
        else:
            for field in self.fields.values():
                field.disabled = True

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("regime") == Regime.VOLUNTARY and cleaned.get("outcome") == Outcome.OBLIGED:
            self.add_error("outcome", forms.ValidationError(VOLUNTARY_NOT_OBLIGED_MESSAGE,
                                                            code="voluntary_not_obliged"))
        newcomer = getattr(self.instance, "newcomer", None) if self.instance.newcomer_id else None
        if self.instance.pk is None and newcomer is not None and cleaned.get("regime"):
            fitting = services.regime_deviation(newcomer, cleaned["regime"])
            if fitting is None:
                cleaned["regime_override_reason"] = ""
            elif not (cleaned.get("regime_override_reason") or "").strip():
                self.add_error("regime", forms.ValidationError(
                    REGIME_DOES_NOT_FIT_MESSAGE % {"fitting": Regime(fitting).label}, code="regime_does_not_fit"))
        return cleaned

    @classmethod
    def with_author(cls, form_class, user):
        """`form_class` (built by the admin from this form) with `user` as author of new decisions."""
        return type(form_class.__name__, (form_class,), {"author": user})

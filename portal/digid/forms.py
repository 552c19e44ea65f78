from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from integration.models import Newcomer
from portal.forms import PortalFormMixin

from .linking import clean_bsn

# The demo list stays short whatever the size of the database (a benchmark loads a million).
DEMO_PERSONA_LIMIT = 50


def demo_personas():
    """Newcomers who have a BSN, by name only; the option value is the public id."""
    return Newcomer.objects.filter(bsn__isnull=False).order_by("surname", "given_names", "pk").values_list(
        "public_id", "given_names", "surname")[:DEMO_PERSONA_LIMIT]


class MockDigidLoginForm(PortalFormMixin, forms.Form):
    """Pick a demo persona or type a BSN. Posted, so the BSN never appears in a URL."""

    persona = forms.ChoiceField(label=_("Demo person"), required=False,
                                widget=forms.Select(attrs={"class": "utrecht-select utrecht-select--html-select"}))
    bsn = forms.CharField(
        label=_("Or type a BSN"), required=False, max_length=11,
        help_text=_("9 digits, for example 111222333."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off",
                                     "class": "utrecht-textbox utrecht-textbox--html-input"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["persona"].choices = [("", _("(choose a person)"))] + [
            (str(public_id), f"{given} {surname}") for public_id, given, surname in demo_personas()
        ]

    def clean_bsn(self):
        raw = self.cleaned_data.get("bsn", "").strip()
        return clean_bsn(raw) if raw else ""

    def clean(self):
        cleaned = super().clean()
        if not self.errors and not cleaned.get("persona") and not cleaned.get("bsn"):
            # On the first field, so the error summary links to a place where it can be fixed.
            self.add_error("persona", ValidationError(_("Choose a demo person or type a BSN."), code="required"))
        return cleaned

"""What every form of the portal shares: messages that name the field, ISO values in date and
time inputs, and errors linked to their fields by Django itself (aria-describedby)."""

from django import forms
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

CHOICE_WIDGETS = (forms.Select, forms.RadioSelect, forms.CheckboxSelectMultiple, forms.SelectMultiple)


def _lower_first(label: str) -> str:
    """"Date of the plan" → "date of the plan"; "PIP due" stays "PIP due" (an abbreviation)."""
    if len(label) > 1 and label[1].isupper():
        return label
    return label[:1].lower() + label[1:]


class PortalFormMixin:
    """Field-specific "required" messages ("Enter the date of the contact", not "This field is
    required"), and date/time inputs that always carry ISO values: a browser's date input only
    accepts `2026-12-15`, and throws away a value localised as `15-12-2026`."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            label = _lower_first(str(field.label or ""))
            if isinstance(field.widget, CHOICE_WIDGETS):
                field.error_messages["required"] = format_lazy(_("Choose {}"), label)
            elif isinstance(field.widget, forms.CheckboxInput):
                field.error_messages["required"] = format_lazy(_("Tick the box “{}”"), field.label)
            else:
                field.error_messages["required"] = format_lazy(_("Enter {}"), label)
            widget = field.widget
            if isinstance(widget, forms.DateInput) and widget.input_type == "date":
                widget.format = "%Y-%m-%d"
            elif isinstance(widget, forms.TimeInput) and widget.input_type == "time":
                widget.format = "%H:%M"

"""Words for the route to the finish: the labels of components, outcomes and extension states,
looked up from the enums (the case status carries the codes)."""

from django import template

from integration.choices import Component, ExtensionReason, ExtensionStatus, ResultOutcome

register = template.Library()


def _label(choices, value):
    return choices(value).label if value in choices.values else value


@register.filter
def component_label(value):
    return _label(Component, value)


@register.filter
def outcome_label(value):
    return _label(ResultOutcome, value)


@register.filter
def extension_reason_label(value):
    return _label(ExtensionReason, value)


@register.filter
def extension_status_label(value):
    return _label(ExtensionStatus, value)

"""Dates in staff tables: machine-readable as well as readable.

Staff pages show dates as ISO 8601 (2026-11-30) so they sort and compare at a
glance; wrapping them in <time datetime> lets assistive technology and
browser extensions read them as dates rather than as three numbers.
"""

import datetime

from django import template
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html

register = template.Library()


@register.filter
def day(value):
    """A date written out in the page's language, machine-readable and isolated from the text
    around it: `<bdi><time datetime="2026-03-05">5 maart 2026</time></bdi>`."""
    if not isinstance(value, datetime.date):
        return ""
    if isinstance(value, datetime.datetime):
        value = timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return format_html('<bdi><time datetime="{}">{}</time></bdi>', value.isoformat(), date_format(value, "DATE_FORMAT"))


@register.simple_tag
def iso_date(value, default=""):
    """`<time datetime="2026-11-30">2026-11-30</time>`, or `default` when there is no date."""
    if not isinstance(value, datetime.date):
        return default
    if isinstance(value, datetime.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)  # the time on the clock in the Netherlands
        return format_html('<time datetime="{}">{}</time>',
                           value.isoformat(timespec="minutes"), value.strftime("%Y-%m-%d %H:%M"))
    text = value.isoformat()
    return format_html('<time datetime="{}">{}</time>', text, text)

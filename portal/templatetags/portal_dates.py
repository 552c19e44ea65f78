"""Dates in staff tables: machine-readable as well as readable.

Staff pages show dates as ISO 8601 (2026-11-30) so they sort and compare at a
glance; wrapping them in <time datetime> lets assistive technology and
browser extensions read them as dates rather than as three numbers.
"""

import datetime

from django import template
from django.utils import timezone
from django.utils.html import format_html

register = template.Library()


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

"""Isolating values inside translated sentences.

In a right-to-left page a time ("10:00"), a reference or a Dutch place name sits inside Arabic
text; without isolation the bidi algorithm may reorder its digits and punctuation with the
words around it. Filters rather than markup in the message, so translators see the same msgid.
"""

from django import template
from django.utils.html import format_html

register = template.Library()


@register.filter
def ltr(value):
    """Numbers, times, codes: always left to right."""
    return format_html('<bdi dir="ltr">{}</bdi>', value)


@register.filter
def isolate(value):
    """Names and places: their own direction, kept apart from the sentence around them."""
    return format_html("<bdi>{}</bdi>", value)

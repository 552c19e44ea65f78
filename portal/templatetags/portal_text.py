"""Isolating values inside translated sentences.

In a right-to-left page a time ("10:00"), a reference or a Dutch place name sits inside Arabic
text; without isolation the bidi algorithm may reorder its digits and punctuation with the
words around it. Filters rather than markup in the message, so translators see the same msgid.
"""

from django import template
from django.utils import translation
from django.utils.html import format_html

register = template.Library()


@register.filter
def ltr(value):
    """Numbers, times, codes: always left to right."""
    return format_html('<bdi dir="ltr">{}</bdi>', value)


@register.filter
def bidi(value):
    """Dates and numbers from the data inside a translated sentence: isolated in a right-to-left
    page, where the bidi algorithm would otherwise reorder them with the words around them; in
    a left-to-right page (Dutch, English, ...) the text stays as it is."""
    if not translation.get_language_bidi():
        return value
    return format_html("<bdi>{}</bdi>", value)


@register.filter
def isolate(value):
    """Names and places: their own direction, kept apart from the sentence around them."""
    return format_html("<bdi>{}</bdi>", value)

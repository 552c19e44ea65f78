"""The e-mail that tells a newcomer a letter is waiting. It carries no personal data: no name,
no BSN, no content of the letter; only where to look."""

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation

from .links import newcomer_portal_url
from .mail import automatic_email


def new_letter_email(address: str, language: str):
    language = language if language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE
    with translation.override(language):
        context = {"portal_url": newcomer_portal_url()}
        subject = render_to_string("letters/email/new_letter_subject.txt", context).strip()
        body = render_to_string("letters/email/new_letter_body.txt", context)
    return automatic_email(subject, body, [address])

"""Which language a page is in, per audience.

Newcomers read the portal in any of the nine languages DUO publishes in. Once logged in, their
page language is their own choice: the language cookie (set by the switcher in this browser)
or else the `preferred_language` stored with their case, which DUO's e-mails to them use too.
The browser's Accept-Language does not override a stored preference: a Tigrinya speaker on a
phone set to English still gets Tigrinya after logging in. Choosing a language while logged in
stores it as their preferred language.

Staff pages stay Dutch and English (settings.STAFF_LANGUAGES): the staff texts are translated
into those two only.
"""

from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.utils import translation
from django.views.i18n import set_language as django_set_language

from .accounts.models import Role


def _supported(code: str | None) -> str | None:
    return code if code in dict(settings.LANGUAGES) else None


def is_newcomer(user) -> bool:
    return bool(user is not None and user.is_authenticated and user.role == Role.NEWCOMER and user.newcomer_id)


def is_staff(user) -> bool:
    return bool(user is not None and user.is_authenticated and user.role != Role.NEWCOMER)


def switcher_languages(user) -> list[str]:
    """The languages the switcher offers this person."""
    if is_staff(user):
        return list(settings.STAFF_LANGUAGES)
    return [code for code, _name in settings.LANGUAGES]


def store_preferred_language(newcomer, language: str) -> None:
    """Remember a newcomer's chosen language (pages after login, e-mails). Not a fact of the
    case: it changes no status, so no case re-derivation."""
    if _supported(language) and newcomer.preferred_language != language:
        newcomer.preferred_language = language
        newcomer.save(update_fields=["preferred_language"])


# The stored preference, copied into the session at login so that pages need no query for it.
SESSION_KEY = "preferred_language"


class AudienceLanguageMiddleware:
    """After AuthenticationMiddleware (and LocaleMiddleware): the language for who is logged in."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        language = None
        if is_newcomer(user):
            language = _supported(request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)) or _stored(request, user)
        elif is_staff(user) and translation.get_language() not in settings.STAFF_LANGUAGES:
            language = settings.LANGUAGE_CODE
        if language:
            translation.activate(language)
            request.LANGUAGE_CODE = language
        return self.get_response(request)


def _stored(request, user) -> str | None:
    stored = _supported(request.session.get(SESSION_KEY))
    if stored is None:  # a session from before the preference was kept in it
        stored = _supported(user.newcomer.preferred_language)
        request.session[SESSION_KEY] = stored
    return stored


def set_language(request):
    """Django's set_language (the cookie), and for a logged-in newcomer also their stored
    preference. Staff can choose Dutch or English only."""
    language = request.POST.get("language")
    if is_staff(request.user) and language not in settings.STAFF_LANGUAGES:
        request.POST = request.POST.copy()
        request.POST["language"] = settings.LANGUAGE_CODE
    response = django_set_language(request)
    if request.method == "POST" and is_newcomer(request.user) and _supported(language):
        store_preferred_language(request.user.newcomer, language)
        request.session[SESSION_KEY] = language
    return response


@receiver(user_logged_in)
def adopt_language_chosen_before_login(sender, request, user, **kwargs):
    """A language chosen in this browser before logging in (on the start or login page) is the
    newcomer's choice: store it, so that e-mails follow it too. Either way the preference goes
    into the session for the pages."""
    if request is None or not is_newcomer(user):
        return
    chosen = _supported(getattr(request, "COOKIES", {}).get(settings.LANGUAGE_COOKIE_NAME))
    if chosen:
        store_preferred_language(user.newcomer, chosen)
    if hasattr(request, "session"):
        request.session[SESSION_KEY] = chosen or _supported(user.newcomer.preferred_language)

"""After a DigiD login: keep the broker's ID token in the session for logging out there."""

from allauth.account.signals import user_logged_in
from django.dispatch import receiver

from .adapter import _ID_TOKEN_ATTRIBUTE, ID_TOKEN_SESSION_KEY


@receiver(user_logged_in)
def keep_id_token_for_logout(sender, request, user, sociallogin=None, **kwargs):
    id_token = getattr(sociallogin, _ID_TOKEN_ATTRIBUTE, None) if sociallogin is not None else None
    if id_token:
        request.session[ID_TOKEN_SESSION_KEY] = id_token

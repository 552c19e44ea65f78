"""From a BSN vouched for by DigiD to the newcomer's account.

The BSN is used once, to find the record; afterwards the session knows the person only through
the account's link to the newcomer, so the BSN is never stored in the session, a URL or a log.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model, login
from django.contrib.auth.hashers import make_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from integration.models import Newcomer
from integration.validators import normalise_bsn, validate_bsn
from portal.accounts.backends import DIGID_BACKEND
from portal.accounts.models import Role

# Accounts that only ever log in through DigiD carry this username prefix; the rest of the
# username is the newcomer's public id (never the BSN).
DIGID_USERNAME_PREFIX = "digid-"
DIGID_LOGIN_BACKEND = DIGID_BACKEND


def clean_bsn(raw: str) -> str:
    """Normalise and validate a BSN; raises ValidationError with a message that omits it."""
    bsn = normalise_bsn(raw)
    validate_bsn(bsn)
    return bsn


def newcomer_for_bsn(bsn: str) -> Newcomer | None:
    """The integration record for a (valid) BSN, or None when we have none yet."""
    try:
        return Newcomer.objects.get(bsn=clean_bsn(bsn))
    except (Newcomer.DoesNotExist, ValidationError):
        return None


def account_for(newcomer: Newcomer):
    """The newcomer's own account, created on their first DigiD login."""
    User = get_user_model()
    username = f"{DIGID_USERNAME_PREFIX}{newcomer.public_id}"
    try:
        with transaction.atomic():
            user, _created = User.objects.get_or_create(
                newcomer=newcomer,
                # DigiD is the only way in: no password can ever log this account in.
                defaults={"username": username, "role": Role.NEWCOMER, "email": None,
                          "password": make_password(None)},
            )
    except IntegrityError:  # a concurrent first login created it a moment ago
        user = User.objects.get(newcomer=newcomer)
    if user.role != Role.NEWCOMER or not user.is_active:
        # A staff account must never be entered through a citizen's DigiD.
        raise PermissionDenied
    return user


def log_in_newcomer(request, newcomer: Newcomer) -> None:
    """Start a fresh session for the newcomer (login() rotates the session key)."""
    login(request, account_for(newcomer), backend=DIGID_LOGIN_BACKEND)

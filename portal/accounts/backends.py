"""How each audience gets into the portal, as two authentication backends.

- Staff (DUO, municipal officers, administrators) log in with e-mail address + password
  (and then a TOTP code): `StaffPasswordBackend`.
- Newcomers log in with DigiD only: `DigiDBackend` never checks a credential of its own;
  a session is opened with it only after DigiD (or, in the demo, the DigiD mock) vouched
  for the person's BSN.

Each backend also only *restores* sessions of its own audience (`get_user`): a session opened
by the password backend can never carry a newcomer account, and a DigiD session never a staff
account, whatever else goes wrong. Newcomer accounts also never have a usable password or an
e-mail address (the database refuses it: `user_newcomer_digid_only`).
"""

from allauth.account.auth_backends import AuthenticationBackend
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import BaseBackend

from .models import Role

STAFF_BACKEND = "portal.accounts.backends.StaffPasswordBackend"
DIGID_BACKEND = "portal.accounts.backends.DigiDBackend"


def backend_for(user) -> str:
    """The backend a login of this account is recorded with."""
    return DIGID_BACKEND if user.role == Role.NEWCOMER else STAFF_BACKEND


class StaffPasswordBackend(AuthenticationBackend):
    """allauth's e-mail + password backend, for staff accounts only."""

    def user_can_authenticate(self, user):
        return super().user_can_authenticate(user) and getattr(user, "role", None) != Role.NEWCOMER

    def get_user(self, user_id):
        user = super().get_user(user_id)
        return user if user is not None and user.role != Role.NEWCOMER else None


class DigiDBackend(BaseBackend):
    """Sessions of newcomers who logged in through DigiD. It authenticates nothing itself."""

    def authenticate(self, request, **credentials):
        return None

    def get_user(self, user_id):
        user = get_user_model()._default_manager.filter(pk=user_id, role=Role.NEWCOMER, is_active=True).first()
        return user if user is not None and user.newcomer_id is not None else None

"""Demo staff accounts: one per role, with demo-only passwords printed for the README.

Staff must use TOTP. So that a demo user can log in without scanning a QR code, every demo
staff account gets the same documented TOTP secret; `manage.py demo_totp` prints the current
code. Production never runs this module (the demo commands refuse to).
"""

from __future__ import annotations

from dataclasses import dataclass

from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from allauth.mfa.utils import decrypt
from django.contrib.auth import get_user_model

from portal.accounts.models import Role


@dataclass(frozen=True)
class StaffAccount:
    email: str
    password: str
    role: str
    first_name: str
    last_name: str
    municipality_code: str | None = None

    @property
    def is_administrator(self) -> bool:
        return self.role == Role.ADMINISTRATOR


STAFF_ACCOUNTS: tuple[StaffAccount, ...] = (
    StaffAccount("beheer@inburgering.example", "demo-beheer-wachtwoord", Role.ADMINISTRATOR,
                 "Bea", "Beheerder"),
    StaffAccount("duo@inburgering.example", "demo-duo-wachtwoord", Role.DUO_STAFF, "Daan", "de Vries"),
    StaffAccount("utrecht@inburgering.example", "demo-utrecht-wachtwoord", Role.MUNICIPAL_OFFICER,
                 "Ursula", "Jansen", "GM0344"),
    StaffAccount("amsterdam@inburgering.example", "demo-amsterdam-wachtwoord", Role.MUNICIPAL_OFFICER,
                 "Ahmed", "Bakker", "GM0363"),
)


def ensure_staff_account(account: StaffAccount, municipalities) -> object:
    """Create the account, or put an existing one back as documented (role, password)."""
    User = get_user_model()
    user = User.objects.filter(email=account.email).first()
    municipality = municipalities[account.municipality_code] if account.municipality_code else None
    if user is None:
        user = User.objects.create_user(email=account.email, role=account.role, municipality=municipality)
    user.username = account.email
    user.first_name, user.last_name = account.first_name, account.last_name
    user.role = account.role
    user.municipality = municipality
    # Only the administrator may use /admin/.
    user.is_staff = user.is_superuser = account.is_administrator
    user.is_active = True
    user.set_password(account.password)
    user.save()
    ensure_demo_totp(user)
    return user


# Base32, 20 bytes: what an authenticator app asks for when the secret is typed in.
DEMO_TOTP_SECRET = "DEMOINBURGERINGDEMOINBURGERING22"


def ensure_demo_totp(user) -> None:
    """Give the account the documented demo TOTP secret, replacing any other one."""
    existing = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).first()
    if existing is not None:
        if decrypt(existing.data.get("secret", "")) == DEMO_TOTP_SECRET:
            return
        existing.delete()
    TOTP.activate(user, DEMO_TOTP_SECRET)

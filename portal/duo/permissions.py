"""Who may use the DUO workspace: DUO staff and administrators, with TOTP passed this session."""

from portal.accounts.mfa import staff_with_mfa_required
from portal.accounts.models import Role

duo_staff_required = staff_with_mfa_required(Role.DUO_STAFF, Role.ADMINISTRATOR)

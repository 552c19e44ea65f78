"""Who may use the municipal workspace: municipal officers, with TOTP passed this session.

Administrators are not let in: they belong to no municipality, and every page here is scoped
to the officer's own municipality.
"""

from portal.accounts.mfa import staff_with_mfa_required
from portal.accounts.models import Role

municipal_officer_required = staff_with_mfa_required(Role.MUNICIPAL_OFFICER)

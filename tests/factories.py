"""The building blocks every test suite shares: valid BSNs and municipalities.

Plain functions over the real models rather than factory declarations: the people in tests are
built through the real services (tests/portal/newcomer_cases.py), which derive the case state
the way production does; a factory that sets fields directly would skip exactly that.
"""

from integration.models import Municipality
from portal.demo.bsn import bsns_from


def valid_bsns(first: int = 20_000_000):
    """Distinct BSNs that pass the 11-check, counting up from an 8-digit prefix (give each
    suite its own prefix so their people never share a BSN)."""
    return (bsn for _, bsn in bsns_from(first))


def municipality(code: str = "GM0344", name: str = "Utrecht") -> Municipality:
    return Municipality.objects.get_or_create(code=code, defaults={"name": name})[0]


def utrecht() -> Municipality:
    return municipality("GM0344", "Utrecht")

"""Synthetic BSNs for demo and load data.

A BSN is 8 digits plus a check digit chosen so that 9·d1 + 8·d2 + … + 2·d8 − d9 ≡ 0 (mod 11)
(DOMAIN.md §6). Counting through 8-digit prefixes and completing each one gives valid,
unique numbers in a predictable order. A prefix whose check digit would have to be 10 has no
valid BSN and is skipped, so about 10 in 11 prefixes yield one.

The ranges never overlap: the demo personas live below LOAD_FIRST_PREFIX, load data from
it upwards.
"""

from __future__ import annotations

from collections.abc import Iterator

from stdnum.nl import bsn as stdnum_bsn

_WEIGHTS = (9, 8, 7, 6, 5, 4, 3, 2)

# Load data takes BSNs 500000000 and up; the demo personas all start with 1.
LOAD_FIRST_PREFIX = 50_000_000
LOAD_FIRST_BSN = "500000000"
LOAD_LAST_PREFIX = 99_999_999


def complete_bsn(prefix: int) -> str | None:
    """The valid BSN that starts with these 8 digits, or None when no check digit fits."""
    digits = f"{prefix:08d}"
    if len(digits) != 8:
        raise ValueError("a BSN prefix has 8 digits")
    check = sum(int(digit) * weight for digit, weight in zip(digits, _WEIGHTS, strict=True)) % 11
    if check == 10:
        return None
    candidate = digits + str(check)
    # The library is the reference; this only guards the arithmetic above.
    return candidate if stdnum_bsn.is_valid(candidate) else None


def bsns_from(first_prefix: int) -> Iterator[tuple[int, str]]:
    """(prefix, BSN) for every valid BSN from `first_prefix` upwards, in order."""
    for prefix in range(first_prefix, LOAD_LAST_PREFIX + 1):
        bsn = complete_bsn(prefix)
        if bsn is not None:
            yield prefix, bsn

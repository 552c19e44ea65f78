"""Validators for the data standards of DOMAIN.md §6. Messages never repeat the BSN itself."""

import re
from datetime import date

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from stdnum.exceptions import InvalidChecksum, InvalidFormat, InvalidLength
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.nl import bsn as stdnum_bsn

# Four digits not starting with 0, a space, two capitals other than SA, SD and SS.
POSTCODE_REGEX = r"^[1-9][0-9]{3} (?!SA|SD|SS)[A-Z]{2}$"
MUNICIPALITY_CODE_REGEX = r"^GM[0-9]{4}$"


def normalise_bsn(value: str) -> str:
    """Strip spaces and dots and left-pad 8 digits with a zero (DOMAIN.md §6)."""
    return stdnum_bsn.compact(value or "")


def validate_bsn(value: str) -> None:
    digits = re.sub(r"[\s.]", "", value or "")
    # stdnum pads any short number with zeros; only 8 digits may be padded (DOMAIN.md §6).
    if digits.isdigit() and len(digits) not in (8, 9):
        raise ValidationError(_("A BSN has 9 digits."), code="bsn_length")
    if digits == "000000000":
        raise ValidationError(_("This is not a valid BSN."), code="bsn_invalid")
    try:
        stdnum_bsn.validate(value)
    except InvalidLength:
        raise ValidationError(_("A BSN has 9 digits."), code="bsn_length") from None
    except InvalidFormat:
        raise ValidationError(_("A BSN consists of digits only."), code="bsn_format") from None
    except InvalidChecksum:
        raise ValidationError(_("This is not a valid BSN: it fails the 11-check."), code="bsn_checksum") from None
    except StdnumError:
        raise ValidationError(_("This is not a valid BSN."), code="bsn_invalid") from None
    if value == "000000000":
        raise ValidationError(_("This is not a valid BSN."), code="bsn_invalid")


def normalise_postcode(value: str) -> str:
    """`1234ab` → `1234 AB`."""
    compact = re.sub(r"\s+", "", value or "").upper()
    return f"{compact[:4]} {compact[4:]}" if len(compact) == 6 else (value or "").strip().upper()


def validate_postcode(value: str) -> None:
    if not re.match(POSTCODE_REGEX, value or ""):
        raise ValidationError(
            _("Enter a Dutch postcode: four digits (not starting with 0), a space and two capital letters, "
              "for example 3511 AB."),
            code="postcode",
        )


def validate_municipality_code(value: str) -> None:
    if not re.match(MUNICIPALITY_CODE_REGEX, value or ""):
        raise ValidationError(_("A municipality code is GM followed by four digits, for example GM0344."),
                              code="municipality_code")


def validate_not_in_future(value) -> None:
    if value and value > timezone.localdate():
        raise ValidationError(_("This date lies in the future."), code="future_date")


# Characters that change the direction of the text around them (U+202A–U+202E, U+2066–U+2069)
# or are invisible marks: in a name or an address they can make a letter print reversed or
# misleading text. Other control characters (NUL and the C0/C1 ranges) have no place there either.
_BIDI_CONTROLS = "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_FORBIDDEN_IN_LINE = re.compile(f"[\\x00-\\x1f\\x7f-\\x9f{_BIDI_CONTROLS}]")
_FORBIDDEN_IN_TEXT = re.compile(f"[\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f-\\x9f{_BIDI_CONTROLS}]")

# The earliest date anyone types into the portal (dates of birth included).
EARLIEST_PLAUSIBLE_DATE = date(1900, 1, 1)


def validate_plain_line(value: str) -> None:
    """A name, an address line or a location: no control or text-direction characters."""
    if value and _FORBIDDEN_IN_LINE.search(value):
        raise ValidationError(_("Remove the invisible control characters from this text."), code="control_characters")


def validate_plain_text(value: str) -> None:
    """A note of several lines: line breaks and tabs are fine, other control characters are not."""
    if value and _FORBIDDEN_IN_TEXT.search(value):
        raise ValidationError(_("Remove the invisible control characters from this text."), code="control_characters")


def validate_plausible_date(value) -> None:
    if value and value < EARLIEST_PLAUSIBLE_DATE:
        raise ValidationError(_("Enter a date from 1900 onwards."), code="implausible_date")

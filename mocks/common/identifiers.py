"""Norwegian identifiers: organisation numbers and (synthetic) fødselsnummer.

* Organisation number: 9 digits, the last a mod-11 check digit (weights 3 2 7 6 5 4 3 2).
* Fødselsnummer: DDMMYY + 3-digit individual number + 2 mod-11 check digits. D-numbers add 40
  to the day. TestID/Tenor *synthetic* numbers add 80 to the month, which no real person's number
  has: the sandbox accepts only those, so a real person's number can never enter it.
"""

from __future__ import annotations

import re
from datetime import date

_DIGITS = {9: re.compile(r"[0-9]{9}"), 11: re.compile(r"[0-9]{11}")}

_ORG_WEIGHTS = (3, 2, 7, 6, 5, 4, 3, 2)
_K1 = (3, 7, 6, 1, 8, 9, 4, 5, 2)
_K2 = (5, 4, 3, 2, 7, 6, 5, 4, 3, 2)

SYNTHETIC_MONTH_OFFSET = 80

#: Why a number is refused (keys for translations, e.g. on the ID-porten login page).
FNR_NOT_11_DIGITS = "a fødselsnummer is 11 digits"
FNR_BAD_CHECK_DIGITS = "the check digits are wrong (mod 11)"
FNR_NOT_SYNTHETIC = (
    "only synthetic test numbers (TestID/Tenor: month + 80) are accepted; "
    "the sandbox never takes a real person's number"
)
FNR_NO_DATE = "the number does not encode a real date"
D_NUMBER_DAY_OFFSET = 40


def _mod11(digits: str, weights: tuple[int, ...]) -> int | None:
    remainder = sum(int(d) * w for d, w in zip(digits, weights, strict=False)) % 11
    check = 11 - remainder
    if check == 11:
        return 0
    return None if check == 10 else check


def _digits(value, length: int) -> bool:
    """Exactly ``length`` ASCII digits (str.isdigit would also take '¹' and full-width digits)."""
    return isinstance(value, str) and _DIGITS[length].fullmatch(value) is not None


def is_org_number(value) -> bool:
    if not _digits(value, 9):
        return False
    return _mod11(value[:8], _ORG_WEIGHTS) == int(value[8])


def org_number_problem(value) -> str | None:
    """Why ``value`` is not an organisation number, or None."""
    if not _digits(value, 9):
        return "an organisation number is 9 digits"
    if not is_org_number(value):
        return f"{value} fails the mod-11 check digit"
    return None


def fnr_check_digits(first_nine: str) -> str | None:
    """The two check digits for the first nine digits of a fødselsnummer (None if impossible)."""
    k1 = _mod11(first_nine, _K1)
    if k1 is None:
        return None
    k2 = _mod11(first_nine + str(k1), _K2)
    if k2 is None:
        return None
    return f"{k1}{k2}"


def has_valid_check_digits(value) -> bool:
    if not _digits(value, 11):
        return False
    return fnr_check_digits(value[:9]) == value[9:]


def is_synthetic(value: str) -> bool:
    """TestID/Tenor synthetic: month field is 81-92."""
    return 81 <= int(value[2:4]) <= 92


def birth_date(value: str) -> date | None:
    """The birth date a (synthetic or D-) number encodes, or None if it names no real day."""
    day, month, year2 = int(value[0:2]), int(value[2:4]), int(value[4:6])
    if day > D_NUMBER_DAY_OFFSET:
        day -= D_NUMBER_DAY_OFFSET
    if month > SYNTHETIC_MONTH_OFFSET:
        month -= SYNTHETIC_MONTH_OFFSET
    individual = int(value[6:9])
    if individual <= 499:
        century = 1900
    elif individual <= 749 and year2 >= 54:
        century = 1800
    elif individual >= 900 and year2 >= 40:
        century = 1900
    elif year2 <= 39:
        century = 2000
    else:
        return None  # 500-899 with year 40-99 (and 500-749 with 40-53) belong to no century
    try:
        return date(century + year2, month, day)
    except ValueError:
        return None


def fnr_problem(value) -> str | None:
    """Why ``value`` is not a synthetic fødselsnummer the sandbox accepts, or None."""
    if not _digits(value, 11):
        return FNR_NOT_11_DIGITS
    if not has_valid_check_digits(value):
        return FNR_BAD_CHECK_DIGITS
    if not is_synthetic(value):
        return FNR_NOT_SYNTHETIC
    if birth_date(value) is None:
        return FNR_NO_DATE
    return None


def is_synthetic_fnr(value) -> bool:
    return fnr_problem(value) is None

"""Norwegian identifiers: organisation numbers (mod 11) and synthetic fødselsnummer (month + 80).

The check digits are also computed here by an independent implementation of the published
algorithm, so that the module is not only checked against itself."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from dsop_sandbox.mocks.common.identifiers import (
    birth_date,
    fnr_check_digits,
    fnr_problem,
    has_valid_check_digits,
    is_org_number,
    is_synthetic,
    is_synthetic_fnr,
    org_number_problem,
)
from tests.budgets import examples

VALID_ORGS = ["310000019", "310000027", "889640782", "991825827"]
VALID_SYNTHETIC = ["01818520030", "47906701517", "23886799519"]
REAL_LOOKING = "23079421936"  # valid check digits, month 07: a real person's kind of number
REAL_PERSON_REASON = "never takes a real person's number"

digits = st.text(alphabet="0123456789", min_size=1, max_size=1)


def complete(birth_part: str, individuals=range(1000)) -> str:
    """The first fødselsnummer with these six birth digits that has possible check digits."""
    for individual in individuals:
        first_nine = f"{birth_part}{individual:03d}"
        checks = fnr_check_digits(first_nine)
        if checks is not None:
            return first_nine + checks
    raise AssertionError(f"no fødselsnummer starts with {birth_part}")


def fullwidth(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) for c in text)


# -- an independent oracle ----------------------------------------------------------------------------
def oracle_mod11(numbers: str, weights: list[int]) -> int | None:
    total = sum(int(n) * w for n, w in zip(numbers, weights, strict=True))
    check = (11 - total % 11) % 11
    return None if check == 10 else check


def oracle_org_check(first_eight: str) -> int | None:
    return oracle_mod11(first_eight, [3, 2, 7, 6, 5, 4, 3, 2])


def oracle_fnr_checks(first_nine: str) -> str | None:
    k1 = oracle_mod11(first_nine, [3, 7, 6, 1, 8, 9, 4, 5, 2])
    if k1 is None:
        return None
    k2 = oracle_mod11(first_nine + str(k1), [5, 4, 3, 2, 7, 6, 5, 4, 3, 2])
    return None if k2 is None else f"{k1}{k2}"


# -- organisation numbers ------------------------------------------------------------------------------
@pytest.mark.parametrize("org", VALID_ORGS)
def test_valid_org_numbers(org):
    assert is_org_number(org)
    assert org_number_problem(org) is None


def test_wrong_check_digit():
    assert not is_org_number("310000001")
    assert org_number_problem("310000001") == "310000001 fails the mod-11 check digit"


@pytest.mark.parametrize(
    "value", ["31000001", "3100000190", "", "31000001X", " 31000001", "310 000 019", 310000019, None, ["310000019"]]
)
def test_not_nine_digits(value):
    assert not is_org_number(value)
    assert org_number_problem(value) == "an organisation number is 9 digits"


@given(st.text(alphabet="0123456789", min_size=8, max_size=8))
def test_org_check_digit_agrees_with_the_oracle(prefix):
    check = oracle_org_check(prefix)
    valid = [d for d in "0123456789" if is_org_number(prefix + d)]
    assert valid == ([] if check is None else [str(check)])


@given(
    st.sampled_from(VALID_ORGS)
    | st.text(alphabet="0123456789", min_size=8, max_size=8)
    .map(lambda p: p + str(oracle_org_check(p)))
    .filter(lambda v: "None" not in v),
    st.integers(0, 8),
    st.integers(1, 9),
)
def test_changing_one_digit_of_an_org_number_breaks_it(org, position, delta):
    assert is_org_number(org)
    changed = org[:position] + str((int(org[position]) + delta) % 10) + org[position + 1 :]
    assert not is_org_number(changed)


@pytest.mark.parametrize("value", ["¹10000019", "²" * 9])
def test_superscript_digits_are_refused_not_crashed_on(value):
    assert org_number_problem(value) == "an organisation number is 9 digits"


def test_non_ascii_digits_are_not_an_org_number():
    assert not is_org_number(fullwidth("310000019"))


# -- fødselsnummer: examples ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "pid, born",
    [
        ("01818520030", date(1985, 1, 1)),
        ("47906701517", date(1967, 10, 7)),  # synthetic D-number: day + 40 and month + 80
        ("23886799519", date(1967, 8, 23)),  # individual number 995 with year 67: 1900s
    ],
)
def test_valid_synthetic_numbers(pid, born):
    assert fnr_problem(pid) is None
    assert is_synthetic_fnr(pid)
    assert has_valid_check_digits(pid)
    assert is_synthetic(pid)
    assert birth_date(pid) == born
    assert fnr_check_digits(pid[:9]) == pid[9:] == oracle_fnr_checks(pid[:9])


def test_a_real_persons_number_is_refused_with_its_reason():
    assert has_valid_check_digits(REAL_LOOKING)
    assert not is_synthetic(REAL_LOOKING)
    problem = fnr_problem(REAL_LOOKING)
    assert problem is not None and REAL_PERSON_REASON in problem
    assert not is_synthetic_fnr(REAL_LOOKING)


@pytest.mark.parametrize("value", ["0181852003", "018185200300", "", "0181852003X", 1818520030, None])
def test_not_eleven_digits(value):
    assert fnr_problem(value) == "a fødselsnummer is 11 digits"
    assert not has_valid_check_digits(value)
    assert not is_synthetic_fnr(value)


def test_wrong_check_digits_come_first():
    assert fnr_problem("01818520031") == "the check digits are wrong (mod 11)"
    # a real person's number with a wrong check digit is refused for the checksum
    assert fnr_problem("23079421937") == "the check digits are wrong (mod 11)"


def test_synthetic_number_that_names_no_real_day():
    for birth_part in ("308285", "328185", "728185", "008185"):  # 30 Feb, 32 Jan, D-number 32 Jan, day 0
        pid = complete(birth_part)
        assert has_valid_check_digits(pid) and is_synthetic(pid)
        assert fnr_problem(pid) == "the number does not encode a real date"
        assert birth_date(pid) is None


@pytest.mark.parametrize("month", ["80", "93", "99", "41", "52"])
def test_months_outside_81_to_92_are_not_synthetic(month):
    pid = complete("01" + month + "85")
    assert has_valid_check_digits(pid)
    problem = fnr_problem(pid)
    assert problem is not None and REAL_PERSON_REASON in problem


def test_check_digits_that_cannot_exist():
    # a first check digit of 10 means no number with these nine digits exists
    impossible = next(p for p in (f"018185{i:03d}" for i in range(1000)) if oracle_fnr_checks(p) is None)
    assert fnr_check_digits(impossible) is None


# -- fødselsnummer: properties -----------------------------------------------------------------------------
@given(st.text(alphabet="0123456789", min_size=9, max_size=9))
@example("018185200")
def test_check_digits_agree_with_the_oracle_and_round_trip(first_nine):
    checks = fnr_check_digits(first_nine)
    assert checks == oracle_fnr_checks(first_nine)
    if checks is not None:
        assert has_valid_check_digits(first_nine + checks)
        others = [f"{a}{b}" for a in range(10) for b in range(10) if f"{a}{b}" != checks]
        assert not any(has_valid_check_digits(first_nine + other) for other in others)
    else:
        assert not any(has_valid_check_digits(first_nine + f"{n:02d}") for n in range(100))


@given(st.text(alphabet="0123456789", min_size=9, max_size=9), st.integers(0, 10), st.integers(1, 9))
def test_changing_any_single_digit_breaks_validity(first_nine, position, delta):
    checks = fnr_check_digits(first_nine)
    assume(checks is not None)
    pid = first_nine + checks
    changed = pid[:position] + str((int(pid[position]) + delta) % 10) + pid[position + 1 :]
    assert changed != pid
    assert not has_valid_check_digits(changed)
    assert fnr_problem(changed) is not None
    assert not is_synthetic_fnr(changed)


def _individual_numbers_for(year: int) -> st.SearchStrategy[int]:
    """Individual numbers that place a birth year in its century (Skatteetaten's rules)."""
    if 1854 <= year <= 1899:
        return st.integers(500, 749)
    if 1900 <= year <= 1939:
        return st.integers(0, 499)
    if 1940 <= year <= 1999:
        return st.integers(0, 499) | st.integers(900, 999)
    return st.integers(500, 999)  # 2000-2039


@st.composite
def synthetic_people(draw):
    born = draw(st.dates(min_value=date(1854, 1, 1), max_value=date(2039, 12, 31)))
    individual = draw(_individual_numbers_for(born.year))
    d_number = draw(st.booleans())
    day = born.day + (40 if d_number else 0)
    first_nine = f"{day:02d}{born.month + 80:02d}{born.year % 100:02d}{individual:03d}"
    checks = fnr_check_digits(first_nine)
    assume(checks is not None)
    return first_nine + checks, born


@settings(max_examples=examples(200))
@given(synthetic_people())
def test_synthetic_numbers_round_trip_their_birth_date(person):
    pid, born = person
    assert fnr_problem(pid) is None
    assert is_synthetic_fnr(pid)
    assert birth_date(pid) == born


@given(synthetic_people())
def test_the_same_person_without_the_synthetic_month_is_refused(person):
    pid, _ = person
    real_nine = pid[:2] + f"{int(pid[2:4]) - 80:02d}" + pid[4:9]
    checks = fnr_check_digits(real_nine)
    assume(checks is not None)
    problem = fnr_problem(real_nine + checks)
    assert problem is not None and REAL_PERSON_REASON in problem


def test_non_ascii_digits_are_not_a_fodselsnummer():
    assert fnr_problem(fullwidth("01818520030")) is not None


def test_superscript_digit_in_a_fodselsnummer_is_refused_not_crashed_on():
    assert fnr_problem("¹1818520030") == "a fødselsnummer is 11 digits"


@pytest.mark.parametrize("birth_part, individuals", [("018150", range(750, 900)), ("018145", range(500, 750))])
def test_individual_numbers_allocated_in_no_century_are_refused(birth_part, individuals):
    pid = complete(birth_part, individuals)
    assert fnr_problem(pid) is not None

"""The self-test, Altinn 2, part 3 of 4: each broken variant of this part fails exactly the
requirements it breaks (see tests/conformance/self_test.py)."""

from __future__ import annotations

import pytest

from tests.conformance.self_test import assert_fails_exactly, matrix_of, share

GENERATION, PART = "altinn2", 2
VARIANTS = [variant for variant in share(GENERATION, PART) if variant is not None]


@pytest.fixture(scope="module")
def matrix(tmp_path_factory) -> dict:
    return matrix_of(GENERATION, PART, tmp_path_factory)


@pytest.mark.parametrize("variant", VARIANTS, ids=lambda v: v.__name__)
def test_each_broken_variant_fails_exactly_what_it_breaks(matrix, variant):
    assert_fails_exactly(matrix, GENERATION, variant)

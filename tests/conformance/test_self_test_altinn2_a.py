"""The self-test, Altinn 2, part 1 of 4: the reference insurer passes every requirement, and each
broken variant of this part fails exactly the requirements it breaks (see tests/conformance/self_test.py)."""

from __future__ import annotations

import pytest

from tests.conformance.self_test import assert_fails_exactly, assert_reference_passes, matrix_of, share

GENERATION, PART = "altinn2", 0
VARIANTS = [variant for variant in share(GENERATION, PART) if variant is not None]


@pytest.fixture(scope="module")
def matrix(tmp_path_factory) -> dict:
    return matrix_of(GENERATION, PART, tmp_path_factory)


def test_the_reference_insurer_passes_every_requirement(matrix):
    assert_reference_passes(matrix, GENERATION)


@pytest.mark.parametrize("variant", VARIANTS, ids=lambda v: v.__name__)
def test_each_broken_variant_fails_exactly_what_it_breaks(matrix, variant):
    assert_fails_exactly(matrix, GENERATION, variant)

"""The self-test, Altinn 2, part 4 of 6: each broken variant of this part fails exactly the
requirements it breaks (see tests/conformance/self_test.py)."""

from tests.conformance.self_test import part_tests

globals().update(part_tests("altinn2", 3))

"""Hypothesis example budgets: CI runs each property with the budget it names, a developer's run a
quarter of it (at least 10), so that ``./dev test`` stays quick while CI searches as hard as ever.

The profile is ``ci`` when the ``CI`` environment variable is set (as CI services set it), else
``dev``; ``DSOP_HYPOTHESIS_PROFILE=ci`` (or ``dev``) chooses it explicitly. tests/conftest.py loads
the Hypothesis profile of the same name, which holds the settings every property shares.
"""

from __future__ import annotations

import os

from hypothesis import settings

PROFILE = os.environ.get("DSOP_HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "dev")
if PROFILE not in ("ci", "dev"):
    raise RuntimeError(f"DSOP_HYPOTHESIS_PROFILE must be ci or dev, not {PROFILE!r}")
DEV_SHARE = 0.25

# What every property shares: no deadline (the services answer over HTTP, on a loaded CI machine),
# and no example database, so that a run never depends on an earlier one.
settings.register_profile("ci", max_examples=100, deadline=None, database=None, print_blob=True)
settings.register_profile("dev", max_examples=25, deadline=None, database=None, print_blob=True)


def examples(ci: int) -> int:
    """The number of examples a property runs: ``ci`` on CI, a quarter of it on a developer's machine."""
    return ci if PROFILE == "ci" else max(10, round(ci * DEV_SHARE))

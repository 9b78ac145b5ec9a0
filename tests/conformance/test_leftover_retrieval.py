"""A scenario leaves nothing of the insurer's own work running into the next.

The flake this pins (test_self_test_altinn2_a, JustWithinTheLimits judged to hammer NAV): on a loaded
machine the background retrieval the expiry scenario's consent sets off was still running when the
scenario moved the calendar three years on. NAV refused its call (the consent had expired), Altinn
refused a new consent token, and a variant that retries a refused consent (every 0.35 s) kept the
retrieval going; the scenario then put the calendar back, so the consent was valid again, and the
next try landed in nav_down's outage: a second 0.35 s loop beside the one nav_down's own consent
starts, about six NAV calls a second, judged as hammering. :class:`LateBackgroundRetrieval` is that
loaded machine made certain: its background retrieval's first NAV call comes a moment after the fetch
hook's answer. (One run of two scenarios: ~3 s, mostly waiting.)"""

from __future__ import annotations

import threading
import time

from dsop_sandbox.conformance.results import PASS
from tests.conformance.broken_insurers import JustWithinTheLimits
from tests.conformance.full_runs import FullRun, run_one
from tests.conformance.self_test import verdicts

#: Seconds the background retrieval's first NAV call waits: past the fetch hook's quick answer, so the
#: calendar has moved by then unless the scenario waits for the insurer's own work; within the
#: sandbox's quiet time (SETTLE_QUIET, 0.3 s), so that waiting for it sees the retrieval still busy.
LATE = 0.2


class LateBackgroundRetrieval(JustWithinTheLimits):
    """JustWithinTheLimits on a loaded machine: each background retrieval (the one a consent sets off)
    makes its first NAV call ``LATE`` seconds late."""

    def __init__(self, config, **kwargs):
        super().__init__(config, **kwargs)
        self.started: set[str] = set()  # the claims whose background retrieval has called NAV

    def call_nav(self, operation, claim, *args, **kwargs):
        background = threading.current_thread().name.startswith("retrieve-")
        if background and claim["id"] not in self.started:
            self.started.add(claim["id"])
            time.sleep(LATE)
        return super().call_nav(operation, claim, *args, **kwargs)


def test_a_retrieval_still_running_at_expiry_does_not_count_in_the_next_outage(tmp_path):
    job = FullRun(LateBackgroundRetrieval, consent="altinn2", scenarios=("expiry", "nav_down"))
    result = run_one(job, tmp_path / "state")
    hammering = next(v for s in result.scenarios for v in s.verdicts if v.requirement == "DSOP-NO-HAMMERING")
    assert hammering.status == PASS, hammering.why
    judged = verdicts(result)
    assert judged == dict.fromkeys(judged, PASS) and "DSOP-EXPIRY" in judged

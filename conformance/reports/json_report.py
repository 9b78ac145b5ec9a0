"""The JSON report, for machines: :meth:`RunResult.to_dict` as it is (every requirement judged, with
its overall verdict and each scenario's verdict and evidence; the scenarios with their steps; the
counts and the exit code). ``default=str`` keeps a stray non-JSON value in some evidence from
losing the whole report."""

from __future__ import annotations

import json

from ..results import RunResult


def render(result: RunResult) -> str:
    return json.dumps(result.to_dict(), indent=2, ensure_ascii=False, default=str) + "\n"

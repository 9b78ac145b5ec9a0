"""Full conformance runs, each on a sandbox of its own, many at once.

Each run's HTTP between the suite, the reference insurer and the fakes is delivered to the apps in
process (tests/wsgi_network.py, ``served_in_process``): the verdicts rest on what the apps see and
answer, which is the same; the sockets, the WSGI server and TLS are what the runs over TLS
(tests/tls), the command-line runs (``conform``), the pytest plugin's run and the Chromium runs keep
testing. It saves about 40 % of a run's CPU.

A run arms faults, moves the calendar and shortens lifetimes for the whole sandbox, so two runs
never share one; and a run (either consent generation) spends most of its ~10 s waiting for tokens to
expire and for NAV to come back (about 3 s of it is work), so running a few side by side costs little
more than the slowest one. Not all at once: some
verdicts rest on timing (a variant that hammers NAV must reach more than four calls a second), and a
process that serves a dozen sandboxes at once answers too slowly for that.
"""

from __future__ import annotations

import contextlib
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from dsop_sandbox.conformance.results import RunResult
from dsop_sandbox.conformance.runner import run
from dsop_sandbox.launcher import Sandbox
from dsop_sandbox.reference_insurer import ReferenceInsurerServer
from tests.conftest import free_port_settings
from tests.wsgi_network import served_in_process


@dataclass(frozen=True)
class FullRun:
    """One run: the reference insurer (or a broken ``variant`` of it), speaking ``consent``, on a
    fresh sandbox."""

    variant: type | None = None
    consent: str = "altinn3"  # the generation the insurer speaks (and its profile names)
    tls: bool = False
    insurer: dict = field(default_factory=dict, hash=False)  # ReferenceInsurerServer options (org, name …)
    scenarios: tuple[str, ...] = ()  # the scenarios to run (none named: every one)


#: One sandbox (and its insurer) starts at a time: Flask compiles each route with ``ast.parse``, which
#: CPython 3.11 does not make safe across threads ("AST constructor recursion depth mismatch"). The
#: runs themselves, mostly waiting, still go side by side.
STARTING = threading.Lock()


def run_one(job: FullRun, state: Path) -> RunResult:
    options = {"consent": job.consent, **job.insurer}
    if job.variant is not None:
        options["insurer_class"] = job.variant
    with contextlib.ExitStack() as running:
        with STARTING:
            sandbox = running.enter_context(Sandbox(free_port_settings(state, tls=job.tls)))
            insurer = running.enter_context(ReferenceInsurerServer(sandbox, port=0, **options))
        if not job.tls:  # over TLS the sockets are what is tested; otherwise the apps are, in process
            running.enter_context(served_in_process(sandbox, insurer))
        result = run(
            str(insurer.profile_path),
            sandbox.url("control"),
            scenarios=list(job.scenarios) or None,
            verify=sandbox.ca_bundle or True,
        )
    assert result.setup_error is None, result.setup_error
    assert not [s.error for s in result.scenarios if s.error], [s.error for s in result.scenarios]
    return result


AT_ONCE = 4


def run_all(jobs: list[FullRun], tmp_path_factory) -> dict[FullRun, RunResult]:
    """Every job, ``AT_ONCE`` at a time, each on its own sandbox; the results by job."""
    states = {job: tmp_path_factory.mktemp("full-run") / "state" for job in jobs}
    with ThreadPoolExecutor(max_workers=min(AT_ONCE, len(jobs))) as pool:
        futures = {job: pool.submit(run_one, job, states[job]) for job in jobs}
        return {job: future.result() for job, future in futures.items()}

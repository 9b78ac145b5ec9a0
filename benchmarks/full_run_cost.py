"""What one full conformance run costs the machine, in process: CPU seconds (the sandbox, the
reference insurer and the suite share the process, so ``time.process_time`` counts all three) and
the HTTP calls made through ``requests`` (the suite's, the insurer's and the control plane's fan-out
to the services), by method and path. The test suite makes about 55 full runs, and on the 2-core
machine it is CPU-bound, so this is the figure to lower for a faster ``./dev test``.

The sandbox's key directory is made before the clock starts (a PKI costs ~0.6 s of CPU, which the
test suite pays once per session).

    .venv/bin/python benchmarks/full_run_cost.py [--runs 3] [--generation altinn3|altinn2] [--calls] [--in-process]

``--in-process`` delivers the run's HTTP to the apps in process, as the self-test does
(tests/wsgi_network.py, ``served_in_process``).

Measured on the idle 2-core development machine (3 runs each, 2026-12-07): Altinn 3 2.33 s of CPU
median (2.29 to 2.37) and 570 calls a run, Altinn 2 2.47 s (2.31 to 2.52) and 603 calls, every MUST
passed. Before the suite tidied only what it had changed, an Altinn 3 run made 727 calls.
In process (2026-12-07, 3 runs each, another agent loading the machine): Altinn 3 1.43 s median
(1.30 to 1.75) against 2.22 s (2.18 to 2.42) over sockets in the same hour; Altinn 2 1.55 s (1.52 to
1.58).
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import re
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # tests/ (the in-process network)
from dsop_sandbox.conformance.runner import run
from dsop_sandbox.launcher import Sandbox
from dsop_sandbox.mocks.authority.authority import KEYS_FOLDER
from dsop_sandbox.mocks.authority.initialise import initialise
from dsop_sandbox.mocks.common.settings import SERVICE_NAMES, Settings
from dsop_sandbox.reference_insurer import ReferenceInsurerServer
from tests.wsgi_network import served_in_process

CALLS: collections.Counter = collections.Counter()
_request = requests.Session.request


def counted(self, method, url, *args, **kwargs):
    path = re.sub(r"^https?://[^/]+", "", str(url)).split("?")[0]
    CALLS[(method.upper(), re.sub(r"/[0-9a-f-]{16,}", "/{id}", path))] += 1
    return _request(self, method, url, *args, **kwargs)


def one_run(generation: str, keys: Path, in_process: bool = False) -> tuple[float, int, bool]:
    state = Path(tempfile.mkdtemp(prefix="dsop-full-run-"))
    try:
        shutil.copytree(keys, state / KEYS_FOLDER)
        settings = Settings.load(
            environ={}, overrides={"state_dir": str(state), "services": {n: {"port": 0} for n in SERVICE_NAMES}}
        )
        before, began = sum(CALLS.values()), time.process_time()
        with (
            Sandbox(settings) as sandbox,
            ReferenceInsurerServer(sandbox, port=0, consent=generation) as insurer,
            served_in_process(sandbox, insurer) if in_process else contextlib.nullcontext(),
        ):
            result = run(str(insurer.profile_path), sandbox.url("control"))
        return time.process_time() - began, sum(CALLS.values()) - before, result.exit_code == 0
    finally:
        shutil.rmtree(state, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--generation", choices=("altinn3", "altinn2"), default="altinn3")
    parser.add_argument("--calls", action="store_true", help="list the calls of all runs by method and path")
    parser.add_argument("--in-process", action="store_true", help="deliver the HTTP in process, as the self-test does")
    args = parser.parse_args()
    template = Path(tempfile.mkdtemp(prefix="dsop-full-run-pki-"))
    try:
        initialise(template, datetime.now(UTC), tls=None)
        requests.Session.request = counted
        runs = [one_run(args.generation, template / KEYS_FOLDER, args.in_process) for _ in range(args.runs)]
    finally:
        requests.Session.request = _request
        shutil.rmtree(template, ignore_errors=True)
    cpu = [seconds for seconds, _calls, _ok in runs]
    print(
        f"{args.generation}: CPU per full run median {statistics.median(cpu):.2f} s "
        f"({min(cpu):.2f} to {max(cpu):.2f}); calls per run {[calls for _s, calls, _ok in runs]}; "
        f"every MUST passed: {all(ok for _s, _c, ok in runs)}"
    )
    if args.calls:
        for (method, path), count in CALLS.most_common():
            print(f"{count / args.runs:7.1f}  {method:<6} {path}")


if __name__ == "__main__":
    main()

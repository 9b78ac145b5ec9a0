"""Cold start to all-healthy: ``dsop-sandbox up --ephemeral`` from process spawn until every
service's /_sandbox/health answers (target ≤ 1 s). Each run is a new interpreter and a new,
empty state directory, so the test PKI (root CA, issuing CA, three issuer keys) is generated
every time. ``up`` runs its default worker processes (one per usable core) unless ``--workers``
says otherwise; the CPU the process tree (supervisor and workers) used until all-healthy is
printed beside the wall time, which a loaded machine stretches.

    .venv/bin/python benchmarks/cold_start.py [--runs 7] [--workers N]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks._sandbox_process import SandboxProcess, tree_cpu
from dsop_sandbox.mocks.common.settings import usable_cores


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--workers", type=int, default=usable_cores())
    args = parser.parse_args()
    spawn, launcher, cpu = [], [], []
    for _ in range(args.runs):
        sandbox = SandboxProcess("--workers", str(args.workers))
        try:
            cpu.append(tree_cpu(sandbox.process.pid))
            for name, url in sandbox.urls.items():  # check the claim independently
                assert requests.get(url + "/_sandbox/health", timeout=5).json()["status"] == "ok", name
            spawn.append(sandbox.ready_after)
            launcher.append(sandbox.launcher_seconds)
        finally:
            sandbox.stop()
    result = {
        "runs": args.runs,
        "workers": args.workers,
        "cpu_of_process_tree_until_healthy_s": {"median": round(statistics.median(cpu), 3), "max": round(max(cpu), 3)},
        "spawn_to_all_healthy_s": {
            "median": round(statistics.median(spawn), 3),
            "min": round(min(spawn), 3),
            "max": round(max(spawn), 3),
        },
        "launcher_bind_to_all_healthy_s": {
            "median": round(statistics.median(launcher), 3),
            "max": round(max(launcher), 3),
        },
        "target_s": 1.0,
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()

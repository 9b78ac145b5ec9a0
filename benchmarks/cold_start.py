"""Cold start to all-healthy: ``dsop-sandbox up --ephemeral`` from process spawn until every
service's /_sandbox/health answers (target ≤ 1 s). Each run is a new interpreter and a new,
empty state directory, so the test PKI (root CA, issuing CA, three issuer keys) is generated
every time.

    .venv/bin/python benchmarks/cold_start.py [--runs 7]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks._sandbox_process import SandboxProcess


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    spawn, launcher = [], []
    for _ in range(args.runs):
        sandbox = SandboxProcess()
        try:
            for name, url in sandbox.urls.items():  # check the claim independently
                assert requests.get(url + "/_sandbox/health", timeout=5).json()["status"] == "ok", name
            spawn.append(sandbox.ready_after)
            launcher.append(sandbox.launcher_seconds)
        finally:
            sandbox.stop()
    result = {
        "runs": args.runs,
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

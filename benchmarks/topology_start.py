"""Startup of the multi-process topology (one OS process per service, as docker-compose.yml runs
them) to all-healthy: from the key authority's init step (``python -m dsop_sandbox.cli keys init``, run
to completion first, as compose's ``keys`` service) through spawning the five
``python -m dsop_sandbox.cli serve NAME`` processes on the then read-only key directory until every
``/_sandbox/health`` answers. Each run uses a new, empty state directory, so the init step creates
the key authority every time; its share is reported on its own.

    .venv/bin/python benchmarks/topology_start.py [--runs 5]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from dsop_sandbox.topology import ProcessTopology


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    starts, inits, stops = [], [], []
    for _ in range(args.runs):
        with tempfile.TemporaryDirectory(prefix="dsop-topology-") as state:
            topology = ProcessTopology(Path(state) / "state")
            topology.start()
            starts.append(topology.startup_seconds)
            inits.append(topology.init_seconds)
            began = time.perf_counter()
            codes = topology.stop()
            stops.append(time.perf_counter() - began)
            assert all(code == 0 for code in codes.values()), codes
    result = {
        "runs": args.runs,
        "processes": len(topology.services),
        "spawn_to_all_healthy_s": {
            "median": round(statistics.median(starts), 3),
            "min": round(min(starts), 3),
            "max": round(max(starts), 3),
        },
        "of_which_init_step_s": {"median": round(statistics.median(inits), 3), "max": round(max(inits), 3)},
        "sigint_to_all_exited_s": {"median": round(statistics.median(stops), 3), "max": round(max(stops), 3)},
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()

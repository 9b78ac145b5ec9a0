"""The pytest plugin's two costs (issue 17): importing it (target < 100 ms: every pytest session in an
environment where dsop-sandbox is installed pays it), and the ``dsop_sandbox`` session fixture's
start-up (imports, a new state directory with its keys, every service healthy), which a session
that uses the fixtures pays once (once per pytest-xdist worker).

Each run is a new interpreter. The import is timed beyond ``import pytest`` (which every pytest
session pays anyway); the start-up is ``DsopSandbox.start`` on an empty state directory, as the
fixture calls it.

    .venv/bin/python benchmarks/pytest_plugin.py [--runs 7]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys

IMPORT = """
import time, pytest
began = time.perf_counter()
import dsop_sandbox.pytest_plugin.plugin
print(time.perf_counter() - began)
"""

START = """
import tempfile, time
began = time.perf_counter()
from dsop_sandbox.pytest_plugin.running import DsopSandbox
imported = time.perf_counter()
running = DsopSandbox.start(tempfile.mkdtemp(prefix="dsop-bench-"))
started = time.perf_counter()
running.stop()
print(imported - began, started - began)
"""


def measure(code: str) -> list[float]:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return [float(value) for value in done.stdout.split()]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    imports = [measure(IMPORT)[0] for _ in range(args.runs)]
    starts = [measure(START) for _ in range(args.runs)]

    def ms(values):
        return round(statistics.median(values) * 1000, 1)

    print(
        json.dumps(
            {
                "runs": args.runs,
                "plugin_import_ms_median": ms(imports),
                "plugin_import_ms_max": round(max(imports) * 1000, 1),
                "fixture_imports_ms_median": ms([s[0] for s in starts]),
                "fixture_startup_ms_median": ms([s[1] for s in starts]),
                "fixture_startup_ms_max": round(max(s[1] for s in starts) * 1000, 1),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()

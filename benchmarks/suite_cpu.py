"""Where the test suite's time goes, file by file: each test file run alone (``pytest FILE -n 0``),
with its wall time and the CPU time of its whole process tree (the pytest process and everything it
waited for: Chromium through Playwright's driver, the CLI's subprocesses, served sandboxes). Work
done outside that tree is not counted: Docker's containers (dockerd runs them) and the PostgreSQL
server (pg_ctl lets it go).

``./dev test`` runs the files on 4 xdist workers over 2 cores, so the sum of the CPU column over 2
is a floor for its wall time, whatever the order.

    .venv/bin/python benchmarks/suite_cpu.py [--out FILE.json] [TEST_PATH ...]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def files(paths: list[str]) -> list[Path]:
    found: list[Path] = []
    for path in paths or ["tests"]:
        target = ROOT / path
        found += [target] if target.is_file() else sorted(target.rglob("test_*.py"))
    return found


def run_alone(path: Path, *options: str) -> dict:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    began = time.monotonic()
    command = [sys.executable, "-m", "pytest", str(path.relative_to(ROOT)), "-q", "-n", "0", "-p", "no:cacheprovider"]
    done = subprocess.run(
        [*command, *options],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
    )
    wall = time.monotonic() - began
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    last = (done.stdout.strip().splitlines() or [""])[-1]
    return {"file": str(path.relative_to(ROOT)), "wall": round(wall, 2), "cpu": round(cpu, 2), "result": last}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("paths", nargs="*", help="test files or folders (default: tests)")
    parser.add_argument("--out", type=Path, help="also write the rows as JSON here")
    args = parser.parse_args()
    found = files(args.paths)
    # what every file's row includes and ./dev test pays once per xdist worker: starting pytest,
    # its plugins and the conftest files, and collecting one file
    startup = run_alone(found[0], "--collect-only")["cpu"]
    print(f"a pytest process that collects one file and runs nothing: {startup:.1f} s CPU", flush=True)
    rows = []
    for path in found:
        row = run_alone(path)
        rows.append(row)
        print(f"{row['cpu']:7.1f} s CPU {row['wall']:7.1f} s wall  {row['file']}  ({row['result']})", flush=True)
    rows.sort(key=lambda r: r["cpu"], reverse=True)
    cpu, wall = sum(r["cpu"] for r in rows), sum(r["wall"] for r in rows)
    print(f"\n{len(rows)} files: {cpu:.0f} s CPU, {wall:.0f} s wall one after another; CPU / 2 cores = {cpu / 2:.0f} s")
    print(f"less a start per file ({startup:.1f} s each): {cpu - startup * len(rows):.0f} s CPU")
    print("the most CPU:")
    for row in rows[:25]:
        print(f"  {row['cpu']:6.1f} s  {row['wall']:6.1f} s wall  {row['file']}")
    if args.out:
        args.out.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()

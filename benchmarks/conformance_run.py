"""The conformance run as a user starts it: ``dsop-sandbox up --ephemeral --with-insurer`` in one
process (the Altinn 3 reference insurer and its Altinn 2 twin), then ``dsop-sandbox conform
--insurer <an insurer.toml> --junit --html`` in another for each consent generation, each timed from
spawning ``conform`` until it exits (target for Altinn 3: < 15 s, every MUST passed). Each run uses a
fresh sandbox. ``--tls`` starts the sandbox with ``--tls`` and runs the suite with its CA bundle,
which adds the ``nav_certificate`` scenario.

    .venv/bin/python benchmarks/conformance_run.py [--runs 3] [--tls] [--generation altinn3]

Measured on the 2-core development machine (3 runs each, plain HTTP): altinn3 median 10.2 s (10.1 to
10.5), altinn2 median 9.3 s (9.0 to 9.3), every MUST passed in both.
"""

from __future__ import annotations

import argparse
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks._sandbox_process import URL_LINE, sandbox_env

ROOT = Path(__file__).resolve().parent.parent


def env() -> dict:
    return sandbox_env() | {"DSOP_SANDBOX__REFERENCE_INSURER__PORT": "0"}


BUNDLE_LINE = re.compile(r"trust the CA bundle (\S+)")


GENERATIONS = ("altinn3", "altinn2")
LABELS = {"altinn3": "Altinn 3 consent", "altinn2": "Altinn 2 consent"}


def profile_of(lines: list[str], generation: str) -> str:
    """The profile printed under the banner line of the reference insurer speaking ``generation``."""
    for at, line in enumerate(lines):
        if line.rstrip().endswith(LABELS[generation]):
            return lines[at + 1].split("profile ", 1)[1].strip()
    raise SystemExit(f"no {generation} reference insurer in the banner:\n{''.join(lines)}")


def one_run(tls: bool = False, generations: tuple[str, ...] = GENERATIONS) -> dict[str, tuple[float, int]]:
    up = subprocess.Popen(
        [sys.executable, "-m", "dsop_sandbox.cli", "up", "--ephemeral", "--with-insurer"] + (["--tls"] if tls else []),
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env(),
    )
    lines = []
    try:
        for line in up.stdout:
            lines.append(line)
            if line.startswith("healthy"):
                break
        urls = dict(URL_LINE.findall("".join(lines)))
        trust = ["--ca-bundle", BUNDLE_LINE.search("".join(lines)).group(1)] if tls else []
        return {g: conform(profile_of(lines, g), urls["control"], trust) for g in generations}
    finally:
        up.send_signal(signal.SIGINT)
        up.wait(timeout=20)


def conform(profile: str, control: str, trust: list[str]) -> tuple[float, int]:
    """One ``conform`` against ``profile``: (seconds from spawn to exit, exit code)."""
    with tempfile.TemporaryDirectory() as out:
        began = time.perf_counter()
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "dsop_sandbox.cli",
                "conform",
                "--insurer",
                profile,
                "--control-url",
                control,
                "--junit",
                f"{out}/r.xml",
                "--html",
                f"{out}/r.html",
                *trust,
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            env=env(),
        )
        return time.perf_counter() - began, done.returncode


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--tls", action="store_true", help="a --tls sandbox (adds the nav_certificate scenario)")
    parser.add_argument("--generation", choices=GENERATIONS, action="append", help="only this one (repeatable)")
    args = parser.parse_args()
    generations = tuple(args.generation or GENERATIONS)
    runs = [one_run(args.tls, generations) for _ in range(args.runs)]
    for generation in generations:
        seconds = [run[generation][0] for run in runs]
        print(
            f"conform {generation}, all scenarios, {args.runs} runs: median {statistics.median(seconds):.1f} s "
            f"(min {min(seconds):.1f}, max {max(seconds):.1f}); exit codes {[run[generation][1] for run in runs]}"
        )


if __name__ == "__main__":
    main()

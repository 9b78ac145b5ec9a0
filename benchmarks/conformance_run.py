"""The conformance run as a user starts it: ``dsop-sandbox up --ephemeral --with-insurer`` in one
process, then ``dsop-sandbox conform --insurer <its insurer.toml> --junit --html`` in another,
timed from spawning ``conform`` until it exits (target < 15 s). Each run uses a fresh sandbox.
``--tls`` starts the sandbox with ``--tls`` and runs the suite with its CA bundle, which adds the
``nav_certificate`` scenario.

    .venv/bin/python benchmarks/conformance_run.py [--runs 3] [--tls]
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
URL_LINE = re.compile(r"^\s+(\w+)\s+(https?://\S+)", re.M)


def env() -> dict:
    values = {k: v for k, v in os.environ.items() if not k.startswith("DSOP_SANDBOX__")}
    for name in ("CONTROL", "IDPORTEN", "MASKINPORTEN", "ALTINN", "NAV", "REFERENCE_INSURER"):
        key = (
            f"DSOP_SANDBOX__SERVICES__{name}__PORT"
            if name != "REFERENCE_INSURER"
            else "DSOP_SANDBOX__REFERENCE_INSURER__PORT"
        )
        values[key] = "0"
    return values


BUNDLE_LINE = re.compile(r"trust the CA bundle (\S+)")


def one_run(tls: bool = False) -> tuple[float, int]:
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
        profiles = [line.split("profile ", 1)[1].strip() for line in lines if line.startswith("    profile ")]
        profile = profiles[-1]  # the Altinn 2 twin: the suite's scenarios drive Altinn 2's consent pages
        trust = ["--ca-bundle", BUNDLE_LINE.search("".join(lines)).group(1)] if tls else []
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
                    urls["control"],
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
    finally:
        up.send_signal(signal.SIGINT)
        up.wait(timeout=20)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--tls", action="store_true", help="a --tls sandbox (adds the nav_certificate scenario)")
    args = parser.parse_args()
    runs = [one_run(args.tls) for _ in range(args.runs)]
    seconds = [s for s, _ in runs]
    print(
        f"conform, all scenarios, {args.runs} runs: median {statistics.median(seconds):.1f} s "
        f"(min {min(seconds):.1f}, max {max(seconds):.1f}); exit codes {[code for _, code in runs]}"
    )


if __name__ == "__main__":
    main()

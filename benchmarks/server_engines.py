"""What a server that parses HTTP outside Python would buy: the same apps, under the same wrk load,
served by ``up`` (cheroot and sandbox/wsgi_server.py) and by granian (a Rust HTTP server for WSGI
apps), in one run.

This is a measurement for a decision, not a second way to run the sandbox. granian serves the
Maskinporten and NAV apps that ``up`` serves, built on ``up``'s own state directory and ports
(benchmarks/_engine_apps.py), with as many worker processes as ``up`` has, each running the app on
one Python thread; it lacks what wsgi_server.py adds (the request deadline, the certificate switch,
the pre-forked sockets, the worker header), so its figures are a ceiling. Each run is checked as
peers.py checks it: no non-2xx answer and no socket error (a replayed grant would be a 400, so each
token run gets grants of its own).

Three pairs, alternating engines, ``--runs`` times:
* ``token``: ``POST /token`` with a fresh signed grant per request (every check made, the ``jti`` stored);
* ``nav_ufore``: NAV's uføre call with a token carrying an Altinn 3 consent (checks, disclosure log);
* ``nothing``: an app that reads the body and answers 20 bytes (serving_overhead.py's), as a
  ``POST`` with a 5 KB body: what serving alone costs.

Per run: requests a second, p99, and the CPU of the serving process tree per request. granian is
installed with pip into a cache folder of its own (``~/.cache/dsop-sandbox/engines``), not into the
project's environment.

    .venv/bin/python benchmarks/server_engines.py [--workers 2] [--runs 2]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks._sandbox_process import SERVICES, SandboxProcess, process_cpu, sandbox_env, tree_cpu
from benchmarks.peers import CACHE, UFORE_PATH, Insurer, install_wrk, run_wrk, sign_grants, token_script
from benchmarks.serving_overhead import SHAPES, nothing
from dsop_sandbox.ports import free_ports
from dsop_sandbox.wsgi_server import ServiceServer

ROOT = Path(__file__).resolve().parent.parent
ENGINES = CACHE.parent / "engines"
GRANIAN = "granian~=2.8"


def install_granian() -> Path:
    """granian in :data:`ENGINES` (pip install --target when it is missing); the folder."""
    if not (ENGINES / "granian").is_dir():
        print(f"installing {GRANIAN} into {ENGINES}", file=sys.stderr, flush=True)
        subprocess.run(
            [sys.executable, "-m", "pip", "install", "-q", "--disable-pip-version-check", "-t", str(ENGINES), GRANIAN],
            check=True,
        )
    return ENGINES


class Granian:
    """``granian --interface wsgi --factory`` serving one factory of benchmarks/_engine_apps.py."""

    def __init__(self, factory: str, workers: int, env: dict[str, str], log: Path):
        self.port = free_ports(1)[0]
        command = [sys.executable, "-m", "granian", "--interface", "wsgi", "--factory", "--no-ws"]
        command += ["--workers", str(workers), "--blocking-threads", "1", "--port", str(self.port)]
        self.process = subprocess.Popen(
            [*command, f"benchmarks._engine_apps:{factory}"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=log.open("w"),
        )
        self.url = f"http://127.0.0.1:{self.port}"
        began = time.monotonic()
        while True:
            try:
                requests.get(self.url + "/", timeout=2)
                return
            except requests.ConnectionError:
                if self.process.poll() is not None or time.monotonic() - began > 60:
                    raise SystemExit(f"granian did not start; its log:\n{log.read_text()[-3000:]}") from None
                time.sleep(0.2)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


def measured(wrk: str, url: str, load, pid: int, *, cpu_of=tree_cpu, **options) -> dict:
    """One wrk run against ``url``; the CPU is ``cpu_of(pid)``'s (the process and its children)."""
    before = cpu_of(pid)
    result = run_wrk(wrk, url, load, **options)
    cpu = cpu_of(pid) - before
    if result.non_2xx or result.socket_errors:
        raise SystemExit(f"{url}: {result.non_2xx} non-2xx answers, {result.socket_errors} socket errors")
    return {
        "per_second": round(result.per_second),
        "p99_ms": result.latency_ms["p99"],
        "cpu_ms_per_request": round(cpu * 1000 / max(result.requests, 1), 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=2, help="processes per service, for both engines")
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--connections", type=int, default=16)
    options = parser.parse_args()
    load = argparse.Namespace(threads=2, connections=options.connections, seconds=options.seconds)
    wrk = install_wrk()
    engines = install_granian()
    report: dict = {"load": vars(load) | {"workers": options.workers}, "token": [], "nav_ufore": [], "nothing": []}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        sandbox = SandboxProcess("--workers", str(options.workers), state_dir=folder / "state")
        started: list[Granian] = []
        try:
            insurer = Insurer(sandbox)
            env = sandbox_env({name: urlsplit(sandbox.urls[name]).port for name in SERVICES})
            env |= {"DSOP_ENGINE_STATE_DIR": str(folder / "state"), "PYTHONPATH": f"{engines}{os.pathsep}{ROOT}"}
            served = {
                name: Granian(name, options.workers, env, folder / f"granian-{name}.log")
                for name in ("maskinporten", "nav", "nothing")
            }
            started += served.values()
            token_path = urlsplit(insurer.mp["token_endpoint"]).path
            headers = insurer.nav_headers()
            nothing_script = folder / "nothing.lua"
            nothing_script.write_text(SHAPES["token"])
            here = ServiceServer("nothing", "127.0.0.1", 0)
            here_port = here.bind()
            here.start(nothing)
            try:
                for _ in range(options.runs):
                    pair = {}
                    for engine, base, pid in (
                        ("cheroot", None, sandbox.process.pid),
                        ("granian", served["maskinporten"].url, served["maskinporten"].process.pid),
                    ):
                        grants = sign_grants(insurer, 2600 * options.seconds, folder)
                        script = token_script(folder, grants, token_path, load.threads)
                        url = insurer.mp["token_endpoint"] if base is None else base + token_path
                        pair[engine] = measured(wrk, url, load, pid, script=script)
                    report["token"].append(pair)
                    nav_url = insurer.urls["nav"] + UFORE_PATH
                    report["nav_ufore"].append(
                        {
                            "cheroot": measured(wrk, nav_url, load, sandbox.process.pid, headers=headers),
                            "granian": measured(
                                wrk, served["nav"].url + UFORE_PATH, load, served["nav"].process.pid, headers=headers
                            ),
                        }
                    )
                    quiet = {"script": nothing_script}
                    report["nothing"].append(
                        {
                            "cheroot (this process)": measured(
                                wrk, f"http://127.0.0.1:{here_port}/", load, os.getpid(), cpu_of=process_cpu, **quiet
                            ),
                            "granian": measured(
                                wrk, served["nothing"].url + "/", load, served["nothing"].process.pid, **quiet
                            ),
                        }
                    )
            finally:
                here.stop()
        finally:
            for engine in started:
                engine.stop()
            sandbox.stop()
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()

"""What serving costs apart from the app: the CPU a served request takes when the app does nothing.

A :class:`~dsop_sandbox.wsgi_server.ServiceServer` in this process serves an app that reads the body
and answers 20 bytes; wrk (2 threads, 16 connections, 8 s) sends it the two shapes of request the
hot paths get:

* ``token``: ``POST`` with a 5 KB form body (a DSOP grant with the certificate chain in ``x5c``);
* ``nav``: ``GET`` with a 2.4 KB bearer token (a Maskinporten token carrying an Altinn 3 consent).

The figure is this process's CPU (all its threads: cheroot's, the server's) per request wrk counted,
so it is what cheroot and ``sandbox/wsgi_server.py`` cost a request, with nothing of the fakes in it.
The machine is shared: run it more than once.

    .venv/bin/python benchmarks/serving_overhead.py [--seconds 8] [--runs 2]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks.peers import install_wrk, run_wrk
from dsop_sandbox.wsgi_server import ServiceServer

SHAPES = {
    "token": 'wrk.method = "POST"\nwrk.body = string.rep("a", 5000)\n'
    'wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"\n',
    "nav": 'wrk.method = "GET"\nwrk.headers["Authorization"] = "Bearer " .. string.rep("a", 2400)\n'
    'wrk.headers["fnr"] = "15838512329"\n',
}


def nothing(environ, start_response):
    environ["wsgi.input"].read()
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", "20")])
    return [b'{"access_token":"x"}']


def measure(wrk: str, port: int, script: Path, seconds: int) -> dict:
    load = argparse.Namespace(threads=2, connections=16, seconds=seconds)
    began = time.process_time()
    result = run_wrk(wrk, f"http://127.0.0.1:{port}/", load, script=script)
    cpu = time.process_time() - began
    return {
        "per_second": round(result.per_second),
        "cpu_us_per_request": round(cpu * 1e6 / max(result.requests, 1)),
        "non_2xx": result.non_2xx,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--runs", type=int, default=2)
    load = parser.parse_args()
    wrk = install_wrk()
    server = ServiceServer("overhead", "127.0.0.1", 0)
    port = server.bind()
    server.start(nothing)
    report: dict = {}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for shape, lua in SHAPES.items():
                script = Path(tmp) / f"{shape}.lua"
                script.write_text(lua)
                report[shape] = [measure(wrk, port, script, load.seconds) for _ in range(load.runs)]
    finally:
        server.stop()
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()

"""The image: its size, and the time from ``docker run`` to every service healthy.

Each run is ``docker run -d -p …`` of the image as it is (CMD ``dsop-sandbox up``: a new, empty
state directory, so the test PKI is generated every time), timed from the moment the command is
started until each of the five services answers ``/_sandbox/health`` from the host (polled every
10 ms); then the container is removed. The image is the one ./dev test builds (./dev image).

    .venv/bin/python benchmarks/container_image.py [--runs 5] [--image dsop-sandbox:0.1.0]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from dsop_sandbox.examples.with_testcontainers.container import IMAGE, docker_run_options


def docker(*args: str) -> str:
    return subprocess.run(["docker", *args], capture_output=True, text=True, check=True, timeout=120).stdout.strip()


def image_size(image: str) -> dict:
    """The image's size and its layers': what the base brings and what the build adds."""
    size = int(docker("image", "inspect", "--format", "{{.Size}}", image))
    history = docker("history", "--no-trunc", "--human=false", "--format", "{{.Size}}\t{{.CreatedBy}}", image)
    layers = []
    for row in history.splitlines():
        layer_size, _, created_by = row.partition("\t")
        if int(layer_size) > 0:
            layers.append(
                {"size_mb": round(int(layer_size) / 1e6, 1), "created_by": created_by[:90] or "(imported base)"}
            )
    return {"size_mb": round(size / 1e6, 1), "layers": layers}


def run_to_healthy(image: str, timeout: float = 60) -> float:
    ports, options = docker_run_options(image)
    began = time.monotonic()
    cid = docker("run", "-d", *options)
    try:
        pending = dict(ports)
        with requests.Session() as http:
            http.trust_env = False
            while pending:
                for name, port in list(pending.items()):
                    try:
                        answer = http.get(f"http://localhost:{port}/_sandbox/health", timeout=1)
                        if answer.status_code == 200 and answer.json() == {"status": "ok", "service": name}:
                            del pending[name]
                    except (requests.RequestException, ValueError):
                        pass
                if pending:
                    if time.monotonic() - began > timeout:
                        raise SystemExit(f"not healthy within {timeout} s: {sorted(pending)}")
                    time.sleep(0.01)
        return time.monotonic() - began
    finally:
        subprocess.run(["docker", "rm", "-f", "-v", cid], capture_output=True, timeout=60)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--image", default=IMAGE)
    args = parser.parse_args()
    seconds = [run_to_healthy(args.image) for _ in range(args.runs)]
    result = {
        "image": args.image,
        **image_size(args.image),
        "runs": args.runs,
        "docker_run_to_all_healthy_s": {
            "median": round(statistics.median(seconds), 2),
            "min": round(min(seconds), 2),
            "max": round(max(seconds), 2),
        },
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()

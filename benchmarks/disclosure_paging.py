"""The disclosure log after weeks of running (issue 15, finding 8): 100,000 disclosures in NAV's log,
read through the paged admin listing (``GET /_sandbox/disclosures?since=&limit=1000``) over HTTP.
Reads the whole log ``--passes`` times; reports each page's time (target: every page under 200 ms)
and the process's resident memory before and after each pass (target: flat: a second and third pass
over the whole log add nothing; what the first pass adds is the allocator's and SQLite's caches of
the worker threads, bounded by the pool, not by the log).

The sandbox is served in this process on free ports (the log is filled straight into NAV's store:
going through NAV's API would measure the API, not the listing).

    .venv/bin/python benchmarks/disclosure_paging.py [--disclosures 100000] [--limit 1000]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from dsop_sandbox.launcher import Sandbox
from tests.conftest import free_port_settings

KARI = "15838512329"


def resident_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def fill(sandbox: Sandbox, count: int) -> None:
    """``count`` disclosures of the size NAV's API logs (a uføre answer of about 1 kB)."""
    store = sandbox.app("nav").extensions["sandbox"].store
    data = json.dumps({"uforegrad": 100, "perioder": [{"fom": "2024-01-01", "belop": 25_000}] * 20})
    rows = [
        (
            KARI,
            "310000019",
            "Uføretrygd",
            f"Samtykke {n}",
            "2026-12-07T12:00:00Z",
            data,
            json.dumps({"method": "GET", "path": "/dsop-ufo/uforeopplysninger"}),
            f"trace-{n}",
            "altinn3",
            f"consent-{n}",
        )
        for n in range(count)
    ]
    with store.transaction() as db:
        db.executemany(
            "INSERT INTO disclosures(person, mottaker, tema, behandlingsgrunnlag, tidspunkt, leverte_data, "
            "foresporsel, trace_id, consent_generation, consent_id) VALUES (?,?,?,?,?,?,?,?,?,?)",
            rows,
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--disclosures", type=int, default=100_000)
    parser.add_argument("--limit", type=int, default=1000)
    parser.add_argument("--passes", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as state, Sandbox(free_port_settings(Path(state) / "state")) as sandbox:
        fill(sandbox, args.disclosures)
        url = sandbox.url("nav") + "/_sandbox/disclosures"
        resident = [resident_mb()]
        times = []
        with requests.Session() as http:
            http.trust_env = False
            for _ in range(args.passes):
                seen, since = 0, 0
                while since is not None:
                    began = time.perf_counter()
                    answer = http.get(url, params={"since": since, "limit": args.limit}, timeout=30)
                    times.append(time.perf_counter() - began)  # the answer, whole; not the client's parsing
                    body = answer.json()
                    seen += len(body["disclosures"])
                    since = body["next"]
                if seen != args.disclosures:
                    raise SystemExit(f"read {seen} of {args.disclosures}")
                resident.append(resident_mb())
        times.sort()
        print(
            f"{args.disclosures} disclosures read {args.passes} times in pages of {args.limit} "
            f"({len(times)} pages): per page median {statistics.median(times) * 1000:.0f} ms, "
            f"p95 {times[int(len(times) * 0.95) - 1] * 1000:.0f} ms, max {times[-1] * 1000:.0f} ms "
            f"({'every page under 200 ms' if times[-1] < 0.2 else 'TARGET MISSED'}); resident memory "
            + ", ".join(f"{mb:.0f} MB" for mb in resident)
            + " (before reading, then after each pass)"
        )


if __name__ == "__main__":
    main()

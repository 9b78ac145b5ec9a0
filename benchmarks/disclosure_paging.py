"""The disclosure log after weeks of running (issue 15, finding 8): 100,000 disclosures in NAV's log,
read through the paged admin listing (``GET /_sandbox/disclosures?since=&limit=1000``) over HTTP.
Reports each page's time (target: every page under 200 ms) and the process's resident memory
before reading, after 10 pages, halfway and at the end (target: flat once the first pages are read,
not growing with the log).

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
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as state, Sandbox(free_port_settings(Path(state) / "state")) as sandbox:
        fill(sandbox, args.disclosures)
        url = sandbox.url("nav") + "/_sandbox/disclosures"
        times, seen, since, resident = [], 0, 0, []
        before = resident_mb()
        with requests.Session() as http:
            http.trust_env = False
            while since is not None:
                began = time.perf_counter()
                answer = http.get(url, params={"since": since, "limit": args.limit}, timeout=30)
                body = answer.json()
                times.append(time.perf_counter() - began)
                seen += len(body["disclosures"])
                since = body["next"]
                resident.append(resident_mb())
        after = resident_mb()
        times.sort()
        print(
            f"{args.disclosures} disclosures, {len(times)} pages of {args.limit}: read {seen}; per page "
            f"median {statistics.median(times) * 1000:.0f} ms, p95 {times[int(len(times) * 0.95) - 1] * 1000:.0f} ms, "
            f"max {times[-1] * 1000:.0f} ms "
            f"({'every page under 200 ms' if times[-1] < 0.2 else 'TARGET MISSED'}); "
            f"resident memory {before:.0f} MB before reading, {resident[min(9, len(resident) - 1)]:.0f} MB after "
            f"10 pages, {resident[len(resident) // 2]:.0f} MB halfway, {after:.0f} MB after the last page"
        )
        if seen != args.disclosures:
            raise SystemExit(f"read {seen} of {args.disclosures}")


if __name__ == "__main__":
    main()

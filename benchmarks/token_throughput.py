"""Maskinporten token-endpoint throughput with concurrent clients (target ≥ 500 tokens/s with
16 clients on 2 cores).

The sandbox runs in its own process (``dsop-sandbox up --ephemeral``). An insurer is registered,
then every grant is signed *before* the clock starts (signing is the client's cost, not the
server's); 16 threads each hold one keep-alive connection and post their share. Every answer
must be a 200 with a token, or the run fails. The number is full validation per request:
x5c chain check, signature, claims, scope and access list, jti replay store, RS256 signing of
the token and the event log write.

    .venv/bin/python benchmarks/token_throughput.py [--clients 16] [--requests 4000]
"""

from __future__ import annotations

import argparse
import http.client
import json
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks._sandbox_process import SandboxProcess
from tests.support import InsurerKeys, grant

GRANT_TYPE = "urn:ietf:params:oauth:grant-type:jwt-bearer"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--requests", type=int, default=4000)
    args = parser.parse_args()
    sandbox = SandboxProcess()
    try:
        facts = requests.post(
            sandbox.urls["control"] + "/_sandbox/insurers",
            timeout=30,
            json={
                "org": "310000019",
                "name": "Benchmark Forsikring AS",
                "redirect_uri": "http://localhost:7200/callback",
            },
        ).json()
        keys = InsurerKeys.from_pem(facts["certificate"]["key_pem"], facts["certificate"]["chain_pem"])
        mp = facts["maskinporten"]
        # Grants live up to 180 s; sign them all first, with room for the run.
        bodies = [
            urlencode(
                {
                    "grant_type": GRANT_TYPE,
                    "assertion": grant(
                        keys,
                        mp["client_id"],
                        mp["issuer"],
                        "nav:helse/v1/uforeopplysninger nav:arbeid/v1/aap",
                        lifetime=170,
                    ),
                }
            )
            for _ in range(args.requests)
        ]
        target = urlsplit(mp["token_endpoint"])
        shares = [bodies[i :: args.clients] for i in range(args.clients)]
        failures: list[str] = []
        latencies: list[float] = []
        lock = threading.Lock()

        def client(share: list[str]) -> None:
            connection = http.client.HTTPConnection(target.hostname, target.port, timeout=30)
            mine = []
            for body in share:
                sent = time.perf_counter()
                connection.request("POST", target.path, body, {"Content-Type": "application/x-www-form-urlencoded"})
                response = connection.getresponse()
                payload = response.read()
                mine.append(time.perf_counter() - sent)
                if response.status != 200 or b"access_token" not in payload:
                    with lock:
                        failures.append(f"{response.status} {payload[:200]!r}")
            connection.close()
            with lock:
                latencies.extend(mine)

        print(f"signed {len(bodies)} grants; load starts on pid {sandbox.process.pid}", file=sys.stderr, flush=True)
        threads = [threading.Thread(target=client, args=(share,)) for share in shares]
        began = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - began
        if failures:
            raise SystemExit(f"{len(failures)} failed requests, first: {failures[0]}")
        latencies.sort()
        print(
            json.dumps(
                {
                    "clients": args.clients,
                    "requests": args.requests,
                    "seconds": round(elapsed, 2),
                    "tokens_per_second": round(args.requests / elapsed),
                    "latency_ms": {
                        "p50": round(latencies[len(latencies) // 2] * 1000, 1),
                        "p95": round(latencies[int(len(latencies) * 0.95)] * 1000, 1),
                        "max": round(latencies[-1] * 1000, 1),
                    },
                    "target_tokens_per_second": 500,
                },
                indent=2,
            )
        )
    finally:
        sandbox.stop()


if __name__ == "__main__":
    main()

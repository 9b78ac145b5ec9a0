"""Slow clients against NAV (issue 15, finding 7): 400 connections that trickle a request's headers
(one header line a second, never finishing; each reconnects when the server closes it at the
request deadline), and meanwhile a normal client asking NAV every 100 ms. Reports the normal
client's latencies; the target is every answer in under 1 s.

The sandbox runs in its own process (``dsop-sandbox up --ephemeral``).

    .venv/bin/python benchmarks/slow_clients.py [--slow 400] [--seconds 30]
"""

from __future__ import annotations

import argparse
import socket
import statistics
import sys
import threading
import time
from contextlib import suppress
from pathlib import Path
from urllib.parse import urlsplit

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks._sandbox_process import SandboxProcess


class Tricklers:
    """``count`` connections to ``host:port`` that each send a request line and then one header line
    every ``interval`` seconds; a connection the server closed is opened again."""

    def __init__(self, host: str, port: int, count: int, interval: float = 1.0):
        self.address, self.interval = (host, port), interval
        self.sockets: list[socket.socket | None] = [None] * count
        self.reopened = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _open(self) -> socket.socket:
        sock = socket.create_connection(self.address, timeout=5)
        sock.sendall(b"GET /dsop-ufo/uforeopplysninger HTTP/1.1\r\nHost: localhost\r\n")
        sock.setblocking(False)
        return sock

    def start(self) -> Tricklers:
        for i in range(len(self.sockets)):
            self.sockets[i] = self._open()
        self.thread.start()
        return self

    def _run(self) -> None:
        while not self.stop.wait(self.interval):
            for i, sock in enumerate(self.sockets):
                try:
                    with suppress(BlockingIOError):
                        if sock.recv(4096) == b"":
                            raise ConnectionError("closed")
                    sock.sendall(b"X-Slow: 1\r\n")
                except OSError:
                    sock.close()
                    self.sockets[i] = self._open()
                    self.reopened += 1

    def close(self) -> None:
        self.stop.set()
        self.thread.join()
        for sock in self.sockets:
            if sock is not None:
                sock.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--slow", type=int, default=400)
    parser.add_argument("--seconds", type=float, default=30)
    args = parser.parse_args()
    sandbox = SandboxProcess()
    try:
        nav = sandbox.urls["nav"]
        parts = urlsplit(nav)
        tricklers = Tricklers(parts.hostname, parts.port, args.slow).start()
        latencies, failures = [], 0
        try:
            with requests.Session() as http:
                http.trust_env = False
                ends = time.monotonic() + args.seconds
                while time.monotonic() < ends:
                    began = time.perf_counter()
                    try:
                        answer = http.get(nav + "/dsop-ufo/uforeopplysninger", timeout=10)
                        ok = answer.status_code == 401  # NAV's answer without a token: the whole stack
                    except requests.RequestException:
                        ok = False
                    latencies.append(time.perf_counter() - began)
                    failures += not ok
                    time.sleep(0.1)
        finally:
            tricklers.close()
        latencies.sort()
        print(
            f"{args.slow} trickling connections against NAV for {args.seconds:.0f} s "
            f"(reopened {tricklers.reopened} times after the request deadline)\n"
            f"normal client: {len(latencies)} requests, {failures} failed; latency "
            f"median {statistics.median(latencies) * 1000:.1f} ms, "
            f"p95 {latencies[int(len(latencies) * 0.95) - 1] * 1000:.1f} ms, max {latencies[-1] * 1000:.1f} ms; "
            f"{'every answer under 1 s' if latencies[-1] < 1 and not failures else 'TARGET MISSED'}"
        )
    finally:
        sandbox.stop()


if __name__ == "__main__":
    main()

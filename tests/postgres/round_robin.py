"""A small round-robin HTTP proxy: one public port for a service, each request to the next of its
backends (another sandbox host), as a load balancer or round-robin DNS would spread them. A backend
that refuses the connection (not started yet, or gone) is skipped for that request, as a load
balancer's health check would skip it; the answer says which backend gave it (``X-Backend``)."""

from __future__ import annotations

import http.client
import itertools
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

#: Headers about one connection, not the request: never forwarded (RFC 9110 §7.6.1).
HOP_BY_HOP = frozenset(
    {"connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade", "content-length"}
)


class _Forward(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: RoundRobin

    def _forward(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        for port in self.server.turn():
            backend = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            try:
                backend.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
                for name, value in self.headers.items():
                    if name.lower() not in HOP_BY_HOP:
                        backend.putheader(name, value)
                if body is not None:
                    backend.putheader("Content-Length", str(len(body)))
                backend.endheaders(body)
                answer = backend.getresponse()
                content = answer.read()
            except ConnectionRefusedError:
                continue
            finally:
                backend.close()
            self.server.served(port)
            self.send_response_only(answer.status, answer.reason)
            for name, value in answer.getheaders():
                if name.lower() not in HOP_BY_HOP:
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(content)))
            self.send_header("X-Backend", str(port))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(content)
            return
        self.send_error(502, "no backend answers")

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _forward

    def log_message(self, *args) -> None:
        """Quiet: the test reads the counts instead."""


class RoundRobin(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _Forward)
        self.port = self.server_address[1]
        self.backends: list[int] = []
        self.counts: dict[int, int] = {}
        self._next = itertools.count()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self.serve_forever, name=f"round-robin-{self.port}", daemon=True)

    def start(self) -> RoundRobin:
        self._thread.start()
        return self

    def turn(self) -> list[int]:
        """The backends in the order to try for one request: the next one first."""
        with self._lock:
            first = next(self._next) % len(self.backends)
        return self.backends[first:] + self.backends[:first]

    def served(self, port: int) -> None:
        with self._lock:
            self.counts[port] = self.counts.get(port, 0) + 1

    def stop(self) -> None:
        self.shutdown()
        self.server_close()

"""Serving a WSGI app with cheroot (CherryPy's threaded, production-grade WSGI server).

A server binds first (so a port of 0 becomes a real free port) and gets its app afterwards,
because the apps need every service's real base URL.
"""
from __future__ import annotations

import logging
import ssl
import threading

from cheroot import wsgi
from cheroot.ssl.builtin import BuiltinSSLAdapter

log = logging.getLogger("dsop_sandbox")

THREADS = 24


def _not_ready(environ, start_response):
    start_response("503 Service Unavailable", [("Content-Type", "application/json")])
    return [b'{"status": "starting"}']


class ServiceServer:
    def __init__(self, name: str, host: str, port: int, threads: int = THREADS):
        self.name = name
        self.server = wsgi.Server((host, port), _not_ready, numthreads=threads, server_name=f"dsop-sandbox-{name}",
                                  request_queue_size=128, timeout=30, shutdown_timeout=2)
        self.server.expiration_interval = 0.1  # how often the connection loop looks up (and notices stop)
        self.thread: threading.Thread | None = None

    def bind(self) -> int:
        """Bind and listen; the port actually bound."""
        self.server.prepare()
        return self.server.bind_addr[1]

    @property
    def port(self) -> int:
        return self.server.bind_addr[1]

    def use_tls(self, cert_path: str, key_path: str) -> None:
        """Serve HTTPS with this certificate chain and key (call after :meth:`bind`, before :meth:`start`)."""
        adapter = BuiltinSSLAdapter(cert_path, key_path)
        adapter.context.minimum_version = ssl.TLSVersion.TLSv1_2
        self.server.ssl_adapter = adapter

    def swap_certificate(self, cert_path: str, key_path: str) -> None:
        """Serve another certificate from now on, while running: new connections get it, and idle
        keep-alive connections are closed so that no client goes on using the old handshake."""
        adapter = self.server.ssl_adapter
        if adapter is None:
            raise RuntimeError(f"{self.name} does not serve TLS")
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(cert_path, key_path)
        adapter.context = context
        connections = getattr(self.server, "_connections", None)
        if connections is not None:
            connections._expire(float("inf"))  # every idle connection counts as expired

    def start(self, app) -> None:
        self.server.wsgi_app = app
        self.thread = threading.Thread(target=self._serve, name=f"serve-{self.name}", daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        try:
            self.server.serve()
        except Exception:  # noqa: BLE001 - report and let the launcher notice the dead thread
            log.exception("server %s stopped with an error", self.name)

    def stop(self) -> None:
        self.server.stop()
        if self.thread is not None:
            self.thread.join(timeout=5)

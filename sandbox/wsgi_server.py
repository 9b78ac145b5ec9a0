"""Serving a WSGI app with cheroot (CherryPy's threaded, production-grade WSGI server).

A server binds first (so a port of 0 becomes a real free port) and gets its app afterwards,
because the apps need every service's real base URL.
"""

from __future__ import annotations

import logging
import ssl
import threading
from collections.abc import Callable

from cheroot import errors, wsgi
from cheroot.ssl.builtin import BuiltinSSLAdapter

log = logging.getLogger("dsop_sandbox")

THREADS = 24


def _not_ready(environ, start_response):
    start_response("503 Service Unavailable", [("Content-Type", "application/json")])
    return [b'{"status": "starting"}']


#: ``on_refused(alert, peer)``: a client ended the TLS handshake (``alert`` is the TLS alert it sent,
#: e.g. ``unknown_ca``, or ``closed`` when it hung up without one).
HandshakeListener = Callable[[str, str], None]


def client_alert(error: BaseException | None) -> str | None:
    """The alert a client ended a handshake with, from the server-side error: ``unknown_ca`` for
    OpenSSL's ``TLSV1_ALERT_UNKNOWN_CA``, ``closed`` for a hang-up without an alert; None when the
    failure was not the client's refusal (plain HTTP on the TLS port, say)."""
    if isinstance(error, (ssl.SSLEOFError, ssl.SSLZeroReturnError, ConnectionResetError)):
        return "closed"
    reason = getattr(error, "reason", None) or ""
    for marker in ("TLSV1_ALERT_", "SSLV3_ALERT_"):
        if reason.startswith(marker):
            return reason[len(marker) :].lower()
    return None


class WatchfulSSLAdapter(BuiltinSSLAdapter):
    """cheroot's TLS adapter, telling a listener when a client refuses the handshake, so that a
    refusal (the client does not trust the certificate) leaves a trace where the server can see it."""

    on_refused: HandshakeListener | None = None

    def wrap(self, sock):
        try:
            peer = "{}:{}".format(*sock.getpeername()[:2])
        except OSError:
            peer = "?"
        try:
            return super().wrap(sock)
        except (errors.FatalSSLAlert, errors.NoSSLError) as exc:
            alert = client_alert(exc.__cause__)
            if alert and self.on_refused is not None:
                try:
                    self.on_refused(alert, peer)
                except Exception:
                    log.exception("handshake listener failed")
            raise


class ServiceServer:
    def __init__(self, name: str, host: str, port: int, threads: int = THREADS):
        self.name = name
        self.server = wsgi.Server(
            (host, port),
            _not_ready,
            numthreads=threads,
            server_name=f"dsop-sandbox-{name}",
            request_queue_size=128,
            timeout=30,
            shutdown_timeout=2,
        )
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
        adapter = WatchfulSSLAdapter(cert_path, key_path)
        adapter.context.minimum_version = ssl.TLSVersion.TLSv1_2
        self.server.ssl_adapter = adapter

    def on_handshake_refused(self, listener: HandshakeListener | None) -> None:
        """Call ``listener(alert, peer)`` whenever a client refuses the TLS handshake."""
        if self.server.ssl_adapter is not None:
            self.server.ssl_adapter.on_refused = listener

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
        except Exception:
            log.exception("server %s stopped with an error", self.name)

    def stop(self) -> None:
        self.server.stop()
        if self.thread is not None:
            self.thread.join(timeout=5)

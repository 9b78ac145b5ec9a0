"""Serving a WSGI app with cheroot (CherryPy's threaded, production-grade WSGI server).

A server binds first (so a port of 0 becomes a real free port) and gets its app afterwards,
because the apps need every service's real base URL.

Slow clients (issue 15, finding 7). cheroot hands a connection to a worker thread when its first
bytes arrive, and the thread reads the request line, the headers and the body; its socket timeout
counts per ``recv``, so a client that trickles a byte now and then held a thread for as long as it
liked, and a few dozen of them stalled a service. Here:

* a request's headers and body must arrive within ``request_deadline`` seconds of its first byte
  (:class:`DeadlineConnection`; later, 408 and the connection is closed), and
* the worker pool grows, when no worker is idle, from ``threads`` up to ``max_threads``
  (:class:`GrowingServer`), so that slow clients, each held for at most the deadline, leave
  workers for everyone else.

Binding starts no thread (the threads start with serving), so that a supervisor may bind every
service's socket and then fork worker processes that all serve the one listening socket (see
sandbox/supervisor.py): the kernel's one accept queue hands each new connection to whichever
process takes it first. Each such process marks its answers with :data:`WORKER_HEADER`.
"""

from __future__ import annotations

import io
import logging
import select
import socket
import ssl
import threading
import time
from collections.abc import Callable

from cheroot import connections, errors, wsgi
from cheroot.makefile import MakeFile
from cheroot.server import HTTPConnection, HTTPRequest, SizeCheckWrapper
from cheroot.ssl.builtin import BuiltinSSLAdapter

from dsop_sandbox.mocks.common.turn import Turn

log = logging.getLogger("dsop_sandbox")

THREADS = 24
MAX_THREADS = 512
#: Seconds from a request's first byte until its headers and body must be in.
REQUEST_DEADLINE = 10.0
#: Seconds one ``recv`` may wait (and an idle keep-alive connection stays open).
SOCKET_TIMEOUT = 30
#: Seconds a worker waits, after answering, for the same connection's next request before it gives
#: the connection back to cheroot's selector; and how many requests it answers in a row at most.
LINGER = 0.02
STAY_FOR = 100
#: Workers added at once when none is idle.
GROW_STEP = 16
#: Bytes asked of one ``recv``: at least the first, at most the second (a large body comes in pieces).
MIN_RECV = 16 * 1024
MAX_RECV = 1024 * 1024


class SocketReader:
    """What cheroot reads a connection's requests from: ``readline``, ``read``, iteration, ``has_data``
    and ``bytes_read``, over one buffer, where cheroot's own reader is ``_pyio.BufferedReader``
    (pure Python, several layers per line: reading a request's line and headers was a fifth of
    the CPU of a NAV call). Each ``recv`` waits at most until the connection's deadline."""

    def __init__(self, sock, connection: DeadlineConnection, bufsize: int):
        self._sock, self._connection = sock, connection
        self._bufsize = max(bufsize, MIN_RECV)
        self._buffer = b""
        self.bytes_read = 0
        self.closed = False

    def _recv(self, wanted: int = 0) -> bytes:
        size = min(max(self._bufsize, wanted), MAX_RECV)
        deadline = self._connection.deadline
        if deadline is None:
            return self._sock.recv(size)
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("timed out")  # cheroot answers 408 and closes the connection
        timeout = self._connection.server.timeout
        self._sock.settimeout(min(remaining, timeout))
        try:
            return self._sock.recv(size)
        finally:
            self._sock.settimeout(timeout)

    def readline(self, size: int | None = -1) -> bytes:
        size = -1 if size is None else size
        buffer, searched = self._buffer, 0
        while True:
            end = buffer.find(b"\n", searched)
            if end >= 0:
                end = end + 1 if size < 0 else min(end + 1, size)
                break
            if 0 <= size <= len(buffer):
                end = size
                break
            searched = len(buffer)
            chunk = self._recv()
            if not chunk:
                end = len(buffer)
                break
            buffer += chunk
        line, self._buffer = buffer[:end], buffer[end:]
        self.bytes_read += len(line)
        return line

    def read(self, size: int | None = -1) -> bytes:
        size = -1 if size is None else size
        chunks, have = [self._buffer], len(self._buffer)
        while size < 0 or have < size:
            chunk = self._recv(size - have)
            if not chunk:
                break
            chunks.append(chunk)
            have += len(chunk)
        data = b"".join(chunks)
        if 0 <= size < len(data):
            data, self._buffer = data[:size], data[size:]
        else:
            self._buffer = b""
        self.bytes_read += len(data)
        return data

    def __iter__(self):
        return self

    def __next__(self) -> bytes:
        line = self.readline()
        if not line:
            raise StopIteration
        return line

    def has_data(self) -> bool:
        """Whether a request is buffered already (pipelined behind the last one)."""
        return bool(self._buffer)

    def close(self) -> None:
        """The socket is the connection's to close; the reader only forgets its buffer."""
        self.closed = True
        self._buffer = b""


class SocketWriter:
    """What cheroot writes answers to: each ``write`` goes out whole with ``sendall``, where cheroot's
    own writer (``_pyio.BufferedWriter``) copies it into a buffer, sends that and trims it, in
    pure Python, for every piece of every answer.

    An answer's header block is held (:meth:`hold_next`) and goes out with the first piece of its
    body, or at :meth:`flush` when there is none: one ``send`` and one TCP segment for a small
    answer, where cheroot sends the headers and the body apart (two sends, and the client woken
    twice; a fifth of a small request's serving CPU)."""

    def __init__(self, sock):
        self._sock = sock
        self._held = b""
        self._holding = False
        self.bytes_written = 0
        self.closed = False

    def hold_next(self) -> None:
        """Hold what the next ``write`` gives until the one after it, or until :meth:`flush`."""
        self._holding = True

    def write(self, data) -> int:
        if self._holding:
            self._holding = False
            self._held = bytes(data)
        else:
            self._send(data)
        return len(data)

    def flush(self) -> None:
        """Send what is held."""
        self._holding = False
        self._send(b"")

    def _send(self, data) -> None:
        """``data`` after what is held, in one ``sendall``."""
        if self._held:
            data, self._held = self._held + data, b""
        if data:
            self._sock.sendall(data)
            self.bytes_written += len(data)

    def close(self) -> None:
        """The socket is the connection's to close."""
        self.closed = True


class WholeLines(SizeCheckWrapper):
    """cheroot's size check on a request's line and headers, reading each line whole: cheroot's own
    reads a line 256 bytes at a time (a 2 KB bearer token was a dozen reads, the largest part of
    reading a NAV call). A line longer than what is left of the limit is cut there, and the check
    refuses it as cheroot's does (414 for the request line, 413 for the headers)."""

    def readline(self, size=None):
        if size is not None:
            return super().readline(size)
        data = self.rfile.readline(self.maxlen - self.bytes_read + 1 if self.maxlen else -1)
        self.bytes_read += len(data)
        self._check_length()
        return data


class LeanRequest(HTTPRequest):
    """cheroot's request, reading whole lines (:class:`WholeLines`), with its header block held for
    the body's first piece (:class:`SocketWriter`)."""

    def read_request_line(self):
        checked = self.rfile  # parse_request's SizeCheckWrapper, made just before this is called
        if type(checked) is SizeCheckWrapper:
            self.rfile = WholeLines(checked.rfile, checked.maxlen)
        return super().read_request_line()

    def send_headers(self):
        hold = getattr(self.conn.wfile, "hold_next", None)  # cheroot's own writer after a plain-HTTP-on-TLS reply
        if hold is not None:
            hold()
        super().send_headers()


class DeadlineConnection(HTTPConnection):
    """A connection whose request (line, headers, body) must be read by ``server.request_deadline``,
    read with :class:`SocketReader` and answered with :class:`SocketWriter`."""

    RequestHandlerClass = LeanRequest

    def __init__(self, server, sock, makefile=MakeFile):
        super().__init__(server, sock, makefile)
        self.deadline: float | None = None
        self.rfile.close()  # cheroot's reader, replaced by one that keeps the deadline
        self.rfile = SocketReader(sock, self, self.rbufsize)
        self.wfile.close()
        self.wfile = SocketWriter(sock)
        #: The TLS context this connection's handshake was made with (None over plain HTTP).
        self.handshake_context = getattr(server.ssl_adapter, "context", None)

    def communicate(self):
        """Answer the request that has arrived, then, on a kept-alive connection, the next ones that
        follow within :data:`LINGER` seconds, on this same thread (at most :data:`STAY_FOR` in a row).
        cheroot would hand the connection back to its selector thread after each answer, and that
        thread to a worker again with the next request: two thread wake-ups per request."""
        answered = 0
        while True:
            self.deadline = time.monotonic() + self.server.request_deadline
            try:
                keep_open = super().communicate()
            finally:
                self.deadline = None
            if not self._send_held():
                return False
            answered += 1
            if keep_open and self.certificate_swapped():
                return False  # closed: the client's next connection gets the certificate served now
            if not keep_open or answered >= STAY_FOR or not self.server.ready or not self._next_request_soon():
                return keep_open
            if self.certificate_swapped():
                return False  # switched while it waited: closed unread, as swap_certificate closes the idle ones

    def _send_held(self) -> bool:
        """Send the answer's header block when no body followed it (a HEAD, a 204, an empty body);
        False when the client is gone (the connection is closed, as after any failed send)."""
        try:
            self.wfile.flush()
        except OSError:
            return False
        return True

    def certificate_swapped(self) -> bool:
        """Whether the server serves another certificate than this connection's handshake got
        (:meth:`ServiceServer.swap_certificate`, which closes the idle connections itself)."""
        adapter = self.server.ssl_adapter
        return adapter is not None and adapter.context is not self.handshake_context

    def _next_request_soon(self) -> bool:
        """Whether the client's next request is in (or its first bytes are) within :data:`LINGER`."""
        if self.rfile.has_data():
            return True
        pending = getattr(self.socket, "pending", None)  # TLS: a record decrypted already
        if pending is not None and pending():
            return True
        try:
            if not hasattr(select, "poll"):  # Windows: select() has no descriptor limit there
                return bool(select.select([self.socket], [], [], LINGER)[0])
            poller = select.poll()
            poller.register(self.socket.fileno(), select.POLLIN | select.POLLPRI)
            return bool(poller.poll(LINGER * 1000))
        except (OSError, ValueError):  # closed under us
            return False


#: Bodies up to this size are read whole before the app runs (larger ones are the app's to refuse);
#: a service passes its own ``max_body_bytes``, so that nothing it would refuse is read first.
PRE_READ_LIMIT = 16 * 1024 * 1024


def body_first(app, limit: int = PRE_READ_LIMIT, turn: Turn | None = None):
    """``app`` called once the request's body is in (under the connection's deadline), so that the
    deadline bounds what the client sends, never how long the app takes before it reads. A body
    longer than ``limit`` is left to the app, which refuses it (413) without reading it. With a
    ``turn``, the app runs in turn (:mod:`~dsop_sandbox.mocks.common.turn`): reading the request
    and sending the answer stay outside it."""

    def read_then_call(environ, start_response):
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if 0 < length <= limit:
            environ["wsgi.input"] = io.BytesIO(environ["wsgi.input"].read(length))
        if turn is None:
            return app(environ, start_response)
        with turn.taken():
            return app(environ, start_response)

    return read_then_call


class GrowingServer(wsgi.Server):
    """cheroot's server with :class:`DeadlineConnection` and a pool that grows when no worker is idle.

    :meth:`listen` binds as cheroot's ``prepare()`` does, without starting threads; ``prepare()``
    then serves that socket, which may be one a parent process bound (this process forked since)."""

    ConnectionClass = DeadlineConnection
    request_deadline = REQUEST_DEADLINE
    #: The listening socket once :meth:`listen` bound it (cheroot sets it only when a bind succeeds).
    socket = None

    def listen(self) -> None:
        """Bind ``bind_addr`` (a port of 0 becomes a free one) and listen; no thread starts."""
        host, port = self.bind_addr
        try:
            found = socket.getaddrinfo(host, port, socket.AF_UNSPEC, socket.SOCK_STREAM, 0, socket.AI_PASSIVE)
        except socket.gaierror:
            found = [(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM, 0, "", None)]
        failure: OSError = OSError(f"no socket could be created for {host}:{port}")
        for family, kind, proto, _name, _address in found:
            try:
                self.bind(family, kind, proto)  # cheroot's own: socket options, bind, the real address
                break
            except OSError as exc:
                failure = exc
                if self.socket is not None:
                    self.socket.close()
                self.socket = None
        if self.socket is None:
            raise failure
        self.socket.listen(self.request_queue_size)

    def prepare(self) -> None:
        """cheroot's ``prepare()`` on the socket :meth:`listen` bound: the connection manager, the threads.
        The socket does not block: when several processes serve it, each is woken for a new connection
        and all but one find nothing to accept (cheroot takes that as "try again")."""
        if self.socket is None:
            self.listen()
        self._interrupt = None
        if self.software is None:
            self.software = f"{self.version} Server"
        self.socket.settimeout(0)
        self._connections = connections.ConnectionManager(self)
        # cheroot's ``requests.start()`` polls every 0.1 s until each new thread has begun; a connection
        # that comes first waits in the queue all the same, so the threads start without that wait.
        pool = self.requests
        pool._threads.extend(pool._spawn_worker() for _ in range(pool.min))
        self.ready = True
        self._start_time = time.time()

    def process_conn(self, conn):
        pool = self.requests
        room = pool.max - len(pool._threads)
        if room > 0 and pool.qsize >= pool.idle:  # no idle worker left for this one once the queue is taken
            # As many as are waiting (and a few more), started without waiting for each to be
            # ready (cheroot's grow() sleeps until it is, and this is the loop that accepts).
            pool._threads.extend(pool._spawn_worker() for _ in range(min(room, GROW_STEP + pool.qsize)))
        super().process_conn(conn)


#: The response header by which a worker process names itself (``<slot>/<workers> pid <pid>``), on every
#: answer of ``up --workers N`` with N > 1. The ``X-Sandbox-`` prefix is the sandbox's own (as its admin
#: token header); no real service sends it, and clients ignore headers they do not know (RFC 9110, 5.1).
WORKER_HEADER = "X-Sandbox-Worker"


def marked(app, worker: str):
    """``app`` with :data:`WORKER_HEADER` ``worker`` on every answer."""
    header = (WORKER_HEADER, worker)

    def with_marker(environ, start_response):
        def start(status, headers, exc_info=None):
            headers.append(header)
            return start_response(status, headers, exc_info)

        return app(environ, start)

    return with_marker


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
    #: Called before each handshake (a worker process takes up a certificate switch made by another).
    before: Callable[[], None] | None = None

    def wrap(self, sock):
        if self.before is not None:
            try:
                self.before()
            except Exception:
                log.exception("before-handshake hook failed")
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
    def __init__(
        self,
        name: str,
        host: str,
        port: int,
        threads: int = THREADS,
        *,
        max_threads: int = MAX_THREADS,
        request_deadline: float = REQUEST_DEADLINE,
        body_limit: int = PRE_READ_LIMIT,
        turn: Turn | None = None,
    ):
        """``turn``: run the app's work in turn with the other requests of this process (a fake's
        server; :mod:`~dsop_sandbox.mocks.common.turn`), or side by side (None)."""
        self.name = name
        self.body_limit = body_limit
        self.turn = turn
        self.server = GrowingServer(
            (host, port),
            _not_ready,
            numthreads=threads,
            max=max(max_threads, threads),
            server_name=f"dsop-sandbox-{name}",
            request_queue_size=128,
            timeout=SOCKET_TIMEOUT,
            shutdown_timeout=2,
        )
        self.server.request_deadline = request_deadline
        self.server.expiration_interval = 0.1  # how often the connection loop looks up (and notices stop)
        self.thread: threading.Thread | None = None

    def bind(self) -> int:
        """Bind and listen (no thread starts before :meth:`start`); the port actually bound."""
        self.server.listen()
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

    def before_handshake(self, hook: Callable[[], None] | None) -> None:
        """Call ``hook()`` before each TLS handshake (it may :meth:`swap_certificate`)."""
        if self.server.ssl_adapter is not None:
            self.server.ssl_adapter.before = hook

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

    def start(self, app, worker: str | None = None) -> None:
        """Serve ``app`` on the bound socket, from threads of this process; ``worker`` (a process of
        several on this socket) goes into :data:`WORKER_HEADER` of every answer."""
        app = body_first(app, self.body_limit, self.turn)
        self.server.wsgi_app = app if worker is None else marked(app, worker)
        self.server.prepare()
        self.thread = threading.Thread(target=self._serve, name=f"serve-{self.name}", daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        try:
            self.server.serve()
        except Exception:
            log.exception("server %s stopped with an error", self.name)

    def stop(self) -> None:
        if self.server.ready:
            self.server.stop()
        elif self.server.socket is not None:  # bound, never served
            self.server.socket.close()
            self.server.socket = None
        if self.thread is not None:
            self.thread.join(timeout=5)

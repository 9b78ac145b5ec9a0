"""An in-process network for tests: HTTP requests delivered to Flask apps without sockets.

:class:`WsgiAdapter` is a ``requests`` transport adapter that hands a request to the WSGI app
serving its base URL (``scheme://host:port``) and turns the app's answer into a
``requests.Response``, cookies, redirects and all. Mount it on the sessions a test uses and on
each fake's :class:`~dsop_sandbox.mocks.common.outbound.Outbound`, and the services talk to each
other over "HTTP" exactly as when served, in one thread, without a port.

:class:`InProcessSandbox` is the same set of apps :class:`dsop_sandbox.launcher.Sandbox` serves
(made by the launcher's factories with one key authority), wired to one :class:`WsgiAdapter`:
every fake's outgoing calls, the control plane's fan-out and the test's own sessions reach the
apps in process. It answers ``settings``, ``url(name)`` and ``app(name)`` like ``Sandbox``, so
helpers written against a served sandbox work with it unchanged.

Its base URLs are ``http://localhost:<port>`` with ports this process holds bound but never
listens on: cookies behave as between the real services (one host, several ports), and a request
that misses the adapter (a session nobody mounted it on) is refused at once instead of reaching
some other server.
"""

from __future__ import annotations

import contextlib
import io
import socket
import threading
from http.client import HTTPMessage
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3 import HTTPResponse
from werkzeug.test import EnvironBuilder, run_wsgi_app

from dsop_sandbox.launcher import FACTORIES
from dsop_sandbox.mocks.authority import KeyAuthority
from dsop_sandbox.mocks.common.clock import Clock
from dsop_sandbox.mocks.common.outbound import Outbound
from dsop_sandbox.mocks.common.settings import SERVICE_NAMES, Settings


def origin(url: str) -> str:
    """``scheme://host:port`` of ``url`` (the port written out), lower case."""
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return f"{parts.scheme}://{parts.hostname}:{port}".lower()


class _Original:
    """What ``requests`` reads of an ``http.client.HTTPResponse``: the headers (for cookies)."""

    def __init__(self, msg: HTTPMessage, method: str):
        self.msg = msg
        self._method = method

    def isclosed(self) -> bool:
        return True

    def close(self) -> None:
        pass


class WsgiAdapter(HTTPAdapter):
    """Delivers each request to the WSGI app registered for its origin; unknown origins and a
    connection the app drops (a sandbox fault) are ``requests.ConnectionError``, as on a network."""

    def __init__(self, record: bool = True):
        super().__init__()
        self.apps: dict[str, object] = {}
        self.record = record
        self.sent: list[str] = []  # "METHOD url" of every request delivered, in order (when recording)

    def add(self, base_url: str, app) -> None:
        self.apps[origin(base_url)] = app

    def prefixes(self) -> list[str]:
        """The URL prefixes to mount this adapter on (one per app, with the port written as given)."""
        return [f"{key}/" for key in self.apps]

    def mount_on(self, target: requests.Session | Outbound) -> None:
        for prefix in self.prefixes():
            target.mount(prefix, self)
            scheme, _, rest = prefix.partition("://")
            default_port = ":443/" if scheme == "https" else ":80/"
            if rest.endswith(default_port):  # a URL with its default port left out
                target.mount(f"{scheme}://{rest[: -len(default_port)]}/", self)

    def send(self, request, stream=False, timeout=None, verify=True, cert=None, proxies=None):
        app = self.apps.get(origin(request.url))
        if app is None:
            raise requests.ConnectionError(f"no app serves {origin(request.url)} in this process", request=request)
        parts = urlsplit(request.url)
        body = request.body
        if isinstance(body, str):
            body = body.encode("utf-8")
        elif body is not None and not isinstance(body, bytes):
            body = b"".join(chunk.encode() if isinstance(chunk, str) else chunk for chunk in body)
        builder = EnvironBuilder(
            path=parts.path or "/",
            base_url=f"{parts.scheme}://{parts.netloc}",
            query_string=parts.query,
            method=request.method,
            headers=list(request.headers.items()),
            data=body or b"",
        )
        try:
            environ = builder.get_environ()
        finally:
            builder.close()
        if body and "CONTENT_LENGTH" not in environ:
            environ["CONTENT_LENGTH"] = str(len(body))
        if self.record:
            self.sent.append(f"{request.method} {request.url}")
        try:
            app_iter, status, headers = run_wsgi_app(app, environ, buffered=True)
            try:
                content = b"".join(app_iter)
            finally:
                if hasattr(app_iter, "close"):
                    app_iter.close()
        except ConnectionError as exc:  # ServiceMiddleware's dropped connection
            raise requests.ConnectionError(exc, request=request) from exc
        code, _, reason = status.partition(" ")
        message = HTTPMessage()
        for name, value in headers.items():
            message[name] = value
        raw = HTTPResponse(
            body=io.BytesIO(content),
            headers=list(headers.items()),
            status=int(code),
            reason=reason,
            preload_content=False,
            decode_content=False,
            original_response=_Original(message, request.method),
            request_method=request.method,
            request_url=request.url,
        )
        return self.build_response(request, raw)

    def close(self) -> None:
        """Shared by every session it is mounted on: closing one session leaves it working."""


#: The apps of served sandboxes that :func:`served_in_process` routes to, by origin.
_SHORTCUTS = WsgiAdapter(record=False)
_SHORTCUTS_LOCK = threading.Lock()
_get_adapter = requests.Session.get_adapter


def _get_adapter_or_shortcut(session: requests.Session, url: str):
    if _SHORTCUTS.apps and origin(url) in _SHORTCUTS.apps:
        return _SHORTCUTS
    return _get_adapter(session, url)


@contextlib.contextmanager
def served_in_process(*servers):
    """While inside, every ``requests`` session in this process (the suite's, the reference insurer's,
    each fake's outgoing calls, the control plane's fan-out) delivers a request for one of
    ``servers`` (a :class:`~dsop_sandbox.launcher.Sandbox` or a ``ReferenceInsurerServer``, served over
    plain HTTP) straight to the WSGI app its server runs, the server's own wrapper included, instead of
    through a socket. What the apps see and answer is the same; what is saved is the HTTP client's
    and server's work on both ends (about 40 % of a full conformance run's CPU). It is the lookup of
    ``requests.Session`` itself that is replaced, so a session made before the block, or by a thread
    that outlives it, is routed too while inside; requests for other origins are not affected, and the
    servers keep serving sockets. The last block to leave puts the lookup back. The app is called in
    the caller's thread, so a request's ``timeout`` does not apply."""
    added = []
    for server in servers:
        if hasattr(server, "servers"):  # a Sandbox: each service's server
            added += [(server.url(name), served.server.wsgi_app) for name, served in server.servers.items()]
        else:  # a ReferenceInsurerServer
            added.append((server.url, server.server.server.wsgi_app))
    with _SHORTCUTS_LOCK:
        requests.Session.get_adapter = _get_adapter_or_shortcut
        for url, app in added:
            assert url.startswith("http://"), "served_in_process takes plain-HTTP servers (TLS is the socket's)"
            _SHORTCUTS.add(url, app)
    try:
        yield
    finally:
        with _SHORTCUTS_LOCK:
            for url, _app in added:
                _SHORTCUTS.apps.pop(origin(url), None)
            if not _SHORTCUTS.apps:  # the last one out puts requests back as it was
                requests.Session.get_adapter = _get_adapter


def reserve_ports(count: int) -> list[socket.socket]:
    """``count`` sockets bound to free local ports, never listening (a connection is refused)."""
    held = []
    for _ in range(count):
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        held.append(sock)
    return held


class InProcessSandbox:
    """Every service's app in this process, reachable through one :class:`WsgiAdapter`."""

    def __init__(
        self,
        settings: Settings,
        services: tuple[str, ...] = SERVICE_NAMES,
        *,
        authority: KeyAuthority | None = None,
        clock: Clock | None = None,
        options: dict[str, dict] | None = None,
    ):
        """``options`` are further keyword arguments of a service's factory (``{"nav": {"personas": [...]}}``)."""
        self.requested = settings
        self.options = options or {}
        self.services = tuple(services)
        self.shared_clock = clock
        self.authority = authority
        self.adapter = WsgiAdapter()
        self.apps: dict = {}
        self._ports: list[socket.socket] = []
        self.settings = settings

    def start(self) -> InProcessSandbox:
        self._ports = reserve_ports(len(self.services))
        ports = {name: sock.getsockname()[1] for name, sock in zip(self.services, self._ports, strict=True)}
        self.settings = self.requested.with_ports(ports)
        self.settings.state_dir.mkdir(parents=True, exist_ok=True)
        if self.authority is None:
            self.authority = KeyAuthority.open(self.settings.state_dir, (self.shared_clock or Clock()).now())
        try:
            for name in self.services:
                app = FACTORIES[name](
                    self.settings,
                    authority=self.authority,
                    clock=self.shared_clock or Clock(),
                    **self.options.get(name, {}),
                )
                self.apps[name] = app
                self.adapter.add(self.settings.base_url(name), app)
            for app in self.apps.values():
                for outbound in outbounds_of(app):
                    self.adapter.mount_on(outbound)
        except BaseException:
            self.stop()
            raise
        return self

    def url(self, name: str) -> str:
        return self.settings.base_url(name)

    def app(self, name: str):
        return self.apps[name]

    def session(self) -> requests.Session:
        """A session (no proxies from the environment) that reaches every app in process."""
        http = requests.Session()
        http.trust_env = False
        self.adapter.mount_on(http)
        return http

    def mount(self, http: requests.Session) -> requests.Session:
        """``http`` (made elsewhere, e.g. a scripted citizen's) now reaches the apps in process."""
        self.adapter.mount_on(http)
        return http

    def stop(self) -> None:
        for app in self.apps.values():
            runtime = app.extensions.get("sandbox")
            if runtime is not None:
                runtime.store.close()
        control = self.apps.get("control")
        if control is not None:
            control.extensions["control"].store.close()
        self.apps.clear()
        for sock in self._ports:
            sock.close()
        self._ports = []

    def __enter__(self) -> InProcessSandbox:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def outbounds_of(app) -> list:
    """Whatever an app makes outgoing calls with: each fake's :class:`Outbound` (on its runtime, and
    any other a service object holds) and the control plane's fan-out session."""
    found: list = []
    for extension in app.extensions.values():
        for candidate in (extension, getattr(extension, "outbound", None)):
            if isinstance(candidate, Outbound) and candidate not in found:
                found.append(candidate)
        fanout = getattr(extension, "fanout", None)
        session = getattr(fanout, "session", None)
        if isinstance(session, requests.Session):
            found.append(session)
    return found

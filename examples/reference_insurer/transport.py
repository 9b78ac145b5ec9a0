"""HTTP for the insurer's outgoing calls: one ``requests`` session per thread (a session is not
meant to be shared between threads), the configured trust (``verify=``) and timeouts."""

from __future__ import annotations

import threading

import requests


class Unreachable(Exception):
    """No HTTP answer: connection refused or dropped, TLS failure, timeout."""


class Transport:
    def __init__(self, *, verify: bool | str = True, timeout: float = 10.0, trust_env: bool = False):
        self.verify = verify
        self.timeout = timeout
        self.trust_env = trust_env
        self._local = threading.local()
        self._sessions: list[requests.Session] = []
        self._lock = threading.Lock()

    def session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            session.trust_env = self.trust_env
            session.verify = self.verify
            self._local.session = session
            with self._lock:
                self._sessions.append(session)
        return session

    def request(self, method: str, url: str, *, timeout: float | None = None, **kwargs) -> requests.Response:
        try:
            return self.session().request(method, url, timeout=timeout or self.timeout, allow_redirects=False, **kwargs)
        except requests.exceptions.SSLError as exc:
            raise Unreachable(f"TLS: {method} {url}: the server's certificate is not trusted ({exc})") from exc
        except requests.RequestException as exc:
            raise Unreachable(f"{method} {url}: {exc.__class__.__name__}: {exc}") from exc

    def close(self) -> None:
        with self._lock:
            sessions, self._sessions = self._sessions, []
        for session in sessions:
            session.close()

"""A scripted citizen: one browser (one cookie jar) of one person, driven over HTTP.

It follows redirects between the sandbox's services by hand, logs in on ID-porten's page when it
is shown (by posting the page's plain form, as the page allows), and stops at a redirect that
leaves the sandbox (the insurer's RedirectUrl), handing that answer back.
"""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

import requests


class Citizen:
    """One browser (one cookie jar) of one person: follows redirects inside the sandbox by hand and
    logs in on ID-porten's page when it is shown. It stops at a redirect that leaves the sandbox
    (the insurer's RedirectUrl) and gives that answer back."""

    def __init__(self, eco, pid: str, method: str = "bankid", services: tuple[str, ...] = ("altinn", "idporten")):
        """``eco`` is anything with a ``sandbox`` (a running :class:`dsop_sandbox.launcher.Sandbox`)."""
        self.eco, self.pid, self.method = eco, pid, method
        self.http = requests.Session()
        self.http.trust_env = False
        self.idporten = eco.sandbox.url("idporten")
        self.hosts = {urlsplit(eco.sandbox.url(name)).netloc for name in services}
        self.visited: list[str] = []

    def get(self, url: str, *, stop_at: str | None = None, **kw) -> requests.Response:
        return self.follow(self.http.get(url, allow_redirects=False, timeout=15, **kw), stop_at=stop_at)

    def post(self, url: str, data: dict, *, stop_at: str | None = None) -> requests.Response:
        return self.follow(self.http.post(url, data=data, allow_redirects=False, timeout=15), stop_at=stop_at)

    def follow(self, answer: requests.Response, stop_at: str | None = None) -> requests.Response:
        logged_in = False
        for _ in range(20):
            self.visited.append(answer.url)
            if answer.status_code in (301, 302, 303, 307, 308):
                location = urljoin(answer.url, answer.headers["Location"])
                if urlsplit(location).netloc not in self.hosts or (stop_at and stop_at in location):
                    return answer
                answer = self.http.get(location, allow_redirects=False, timeout=15)
                continue
            if answer.status_code == 200 and answer.url.startswith(self.idporten + "/login?") and not logged_in:
                logged_in = True
                answer = self.http.post(
                    self.idporten + "/login",
                    allow_redirects=False,
                    timeout=15,
                    data={**hidden_fields(answer.text), "pid": self.pid, "method": self.method, "action": "login"},
                )
                continue
            return answer
        raise AssertionError(f"too many redirects: {self.visited[-5:]}")

    def cancel_login(self, to_login: requests.Response) -> requests.Response:
        """``to_login`` is the redirect to ID-porten's login page: open it and press cancel."""
        page = self.http.get(urljoin(to_login.url, to_login.headers["Location"]), allow_redirects=False, timeout=15)
        return self.post(self.idporten + "/login", {**hidden_fields(page.text), "action": "cancel"})


def hidden_fields(html: str) -> dict[str, str]:
    """The hidden fields of a page's form (ID-porten's login form: ``request_id`` and ``csrf``)."""
    return dict(HIDDEN.findall(html))


HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')

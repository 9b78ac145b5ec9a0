"""A browser made of ``requests``: a cookie jar, redirects followed one by one, and the two forms
the citizen fills in (ID-porten's login page and Altinn's consent page, of either generation: both
have a form with ``csrf`` and ``answer`` buttons) posted as a person would.

It recognises the sandbox's pages by URL (the services' base URLs come from the control plane)
and their forms by field names, not by importing the fakes.
"""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urljoin

import requests

from .base import ACCEPT, LEAVE, BrowserOutcome, DriverError, consent_request_id, is_callback, on_consent_page, query_of

MAX_HOPS = 30
LOGIN_METHOD = "bankid"  # TestID-style BankID gives idporten-loa-high


class _Forms(HTMLParser):
    def __init__(self):
        super().__init__()
        self.forms: list[dict] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.forms.append(
                {
                    "action": attrs.get("action") or "",
                    "method": (attrs.get("method") or "get").lower(),
                    "fields": {},
                    "buttons": [],
                }
            )
        elif tag in ("input", "button") and self.forms:
            name = attrs.get("name")
            if not name:
                return
            kind = (attrs.get("type") or ("submit" if tag == "button" else "text")).lower()
            if kind == "submit":
                self.forms[-1]["buttons"].append((name, attrs.get("value", "")))
            elif kind not in ("radio", "checkbox") or "checked" in attrs:
                self.forms[-1]["fields"][name] = attrs.get("value", "")


def forms_of(html: str) -> list[dict]:
    parser = _Forms()
    parser.feed(html)
    return parser.forms


class HttpBrowser:
    def __init__(self, services: dict[str, str], *, timeout: float = 15.0, verify: bool | str = True):
        self.idporten = services["idporten"].rstrip("/")
        self.altinn = services["altinn"].rstrip("/")
        self.timeout = timeout
        self.verify = verify

    def _session(self) -> requests.Session:
        session = requests.Session()
        session.trust_env = False
        session.verify = self.verify
        return session

    def consent(self, start_url: str, person: dict, answer: str) -> BrowserOutcome:
        http = self._session()
        outcome = BrowserOutcome(False, False, start_url, 0)
        try:
            response = http.get(start_url, allow_redirects=False, timeout=self.timeout)
            logged_in = False
            for _ in range(MAX_HOPS):
                outcome.visited.append(response.url)
                if response.status_code in (301, 302, 303, 307, 308):
                    location = urljoin(response.url, response.headers["Location"])
                    if is_callback(location, (self.idporten, self.altinn)):
                        outcome.callback_params = query_of(location)
                    response = http.get(location, allow_redirects=False, timeout=self.timeout)
                    continue
                if self._at(response, self.idporten, "/login") and not logged_in:
                    logged_in = True
                    response = self._log_in(http, response, person)
                    continue
                if on_consent_page(response.url, self.altinn) and response.status_code == 200 and not outcome.answered:
                    outcome.reached_consent_page = True
                    outcome.consent_request_id = consent_request_id(response.url, self.altinn)
                    if answer == LEAVE:
                        outcome.final_url, outcome.final_status = response.url, response.status_code
                        return outcome
                    outcome.answered = True
                    response = self._answer(http, response, answer)
                    continue
                outcome.final_url, outcome.final_status = response.url, response.status_code
                return outcome
        except requests.RequestException as exc:
            raise DriverError(f"the browser could not load a page: {exc}") from exc
        finally:
            http.close()
        raise DriverError(f"more than {MAX_HOPS} pages without reaching the insurer again: {outcome.visited[-4:]}")

    def close(self) -> None:
        pass

    @staticmethod
    def _at(response: requests.Response, base: str, path: str) -> bool:
        return response.url.startswith(base + path)

    def _log_in(self, http: requests.Session, response: requests.Response, person: dict) -> requests.Response:
        form = next((f for f in forms_of(response.text) if "request_id" in f["fields"]), None)
        if form is None:
            raise DriverError(f"ID-porten's login page without a login form: {response.url}")
        return http.post(
            self.idporten + "/login",
            allow_redirects=False,
            timeout=self.timeout,
            # the form's hidden fields as the page gives them: request_id and the anti-CSRF token
            data={**form["fields"], "pid": person["pid"], "method": LOGIN_METHOD, "action": "login"},
        )

    def _answer(self, http: requests.Session, response: requests.Response, answer: str) -> requests.Response:
        form = next((f for f in forms_of(response.text) if "csrf" in f["fields"]), None)
        if form is None:
            raise DriverError("Altinn's consent page has no answer form")
        data = dict(form["fields"])
        data["answer"] = "accept" if answer == ACCEPT else "reject"
        action = urljoin(response.url, form["action"]) if form["action"] else response.url
        return http.post(action, data=data, allow_redirects=False, timeout=self.timeout)

"""The suite's side of the admin API without a sandbox: what ``tidy`` puts back after a scenario.
The calls are recorded by a session that answers them itself."""

from __future__ import annotations

import requests

from dsop_sandbox.conformance.sandbox_api import SandboxApi

ALL_RESTORES = [("DELETE", "/tls"), ("DELETE", "/faults"), ("DELETE", "/lifetimes"), ("POST", "/clock")]


class Recorder(requests.Session):
    """Answers every call with 200 {} (or the status ``failing`` names for a path) and records it."""

    def __init__(self):
        super().__init__()
        self.calls: list[tuple[str, str]] = []
        self.failing: dict[str, int] = {}

    def request(self, method, url, **kw):
        path = url.split("/_sandbox", 1)[1]
        self.calls.append((method, path))
        answer = requests.Response()
        answer.status_code = self.failing.pop(path, 200)
        answer._content = b"{}"
        return answer


def api() -> tuple[SandboxApi, Recorder]:
    http = Recorder()
    return SandboxApi("http://control.invalid", http=http), http


def test_the_first_tidy_puts_everything_back_then_only_what_the_suite_changed():
    sandbox, http = api()
    assert sandbox.tidy() == [] and http.calls == ALL_RESTORES
    http.calls.clear()
    assert sandbox.tidy() == [] and http.calls == []  # nothing changed since
    sandbox.arm_fault("nav", status=503)
    sandbox.lifetimes({"maskinporten_token": 2})
    sandbox.admin("GET", "/clock")  # reading changes nothing
    http.calls.clear()
    assert sandbox.tidy() == [] and http.calls == [("DELETE", "/faults"), ("DELETE", "/lifetimes")]


def test_a_change_made_on_a_services_own_admin_api_is_put_back_too():
    sandbox, http = api()
    sandbox.services = {"nav": "http://nav.invalid"}
    sandbox.tidy()
    sandbox.admin("POST", "/faults", service="nav", json={"status": 503})
    http.calls.clear()
    sandbox.tidy()
    assert http.calls == [("DELETE", "/faults")]


def test_what_could_not_be_put_back_is_said_and_tried_again_next_time():
    sandbox, http = api()
    sandbox.tidy()
    sandbox.clock(advance="P3Y")
    http.failing["/clock"] = 503
    http.calls.clear()
    problems = sandbox.tidy()
    assert len(problems) == 1 and problems[0].startswith("the calendar could not be restored")
    http.calls.clear()
    assert sandbox.tidy() == [] and http.calls == [("POST", "/clock")]
    http.calls.clear()
    assert sandbox.tidy() == [] and http.calls == []


def test_the_suite_speaks_the_admin_apis_token_header_and_reads_its_fingerprints():
    """The suite sees the sandbox only over HTTP, so it names the header and the fingerprint form
    itself: they must be the ones the sandbox's admin API uses."""
    from dsop_sandbox.conformance import sandbox_api
    from dsop_sandbox.mocks.common import admin_access

    assert sandbox_api.TOKEN_HEADER == admin_access.TOKEN_HEADER
    assert sandbox_api.same_secret(admin_access.fingerprint("api-key-1"), "api-key-1")
    assert not sandbox_api.same_secret(admin_access.fingerprint("api-key-1"), "api-key-2")

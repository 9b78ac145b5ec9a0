"""The sandbox as the suite sees it: only HTTP, the control plane's ``/_sandbox`` API and each
service's own admin endpoints. The suite never imports a fake."""

from __future__ import annotations

import contextlib
import hashlib
import os

import requests

from .contract import timeline_order

#: The header the sandbox's admin API takes its token in, and the environment variable the suite
#: reads it from (``dsop-sandbox conform`` and ``doctor`` set it from the sandbox's state directory).
TOKEN_HEADER = "X-Sandbox-Admin-Token"
TOKEN_ENV = "DSOP_SANDBOX_ADMIN_TOKEN"


def same_secret(listed, mine) -> bool:
    """Whether a secret in an admin listing is ``mine``: the listing shows it to a caller without the
    admin token only as ``sha256:<hex>`` of it."""
    if not isinstance(listed, str) or not isinstance(mine, str) or not mine:
        return False
    return listed in (mine, "sha256:" + hashlib.sha256(mine.encode()).hexdigest())


class SandboxUnavailable(RuntimeError):
    pass


#: Events asked for per log and page (the control plane's most).
PAGE = 10_000
#: The services that sign what an insurer verifies, each with its ``/_sandbox/keys``.
SIGNING = ("idporten", "maskinporten", "altinn")
#: What the suite changes and puts back after each scenario (:meth:`SandboxApi.tidy`), by the admin
#: path that changes it.
RESTORABLE = ("/tls", "/faults", "/lifetimes", "/clock")


class SandboxApi:
    def __init__(
        self,
        control_url: str,
        http: requests.Session | None = None,
        timeout: float = 15.0,
        verify: bool | str = True,
        token: str | None = None,
    ):
        self.control = control_url.rstrip("/")
        self.http = http or requests.Session()
        self.http.trust_env = False
        self.http.verify = verify
        token = token or os.environ.get(TOKEN_ENV)
        if token:
            self.http.headers[TOKEN_HEADER] = token
        self.timeout = timeout
        self.services: dict[str, str] = {}
        self.settings: dict = {}
        self._last_cursor = ""
        # What a call may have changed since it was last put back: at first anything (the sandbox
        # may come from an earlier run or a user's experiments), then what the suite itself changed.
        self._changed: set[str] = set(RESTORABLE)

    # -- plumbing ---------------------------------------------------------------------------------------
    def _call(self, method: str, url: str, expect: tuple[int, ...] = (200,), **kw):
        try:
            answer = self.http.request(method, url, timeout=self.timeout, **kw)
        except requests.RequestException as exc:
            raise SandboxUnavailable(f"{method} {url}: {exc}") from exc
        if answer.status_code not in expect:
            raise SandboxUnavailable(f"{method} {url} answered {answer.status_code}: {answer.text[:300]}")
        return answer.json() if answer.content else {}

    def admin(self, method: str, path: str, service: str = "control", expect=(200, 201), **kw):
        if method != "GET":
            root = "/" + path.lstrip("/").split("/", 1)[0]
            if root in RESTORABLE:
                self._changed.add(root)
        base = self.control if service == "control" else self.services[service]
        return self._call(method, base + "/_sandbox" + path, expect=expect, **kw)

    def connect(self) -> dict:
        """Learn the services' URLs and their health; raises SandboxUnavailable."""
        listed = self._call("GET", self.control + "/_sandbox/services")
        self.services = {name: item["base_url"].rstrip("/") for name, item in listed["services"].items()}
        self.settings = self._call("GET", self.control + "/_sandbox/settings")
        return listed

    # -- the stage --------------------------------------------------------------------------------------
    def cursor(self) -> str:
        """A cursor at the end of the merged timeline: events after it belong to what comes next.
        Paging starts at the last cursor this run saw (cursors only move forward), so a long-lived
        sandbox's whole log is read once per run, not once per scenario step."""
        for page in self._pages(self._last_cursor):
            self._last_cursor = page["cursor"]
        return self._last_cursor

    def events_since(self, cursor: str) -> list[dict]:
        events = [event for page in self._pages(cursor) for event in page["events"]]
        return sorted(events, key=timeline_order)

    def _pages(self, cursor: str):
        """The merged timeline after ``cursor``, page by page. The limit holds for each log, so a page
        with fewer events than the limit holds all there was of every log: the last page."""
        while True:
            page = self.admin("GET", "/events", params={"since": cursor, "limit": PAGE})
            yield page
            if len(page["events"]) < PAGE:
                return
            cursor = page["cursor"]

    def clock(self, **body) -> dict:
        return self.admin("POST", "/clock", json=body)

    def lifetimes(self, values: dict) -> dict:
        return self.admin("POST", "/lifetimes", json=values)

    def reset_lifetimes(self) -> None:
        self.admin("DELETE", "/lifetimes")

    def arm_fault(self, service: str, **fault) -> dict:
        return self.admin("POST", "/faults", json={"service": service, **fault})

    def clear_faults(self) -> None:
        self.admin("DELETE", "/faults")

    def persons(self) -> list[dict]:
        return self.admin("GET", "/persons")["persons"]

    def insurers(self) -> list[dict]:
        return self.admin("GET", "/insurers")["insurers"]

    def withdraw_consent(self, code: str) -> dict:
        return self.admin("POST", f"/consents/{code}/withdraw", service="altinn")

    def revoke_consent3(self, consent_id: str) -> dict:
        """The citizen revokes an accepted Altinn 3 consent (Altinn's admin fixture, as the citizen's
        active-consents page does)."""
        return self.admin("POST", f"/altinn3/consents/{consent_id}/revoke", service="altinn")

    def consent3(self, consent_id: str) -> dict:
        """An Altinn 3 consent request as Altinn holds it (its parties, status and ``redirectUrl``)."""
        return self.admin("GET", f"/altinn3/consents/{consent_id}", service="altinn")

    def consent(self, code: str) -> dict:
        return self.admin("GET", f"/consents/{code}", service="altinn")

    def rotate_keys(self, service: str) -> dict:
        return self.admin("POST", "/keys/rotate", service=service)

    @property
    def tls(self) -> bool:
        """Whether the sandbox serves HTTPS (started with --tls)."""
        return bool(self.settings.get("tls"))

    def serve_certificate(self, service: str, certificate: str) -> dict:
        """``untrusted``: ``service`` presents a certificate outside the CA bundle; ``authority``: its own."""
        return self.admin("POST", "/tls", json={"service": service, "certificate": certificate})

    def restore_certificates(self) -> None:
        self.admin("DELETE", "/tls")

    def tidy(self) -> list[str]:
        """Leave the sandbox as a scenario found it: every certificate trusted, no faults, the real
        calendar, default lifetimes. What could not be put back, with why (empty: everything).

        Only what a call changed since it was last put back is restored: each restore is a call that
        the control plane fans out to every service, and a run tidies after every scenario. What
        could not be restored stays on the list for the next tidy."""
        problems = []
        for what, root, step in (
            ("the certificates", "/tls", self.restore_certificates),
            ("the faults", "/faults", self.clear_faults),
            ("the lifetimes", "/lifetimes", self.reset_lifetimes),
            ("the calendar", "/clock", lambda: self.clock(reset=True)),
        ):
            if root not in self._changed:
                continue
            try:
                step()
            except SandboxUnavailable as exc:
                problems.append(f"{what} could not be restored: {exc}")
            else:
                self._changed.discard(root)
        return problems

    def stage(self) -> dict[str, object]:
        """What the suite changes while it runs, as the sandbox holds it now: the calendar's offset,
        the lifetimes, the armed faults, the certificates served and the keys that sign (see
        :mod:`.leftovers`)."""
        stage: dict[str, object] = {
            "calendar": self.admin("GET", "/clock").get("offset_seconds", 0),
            "lifetimes": self.admin("GET", "/lifetimes").get("lifetimes", {}),
            "faults": {
                name: answer.get("faults", [])
                for name, answer in self.admin("GET", "/faults").get("services", {}).items()
                if isinstance(answer, dict)
            },
            "certificates": {
                name: answer.get("certificate")
                for name, answer in self.admin("GET", "/tls").get("services", {}).items()
                if isinstance(answer, dict)
            },
        }
        for service in SIGNING:
            if service in self.services:
                with contextlib.suppress(SandboxUnavailable, KeyError):
                    stage[f"signing key:{service}"] = self.admin("GET", "/keys", service=service)["signing_kid"]
        return stage

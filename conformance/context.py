"""What a scenario works with: the sandbox (HTTP only), the insurer (its profile and fetch hook),
the citizen's browser (a driver), and the verdicts and steps it records."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

import requests

from .catalogue import by_id
from .drivers.base import ACCEPT, BrowserOutcome, Driver
from .oracle import Events, brief, token_end
from .profile import InsurerProfile
from .results import FAIL, NOT_RUN, PASS, Verdict
from .sandbox_api import SandboxApi

FETCH_TIMEOUT = 30.0
PERSON_URN = "urn:altinn:person:identifier-no:"
#: Seconds NAV still takes an access token after its ``exp`` (its clock-skew leeway).
NAV_LEEWAY = 1.0


class Precondition(Exception):
    """The scenario cannot reach what it wants to judge; its remaining requirements are NOT RUN."""


@dataclass
class FetchAnswer:
    http_status: int
    status: str | None  # "ok" | "consent_required" | "unavailable" | None (no usable answer)
    body: object = None


@dataclass
class Context:
    scenario: str
    api: SandboxApi
    profile: InsurerProfile
    driver: Driver
    http: requests.Session
    person: dict
    verdicts: list[Verdict] = field(default_factory=list)
    steps: list[str] = field(default_factory=list)
    started_cursor: str = ""
    generation: str = "altinn2"  # the consent generation judged (the profile's; set by the runner)

    @property
    def org(self) -> str:
        return self.profile.org

    @property
    def client_id(self) -> str | None:
        return self.profile.tables.get("maskinporten", {}).get("client_id")

    @property
    def altinn3(self) -> bool:
        return self.generation == "altinn3"

    @property
    def person_urn(self) -> str:
        return PERSON_URN + self.person["pid"]

    def step(self, text: str) -> None:
        self.steps.append(text)

    # -- acting ------------------------------------------------------------------------------------------
    def consent(self, answer: str, person: dict | None = None) -> BrowserOutcome:
        person = person or self.person
        self.step(
            f"The citizen {person['name']} ({person['pid']}) starts a claim and answers «{answer}» on "
            f"Altinn's consent page"
        )
        return self.driver.consent(self.profile.start(person), person, answer)

    def back_at_insurer(self, outcome: BrowserOutcome) -> bool:
        """The citizen's browser ended on a working page outside Altinn and ID-porten: the insurer's."""
        login_and_consent = (self.api.services["altinn"], self.api.services["idporten"])
        return outcome.final_status < 400 and not outcome.final_url.startswith(login_and_consent)

    def consented(self) -> str:
        """Give consent as the scenario's person: what names the consent (Altinn 2's authorization
        code, Altinn 3's consent request id), or Precondition."""
        outcome = self.consent(ACCEPT)
        handle = outcome.consent_handle
        completed = outcome.answered and handle and (not self.altinn3 or outcome.callback_status == "OK")
        if not completed:
            raise Precondition(
                f"the consent flow did not complete (ended at {outcome.final_url} with "
                f"{outcome.final_status}), so this could not be judged"
            )
        return handle

    def revoke(self, handle: str) -> None:
        """The citizen withdraws the consent in Altinn (Altinn 2: by code; Altinn 3: by consent id)."""
        self.step("The citizen withdraws the consent in Altinn")
        if self.altinn3:
            self.api.revoke_consent3(handle)
        else:
            self.api.withdraw_consent(handle)

    def fetched(self) -> FetchAnswer:
        """A fetch that must work (a fresh consent is in place); Precondition otherwise."""
        answer = self.fetch()
        if answer.status != "ok":
            raise Precondition(
                f"the fetch hook answered {answer.status!r} (HTTP {answer.http_status}) for a fresh "
                f"consent, so this could not be judged"
            )
        return answer

    def fetch(self, person: dict | None = None) -> FetchAnswer:
        person = person or self.person
        url = self.profile.fetch(person)
        try:
            answer = self.http.post(url, timeout=FETCH_TIMEOUT)
        except requests.RequestException as exc:
            self.step(f"Fetch hook for {person['pid']}: no answer ({exc.__class__.__name__})")
            return FetchAnswer(0, None)
        try:
            body = answer.json()
        except ValueError:
            body = None
        status = body.get("status") if isinstance(body, dict) else None
        self.step(f"Fetch hook for {person['pid']}: HTTP {answer.status_code}, status {status!r}")
        return FetchAnswer(answer.status_code, status, body)

    def wait(self, seconds: float, why: str) -> None:
        self.step(f"Wait {seconds:g} s ({why})")
        time.sleep(seconds)

    def wait_past_tokens(self, consent_id: str, lifetime: float, leeway: float = 0.0) -> None:
        """Wait until every Maskinporten token issued with ``consent_id`` is past its ``exp`` (plus
        ``leeway``): no longer than the rule needs. ``lifetime`` is the fallback when an event does not
        say when its token expires."""
        ends = [token_end(e, lifetime) for e in self.events().consent_grants(self.client_id or "", consent_id, 200)]
        ends = [end for end in ends if end is not None]
        if not ends:
            return
        remaining = (max(ends) - datetime.now(UTC)).total_seconds() + leeway + 0.1
        if remaining > 0:
            self.wait(round(remaining, 1), "the consent-bearing Maskinporten token has expired")

    def wait_for(self, check, timeout: float, interval: float = 0.2):
        """Poll ``check()`` until it gives something truthy or ``timeout`` seconds pass."""
        deadline = time.monotonic() + timeout
        while True:
            result = check()
            if result or time.monotonic() >= deadline:
                return result
            time.sleep(interval)

    # -- observing ---------------------------------------------------------------------------------------
    def cursor(self) -> str:
        return self.api.cursor()

    def events(self, since: str | None = None) -> Events:
        return Events(self.api.events_since(self.started_cursor if since is None else since))

    # -- judging -----------------------------------------------------------------------------------------
    def judge(self, requirement: str, ok: bool, why: str, evidence: list[dict] = ()) -> bool:
        assert requirement in by_id(self.generation), (self.generation, requirement)
        self.verdicts.append(Verdict(requirement, PASS if ok else FAIL, why, self.scenario, brief(list(evidence))))
        return ok

    def not_run(self, requirement: str, why: str) -> None:
        self.verdicts.append(Verdict(requirement, NOT_RUN, why, self.scenario, []))

    @staticmethod
    def new_id() -> str:
        return str(uuid.uuid4())

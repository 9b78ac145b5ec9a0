"""What a scenario works with: the sandbox (HTTP only), the insurer (its profile and fetch hook),
the citizen's browser (a driver), and the verdicts and steps it records."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

import requests

from .catalogue import by_id
from .drivers.base import ACCEPT, LEAVE, BrowserOutcome, Driver
from .oracle import Events, brief, token_end
from .profile import InsurerProfile
from .results import FAIL, NOT_RUN, PASS, Verdict
from .sandbox_api import SandboxApi

FETCH_TIMEOUT = 30.0
PERSON_URN = "urn:altinn:person:identifier-no:"
#: Seconds NAV still takes an access token after its ``exp`` (its clock-skew leeway).
NAV_LEEWAY = 1.0
#: How long the sandbox must be quiet (no new event) before the suite takes the insurer's own work as
#: done (:meth:`Context.settle`), and how long it waits for that at most.
SETTLE_QUIET = 0.3
SETTLE_LONGEST = 5.0
#: Why a scenario settles after the consent (the reference insurer retrieves in the background then).
SETTLED = "the insurer's own work after the consent is done"


class Precondition(Exception):
    """The scenario cannot reach what it wants to judge; its remaining requirements are NOT RUN."""


class InsurerSilent(Precondition):
    """The insurer gave the suite no usable answer (no connection, or a fetch hook answer without a
    status): nothing it did can be judged from that, neither as a pass nor as a failure."""


def observed(operation: str, method: str, url: str, http_status: int, **details) -> dict:
    """An answer the suite itself got from the insurer, as evidence beside the sandbox's events (the
    insurer keeps no event log the suite could read)."""
    return {
        "time": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "service": "insurer",
        "operation": operation,
        "method": method,
        "path": url,
        "status": http_status,
        "outcome": "seen by the suite",
        "details": {key: value for key, value in details.items() if value is not None},
    }


@dataclass
class FetchAnswer:
    http_status: int
    status: str  # "ok" | "consent_required" | "unavailable" (a hook without a status raises InsurerSilent)
    body: object = None
    evidence: dict = field(default_factory=dict)  # the answer as an evidence record (see observed)


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

    @staticmethod
    def seen(outcome: BrowserOutcome) -> dict:
        """Where the citizen's browser ended, as evidence (see :func:`observed`)."""
        return observed(
            "citizen's browser",
            "GET",
            outcome.final_url,
            outcome.final_status,
            reached_consent_page=outcome.reached_consent_page,
            answered=outcome.answered,
            callback_status=outcome.callback_status,
        )

    def leave_pending(self) -> BrowserOutcome:
        """A claim that really waits: the citizen starts it and leaves Altinn's consent page unanswered."""
        self.step("The citizen starts a claim and leaves Altinn's consent page without answering")
        return self.driver.consent(self.profile.start(self.person), self.person, LEAVE)

    def forge_callbacks(self, urls: list[str], what: str) -> list[dict]:
        """Open each forged callback URL at the insurer (without following its redirect); its answers,
        as evidence. InsurerSilent when one does not answer."""
        answers = []
        for url in urls:
            self.step(f"Open the insurer's callback with {what}")
            status = self.ask_insurer("GET", url, "callback", timeout=15, allow_redirects=False).status_code
            answers.append(observed("callback", "GET", url, status))
        return answers

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
        """The insurer's fetch hook, asked for ``person`` now; InsurerSilent when it gives no answer
        with a status (no connection, a timeout, a page without ``status``)."""
        person = person or self.person
        url = self.profile.fetch(person)
        answer = self.ask_insurer("POST", url, f"fetch hook for {person['pid']}", timeout=FETCH_TIMEOUT)
        try:
            body = answer.json()
        except ValueError:
            body = None
        status = body.get("status") if isinstance(body, dict) else None
        self.step(f"Fetch hook for {person['pid']}: HTTP {answer.status_code}, status {status!r}")
        if not isinstance(status, str):
            raise InsurerSilent(
                f"the insurer's fetch hook answered HTTP {answer.status_code} without a status "
                f"(ok, consent_required or unavailable), so what the insurer did could not be judged"
            )
        return FetchAnswer(
            answer.status_code, status, body, observed("fetch hook", "POST", url, answer.status_code, answered=status)
        )

    def ask_insurer(self, method: str, url: str, what: str, **kwargs) -> requests.Response:
        """One request to the insurer (its fetch hook, its callback); InsurerSilent when it does not
        answer: a connection error is no answer, and no evidence of anything."""
        try:
            return self.http.request(method, url, **kwargs)
        except requests.RequestException as exc:
            self.step(f"The insurer's {what} did not answer ({exc.__class__.__name__})")
            raise InsurerSilent(
                f"the insurer's {what} did not answer ({exc.__class__.__name__}), so what the insurer does "
                f"could not be judged"
            ) from exc

    def wait(self, seconds: float, why: str) -> None:
        self.step(f"Wait {seconds:g} s ({why})")
        time.sleep(seconds)

    def settle(self, why: str) -> None:
        """Wait until what the insurer does on its own has stopped: no new event in the sandbox for
        ``SETTLE_QUIET`` seconds (``SETTLE_LONGEST`` at most). An insurer may go on working after it
        answered (the reference insurer fetches in the background once a consent is given); a call it
        began earlier and that ends after the suite's next step must not count as part of that step."""
        began = time.monotonic()
        cursor = self.cursor()
        while time.monotonic() - began < SETTLE_LONGEST:
            time.sleep(SETTLE_QUIET)
            later = self.cursor()
            if later == cursor:
                break
            cursor = later
        self.step(f"Waited {time.monotonic() - began:.1f} s until the sandbox was quiet ({why})")

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
        """PASS or FAIL, each resting on ``evidence``: the sandbox's events and the insurer's answers
        that show the behaviour ``why`` names. A verdict without any is no verdict: NOT RUN, saying so."""
        assert requirement in by_id(self.generation), (self.generation, requirement)
        evidence = [item for item in evidence if item]
        if not evidence:
            self.not_run(requirement, f"Nothing the suite saw shows it, so this is not judged (it would say: {why})")
            return False
        self.verdicts.append(Verdict(requirement, PASS if ok else FAIL, why, self.scenario, brief(evidence)))
        return ok

    def not_run(self, requirement: str, why: str) -> None:
        self.verdicts.append(Verdict(requirement, NOT_RUN, why, self.scenario, []))

    @staticmethod
    def new_id() -> str:
        return str(uuid.uuid4())

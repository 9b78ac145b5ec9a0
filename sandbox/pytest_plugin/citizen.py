"""The ``dsop_citizen`` fixture's object: a test person playing the citizen's browser, which is the
suite's own requests driver (:class:`~dsop_sandbox.conformance.drivers.http_browser.HttpBrowser`):
it follows an insurer's start URL, logs in at ID-porten and answers Altinn's consent page."""

from __future__ import annotations

from dsop_sandbox.conformance.drivers.base import ACCEPT, LEAVE, REJECT, BrowserOutcome
from dsop_sandbox.conformance.drivers.http_browser import HttpBrowser
from dsop_sandbox.conformance.runner import person_record

from .wsgi_adapter import WsgiAdapter


class UnknownPersona(LookupError):
    pass


def persona_person(key: str) -> dict:
    """The login record of the persona ``key`` (``aap-meldekort``, ``ufore-okt-grad`` …)."""
    from dsop_sandbox.people.personas import PERSONAS
    from dsop_sandbox.people.roster import login_person

    for persona in PERSONAS:
        if persona.key == key:
            return person_record(login_person(persona))
    raise UnknownPersona(f"no persona {key!r}; there are {', '.join(p.key for p in PERSONAS)}")


class ScriptedCitizen(HttpBrowser):
    """One test person (``persona``) with a requests browser. Every answer starts a fresh browser
    (no cookies from the last one). :meth:`mount` puts an insurer app in this process at an origin."""

    def __init__(self, services: dict[str, str], persona: str = "aap-meldekort", *, verify: bool | str = True):
        super().__init__(services, verify=verify)
        self.persona = persona
        self.person = persona_person(persona)
        self.apps: dict[str, object] = {}

    @property
    def pid(self) -> str:
        return self.person["pid"]

    def mount(self, origin: str, app) -> ScriptedCitizen:
        """Requests to ``origin`` (``http://insurer.test``) go to the WSGI ``app`` in this process."""
        self.apps[origin.rstrip("/")] = app
        return self

    def _session(self):
        session = super()._session()
        for origin, app in self.apps.items():
            session.mount(origin + "/", WsgiAdapter(app))
        return session

    def as_persona(self, persona: str) -> ScriptedCitizen:
        """The same browser set-up (mounts too) as another persona."""
        other = ScriptedCitizen({"idporten": self.idporten, "altinn": self.altinn}, persona, verify=self.verify)
        other.apps = dict(self.apps)
        return other

    def start(self, start_url: str, answer: str = ACCEPT) -> BrowserOutcome:
        """Open ``start_url`` (``{pid}``, ``{first_name}``, ``{last_name}`` are filled in), log in at
        ID-porten, answer Altinn (``accept``, ``reject`` or ``leave``: stop on the consent page), and
        come back to the insurer: where the browser ended, and what Altinn sent back."""
        return self.consent(start_url.format(**self.person), self.person, answer)

    def accept(self, start_url: str) -> BrowserOutcome:
        return self.start(start_url, ACCEPT)

    def decline(self, start_url: str) -> BrowserOutcome:
        return self.start(start_url, REJECT)

    def leave(self, start_url: str) -> BrowserOutcome:
        return self.start(start_url, LEAVE)

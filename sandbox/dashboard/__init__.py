"""The workshop dashboard, drawn on the control plane: a live sequence diagram of every call across
the services (``GET /`` and ``/dashboard``) and a guided walkthrough of the DSOP flow
(``/walkthrough``, for Altinn 3 consent; ``/walkthrough?consent=altinn2`` for Altinn 2, with the
reference insurer registered for that generation). Pages only: every route they call is the
control plane's own.

The pages are for a room: two columns that each fit the window (the steps scroll, the diagram stays
in view; on a narrow or zoomed screen the diagram sits above the steps), a clicked arrow's details
over the diagram's lower half, presenter mode (about 20 px text; on by default on the walkthrough),
times in Europe/Oslo labelled so, a header clock that runs on the sandbox calendar, Norwegian unless
``?lang=en`` or the ``dsop_lang`` cookie says otherwise (the fakes' policy, :mod:`dsop_sandbox.mocks.common.language`).

``install(app)`` adds the pages to the control plane's Flask app (idempotent); whoever builds the
sandbox does so (the launcher). The pages read the control plane only through its public
:func:`~dsop_sandbox.control_plane.outline.outline`, and talk only to its admin API, from small inline
JavaScript; nothing is loaded from outside the sandbox.

Where the diagram's arrows come from (each one from evidence, and labelled with it), all from one
feed, the merged timeline (``GET /_sandbox/events``), polled every :data:`POLL_MS` milliseconds
and at once after a control is used:

* a service's own event: every call to ID-porten, Maskinporten, Altinn and NAV, including TLS
  handshakes a client refused (operation ``tls_handshake``);
* Altinn's event for the citizen's answer, whose ``details.redirect_to`` names the insurer's callback
  it sent the browser to: the citizen's hop back to the insurer, drawn dashed as seen *through*
  Altinn (the insurer keeps no log, so whether the browser arrived is not seen);
* the control plane's own events that made a hop (service ``control``, ``details.hop``): the
  walkthrough's ``start_claim`` and ``insurer_fetch``, drawn dotted; the control plane's other
  events (moving the calendar, registering, withdrawing…) are admin calls, counted but not drawn.

Altinn 3's hops are named for what they are: the insurer's consent request at Altinn, Maskinporten's
token whose grant carried a consent (its event's ``consent_id`` or ``authorization_details_types``),
Maskinporten's consent lookup at Altinn (Altinn's event, drawn from Maskinporten's lifeline right
under the token request it served: they share the trace id), NAV's calls with the consent in the
token (``consent_generation``), and Maskinporten's refusal naming Altinn's code (``consent_problem``).
"""

from __future__ import annotations

from flask import Blueprint, Flask, make_response, render_template, request

import dsop_sandbox.conformance.contract as C
from dsop_sandbox.control_plane.outline import outline
from dsop_sandbox.mocks.common import language

BLUEPRINT = "dashboard"
#: How often an open page asks for new events (ms), and while the page is hidden.
POLL_MS = 250
POLL_HIDDEN_MS = 2000

#: The generations' names on the pages.
GENERATIONS = {
    "altinn3": "Altinn 3",
    "altinn2": "Altinn 2",
}
#: Where the citizen sees her consents at Altinn, by generation.
MY_CONSENTS = {
    "altinn3": "/accessmanagement/ui/consent/active",
    "altinn2": "/ui/Profile/Consents",
}

#: The operations the diagram's script reads (conformance/contract.py declares them), by what it calls them.
OPERATIONS = {
    "lookup": C.CONSENT_LOOKUP[0],
    "consent_answer": C.CONSENT_ANSWER3[0],
    "tls_handshake": C.TLS_HANDSHAKE[0],
    "token": C.MP_TOKEN[0],
    "start_claim": C.START_CLAIM[0],
    "insurer_fetch": C.INSURER_FETCH[0],
    "create_request3": C.CREATE_REQUEST3[0],
    "get_request3": C.GET_REQUEST3[0],
    "consent_page3": C.CONSENT_PAGE3[0],
    "revoke3": C.REVOKE3[0],
}
#: Altinn 3's hops, named for what they are, by ``altinn:<operation>``.
ALTINN3_NAMES = {
    f"altinn:{operation}": name
    for operations, name in (
        (C.CREATE_REQUEST3, "Altinn 3 consent request"),
        (C.GET_REQUEST3, "consent request status"),
        (C.CONSENT_EVENTS3, "consent events"),
        (C.CONSENT_PAGE3, "consent page"),
        (C.CONSENT_ANSWER3, "consent answer"),
        (C.ACTIVE_CONSENTS3, "active consents"),
        (C.REVOKE3, "revoke consent"),
        (C.CONSENT_LOOKUP, "consent lookup"),
    )
    for operation in operations
}

#: The lifelines, by language: the control plane's own (it acts for the walkthrough's controls), then
#: the citizen's browser, the insurer and the services.
LANES = {
    "nb": (
        ("control", "Sandkasse"),
        ("citizen", "Innbygger"),
        ("insurer", "Forsikring"),
        ("idporten", "ID-porten"),
        ("maskinporten", "Maskin\u00adporten"),
        ("altinn", "Altinn"),
        ("nav", "NAV"),
    ),
    "en": (
        ("control", "Sandbox"),
        ("citizen", "Citizen"),
        ("insurer", "Insurer"),
        ("idporten", "ID-porten"),
        ("maskinporten", "Maskin\u00adporten"),
        ("altinn", "Altinn"),
        ("nav", "NAV"),
    ),
}
#: The zone citizens' times are shown in (as Altinn shows them).
ZONE = "Europe/Oslo"


def install(app: Flask) -> Flask:
    """Adds the dashboard's pages to the control plane's app (before it serves its first request)."""
    if BLUEPRINT not in app.blueprints:
        app.register_blueprint(dashboard_blueprint())
    return app


def dashboard_blueprint() -> Blueprint:
    bp = Blueprint(BLUEPRINT, __name__, template_folder="templates")

    @bp.get("/")
    @bp.get("/dashboard")
    def dashboard():
        return _page("dashboard.html")

    @bp.get("/walkthrough")
    def walkthrough():
        """The walkthrough of one generation: ``?consent=altinn2``, else Altinn 3."""
        return _page("walkthrough.html", request.args.get("consent"))

    return bp


def _page(template: str, consent: str | None = None):
    """The page in the sandbox's one language policy (:mod:`dsop_sandbox.mocks.common.language`, as the
    fakes' citizen pages): ``?lang=``, then the ``dsop_lang`` cookie it sets, then Norwegian."""
    return language.remember_choice(make_response(_render(template, consent, language.page_language())))


def _render(template: str, consent: str | None, lang: str):
    view = outline(consent)
    urls = view.services
    links = {
        "idporten": urls["idporten"] + "/.well-known/openid-configuration",
        "my_consents": {generation: urls["altinn"] + MY_CONSENTS[generation] for generation in view.generations},
        "nav": urls["nav"] + "/person/personopplysninger/dsop",
    }
    walkthrough = template == "walkthrough.html"
    lanes = LANES[lang]
    config = {
        "lang": lang,
        "zone": ZONE,
        "lanes": [{"id": lane, "label": label} for lane, label in lanes],
        "services": urls,
        "insurer": view.insurer,
        # the walkthrough's generation: its withdraw control takes that generation's consents
        "consent": view.consent if walkthrough else None,
        "withdraw_via": view.withdraw_via,
        "reset_via": view.reset_via,
        "years_later_via": view.years_later_via,
        # the walkthrough is shown to a room: large text unless the presenter turned it off
        "presenter": walkthrough,
        "poll_ms": POLL_MS,
        "poll_hidden_ms": POLL_HIDDEN_MS,
        "operations": OPERATIONS,
        "altinn3_names": ALTINN3_NAMES,
    }
    return render_template(
        template,
        urls=urls,
        links=links,
        consent=view.consent,
        # (generation, its name, its reference insurer or None), the default first
        generations=[(name, GENERATIONS[name], view.insurers[name]) for name in view.generations],
        insurer=view.insurer,
        start_url=view.start_url,
        start_via=view.start_via,
        fetch_via=view.fetch_via,
        person=view.person,
        years_later_via=view.years_later_via,
        reset_via=view.reset_via,
        lanes=lanes,
        lang=lang,
        en=lang == "en",
        # this page in the other language, its query (the walkthrough's generation) kept
        switch_url=language.switch_url(lang),
        zone=ZONE,
        config=config,
    )

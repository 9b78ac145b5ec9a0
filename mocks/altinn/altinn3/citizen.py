"""The citizen's Altinn 3 pages: the consent page an integration sends the browser to (``viewUri``)
and the citizen's active consents, where a consent is revoked.

``GET /accessmanagement/ui/consent/request?id=<id>`` (Altinn's own path on ``am.ui.<host>``; here on
Altinn's one base URL) logs the citizen in through ID-porten with Altinn 2's machinery (the same
session) and shows the consent: the template's heading with the recipient's name, the resource's
consent text with the request's metadata, the message, who handles it, the expiry, and the two
answers as a form with this session's CSRF token. Only the person in ``from`` (or the
``requiredDelegator``) may see and answer it.

``POST`` the same path answers, as Access Management's BFF answers (``Api.Internal`` ConsentController):
accept only before ``validTo`` (AM.VLD-00022) and from Created (again from Accepted is a no-op;
otherwise AM-00002), and only for actions the resource's policy delegates (``consent``; otherwise
AM-00000); reject only from Created (again from Rejected is a no-op; otherwise AM-00015). Then, as
Altinn does, the citizen is logged out of Altinn and sent to ``redirectUrl`` with ``Status=OK`` or
``Status=Failed&ErrorMessage=User+did+not+give+consent`` (:mod:`.answer_redirect`). With
``skiplogout=true`` the citizen stays: a receipt after an accept, the active consents after a reject.

``GET /accessmanagement/ui/consent/active`` lists the citizen's active consents (and the log of the
others); ``POST /accessmanagement/ui/consent/active/<id>/revoke`` revokes one (Accepted only; again
from Revoked is a no-op; otherwise AM-00010).

Every refusal is a page with a 4xx status and its code in the event (``error``). The answer's event
notes ``answer`` and ``redirect_to`` (the redirect's origin and path, never its query).
"""

from __future__ import annotations

import uuid
from urllib.parse import urlencode

from flask import Blueprint, Response, redirect, render_template, request

from dsop_sandbox.mocks.common.events import annotate
from dsop_sandbox.mocks.common.language import switch_url

from ..citizen import login as L
from ..citizen.pages import html, redirect_target
from ..citizen.texts import language
from ..resource_registry import templates
from ..runtime import Altinn, altinn
from . import consent_text, parties, urns
from . import consents as C
from . import problems as P
from .answer_redirect import answer_redirect
from .consents import TransitionRefused
from .dto import VIEW_PATH
from .texts import texts3

ACTIVE_PATH = "/accessmanagement/ui/consent/active"
#: The actions a consent resource's policy lets a person delegate.
DELEGABLE_ACTIONS = ("consent",)


# -- rendering ---------------------------------------------------------------------------------------------
def render(template: str, lang: str, status: int = 200, session: L.Session | None = None, **context) -> Response:
    service = altinn()
    person = service.person(session.pid) if session else None
    page = render_template(
        template,
        lang=lang,
        t=texts3(lang),
        session=session,
        user_name=(person or {}).get("name") or (session.pid if session else None),
        switch_url=switch_url(lang),
        lang_query="&languageCode=en" if lang == "en" else "",
        active_url=ACTIVE_PATH + ("?languageCode=en" if lang == "en" else ""),
        **context,
    )
    return html(page, status)


def message(
    lang: str, status: int, title: str, text: str, *, session=None, code: str | None = None, links: list | None = None
) -> Response:
    if code:
        annotate(error=code)
    return render("altinn3/message.html", lang, status, session=session, title=title, text=text, links=links or [])


def page_url(consent_id: str, lang: str, skip_logout: bool = False) -> str:
    args = {"id": consent_id}
    if lang == "en":
        args["languageCode"] = "en"
    if skip_logout:
        args["skiplogout"] = "true"
    return f"{VIEW_PATH}?{urlencode(args)}"


def local_text(texts: dict | None, lang: str) -> str | None:
    """A text of a ``{"nb", "nn", "en"}`` object in ``lang`` (bokmål, then any, when missing)."""
    if not texts:
        return None
    return texts.get(lang) or texts.get("nb") or next((v for v in texts.values() if v), None)


# -- what the page shows ---------------------------------------------------------------------------------------
def consent_view(service: Altinn, record: dict, lang: str) -> dict:
    to_name = parties.name_of(service, record["to"])
    values = {
        "CoveredBy": to_name,
        "OfferedBy": parties.name_of(service, record["from"]),
        "HandledBy": parties.name_of(service, record.get("handled_by")),
        "Expiration": consent_text.local_time(record["valid_to"]),
    }
    template_id = record.get("template_id") or "default"

    def template_text(name: str) -> str | None:
        text = templates.text(template_id, name, lang)
        return consent_text.with_parties(text, values) if text else None

    rights = []
    for right in record["consent_rights"]:
        for attribute in right["resource"]:
            resource = service.resources.get(attribute["value"]) or {}
            text = local_text(resource.get("consentText"), lang) or ""
            rights.append(
                {
                    "identifier": attribute["value"],
                    "title": local_text(resource.get("title"), lang) or attribute["value"],
                    "owner": local_text((resource.get("hasCompetentAuthority") or {}).get("name"), lang),
                    "text": consent_text.markdown(consent_text.with_metadata(text, right.get("metadata"))),
                }
            )
    message_texts = record.get("request_message") or (templates.template(template_id) or {}).get("texts", {}).get(
        "overriddenDelegationContext"
    )
    message_text = local_text(message_texts, lang)
    return {
        "title": template_text("title"),
        "heading": template_text("heading"),
        "intro": template_text("serviceIntro"),
        "rights": rights,
        "message": consent_text.with_parties(message_text, values) if message_text else None,
        "message_is_request": bool(record.get("request_message")),
        "handled_by": template_text("handledBy") if record.get("handled_by") else None,
        "expiration": template_text("expirationOneTime" if record.get("one_time") else "expiration"),
        "to_name": to_name,
        "to_org": parties.value_of(record["to"]),
    }


def answerer(record: dict) -> str | None:
    """The fødselsnummer of the one person who may answer (the required delegator, else ``from``)."""
    for urn in (record.get("required_delegator"), record["from"]):
        if urn:
            party = urns.parse_party(urn)
            return party.value if party.kind == urns.PERSON else None
    return None


def find(service: Altinn, consent_id: str | None) -> dict | None:
    try:
        return service.consents3.get(str(uuid.UUID(consent_id or "")))
    except ValueError:
        return None


def someone_else(lang: str, session: L.Session, consent_id: str) -> Response:
    t = texts3(lang)
    other = f"/ui/authentication/logout?{urlencode({'returnUrl': page_url(consent_id, lang)})}"
    return message(
        lang,
        403,
        t["someone_else_title"],
        t["someone_else"],
        session=session,
        code=P.NOT_AUTHORIZED.code,
        links=[{"href": other, "text": t["login_as_other"], "id": "login-as-other"}],
    )


def state_page(service: Altinn, record: dict, lang: str, session: L.Session, status: int) -> Response | None:
    """The page for a request that can no longer be answered (None while it can)."""
    t = texts3(lang)
    if record["status"] == C.ACCEPTED:
        return message(
            lang,
            status,
            t["already_approved"],
            t["consent_given_at"].format(date=consent_text.local_time(record["consented"])),
            session=session,
            links=[{"href": ACTIVE_PATH, "text": t["receipt_back"], "id": "active-consents"}],
        )
    if record["status"] == C.REJECTED:
        return message(lang, status, t["already_rejected"], t["already_rejected"], session=session)
    if record["status"] == C.REVOKED:
        return message(lang, status, t["already_revoked"], t["status_revoked"], session=session)
    if C.is_expired(record, service.clock.calendar()):
        return expired_page(service, record, lang, session)
    return None


def expired_page(service: Altinn, record: dict, lang: str, session: L.Session) -> Response:
    t = texts3(lang)
    name = parties.name_of(service, record["to"])
    text = t["expired_text"].format(name=name, date=consent_text.local_time(record["valid_to"]))
    return message(lang, 410, t["consent_is_expired"], text, session=session, code=P.TIME_NOT_IN_FUTURE.code)


# -- routes ----------------------------------------------------------------------------------------------------
def citizen_blueprint() -> Blueprint:
    bp = Blueprint("altinn3_citizen", __name__, template_folder="templates")

    def requested():
        service = altinn()
        consent_id = request.args.get("id", "")
        lang = language(request.args.get("languageCode"))
        record = find(service, consent_id)
        t = texts3(lang)
        if not consent_id:
            return service, None, lang, message(lang, 400, t["no_id_title"], t["no_id"])
        if record is None:
            return (
                service,
                None,
                lang,
                message(lang, 404, t["not_found_title"], t["consent_not_found"], code=P.NOT_FOUND.code),
            )
        annotate(consent_id=record["id"])
        return service, record, lang, None

    @bp.get(VIEW_PATH)
    def altinn3_consent_page():
        service, record, lang, missing = requested()
        if missing is not None:
            return missing
        session = L.current_session(service)
        if session is None:
            return L.start_login(service, request.full_path, lang, login_hint=answerer(record))
        annotate(subject=session.pid)
        if answerer(record) != session.pid:
            return someone_else(lang, session, record["id"])
        stop = state_page(service, record, lang, session, 200)
        if stop is not None:
            return stop
        return render(
            "altinn3/consent_request.html",
            lang,
            session=session,
            view=consent_view(service, record, lang),
            csrf=session.csrf,
            action=page_url(record["id"], lang, request.args.get("skiplogout") == "true"),
        )

    @bp.post(VIEW_PATH)
    def altinn3_consent_answer():
        service, record, lang, missing = requested()
        if missing is not None:
            return missing
        t = texts3(lang)
        session = L.current_session(service)
        if session is None:
            return redirect(page_url(record["id"], lang), code=303)
        annotate(subject=session.pid)
        if not L.csrf_ok(session, request.form.get("csrf")):
            return message(lang, 403, t["csrf_title"], t["csrf"], session=session, code="csrf")
        choice = request.form.get("answer")
        if choice not in ("accept", "reject"):
            return message(lang, 400, t["bad_answer_title"], t["bad_answer"], session=session, code="invalid_answer")
        if answerer(record) != session.pid:
            return someone_else(lang, session, record["id"])
        accept = choice == "accept"
        performed_by = urns.person_urn(session.pid)
        try:
            if accept:
                if C.is_expired(record, service.clock.calendar()):
                    return expired_page(service, record, lang, session)
                if not all(
                    action.lower() in DELEGABLE_ACTIONS for r in record["consent_rights"] for action in r["action"]
                ):
                    return message(
                        lang, 403, t["not_authorized"], t["not_authorized"], session=session, code=P.NOT_AUTHORIZED.code
                    )
                record = service.consents3.accept(record["id"], performed_by, lang)
            else:
                record = service.consents3.reject(record["id"], performed_by)
        except TransitionRefused as exc:
            text = t["wrong_consent_status"] if accept else t["wrong_reject_status"]
            return message(lang, 409, t["load_error"], text, session=session, code=exc.descriptor.code)
        annotate(answer="accepted" if accept else "rejected", status=record["status"])
        if request.args.get("skiplogout") == "true":
            if accept:
                return render("altinn3/receipt.html", lang, session=session)
            return redirect(ACTIVE_PATH + ("?languageCode=en" if lang == "en" else ""), code=303)
        target = answer_redirect(record["redirect_url"], accept)
        annotate(redirect_to=redirect_target(target))
        L.end_session(service)
        response = redirect(target, code=302)
        L.clear_session_cookie(response)
        return response

    @bp.get(ACTIVE_PATH)
    def altinn3_active_consents():
        service = altinn()
        lang = language(request.args.get("languageCode"))
        session = L.current_session(service)
        if session is None:
            return L.start_login(service, request.full_path, lang)
        annotate(subject=session.pid)
        t = texts3(lang)
        now = service.clock.calendar()
        active, history = [], []
        for record in service.consents3.of_person(session.pid):
            item = consent_item(service, record, lang, now)
            (active if item["state"] == "active" else history).append(item)
        revoked = next((i for i in history if i["id"] == request.args.get("revoked") and i["state"] == "revoked"), None)
        confirmation = t["revoked_ok"].format(consentName=revoked["title"]) if revoked else None
        person = service.person(session.pid) or {}
        return render(
            "altinn3/active_consents.html",
            lang,
            session=session,
            heading=t["active_heading"].format(name=person.get("name") or session.pid),
            active=active,
            history=history,
            csrf=session.csrf,
            confirmation=confirmation,
        )

    @bp.post(ACTIVE_PATH + "/<consent_id>/revoke")
    def altinn3_revoke_consent(consent_id: str):
        service = altinn()
        lang = language(request.args.get("languageCode"))
        t = texts3(lang)
        session = L.current_session(service)
        if session is None:
            return redirect(ACTIVE_PATH, code=303)
        annotate(subject=session.pid, consent_id=consent_id[:64])
        if not L.csrf_ok(session, request.form.get("csrf")):
            return message(lang, 403, t["csrf_title"], t["csrf"], session=session, code="csrf")
        record = find(service, consent_id)
        if record is None:
            return message(lang, 404, t["load_error"], t["consent_not_found"], session=session, code=P.NOT_FOUND.code)
        if record["from"] != urns.person_urn(session.pid):
            return message(lang, 403, t["not_yours_title"], t["not_yours"], session=session, code=P.NOT_AUTHORIZED.code)
        try:
            service.consents3.revoke(record["id"], urns.person_urn(session.pid))
        except TransitionRefused as exc:
            return message(
                lang, 409, t["load_error"], t["wrong_revoke_status"], session=session, code=exc.descriptor.code
            )
        args = {"revoked": record["id"], **({"languageCode": "en"} if lang == "en" else {})}
        return redirect(f"{ACTIVE_PATH}?{urlencode(args)}", code=303)

    return bp


def consent_item(service: Altinn, record: dict, lang: str, now) -> dict:
    t = texts3(lang)
    if record["status"] == C.ACCEPTED:
        state = "expired" if C.is_expired(record, now) else "active"
    else:
        state = record["status"].lower()
    labels = {
        "active": t["status_active"],
        "expired": t["status_expired"],
        "revoked": t["status_revoked"],
        "rejected": t["status_rejected"],
        "created": t["status_created"],
    }
    view = consent_view(service, record, lang)
    return {
        "id": record["id"],
        "state": state,
        "state_label": labels.get(state, record["status"]),
        "to_name": view["to_name"],
        "to_org": view["to_org"],
        "title": ", ".join(right["title"] for right in view["rights"]),
        "rights": view["rights"],
        "consented": consent_text.local_time(record["consented"]) if record.get("consented") else None,
        "valid_to": consent_text.local_time(record["valid_to"]),
    }

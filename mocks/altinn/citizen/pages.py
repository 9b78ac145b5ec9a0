"""The citizen's pages: the consent page (``/ui/AccessConsent``), the legacy consent link, the
ID-porten callback, and "Mine samtykker" (``/ui/Profile/Consents``) with withdrawal.

Every page is server-rendered HTML (Jinja autoescape, inline CSS, no script). Every refusal is a
page of its own with a 4xx status: an unknown or malformed id (404), a request for someone else
(403), an answered request (200 on GET, 409 on POST), an expired one (410), a broken consent
link (400, listing each ErrorCode), a form without this session's CSRF token (403).

Answering redirects to the request's ``RedirectUrl`` as Altinn 2 does (Altinn, «Be om samtykke»,
https://altinn.github.io/docs/utviklingsguider/samtykke/datakonsument/be-om-samtykke/):
``AuthorizationCode=<code>&Status=OK`` appended on yes, ``Status=Failed&ErrorMessage=…`` (with
``FailedAuthorizationCode`` for REST-created requests only) on no. The sandbox redirects even for
``PortalViewMode=Show``: the real Altinn leaves the citizen in the portal inbox then, which a
sandbox without an inbox cannot show. The answer's event names where it sent the browser
(``redirect_to``: the ``RedirectUrl``'s origin and path, never its query, so never the code), for
requests made over REST and through the legacy link alike: the insurer keeps no event log, so this
is what the dashboard draws the citizen's hop back to the insurer from.
"""

from __future__ import annotations

import re
from urllib.parse import quote, urlencode, urlsplit

from flask import Blueprint, Response, redirect, render_template, request

from dsop_sandbox.mocks.common.clock import isoformat, parse_time
from dsop_sandbox.mocks.common.events import annotate
from dsop_sandbox.mocks.common.language import switch_url
from dsop_sandbox.mocks.common.page_headers import citizen_page_headers

from .. import consents as C
from ..consents import ConsentError
from ..norwegian_time import local_clock, local_date
from ..request_validation import RequestProblems, parse_link
from ..runtime import Altinn, altinn
from ..services import SERVICES
from . import login as L
from .texts import language, month_name, texts_for

MAX_CODE_LENGTH = 100
CONSENTS_PATH = "/ui/Profile/Consents"
CONSENT_PAGE = "/ui/AccessConsent/request"
DECLINED_MESSAGE = "User did not give consent"
SECURITY_HEADERS = citizen_page_headers(forms_stay_here=False)


# -- rendering ---------------------------------------------------------------------------------------------
def html(page: str, status: int = 200) -> Response:
    return Response(page, status=status, mimetype="text/html", headers=SECURITY_HEADERS)


def render(template: str, lang: str, status: int = 200, session: L.Session | None = None, **context) -> Response:
    service = altinn()
    person = service.person(session.pid) if session else None
    page = render_template(
        template,
        lang=lang,
        t=texts_for(lang),
        session=session,
        user_name=(person or {}).get("name") or (session.pid if session else None),
        switch_url=switch_url(lang),
        lang_query="&languageCode=en" if lang == "en" else "",
        **context,
    )
    return html(page, status)


def message(
    lang: str,
    status: int,
    title: str,
    text: str,
    *,
    session: L.Session | None = None,
    problems: list | None = None,
    details: str | None = None,
    links: list | None = None,
    intro: str | None = None,
) -> Response:
    return render(
        "altinn_message.html",
        lang,
        status,
        session=session,
        title=title,
        text=text,
        problems=problems,
        details=details,
        links=links or [],
        intro=intro,
    )


def when(utc_text: str) -> dict:
    return {"date": local_date(utc_text), "time": local_clock(utc_text)}


# -- what a request asks for -------------------------------------------------------------------------------
def _metadata_value(value: str, lang: str) -> str:
    """dd.MM.yyyy stays as it is; yyyy-MM becomes "juni 2017"."""
    match = re.fullmatch(r"(\d{4})-(\d{2})", value)
    if match and 1 <= int(match.group(2)) <= 12:
        return f"{month_name(int(match.group(2)), lang)} {match.group(1)}"
    return value


def asked_services(record: dict, lang: str) -> list[dict]:
    t = texts_for(lang)
    items = []
    for resource in record.get("resources", []):
        service = SERVICES.get(str(resource.get("code")))
        metadata = resource.get("metadata") or {}
        details = []
        if service is not None and service.period and all(metadata.get(k) for k in service.period):
            start, end = (_metadata_value(metadata[k], lang) for k in service.period)
            details.append(t["data_period"].format(start=start, end=end))
        if metadata.get("inntektsaar"):
            details.append(t["income_year"].format(year=metadata["inntektsaar"]))
        items.append(
            {
                "key": f"{resource.get('code')}_{resource.get('edition')}",
                "title": service.title if service else f"{resource.get('code')}_{resource.get('edition')}",
                "covers": list(service.covers) if service else [],
                "details": details,
                "owner": service.owner_name if service else "",
            }
        )
    return items


def request_message(record: dict, lang: str) -> str | None:
    messages = record.get("request_message") or {}
    order = ("en", "no-nb", "no-nn") if lang == "en" else ("no-nb", "no-nn", "en")
    return next((messages[k] for k in order if isinstance(messages.get(k), str) and messages[k].strip()), None)


def service_template(record: dict) -> str:
    for resource in record.get("resources", []):
        service = SERVICES.get(str(resource.get("code")))
        if service is not None:
            return f"services/{service.template}.html"
    return "services/nav_5252.html"


# -- the answer's redirect ------------------------------------------------------------------------------------
def with_query(url: str, pairs: list[tuple[str, str]]) -> str:
    """``url`` with ``pairs`` appended to its query (kept as it is), before any fragment."""
    base, hash_mark, fragment = url.partition("#")
    query = "&".join(f"{name}={quote(value, safe='')}" for name, value in pairs)
    joined = base + query if base.endswith(("?", "&")) else base + ("&" if "?" in base else "?") + query
    return joined + hash_mark + fragment


def redirect_target(url: str) -> str:
    """Where a redirect goes, for the event log: scheme, host, port and path only (no user info, no
    query, no fragment, so neither the authorization code nor anything the insurer put there)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:
        port = None
    return f"{parts.scheme}://{host}{f':{port}' if port is not None else ''}{parts.path}"


def answer_redirect(record: dict, accepted: bool) -> str:
    code = record["code"]
    if accepted:
        return with_query(record["redirect_url"], [("AuthorizationCode", code), ("Status", "OK")])
    pairs = [("Status", "Failed"), ("ErrorMessage", DECLINED_MESSAGE)]
    if record.get("origin", "api") == "api":
        pairs.append(("FailedAuthorizationCode", code))
    return with_query(record["redirect_url"], pairs)


# -- looking requests up ------------------------------------------------------------------------------------
def find_request(service: Altinn, code: str | None) -> dict | None:
    if not code or len(code) > MAX_CODE_LENGTH or not code.isprintable():
        return None
    return service.consents.get(code)


def page_url(code: str, lang: str) -> str:
    return f"{CONSENT_PAGE}?{urlencode({'id': code, **({'languageCode': 'en'} if lang == 'en' else {})})}"


def refusal(
    service: Altinn, record: dict, session: L.Session, lang: str, *, answering: bool, accept: bool = True
) -> Response | None:
    """The page that stops the citizen from seeing or answering ``record``, or None."""
    t = texts_for(lang)
    insurer = record.get("covered_by_name") or record["covered_by"]
    required = record.get("required_delegator") or record.get("offered_by")
    if required and required != session.pid:
        annotate(error="wrong_person")
        other = f"/ui/authentication/logout?{urlencode({'returnUrl': page_url(record['code'], lang)})}"
        return message(
            lang,
            403,
            t["someone_else_title"],
            t["someone_else"],
            session=session,
            links=[{"href": other, "text": t["login_as_other"], "id": "login-as-other"}],
        )
    if record["status"] not in C.UNANSWERED:
        annotate(error="answered")
        answered = when(record.get("answered") or record["last_changed"])
        key = "answered_accepted" if record["status"] == C.ACCEPTED else "answered_rejected"
        return message(
            lang,
            409 if answering else 200,
            t["answered_title"],
            t[key].format(**answered),
            session=session,
            intro=t["answered_more"],
            links=[
                {
                    "href": CONSENTS_PATH + ("?languageCode=en" if lang == "en" else ""),
                    "text": t["back_to_consents"],
                    "id": "my-consents",
                }
            ],
        )
    if (accept or not answering) and service.clock.calendar() >= parse_time(record["valid_to"]):
        annotate(error="expired")
        return message(
            lang,
            410,
            t["expired_title"],
            t["expired"].format(insurer=insurer, **when(record["valid_to"])),
            session=session,
        )
    return None


def consent_error_page(
    exc: ConsentError, service: Altinn, code: str, session: L.Session, lang: str, accept: bool
) -> Response:
    """A transition the store refused between our checks and its write (another tab, a deletion)."""
    t = texts_for(lang)
    record = service.consents.get(code)
    if record is None:
        return message(lang, 404, t["not_found_title"], t["not_found"], session=session)
    page = refusal(service, record, session, lang, answering=True, accept=accept)
    return page or message(lang, 409, t["answered_title"], str(exc), session=session)


# -- "Mine samtykker" ---------------------------------------------------------------------------------------
def party_name(service: Altinn, org: str | None) -> str | None:
    if not org:
        return None
    consumer = service.consumer(org)
    if consumer:
        return consumer.get("name")
    owner = service.service_owners.get(org)
    return owner.get("name") if owner else None


def consent_items(service: Altinn, pid: str, lang: str) -> list[dict]:
    t = texts_for(lang)
    records = service.consents.of_person(pid)
    ordered = [r for r in records if r["status"] == C.ACCEPTED] + [r for r in records if r["status"] == C.REJECTED]
    items = []
    for record in ordered:
        state = service.consents.state(record) or C.REJECTED
        consent = record.get("consent") or {}
        insurer = record.get("covered_by_name") or party_name(service, record["covered_by"]) or record["covered_by"]
        titles = {s["key"]: s["title"] for s in asked_services(record, lang)}
        uses = []
        for use in service.consents.uses(record["code"]):
            moment = use.get("usage_time") or use["time"]
            uses.append(
                {
                    **when(moment),
                    "service": titles.get(use["service"], use["service"]),
                    "service_key": use["service"],
                    "org": use["logged_by"],
                    "by": party_name(service, use["logged_by"]) or use["logged_by"],
                }
            )
        revoked = consent.get("revoked")
        items.append(
            {
                "code": record["code"],
                "insurer": insurer,
                "org": record["covered_by"],
                "handled_by": record.get("handled_by"),
                "status": record["status"],
                "state": state,
                "state_label": t["state"][state],
                "services": asked_services(record, lang),
                "valid_from": when(consent.get("delegated") or record.get("answered") or record["created"]),
                "valid_to": when(record["valid_to"]),
                "revoked": when(revoked["time"]) if revoked else None,
                "answered": when(record.get("answered") or record["last_changed"]),
                "one_time": bool(record.get("one_time")),
                "can_withdraw": state == C.ACTIVE and not record.get("one_time"),
                "uses": uses,
            }
        )
    return items


# -- routes ----------------------------------------------------------------------------------------------------
def add_routes(bp: Blueprint) -> None:
    def requested(code: str):
        """(service, record, lang, None) for the request ``code``, or a page saying it is missing."""
        service = altinn()
        record = find_request(service, code)
        lang = language(request.args.get("languageCode"), (record or {}).get("language"))
        t = texts_for(lang)
        if not code:
            return service, record, lang, message(lang, 400, t["no_id_title"], t["no_id"])
        if record is None:
            annotate(error="unknown_request")
            return service, record, lang, message(lang, 404, t["not_found_title"], t["not_found"])
        annotate(authorization_code=code)
        return service, record, lang, None

    @bp.get(CONSENT_PAGE)
    def consent_page():
        code = request.args.get("id", "")
        service, record, lang, missing = requested(code)
        if missing is not None:
            return missing
        session = L.current_session(service)
        if session is None:
            hint = record.get("required_delegator") or record.get("offered_by")
            return L.start_login(service, request.full_path, lang, login_hint=hint)
        annotate(subject=session.pid)
        stop = refusal(service, record, session, lang, answering=False)
        if stop is not None:
            return stop
        try:
            record = service.consents.mark_opened(code)
        except ConsentError as exc:
            return consent_error_page(exc, service, code, session, lang, accept=True)
        now = isoformat(service.clock.calendar())
        insurer = record.get("covered_by_name") or record["covered_by"]
        return render(
            "consent_request.html",
            lang,
            session=session,
            record=record,
            insurer=insurer,
            insurer_org=record["covered_by"],
            handled_by=record.get("handled_by"),
            services=asked_services(record, lang),
            message_text=request_message(record, lang),
            valid_from=when(now),
            valid_to=when(record["valid_to"]),
            service_template=service_template(record),
            csrf=session.csrf,
            action=page_url(code, lang),
        )

    @bp.post(CONSENT_PAGE)
    def answer_consent_request():
        code = request.args.get("id") or request.form.get("id", "")
        service, record, lang, missing = requested(code)
        if missing is not None:
            return missing
        t = texts_for(lang)
        session = L.current_session(service)
        if session is None:  # the session ran out while the page was open: show it again after a new login
            return redirect(page_url(code, lang), code=303)
        annotate(subject=session.pid)
        if not L.csrf_ok(session, request.form.get("csrf")):
            annotate(error="csrf")
            return message(lang, 403, t["csrf_title"], t["csrf"], session=session)
        choice = request.form.get("answer")
        if choice not in ("accept", "reject"):
            annotate(error="invalid_answer")
            return message(lang, 400, t["bad_answer_title"], t["bad_answer"], session=session)
        accept = choice == "accept"
        stop = refusal(service, record, session, lang, answering=True, accept=accept)
        if stop is not None:
            return stop
        try:
            record = service.consents.answer(code, session.pid, accept)
        except ConsentError as exc:
            return consent_error_page(exc, service, code, session, lang, accept)
        target = answer_redirect(record, accept)
        annotate(
            subject=session.pid,
            authorization_code=code,
            answer="accepted" if accept else "rejected",
            portal_view_mode=record.get("portal_view_mode"),
            redirect_to=redirect_target(target),
        )
        return redirect(target, code=302)

    @bp.get("/ui/AccessConsent/<code>")
    def old_consent_link(code: str):
        """The old form of the link (Altinn 20.2 redirects it to ``request?id=``)."""
        args = {"id": code}
        if request.args.get("languageCode"):
            args["languageCode"] = request.args["languageCode"]
        return redirect(f"{CONSENT_PAGE}?{urlencode(args)}", code=302)

    @bp.get("/ui/AccessConsent")
    @bp.get("/ui/AccessConsent/", endpoint="consent_link_slash")
    def consent_link():
        """The legacy parameterised link (Altinn, «Be om samtykke», lenkebaserte samtykker): checked,
        then (after login) a request, then its page."""
        service = altinn()
        lang = language(request.args.get("LanguageCode") or request.args.get("languageCode"))
        t = texts_for(lang)
        try:
            normalized = parse_link(request.args, service)
        except RequestProblems as exc:
            annotate(problems=[code for code, _ in exc.problems])
            return message(
                lang,
                400,
                t["link_invalid_title"],
                t["link_invalid"],
                problems=[{"code": code, "message": text} for code, text in exc.problems],
            )
        session = L.current_session(service)
        if session is None:
            hint = normalized.get("required_delegator") or normalized.get("offered_by")
            return L.start_login(service, request.full_path, lang, login_hint=hint)
        record = service.consents.create(normalized)
        annotate(
            subject=session.pid,
            authorization_code=record["code"],
            services=C.service_keys(record),
            covered_by=record["covered_by"],
        )
        return redirect(page_url(record["code"], lang), code=302)

    # -- login ------------------------------------------------------------------------------------------------
    @bp.get(L.CALLBACK_PATH)
    def login_callback():
        service = altinn()
        lang = language()
        try:
            pending, claims = L.finish_login(service, request.args)
        except L.LoginFailed as exc:
            annotate(error=exc.kind)
            return login_failed(lang, exc)
        lang = language(pending["lang"])
        t = texts_for(lang)
        problem = L.acr_problem(claims)
        if problem:
            annotate(subject=claims["pid"], error="acr_too_low", acr=claims.get("acr"))
            again = f"/ui/authentication/login?{urlencode({'returnUrl': pending['return_url'], 'lang': lang})}"
            return message(
                lang,
                403,
                t["level_title"],
                t["level"],
                details=problem,
                links=[{"href": again, "text": t["try_again"], "id": "try-again"}],
            )
        L.end_session(service)  # a new login never reuses the browser's previous session
        token = L.start_session(service, claims["pid"], claims["acr"], claims.get("sid"))
        annotate(subject=claims["pid"], acr=claims["acr"])
        response = redirect(pending["return_url"], code=302)
        L.set_session_cookie(response, token)
        response.headers["Cache-Control"] = "no-store"
        return response

    @bp.get("/ui/authentication/login")
    def login_start():
        """Start a login explicitly (``prompt=login`` asks ID-porten for a new one, not SSO)."""
        service = altinn()
        lang = language(request.args.get("lang") or request.args.get("languageCode"))
        return L.start_login(service, L.safe_return_url(request.args.get("returnUrl")), lang, prompt="login")

    @bp.get("/ui/authentication/logout")
    def logout():
        service = altinn()
        lang = language(request.args.get("languageCode"))
        t = texts_for(lang)
        pid = L.end_session(service)
        if pid:
            annotate(subject=pid)
        return_url = request.args.get("returnUrl")
        if return_url:
            response = L.start_login(service, L.safe_return_url(return_url), lang, prompt="login")
        else:
            response = message(
                lang,
                200,
                t["logged_out_title"],
                t["logged_out"],
                links=[{"href": CONSENTS_PATH, "text": t["back_to_consents"], "id": "my-consents"}],
            )
        L.clear_session_cookie(response)
        return response

    # -- "Mine samtykker" -------------------------------------------------------------------------------------
    @bp.get(CONSENTS_PATH)
    def my_consents():
        service = altinn()
        lang = language(request.args.get("languageCode"))
        t = texts_for(lang)
        session = L.current_session(service)
        if session is None:
            return L.start_login(service, request.full_path, lang)
        annotate(subject=session.pid)
        items = consent_items(service, session.pid, lang)
        withdrawn = next(
            (item for item in items if item["code"] == request.args.get("withdrawn") and item["state"] == C.REVOKED),
            None,
        )
        confirmation = t["withdrawn"].format(insurer=withdrawn["insurer"]) if withdrawn else None
        return render(
            "my_consents.html", lang, session=session, items=items, csrf=session.csrf, confirmation=confirmation
        )

    @bp.post(CONSENTS_PATH + "/<code>/withdraw")
    def withdraw_my_consent(code: str):
        service = altinn()
        lang = language(request.args.get("languageCode"))
        t = texts_for(lang)
        session = L.current_session(service)
        if session is None:
            return redirect(CONSENTS_PATH, code=303)
        annotate(subject=session.pid, authorization_code=code[:MAX_CODE_LENGTH])
        if not L.csrf_ok(session, request.form.get("csrf")):
            annotate(error="csrf")
            return message(lang, 403, t["csrf_title"], t["csrf"], session=session)
        record = find_request(service, code)
        if record is None or record["status"] != C.ACCEPTED:
            annotate(error="unknown_consent")
            return message(lang, 404, t["withdraw_failed_title"], t["consent_not_found"], session=session)
        if record.get("offered_by") != session.pid:
            annotate(error="not_owner")
            return message(lang, 403, t["not_yours_title"], t["not_yours"], session=session)
        try:
            service.consents.withdraw(code, by=session.pid)
        except ConsentError as exc:
            annotate(error=exc.reason)
            state = t["state"].get(service.consents.state(record) or "", "")
            text = t["cannot_one_time"] if exc.reason == "one_time" else t["not_active"].format(state=state)
            return message(lang, 409, t["withdraw_failed_title"], text, session=session)
        args = {"withdrawn": code, **({"languageCode": "en"} if lang == "en" else {})}
        return redirect(f"{CONSENTS_PATH}?{urlencode(args)}", code=303)


def login_failed(lang: str, exc: L.LoginFailed) -> Response:
    t = texts_for(lang)
    if exc.kind == "idporten_error" and exc.status == 403:
        return message(lang, 403, t["login_cancelled_title"], t["login_cancelled"], details=exc.detail)
    text = {
        "no_state": t["login_unknown_state"],
        "unknown_state": t["login_unknown_state"],
        "other_browser": t["login_other_browser"],
        "idporten_error": t["login_idporten_error"],
        "idporten_unavailable": t["login_unavailable"],
    }.get(exc.kind, t["login_refused"])
    return message(lang, exc.status, t["login_failed_title"], text, details=exc.detail)

"""The reference insurer's web face: the citizen's claim pages, the consent callback, and the two
endpoints the conformance suite uses (the fetch hook and a status read-out)."""

from __future__ import annotations

import hmac
import logging
from pathlib import Path

from flask import Flask, Response, jsonify, redirect, request

from . import pages
from .config import RESET_KEY_HEADER, InsurerConfig
from .insurer import OK, UNAVAILABLE, ClaimError, ReferenceInsurer, public_claim
from .language import remember_choice
from .store import CONSENTED, Store

log = logging.getLogger("reference_insurer")

EXTENSION = "reference_insurer"
MAX_NAME = 100


def create_app(
    config: InsurerConfig | dict | str | Path,
    *,
    insurer_class: type[ReferenceInsurer] = ReferenceInsurer,
    store: Store | None = None,
    **overrides,
) -> Flask:
    """The reference insurer as a Flask app.

    ``config``: an :class:`InsurerConfig`, the tables of ``insurer.toml`` as a dict, or the path of
    that file; ``overrides`` are its optional settings (``public_url``, ``state_file``, ``ca_bundle``,
    ``timeout``, ``trust_env``, ``retry``, ``fetch_retry``, NAV paths; with a dict also ``base_dir``, what
    relative file names are relative to). ``insurer_class``: a subclass with a hook
    overridden, for a deliberately broken variant. The insurer is ``app.extensions["reference_insurer"]``;
    call its ``close()`` when done.
    """
    if isinstance(config, (str, Path)):
        config = InsurerConfig.load(config, **overrides)
    elif isinstance(config, dict):
        config = InsurerConfig.from_mapping(config, **overrides)
    elif overrides:
        raise TypeError("overrides go with a dict or a file, not with an InsurerConfig")
    insurer = insurer_class(config, store=store)
    app = Flask("reference_insurer")
    app.config.update(MAX_CONTENT_LENGTH=64 * 1024)
    app.json.sort_keys = False
    app.extensions[EXTENSION] = insurer
    app.after_request(remember_choice)  # ?lang= on a page: the citizen's choice, for the sandbox's pages too
    name = config.name

    def insurer_of() -> ReferenceInsurer:
        return app.extensions[EXTENSION]

    def wants_json() -> bool:
        return request.path.startswith("/conformance/") or request.path == "/health"

    def error(status: int, heading: str, message: str, details=()):
        if wants_json():
            return jsonify({"status": "error", "error": heading, "detail": message}), status
        return pages.message_page(name, heading, message, ok=False, details=details), status

    def person_from_query() -> tuple[str | None, str | None]:
        """(pid, problem)."""
        pid = (request.args.get("pid") or "").strip()
        if not pid:
            return None, pages.texts()["no_pid"]
        problem = fnr_problem(pid)
        return (None, pages.texts()[problem]) if problem else (pid, None)

    @app.get("/")
    def index():
        claims = [public_claim(c) for c in insurer_of().store.all()]
        return pages.page(name, pages.texts()["index_title"], pages.INDEX, claims=claims)

    @app.get("/favicon.ico")
    def favicon():
        return Response(pages.FAVICON, mimetype="image/svg+xml", headers={"Cache-Control": "max-age=86400"})

    @app.get("/health")
    def health():
        return jsonify({"status": "ok", "service": "reference-insurer", "name": name, "org": config.org})

    @app.get("/claims/start")
    def start_claim():
        t = pages.texts()
        pid, problem = person_from_query()
        if problem:
            return error(400, t["bad_pid"], problem)
        first_name = (request.args.get("first_name") or "").strip()[:MAX_NAME]
        last_name = (request.args.get("last_name") or "").strip()[:MAX_NAME]
        if not last_name:
            return error(400, t["no_last_name"], t["no_last_name_text"])
        try:
            claim = insurer_of().start_claim(pid, first_name, last_name)
        except ClaimError as exc:
            return error(exc.status, t["not_started"], str(exc), exc.details)
        return redirect(claim["gui_url"], 302)

    @app.get("/claims/callback")
    def callback():
        params = {
            key: request.args.get(key)
            for key in ("Status", "AuthorizationCode", "FailedAuthorizationCode", "ErrorMessage")
        }
        outcome = insurer_of().handle_callback(request.args.get("claim"), params)
        claim_id = outcome.claim["id"] if outcome.claim and outcome.kind != "refused" else None
        t = pages.texts()
        if outcome.kind == "refused":
            return error(400, t["bad_callback"], outcome.message)
        consented = outcome.kind == "consented"
        heading, text = (t["thanks"], t["thanks_text"]) if consented else (t["declined"], t["declined_text"])
        return pages.message_page(name, heading, text, ok=consented, claim_id=claim_id), outcome.status

    @app.get("/claims/<claim_id>")
    def show_claim(claim_id: str):
        claim = insurer_of().store.get(claim_id)
        if claim is None:
            t = pages.texts()
            return error(404, t["unknown_claim"], t["unknown_claim_text"])
        waiting = claim["state"] == CONSENTED and claim.get("retrieval") in ("idle", "running")
        return pages.claim_page(name, claim, public_claim(claim), waiting=waiting)

    @app.post("/conformance/fetch")
    def conformance_fetch():
        pid, problem = person_from_query()
        if problem:
            return error(400, "invalid_request", problem)
        result = insurer_of().fetch(pid)
        return jsonify(result.as_json()), 503 if result.status == UNAVAILABLE else 200

    @app.get("/conformance/status")
    def conformance_status():
        pid, problem = person_from_query()
        if problem:
            return error(400, "invalid_request", problem)
        return jsonify(insurer_of().status(pid))

    @app.post("/conformance/reset")
    def conformance_reset():
        """Forget every claim (pending ones too): the sandbox's "reset for the next group". Only for
        whoever started us with ``reset_key`` and sends it back; off (404) without one."""
        key = insurer_of().config.reset_key
        if not key:
            return error(404, "Not Found", "this reference insurer was started without a reset key")
        sent = request.headers.get(RESET_KEY_HEADER, "")
        if not hmac.compare_digest(sent.encode(), key.encode()):
            return error(403, "forbidden", f"{RESET_KEY_HEADER} is missing or wrong")
        return jsonify({"status": "ok", "claims_forgotten": insurer_of().reset()})

    def http_error(exc):
        return error(
            getattr(exc, "code", None) or 400,
            getattr(exc, "name", "Bad Request"),
            getattr(exc, "description", "") or "",
        )

    for code in (400, 404, 405, 413):  # Flask's own refusals (werkzeug's HTTP errors), as pages or JSON
        app.register_error_handler(code, http_error)

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        if isinstance(getattr(exc, "code", None), int) and hasattr(exc, "get_response"):  # an HTTP error
            return http_error(exc)
        log.exception("unexpected error on %s %s", request.method, request.path)
        return error(500, pages.texts()["broken"], pages.texts()["broken_text"])

    return app


__all__ = ["EXTENSION", "OK", "create_app"]


def fnr_problem(pid: str) -> str | None:
    """Why ``pid`` is not a fødselsnummer (11 digits with both control digits right), or None: the
    key of the page's text that says so."""
    if len(pid) != 11 or not pid.isdigit():
        return "pid_length"
    digits = [int(c) for c in pid]
    k1 = 11 - sum(d * w for d, w in zip(digits, (3, 7, 6, 1, 8, 9, 4, 5, 2), strict=False)) % 11
    k2 = 11 - sum(d * w for d, w in zip(digits, (5, 4, 3, 2, 7, 6, 5, 4, 3, 2), strict=False)) % 11
    k1, k2 = (0 if k == 11 else k for k in (k1, k2))
    if k1 == 10 or k2 == 10 or (k1, k2) != (digits[9], digits[10]):
        return "pid_digits"
    return None

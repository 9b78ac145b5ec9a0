"""What every sandbox's Altinn knows, and its admin fixtures under ``/_sandbox``.

Seeded: the sandbox's test persons (Altinn's stand-in for the population register, against which
``OfferedByName`` is checked) and the service owners NAV and Skatteetaten with their API keys.

Fixtures: consumers (the insurer's API key and redirect domains; ``register-insurer`` adds them),
persons, service owners, and consents: create an accepted consent directly (fast tests), list
and show them with their state and use log, withdraw, expire.
"""

from __future__ import annotations

import secrets
from urllib.parse import urlsplit

from flask import Blueprint

from dsop_sandbox.mocks.common import validation as check
from dsop_sandbox.mocks.common.admin import admin_error, admin_json, page_request, paged
from dsop_sandbox.mocks.common.admin import fixtures_blueprint as service_fixtures
from dsop_sandbox.mocks.common.clock import ClockError, Duration, isoformat, parse_time
from dsop_sandbox.mocks.common.errors import json_response
from dsop_sandbox.mocks.common.identifiers import fnr_problem
from dsop_sandbox.mocks.common.records import record_routes
from dsop_sandbox.people.roster import TEST_PERSONS

from . import consents as C
from .consents import ConsentError
from .request_validation import RequestProblems, _Checker
from .runtime import SERVICE, Altinn, altinn
from .services import DEFAULT_SERVICE, SERVICES

DEFAULT_EDITION = 2


def split_name(name: str) -> tuple[str, str]:
    parts = name.split()
    return " ".join(parts[:-1]), parts[-1] if parts else ""


def person_record(pid: str, name: str, last_name: str | None = None) -> dict:
    first, last = split_name(name)
    return {"pid": pid, "name": name, "first_name": first, "last_name": last_name or last}


def seed(service: Altinn) -> None:
    service.resources.seed()
    for person in TEST_PERSONS:
        if service.persons.get(person["pid"]) is None:
            service.persons.put(person["pid"], person_record(person["pid"], person["name"]))
    owners = {}
    for item in SERVICES.values():
        owner = owners.setdefault(item.owner_org, {"org": item.owner_org, "name": item.owner_name, "services": []})
        owner["services"].append(item.code)
    for org, owner in owners.items():
        existing = service.service_owners.get(org)
        if existing is None or existing.get("services") != owner["services"]:
            api_key = existing["api_key"] if existing else secrets.token_hex(16)
            service.service_owners.put(org, {**owner, "api_key": api_key})


def with_state(service: Altinn, record: dict) -> dict:
    return {**record, "consent_state": service.consents.state(record), "uses": service.consents.uses(record["code"])}


def _consent(code: str) -> dict:
    record = altinn().consents.get(code)
    if record is None:
        raise admin_error(404, "unknown_consent", f"no consent request {code}")
    return record


def fixtures_blueprint() -> Blueprint:
    bp = service_fixtures(SERVICE)

    @bp.post("/consumers")
    def register_consumer():
        """``{"org", "name", "redirect_urls": [...]}``: the insurer as a consent consumer. Its
        allowed redirect domains are the hosts of ``redirect_urls`` (plus ``redirect_domains``)."""
        body = admin_json()
        org = check.org_number(body.get("org"))
        urls = [check.absolute_url(url, "redirect_urls") for url in check.string_list(body, "redirect_urls")]
        domains = check.string_list(body, "redirect_domains") + [urlsplit(url).hostname for url in urls]
        record = {
            "org": org,
            "name": check.text(body, "name"),
            "api_key": secrets.token_hex(16),
            "redirect_urls": urls,
            "redirect_domains": list(dict.fromkeys(domains)),
        }
        return json_response(altinn().consumers.put(org, record), 201)

    record_routes(bp, "/consumers", lambda: altinn().consumers, listing="consumers", missing="unknown_consumer")

    @bp.post("/persons")
    def add_persons():
        """``{"persons": [{"pid", "name", "last_name"?}, ...]}`` (or one person): people Altinn's
        register knows, so that consent requests may name them."""
        added = []
        for person in check.persons(admin_json()):
            name = check.text(person, "name")
            last = check.text(person, "last_name", default=split_name(name)[1] or name)
            added.append(altinn().persons.put(person["pid"], person_record(person["pid"], name, last)))
        return json_response({"persons": added}, 201)

    record_routes(bp, "/persons", lambda: altinn().persons, listing="persons", missing="unknown_person")
    record_routes(
        bp,
        "/service-owners",
        lambda: altinn().service_owners,
        listing="service_owners",
        missing="unknown_service_owner",
    )

    @bp.post("/consents")
    def create_consent():
        """An accepted consent, as if the citizen had said yes just now::

            {"covered_by": "310000019", "offered_by": "15838512329",
             "services": [{"code": "5252", "edition": 2, "metadata": {"fraOgMed": "01.01.2024", ...}}],
             "valid_for": "P3Y" | "valid_to": "2029-01-01T00:00:00Z", "one_time": false,
             "handled_by": null, "redirect_url": null}

        Without ``services``: NAV's 5252 edition 2 covering the last three years."""
        service = altinn()
        body = admin_json()
        covered_by = check.org_number(body.get("covered_by"), "covered_by")
        consumer = service.consumer(covered_by)
        if consumer is None:
            raise admin_error(400, "unknown_consumer", f"{covered_by} is not a registered consumer")
        offered_by = body.get("offered_by")
        problem = fnr_problem(offered_by)
        if problem:
            raise admin_error(400, "invalid_pid", f"offered_by {offered_by!r}: {problem}")
        now = service.clock.calendar()
        try:
            if "valid_to" in body:
                valid_to = parse_time(body["valid_to"])
            else:
                valid_to = Duration.parse(body.get("valid_for", "P3Y")).added_to(now)
        except ClockError as exc:
            raise admin_error(400, "invalid_request", str(exc)) from exc
        if valid_to <= now:
            raise admin_error(400, "invalid_request", "valid_to must be after the sandbox calendar's now")
        resources = _resources(service, body.get("services"), now, valid_to)
        handled_by = body.get("handled_by")
        if handled_by is not None:
            check.org_number(handled_by, "handled_by")
        one_time = body.get("one_time", False)
        if not isinstance(one_time, bool):
            raise admin_error(400, "invalid_request", "one_time must be true or false")
        redirect_url = body.get("redirect_url") or (consumer["redirect_urls"] or [service.base_url + "/"])[0]
        person = service.person(offered_by) or {}
        stamp = isoformat(now)
        record = service.consents.create(
            {
                "covered_by": covered_by,
                "covered_by_name": consumer["name"],
                "offered_by": offered_by,
                "offered_by_name": person.get("last_name"),
                "handled_by": handled_by,
                "required_delegator": None,
                "required_delegator_name": None,
                "valid_to": isoformat(valid_to),
                "redirect_url": redirect_url,
                "resources": resources,
                "request_message": None,
                "portal_view_mode": "Hide",
                "one_time": one_time,
                "origin": "fixture",
                "status": C.ACCEPTED,
                "opened": stamp,
                "answered": stamp,
                "consent": {"delegated": stamp, "delegated_by": offered_by, "revoked": None, "used": None},
            }
        )
        return json_response({"AuthorizationCode": record["code"], **with_state(service, record)}, 201)

    @bp.get("/consents")
    def list_consents():
        """Every consent request, paged (``?since=&limit=``, ``next`` in the answer)."""
        service = altinn()
        page = page_request()
        rows = service.consents.page(page.since, page.limit)
        return paged("consents", [(cursor, with_state(service, record)) for cursor, record in rows], page)

    @bp.get("/consents/<code>")
    def show_consent(code: str):
        return json_response(with_state(altinn(), _consent(code)))

    @bp.post("/consents/<code>/withdraw")
    def withdraw_consent(code: str):
        service = altinn()
        _consent(code)
        try:
            record = service.consents.withdraw(code, by="sandbox-admin", allow_one_time=True)
        except ConsentError as exc:
            raise admin_error(409, exc.reason, str(exc)) from exc
        return json_response(with_state(service, record))

    @bp.post("/consents/<code>/expire")
    def expire_consent(code: str):
        service = altinn()
        _consent(code)
        try:
            record = service.consents.expire(code)
        except ConsentError as exc:
            raise admin_error(409, exc.reason, str(exc)) from exc
        return json_response(with_state(service, record))

    return bp


def _resources(service: Altinn, raw, now, valid_to) -> list[dict]:
    """The asked services; by default NAV's, for data from three years back until ``valid_to``."""
    if raw is None:
        start = Duration.parse("-P3Y").added_to(now).date()
        raw = [
            {
                "code": DEFAULT_SERVICE,
                "edition": DEFAULT_EDITION,
                "metadata": {"fraOgMed": start.strftime("%d.%m.%Y"), "tilOgMed": valid_to.strftime("%d.%m.%Y")},
            }
        ]
    if not isinstance(raw, list) or not raw or not all(isinstance(item, dict) for item in raw):
        raise admin_error(400, "invalid_request", "services must be a non-empty array of {code, edition, metadata}")
    checker = _Checker(service)
    resources = [
        checker.resource(item.get("code"), item.get("edition"), item.get("metadata"), f"services[{i}]")
        for i, item in enumerate(raw)
    ]
    try:
        checker.finish()
    except RequestProblems as exc:
        raise admin_error(400, "invalid_services", str(exc)) from exc
    return resources

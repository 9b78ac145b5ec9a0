"""Issue 18's "must show" for worker processes, against a real ``up --workers 2``: any worker
answers any request alike, because what a request can see lives in the shared stores.

* a Maskinporten grant (its ``jti``) used through one worker is refused through the other, with
  Maskinporten's real error;
* an ID-porten login begun through one worker is finished through the other, and its code is
  redeemed through the first; an Altinn consent given through one worker gives its consent token
  through the other, and NAV answers with it;
* ``kill -9`` of a worker: the other answers at once, nothing acknowledged before is lost
  (registration, consent, disclosure), and the supervisor starts a new worker in its place;
* SIGTERM to the supervisor ends it and every worker (last: it ends the module's process tree).
"""

from __future__ import annotations

import base64
import os
import signal
import time
from datetime import timedelta
from types import SimpleNamespace
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

import jwt
import pytest

from dsop_sandbox.mocks.altinn.norwegian_time import OSLO
from tests.citizen import Citizen
from tests.conftest import REDIRECT_URI
from tests.idporten.support import HIGH, Page, new_verifier, s256
from tests.sandbox.test_cli import refuses_connections
from tests.workers.conftest import MARKER, WORKERS, pid_of, worker_of

pytestmark = pytest.mark.slow

KARI = "15838512329"
UFORE_SCOPE = "nav:helse/v1/uforeopplysninger"
WRITE = "altinn:consentrequests.write"


def test_every_answer_names_its_worker_and_both_workers_serve_every_service(tree):
    pids = tree.worker_pids()
    assert len(pids) == WORKERS
    for service in tree.urls:
        markers = tree.markers(service)
        assert len(markers) == WORKERS, f"{service}: fresh connections reached only {markers}"
        assert sorted(pid_of(m) for m in markers) == pids
        assert {MARKER.match(m).group(2) for m in markers} == {str(WORKERS)}
    # protocol answers carry it too, errors included (here: Maskinporten refusing an empty form)
    assert worker_of(tree.http.post(tree.urls["maskinporten"] + "/token", data={}, timeout=10))


def test_a_grant_used_through_one_worker_is_refused_through_the_other(tree, insurer):
    first = tree.session("maskinporten")
    other = tree.session("maskinporten", not_worker=first.worker)
    form = insurer.token_form(UFORE_SCOPE)
    token = tree.urls["maskinporten"] + "/token"
    used = first.request("POST", token, data=form)
    assert used.status_code == 200, used.text
    replayed = other.request("POST", token, data=form)
    assert replayed.status_code == 400, replayed.text
    assert replayed.json()["error"] == "invalid_grant"
    assert "Grant is used before" in replayed.json()["error_description"]
    # and the other way round: a grant first used through the other worker
    form = insurer.token_form(UFORE_SCOPE)
    assert other.request("POST", token, data=form).status_code == 200
    assert first.request("POST", token, data=form).json()["error"] == "invalid_grant"


def test_a_login_begun_through_one_worker_ends_through_the_other_and_its_code_is_redeemed(tree, insurer):
    client = insurer.facts["idporten"]
    idporten = tree.urls["idporten"]
    browser_a = tree.session("idporten")
    browser_b = tree.session("idporten", not_worker=browser_a.worker)
    verifier = new_verifier()
    params = {
        "response_type": "code",
        "client_id": client["client_id"],
        "redirect_uri": REDIRECT_URI,
        "scope": "openid profile",
        "state": "st-workers",
        "nonce": "n-workers",
        "acr_values": HIGH,
        "code_challenge": s256(verifier),
        "code_challenge_method": "S256",
    }
    sent = browser_a.request("GET", idporten + "/authorize?" + urlencode(params))
    assert sent.status_code == 302 and "/login?" in sent.headers["Location"], sent.text
    page = browser_a.request("GET", urljoin(idporten, sent.headers["Location"]))
    assert page.status_code == 200
    hidden = {i["name"]: i["value"] for i in Page(page.text).form["inputs"] if i.get("type") == "hidden"}
    form = {**hidden, "pid": KARI, "method": "bankid", "action": "login"}
    browser_b.http.cookies.update(browser_a.http.cookies)  # one browser, two connections
    back = browser_b.request("POST", idporten + "/login", data=form)
    assert back.status_code == 302 and back.headers["Location"].startswith(REDIRECT_URI + "?"), back.text
    callback = {k: v[0] for k, v in parse_qs(urlsplit(back.headers["Location"]).query).items()}
    assert callback["state"] == "st-workers"
    basic = base64.b64encode(f"{client['client_id']}:{client['client_secret']}".encode()).decode()
    redemption = {
        "data": {
            "grant_type": "authorization_code",
            "code": callback["code"],
            "redirect_uri": REDIRECT_URI,
            "code_verifier": verifier,
        },
        "headers": {"Authorization": f"Basic {basic}"},
    }
    redeemed = browser_a.request("POST", idporten + "/token", **redemption)
    assert redeemed.status_code == 200, redeemed.text
    claims = jwt.decode(redeemed.json()["id_token"], options={"verify_signature": False})
    assert (claims["pid"], claims["nonce"], claims["acr"]) == (KARI, "n-workers", HIGH)
    again = browser_b.request("POST", idporten + "/token", **redemption)  # once, whichever worker is asked
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant", again.text


def test_a_consent_given_through_one_worker_is_used_through_the_other(tree, insurer):
    altinn = tree.urls["altinn"]
    api_key = insurer.facts["altinn"]["api_key"]
    token = tree.http.post(tree.urls["maskinporten"] + "/token", data=insurer.token_form(WRITE), timeout=10)
    valid_to = calendar_now(tree) + timedelta(days=365)
    asked = tree.http.post(
        altinn + "/api/consentRequests",
        timeout=10,
        json={
            "CoveredBy": insurer.org,
            "OfferedBy": KARI,
            "OfferedByName": "Nordmann",
            "ValidTo": valid_to.astimezone(OSLO).strftime("%Y-%m-%dT%H:%M:%S"),
            "RedirectUrl": REDIRECT_URI + "?claim=4711",
            "RequestResources": [
                {
                    "ServiceCode": "5252",
                    "ServiceEditionCode": 2,
                    "Metadata": {"fraOgMed": "01.01.2024", "tilOgMed": "31.12.2027"},
                }
            ],
        },
        headers={
            "ApiKey": api_key,
            "Accept": "application/hal+json",
            "Authorization": f"Bearer {token.json()['access_token']}",
        },
    )
    assert asked.status_code == 201, asked.text
    citizen = Citizen(SimpleNamespace(sandbox=SimpleNamespace(url=tree.urls.__getitem__)), KARI)
    gui = asked.json()["_links"]["gui"]["href"]
    page = Page(citizen.get(gui).text)
    csrf = next(i["value"] for i in page.forms[0]["inputs"] if i.get("name") == "csrf")
    accepted = citizen.post(gui, {"csrf": csrf, "answer": "accept"})
    assert accepted.status_code == 302 and accepted.headers["Location"].startswith(REDIRECT_URI), accepted.text
    code = parse_qs(urlsplit(accepted.headers["Location"]).query)["AuthorizationCode"][0]

    elsewhere = tree.session("altinn", not_worker=worker_of(accepted))
    answer = elsewhere.request("GET", f"{altinn}/api/authorization/token/{code}", headers={"ApiKey": api_key})
    assert answer.status_code == 200, answer.text
    claims = jwt.decode(answer.json(), options={"verify_signature": False})
    assert (claims["AuthorizationCode"], claims["OfferedBy"], claims["CoveredBy"]) == (code, KARI, insurer.org)
    assert ufore(tree, insurer, answer.json()).status_code == 200


def test_the_calendar_and_a_fault_set_through_one_worker_hold_on_the_other(tree, insurer):
    first = tree.session("maskinporten")
    other = tree.session("maskinporten", not_worker=first.worker)
    admin = {"headers": tree.admin_headers}
    base = tree.urls["maskinporten"] + "/_sandbox"
    moved = first.request("POST", base + "/clock", json={"advance": "P3D"}, **admin)
    assert moved.status_code == 200, moved.text
    shown = other.request("GET", base + "/clock", **admin).json()
    assert shown["offset_seconds"] == 3 * 86400, shown

    armed = first.request("POST", base + "/faults", json={"operation": "token", "status": 503, "count": 2}, **admin)
    assert armed.status_code == 201, armed.text
    token = tree.urls["maskinporten"] + "/token"
    refused = [other.request("POST", token, data=insurer.token_form(UFORE_SCOPE)) for _ in range(2)]
    assert [answer.status_code for answer in refused] == [503, 503], refused[0].text
    assert refused[0].json()["error"] == "temporarily_unavailable" or "error" in refused[0].json()
    again = first.request("POST", token, data=insurer.token_form(UFORE_SCOPE))
    assert again.status_code == 200, "a fault armed for 2 calls fails 2 calls in all, on whichever worker"


def test_a_key_rotated_through_one_worker_signs_and_is_published_through_the_other(tree, insurer):
    first = tree.session("maskinporten")
    other = tree.session("maskinporten", not_worker=first.worker)
    base = tree.urls["maskinporten"]
    rotated = first.request("POST", base + "/_sandbox/keys/rotate", headers=tree.admin_headers)
    assert rotated.status_code == 200, rotated.text
    kid = rotated.json()["signing_kid"]
    assert kid in [key["kid"] for key in other.request("GET", base + "/jwk").json()["keys"]]
    token = other.request("POST", base + "/token", data=insurer.token_form(UFORE_SCOPE))
    assert token.status_code == 200, token.text
    assert jwt.get_unverified_header(token.json()["access_token"])["kid"] == kid


def test_kill_9_of_a_worker_loses_nothing_acknowledged_and_a_new_worker_takes_its_place(tree, insurer):
    before = tree.worker_pids()
    assert len(before) == WORKERS
    made = tree.admin("altinn", "POST", "/consents", json={"covered_by": insurer.org, "offered_by": KARI})
    assert made.status_code == 201, made.text
    code = made.json()["AuthorizationCode"]
    consent_token = tree.http.get(
        f"{tree.urls['altinn']}/api/authorization/token/{code}",
        headers={"ApiKey": insurer.facts["altinn"]["api_key"]},
        timeout=10,
    )
    assert consent_token.status_code == 200, consent_token.text
    disclosed = ufore(tree, insurer, consent_token.json())
    assert disclosed.status_code == 200, disclosed.text
    victim = pid_of(worker_of(disclosed))  # the worker that acknowledged the disclosure

    os.kill(victim, signal.SIGKILL)
    began = time.monotonic()
    tree.http.close()  # its kept-alive connections may be the dead worker's: a client reconnects
    for service, url in tree.urls.items():  # the other worker answers every service at once
        answer = tree.session(service).request("GET", url + "/_sandbox/health")
        assert answer.status_code == 200 and pid_of(worker_of(answer)) != victim
    assert time.monotonic() - began < 5, "the surviving worker did not answer at once"

    # what was acknowledged before the kill is all still there, whichever worker is asked
    shown = tree.admin("altinn", "GET", f"/consents/{code}")
    assert shown.status_code == 200 and shown.json()["status"] == "Accepted", shown.text
    record = tree.admin("nav", "GET", "/disclosures", params={"person": KARI}).json()["disclosures"]
    assert len(record) == 1 and record[0]["authorizationCode"] == code, record
    assert ufore(tree, insurer, consent_token.json()).status_code == 200  # the registration, the consent

    respawned = tree.wait_for(
        lambda: (pids := tree.worker_pids()) and len(pids) == WORKERS and victim not in pids and pids,
        what="a new worker in the killed one's place",
    )
    newcomer = (set(respawned) - set(before)).pop()
    assert tree.wait_for(
        lambda: any(pid_of(m) == newcomer for m in tree.markers("nav", 10)), what="the new worker answering"
    )


def test_sigterm_ends_the_supervisor_and_every_worker(tree):
    """Last in the module: it ends the module's process tree."""
    workers = tree.worker_pids()
    assert len(workers) == WORKERS
    assert tree.up.stop(signal.SIGTERM) == 0
    assert "stopped" in tree.up.rest
    assert not [pid for pid in workers if os.path.exists(f"/proc/{pid}")], "a worker outlived the supervisor"
    assert all(refuses_connections(url) for url in tree.urls.values())


# -- helpers ---------------------------------------------------------------------------------------
def calendar_now(tree):
    from datetime import datetime

    shown = tree.admin("altinn", "GET", "/clock").json()
    return datetime.fromisoformat(shown["calendar_time"].replace("Z", "+00:00"))


def ufore(tree, insurer, consent_token: str):
    """NAV's uføre API for Kari, with a fresh Maskinporten token and ``consent_token``."""
    token = tree.http.post(tree.urls["maskinporten"] + "/token", data=insurer.token_form(UFORE_SCOPE), timeout=10)
    assert token.status_code == 200, token.text
    return tree.http.get(
        tree.urls["nav"] + "/dsop-ufo/uforeopplysninger",
        headers={
            "Authorization": f"Bearer {token.json()['access_token']}",
            "fnr": KARI,
            "NAV-Samtykke-Token": consent_token,
        },
        timeout=15,
    )

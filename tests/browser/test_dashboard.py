"""The workshop dashboard in a real headless Chromium, with the reference insurer: the walkthrough
(start a claim, log in at ID-porten, consent at Altinn, come back, watch the sequence diagram fill
in, open NAV innsyn, withdraw in «Mine samtykker», see the next fetch refused, decline, a refused TLS
handshake, jump three years) asserting that the diagram shows every hop of the flow, one screenshot
per step (artifacts/screenshots/dashboard-*.png); the diagram fed events out of order; the controls."""

from __future__ import annotations

import json
import re
from urllib.parse import urlsplit

import pytest
import requests

from dsop_sandbox import launcher
from dsop_sandbox.reference_insurer import ReferenceInsurerServer
from tests.browser.conftest import record_requests, shoot
from tests.conftest import free_port_settings

KARI = {"pid": "15838512329", "name": "Kari Nordmann"}
LANES = ("citizen", "insurer", "idporten", "maskinporten", "altinn", "nav")
DSOP = "/person/personopplysninger/dsop"


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    settings = free_port_settings(tmp_path_factory.mktemp("dashboard-browser") / "state")
    # the walkthrough draws Altinn 2's hops (consent token, loguse): the Altinn 2 reference insurer
    with launcher.Sandbox(settings) as sandbox, ReferenceInsurerServer(sandbox, port=0, consent="altinn2") as insurer:
        yield sandbox, insurer


def log_in_if_asked(page, person: dict = KARI) -> None:
    if page.get_by_role("heading", level=1).inner_text() == "Logg inn med ID-porten":
        page.get_by_label(person["name"], exact=False).check()
        page.get_by_role("radio", name="BankID").check()
        page.get_by_role("button", name="Logg inn").click()


def arrows(page, **match) -> int:
    selector = ".event" + "".join(f'[data-{key}="{value}"]' for key, value in match.items())
    return page.locator(selector).count()


def wait_for_arrows(page, selector: str, at_least: int = 1) -> None:
    page.wait_for_function(
        "([s, n]) => document.querySelectorAll(s).length >= n", arg=[selector, at_least], timeout=15_000
    )


def test_the_dashboard_controls(page, world, artifacts):
    sandbox, insurer = world
    control = sandbox.url("control")
    page.goto(control + "/")
    assert page.get_by_role("heading", level=1).inner_text() == "Workshop dashboard"
    assert page.locator("#link-insurer").get_attribute("href") == insurer.url + "/"
    form = page.locator("#fault-form")
    form.get_by_label("Service").select_option("nav")
    form.get_by_label("Operation").fill("hentUforeopplysninger")
    form.get_by_label("Status").fill("503")
    form.get_by_role("button", name="Arm fault").click()
    page.wait_for_function("document.getElementById('fault-out').textContent.indexOf('201') === 0")
    assert "hentUforeopplysninger" in page.locator("#fault-out").inner_text()
    page.get_by_role("button", name="Clear all faults").click()
    page.wait_for_function("document.getElementById('fault-out').textContent.indexOf('200') === 0")
    page.get_by_role("button", name="Back to today").click()
    page.wait_for_function("document.getElementById('clock-out').textContent.indexOf('200') === 0")
    refused = requests.get(sandbox.url("idporten") + "/authorize", timeout=10)  # a citizen's bad request
    assert refused.status_code >= 400
    wait_for_arrows(
        page,
        '.event[data-from="citizen"][data-to="idporten"][data-operation="authorize"][data-status="400"] .arrow.refused',
    )
    assert page.locator('.event[data-operation="unknown"]').count() == 0  # no favicon noise
    timeline = page.locator("#timeline")
    at_bottom = timeline.evaluate("el => el.scrollTop + el.clientHeight >= el.scrollHeight - 48")
    assert at_bottom
    shoot(page, "dashboard-controls")


# == in a real headless Chromium ============================================================================
# The walkthrough with the reference insurer, one screenshot per step (artifacts/screenshots/
# dashboard-hops-*.png), asserting that the diagram shows every hop of the flow; and the diagram fed
# events it cannot easily get for real (a TLS refusal, hops arriving out of order, a decline).

#: Every pair of lifelines the DSOP flow draws an arrow between.
FLOW_HOPS = (
    ("citizen", "insurer"),
    ("citizen", "idporten"),
    ("citizen", "altinn"),
    ("insurer", "maskinporten"),
    ("insurer", "altinn"),
    ("insurer", "nav"),
    ("altinn", "idporten"),
    ("citizen", "nav"),
    ("nav", "idporten"),
)
RED = "rgb(195, 0, 0)"


def hop(frm: str, to: str, **match) -> str:
    return f'.event[data-from="{frm}"][data-to="{to}"]' + "".join(
        f'[data-{key}="{value}"]' for key, value in match.items()
    )


def diagram(page) -> list[dict]:
    """The rows of the diagram, top to bottom."""
    return page.evaluate("""() => Array.from(document.querySelectorAll('#events .event')).map(row => {
        const arrow = row.querySelector('.arrow');
        return {from: row.dataset.from, to: row.dataset.to, operation: row.dataset.operation, kind: row.dataset.kind,
                time: row.dataset.time, key: row.dataset.key, label: arrow.querySelector('.label').textContent,
                title: arrow.title, classes: arrow.className, hidden: row.hidden};
    })""")


def index_of(rows: list[dict], start: int = 0, **match) -> int:
    for i in range(start, len(rows)):
        if all(rows[i].get(key) == value for key, value in match.items()):
            return i
    raise AssertionError(f"no row {match} after row {start}: {[(r['from'], r['to'], r['operation']) for r in rows]}")


def shoot_in_front(page, name: str):
    """A screenshot of the tab one looks at: brought to the front first, as the presenter's dashboard or
    the citizen's tab would be. (Chromium paints a tab behind another only now and then: a screenshot of
    it waits seconds for a frame.)"""
    page.bring_to_front()
    return shoot(page, name)


def start_claim(page):
    with page.expect_popup() as popup:
        page.locator("#start-claim").click()
    citizen = popup.value
    citizen.wait_for_load_state()
    log_in_if_asked(citizen)
    citizen.wait_for_url(re.compile(r".*/ui/AccessConsent/request\?"))
    return citizen


def test_the_walkthrough_shows_every_hop(page, world, artifacts):
    walkthrough(page, *world)


def walkthrough(page, sandbox, insurer) -> None:
    control, nav, altinn = sandbox.url("control"), sandbox.url("nav"), sandbox.url("altinn")
    requested = record_requests(page)

    # 0: the walkthrough, an empty diagram with its legend
    page.goto(control + "/walkthrough")
    names = [t.strip() for t in page.locator(".lane-names span").all_inner_texts()]
    assert names == ["Citizen (browser)", "Insurer", "ID-porten", "Maskinporten", "Altinn", "NAV"]
    assert "seen through Altinn" in page.locator("#legend").inner_text()
    shoot_in_front(page, "dashboard-hops-0-walkthrough")

    # 1: start a claim: the control plane sends the browser on to the insurer and records the hop
    citizen = start_claim(page)
    wait_for_arrows(page, hop("citizen", "insurer", operation="start_claim", kind="walkthrough"))
    shoot_in_front(citizen, "dashboard-hops-1-consent-page")

    # 2: consent; Altinn sends the browser back to the insurer's callback: drawn through Altinn
    citizen.get_by_role("button", name="Ja, jeg gir samtykke").click()
    citizen.wait_for_url(re.compile(re.escape(insurer.url) + r"/claims/"))
    wait_for_arrows(page, hop("citizen", "insurer", operation="callback", kind="inferred"))
    shoot_in_front(citizen, "dashboard-hops-2-back-at-insurer")

    # 3: the insurer's background fetch: Maskinporten, Altinn's consent token, NAV's three APIs
    wait_for_arrows(page, hop("insurer", "nav"), 3)
    wait_for_arrows(page, hop("insurer", "altinn", operation="get_consent_token"))
    rows = diagram(page)
    start = index_of(rows, operation="start_claim")
    made = index_of(rows, start, **{"from": "insurer", "to": "altinn", "operation": "create_consent_request"})
    shown = index_of(rows, made, **{"from": "citizen", "to": "altinn", "operation": "consent_page"})
    login = index_of(rows, shown, **{"from": "citizen", "to": "idporten", "operation": "authorize"})
    answered = index_of(rows, login, **{"from": "citizen", "to": "altinn", "operation": "answer_consent_request"})
    back = index_of(rows, answered, operation="callback")
    assert back == answered + 1 or rows[back]["time"] == rows[answered]["time"]
    index_of(rows, back, **{"from": "insurer", "to": "altinn", "operation": "get_consent_token"})
    assert [r["time"] for r in rows] == sorted(r["time"] for r in rows)  # in time order
    callback = rows[back]
    assert "callback" in callback["label"] and "OK" in callback["label"] and "via Altinn" in callback["label"]
    assert "Seen through Altinn" in callback["title"] and insurer.url + "/claims/callback" in callback["title"]
    assert "AuthorizationCode=" not in callback["title"] and "inferred" in callback["classes"]
    assert (
        "Recorded by the control plane" in rows[start]["title"]
        and insurer.url + "/claims/start" in rows[start]["title"]
    )
    styles = {
        kind: page.locator(f'.event[data-kind="{kind}"] .arrow').first.evaluate(
            "el => getComputedStyle(el).borderTopStyle"
        )
        for kind in ("log", "inferred", "walkthrough")
    }
    assert styles == {"log": "solid", "inferred": "dashed", "walkthrough": "dotted"}, styles
    # clicking the callback shows the Altinn event it is drawn from
    page.locator(hop("citizen", "insurer", operation="callback") + " .arrow").first.click()
    event = json.loads(page.locator("#details-json").inner_text())
    assert event["service"] == "altinn" and event["details"]["redirect_to"] == insurer.url + "/claims/callback"
    assert "seen through Altinn" in page.locator("#details-title").inner_text()
    shoot_in_front(page, "dashboard-hops-3-data-fetched")
    page.locator("#details-close").click()

    # 4: NAV innsyn: the citizen at NAV, and NAV's own login backchannel to ID-porten
    citizen.goto(nav + DSOP)
    log_in_if_asked(citizen)
    citizen.wait_for_url(nav + DSOP)
    shoot_in_front(citizen, "dashboard-hops-4-innsyn")
    wait_for_arrows(page, hop("citizen", "nav"))
    wait_for_arrows(page, hop("nav", "idporten"))

    # 5: withdraw in «Mine samtykker» (the walkthrough knows the code from the events)
    code = page.locator("#withdraw-code").input_value()
    assert re.fullmatch(r"[0-9a-f-]{36}", code), code
    citizen.goto(altinn + "/ui/Profile/Consents")
    log_in_if_asked(citizen)
    citizen.locator(f"#consent-{code}").get_by_role("button", name="Trekk samtykke").click()
    citizen.wait_for_url(re.compile(r".*/ui/Profile/Consents\?withdrawn="))
    shoot_in_front(citizen, "dashboard-hops-5-withdrawn")

    # 6: fetch again: the hop to the insurer (through the control plane), then Altinn's refusal
    nav_calls = page.locator(hop("insurer", "nav")).count()
    page.locator("#fetch-again").click()
    page.wait_for_function("document.getElementById('fetch-out').textContent.length > 0")
    fetched = hop("citizen", "insurer", operation="insurer_fetch", kind="walkthrough", status="200")
    wait_for_arrows(page, fetched + " .arrow.refused")
    wait_for_arrows(page, '.event[data-to="altinn"][data-operation="get_consent_token"] .arrow.refused')
    assert page.locator(hop("insurer", "nav")).count() == nav_calls
    again = page.locator(fetched + " .arrow")
    assert "fetch again" in again.inner_text() and "consent_required" in again.inner_text()
    assert "the insurer answered 200 consent_required" in again.get_attribute("title")
    rows = diagram(page)
    asked = index_of(rows, operation="insurer_fetch")
    index_of(rows, asked, **{"from": "insurer", "to": "altinn", "operation": "get_consent_token"})
    assert page.locator('[data-operation="insurer_fetch"]').count() == 1  # one event, when the insurer answered
    shoot_in_front(page, "dashboard-hops-6-fetch-refused")

    # 6b: a new claim, declined: Altinn still sends the browser back, with Status=Failed
    citizen.close()
    citizen = start_claim(page)
    citizen.get_by_role("button", name="Nei, jeg samtykker ikke").click()
    citizen.wait_for_url(re.compile(re.escape(insurer.url) + r"/claims/callback\?.*Status=Failed"))
    declined = hop("citizen", "insurer", operation="callback", kind="inferred")
    page.wait_for_function(
        "s => Array.from(document.querySelectorAll(s)).some(r => r.textContent.indexOf('declined') >= 0)",
        arg=declined,
        timeout=15_000,
    )
    assert page.locator(hop("citizen", "insurer", operation="start_claim")).count() == 2
    shoot_in_front(citizen, "dashboard-hops-6b-declined")

    # 6c: a client refuses NAV's TLS certificate (NAV's own recording of it, as its TLS server calls it)
    sandbox.app("nav").extensions["sandbox"].handshake_refused("unknown_ca", "127.0.0.1:54321")
    tls = hop("insurer", "nav", operation="tls_handshake", kind="tls", status="0")
    wait_for_arrows(page, tls)
    arrow = page.locator(tls + " .arrow")
    assert arrow.inner_text() == "TLS refused: unknown_ca"
    assert "refused" in arrow.get_attribute("class") and "No HTTP request was made" in arrow.get_attribute("title")
    assert arrow.evaluate("el => getComputedStyle(el).borderTopStyle") == "double"
    shoot_in_front(page, "dashboard-hops-6c-tls-refused")

    # 7: three years and a day later
    page.locator("#jump-3y").click()
    page.wait_for_function("document.getElementById('clock-out').textContent.indexOf('calendar_time') >= 0")
    shoot_in_front(page, "dashboard-hops-7-three-years-later")

    # the diagram shows every hop of the flow: an arrow between every pair of lifelines it uses
    for frm, to in FLOW_HOPS:
        assert page.locator(hop(frm, to)).count() >= 1, f"no arrow {frm} -> {to}"
    for lane in LANES:
        assert page.locator(f'.event[data-from="{lane}"], .event[data-to="{lane}"]').count() >= 1, lane
    assert page.locator(hop("citizen", "insurer", operation="callback")).count() == 2
    assert page.locator('.event[data-operation^="admin"]').count() == 0
    assert "hops to the insurer" in page.locator("#counter").inner_text()
    assert {urlsplit(url).hostname for url in requested} <= {"localhost", "127.0.0.1"}


# -- the diagram fed by hand -----------------------------------------------------------------------------------
def event(id_: int, time: str, service: str, operation: str, method: str, path: str, status: int, **extra) -> dict:
    return {
        "id": id_,
        "time": f"2026-11-29T10:00:{time}Z",
        "calendar_time": f"2026-11-29T10:00:{time}Z",
        "service": service,
        "operation": operation,
        "method": method,
        "path": path,
        "status": status,
        "outcome": extra.pop("outcome", "ok" if status < 400 else "error"),
        "caller": extra.pop("caller", None),
        "subject": extra.pop("subject", None),
        "error": extra.pop("error", None),
        "trace_id": f"t{id_}",
        "details": extra.pop("details", {}),
        **extra,
    }


def own(id_: int, time: str, operation: str, status: int, **extra) -> dict:
    """An event of the control plane's own log (dated, as all of them, by when its request began)."""
    fetch = operation == "insurer_fetch"
    return event(
        id_,
        time,
        "control",
        operation,
        "POST" if fetch else "GET",
        "/_sandbox/dashboard/" + ("insurer-fetch" if fetch else "start"),
        status,
        **extra,
    )


#: What the merged timeline answers, poll after poll (then nothing). The second poll brings events that
#: happened before ones already drawn: Altinn's late one, and the walkthrough's fetch, which the control
#: plane records when the insurer has answered but dates by when it began.
POLLS = [
    [
        own(
            1,
            "00.100",
            "start_claim",
            302,
            subject=KARI["pid"],
            details={"hop": {"from": "citizen", "to": "insurer"}, "target": "http://localhost:7200/claims/start"},
        ),
        # the control plane's admin calls: counted, not drawn
        event(2, "00.200", "control", "admin.move_clock", "POST", "/_sandbox/clock", 200),
        event(
            2,
            "01.000",
            "altinn",
            "answer_consent_request",
            "POST",
            "/ui/AccessConsent/request",
            302,
            subject=KARI["pid"],
            details={
                "authorization_code": "c1",
                "answer": "accepted",
                "redirect_to": "http://localhost:7200/claims/callback",
            },
        ),
        event(
            3,
            "03.000",
            "altinn",
            "answer_consent_request",
            "POST",
            "/ui/AccessConsent/request",
            302,
            subject=KARI["pid"],
            details={
                "authorization_code": "c2",
                "answer": "rejected",
                "redirect_to": "http://localhost:7200/claims/callback",
            },
        ),
        event(
            4,
            "04.000",
            "altinn",
            "answer_consent_request",
            "POST",
            "/ui/AccessConsent/request",
            403,
            subject=KARI["pid"],
            error="csrf",
            details={"authorization_code": "c3"},
        ),
        event(
            7,
            "06.000",
            "nav",
            "tls_handshake",
            "TLS",
            "(handshake)",
            0,
            outcome="refused",
            error="unknown_ca",
            details={"peer": "127.0.0.1:54321", "certificate": "untrusted"},
        ),
        event(
            8, "06.500", "nav", "hentUforeopplysninger", "POST", "/api/uforeopplysninger", 403, error="consent_revoked"
        ),
    ],
    [
        event(1, "00.500", "altinn", "create_consent_request", "POST", "/api/consentRequests", 201),
        own(
            3,
            "05.000",
            "insurer_fetch",
            200,
            subject=KARI["pid"],
            error="consent_required",
            details={
                "hop": {"from": "citizen", "to": "insurer"},
                "target": "http://localhost:7200/conformance/fetch",
                "insurer_status": 200,
                "answer_status": "consent_required",
            },
        ),
        event(9, "05.500", "altinn", "get_consent_token", "GET", "/api/authorization/token/c1", 403, error="40300"),
        own(4, "05.800", "insurer_fetch", 400, error="invalid_request"),  # refused before any hop: no arrow
    ],
]
CURSORS = ["control:2,altinn:4,nav:8", "control:4,altinn:9,nav:8"]


def test_the_diagram_draws_each_hop_from_its_evidence_in_time_order(page, world, artifacts):
    fed_diagram(page, world[0])


def fed_diagram(page, sandbox) -> None:
    polls, asked = list(POLLS), []

    def feed(route):
        asked.append(urlsplit(route.request.url).query)
        batch = polls.pop(0) if polls else []
        cursor = CURSORS[min(len(asked), len(CURSORS)) - 1]
        body = {"events": batch, "cursor": cursor, "unavailable": []}
        route.fulfill(status=200, content_type="application/json", body=json.dumps(body))

    page.route(re.compile(r".*/_sandbox/events\?.*"), feed)
    page.goto(sandbox.url("control") + "/dashboard")
    page.wait_for_function("() => document.querySelectorAll('#events .event').length >= 11", timeout=15_000)
    rows = diagram(page)
    drawn = [(r["from"], r["to"], r["operation"], r["kind"]) for r in rows]
    assert drawn == [
        ("citizen", "insurer", "start_claim", "walkthrough"),
        ("insurer", "altinn", "create_consent_request", "log"),  # came a poll later, drawn where it belongs
        ("citizen", "altinn", "answer_consent_request", "log"),
        ("citizen", "insurer", "callback", "inferred"),
        ("citizen", "altinn", "answer_consent_request", "log"),
        ("citizen", "insurer", "callback", "inferred"),
        ("citizen", "altinn", "answer_consent_request", "log"),  # refused: no redirect, no callback
        ("citizen", "insurer", "insurer_fetch", "walkthrough"),  # came a poll later, drawn when it began
        ("insurer", "altinn", "get_consent_token", "log"),
        ("insurer", "nav", "tls_handshake", "tls"),
        ("insurer", "nav", "hentUforeopplysninger", "log"),
    ], drawn
    by = {(r["operation"], r["time"][17:23]): r for r in rows}
    accepted, declined = by[("callback", "01.000")], by[("callback", "03.000")]
    assert accepted["label"] == "callback · OK · via Altinn" and "refused" not in accepted["classes"]
    assert declined["label"] == "callback · declined · via Altinn"
    assert "Status=Failed" in declined["title"] and "http://localhost:7200/claims/callback" in declined["title"]
    start = by[("start_claim", "00.100")]
    assert start["label"] == "start claim · walkthrough" and "http://localhost:7200/claims/start" in start["title"]
    fetch = by[("insurer_fetch", "05.000")]
    assert fetch["label"] == "fetch again · 200 consent_required · walkthrough" and "refused" in fetch["classes"]

    tls, http_refusal = by[("tls_handshake", "06.000")], by[("hentUforeopplysninger", "06.500")]
    assert tls["label"] == "TLS refused: unknown_ca" and "127.0.0.1:54321" in tls["title"]
    assert "untrusted" in tls["title"] and "No HTTP request was made" in tls["title"]
    assert http_refusal["label"] == "hentUforeopplysninger · 403 consent_revoked"
    look = page.evaluate("""() => ['tls_handshake', 'hentUforeopplysninger'].map(op => {
        const arrow = document.querySelector(`[data-operation="${op}"] .arrow`), line = getComputedStyle(arrow);
        const head = getComputedStyle(arrow, '::after');
        return {style: line.borderTopStyle, color: line.borderTopColor, head: head.content};
    })""")
    assert look[0]["style"] == "double" and look[0]["color"] == RED and "✕" in look[0]["head"], look
    assert look[1]["style"] == "solid" and look[1]["color"] == RED and "✕" not in look[1]["head"], look
    counter = page.locator("#counter").inner_text()
    assert "4 hops to the insurer" in counter  # start, fetch, two callbacks
    assert "(2 admin calls hidden)" in counter  # the calendar moved, a fetch refused before any hop
    assert page.locator('[data-operation="insurer_fetch"]').count() == 1
    # the feed was asked with the cursors it gave
    assert asked[:2] == ["since=&limit=1000", "since=control%3A2%2Caltinn%3A4%2Cnav%3A8&limit=1000"]
    later = asked[2] if len(asked) > 2 else None
    if later is None:  # the next poll has not come yet: wait for it
        with page.expect_request(re.compile(r".*/_sandbox/events\?.*")) as next_poll:
            pass
        later = urlsplit(next_poll.value.url).query
    assert later == "since=control%3A4%2Caltinn%3A9%2Cnav%3A8&limit=1000"
    page.locator('[data-operation="tls_handshake"] .arrow').click()
    assert json.loads(page.locator("#details-json").inner_text())["error"] == "unknown_ca"
    shoot(page, "dashboard-hops-fed")

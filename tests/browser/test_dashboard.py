"""The workshop dashboard in a real headless Chromium, with the reference insurers of both consent
generations as ``up --with-insurer`` starts them (the walkthrough finds each from its registration).
Altinn 3: start a claim, log in at ID-porten, consent on Altinn's page, come back, watch the
Maskinporten token carrying the consent and Maskinporten's lookup at Altinn, revoke with the
walkthrough's control, see the next fetch refused by Maskinporten naming Altinn's AM-00011. Altinn 2:
the same with a consent token, NAV innsyn, withdraw in «Mine samtykker», decline, a refused TLS
handshake, jump three years. Each asserts that the diagram shows every hop of its flow, one
screenshot per step (artifacts/screenshots/dashboard-*.png); the diagram fed events out of order
(both generations); the controls."""

from __future__ import annotations

import json
import re
from urllib.parse import urlsplit

import pytest
import requests

from tests.browser.conftest import record_requests, sandbox_with_reference_insurers, shoot, wait_past_consent_tokens

KARI = {"pid": "15838512329", "name": "Kari Nordmann"}
LANES = ("citizen", "insurer", "idporten", "maskinporten", "altinn", "nav")
DSOP = "/person/personopplysninger/dsop"


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """The sandbox with its two reference insurers, the Altinn 3 one and its Altinn 2 twin."""
    with sandbox_with_reference_insurers(tmp_path_factory.mktemp("dashboard-browser") / "state") as world:
        yield world


@pytest.fixture
def fresh(world):
    """The services' logs, consents, lifetimes and calendar as new (registrations stay): the diagram
    shows this test's calls alone."""
    answer = requests.post(world[0].url("control") + "/_sandbox/reset", json={}, timeout=30)
    assert answer.status_code == 200, answer.text
    return world


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


def flash_of_a_new_row(page, sandbox) -> str:
    """The animation of the flash the next new row gets (a citizen's refused login), looked at in the page while
    the row is new: it stays so for 1.3 s."""
    page.evaluate("document.querySelectorAll('.event').forEach(row => { row.dataset.before = '1'; })")
    requests.get(sandbox.url("idporten") + "/authorize", timeout=10)
    return page.wait_for_function(
        """() => { const row = document.querySelector(".event.new:not([data-before])");
                   return row ? getComputedStyle(row, "::after").animationName : null; }"""
    ).json_value()


def test_the_dashboard_controls(page, world, artifacts):
    sandbox, insurer, twin = world
    control = sandbox.url("control")
    page.goto(control + "/")
    assert page.get_by_role("heading", level=1).inner_text() == "Oversikt for kurset"  # Norwegian by default
    assert page.locator("#link-insurer-altinn3").get_attribute("href") == insurer.url + "/"
    assert page.locator("#link-insurer-altinn2").get_attribute("href") == twin.url + "/"
    form = page.locator("#fault-form")
    form.get_by_label("Tjeneste").select_option("nav")
    form.get_by_label("Operasjon").fill("hentUforeopplysninger")
    form.get_by_label("Status").fill("503")
    form.get_by_role("button", name="Sett opp feil").click()
    page.wait_for_function("document.getElementById('fault-out').textContent.indexOf('201') === 0")
    assert "hentUforeopplysninger" in page.locator("#fault-out").inner_text()
    page.get_by_role("button", name="Fjern alle feil").click()
    page.wait_for_function("document.getElementById('fault-out').textContent.indexOf('200') === 0")
    page.get_by_role("button", name="Tilbake til i dag").click()
    page.wait_for_function("document.getElementById('clock-out').textContent.indexOf('200') === 0")
    refused = requests.get(sandbox.url("idporten") + "/authorize", timeout=10)  # a citizen's bad request
    assert refused.status_code >= 400
    wait_for_arrows(
        page,
        '.event[data-from="citizen"][data-to="idporten"][data-operation="authorize"][data-status="400"]'
        " .arrow.answer.refused",
    )
    assert page.locator('.event[data-operation="unknown"]').count() == 0  # no favicon noise
    # a new row flashes, but not for a citizen whose system asks for less motion
    assert flash_of_a_new_row(page, sandbox) == "flash"
    page.emulate_media(reduced_motion="reduce")
    assert flash_of_a_new_row(page, sandbox) == "none"
    page.emulate_media(reduced_motion="no-preference")
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
        const arrow = row.querySelector('.arrow'), answer = row.querySelector('.arrow.answer');
        return {from: row.dataset.from, to: row.dataset.to, operation: row.dataset.operation, kind: row.dataset.kind,
                time: row.dataset.time, key: row.dataset.key, label: arrow.querySelector('.label').textContent,
                answer: answer ? answer.querySelector('.label').textContent : null,
                answer_classes: answer ? answer.className : null,
                consent: row.dataset.consent,
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


#: Where Altinn asks the citizen for consent, by generation.
CONSENT_PAGES = {"altinn2": r".*/ui/AccessConsent/request\?", "altinn3": r".*/accessmanagement/ui/consent/request\?id="}


def start_claim(page, consent: str = "altinn2"):
    with page.expect_popup() as popup:
        page.locator("#start-claim").click()
    citizen = popup.value
    citizen.wait_for_load_state()
    log_in_if_asked(citizen)
    citizen.wait_for_url(re.compile(CONSENT_PAGES[consent]))
    return citizen


def test_the_altinn2_walkthrough_shows_every_hop(page, fresh, artifacts):
    sandbox, _, twin = fresh
    walkthrough(page, sandbox, twin)


def walkthrough(page, sandbox, insurer) -> None:
    control, nav, altinn = sandbox.url("control"), sandbox.url("nav"), sandbox.url("altinn")
    requested = record_requests(page)

    # 0: the walkthrough, an empty diagram with its legend
    page.goto(control + "/walkthrough?consent=altinn2")
    names = [t.strip().replace("\xad", "") for t in page.locator(".lane-names span").all_inner_texts()]
    assert names == ["Sandkasse", "Innbygger", "Forsikring", "ID-porten", "Maskinporten", "Altinn", "NAV"]
    assert "sett gjennom Altinns videresending" in page.locator("#legend").text_content()
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
    assert callback["label"] == "tilbake til forsikringen · Status=OK · via Altinn"
    assert "Sett gjennom Altinn" in callback["title"] and insurer.url + "/claims/callback" in callback["title"]
    assert "AuthorizationCode=" not in callback["title"] and "inferred" in callback["classes"]
    assert "Ført av sandkassen" in rows[start]["title"] and insurer.url + "/claims/start" in rows[start]["title"]
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
    assert "sett gjennom Altinn" in page.locator("#details-title").inner_text()
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
    # made by the control plane on the insurer's behalf (its lifeline), red as its answer is
    fetched = hop("control", "insurer", operation="insurer_fetch", kind="walkthrough", status="200")
    wait_for_arrows(page, fetched + " .arrow.answer.refused")
    wait_for_arrows(page, '.event[data-to="altinn"][data-operation="get_consent_token"] .arrow.answer.refused')
    assert page.locator(hop("insurer", "nav")).count() == nav_calls
    again = page.locator(fetched + " .arrow").first
    assert again.inner_text() == "hent på nytt (forsikringens hentekrok) · gjennomgang"
    assert page.locator(fetched + " .arrow.answer").inner_text().startswith("avvist: ")
    assert "forsikringen svarte 200 consent_required" in again.get_attribute("title")
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
        "s => Array.from(document.querySelectorAll(s)).some(r => r.textContent.indexOf('Status=Failed') >= 0)",
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
    assert arrow.inner_text() == "TLS avvist: unknown_ca"
    assert "refused" in arrow.get_attribute("class") and "Ingen HTTP-forespørsel ble sendt" in arrow.get_attribute(
        "title"
    )
    assert arrow.evaluate("el => getComputedStyle(el).borderTopStyle") == "double"
    shoot_in_front(page, "dashboard-hops-6c-tls-refused")

    # 7: three years and a day later
    page.locator("#jump-3y").click()
    page.wait_for_function("document.getElementById('clock-out').textContent.indexOf('calendar_time') >= 0")
    assert "Europe/Oslo" in page.locator("#clock-out-said").inner_text()
    shoot_in_front(page, "dashboard-hops-7-three-years-later")

    # the diagram shows every hop of the flow: an arrow between every pair of lifelines it uses
    for frm, to in FLOW_HOPS:
        assert page.locator(hop(frm, to)).count() >= 1, f"no arrow {frm} -> {to}"
    for lane in LANES:
        assert page.locator(f'.event[data-from="{lane}"], .event[data-to="{lane}"]').count() >= 1, lane
    assert page.locator(hop("citizen", "insurer", operation="callback")).count() == 2
    assert page.locator('.event[data-operation^="admin"]').count() == 0
    assert "steg til forsikringen eller gjort av sandkassen" in page.locator("#counter").inner_text()
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
                "hop": {"from": "control", "to": "insurer"},
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
        ("control", "insurer", "insurer_fetch", "walkthrough"),  # came a poll later, drawn when it began
        ("insurer", "altinn", "get_consent_token", "log"),
        ("insurer", "nav", "tls_handshake", "tls"),
        ("insurer", "nav", "hentUforeopplysninger", "log"),
    ], drawn
    by = {(r["operation"], r["time"][17:23]): r for r in rows}
    accepted, declined = by[("callback", "01.000")], by[("callback", "03.000")]
    assert accepted["label"] == "tilbake til forsikringen · Status=OK · via Altinn"
    assert "refused" not in accepted["classes"]
    assert declined["label"] == "tilbake til forsikringen · Status=Failed · via Altinn"
    assert "Status=Failed" in declined["title"] and "http://localhost:7200/claims/callback" in declined["title"]
    start = by[("start_claim", "00.100")]
    assert start["label"] == f"start en sak ({KARI['pid']}) · gjennomgang"
    assert "http://localhost:7200/claims/start" in start["title"]
    fetch = by[("insurer_fetch", "05.000")]
    assert fetch["label"] == "hent på nytt (forsikringens hentekrok) · gjennomgang"
    assert fetch["answer"] == "avvist: 200 consent_required" and "refused" in fetch["answer_classes"]

    tls, http_refusal = by[("tls_handshake", "06.000")], by[("hentUforeopplysninger", "06.500")]
    assert tls["label"] == "TLS avvist: unknown_ca" and "127.0.0.1:54321" in tls["title"]
    assert "untrusted" in tls["title"] and "Ingen HTTP-forespørsel ble sendt" in tls["title"]
    # what was sent, and the refusal's reason in plain words on the answer
    assert http_refusal["label"] == "Maskinporten-token"
    assert http_refusal["answer"] == "avvist: samtykket er trukket tilbake (403)"
    look = page.evaluate("""() => [['tls_handshake', ''], ['hentUforeopplysninger', '.answer']].map(([op, which]) => {
        const arrow = document.querySelector(`[data-operation="${op}"] .arrow${which}`), line = getComputedStyle(arrow);
        const head = getComputedStyle(arrow, '::after');
        return {style: line.borderTopStyle, color: line.borderTopColor, head: head.content};
    })""")
    assert look[0]["style"] == "double" and look[0]["color"] == RED and "✕" in look[0]["head"], look
    assert look[1]["style"] == "solid" and look[1]["color"] == RED and "✕" not in look[1]["head"], look
    counter = page.locator("#counter").inner_text()
    assert "4 steg til forsikringen eller gjort av sandkassen" in counter  # start, fetch, two callbacks
    assert "(2 adminkall skjult)" in counter  # the calendar moved, a fetch refused before any hop
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
    # the dashboard's withdraw control took the last Altinn 2 code; it goes to the control plane's Altinn 2 route
    assert page.locator("#withdraw-code").input_value() == "c3"
    assert page.locator("#withdraw-generation").input_value() == "altinn2"
    assert withdrawn_through(page) == "/_sandbox/consents/c3/withdraw"


def withdrawn_through(page) -> str:
    """The control plane route the withdraw control POSTs to (answered here, so nothing is withdrawn)."""
    asked = []

    def answer(route):
        asked.append((route.request.method, urlsplit(route.request.url).path))
        route.fulfill(status=200, content_type="application/json", body="{}")

    page.route(re.compile(r".*/_sandbox/(altinn3/)?consents/.*"), answer)
    page.locator("#withdraw-button").click()
    page.wait_for_function("document.getElementById('withdraw-out').textContent.indexOf('200') === 0")
    [(method, path)] = asked
    assert method == "POST"
    return path


# -- Altinn 3's hops, fed by hand ----------------------------------------------------------------------------------
LOOKUP = "maskinporten_consent_lookup"
CONSENT_ID = "d26bdd7f-6c7b-4532-929e-ad1b14b4a834"
CONSENT_TYPE = "urn:altinn:consent"
LOOKUP_PATH = "/accessmanagement/api/v1/maskinporten/consent/lookup"
VIEW_PATH = "/accessmanagement/ui/consent/request"
DIGDIR = "991825827"


def consent_token(id_: int, time: str, trace: str, http: int, **details) -> dict:
    """Maskinporten's event for a token request whose grant carried the consent."""
    refused = details.get("consent_problem") or http >= 400
    return event(
        id_, time, "maskinporten", "token", "POST", "/token", http, subject=KARI["pid"], trace_id=trace,
        error="MP-303" if refused else None,
        details={"authorization_details_types": [CONSENT_TYPE], "consent_id": CONSENT_ID, **details},
    )  # fmt: skip


def lookup(id_: int, time: str, trace: str, http: int, **details) -> dict:
    """Altinn's event for Maskinporten's consent lookup (it shares the token request's trace id)."""
    return event(
        id_, time, "altinn", LOOKUP, "POST", LOOKUP_PATH, http, caller=DIGDIR,
        subject=KARI["pid"], trace_id=trace, error=details.get("consent_problem"),
        details={"consent_id": CONSENT_ID, "asking_org": "310000019", **details},
    )  # fmt: skip


#: The Altinn 3 flow as its services log it, in two polls: Maskinporten's first lookup at Altinn comes a poll
#: before the token request it served (Altinn logs it when it answers, before Maskinporten answers the insurer).
ALTINN3_POLLS = [
    [
        own(1, "00.100", "start_claim", 302, subject=KARI["pid"],
            details={"hop": {"from": "citizen", "to": "insurer"}, "consent": "altinn3",
                     "target": "http://localhost:7200/claims/start"}),
        event(1, "00.200", "maskinporten", "token", "POST", "/token", 200,
              details={"scopes": ["altinn:consentrequests.write"]}),
        event(1, "00.300", "altinn", "enterprise_create_consent_request", "POST",
              "/accessmanagement/api/v1/enterprise/consentrequests", 201, caller="310000019", subject=KARI["pid"],
              details={"consent_id": CONSENT_ID, "resource": "nav_samtykke_dsop_aap-ufore"}),
        event(2, "00.400", "altinn", "altinn3_consent_page", "GET", VIEW_PATH, 302, details={"consent_id": CONSENT_ID}),
        event(1, "00.500", "idporten", "authorize", "GET", "/authorize", 302, caller="altinn"),
        event(2, "00.600", "idporten", "token", "POST", "/token", 200, caller="altinn", subject=KARI["pid"]),
        event(3, "01.000", "altinn", "altinn3_consent_answer", "POST", VIEW_PATH, 302, subject=KARI["pid"],
              details={"consent_id": CONSENT_ID, "answer": "accepted", "status": "Accepted",
                       "redirect_to": "http://localhost:7200/claims/callback"}),
        lookup(4, "02.000", "tr1", 200, status="Accepted"),
    ],
    [
        consent_token(2, "02.010", "tr1", 200, consent_lookup="accepted", consent_lookup_status=200),
        event(1, "02.100", "nav", "hentUforeopplysninger", "GET", "/dsop-ufo/uforeopplysninger", 200,
              caller="310000019", subject=KARI["pid"],
              details={"consent_generation": "altinn3", "consent_id": CONSENT_ID}),
        lookup(5, "03.000", "tr2", 400, consent_problem="AM-00011", consent_problems=["AM-00011"]),
        consent_token(3, "03.010", "tr2", 400, consent_lookup="refused", consent_lookup_status=400,
                      consent_problem="AM-00011", consent_problems=["AM-00011"]),
        event(4, "04.000", "maskinporten", "token", "POST", "/token", 400, error="MP-303", trace_id="tr3",
              details={"authorization_details_types": [CONSENT_TYPE]}),  # refused before the lookup
        event(2, "05.000", "nav", "hentUforeopplysninger", "GET", "/dsop-ufo/uforeopplysninger", 200,
              caller="310000027", subject=KARI["pid"], details={"consent_generation": "altinn2"}),
    ],
]  # fmt: skip


def test_the_diagram_draws_altinn3s_hops_the_lookup_under_the_token_request_it_served(page, world, artifacts):
    polls = list(ALTINN3_POLLS)

    def feed(route):
        batch = polls.pop(0) if polls else []
        body = {"events": batch, "cursor": f"control:1,maskinporten:{4 - 2 * len(polls)}", "unavailable": []}
        route.fulfill(status=200, content_type="application/json", body=json.dumps(body))

    page.route(re.compile(r".*/_sandbox/events\?.*"), feed)
    page.goto(world[0].url("control") + "/walkthrough")
    page.wait_for_function("() => document.querySelectorAll('#events .event').length >= 15", timeout=15_000)
    rows = diagram(page)
    drawn = [(r["from"], r["to"], r["operation"], r["label"], r["answer"]) for r in rows]
    pid = KARI["pid"]
    assert rows[0]["consent"] == "altinn3"  # the walkthrough's hops say which generation's insurer they went to
    write = "altinn:consentrequests.write"
    # each arrow names what is sent, and its answer (drawn back) what comes back: the refusals in plain words
    assert drawn == [
        ("citizen", "insurer", "start_claim", f"start en sak ({pid}) · gjennomgang", None),
        # an ordinary token: no consent in its grant
        ("insurer", "maskinporten", "token", f"tokenforespørsel (JWT-grant, scope {write})",
         f"Maskinporten-token (scope {write})"),
        ("insurer", "altinn", "enterprise_create_consent_request",
         f"samtykkeforespørsel + Maskinporten-token (scope {write}) · {pid}", "201 samtykkeforespørsel d26bdd7f…"),
        ("citizen", "altinn", "altinn3_consent_page", "Altinns samtykkeside", "302 logg inn i ID-porten først"),
        ("citizen", "idporten", "authorize", "logg inn (authorize, for altinn)", "302 innloggingssiden"),
        # ID-porten's, for Altinn's login
        ("altinn", "idporten", "token", "autorisasjonskode (klient altinn)", f"ID-porten ID-token (pid {pid})"),
        ("citizen", "altinn", "altinn3_consent_answer", f"«Ja, jeg gir samtykke» · {pid}",
         "302 tilbake til forsikringen"),
        ("citizen", "insurer", "callback", "tilbake til forsikringen · Status=OK · via Altinn", None),
        ("insurer", "maskinporten", "token", "tokenforespørsel med samtykket",
         "Maskinporten-token med samtykket (authorization_details)"),
        ("maskinporten", "altinn", LOOKUP, "samtykkeoppslag d26bdd7f… for 310000019", "Accepted"),  # a poll earlier
        ("insurer", "nav", "hentUforeopplysninger", f"Maskinporten-token med samtykket · {pid}",
         "200 uføreopplysninger"),
        ("insurer", "maskinporten", "token", "tokenforespørsel med samtykket",
         "avvist: samtykket er trukket tilbake (Altinn AM-00011)"),
        ("maskinporten", "altinn", LOOKUP, "samtykkeoppslag d26bdd7f… for 310000019",
         "avvist: samtykket er trukket tilbake (AM-00011)"),
        ("insurer", "maskinporten", "token", "tokenforespørsel med samtykket", "avvist: 400 MP-303"),
        ("insurer", "nav", "hentUforeopplysninger", f"samtykketoken + Maskinporten-token · {pid}",
         "200 uføreopplysninger"),
    ], drawn  # fmt: skip
    assert [r["time"] for r in rows] == sorted(r["time"] for r in rows)  # a lookup is dated by its token request
    generations = page.evaluate("() => Array.from(document.querySelectorAll('#events .event'), r => r.dataset.consent)")
    assert generations[8:15] == ["altinn3"] * 6 + ["altinn2"]
    carried = page.locator('.event[data-to="maskinporten"] .arrow.carries-consent')
    assert carried.count() == 3 and page.locator('.event[data-to="maskinporten"] .arrow:not(.answer)').count() == 4
    assert carried.first.evaluate("el => getComputedStyle(el).borderTopWidth") == "3px"
    assert page.locator(".event.lookup.nested").count() == 2
    token, looked, refused, early = rows[8], rows[9], rows[11], rows[13]
    assert "bar et Altinn 3-samtykke" in token["title"] and CONSENT_ID in token["title"]
    assert "la samtykket inn i tokenet" in token["title"] and "refused" not in token["classes"]
    assert "Tjener til tjener" in looked["title"] and "samme sporings-ID, tr1" in looked["title"]
    assert "med Altinns AM-00011 (samtykket er trukket tilbake)" in refused["title"]
    assert "refused" in refused["answer_classes"] and "refused" not in refused["classes"]
    assert "Avvist før Maskinporten spurte Altinn" in early["title"]
    # the walkthrough's withdraw control takes the consent the citizen accepted, to the control plane's Altinn 3 route
    assert page.locator("#withdraw-code").input_value() == CONSENT_ID
    assert withdrawn_through(page) == f"/_sandbox/altinn3/consents/{CONSENT_ID}/revoke"
    page.locator(hop("maskinporten", "altinn") + " .arrow").last.click()
    shown = json.loads(page.locator("#details-json").inner_text())
    assert shown["service"] == "altinn" and shown["details"]["consent_problem"] == "AM-00011"
    shoot(page, "dashboard-altinn3-hops-fed")


# == the Altinn 3 walkthrough ==================================================================================
#: Every pair of lifelines the Altinn 3 flow draws an arrow between: no consent token, no use log, and
#: Maskinporten's own call to Altinn.
ALTINN3_HOPS = (
    ("citizen", "insurer"),
    ("citizen", "idporten"),
    ("citizen", "altinn"),
    ("insurer", "maskinporten"),
    ("insurer", "altinn"),
    ("insurer", "nav"),
    ("altinn", "idporten"),
    ("maskinporten", "altinn"),
)
#: Maskinporten's tokens live this long (s) in the Altinn 3 walkthrough: the insurer's cached tokens that
#: carry the consent run out soon after the revoke, and its next token request meets Altinn's refusal.
SHORT_TOKENS = 4


def every_lookup_under_its_token(page) -> None:
    """Waits until each token request that carried a consent and Maskinporten's lookup for it are both drawn
    (either may come a poll after the other: Altinn logs the lookup when it answers, Maskinporten its token
    request when it answers in turn; the diagram puts the lookup under its request either way)."""
    page.wait_for_function(
        """() => {
        const lookups = Array.from(document.querySelectorAll('.event.lookup'));
        const tokens = Array.from(document.querySelectorAll('.event[data-to="maskinporten"]'))
            .filter(row => row.querySelector('.arrow.carries-consent'));
        return lookups.length > 0 && lookups.every(row => row.classList.contains('nested')) &&
            tokens.every(token => lookups.some(row => row.dataset.trace === token.dataset.trace));
    }""",
        timeout=15_000,
    )


def test_the_altinn3_walkthrough_shows_the_consent_in_the_maskinporten_token(page, fresh, artifacts):
    sandbox, insurer, _ = fresh
    control = sandbox.url("control")
    shorter = requests.post(control + "/_sandbox/lifetimes", json={"maskinporten.access_token": SHORT_TOKENS})
    assert shorter.status_code == 200, shorter.text  # the next test's reset restores them
    requested = record_requests(page)

    # 0: the walkthrough, Altinn 3 unless asked otherwise, with the Altinn 3 reference insurer (from its registration)
    page.goto(control + "/walkthrough")
    assert page.locator("#generation-altinn3").get_attribute("aria-current") == "page"
    assert page.locator("#generation-altinn2").get_attribute("aria-current") is None
    assert page.locator("#start-url").inner_text().startswith(insurer.url + "/claims/start?")
    assert "tokenforespørsel med Altinn 3-samtykke" in page.locator("#legend").text_content()
    shoot_in_front(page, "dashboard-altinn3-0-walkthrough")

    # 1-2: start a claim; the insurer's consent request at Altinn; the citizen logs in and says yes on Altinn's page
    citizen = start_claim(page, "altinn3")
    wait_for_arrows(page, hop("insurer", "altinn", operation="enterprise_create_consent_request", consent="altinn3"))
    shoot_in_front(citizen, "dashboard-altinn3-1-consent-page")
    citizen.get_by_role("button", name="Ja, jeg gir samtykke").click()
    citizen.wait_for_url(re.compile(re.escape(insurer.url) + r"/claims/"))
    wait_for_arrows(page, hop("citizen", "insurer", operation="callback", kind="inferred"))
    shoot_in_front(citizen, "dashboard-altinn3-2-back-at-insurer")

    # 3: the insurer's retrieval: a Maskinporten token carrying the consent per scope, each looked up at Altinn by
    # Maskinporten, and NAV's three APIs with those tokens alone
    wait_for_arrows(page, hop("insurer", "nav", consent="altinn3"), 3)
    carried = hop("insurer", "maskinporten", operation="token", consent="altinn3")
    wait_for_arrows(page, carried + " .arrow.carries-consent")
    every_lookup_under_its_token(page)
    rows = diagram(page)
    start = index_of(rows, operation="start_claim")
    asked = index_of(rows, start, **{"from": "insurer", "to": "maskinporten", "operation": "token"})
    # an ordinary token, for Altinn's consent request API
    assert rows[asked]["label"] == "tokenforespørsel (JWT-grant, scope altinn:consentrequests.write)"
    made = index_of(rows, asked, operation="enterprise_create_consent_request")
    assert rows[made]["label"].startswith(
        "samtykkeforespørsel + Maskinporten-token (scope altinn:consentrequests.write)"
    )
    shown = index_of(rows, made, **{"from": "citizen", "to": "altinn", "operation": "altinn3_consent_page"})
    login = index_of(rows, shown, **{"from": "citizen", "to": "idporten", "operation": "authorize"})
    index_of(rows, login, **{"from": "altinn", "to": "idporten", "operation": "token"})  # ID-porten's, for Altinn
    answered = index_of(rows, login, **{"from": "citizen", "to": "altinn", "operation": "altinn3_consent_answer"})
    assert "«Ja, jeg gir samtykke»" in rows[answered]["label"]
    back = index_of(rows, answered, operation="callback")
    # (the insurer may take another ordinary token meanwhile, to confirm the answer at Altinn)
    token = index_of(
        rows, back, **{"from": "insurer", "to": "maskinporten", "operation": "token", "consent": "altinn3"}
    )
    assert rows[token]["label"].startswith("tokenforespørsel med samtykket · nav:")
    assert rows[token]["answer"] == "Maskinporten-token med samtykket (authorization_details)"
    assert "carries-consent" in rows[token]["classes"] and "la samtykket inn i tokenet" in rows[token]["title"]
    looked = rows[token + 1]  # Maskinporten's lookup, drawn under the token request it served
    assert (looked["from"], looked["to"], looked["operation"]) == ("maskinporten", "altinn", LOOKUP)
    assert looked["label"].startswith("samtykkeoppslag ") and looked["answer"] == "Accepted"
    assert "Tjener til tjener" in looked["title"]
    fetched = index_of(rows, token, **{"from": "insurer", "to": "nav"})
    assert rows[fetched]["label"].startswith("Maskinporten-token med samtykket (scope nav:")
    assert rows[fetched]["answer"].startswith("200 ")
    assert [r["time"] for r in rows] == sorted(r["time"] for r in rows)
    assert not [r for r in rows if r["operation"] in ("get_consent_token", "loguse", "create_consent_request")]
    tokens, lookups = (page.locator(hop(*pair, operation=op)).count() for pair, op in [
        (("insurer", "maskinporten"), "token"), (("maskinporten", "altinn"), LOOKUP)])  # fmt: skip
    assert page.locator(carried).count() == page.locator(".event.lookup.nested").count() == lookups >= 1
    assert tokens > lookups  # and the ordinary ones, for the consent request API
    shoot_in_front(page, "dashboard-altinn3-3-data-fetched")

    # 5: revoke with the walkthrough's control (the consent the citizen accepted, from the events)
    consent_id = page.locator("#withdraw-code").input_value()
    assert re.fullmatch(r"[0-9a-f-]{36}", consent_id), consent_id
    page.locator("#withdraw-button").click()
    page.wait_for_function("document.getElementById('withdraw-out').textContent.indexOf('200') === 0")
    assert '"state": "Revoked"' in page.locator("#withdraw-out").text_content()  # the raw answer, folded
    assert page.locator("#withdraw-out-said").inner_text() == "Altinn: samtykket er nå Revoked"
    shoot_in_front(page, "dashboard-altinn3-5-revoked")

    # 6: fetch again, once the insurer's tokens that carry the consent have run out (until then NAV takes them: the
    # consent is in the token): Maskinporten looks the consent up, Altinn answers AM-00011, nothing reaches NAV
    wait_past_consent_tokens(page, sandbox)
    nav_calls = page.locator(hop("insurer", "nav")).count()
    page.locator("#fetch-again").click()
    page.wait_for_function("document.getElementById('fetch-out').textContent.length > 0")
    again = hop("control", "insurer", operation="insurer_fetch", kind="walkthrough", status="200")
    wait_for_arrows(page, again + " .arrow.answer.refused")
    wait_for_arrows(page, carried + " .arrow.answer.refused")
    every_lookup_under_its_token(page)
    refused = page.locator(carried + " .arrow.answer.refused").first
    assert refused.inner_text() == "avvist: samtykket er trukket tilbake (Altinn AM-00011)"
    assert "med Altinns AM-00011 (samtykket er trukket tilbake)" in refused.get_attribute("title")
    rows = diagram(page)
    clicked = index_of(rows, operation="insurer_fetch")
    token = index_of(
        rows, clicked, **{"from": "insurer", "to": "maskinporten", "operation": "token", "consent": "altinn3"}
    )
    looked = rows[token + 1]
    assert looked["operation"] == LOOKUP and looked["answer"] == "avvist: samtykket er trukket tilbake (AM-00011)"
    assert page.locator(again + " .arrow.answer").inner_text() == "avvist: samtykket er trukket tilbake"
    assert page.locator(hop("insurer", "nav")).count() == nav_calls
    shoot_in_front(page, "dashboard-altinn3-6-fetch-refused")

    for frm, to in ALTINN3_HOPS:
        assert page.locator(hop(frm, to)).count() >= 1, f"no arrow {frm} -> {to}"
    # of the control plane's admin calls only the revoke is drawn: the citizen's act, from the sandbox's lifeline
    assert page.locator('.event[data-operation^="admin"]').count() == 1
    assert page.locator('.event[data-from="control"][data-to="altinn"]').count() == 1
    assert {urlsplit(url).hostname for url in requested} <= {"localhost", "127.0.0.1"}

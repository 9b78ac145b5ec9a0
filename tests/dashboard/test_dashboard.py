"""The workshop dashboard's pages on the control plane: self-contained (nothing from outside the
sandbox), drawn from the control plane's public outline, calling only the control plane's routes, and
no events of their own; the walkthrough tells either consent generation's flow (Altinn 3 unless
asked for Altinn 2) with that generation's reference insurer. The routes they call (the walkthrough's
hops, withdraw and revoke, the merged timeline) are the control plane's and are tested with it
(tests/sandbox/test_control_plane.py)."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import pytest

from dsop_sandbox import control_plane, launcher
from dsop_sandbox.dashboard import BLUEPRINT, POLL_MS, install
from dsop_sandbox.mocks.authority import KeyAuthority
from dsop_sandbox.mocks.common.language import COOKIE as LANG_COOKIE
from tests.conftest import free_port_settings
from tests.keys import with_test_keys

KARI = "15838512329"
INSURER = "http://localhost:7200"
INSURER2 = "http://localhost:7201"  # the Altinn 2 twin
URL_ATTRIBUTES = re.compile(r"""\b(?:src|href|action)\s*=\s*["']([^"']*)["']""", re.I)
SERVICES = ("control", "idporten", "maskinporten", "altinn", "nav")


@pytest.fixture(scope="module")
def authority(tmp_path_factory):
    """One test PKI for the module's control planes (making one takes a while)."""
    return KeyAuthority.open(with_test_keys(tmp_path_factory.mktemp("authority")), datetime.now(UTC))


@pytest.fixture
def app(tmp_path, authority):
    """The control plane with the dashboard, as the launcher builds it, in-process."""
    built = launcher.create_control_plane(free_port_settings(tmp_path / "state"), authority=authority)
    yield built
    built.extensions["sandbox"].store.close()


@pytest.fixture
def with_insurer(app):
    control_plane.use_reference_insurer(app, INSURER)
    return app


@pytest.fixture
def with_both(with_insurer):
    control_plane.use_reference_insurer(with_insurer, INSURER2, consent="altinn2")
    return with_insurer


def config_of(html: str) -> dict:
    """The configuration the page's script draws with."""
    return json.loads(re.search(r"const CONFIG = (\{.*?\});\n", html).group(1))


def text_of(html: str, step: int) -> str:
    """What step ``step`` of the walkthrough says, without its markup."""
    item = re.search(rf'<li id="step-{step}">(.*?)(?=<li id="step-|</ol>\s*</section>)', html, re.S).group(1)
    return " ".join(re.sub(r"<[^>]+>", " ", item).split())


def english(app):
    """A browser that chose English (the pages are Norwegian unless ``?lang=en`` or the cookie says so)."""
    client = app.test_client()
    client.set_cookie(LANG_COOKIE, "en")
    return client


def own_urls(app) -> tuple[str, ...]:
    settings = app.extensions["sandbox"].settings
    return tuple(settings.base_url(name) for name in SERVICES)


@pytest.mark.parametrize("path", ["/", "/dashboard", "/walkthrough"])
def test_the_pages_are_html_with_nothing_from_outside(with_insurer, path):
    answer = english(with_insurer).get(path)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert answer.headers["Content-Type"].startswith("text/html")
    html = answer.get_data(as_text=True)
    assert "<svg" in html or 'class="lane-names"' in html
    for lane in ("Sandbox", "Citizen", "Insurer", "ID-porten", "Maskin\u00adporten", "Altinn", "NAV"):
        assert lane in html
    allowed = (*own_urls(with_insurer), INSURER)
    for url in URL_ATTRIBUTES.findall(html):
        if "http" in url:
            assert url.startswith(allowed), url
    assert "@import" not in html and "fonts.googleapis" not in html
    assert "/_sandbox/events?since=" in html  # the live view polls the merged timeline, and nothing else
    assert "/_sandbox/dashboard/events" not in html
    assert f'"poll_ms": {POLL_MS}' in html and POLL_MS <= 250


@pytest.mark.parametrize(
    ("query", "consent", "insurer", "my_consents"),
    [
        ("", "altinn3", INSURER, "/accessmanagement/ui/consent/active"),
        ("?consent=altinn3", "altinn3", INSURER, "/accessmanagement/ui/consent/active"),
        ("?consent=altinn2", "altinn2", INSURER2, "/ui/Profile/Consents"),
        ("?consent=altinn1", "altinn3", INSURER, "/accessmanagement/ui/consent/active"),  # unknown: the default
    ],
)
def test_the_walkthrough_links_the_reference_insurer_of_its_generation(with_both, query, consent, insurer, my_consents):
    html = english(with_both).get("/walkthrough" + query).get_data(as_text=True)
    person = f"pid={KARI}&amp;first_name=Kari&amp;last_name=Nordmann"
    assert f"{insurer}/claims/start?{person}" in html
    # the button goes there through the control plane, which records the hop (the insurer logs nothing)
    assert f'id="start-claim" href="/_sandbox/dashboard/start?consent={consent}&amp;{person}"' in html
    assert f'id="fetch-again" data-path="/_sandbox/dashboard/insurer-fetch?consent={consent}&amp;pid={KARI}"' in html
    assert f'id="insurer-url">{insurer}</code>' in html
    for step in range(1, 8):
        assert f'id="step-{step}"' in html
    urls = dict(zip(SERVICES, own_urls(with_both), strict=True))
    assert f'id="open-my-consents" href="{urls["altinn"]}{my_consents}"' in html
    assert urls["nav"] + "/person/personopplysninger/dsop" in html
    assert f'id="withdraw-form" class="row" data-consent="{consent}"' in html
    config = config_of(html)
    assert config["consent"] == consent and config["insurer"] == insurer
    assert config["withdraw_via"] == {
        "altinn3": "/_sandbox/altinn3/consents/{id}/revoke",
        "altinn2": "/_sandbox/consents/{id}/withdraw",
    }


def test_the_walkthrough_offers_both_generations_altinn3_first_and_chosen(with_both):
    client = english(with_both)
    for query, chosen in [("", "altinn3"), ("?consent=altinn2", "altinn2")]:
        html = client.get("/walkthrough" + query).get_data(as_text=True)
        choice = re.findall(r'<a id="generation-(\w+)" href="([^"]+)"\s*(aria-current="page")?>', html)
        current = 'aria-current="page"'
        assert choice == [
            ("altinn3", "/walkthrough?consent=altinn3", current if chosen == "altinn3" else ""),
            ("altinn2", "/walkthrough?consent=altinn2", current if chosen == "altinn2" else ""),
        ]
        assert "no reference insurer running" not in html
        name = {"altinn3": "Altinn 3", "altinn2": "Altinn 2"}[chosen]
        assert f'<strong id="generation-name">{name}</strong>' in html and f"Walkthrough ({name})" in html


def test_the_altinn3_walkthrough_tells_the_altinn3_flow(with_both):
    html = english(with_both).get("/walkthrough").get_data(as_text=True)
    steps = {step: text_of(html, step) for step in range(1, 8)}
    assert "Maskinporten token for Altinn" in steps[1] and "creates a consent request at Altinn" in steps[1]
    assert "Status=OK" in steps[2]
    assert "Maskinporten for a token whose grant carries the consent" in steps[3]
    assert "Maskinporten looks the consent up at Altinn" in steps[3] and "NAV gets that token alone" in steps[3]
    assert "no consent token and no use log" in steps[3]
    assert "revokes the consent" in steps[5] and "Consent id" in steps[5] and "Revoke" in steps[5]
    assert "AM-00011" in steps[6] and "Maskinporten refuses the token" in steps[6]
    assert "already carries the consent works until it expires" in steps[6]  # a revoke recalls no token
    assert "AM-00013" in steps[7]
    assert "consent token from Altinn" not in " ".join(steps.values())


def test_the_altinn2_walkthrough_tells_the_altinn2_flow(with_both):
    html = english(with_both).get("/walkthrough?consent=altinn2").get_data(as_text=True)
    steps = {step: text_of(html, step) for step in range(1, 8)}
    assert "asks Altinn for consent" in steps[1] and "Maskinporten" not in steps[1]
    assert "authorization code" in steps[2]
    assert "fetches a consent token from Altinn and a Maskinporten token" in steps[3] and "logs its use" in steps[3]
    assert "«Mine samtykker»" in steps[5] and "Authorization code" in steps[5] and "Withdraw" in steps[5]
    assert "Altinn issues no consent token" in steps[6]
    assert "AM-000" not in " ".join(steps.values())


def test_without_an_insurer_the_walkthrough_says_how_to_start_one(app):
    html = english(app).get("/walkthrough").get_data(as_text=True)
    assert "No reference insurer for Altinn 3 is running" in html and "dsop-sandbox demo" in html
    assert 'id="start-claim"' not in html
    assert re.search(r'id="fetch-again"[^>]*disabled', html)
    assert html.count("no reference insurer running") == 2  # neither generation has one


def test_a_generation_without_its_insurer_says_so_beside_the_choice(with_insurer):
    html = english(with_insurer).get("/walkthrough?consent=altinn2").get_data(as_text=True)
    assert "No reference insurer for Altinn 2 is running" in html and 'id="start-claim"' not in html
    altinn2 = re.search(r'<a id="generation-altinn2".*?</a>', html, re.S).group(0)
    altinn3 = re.search(r'<a id="generation-altinn3".*?</a>', html, re.S).group(0)
    assert "no reference insurer running" in altinn2 and "no reference insurer running" not in altinn3


def test_the_dashboard_withdraws_either_generations_consent(with_both):
    html = english(with_both).get("/").get_data(as_text=True)
    select = re.search(r'<select id="withdraw-generation".*?</select>', html, re.S).group(0)
    assert re.findall(r'<option value="(\w+)">([^<]+)</option>', select) == [
        ("altinn3", "Altinn 3"),
        ("altinn2", "Altinn 2"),
    ]
    assert config_of(html)["consent"] is None  # the dashboard fills in whichever came last
    assert "Both consent generations are drawn" in html
    walkthroughs = re.findall(r'<a class="button( primary)?" id="walkthrough-(\w+)"\s+href="([^"]+)">([^<]+)</a>', html)
    assert walkthroughs == [
        (" primary", "altinn3", "/walkthrough?consent=altinn3", "Guided walkthrough: Altinn 3"),
        ("", "altinn2", "/walkthrough?consent=altinn2", "Guided walkthrough: Altinn 2"),
    ]
    assert f'href="{INSURER}/" id="link-insurer-altinn3"' in html
    assert f'href="{INSURER2}/" id="link-insurer-altinn2"' in html
    urls = dict(zip(SERVICES, own_urls(with_both), strict=True))
    assert f'href="{urls["altinn"]}/accessmanagement/ui/consent/active" id="link-altinn3"' in html
    assert f'href="{urls["altinn"]}/ui/Profile/Consents" id="link-altinn"' in html


def test_the_pages_are_no_events_of_the_control_plane(with_insurer):
    client = with_insurer.test_client()
    for path in ("/", "/dashboard", "/walkthrough", "/favicon.ico"):
        client.get(path)
    assert with_insurer.extensions["sandbox"].events.since(0) == []


def test_install_is_idempotent(app):
    assert BLUEPRINT in app.blueprints
    assert install(app) is app
    assert sorted(rule.rule for rule in app.url_map.iter_rules() if rule.endpoint.startswith(BLUEPRINT + ".")) == [
        "/",
        "/dashboard",
        "/walkthrough",
    ]


def test_the_demo_command_parses():
    import argparse

    from dsop_sandbox.demo import add_command, cmd_demo

    parser = argparse.ArgumentParser()
    commands = parser.add_subparsers(dest="command")
    add_command(commands)
    args = parser.parse_args(["demo", "--open"])
    assert args.open is True and args.run is cmd_demo and args.state_dir is None and args.config is None


def lang_cookies(answer) -> list[str]:
    return [c for c in answer.headers.getlist("Set-Cookie") if c.startswith(LANG_COOKIE + "=")]


def test_the_pages_are_norwegian_unless_lang_or_the_cookie_says_english(with_insurer):
    """``?lang=`` first (and kept in the dsop_lang cookie, path /, SameSite=Lax, which every port of the
    host shares), then the cookie, then Norwegian; an unknown language changes nothing."""
    client = with_insurer.test_client()
    html = client.get("/walkthrough").get_data(as_text=True)
    assert '<html lang="nb">' in html and "Nullstill for neste gruppe" in html and config_of(html)["lang"] == "nb"
    chosen = client.get("/walkthrough?lang=en&consent=altinn3")
    [cookie] = lang_cookies(chosen)
    assert cookie.startswith(f"{LANG_COOKIE}=en;") and "Path=/" in cookie and "SameSite=Lax" in cookie
    assert '<html lang="en">' in chosen.get_data(as_text=True)
    # the switch keeps the generation
    assert 'href="/walkthrough?lang=nb&amp;consent=altinn3"' in chosen.get_data(as_text=True)
    later = client.get("/dashboard")
    assert '<html lang="en">' in later.get_data(as_text=True) and lang_cookies(later) == []
    assert '<html lang="nb">' in client.get("/?lang=nb").get_data(as_text=True)
    unknown = client.get("/?lang=de")
    assert '<html lang="nb">' in unknown.get_data(as_text=True) and lang_cookies(unknown) == []


def test_times_are_labelled_with_the_citizens_zone(with_insurer):
    html = with_insurer.test_client().get("/walkthrough").get_data(as_text=True)
    assert config_of(html)["zone"] == "Europe/Oslo" and "tid (Europe/Oslo)" in html


def test_step_6_says_why_a_fetch_right_after_the_revoke_may_still_work(with_both):
    """Altinn 3: a token that already carries the consent works until it runs out, so an answer "ok" there
    comes with the reason; Altinn 2 asks Altinn for a consent token every time, so no such note."""
    altinn3 = english(with_both).get("/walkthrough").get_data(as_text=True)
    altinn2 = english(with_both).get("/walkthrough?consent=altinn2").get_data(as_text=True)
    assert 'data-ok-hint="the token that carries the consent is still valid' in altinn3
    assert "data-ok-hint" not in altinn2

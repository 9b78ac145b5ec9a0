"""The workshop dashboard's pages on the control plane: self-contained (nothing from outside the
sandbox), drawn from the control plane's public outline, calling only the control plane's routes, and
no events of their own. The routes they call (the walkthrough's hops, withdraw, the merged timeline)
are the control plane's and are tested with it (tests/sandbox/test_control_plane.py)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from dsop_sandbox import control_plane, launcher
from dsop_sandbox.dashboard import BLUEPRINT, POLL_MS, install
from dsop_sandbox.mocks.authority import KeyAuthority
from tests.conftest import free_port_settings

KARI = "15838512329"
INSURER = "http://localhost:7200"
URL_ATTRIBUTES = re.compile(r"""\b(?:src|href|action)\s*=\s*["']([^"']*)["']""", re.I)
SERVICES = ("control", "idporten", "maskinporten", "altinn", "nav")


@pytest.fixture(scope="module")
def authority(tmp_path_factory):
    """One test PKI for the module's control planes (making one takes a while)."""
    return KeyAuthority.open(tmp_path_factory.mktemp("authority"), datetime.now(UTC))


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


def own_urls(app) -> tuple[str, ...]:
    settings = app.extensions["sandbox"].settings
    return tuple(settings.base_url(name) for name in SERVICES)


@pytest.mark.parametrize("path", ["/", "/dashboard", "/walkthrough"])
def test_the_pages_are_html_with_nothing_from_outside(with_insurer, path):
    answer = with_insurer.test_client().get(path)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert answer.headers["Content-Type"].startswith("text/html")
    html = answer.get_data(as_text=True)
    assert "<svg" in html or 'class="lane-names"' in html
    for lane in ("Citizen (browser)", "Insurer", "ID-porten", "Maskinporten", "Altinn", "NAV"):
        assert lane in html
    allowed = (*own_urls(with_insurer), INSURER)
    for url in URL_ATTRIBUTES.findall(html):
        if "http" in url:
            assert url.startswith(allowed), url
    assert "@import" not in html and "fonts.googleapis" not in html
    assert "/_sandbox/events?since=" in html  # the live view polls the merged timeline, and nothing else
    assert "/_sandbox/dashboard/events" not in html
    assert f'"poll_ms": {POLL_MS}' in html and POLL_MS <= 250


def test_the_walkthrough_links_the_reference_insurer(with_insurer):
    html = with_insurer.test_client().get("/walkthrough").get_data(as_text=True)
    assert f"{INSURER}/claims/start?pid={KARI}&amp;first_name=Kari&amp;last_name=Nordmann" in html
    # the button goes there through the control plane, which records the hop (the insurer logs nothing)
    assert (
        f'id="start-claim" href="/_sandbox/dashboard/start?pid={KARI}&amp;first_name=Kari&amp;last_name=Nordmann"'
        in html
    )
    assert f'id="fetch-again" data-path="/_sandbox/dashboard/insurer-fetch?pid={KARI}"' in html
    for step in range(1, 8):
        assert f'id="step-{step}"' in html
    urls = dict(zip(SERVICES, own_urls(with_insurer), strict=True))
    assert urls["altinn"] + "/ui/Profile/Consents" in html
    assert urls["nav"] + "/person/personopplysninger/dsop" in html


def test_without_an_insurer_the_walkthrough_says_how_to_start_one(app):
    html = app.test_client().get("/walkthrough").get_data(as_text=True)
    assert "No reference insurer is running" in html and "dsop-sandbox demo" in html
    assert 'id="start-claim"' not in html
    assert re.search(r'id="fetch-again"[^>]*disabled', html)


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

"""docker compose (docker-compose.yml as committed): ``--profile insurer up``, then the host runs
``conform`` against it; one service container killed shows in the control plane's health and comes
back with its state; the services run as the non-root user on a read-only key volume.

One project for the module (the tests run in this order; each needs only the conform run before it)."""

from __future__ import annotations

import os

import pytest
import yaml

from .compose_run import committed_probe_codes, conform, light_probe, musts, start
from .engine import ROOT, SANDBOX_UID, docker, wait_until

# compose up and a conform run share one test's time (the module's first) on a busy machine
pytestmark = [pytest.mark.containers, pytest.mark.timeout(300)]


@pytest.fixture(scope="module")
def sandbox():
    sandbox = start(f"dsoptest{os.getpid()}http", ROOT / "docker-compose.yml", "http")
    try:
        yield sandbox
    finally:
        sandbox.compose.down()


@pytest.fixture(scope="module")
def conformed(sandbox, tmp_path_factory):
    return conform(sandbox, tmp_path_factory.mktemp("conform"))


def test_conform_from_the_host_passes_every_must(conformed):
    done, report = conformed
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    verdicts = musts(report)
    assert len(verdicts) >= 10 and set(verdicts.values()) == {"PASS"}, verdicts


def test_chromium_on_the_host_logs_in_and_consents(sandbox, conformed, tmp_path):
    """The citizen's pages in a real browser on the host: ID-porten's login and Altinn's consent page
    at the URLs the containers hand out (one scenario; the whole suite ran over HTTP above)."""
    chromium = os.environ.get("DSOP_CHROMIUM", "/usr/bin/chromium")
    if not os.access(chromium, os.X_OK):
        if os.environ.get("CI"):
            pytest.fail(f"no chromium at {chromium}, and CI must run this", pytrace=False)
        pytest.skip(f"no chromium at {chromium} (./dev test installs it)")
    done, report = conform(sandbox, tmp_path, None, "--browser", "chromium", "--scenario", "consent_granted")
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    verdicts = musts(report)
    assert verdicts and set(verdicts.values()) == {"PASS"}, verdicts


def states(sandbox) -> dict:
    """What the sandbox holds: registrations (control plane), consents (Altinn 2 and 3), disclosures (NAV)."""
    return {
        "insurers": sandbox.admin("control", "/insurers?limit=1000")["insurers"],
        "consents": sandbox.admin("altinn", "/consents?limit=1000")["consents"],
        "altinn3": sandbox.admin("altinn", "/altinn3/consents?limit=1000"),
        "disclosures": sandbox.admin("nav", "/disclosures?limit=1000")["disclosures"],
    }


def test_a_killed_service_shows_in_health_and_comes_back_with_its_state(sandbox, conformed):
    before = states(sandbox)
    assert before["insurers"] and before["disclosures"], "the conform run left registrations and disclosures"
    assert before["consents"] or before["altinn3"]
    assert set(sandbox.health().values()) == {"ok"}
    killed = ("altinn", "nav")
    docker("kill", *(sandbox.compose.container(name) for name in killed))
    wait_until(
        lambda: {n: h for n, h in sandbox.health().items() if n in killed} == dict.fromkeys(killed, "unreachable"),
        30,
        "the control plane reports the killed services",
    )
    assert sandbox.health()["idporten"] == "ok"
    sandbox.compose("up", "-d")
    wait_until(lambda: set(sandbox.health().values()) == {"ok"}, 60, "every service healthy again")
    assert states(sandbox) == before  # kept in each service's volume


def test_services_run_as_the_non_root_user_on_a_read_only_key_volume(sandbox):
    for name in ("control", "nav"):
        cid = sandbox.compose.container(name)
        assert docker("exec", cid, "id", "-u").stdout.strip() == SANDBOX_UID
        refused = docker("exec", cid, "touch", "/state/authority/probe", check=False)
        assert refused.returncode != 0 and "Read-only file system" in refused.stderr, refused
        # its own state volume is writable (the overlay for rotated keys lives there)
        assert docker("exec", cid, "touch", "/state/probe", check=False).returncode == 0


def test_the_committed_healthchecks_pass_and_the_light_ones_fail_where_those_would(sandbox):
    """The project runs with lighter probes (compose_run.light_probe): each committed probe passes as it is
    in its container, and a light probe fails on an answer of 404 and on a closed port."""
    file = ROOT / "docker-compose.yml"
    services = yaml.safe_load(file.read_text(encoding="utf-8"))["services"]
    checked = [name for name, service in services.items() if "healthcheck" in service]
    assert committed_probe_codes(sandbox, file) == dict.fromkeys(checked, 0) and len(checked) == 6
    probe = services["control"]["healthcheck"]["test"][3]
    control = sandbox.compose.containers()["control"]
    assert docker("exec", control, *light_probe(probe)[1:], check=False).returncode == 0
    missing = light_probe(probe.replace("/_sandbox/health", "/nowhere"))[1:]
    assert docker("exec", control, *missing, check=False).returncode == 1
    closed = light_probe(probe.replace(":7100/", ":9/"))[1:]
    assert docker("exec", control, *closed, check=False).returncode == 1

"""The acceptance commands as a user types them: ``dsop-sandbox up --with-insurer``, then
``dsop-sandbox doctor`` and ``dsop-sandbox conform --insurer … --junit r.xml --html r.html``, with
the exit codes the README gives (0 every MUST passed, 1 one failed, 2 could not start)."""

from __future__ import annotations

import json
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.sandbox.test_cli import Running, cli_env, run_cli

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def up():
    running = Running(
        "up", "--ephemeral", "--with-insurer", env=cli_env({"DSOP_SANDBOX__REFERENCE_INSURER__PORT": "0"})
    )
    try:
        yield running
    finally:
        running.stop()


LABELS = {"altinn3": "Altinn 3 consent", "altinn2": "Altinn 2 consent"}


def profile_of(up, generation: str = "altinn3") -> Path:
    """The profile of the reference insurer speaking ``generation``: ``up --with-insurer`` prints each
    insurer's line (ending with its generation) and then its profile."""
    lines = iter(up.lines)
    for line in lines:
        if line.rstrip().endswith(LABELS[generation]):
            return Path(next(lines).split("profile ", 1)[1].strip())
    raise AssertionError(f"no {generation} insurer in the banner: {up.lines}")


#: Per generation: a requirement only its catalogue has, and how many requirements a full plain-HTTP
#: run judges (the catalogue less DSOP-TLS-VERIFY).
OWN = {"altinn3": ("DSOP-CONSENT-IN-TOKEN", 16), "altinn2": ("DSOP-LOGUSE", 19)}


def test_doctor_says_ready(up):
    done = run_cli("doctor", "--insurer", str(profile_of(up)), "--control-url", up.urls["control"], timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "ready for python -m dsop_sandbox.cli conform" in done.stdout  # the command as it was started


@pytest.mark.parametrize("generation", ["altinn3", "altinn2"])
def test_conform_passes_every_must_and_writes_the_reports(up, tmp_path, generation):
    junit, html, report = tmp_path / "r.xml", tmp_path / "r.html", tmp_path / "r.json"
    own, judged = OWN[generation]
    began = time.monotonic()
    done = run_cli(
        "conform",
        "--insurer",
        str(profile_of(up, generation)),
        "--control-url",
        up.urls["control"],
        "--junit",
        str(junit),
        "--html",
        str(html),
        "--json",
        str(report),
        timeout=120,
    )
    seconds = time.monotonic() - began
    assert done.returncode == 0, done.stdout + done.stderr
    suites = ET.parse(junit).getroot()
    assert int(suites.get("failures", "0")) == 0 and int(suites.get("tests")) >= judged
    assert own in html.read_text(encoding="utf-8") and LABELS[generation] in html.read_text(encoding="utf-8")
    data = json.loads(report.read_text(encoding="utf-8"))
    assert data["exit_code"] == 0 and data["counts"] == {"PASS": judged, "FAIL": 0, "NOT RUN": 0}
    assert data["generation"] == generation and own in {r["id"] for r in data["requirements"]}
    assert f"· {LABELS[generation]}" in done.stdout
    # Plain HTTP: the certificate scenario is left out, and every report says why.
    assert list(data["skipped"]) == ["nav_certificate"] and "--tls" in data["skipped"]["nav_certificate"]
    assert "Left out of this run" in done.stdout and "nav_certificate: the sandbox serves plain HTTP" in done.stdout
    assert "nav_certificate</code> was left out" in html.read_text(encoding="utf-8")
    print(f"conform ({generation}) took {seconds:.1f} s")  # reported in the session note; not asserted on


def test_a_missing_profile_cannot_start(up, tmp_path):
    done = run_cli("conform", "--insurer", str(tmp_path / "nope.toml"), "--control-url", up.urls["control"])
    assert done.returncode == 2, done.stdout + done.stderr
    doctor = run_cli("doctor", "--insurer", str(tmp_path / "nope.toml"), "--control-url", up.urls["control"])
    assert doctor.returncode == 2 and "FIX  profile" in doctor.stdout


def test_an_unreachable_sandbox_cannot_start(up):
    done = run_cli("conform", "--insurer", str(profile_of(up)), "--control-url", "http://127.0.0.1:9")
    assert done.returncode == 2 and "could not start" in (done.stdout + done.stderr).lower()


def test_a_fetch_hook_without_a_status_is_no_evidence(up, tmp_path):
    """The insurer answers, but its fetch hook is not there (404, no status): nothing it did is judged,
    neither PASS nor FAIL; the MUSTs asked for are NOT RUN with the reason (exit 1)."""
    broken = tmp_path / "insurer.toml"
    text = profile_of(up).read_text()
    insurer_url = up.urls["reference_insurer"]  # profile_of: the Altinn 3 reference insurer
    broken.write_text(text.replace(insurer_url + "/conformance/fetch", insurer_url + "/nowhere"))
    done = run_cli(
        "conform", "--insurer", str(broken), "--control-url", up.urls["control"], "--scenario", "fetch", timeout=60
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "NOT RUN  DSOP-FETCH" in done.stdout and "PASS " not in done.stdout and "FAIL " not in done.stdout
    assert "answered HTTP 404 without a status" in " ".join(done.stdout.split())


def test_the_certificate_scenario_asked_for_on_plain_http_is_not_run(up):
    done = run_cli(
        "conform",
        "--insurer",
        str(profile_of(up)),
        "--control-url",
        up.urls["control"],
        "--scenario",
        "nav_certificate",
        timeout=60,
    )
    assert done.returncode == 1, done.stdout + done.stderr  # a MUST asked for and not judged
    assert "NOT RUN  DSOP-TLS-VERIFY" in done.stdout
    assert "serves plain HTTP" in done.stdout and "Left out" not in done.stdout


def test_a_scenario_of_the_other_generation_cannot_start(up):
    done = run_cli(
        "conform", "--insurer", str(profile_of(up)), "--control-url", up.urls["control"], "--scenario", "key_rotation"
    )
    assert done.returncode == 2, done.stdout + done.stderr
    assert "key_rotation judges nothing for an altinn3 integration" in done.stdout + done.stderr

"""The acceptance commands as a user types them: ``dsop-sandbox up --with-insurer``, then
``dsop-sandbox doctor`` and ``dsop-sandbox conform --insurer … --junit r.xml --html r.html``, with
the exit codes of DESIGN.md §4 (0 every MUST passed, 1 one failed, 2 could not start)."""

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


def profile_of(up) -> Path:
    """The Altinn 2 twin's profile (the last printed): the suite's scenarios drive Altinn 2."""
    return Path([line.split("profile ", 1)[1].strip() for line in up.lines if line.startswith("    profile ")][-1])


def test_doctor_says_ready(up):
    done = run_cli("doctor", "--insurer", str(profile_of(up)), "--control-url", up.urls["control"], timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "ready for dsop-sandbox conform" in done.stdout


def test_conform_passes_every_must_and_writes_the_reports(up, tmp_path):
    junit, html, report = tmp_path / "r.xml", tmp_path / "r.html", tmp_path / "r.json"
    began = time.monotonic()
    done = run_cli(
        "conform",
        "--insurer",
        str(profile_of(up)),
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
    assert int(suites.get("failures", "0")) == 0 and int(suites.get("tests")) >= 19
    assert "DSOP-LOGUSE" in html.read_text(encoding="utf-8")
    data = json.loads(report.read_text(encoding="utf-8"))
    assert data["exit_code"] == 0 and data["counts"]["FAIL"] == 0
    # Plain HTTP: the certificate scenario is left out, and every report says why.
    assert list(data["skipped"]) == ["nav_certificate"] and "--tls" in data["skipped"]["nav_certificate"]
    assert "Left out of this run" in done.stdout and "nav_certificate: the sandbox serves plain HTTP" in done.stdout
    assert "nav_certificate</code> was left out" in html.read_text(encoding="utf-8")
    print(f"conform took {seconds:.1f} s")  # reported in the session note; not asserted on


def test_a_missing_profile_cannot_start(up, tmp_path):
    done = run_cli("conform", "--insurer", str(tmp_path / "nope.toml"), "--control-url", up.urls["control"])
    assert done.returncode == 2, done.stdout + done.stderr
    doctor = run_cli("doctor", "--insurer", str(tmp_path / "nope.toml"), "--control-url", up.urls["control"])
    assert doctor.returncode == 2 and "FIX  profile" in doctor.stdout


def test_an_unreachable_sandbox_cannot_start(up):
    done = run_cli("conform", "--insurer", str(profile_of(up)), "--control-url", "http://127.0.0.1:9")
    assert done.returncode == 2 and "could not start" in (done.stdout + done.stderr).lower()


def test_an_insurer_that_does_not_answer_fails(up, tmp_path):
    broken = tmp_path / "insurer.toml"
    text = profile_of(up).read_text()
    insurer_url = up.urls["reference_insurer_altinn2"]  # profile_of: the Altinn 2 twin
    broken.write_text(text.replace(insurer_url + "/conformance/fetch", insurer_url + "/nowhere"))
    done = run_cli(
        "conform", "--insurer", str(broken), "--control-url", up.urls["control"], "--scenario", "fetch", timeout=60
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "FAIL" in done.stdout


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

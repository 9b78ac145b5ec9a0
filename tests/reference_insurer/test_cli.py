"""``dsop-sandbox up --with-insurer`` and ``python -m dsop_sandbox.examples.reference_insurer`` as a user runs them."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import pytest
import requests

from dsop_sandbox.conformance.profile import InsurerProfile
from dsop_sandbox.insurer_files import write_insurer_files
from dsop_sandbox.launcher import Sandbox
from tests.conftest import free_port_settings
from tests.keys import with_test_keys
from tests.sandbox.test_cli import Running, cli_env, refuses_connections

pytestmark = pytest.mark.slow


def test_up_with_insurer_serves_the_reference_insurer_and_writes_its_profile(tmp_path):
    # the README's `up --with-insurer`, on a state directory holding the session's test PKI (not made again)
    env = {"DSOP_SANDBOX__REFERENCE_INSURER__PORT": "0", "DSOP_SANDBOX__STATE_DIR": str(with_test_keys(tmp_path))}
    up = Running("up", "--with-insurer", env=cli_env(env))
    try:
        printed = "".join(up.lines)
        assert "reference_insurer" in up.urls, printed
        url = up.urls["reference_insurer"]
        assert not url.endswith(":7200")
        health = requests.get(url + "/health", timeout=5).json()
        assert health == {
            "status": "ok",
            "service": "reference-insurer",
            "name": "Eksempel Forsikring AS",
            "org": "310000019",
        }
        profiles = [Path(line.split("profile ", 1)[1].strip()) for line in up.lines if line.startswith("    profile ")]
        path, twin_path = profiles
        assert path.name == "insurer.toml" and path.parent.name == "reference-insurer"
        data = tomllib.loads(path.read_text())
        assert data["insurer"]["consent"] == "altinn3"
        assert data["insurer"]["start_url"].startswith(url + "/claims/start?pid={pid}")
        assert data["idporten"]["redirect_uris"] == [url + "/claims/callback"]
        profile = InsurerProfile.load(path)  # what the conformance suite reads
        assert profile.fetch_url == url + "/conformance/fetch?pid={pid}"
        assert "Eksempel Forsikring AS (310000019)" in printed  # registered in the sandbox
        started = requests.get(
            profile.start({"pid": "15838512329", "first_name": "Kari", "last_name": "Nordmann"}),
            allow_redirects=False,
            timeout=10,
        )
        assert started.status_code == 302 and started.headers["Location"].startswith(up.urls["altinn"])
        assert "/accessmanagement/" in started.headers["Location"], "Altinn 3: the consent request's viewUri"

        # the Altinn 2 twin: another org, a free port, a profile of its own beside the first
        twin = up.urls["reference_insurer_altinn2"]
        assert twin != url and "Eksempel Forsikring AS (Altinn 2) (310000027), Altinn 2 consent" in printed
        assert requests.get(twin + "/health", timeout=5).json()["org"] == "310000027"
        assert twin_path.parent.name == "reference-insurer-310000027" and twin_path.parent.parent == path.parent.parent
        twin_profile = InsurerProfile.load(twin_path)
        assert (twin_profile.consent, profile.consent) == ("altinn2", "altinn3")
        assert twin_profile.fetch_url == twin + "/conformance/fetch?pid={pid}"
        started = requests.get(
            twin_profile.start({"pid": "15838512329", "first_name": "Kari", "last_name": "Nordmann"}),
            allow_redirects=False,
            timeout=10,
        )
        assert started.status_code == 302 and "/ui/AccessConsent/request" in started.headers["Location"]
    finally:
        code = up.stop()
    assert code == 0 and "stopped" in up.rest
    assert refuses_connections(url)


def test_a_taken_insurer_port_is_a_clear_exit_2(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [sys.executable, "-m", "dsop_sandbox.cli", "up", "--with-insurer"],
            capture_output=True,
            text=True,
            timeout=60,
            env=cli_env(
                {
                    "DSOP_SANDBOX__REFERENCE_INSURER__PORT": str(port),
                    "DSOP_SANDBOX__STATE_DIR": str(with_test_keys(tmp_path)),
                }
            ),
        )
    assert done.returncode == 2 and "reference insurer" in done.stderr


def test_the_reference_insurer_runs_on_its_own(tmp_path):
    with Sandbox(free_port_settings(tmp_path / "state")) as sandbox:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        url = f"http://localhost:{port}"
        answer = requests.post(
            sandbox.url("control") + "/_sandbox/insurers",
            timeout=30,
            json={"org": "310000019", "name": "Eksempel Forsikring AS", "redirect_uri": url + "/claims/callback"},
        )
        assert answer.status_code == 201, answer.text
        write_insurer_files(answer.json(), tmp_path / "insurer")
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "dsop_sandbox.examples.reference_insurer",
                "--insurer",
                str(tmp_path / "insurer" / "insurer.toml"),
                "--port",
                str(port),
                "--state-file",
                str(tmp_path / "claims.sqlite3"),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            assert "reference insurer Eksempel Forsikring AS (310000019) at " + url in process.stdout.readline()
            deadline = time.monotonic() + 15
            while True:
                try:
                    if requests.get(url + "/health", timeout=1).status_code == 200:
                        break
                except requests.RequestException:
                    pass
                assert time.monotonic() < deadline, "the reference insurer did not come up"
                time.sleep(0.1)
            started = requests.get(
                url + "/claims/start?pid=15838512329&first_name=Kari&last_name=Nordmann",
                allow_redirects=False,
                timeout=10,
            )
            assert started.status_code == 302 and started.headers["Location"].startswith(sandbox.url("altinn"))
        finally:
            process.terminate()
            process.wait(timeout=10)
            process.stdout.close()
        assert (tmp_path / "claims.sqlite3").exists()
    bad = subprocess.run(
        [sys.executable, "-m", "dsop_sandbox.examples.reference_insurer", "--insurer", str(tmp_path / "nope.toml")],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert bad.returncode == 2 and "no insurer profile" in bad.stderr

"""The dsop-sandbox command as a user runs it: a real process, real signals, real files."""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import tomllib
from pathlib import Path

import pytest
import requests

from dsop_sandbox import cli
from dsop_sandbox.invocation import COMMAND_VARIABLE
from dsop_sandbox.mocks.common.settings import SERVICE_NAMES, usable_cores
from tests.keys import with_test_keys
from tests.support import InsurerKeys, grant

pytestmark = pytest.mark.slow
URL_LINE = re.compile(r"^\s+(\w+)\s+(https?://\S+)", re.M)


def cli_env(extra: dict | None = None) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DSOP_SANDBOX_")}
    env.update({f"DSOP_SANDBOX__SERVICES__{name.upper()}__PORT": "0" for name in SERVICE_NAMES})
    env.update(extra or {})
    return env


def run_cli(*args, env=None, timeout=60) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "dsop_sandbox.cli", *args],
        capture_output=True,
        text=True,
        env=env or cli_env(),
        timeout=timeout,
    )


def run_main(capsys, *args) -> subprocess.CompletedProcess:
    """``dsop-sandbox ARGS`` through the CLI's ``main()`` in this process, for the calls whose command
    this file also runs as a real process (a process costs ~0.2 s of CPU to import the package)."""
    capsys.readouterr()
    try:
        code = cli.main(list(args))
    except SystemExit as exc:
        code = exc.code
    out, err = capsys.readouterr()
    return subprocess.CompletedProcess(args, code, out, err)


class Running:
    """``dsop-sandbox up`` in a child process, with the URLs it printed. Both of its pipes are read all the
    time (a child that fills an unread pipe blocks on its next write, and then never stops)."""

    def __init__(self, *args, env=None, command: list[str] | None = None, cwd=None):
        self.process = subprocess.Popen(
            [*(command or [sys.executable, "-m", "dsop_sandbox.cli"]), *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env or cli_env(),
            cwd=cwd,
        )
        self._readers: list[threading.Thread] = []
        self._err = self._read_all(self.process.stderr)
        self.lines = []
        for line in self.process.stdout:
            self.lines.append(line)
            if line.startswith("healthy") or " healthy; " in line:
                break
        self.urls = dict(URL_LINE.findall("".join(self.lines)))
        self._out = self._read_all(self.process.stdout)

    def _read_all(self, pipe) -> list[str]:
        """The lines of ``pipe`` from now on, read by a thread of their own until the process closes it."""
        lines: list[str] = []
        reader = threading.Thread(target=lines.extend, args=(pipe,), daemon=True)
        reader.start()
        self._readers.append(reader)
        return lines

    def stop(self, signum=signal.SIGINT, timeout=15) -> int:
        self.process.send_signal(signum)
        try:
            code = self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            pytest.fail(f"not stopped {timeout} s after {signal.Signals(signum).name}:\n{self.stacks()}", pytrace=False)
        self.rest = self._read_out()[0]
        return code

    def err(self) -> str:
        """What the process wrote to stderr, once it has ended."""
        return self._read_out()[1]

    def _read_out(self) -> tuple[str, str]:
        for reader in self._readers:
            reader.join(timeout=10)
        return "".join(self._out), "".join(self._err)

    def stacks(self) -> str:
        """Where every thread of the process and its children waits (``dsop-sandbox`` prints that on SIGUSR1),
        what the process printed, and then the process tree killed."""
        tree = [self.process.pid, *children_of(self.process.pid)]
        for pid in tree:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGUSR1)
        time.sleep(1.0)
        for pid in tree:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self.process.wait(timeout=10)
        out, err = self._read_out()
        return f"pids {tree}\nstdout:\n{''.join(self.lines)}{out}\nstderr:\n{err}"


def children_of(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def refuses_connections(url: str) -> bool:
    host, port = url.split("//", 1)[1].split(":")
    try:
        socket.create_connection((host, int(port)), timeout=1).close()
        return False
    except OSError:
        return True


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_up_ephemeral_reports_healthy_and_stops_cleanly(signum):
    up = Running("up", "--ephemeral")
    try:
        assert "dsop-sandbox is up" in "".join(up.lines), "".join(up.lines)
        assert set(up.urls) == set(SERVICE_NAMES)
        assert all(not url.endswith((":7100", ":7101", ":7102", ":7103", ":7104")) for url in up.urls.values())
        for name, url in up.urls.items():
            assert requests.get(url + "/_sandbox/health", timeout=5).json() == {"status": "ok", "service": name}
        state_dir = re.search(r"state in (\S+)\)", "".join(up.lines)).group(1)
        assert Path(state_dir, "authority", "ca.pem").exists()
        workers = children_of(up.process.pid)  # the default: one process per usable core, or this one alone
        assert len(workers) == (usable_cores() if usable_cores() > 1 else 0)
        # SIGUSR1: where every thread waits, on stderr, and the process goes on serving
        for pid in (up.process.pid, *workers):
            os.kill(pid, signal.SIGUSR1)
        for name, url in up.urls.items():
            assert requests.get(url + "/_sandbox/health", timeout=5).json() == {"status": "ok", "service": name}
    finally:
        code = up.stop(signum)
    assert code == 0
    stacks = up.err()
    assert stacks.count("most recent call first") >= 1 + len(workers) and 'File "' in stacks, stacks
    assert not any(Path("/proc", str(pid)).exists() for pid in workers), "no worker outlives the supervisor"
    assert "stopped" in up.rest
    assert all(refuses_connections(url) for url in up.urls.values())
    assert not Path(state_dir).exists(), "--ephemeral must remove its state directory"


def test_state_survives_a_restart_with_the_same_jwks(tmp_path):
    env = cli_env({"DSOP_SANDBOX__STATE_DIR": str(tmp_path)})
    first = Running("up", env=env)
    jwks = requests.get(first.urls["maskinporten"] + "/jwk", timeout=5).json()
    assert first.stop() == 0
    second = Running("up", env=env)
    try:
        assert requests.get(second.urls["maskinporten"] + "/jwk", timeout=5).json() == jwks
    finally:
        assert second.stop() == 0


def test_register_insurer_writes_its_files_and_prints_the_facts(tmp_path, capsys):
    # a state directory with the session's test PKI (up --ephemeral, which makes its own, is tested above)
    up = Running("up", env=cli_env({"DSOP_SANDBOX__STATE_DIR": str(with_test_keys(tmp_path / "state"))}))
    try:
        out = tmp_path / "insurer"
        done = run_cli(
            "register-insurer",
            "--org",
            "310000019",
            "--name",
            "Eksempel Forsikring AS",
            "--redirect-uri",
            "http://localhost:7200/claims/callback",
            "--out",
            str(out),
            "--control-url",
            up.urls["control"],
        )
        assert done.returncode == 0, done.stderr
        facts = json.loads(done.stdout)
        assert set(facts) == {"org", "name", "consent", "certificate", "maskinporten", "idporten", "altinn", "nav"}
        assert facts["consent"] == "altinn3"  # the default for new profiles
        assert facts["certificate"] == {
            "key": str(out / "enterprise.key.pem"),
            "chain": str(out / "enterprise.cert.pem"),
            "ca": str(out / "ca.pem"),
        }
        assert facts["maskinporten"]["issuer"] == up.urls["maskinporten"] + "/"
        assert facts["altinn"]["service_code"] == "5252"  # Altinn 2
        assert facts["altinn"]["resource"] == "nav_samtykke_dsop_aap-ufore"  # Altinn 3
        assert facts["altinn"]["consent_requests"] == (
            up.urls["altinn"] + "/accessmanagement/api/v1/enterprise/consentrequests"
        )
        assert {"altinn:consentrequests.write", "altinn:consentrequests.read"} <= set(facts["maskinporten"]["scopes"])
        listed = requests.get(up.urls["altinn"] + "/_sandbox/resources/nav_samtykke_dsop_aap-ufore/access-list")
        assert listed.json()["access_list"] == ["310000019"]
        assert oct((out / "enterprise.key.pem").stat().st_mode)[-3:] == "600"
        profile = tomllib.loads((out / "insurer.toml").read_text())
        assert profile["insurer"] == {"name": "Eksempel Forsikring AS", "org": "310000019", "consent": "altinn3"}
        for table in ("certificate", "maskinporten", "idporten", "altinn", "nav"):
            assert profile[table] == facts[table]
        # The written key and chain are all an insurer needs for a Maskinporten token.
        keys = InsurerKeys.from_files(out / "enterprise.key.pem", out / "enterprise.cert.pem")
        assert len(keys.chain) == 3
        mp = facts["maskinporten"]
        answer = requests.post(
            mp["token_endpoint"],
            timeout=10,
            data={
                "grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer",
                "assertion": grant(keys, mp["client_id"], mp["issuer"], " ".join(mp["scopes"])),
            },
        )
        assert answer.status_code == 200, answer.text
        listed = run_cli("events", "--control-url", up.urls["control"])
        assert "maskinporten" in listed.stdout and "token" in listed.stdout
        moved = run_cli("clock", "--control-url", up.urls["control"], "advance", "P3Y")
        assert moved.returncode == 0 and "on 5 services" in moved.stdout
        shown = run_main(capsys, "clock", "--control-url", up.urls["control"], "show")
        assert re.search(r"calendar time\s+(\d{4})", shown.stdout).group(1) == str(
            int(re.search(r"protocol time\s+(\d{4})", shown.stdout).group(1)) + 3
        )
        bad = run_main(
            capsys,
            "register-insurer",
            "--org",
            "310000001",
            "--name",
            "X",
            "--redirect-uri",
            "http://localhost/cb",
            "--out",
            str(tmp_path / "bad"),
            "--control-url",
            up.urls["control"],
        )
        assert bad.returncode == 1 and "mod-11" in bad.stderr
    finally:
        assert up.stop() == 0


def test_serve_runs_one_service_alone(tmp_path):
    env = cli_env({"DSOP_SANDBOX__STATE_DIR": str(with_test_keys(tmp_path))})
    alone = Running("serve", "maskinporten", env=env)
    try:
        assert list(alone.urls) == ["maskinporten"]
        metadata = requests.get(alone.urls["maskinporten"] + "/.well-known/oauth-authorization-server", timeout=5)
        assert metadata.json()["issuer"] == alone.urls["maskinporten"] + "/"
    finally:
        assert alone.stop() == 0


def test_commands_that_cannot_start_exit_2(tmp_path, capsys, monkeypatch):
    for name in [name for name in os.environ if name.startswith("DSOP_SANDBOX_")]:
        monkeypatch.delenv(name)
    for name, value in cli_env().items():  # free ports, as for a child: a refusal that failed never takes 7100
        if name.startswith("DSOP_SANDBOX_"):
            monkeypatch.setenv(name, value)
    assert run_main(capsys, "up", "--profile", "altinn3").returncode == 2  # there are no sandbox profiles
    bad_config = tmp_path / "bad.toml"
    bad_config.write_text("[maskinporten]\nclock_skew = 'ten'\n")
    done = run_main(capsys, "up", "--config", str(bad_config))
    assert done.returncode == 2 and "maskinporten.clock_skew" in done.stderr
    # a real process: the hint names the command as this process was started (python -m dsop_sandbox.cli)
    nobody = run_cli("clock", "--control-url", "http://127.0.0.1:9", "show")
    assert nobody.returncode == 2 and "start one with: python -m dsop_sandbox.cli up" in nobody.stderr
    monkeypatch.setenv(COMMAND_VARIABLE, "./dev")
    through_dev = run_main(capsys, "clock", "show", "--control-url", "http://127.0.0.1:9")
    assert through_dev.returncode == 2 and "start one with: ./dev up" in through_dev.stderr

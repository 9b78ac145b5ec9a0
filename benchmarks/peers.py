"""dsop-sandbox against what a user would pick instead, under the same wrk load, in one run.

The peers (issue 18): npm's ``oauth2-mock-server`` 9.3 (a token for any grant it is sent, no
check) against Maskinporten's ``POST /token``, and Stoplight Prism 5.16 mocking NAV's own
``/openapi.json`` (no token check, nothing logged) against NAV's uføre endpoint. Both peers are
installed with npm into a cache folder outside the repository (:data:`CACHE`, pinned to the
nearest versions the registry has); wrk is installed with apt when missing.

Each side gets the same load: wrk, 2 threads, 16 connections, 8 s (``--threads``,
``--connections``, ``--seconds``).

* Tokens: every request posts a different grant (a DSOP grant with the enterprise certificate in
  ``x5c``, a fresh ``jti``), all signed before the clock starts and cycled through by a wrk Lua
  script (each wrk thread takes its own share, so no grant is sent twice unless the run outlasts
  them: then the sandbox refuses the replay, MP-012, and the run says so). The peer gets the same
  grants.
* NAV: ``GET /dsop-ufo/uforeopplysninger`` with a valid Maskinporten token carrying an Altinn 3
  consent (checked: signature, issuer, lifetime, scope, access list, person, consent, period) and
  ``fnr``; every answer writes a disclosure record first. Prism gets the same request.

The sandbox's work is checked after each run, not assumed: no non-2xx answer and no socket error,
a sample of the grants sent is refused when replayed (the ``jti`` store has them), and NAV's
disclosure log grew by at least the number of 200s wrk counted.

``--workers N`` is passed to ``dsop-sandbox up``. ``--soak`` drives the sandbox alone with 200
connections for 60 s (tokens, then NAV) and reports errors and p50/p99. The machine is shared:
wall-time numbers are noisy; run it again when it is quiet.

    .venv/bin/python benchmarks/peers.py [--workers 2] [--soak]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks._sandbox_process import SandboxProcess
from dsop_sandbox.ports import free_ports
from tests.support import InsurerKeys, grant

CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "dsop-sandbox" / "peers"
#: npm package -> the version range installed (the issue's versions, or the nearest the registry has).
PEERS = {"oauth2-mock-server": "~9.3.0", "@stoplight/prism-cli": "~5.16.0"}
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
ORG = "310000019"
PID = "15838512329"  # Kari Nordmann, a synthetic persona NAV knows
SCOPES = "nav:helse/v1/uforeopplysninger nav:arbeid/v1/aap"
UFORE_PATH = "/dsop-ufo/uforeopplysninger"
#: Grants are signed for at most this many seconds (Maskinporten takes up to 180).
GRANT_LIFETIME = 170
REPLAY_SAMPLE = 20

TOKEN_SCRIPT = """
local counter = 0
function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
end
function init(args)
  bodies = {}
  local n = 0
  for line in io.lines("%(file)s") do
    if n %% %(threads)d == id then bodies[#bodies + 1] = line end
    n = n + 1
  end
  sent = 0
end
function request()
  sent = sent + 1
  local body = bodies[((sent - 1) %% #bodies) + 1]
  return wrk.format("POST", "%(path)s", {["Content-Type"] = "application/x-www-form-urlencoded"}, body)
end
"""


# -- installing ------------------------------------------------------------------------------------
def installed_version(package: str) -> str | None:
    manifest = CACHE / "node_modules" / package / "package.json"
    return json.loads(manifest.read_text())["version"] if manifest.exists() else None


def install_peers() -> dict[str, str]:
    """The peers in :data:`CACHE` (npm install when a pin is not met); their versions."""
    missing = [f"{name}@{wanted}" for name, wanted in PEERS.items() if not _meets(installed_version(name), wanted)]
    if missing:
        if shutil.which("npm") is None:
            raise SystemExit("npm is needed to install the peers (Debian: apt-get install npm)")
        CACHE.mkdir(parents=True, exist_ok=True)
        print(f"installing {' '.join(missing)} into {CACHE}", file=sys.stderr, flush=True)
        subprocess.run(
            ["npm", "install", "--no-audit", "--no-fund", "--prefix", str(CACHE), *missing],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    return {name: installed_version(name) for name in PEERS}


def _meets(version: str | None, wanted: str) -> bool:
    """``~X.Y.0``: any X.Y.*."""
    return version is not None and version.split(".")[:2] == wanted.lstrip("~").split(".")[:2]


def install_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    print("installing wrk with apt", file=sys.stderr, flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    subprocess.run([*sudo, "apt-get", "install", "-y", "wrk"], check=True, env=env, stdout=subprocess.DEVNULL)
    return shutil.which("wrk") or "wrk"


# -- wrk ---------------------------------------------------------------------------------------------
@dataclass
class WrkResult:
    requests: int
    per_second: float
    non_2xx: int
    socket_errors: int
    latency_ms: dict[str, float]

    def describe(self) -> dict:
        return {
            "requests": self.requests,
            "per_second": round(self.per_second),
            "non_2xx": self.non_2xx,
            "socket_errors": self.socket_errors,
            "latency_ms": self.latency_ms,
        }


def _ms(value: str, unit: str) -> float:
    return round(float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit], 2)


def parse_wrk(output: str) -> WrkResult:
    total = re.search(r"(\d+) requests in", output)
    rate = re.search(r"Requests/sec:\s+([0-9.]+)", output)
    if not total or not rate:
        raise SystemExit(f"wrk said:\n{output}")
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    percentiles = re.findall(r"^\s+(\d+)%\s+([0-9.]+)(us|ms|s|m)\s*$", output, re.M)
    latency = {f"p{pct}": _ms(value, unit) for pct, value, unit in percentiles}
    return WrkResult(
        int(total.group(1)),
        float(rate.group(1)),
        int(non_2xx.group(1)) if non_2xx else 0,
        sum(int(n) for n in errors.groups()) if errors else 0,
        latency,
    )


def run_wrk(wrk: str, url: str, load: argparse.Namespace, *, script: Path | None = None, headers=(), **override):
    threads = override.get("threads", load.threads)
    command = [
        wrk,
        f"-t{threads}",
        f"-c{override.get('connections', load.connections)}",
        f"-d{override.get('seconds', load.seconds)}s",
        "--latency",
        "--timeout",
        "10s",
    ]
    for header in headers:
        command += ["-H", header]
    if script is not None:
        command += ["-s", str(script)]
    output = subprocess.run([*command, url], check=True, capture_output=True, text=True).stdout
    return parse_wrk(output)


# -- processes -----------------------------------------------------------------------------------------
def wait_for(url: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            requests.get(url, timeout=2)
            return
        except requests.RequestException:
            time.sleep(0.2)
    raise SystemExit(f"{url} did not answer within {seconds} s")


class Peer:
    """A peer started from :data:`CACHE` on a free port, stopped by its process id."""

    def __init__(self, command: list[str], port: int, ready_path: str, log: Path):
        """``log`` takes what the peer prints (Prism logs every request: a pipe nobody reads
        would fill and stop it)."""
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        with log.open("wb") as output:
            self.process = subprocess.Popen(command, cwd=CACHE, stdout=output, stderr=subprocess.STDOUT)
        wait_for(self.url + ready_path)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()


def oauth2_mock_server(folder: Path) -> Peer:
    port = free_ports(1)[0]
    binary = CACHE / "node_modules" / ".bin" / "oauth2-mock-server"
    command = [str(binary), "-a", "127.0.0.1", "-p", str(port)]
    return Peer(command, port, "/.well-known/openid-configuration", folder / "oauth2-mock-server.log")


def prism(openapi: Path, folder: Path) -> Peer:
    port = free_ports(1)[0]
    binary = CACHE / "node_modules" / ".bin" / "prism"
    command = [str(binary), "mock", "-h", "127.0.0.1", "-p", str(port), "--errors", str(openapi)]
    return Peer(command, port, "/", folder / "prism.log")


# -- the insurer -------------------------------------------------------------------------------------
class SigningKeys:
    """:class:`InsurerKeys` with the private key loaded once (``grant`` reads it per grant)."""

    def __init__(self, keys: InsurerKeys):
        self.private_key = keys.private_key
        self._x5c = keys.x5c()

    def x5c(self) -> list[str]:
        return self._x5c


class Insurer:
    def __init__(self, sandbox: SandboxProcess):
        self.urls = sandbox.urls
        facts = requests.post(
            self.urls["control"] + "/_sandbox/insurers",
            timeout=30,
            json={"org": ORG, "name": "Benchmark Forsikring AS", "redirect_uri": "http://localhost:7200/callback"},
        ).json()
        certificate = facts["certificate"]
        self.keys = SigningKeys(InsurerKeys.from_pem(certificate["key_pem"], certificate["chain_pem"]))
        self.mp = facts["maskinporten"]

    def grant_body(self, **claims) -> str:
        """A grant with ``sub`` (Maskinporten takes it when it is the client_id; oauth2-mock-server
        refuses a jwt-bearer grant without it)."""
        client_id = self.mp["client_id"]
        assertion = grant(
            self.keys, client_id, self.mp["issuer"], SCOPES, lifetime=GRANT_LIFETIME, sub=client_id, **claims
        )
        return urlencode({"grant_type": JWT_BEARER, "assertion": assertion})

    def token(self, **claims) -> str:
        answer = requests.post(
            self.mp["token_endpoint"],
            data=self.grant_body(**claims),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            timeout=30,
        )
        assert answer.status_code == 200, answer.text
        return answer.json()["access_token"]

    def nav_headers(self) -> list[str]:
        """A token carrying a fresh Altinn 3 consent from Kari to the insurer, and her fnr."""
        consent = requests.post(
            self.urls["altinn"] + "/_sandbox/altinn3/consents", json={"from": PID, "to": ORG}, timeout=30
        )
        assert consent.status_code == 201, consent.text
        details = [
            {"type": "urn:altinn:consent", "id": consent.json()["id"], "from": f"urn:altinn:person:identifier-no:{PID}"}
        ]
        return [f"Authorization: Bearer {self.token(authorization_details=details)}", f"fnr: {PID}"]

    def disclosures(self) -> int:
        """How many entries NAV's disclosure log holds (paged through)."""
        count, since = 0, 0
        while True:
            page = requests.get(
                self.urls["nav"] + "/_sandbox/disclosures", params={"since": since, "limit": 1000}, timeout=30
            ).json()
            count += len(page["disclosures"])
            if not page.get("next"):
                return count
            since = page["next"]


# -- the runs ------------------------------------------------------------------------------------------
def sign_grants(insurer: Insurer, count: int, folder: Path) -> Path:
    began = time.perf_counter()
    path = folder / "grants.txt"
    path.write_text("\n".join(insurer.grant_body() for _ in range(count)) + "\n")
    print(f"signed {count} grants in {time.perf_counter() - began:.1f} s", file=sys.stderr, flush=True)
    return path


def soak_grants(insurer: Insurer, seconds: int) -> int:
    """Grants for 2,500 tokens a second (a replayed one would be refused, MP-012, not a token), but
    no more than this machine signs before the first of them would expire during the run: they are
    all signed before it starts, and Maskinporten refuses an expired grant."""
    began = time.perf_counter()
    for _ in range(200):
        insurer.grant_body()
    per_second = 200 / (time.perf_counter() - began)
    return int(min(2500 * seconds, per_second * (GRANT_LIFETIME - seconds - 20)))


def token_script(folder: Path, grants: Path, target_path: str, threads: int) -> Path:
    script = folder / f"token-{abs(hash(target_path))}.lua"
    script.write_text(TOKEN_SCRIPT % {"file": grants, "threads": threads, "path": target_path})
    return script


def replays_not_refused(insurer: Insurer, grants: Path, sent: int, threads: int) -> list[str]:
    """A sample of the grants wrk sent, posted again: each must be refused as a replay (MP-012);
    the answers that were not."""
    lines = grants.read_text().splitlines()
    # wrk thread t sends lines t, t + threads, …, and the threads need not send as many: the first
    # half of an even share surely went out.
    sent_lines = lines[: min(len(lines), (sent // threads // 2) * threads)]
    missed = []
    for body in random.sample(sent_lines, min(REPLAY_SAMPLE, len(sent_lines))):
        answer = requests.post(
            insurer.mp["token_endpoint"],
            data=body,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            timeout=30,
        )
        if answer.status_code != 400 or "MP-012" not in answer.text:
            missed.append(f"line {lines.index(body)}: {answer.status_code} {answer.text[:200]}")
    return missed


def tokens(wrk: str, insurer: Insurer, load, folder: Path, peer: Peer | None, grant_count: int, **override) -> dict:
    threads = override.get("threads", load.threads)
    grants = sign_grants(insurer, grant_count, folder)
    path = urlsplit(insurer.mp["token_endpoint"]).path
    script = token_script(folder, grants, path, threads)
    ours = run_wrk(wrk, insurer.mp["token_endpoint"], load, script=script, **override)
    result = {"dsop_sandbox": ours.describe()}
    missed = replays_not_refused(insurer, grants, ours.requests, threads)
    result["dsop_sandbox"]["replays_refused"] = not missed
    if missed:
        result["dsop_sandbox"]["replays_not_refused"] = missed
    if ours.requests > grant_count:
        result["dsop_sandbox"]["note"] = f"the run sent more requests than the {grant_count} grants signed"
    if peer is not None:
        theirs = run_wrk(wrk, peer.url + "/token", load, script=token_script(folder, grants, "/token", threads))
        result["oauth2-mock-server"] = theirs.describe()
        result["ratio"] = round(ours.per_second / theirs.per_second, 2)
    return result


def nav(wrk: str, insurer: Insurer, load, peer: Peer | None, **override) -> dict:
    headers = insurer.nav_headers()
    before = insurer.disclosures()
    ours = run_wrk(wrk, insurer.urls["nav"] + UFORE_PATH, load, headers=headers, **override)
    logged = insurer.disclosures() - before
    result = {"dsop_sandbox": {**ours.describe(), "disclosures_written": logged}}
    result["dsop_sandbox"]["every_200_logged"] = logged >= ours.requests - ours.non_2xx
    if peer is not None:
        theirs = run_wrk(wrk, peer.url + UFORE_PATH, load, headers=headers)
        result["prism"] = theirs.describe()
        result["ratio"] = round(ours.per_second / theirs.per_second, 2)
    return result


def checked(name: str, result: dict) -> list[str]:
    ours = result["dsop_sandbox"]
    problems = [
        f"{name}: the peer {peer} answered {result[peer]['non_2xx']} non-2xx: the ratio compares nothing"
        for peer in ("oauth2-mock-server", "prism")
        if peer in result and result[peer]["non_2xx"]
    ]
    if ours["non_2xx"] or ours["socket_errors"]:
        problems.append(f"{name}: {ours['non_2xx']} non-2xx answers, {ours['socket_errors']} socket errors")
    if ours.get("replays_refused") is False:
        problems.append(f"{name}: a grant wrk sent was not refused when replayed (the jti store missed it)")
    if ours.get("every_200_logged") is False:
        problems.append(f"{name}: fewer disclosure records than 200 answers")
    return problems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, help="passed to `dsop-sandbox up --workers N`")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--grants", type=int, default=20000, help="grants signed per token run")
    parser.add_argument("--soak", action="store_true", help="200 connections for 60 s against the sandbox alone")
    load = parser.parse_args()
    wrk = install_wrk()
    versions = {} if load.soak else install_peers()
    sandbox = SandboxProcess(*(["--workers", str(load.workers)] if load.workers else []))
    started: list[Peer] = []
    report: dict = {"load": {k: getattr(load, k) for k in ("workers", "threads", "connections", "seconds")}}
    try:
        insurer = Insurer(sandbox)
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            if load.soak:
                soak = {"threads": 2, "connections": 200, "seconds": 60}
                report["load"] = {"workers": load.workers, **soak}
                count = soak_grants(insurer, soak["seconds"])
                report["token"] = tokens(wrk, insurer, load, folder, None, max(load.grants, count), **soak)
                report["nav_ufore"] = nav(wrk, insurer, load, None, **soak)
            else:
                report["peers"] = versions
                openapi = folder / "nav-openapi.json"
                openapi.write_text(requests.get(sandbox.urls["nav"] + "/openapi.json", timeout=30).text)
                started += [oauth2_mock_server(folder), prism(openapi, folder)]
                report["token"] = tokens(wrk, insurer, load, folder, started[0], load.grants)
                report["nav_ufore"] = nav(wrk, insurer, load, started[1])
    finally:
        for peer in started:
            peer.stop()
        sandbox.stop()
    report["note"] = "wall-time numbers on a shared machine: noisy; rerun when it is quiet"
    print(json.dumps(report, indent=2))
    problems = checked("token", report["token"]) + checked("nav_ufore", report["nav_ufore"])
    if problems:
        raise SystemExit("\n".join(problems))


if __name__ == "__main__":
    main()

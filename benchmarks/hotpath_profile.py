"""What one request costs on the hot paths, in process: CPU per request and where it goes, by part.

Four requests, each made as an insurer makes it and checked to be a 200 with the real work done:

* ``token``: Maskinporten ``POST /token``, a DSOP grant signed with the enterprise certificate in
  ``x5c`` (chain, signature, claims, scope and access list, the ``jti`` replay store, RS256 signing
  of the token, the event);
* ``token_altinn3``: the same grant asking for an Altinn 3 consent in ``authorization_details``:
  Maskinporten also looks the consent up at Altinn (over "HTTP", answered by Altinn's app in this
  process, so Altinn's work and the HTTP client's are in the number too);
* ``ufore_altinn2``: NAV's uføre endpoint with a Maskinporten token and an Altinn 2 consent token
  (both JWTs verified against the issuers' JWKS, access list, person, consent, the disclosure
  record written before the answer, the event);
* ``ufore_altinn3``: the same with the Altinn 3 consent inside the Maskinporten token.

The sandbox runs in this process (tests/wsgi_network.py: no sockets); the WSGI environ of every
request is built before the clock starts, and each request is handed to the service's WSGI app
exactly as cheroot hands it over (``body_first`` included). CPU is ``time.process_time`` over the
loop (the machine is shared: wall time is not the measure). ``--profile`` adds a cProfile of the
loop, its own time summed by part (RSA, SQLite, Flask/Werkzeug, JSON, the sandbox's own code …)
and the top functions. ``--served`` drives the same requests over keep-alive HTTP against
``dsop-sandbox up --workers 1`` in a child process and reads that process's CPU from ``/proc``,
so that the difference is the server's (cheroot's) share.

For instruction counts (repeatable on a busy machine), run it under callgrind with
instrumentation off and ``HOTPATH_CALLGRIND`` set: it is switched on for the requests only (the
totals line of the output file divided by ``--requests``). With ``--served-only`` the script
starts ``up`` under callgrind itself and ``HOTPATH_CALLGRIND`` names the output file::

    HOTPATH_CALLGRIND=1 valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file=cg.out \\
        .venv/bin/python benchmarks/hotpath_profile.py --only token --requests 30
    HOTPATH_CALLGRIND=cg-served.out .venv/bin/python benchmarks/hotpath_profile.py --served-only \\
        --only ufore_altinn3 --requests 100

    .venv/bin/python benchmarks/hotpath_profile.py [--requests 300] [--profile] [--served] [--only NAME]

What it measured is in benchmarks/hotpath.md.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import subprocess
import sys
import tempfile
import time
import uuid
from http.client import HTTPConnection
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import requests
from werkzeug.test import EnvironBuilder

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from dsop_sandbox.mocks.common.settings import SERVICE_NAMES, Settings
from dsop_sandbox.wsgi_server import body_first
from tests.keys import with_test_keys
from tests.support import InsurerKeys, grant
from tests.wsgi_network import InProcessSandbox

JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
ORG = "310000019"
PID = "15838512329"  # Kari Nordmann, a synthetic persona NAV knows
UFORE_SCOPE = "nav:helse/v1/uforeopplysninger"
SCOPES = f"{UFORE_SCOPE} nav:arbeid/v1/aap"
#: Set when running under callgrind (see :func:`counted`); with ``--served``, it names the file
#: callgrind writes the served sandbox's counts to.
CALLGRIND = "HOTPATH_CALLGRIND"
SCENARIOS = ("token", "token_altinn3", "ufore_altinn2", "ufore_altinn3")
#: How cProfile's function names map to the parts of a request (first match wins).
PARTS = (
    ("RSA and X.509 (cryptography)", ("cryptography", "_rust", "RSAPrivateKey", "RSAPublicKey", "Certificate")),
    ("SQLite", ("sqlite3",)),
    ("JSON", ("json/", "json.", "'dumps'", "'loads'")),
    ("PyJWT (signing)", ("/jwt/",)),
    ("requests/urllib3 (Altinn lookup client)", ("/requests/", "/urllib3/", "/http/client", "/email/")),
    ("Flask/Werkzeug", ("/flask/", "/werkzeug/")),
    ("sandbox: events", ("mocks/common/events",)),
    ("sandbox: middleware", ("mocks/common/service", "sandbox/wsgi_server")),
    ("sandbox: Maskinporten", ("mocks/maskinporten",)),
    ("sandbox: NAV", ("mocks/nav",)),
    ("sandbox: Altinn", ("mocks/altinn",)),
    ("sandbox: common", ("dsop_sandbox",)),
)


class World:
    """A registered insurer at a sandbox (in process or served) and what its requests need."""

    def __init__(self, urls: dict[str, str], http: requests.Session):
        """The admin calls need no token: the sandbox is bound to loopback and they send JSON."""
        self.urls, self.http = urls, http
        facts = http.post(
            urls["control"] + "/_sandbox/insurers",
            timeout=30,
            json={"org": ORG, "name": "Benchmark Forsikring AS", "redirect_uri": "http://localhost:7200/callback"},
        ).json()
        self.keys = InsurerKeys.from_pem(facts["certificate"]["key_pem"], facts["certificate"]["chain_pem"])
        self.mp = facts["maskinporten"]
        self.api_key = facts["altinn"]["api_key"]

    def grant(self, **claims) -> str:
        return grant(self.keys, self.mp["client_id"], self.mp["issuer"], SCOPES, lifetime=170, **claims)

    def token(self, **claims) -> str:
        answer = self.http.post(
            self.mp["token_endpoint"], data={"grant_type": JWT_BEARER, "assertion": self.grant(**claims)}
        )
        assert answer.status_code == 200, answer.text
        return answer.json()["access_token"]

    def altinn3_consent(self) -> list[dict]:
        answer = self.http.post(self.urls["altinn"] + "/_sandbox/altinn3/consents", json={"from": PID, "to": ORG})
        assert answer.status_code == 201, answer.text
        return [
            {"type": "urn:altinn:consent", "id": answer.json()["id"], "from": f"urn:altinn:person:identifier-no:{PID}"}
        ]

    def altinn2_consent_token(self) -> str:
        answer = self.http.post(self.urls["altinn"] + "/_sandbox/consents", json={"covered_by": ORG, "offered_by": PID})
        assert answer.status_code == 201, answer.text
        code = answer.json()["AuthorizationCode"]
        answer = self.http.get(
            f"{self.urls['altinn']}/api/authorization/token/{code}", headers={"ApiKey": self.api_key}
        )
        assert answer.status_code == 200, answer.text
        return answer.json()

    def requests_for(self, scenario: str, count: int) -> tuple[str, list[tuple[str, str, dict, bytes]]]:
        """(service, [(method, path, headers, body)]) for ``count`` requests of ``scenario``."""
        form = {"Content-Type": "application/x-www-form-urlencoded"}
        if scenario.startswith("token"):
            details = {"authorization_details": self.altinn3_consent()} if scenario == "token_altinn3" else {}
            path = urlsplit(self.mp["token_endpoint"]).path
            bodies = [
                urlencode({"grant_type": JWT_BEARER, "assertion": self.grant(**details)}).encode() for _ in range(count)
            ]
            return "maskinporten", [("POST", path, form, body) for body in bodies]
        headers = {"fnr": PID, "Nav-Call-Id": str(uuid.uuid4())}
        if scenario == "ufore_altinn2":
            headers["NAV-Samtykke-Token"] = self.altinn2_consent_token()
            headers["Authorization"] = "Bearer " + self.token()
        else:
            headers["Authorization"] = "Bearer " + self.token(authorization_details=self.altinn3_consent())
        return "nav", [("GET", "/dsop-ufo/uforeopplysninger", headers, b"")] * count


def check_answer(scenario: str, status: int, body: bytes) -> None:
    if status != 200:
        raise SystemExit(f"{scenario}: {status} {body[:300]!r}")
    answer = json.loads(body)
    key = "access_token" if scenario.startswith("token") else "beregningsperioder"
    if key not in answer:
        raise SystemExit(f"{scenario}: no {key} in {body[:300]!r}")


def environ_of(base_url: str, method: str, path: str, headers: dict, body: bytes) -> dict:
    builder = EnvironBuilder(path=path, base_url=base_url, method=method, headers=headers, data=body)
    try:
        return builder.get_environ()
    finally:
        builder.close()


def call(app, environ: dict) -> tuple[int, bytes]:
    statuses = []

    def start_response(status, headers, exc_info=None):
        statuses.append(int(status.split(" ", 1)[0]))

    result = app(environ, start_response)
    try:
        body = b"".join(result)
    finally:
        if hasattr(result, "close"):
            result.close()
    return statuses[0], body


def counted(loop, pid: int | None = None):
    """``loop()``, with callgrind's instrumentation switched on around it when process ``pid``
    (default: this one) runs under ``valgrind --tool=callgrind --instr-atstart=no``
    (``callgrind_control`` answers once valgrind has switched), so that only the requests'
    instructions are counted."""
    if not os.environ.get(CALLGRIND):
        return loop()
    target = str(pid or os.getpid())
    subprocess.run(["callgrind_control", "--instr=on", target], check=True, capture_output=True)
    try:
        return loop()
    finally:
        subprocess.run(["callgrind_control", "--instr=off", target], check=True, capture_output=True)


def part_of(where: str) -> str:
    for part, markers in PARTS:
        if any(marker in where for marker in markers):
            return part
    return "Python and the rest"


def by_part(profile: cProfile.Profile, requests_made: int) -> tuple[dict[str, float], list[tuple[float, str]]]:
    """Own time (ms per request) summed by part, and the top functions by own time."""
    stats = pstats.Stats(profile)
    parts: dict[str, float] = {}
    functions = []
    for (filename, line, name), (_cc, _nc, tottime, _ct, _callers) in stats.stats.items():
        where = f"{filename}:{line}({name})"
        ms = tottime * 1000 / requests_made
        parts[part_of(where)] = parts.get(part_of(where), 0.0) + ms
        functions.append((ms, where.replace(str(Path(sys.prefix)), "")))
    functions.sort(reverse=True)
    return dict(sorted(parts.items(), key=lambda item: -item[1])), functions[:15]


def in_process(scenarios, count: int, profile: bool) -> dict:
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        state = with_test_keys(Path(tmp) / "state")
        settings = Settings.load(environ={}, overrides={"state_dir": str(state)})
        with InProcessSandbox(settings) as sandbox, sandbox.session() as http:
            world = World({name: sandbox.url(name) for name in SERVICE_NAMES}, http)
            for scenario in scenarios:
                service, made = world.requests_for(scenario, count + 20)
                app = body_first(sandbox.app(service), sandbox.settings.max_body_bytes)
                environs = [environ_of(sandbox.url(service), *request) for request in made]
                for environ in environs[:20]:  # warm-up: caches, JWKS fetches, first connections
                    check_answer(scenario, *call(app, environ))
                profiler = cProfile.Profile() if profile else None
                began = time.process_time()
                if profiler:
                    profiler.enable()
                answers = counted(lambda app=app, todo=environs[20:]: [call(app, environ) for environ in todo])
                if profiler:
                    profiler.disable()
                cpu = time.process_time() - began
                for answer in answers:
                    check_answer(scenario, *answer)
                result = {"cpu_ms_per_request": round(cpu * 1000 / count, 3)}
                if profiler:
                    parts, top = by_part(profiler, count)
                    result["own_ms_per_request_by_part (under cProfile)"] = {k: round(v, 3) for k, v in parts.items()}
                    result["top_functions"] = [f"{ms:.3f} ms {where}" for ms, where in top]
                results[scenario] = result
    return results


def served(scenarios, count: int) -> dict:
    from benchmarks._sandbox_process import SandboxProcess, process_cpu

    results = {}
    prefix = ()
    if os.environ.get(CALLGRIND):  # count the served sandbox's instructions, not this process's
        out = os.environ[CALLGRIND]
        prefix = ("valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={out}")
    sandbox = SandboxProcess("--workers", "1", prefix=prefix)  # one process: its CPU is the server's
    try:
        with requests.Session() as http:
            http.trust_env = False
            world = World(sandbox.urls, http)
            for scenario in scenarios:
                service, made = world.requests_for(scenario, count + 20)
                target = urlsplit(sandbox.urls[service])
                connection = HTTPConnection(target.hostname, target.port, timeout=300)

                def send(todo, connection=connection):
                    answers = []
                    for method, path, headers, body in todo:
                        connection.request(method, path, body or None, headers)
                        response = connection.getresponse()
                        answers.append((response.status, response.read()))
                    return answers

                answers = send(made[:20])
                began = process_cpu(sandbox.process.pid)
                answers += counted(lambda todo=made[20:]: send(todo), sandbox.process.pid)
                cpu = process_cpu(sandbox.process.pid) - began
                connection.close()
                for answer in answers:
                    check_answer(scenario, *answer)
                results[scenario] = {"served_cpu_ms_per_request": round(cpu * 1000 / count, 3)}
    finally:
        sandbox.stop()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--only", choices=SCENARIOS, action="append")
    parser.add_argument("--profile", action="store_true", help="add a cProfile breakdown by part")
    parser.add_argument("--served", action="store_true", help="also over keep-alive HTTP against `up`")
    parser.add_argument("--served-only", action="store_true", help="only over HTTP (callgrind: count `up`)")
    args = parser.parse_args()
    scenarios = args.only or SCENARIOS
    report = {"requests_per_scenario": args.requests}
    if not args.served_only:
        report["in_process"] = in_process(scenarios, args.requests, args.profile)
    if args.served or args.served_only:
        report["served"] = served(scenarios, args.requests)
    print(json.dumps(report, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()

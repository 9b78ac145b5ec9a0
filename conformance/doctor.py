"""``dsop-sandbox doctor``: is everything in place for a conformance run? Tells configuration
errors (what to fix before a run means anything) apart from conformance failures (what a run
reports)."""

from __future__ import annotations

import socket
import time
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

from .hints import command
from .profile import InsurerProfile, ProfileError
from .sandbox_api import SandboxApi, SandboxUnavailable, same_secret

CLOCK_TOLERANCE = 5.0


@dataclass
class Check:
    name: str
    ok: bool
    detail: str
    fix: str = ""


def _reachable(url: str, timeout: float = 3.0) -> str | None:
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        with socket.create_connection((parts.hostname, port), timeout=timeout):
            return None
    except OSError as exc:
        return f"{parts.hostname}:{port}: {exc.strerror or exc}"


def diagnose(
    profile_path: str, control_url: str, *, verify: bool | str = True, token: str | None = None
) -> list[Check]:
    checks: list[Check] = []
    try:
        profile = InsurerProfile.load(profile_path)
        checks.append(
            Check("profile", True, f"{profile.name} ({profile.org}), consent {profile.consent}, from {profile_path}")
        )
    except ProfileError as exc:
        checks.append(Check("profile", False, str(exc), "fill in [insurer] start_url and fetch_url in insurer.toml"))
        profile = None
    api = SandboxApi(control_url, verify=verify, token=token)
    try:
        listed = api.connect()
        unhealthy = [name for name, s in listed["services"].items() if s.get("health", "ok") != "ok"]
        checks.append(
            Check(
                "sandbox",
                not unhealthy,
                f"control plane at {control_url}; services "
                + ", ".join(f"{name} {s['base_url']}" for name, s in listed["services"].items()),
                f"restart the sandbox; unhealthy: {', '.join(unhealthy)}" if unhealthy else "",
            )
        )
    except SandboxUnavailable as exc:
        checks.append(
            Check(
                "sandbox",
                False,
                f"the control plane at {control_url} does not answer: {exc}",
                f"start it: {command()} up (or pass --control-url)",
            )
        )
        return checks
    checks.append(_clock(api))
    if profile is None:
        return checks
    try:
        registered = {i["org"]: i for i in api.insurers()}
    except SandboxUnavailable as exc:
        registered = {}
        checks.append(Check("registration", False, str(exc)))
    if profile.org in registered:
        facts = registered[profile.org]
        same_key = same_secret(facts.get("altinn", {}).get("api_key"), profile.tables.get("altinn", {}).get("api_key"))
        checks.append(
            Check(
                "registration",
                same_key,
                f"{profile.org} is registered"
                + ("" if same_key else ", but with another Altinn API key than the profile's"),
                "" if same_key else "the org was registered again; use the newest insurer.toml",
            )
        )
        uris = facts.get("idporten", {}).get("redirect_uris", [])
        hosts = {urlsplit(u).hostname for u in uris}
        start_host = urlsplit(profile.start_url).hostname
        checks.append(
            Check(
                "redirect URIs",
                bool(uris) and start_host in hosts,
                f"registered callback(s): {', '.join(uris) or 'none'}",
                ""
                if start_host in hosts
                else f"register-insurer --redirect-uri with a URL on {start_host}, where the claim starts",
            )
        )
    else:
        checks.append(
            Check(
                "registration",
                False,
                f"{profile.org} is not registered in this sandbox",
                f"{command()} register-insurer --org {profile.org} --name ... --redirect-uri ...",
            )
        )
    for key in ("start_url", "fetch_url"):
        problem = _reachable(getattr(profile, key))
        checks.append(
            Check(
                f"insurer {key}",
                problem is None,
                f"{getattr(profile, key)} " + ("answers" if problem is None else f"is unreachable: {problem}"),
                "" if problem is None else "start the integration, or correct the URL in insurer.toml",
            )
        )
    return checks


def _clock(api: SandboxApi) -> Check:
    try:
        answer = api.http.get(api.control + "/_sandbox/clock", timeout=api.timeout)
        shown = answer.json()
        offset = float(shown.get("offset_seconds", 0))
        server = parsedate_to_datetime(answer.headers["Date"]).timestamp() if "Date" in answer.headers else None
    except Exception as exc:
        return Check("clock", False, f"cannot read the sandbox clock: {exc}")
    skew = abs(server - time.time()) if server is not None else 0.0
    problems = []
    if skew > CLOCK_TOLERANCE:
        problems.append(f"this machine's clock is {skew:.0f} s off the sandbox's; tokens you sign will be refused")
    if offset:
        problems.append(
            f"the sandbox calendar is moved {offset:.0f} s (conform resets it; {command()} clock reset does too)"
        )
    return Check(
        "clock",
        skew <= CLOCK_TOLERANCE,
        "; ".join(problems) or "the clocks agree; the calendar is not moved",
        "fix this machine's time (NTP)" if skew > CLOCK_TOLERANCE else "",
    )


def render(checks: list[Check]) -> str:
    lines = []
    for check in checks:
        lines.append(f"{'ok  ' if check.ok else 'FIX '} {check.name:<18} {check.detail}")
        if not check.ok and check.fix:
            lines.append(f"     {'':<18} → {check.fix}")
    bad = [c for c in checks if not c.ok]
    lines.append(
        f"ready for {command()} conform"
        if not bad
        else f"{len(bad)} configuration problem(s): fix them before a conformance run means anything"
    )
    return "\n".join(lines)

"""Running the suite: check that it can start, run the chosen scenarios of the profile's consent
generation one by one, each with a person of its own and a tidy sandbox, and collect one
:class:`RunResult` judged by that generation's catalogue."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import requests

from .catalogue import catalogue
from .context import Context, Precondition
from .doctor import diagnose
from .doctor import render as render_checks
from .drivers.base import Driver, DriverError
from .drivers.http_browser import HttpBrowser
from .leftovers import leftovers
from .profile import InsurerProfile, ProfileError
from .results import RunResult, ScenarioResult
from .sandbox_api import SandboxApi, SandboxUnavailable
from .scenarios import NAMES, scenarios_for


class SetupError(RuntimeError):
    """The run cannot start (exit code 2): a configuration problem, not a conformance failure."""


def person_record(person: dict) -> dict:
    parts = person.get("name", "").split()
    return {
        "pid": person["pid"],
        "name": person.get("name", person["pid"]),
        "first_name": person.get("first_name") or " ".join(parts[:-1]),
        "last_name": person.get("last_name") or (parts[-1] if parts else ""),
    }


def prepare(
    profile_path: str, control_url: str, *, verify: bool | str = True, token: str | None = None
) -> tuple[InsurerProfile, SandboxApi]:
    """The profile and a connected sandbox, or SetupError with doctor's words: the run starts only when
    every check ``dsop-sandbox doctor`` makes passes (the sandbox answers, the org is registered with the
    profile's key, the insurer's URLs answer), so that a configuration problem is never reported as
    conformance failures."""
    problems = [check for check in diagnose(profile_path, control_url, verify=verify, token=token) if not check.ok]
    if problems:
        raise SetupError(render_checks(problems))
    try:
        profile = InsurerProfile.load(profile_path)
        api = SandboxApi(control_url, verify=verify, token=token)
        api.connect()
    except (ProfileError, SandboxUnavailable) as exc:  # changed between doctor's look and ours
        raise SetupError(str(exc)) from exc
    return profile, api


def run(
    profile_path: str,
    control_url: str,
    *,
    scenarios: list[str] | None = None,
    driver: Driver | None = None,
    verify: bool | str = True,
    progress=None,
    token: str | None = None,
) -> RunResult:
    began = time.monotonic()
    result = RunResult(
        insurer={},
        sandbox={"control": control_url},
        started=datetime.now(UTC).replace(microsecond=0).isoformat(),
    )
    try:
        unknown = [name for name in scenarios or [] if name not in NAMES]
        if unknown:
            raise SetupError(f"no scenario {', '.join(unknown)}; there are {', '.join(NAMES)}")
        profile, api = prepare(profile_path, control_url, verify=verify, token=token)
        result.insurer, result.sandbox = profile.describe(), {"control": control_url, **api.services}
        generation = profile.consent
        result.generation, result.requirements = generation, list(catalogue(generation))
        available = scenarios_for(generation)
        other = [name for name in scenarios or [] if name not in available]
        if other:
            raise SetupError(
                f"{', '.join(other)} judges nothing for an {generation} integration; "
                f"its scenarios are {', '.join(available)}"
            )
        persons = [person_record(p) for p in api.persons()]
        if not persons:
            raise SetupError("the sandbox has no test persons")
    except SetupError as exc:
        result.setup_error = str(exc)
        result.seconds = time.monotonic() - began
        return result
    if scenarios:
        chosen = [available[name] for name in scenarios]
    else:
        chosen = [scenario for scenario in available.values() if api.tls or not scenario.needs_tls]
        result.skipped = {
            scenario.name: f"the sandbox serves plain HTTP; start it with --tls (and run the suite "
            f"with --ca-bundle) to judge {', '.join(scenario.requirements)}"
            for scenario in available.values()
            if scenario not in chosen
        }
    driver = driver or HttpBrowser(api.services, verify=verify)
    http = requests.Session()
    http.trust_env = False
    http.verify = verify
    before = api.stage()
    problems = api.tidy()
    try:
        for index, scenario in enumerate(chosen):
            person = persons[index % len(persons)]
            ctx = Context(scenario.name, api, profile, driver, http, person, generation=result.generation)
            outcome = ScenarioResult(scenario.name, scenario.title)
            started = time.monotonic()
            try:
                ctx.started_cursor = api.cursor()
                scenario.run(ctx)
            except Precondition as exc:
                ctx.step(f"Stopped: {exc}")
                why = str(exc)[0].upper() + str(exc)[1:] + "."
                judged = {v.requirement for v in ctx.verdicts}
                for requirement in scenario.requirements:
                    if requirement not in judged:
                        ctx.not_run(requirement, why)
            except (DriverError, SandboxUnavailable, requests.RequestException) as exc:
                outcome.error = f"{exc.__class__.__name__}: {exc}"
                judged = {v.requirement for v in ctx.verdicts}
                for requirement in scenario.requirements:
                    if requirement not in judged:
                        ctx.not_run(requirement, f"The scenario stopped: {outcome.error}")
            finally:
                problems += api.tidy()
            outcome.seconds = time.monotonic() - started
            outcome.verdicts, outcome.steps = ctx.verdicts, ctx.steps
            result.scenarios.append(outcome)
            if progress:
                progress(outcome)
    finally:
        http.close()
        driver.close()
    result.left = leftovers(before, api.stage())
    result.left.update({f"tidying up ({index + 1})": problem for index, problem in enumerate(dict.fromkeys(problems))})
    result.seconds = time.monotonic() - began
    return result

"""``dsop-sandbox conform`` and ``dsop-sandbox doctor``: the suite's command-line face.

Exit codes (README, «Checking your integration»): ``conform`` gives 0 when every MUST passed, 1
when one failed (or could not be judged), 2 when the run could not start; ``doctor`` gives 0 when
ready, 2 otherwise. ``conform`` makes doctor's checks first and does not start while one fails (an
insurer that does not answer, a profile older than the org's latest registration): it prints doctor's
lines and exits 2.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

from . import hints
from .hints import command

# The suite itself is imported when a command runs, so that ``dsop-sandbox up`` starts no slower;
# the names are checked against the scenario registry by tests/conformance/test_reports.py.
SCENARIO_NAMES = (
    "token_expiry",
    "consent_granted",
    "consent_declined",
    "forged_callback",
    "fetch",
    "reuse",
    "revocation",
    "expiry",
    "nav_down",
    "key_rotation",
    "nav_certificate",
)

CA_BUNDLE_HELP = (
    "trust only this CA bundle for https (a sandbox started with --tls: its key authority's ca.pem); "
    "default: the system's trust store"
)


def verify_of(args) -> bool | str:
    """``requests``' ``verify=`` from ``--ca-bundle``."""
    return getattr(args, "ca_bundle", None) or True


def add_commands(commands, control_url_of, settings_options=None, started_as: Callable[[], str] | None = None) -> None:
    """Add ``conform`` and ``doctor`` to ``dsop-sandbox``'s subcommands; ``control_url_of(args)``
    gives the control plane's URL (``--control-url`` or the settings); ``started_as()`` says how the
    user started the command line, for the hints the suite prints."""
    if started_as:
        hints.use(started_as)
    control_url_help = "the control plane (default from settings)"
    conform = commands.add_parser(
        "conform",
        help="run the conformance suite against an insurer's integration (after doctor's checks; exit 2 if one fails)",
    )
    conform.add_argument("--insurer", required=True, metavar="FILE", help="the insurer profile (insurer.toml)")
    conform.add_argument(
        "--scenario",
        action="append",
        metavar="NAME",
        choices=SCENARIO_NAMES,
        help="run only this scenario (repeatable); default: all of the profile's consent generation",
    )
    conform.add_argument("--junit", metavar="FILE", help="write a JUnit XML report")
    conform.add_argument("--json", metavar="FILE", help="write a JSON report")
    conform.add_argument("--html", metavar="FILE", help="write an HTML report")
    conform.add_argument(
        "--browser",
        choices=("http", "chromium"),
        default="http",
        help="the citizen's browser: plain HTTP (default) or headless Chromium",
    )
    conform.add_argument("--control-url", help=control_url_help)
    conform.add_argument("--ca-bundle", metavar="FILE", help=CA_BUNDLE_HELP)
    conform.set_defaults(run=lambda args: conform_command(args, control_url_of(args)))
    doctor = commands.add_parser("doctor", help="check that a conformance run can start, and say what to fix")
    doctor.add_argument("--insurer", required=True, metavar="FILE", help="the insurer profile (insurer.toml)")
    doctor.add_argument("--control-url", help=control_url_help)
    doctor.add_argument("--ca-bundle", metavar="FILE", help=CA_BUNDLE_HELP)
    doctor.set_defaults(run=lambda args: doctor_command(args, control_url_of(args)))
    if settings_options:
        settings_options(conform)
        settings_options(doctor)


def conform_command(args, control_url: str) -> int:
    from .reports import write_reports
    from .reports.console import render as render_console
    from .runner import run

    driver = None
    if args.browser == "chromium":
        from .drivers.playwright_browser import PlaywrightBrowser
        from .sandbox_api import SandboxApi, SandboxUnavailable

        api = SandboxApi(control_url, verify=verify_of(args))
        try:
            api.connect()
        except SandboxUnavailable as exc:
            print(f"{command()} conform: the sandbox does not answer: {exc}", file=sys.stderr)
            return 2
        driver = PlaywrightBrowser(api.services)

    def progress(outcome):
        marks = "".join({"PASS": ".", "FAIL": "F", "NOT RUN": "-"}[v.status] for v in outcome.verdicts)
        print(
            f"  {outcome.name:<18} {marks:<6} {outcome.seconds:5.1f} s"
            + (f"  ({outcome.error})" if outcome.error else ""),
            flush=True,
        )

    result = run(
        args.insurer, control_url, scenarios=args.scenario, driver=driver, progress=progress, verify=verify_of(args)
    )
    write_reports(result, junit=args.junit, json_path=args.json, html=args.html)
    print(render_console(result, color=sys.stdout.isatty()))
    return result.exit_code


def doctor_command(args, control_url: str) -> int:
    from .doctor import diagnose
    from .doctor import render as render_checks

    checks = diagnose(args.insurer, control_url, verify=verify_of(args))
    print(render_checks(checks))
    return 0 if all(check.ok for check in checks) else 2

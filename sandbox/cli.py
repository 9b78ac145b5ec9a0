"""``dsop-sandbox``: run the sandbox, register insurers, move the calendar, read events."""

from __future__ import annotations

import argparse
import contextlib
import faulthandler
import json
import os
import signal
import sys
import time
from pathlib import Path

import requests

from dsop_sandbox.conformance.contract import timeline_order
from dsop_sandbox.mocks.common.admin_access import TOKEN_HEADER
from dsop_sandbox.mocks.common.settings import SERVICE_NAMES, SettingsError
from dsop_sandbox.mocks.common.trust import trust

from . import discovery
from .command_settings import load_settings, settings_options, state_directory
from .control_plane.registration_options import CONSENT_GENERATIONS, IDPORTEN_AUTH_METHODS
from .insurer_files import write_insurer_files
from .invocation import command_name
from .options_anywhere import spread_options

EXIT_OK, EXIT_FAILED, EXIT_CANNOT_START = 0, 1, 2
#: ``events``: events asked for per service log and request, and the pause between polls of ``--follow``.
EVENTS_PAGE, FOLLOW_SECONDS = 1000, 1.0


def main(argv: list[str] | None = None) -> int:
    dump_stacks_on_request()
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except SettingsError as exc:
        print(f"dsop-sandbox: bad settings: {exc}", file=sys.stderr)
        return EXIT_CANNOT_START
    except KeyboardInterrupt:
        return EXIT_OK


def dump_stacks_on_request() -> None:
    """``kill -USR1 PID`` prints where every thread of the process is to stderr, and goes on (a sandbox
    that will not stop, or a request that never ends, then says where it waits). Forked workers keep it."""
    if hasattr(signal, "SIGUSR1") and hasattr(sys.stderr, "fileno"):  # (None has no fileno either)
        # (no real stderr, as under a capture: no dump; faulthandler says so with one of these)
        with contextlib.suppress(OSError, ValueError, RuntimeError):
            faulthandler.register(signal.SIGUSR1, file=sys.stderr, all_threads=True, chain=False)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="dsop-sandbox", description=__doc__)
    settings_options(parser)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    up = commands.add_parser("up", help="start every service in this process")
    settings_options(up)
    up.add_argument("--ephemeral", action="store_true", help="use a temporary state directory, removed on exit")
    up.add_argument("--tls", action="store_true", help="serve every service over HTTPS")
    up.add_argument("--with-insurer", action="store_true", help="also start the reference insurer")
    workers_option(up)
    up.set_defaults(run=cmd_up)

    serve = commands.add_parser("serve", help="run one service alone")
    settings_options(serve)
    serve.add_argument("service", choices=SERVICE_NAMES)
    workers_option(serve)
    serve.set_defaults(run=cmd_serve)

    register = commands.add_parser("register-insurer", help="register an insurer with every service")
    settings_options(register)
    register.add_argument("--org", required=True, help="the insurer's organisation number")
    register.add_argument("--name", required=True, help="the insurer's name, as the citizen will see it")
    register.add_argument(
        "--redirect-uri",
        required=True,
        action="append",
        metavar="URL",
        help="where Altinn and ID-porten may send the citizen back (repeatable)",
    )
    register.add_argument(
        "--consent",
        choices=CONSENT_GENERATIONS,
        default=CONSENT_GENERATIONS[0],
        help="the consent generation the integration speaks (insurer.toml's consent; default altinn3, what "
        "production runs since Altinn II closed; altinn2 is the process description's flow)",
    )
    register.add_argument(
        "--token-endpoint-auth-method",
        choices=IDPORTEN_AUTH_METHODS,
        default=IDPORTEN_AUTH_METHODS[0],
        help="how the insurer's ID-porten client authenticates at /token (default client_secret_basic; "
        "private_key_jwt signs with the enterprise certificate written to --out)",
    )
    register.add_argument("--out", default=".", metavar="DIR", help="where to write key, certificate, insurer.toml")
    register.add_argument("--control-url", help="the control plane (default from settings)")
    register.set_defaults(run=cmd_register)

    clock = commands.add_parser("clock", help="show or move the sandbox calendar for every service")
    settings_options(clock)
    clock.add_argument("--control-url", help="the control plane (default from settings)")
    actions = clock.add_subparsers(dest="action", required=True, metavar="ACTION")
    actions.add_parser("show", help="print protocol and calendar time")
    advance = actions.add_parser("advance", help="move the calendar by an ISO 8601 duration (P3Y, P1D, -PT1H)")
    advance.add_argument("duration")
    set_time = actions.add_parser("set", help="set the calendar to a time (2029-12-01T12:00:00Z)")
    set_time.add_argument("time")
    actions.add_parser("reset", help="back to real time")
    clock.set_defaults(run=cmd_clock)

    events = commands.add_parser("events", help="print the merged event timeline")
    settings_options(events)
    events.add_argument("--control-url", help="the control plane (default from settings)")
    events.add_argument("--follow", "-f", action="store_true", help="then keep printing new events until Ctrl-C")
    events.add_argument("--json", action="store_true", help="one JSON object per line")
    events.set_defaults(run=cmd_events)

    keys = commands.add_parser("keys", help="the key authority's material (the test PKI under <state-dir>/authority)")
    key_actions = keys.add_subparsers(dest="action", required=True, metavar="ACTION")
    keys_init = key_actions.add_parser(
        "init",
        help="create every key and certificate the services need, once, before they start "
        "(docker compose's `keys` step); the directory may then be read-only",
    )
    settings_options(keys_init)
    keys_init.add_argument(
        "--tls", action="store_true", help="also the services' TLS certificates (default: when the settings say tls)"
    )
    keys.set_defaults(run=cmd_keys)
    from dsop_sandbox.conformance.cli import add_commands as add_conformance_commands

    add_conformance_commands(commands, _control, settings_options, started_as=command_name)
    from .demo import add_command as add_demo_command

    add_demo_command(commands)
    return spread_options(parser)


# -- up / serve ------------------------------------------------------------------------------------
def workers_option(command) -> None:
    command.add_argument(
        "--workers",
        type=int,
        metavar="N",
        help="processes per service, all on its port (default: the workers setting, else the cores this "
        "process may use; 1 serves from this process alone)",
    )


# (The sandbox itself is imported by the commands that start it: every other command runs without
# importing the services and Flask, which would cost each ``clock``/``events`` call half a second.)
def cmd_up(args) -> int:
    """Serve until stopped; where it runs is recorded in the state directory meanwhile (see discovery)."""
    from .foreground import run_in_foreground
    from .launcher import Sandbox

    settings = load_settings(args, tls=args.tls or None, workers=args.workers)
    with state_directory(settings, throw_away=args.ephemeral) as settings:
        sandbox = Sandbox(settings)
        try:
            return run_in_foreground(
                sandbox,
                banner=True,
                with_insurer=args.with_insurer,
                on_started=lambda running, _insurer: discovery.write_record(running.settings, running.services),
                workers=settings.workers,
            )
        finally:
            discovery.remove_record(settings.state_dir)


def cmd_serve(args) -> int:
    from .foreground import run_in_foreground
    from .launcher import Sandbox

    settings = load_settings(args, workers=args.workers)
    return run_in_foreground(Sandbox(settings, services=(args.service,)), banner=False, workers=settings.workers)


# -- commands that talk to a running sandbox -----------------------------------------------------
def _target(args) -> discovery.Target:
    """The sandbox this command acts on (see sandbox/discovery.py), said once on stderr."""
    target = getattr(args, "_target", None)
    if target is None:
        chosen = bool(getattr(args, "state_dir", None) or getattr(args, "config", None))
        try:
            target = discovery.find_sandbox(getattr(args, "control_url", None), load_settings(args), chosen)
        except discovery.NoSandbox as exc:
            print(f"dsop-sandbox: {exc}", file=sys.stderr)
            raise SystemExit(EXIT_CANNOT_START) from None
        args._target = target
        discovery.say_target(target)
    return target


def _control(args) -> str:
    target = _target(args)
    if target.token:  # the suite (conform, doctor) sends it from the environment
        os.environ.setdefault(discovery.TOKEN_ENV, target.token)
    return target.control_url


def _call(args, method: str, path: str, **kwargs):
    target = _target(args)
    url = target.control_url + path
    headers = {TOKEN_HEADER: target.token} if target.token else {}
    # A --tls sandbox: trust its own CA bundle (recorded, or from the same settings), never the system store.
    verify = target.ca_bundle or trust(load_settings(args))
    try:
        response = requests.request(method, url, timeout=30, verify=verify, headers=headers, **kwargs)
    except requests.RequestException:
        print(
            f"dsop-sandbox: no sandbox answers at {target.control_url}; start one with: {command_name()} up",
            file=sys.stderr,
        )
        raise SystemExit(EXIT_CANNOT_START) from None
    try:
        body = response.json()
    except ValueError:
        body = {"message": response.text}
    if response.status_code >= 400:
        message = body.get("message") if isinstance(body, dict) else body
        print(f"dsop-sandbox: {response.status_code}: {message}", file=sys.stderr)
        raise SystemExit(EXIT_FAILED)
    return body


def cmd_register(args) -> int:
    facts = _call(
        args,
        "POST",
        "/_sandbox/insurers",
        json={
            "org": args.org,
            "name": args.name,
            "redirect_uris": args.redirect_uri,
            "consent": args.consent,
            "token_endpoint_auth_method": args.token_endpoint_auth_method,
        },
    )
    facts = write_insurer_files(facts, Path(args.out))
    print(json.dumps(facts, indent=2, ensure_ascii=False))
    return EXIT_OK


def cmd_clock(args) -> int:
    bodies = {
        "show": None,
        "advance": {"advance": getattr(args, "duration", None)},
        "set": {"set": getattr(args, "time", None)},
        "reset": {"reset": True},
    }
    body = bodies[args.action]
    answer = (
        _call(args, "GET", "/_sandbox/clock") if body is None else _call(args, "POST", "/_sandbox/clock", json=body)
    )
    acted_on = [answer["service"], *answer["services"]]  # the control plane's own clock, then each service's
    print(
        f"protocol time  {answer['protocol_time']}\ncalendar time  {answer['calendar_time']}"
        f"  (offset {answer['offset_seconds']} s, on {len(acted_on)} services: {', '.join(acted_on)})"
    )
    return EXIT_OK


def cmd_events(args) -> int:
    """The whole timeline, oldest first, page by page to its end; with ``--follow``, then every
    ``FOLLOW_SECONDS`` whatever came since, until Ctrl-C. Services that do not answer are named on
    stderr (once, and again when that changes): their events are missing."""
    cursor, silent = "", set()
    while True:
        events, cursor, unavailable = _events_after(args, cursor)
        if unavailable != silent:
            if unavailable:
                print(f"dsop-sandbox: no events from {', '.join(sorted(unavailable))} (not answering)", file=sys.stderr)
            silent = unavailable
        for event in events:
            print(json.dumps(event, ensure_ascii=False) if args.json else format_event(event), flush=True)
        if not args.follow:
            return EXIT_OK
        pause(FOLLOW_SECONDS)


def pause(seconds: float) -> None:
    """The wait between two polls of ``events --follow`` (Ctrl-C ends it)."""
    time.sleep(seconds)


def _events_after(args, cursor: str) -> tuple[list[dict], str, set[str]]:
    """Every event after ``cursor`` in time order, the cursor at the end, and the services that did
    not answer. The endpoint's limit holds for each service's log, so a page with fewer events than
    the limit was the last one."""
    events, unavailable = [], set()
    while True:
        page = _call(args, "GET", "/_sandbox/events", params={"since": cursor, "limit": EVENTS_PAGE})
        events.extend(page["events"])
        unavailable.update(page.get("unavailable", ()))
        cursor = page["cursor"]
        if len(page["events"]) < EVENTS_PAGE:
            events.sort(key=timeline_order)
            return events, cursor, unavailable


def cmd_keys(args) -> int:
    from dsop_sandbox.mocks.authority import AuthorityError

    from .keys import init_keys

    try:
        print(init_keys(load_settings(args, tls=True if args.tls else None)), flush=True)
    except AuthorityError as exc:
        print(f"dsop-sandbox: {exc}", file=sys.stderr)
        return EXIT_CANNOT_START
    return EXIT_OK


def format_event(event: dict) -> str:
    who = event.get("caller") or "-"
    subject = f" pid={event['subject']}" if event.get("subject") else ""
    error = f" {event['error']}" if event.get("error") else ""
    return (
        f"{event['time']}  {event['service']:<12} {event['operation']:<22} {event['status']:>3} "
        f"{event['outcome']:<7} {who}{subject}{error}"
    )


if __name__ == "__main__":
    raise SystemExit(main())

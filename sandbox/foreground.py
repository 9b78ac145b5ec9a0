"""Running a sandbox in the foreground (``up``, ``serve``, ``demo``): start it, optionally with the
reference insurer beside it, print what runs where, wait for Ctrl-C or SIGTERM, stop cleanly.

With the insurer come two: the Altinn 3 reference insurer (org 310000019, the configured port,
profile ``<state>/reference-insurer/insurer.toml``) and its Altinn 2 twin (org 310000027, a free
port, profile ``<state>/reference-insurer-310000027/insurer.toml``), so a workshop can show either
generation and ``conform`` can judge both."""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Callable

from .invocation import command_name
from .launcher import Sandbox, StartupError

EXIT_OK, EXIT_CANNOT_START = 0, 2


def run_in_foreground(
    sandbox: Sandbox,
    *,
    banner: bool,
    with_insurer: bool = False,
    on_started: Callable | None = None,
    workers: int = 1,
) -> int:
    """Serve until a signal; ``on_started(sandbox, insurer)`` (the Altinn 3 insurer) runs once
    everything is healthy. ``workers`` > 1: that many processes serve (sandbox/supervisor.py); 1: this
    process does. The exit code: 0, or 2 when something could not start."""
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    if workers > 1:
        return run_supervised(sandbox, workers, stop, banner=banner, with_insurer=with_insurer, on_started=on_started)
    try:
        sandbox.start()
    except StartupError as exc:
        print(f"dsop-sandbox: {exc}", file=sys.stderr)
        return EXIT_CANNOT_START
    insurers = []
    try:
        if with_insurer:
            from .reference_insurer import ALTINN2, TWIN_NAME, TWIN_ORG, ReferenceInsurerServer

            try:
                insurers.append(ReferenceInsurerServer(sandbox).start())
                insurers.append(
                    ReferenceInsurerServer(sandbox, port=0, org=TWIN_ORG, name=TWIN_NAME, consent=ALTINN2).start()
                )
            except StartupError as exc:
                print(f"dsop-sandbox: {exc}", file=sys.stderr)
                return EXIT_CANNOT_START
        print_started(sandbox, banner, *insurers)
        if on_started is not None:
            on_started(sandbox, insurers[0] if insurers else None)
        while not stop.wait(0.5):
            pass
    finally:
        for insurer in reversed(insurers):
            insurer.stop()
        sandbox.stop()
    print("dsop-sandbox: stopped", flush=True)
    return EXIT_OK


def run_supervised(
    sandbox: Sandbox,
    workers: int,
    stop: threading.Event,
    *,
    banner: bool,
    with_insurer: bool = False,
    on_started: Callable | None = None,
) -> int:
    """:func:`run_in_foreground` with ``workers`` processes per service, until ``stop`` is set."""
    from .supervisor import Supervisor

    supervisor = Supervisor(sandbox, workers, with_insurer)
    try:
        supervisor.start()
    except StartupError as exc:
        print(f"dsop-sandbox: {exc}", file=sys.stderr)
        return EXIT_CANNOT_START
    try:
        print_started(sandbox, banner, *supervisor.insurers, workers=workers)
        if on_started is not None:
            on_started(sandbox, supervisor.insurers[0] if supervisor.insurers else None)
        supervisor.watch(stop)
    finally:
        supervisor.stop()
    print("dsop-sandbox: stopped", flush=True)
    return EXIT_OK


def print_started(sandbox: Sandbox, banner: bool, *insurers, workers: int = 1) -> None:
    settings = sandbox.settings
    lines = []
    processes = f"{workers} worker processes per service, " if workers > 1 else ""
    if banner:
        lines.append(
            f"dsop-sandbox is up in {sandbox.startup_seconds:.2f} s "
            f"(Altinn 3 and Altinn 2 consent, {processes}state in {settings.where_state_lives()})"
        )
    for name in sandbox.services:
        issuer = f"   issuer {settings.issuer(name)}" if name in ("idporten", "maskinporten") else ""
        lines.append(f"  {name:<13} {settings.base_url(name)}{issuer}")
    if "idporten" in sandbox.services:
        persons = sandbox.app("idporten").extensions["idporten"].persons.all()
        lines.append("  test persons (log in with any of them; NAV knows their histories)")
        lines.extend(f"    {p['pid']}  {p['name']:<18} {p.get('description', '')}" for p in persons)
    if "control" in sandbox.services:
        registered = sandbox.app("control").extensions["control"].insurers.all()
        lines.append(
            "  insurers     "
            + (
                ", ".join(f"{i['name']} ({i['org']})" for i in registered)
                or f"none yet: {command_name()} register-insurer --help"
            )
        )
    if sandbox.ca_bundle:
        lines.append(f"  https only; trust the CA bundle {sandbox.ca_bundle}")
    lines.extend(admin_lines(sandbox))
    for insurer in insurers:
        label = "reference_insurer" if insurer is insurers[0] else f"reference_insurer_{insurer.consent}"
        generation = "Altinn 3" if insurer.consent == "altinn3" else "Altinn 2"
        lines.append(f"  {label:<13} {insurer.url}   {insurer.name} ({insurer.org}), {generation} consent")
        lines.append(f"    profile {insurer.profile_path}")
        lines.append(f"    start a claim at {insurer.url}/")
    lines.append("healthy; Ctrl-C stops" if banner else f"{sandbox.services[0]} healthy; Ctrl-C stops")
    print("\n".join(lines), flush=True)


def admin_lines(sandbox: Sandbox) -> list[str]:
    """Where the admin token is, and, bound beyond loopback, the dashboard's URL that carries it once."""
    from dsop_sandbox.mocks.common.admin_access import TOKEN_QUERY, is_loopback, token_paths
    from dsop_sandbox.mocks.common.service import ACCESS_EXTENSION

    from .discovery import record_path

    settings = sandbox.settings
    kept = next((path for path in token_paths(settings.state_dir) if path.exists()), None)
    lines = [
        f"  admin token  {kept or 'from the settings (admin_token)'}; the CLI and the suite read it themselves",
        f"  commands     find it in {record_path(settings.state_dir)} "
        f"(from anywhere: export DSOP_SANDBOX_STATE={settings.state_dir.resolve()})",
    ]
    if "control" in sandbox.services and not is_loopback(settings.bind_host):
        token = sandbox.app("control").extensions[ACCESS_EXTENSION].token
        lines.append(f"  bound to {settings.bind_host}: the admin API needs the token; the dashboard, once:")
        lines.append(f"    {settings.base_url('control')}/?{TOKEN_QUERY}={token}")
    return lines

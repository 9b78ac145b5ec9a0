"""``dsop-sandbox demo``: everything a workshop needs in one command.

Starts every service like ``up --ephemeral --with-insurer`` (a throw-away state directory unless
``--state-dir`` is given, the reference insurer registered beside it), prints the dashboard and the guided walkthrough, and
opens the walkthrough in a browser when ``--open`` is given.
"""
from __future__ import annotations

import shutil
import signal
import sys
import tempfile
import threading
import webbrowser
from pathlib import Path

from . import launcher
from .dashboard import INSURER_URL_KEY

EXIT_OK, EXIT_CANNOT_START = 0, 2


def add_command(commands, settings_options) -> None:
    """Registers ``demo`` on ``dsop-sandbox``'s sub-command parser."""
    demo = commands.add_parser("demo", help="start everything for a workshop: sandbox, reference insurer, dashboard")
    settings_options(demo)
    demo.add_argument("--open", action="store_true", help="open the walkthrough in a web browser")
    demo.set_defaults(run=cmd_demo)


def cmd_demo(args) -> int:
    from .cli import _print_started, load_settings
    from .reference_insurer import ReferenceInsurerServer

    temporary = None if getattr(args, "state_dir", None) else tempfile.mkdtemp(prefix="dsop-sandbox-demo-")
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    sandbox = insurer = None
    try:
        settings = load_settings(args)
        if temporary:
            settings = settings.with_state_dir(Path(temporary))
        sandbox = launcher.Sandbox(settings)
        try:
            sandbox.start()
            insurer = ReferenceInsurerServer(sandbox).start()
        except launcher.StartupError as exc:
            print(f"dsop-sandbox: {exc}", file=sys.stderr)
            return EXIT_CANNOT_START
        sandbox.app("control").config[INSURER_URL_KEY] = insurer.url
        _print_started(sandbox, True, insurer)
        control = sandbox.url("control")
        walkthrough = f"{control}/walkthrough"
        print(f"\n  dashboard     {control}/\n  walkthrough   {walkthrough}\n", flush=True)
        if getattr(args, "open", False):
            webbrowser.open(walkthrough)
        while not stop.wait(0.5):
            pass
    finally:
        if insurer is not None:
            insurer.stop()
        if sandbox is not None:
            sandbox.stop()
        if temporary:
            shutil.rmtree(temporary, ignore_errors=True)
    print("dsop-sandbox: stopped", flush=True)
    return EXIT_OK

"""``dsop-sandbox demo``: everything a workshop needs in one command.

Starts every service like ``up --ephemeral --with-insurer`` (a throw-away state directory unless
``--state-dir`` is given, the reference insurer registered beside it), prints the dashboard and the
guided walkthrough, and opens the walkthrough in a browser when ``--open`` is given.
"""

from __future__ import annotations

import webbrowser
from typing import TYPE_CHECKING

from . import discovery
from .command_settings import load_settings, settings_options, state_directory

if TYPE_CHECKING:
    from .launcher import Sandbox


def add_command(commands) -> None:
    """Registers ``demo`` on ``dsop-sandbox``'s sub-command parser."""
    demo = commands.add_parser("demo", help="start everything for a workshop: sandbox, reference insurer, dashboard")
    settings_options(demo)
    demo.add_argument("--open", action="store_true", help="open the walkthrough in a web browser")
    demo.set_defaults(run=cmd_demo)


def cmd_demo(args) -> int:
    # Imported here, as ``up`` does: the other commands run without importing the services.
    from .foreground import run_in_foreground
    from .launcher import Sandbox

    settings = load_settings(args)
    with state_directory(
        settings, throw_away=not getattr(args, "state_dir", None), prefix="dsop-sandbox-demo-"
    ) as chosen:
        try:
            return run_in_foreground(
                Sandbox(chosen),
                banner=True,
                with_insurer=True,
                on_started=lambda sandbox, insurer: _announce(sandbox, insurer, args),
            )
        finally:
            discovery.remove_record(chosen.state_dir)


def _announce(sandbox: Sandbox, insurer, args) -> None:
    """Point the dashboard at the reference insurer, print the workshop's two pages, open one."""
    from .control_plane import use_reference_insurer

    use_reference_insurer(sandbox.app("control"), insurer.url)
    discovery.write_record(sandbox.settings, sandbox.services)  # where commands find it
    control = sandbox.url("control")
    walkthrough = f"{control}/walkthrough"
    print(f"\n  dashboard     {control}/\n  walkthrough   {walkthrough}\n", flush=True)
    if getattr(args, "open", False):
        webbrowser.open(walkthrough)

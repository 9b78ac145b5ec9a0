"""How the suite's hints name the command line, so that a user can type them as they stand.

``dsop-sandbox``'s command line says how the user started it (``./dev``, ``python -m
dsop_sandbox.cli``, the installed script) when it adds the suite's commands (:func:`use`): a function
asked each time a hint is printed, so that what it says follows the process as it is then (a value
kept from the first command line made would outlive it, in a process that makes several); the suite
run from code names ``DSOP_SANDBOX_COMMAND`` if set (``./dev`` sets it), else ``dsop-sandbox``.
"""

from __future__ import annotations

import os
from collections.abc import Callable

COMMAND_VARIABLE = "DSOP_SANDBOX_COMMAND"
_started_as: Callable[[], str] | None = None


def use(started_as: Callable[[], str]) -> None:
    """How to tell the command line as the user typed it, for the hints of this process."""
    global _started_as
    _started_as = started_as


def command() -> str:
    return (_started_as and _started_as()) or os.environ.get(COMMAND_VARIABLE) or "dsop-sandbox"

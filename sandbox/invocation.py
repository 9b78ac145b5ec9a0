"""How the user started ``dsop-sandbox``, so that the hints it prints can be typed as they stand.

``./dev`` says how it was called in ``DSOP_SANDBOX_COMMAND`` (``./dev register-insurer …`` then works
where ``dsop-sandbox`` is not on the PATH); an installed script is named as the user typed it, or
plainly when the PATH finds that same script; ``python -m dsop_sandbox.cli`` is named as such.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

COMMAND_VARIABLE = "DSOP_SANDBOX_COMMAND"
SCRIPT = "dsop-sandbox"


def command_name(argv0: str | None = None, environ=None) -> str:
    """What to type to run ``dsop-sandbox`` again, the way it runs now."""
    environ = os.environ if environ is None else environ
    if environ.get(COMMAND_VARIABLE):
        return environ[COMMAND_VARIABLE]
    typed = sys.argv[0] if argv0 is None else argv0
    if Path(typed).name == SCRIPT:
        found = shutil.which(SCRIPT)
        return SCRIPT if found and Path(found).resolve() == Path(typed).resolve() else typed
    if Path(typed).resolve() == Path(__file__).with_name("cli.py").resolve():
        return f"{Path(sys.executable).name} -m dsop_sandbox.cli"
    return SCRIPT

"""Settings from the command line: the options every command that reads settings takes, and the
state directory a command runs on (a throw-away one for ``--ephemeral`` and ``demo``)."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from dsop_sandbox.mocks.common.settings import Settings


def settings_options(command) -> None:
    """``--config`` and ``--state-dir`` on a sub-command."""
    command.add_argument("--config", metavar="FILE", help="TOML settings file")
    command.add_argument("--state-dir", metavar="DIR", help="where keys and databases live (default .sandbox)")


def load_settings(args, **overrides) -> Settings:
    """Defaults, then ``--config``, then the environment, then ``--state-dir`` and ``overrides``
    (those that are not None)."""
    changes = {key: value for key, value in overrides.items() if value is not None}
    if getattr(args, "state_dir", None):
        changes["state_dir"] = args.state_dir
    return Settings.load(getattr(args, "config", None), overrides=changes or None)


@contextmanager
def state_directory(settings: Settings, throw_away: bool, prefix: str = "dsop-sandbox-") -> Iterator[Settings]:
    """``settings`` as they are, or with a temporary state directory that is removed afterwards."""
    if not throw_away:
        yield settings
        return
    temporary = tempfile.mkdtemp(prefix=prefix)
    try:
        yield settings.with_state_dir(Path(temporary))
    finally:
        shutil.rmtree(temporary, ignore_errors=True)

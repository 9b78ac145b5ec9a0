"""Which sandbox a command acts on.

``up`` records where it runs in its state directory (:data:`RECORD_FILE`: the control plane's URL,
every service's URL and port, the process id, the admin token's file, the CA bundle with TLS) and
removes the record when it stops. A command (``clock``, ``events``, ``register-insurer``,
``conform``, ``doctor``) then finds its sandbox, first match wins:

1. ``--control-url`` on the command line;
2. ``DSOP_SANDBOX_URL`` in the environment;
3. ``DSOP_SANDBOX_STATE``: the sandbox recorded in that state directory (an error when none runs there);
4. the state directory of ``--state-dir``/``--config`` (or the default ``.sandbox``): the sandbox
   recorded there while its process lives;
5. only when nothing is recorded as running: the control plane's URL from the settings.

The admin token comes from ``DSOP_SANDBOX_ADMIN_TOKEN``, else from the state directory of the
sandbox found. Every command prints (to stderr) which sandbox it acted on and why that one.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from dsop_sandbox.conformance.sandbox_api import TOKEN_ENV
from dsop_sandbox.mocks.common.admin_access import read_admin_token, token_paths
from dsop_sandbox.mocks.common.settings import Settings
from dsop_sandbox.mocks.common.trust import ca_bundle_path

from .invocation import command_name

RECORD_FILE = "running.json"
URL_ENV = "DSOP_SANDBOX_URL"
STATE_ENV = "DSOP_SANDBOX_STATE"


class NoSandbox(RuntimeError):
    """The place a command was pointed at has no running sandbox."""


# -- the record ---------------------------------------------------------------------------------------------
def record_path(state_dir: Path) -> Path:
    return Path(state_dir) / RECORD_FILE


def write_record(settings: Settings, services: tuple[str, ...], pid: int | None = None) -> Path:
    """Record the running sandbox of ``settings`` (its real ports) in its state directory (mode 0600)."""
    state_dir = Path(settings.state_dir).resolve()
    token_file = next((str(p) for p in token_paths(state_dir) if p.exists()), None)
    record = {
        "pid": pid if pid is not None else os.getpid(),
        "state_dir": str(state_dir),
        "control_url": settings.base_url("control") if "control" in services else None,
        "services": {name: {"url": settings.base_url(name), "port": settings.services[name].port} for name in services},
        "admin_token_file": token_file,
        "ca_bundle": str(ca_bundle_path(settings)) if settings.tls else None,
    }
    path = record_path(state_dir)
    temporary = path.with_suffix(".tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        json.dump(record, handle, indent=2)
    temporary.replace(path)
    return path


def remove_record(state_dir: Path, pid: int | None = None) -> None:
    """Remove the record, if it is this process's (another ``up`` may have taken the directory over)."""
    path = record_path(state_dir)
    record = _load(path)
    if record is not None and record.get("pid") == (pid if pid is not None else os.getpid()):
        path.unlink(missing_ok=True)


def _load(path: Path) -> dict | None:
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) else None


def _alive(pid) -> bool:
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def running_record(state_dir: Path) -> dict | None:
    """The record of a sandbox running on ``state_dir`` (None when none is, or its process is gone)."""
    record = _load(record_path(state_dir))
    if record is None or not _alive(record.get("pid")) or not record.get("control_url"):
        return None
    return record


# -- finding the sandbox ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Target:
    control_url: str
    token: str | None
    why: str
    state_dir: str | None = None
    ca_bundle: str | None = None

    def describe(self) -> str:
        where = f", state {self.state_dir}" if self.state_dir else ""
        return f"the sandbox at {self.control_url} ({self.why}{where})"


def find_sandbox(explicit_url: str | None, settings: Settings, state_chosen: bool, environ=None) -> Target:
    """The sandbox a command acts on (see the module's docstring). ``state_chosen``: whether the
    command line named a state directory or settings file."""
    environ = os.environ if environ is None else environ
    env_token = environ.get(TOKEN_ENV) or None
    url = explicit_url or environ.get(URL_ENV)
    if url:
        why = "--control-url" if explicit_url else f"${URL_ENV}"
        for state_dir in filter(None, (environ.get(STATE_ENV), settings.state_dir)):
            record = running_record(Path(state_dir))
            if record is not None and record["control_url"].rstrip("/") == url.rstrip("/"):
                return _from_record(record, why, env_token)
        return Target(url.rstrip("/"), env_token or _token_of(settings), why)
    if environ.get(STATE_ENV) and not state_chosen:
        state_dir = Path(environ[STATE_ENV])
        record = running_record(state_dir)
        if record is None:
            raise NoSandbox(f"no sandbox runs on ${STATE_ENV}={state_dir} (start one with: {command_name()} up)")
        return _from_record(record, f"${STATE_ENV}", env_token)
    record = running_record(settings.state_dir)
    if record is not None:
        return _from_record(record, f"recorded running in {settings.state_dir}/{RECORD_FILE}", env_token)
    return Target(
        settings.base_url("control"),
        env_token or _token_of(settings),
        "from the settings: no sandbox is recorded as running in " + str(settings.state_dir),
    )


def _token_of(settings: Settings) -> str | None:
    return settings.admin_token or read_admin_token(settings.state_dir)


def _from_record(record: dict, why: str, env_token: str | None) -> Target:
    state_dir = record.get("state_dir")
    token = env_token or (read_admin_token(Path(state_dir)) if state_dir else None)
    return Target(record["control_url"].rstrip("/"), token, why, state_dir, record.get("ca_bundle"))


def say_target(target: Target) -> None:
    print(f"dsop-sandbox: acting on {target.describe()}", file=sys.stderr, flush=True)

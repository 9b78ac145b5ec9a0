"""Every service in its own OS process, as the containers run them, without Docker."""

from __future__ import annotations

import contextlib
import os
import signal
import stat
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from dsop_sandbox.mocks.authority import KeyAuthority
from dsop_sandbox.mocks.authority.authority import KEYS_FOLDER
from dsop_sandbox.mocks.common.settings import ENV_PREFIX, SERVICE_NAMES, Settings

from ..launcher import StartupError, unhealthy_after
from ..ports import free_ports
from ..supervisor import die_with_parent
from .settings_tree import init_arguments, serve_arguments, settings_toml, topology_settings

SETTINGS_FILE = "topology.toml"
LOG_FOLDER = "logs"


class ProcessTopology:
    """Every service in its own OS process, sharing ``state_dir`` and one generated settings file.

    ``ports`` maps service names to ports (default: free ones). Children get no ``DSOP_SANDBOX__``
    variables from this process; the settings file alone configures them. Their output goes to
    ``<state_dir>/logs/<service>.log`` (the init step's to ``logs/keys.log``). ``tls`` serves every
    service over HTTPS; ``read_only_keys`` (default) makes the key directory read-only while the
    services run, as docker compose mounts it. ``workers``: processes per service (default 1, so that
    a service is one process, the one :meth:`kill` ends; None: the cores each may use).
    """

    def __init__(
        self,
        state_dir: str | Path,
        ports: dict[str, int] | None = None,
        python: str = sys.executable,
        services: tuple[str, ...] = SERVICE_NAMES,
        host: str = "127.0.0.1",
        tls: bool = False,
        read_only_keys: bool = True,
        workers: int | None = 1,
    ):
        unknown = set(services) - set(SERVICE_NAMES)
        if unknown:
            raise StartupError(f"unknown service(s): {', '.join(sorted(unknown))}")
        self.state_dir = Path(state_dir).resolve()
        self.python = python
        self.services = tuple(services)
        self.host = host
        chosen = dict(ports or {})
        missing = [name for name in SERVICE_NAMES if name not in chosen]
        chosen.update(zip(missing, free_ports(len(missing), host), strict=False))
        self.ports = chosen
        self.settings_path = self.state_dir / SETTINGS_FILE
        self.tree = topology_settings(
            self.ports, dict.fromkeys(SERVICE_NAMES, host), state_dir=self.state_dir, bind_host=host, tls=tls
        )
        self.workers = workers
        self.read_only_keys = read_only_keys
        self.processes: dict[str, subprocess.Popen] = {}
        self._logs = contextlib.ExitStack()  # the services' log files, open while they run
        self._settings: Settings | None = None
        self._authority: KeyAuthority | None = None
        self._frozen: dict[Path, int] = {}  # what _freeze_keys changed: path -> its mode before
        self.startup_seconds: float | None = None
        self.init_seconds: float | None = None

    # -- the interface ReferenceInsurerServer and the tests use -----------------------------------
    @property
    def settings(self) -> Settings:
        """The settings every process reads (the generated file, without this process's environment)."""
        if self._settings is None:
            self._settings = Settings.load(self.settings_path, environ={})
        return self._settings

    def url(self, name: str) -> str:
        return self.settings.base_url(name)

    @property
    def keys_dir(self) -> Path:
        return self.state_dir / KEYS_FOLDER

    @property
    def authority(self) -> KeyAuthority:
        """The key authority the processes share, opened here as they open it (read-only while they
        run; what it makes then, such as the reference insurer's TLS certificate, goes to the overlay)."""
        if self._authority is None:
            self._authority = KeyAuthority.open(self.state_dir, datetime.now(UTC))
        return self._authority

    def pid(self, name: str) -> int:
        return self.processes[name].pid

    def log_path(self, name: str) -> Path:
        return self.state_dir / LOG_FOLDER / f"{name}.log"

    def command(self, name: str) -> list[str]:
        """A service's process (its worker count on the command line: the settings are the containers' too)."""
        workers = [] if self.workers is None else ["--workers", str(self.workers)]
        return [
            self.python,
            "-m",
            "dsop_sandbox.cli",
            *serve_arguments(name),
            *workers,
            "--config",
            str(self.settings_path),
        ]

    def init_command(self) -> list[str]:
        return [self.python, "-m", "dsop_sandbox.cli", *init_arguments(), "--config", str(self.settings_path)]

    # -- life cycle ------------------------------------------------------------------------------------
    def write_settings(self) -> Path:
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self.settings_path.write_text(settings_toml(self.tree), encoding="utf-8")
        self._settings = None
        return self.settings_path

    def start(self, timeout: float = 60.0) -> ProcessTopology:
        began = time.perf_counter()
        self.write_settings()
        (self.state_dir / LOG_FOLDER).mkdir(exist_ok=True)
        env = {k: v for k, v in os.environ.items() if not k.startswith(ENV_PREFIX)}
        env["PYTHONUNBUFFERED"] = "1"
        try:
            self.init_seconds = self.run_init(env, timeout)
            if self.read_only_keys:
                self._freeze_keys()
            for name in self.services:
                log = self._logs.enter_context(self.log_path(name).open("ab"))
                self.processes[name] = subprocess.Popen(
                    self.command(name),
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    env=env,
                    cwd=str(self.state_dir),
                    preexec_fn=die_with_parent,
                )
            self.wait_healthy(timeout)
        except BaseException:
            self.stop()
            raise
        self.startup_seconds = time.perf_counter() - began
        return self

    def run_init(self, env: dict[str, str], timeout: float) -> float:
        """The init step, to completion (as compose's ``keys`` service); its duration in seconds."""
        began = time.perf_counter()
        self._thaw_keys()  # a key directory this topology froze before is writable for its init step again
        with open(self.log_path("keys"), "ab") as log:
            try:
                done = subprocess.run(
                    self.init_command(),
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    env=env,
                    cwd=str(self.state_dir),
                    timeout=timeout,
                )
            except subprocess.TimeoutExpired:
                raise StartupError(f"the key authority's init step took longer than {timeout:.0f} s") from None
        if done.returncode != 0:
            raise StartupError(f"the key authority's init step failed ({done.returncode}):\n{self.log_tail('keys')}")
        return time.perf_counter() - began

    def _freeze_keys(self) -> None:
        """``chmod -R a-w`` the key directory, remembering each mode (root ignores the bits, but the
        key authority honours a directory nobody may write as read-only)."""
        for path in [self.keys_dir, *self.keys_dir.rglob("*")]:
            mode = stat.S_IMODE(path.lstat().st_mode)
            if mode & 0o222 and not path.is_symlink():
                self._frozen[path] = mode
                path.chmod(mode & ~0o222)

    def _thaw_keys(self) -> None:
        for path, mode in sorted(self._frozen.items(), key=lambda item: len(item[0].parts)):
            with contextlib.suppress(FileNotFoundError):
                path.chmod(mode)
        self._frozen.clear()

    def wait_healthy(self, timeout: float) -> None:
        def alive(name: str) -> None:
            if self.processes[name].poll() is not None:
                raise StartupError(
                    f"{name} exited with {self.processes[name].returncode} before it was "
                    f"healthy:\n{self.log_tail(name)}"
                )

        pending = unhealthy_after(self.settings, self.services, timeout, alive, interval=0.02)
        if pending:
            raise StartupError(
                f"not healthy after {timeout:.0f} s: {', '.join(pending)}\n"
                + "\n".join(self.log_tail(name) for name in pending)
            )

    def log_tail(self, name: str, lines: int = 20) -> str:
        try:
            text = self.log_path(name).read_text(errors="replace").splitlines()[-lines:]
        except OSError:
            return f"[{name}: no log]"
        return "\n".join(f"[{name}] {line}" for line in text)

    def kill(self, name: str, signum: int = signal.SIGKILL) -> int:
        """Stop one service abruptly (a crashed container); its exit code."""
        process = self.processes[name]
        process.send_signal(signum)
        return process.wait(timeout=10)

    def stop(self, timeout: float = 10.0) -> dict[str, int]:
        """SIGINT to all, then SIGTERM, then SIGKILL to what is left; the exit codes by service."""
        running = {name: p for name, p in self.processes.items() if p.poll() is None}
        for signum, wait in ((signal.SIGINT, timeout), (signal.SIGTERM, 5.0), (signal.SIGKILL, 5.0)):
            for process in running.values():
                with contextlib.suppress(ProcessLookupError):
                    process.send_signal(signum)
            deadline = time.monotonic() + wait
            for name, process in list(running.items()):
                try:
                    process.wait(timeout=max(0.0, deadline - time.monotonic()))
                    del running[name]
                except subprocess.TimeoutExpired:
                    pass
            if not running:
                break
        codes = {name: p.returncode for name, p in self.processes.items()}
        self._logs.close()
        self._thaw_keys()
        return codes

    def __enter__(self) -> ProcessTopology:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

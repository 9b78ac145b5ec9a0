"""Start ``dsop-sandbox up --ephemeral`` (or on a given state directory) in a child process on free
ports; its URLs and timing."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

SERVICES = ("control", "idporten", "maskinporten", "altinn", "nav")
URL_LINE = re.compile(r"^\s+(\w+)\s+(https?://\S+)", re.M)


def sandbox_env(ports: dict[str, int] | None = None) -> dict[str, str]:
    """This process's environment for a sandbox child process: no ``DSOP_SANDBOX__`` setting of its own, and
    each service's port from ``ports`` (by default every one of :data:`SERVICES` on 0: a free one)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DSOP_SANDBOX__")}
    ports = dict.fromkeys(SERVICES, 0) if ports is None else ports
    return env | {f"DSOP_SANDBOX__SERVICES__{name.upper()}__PORT": str(port) for name, port in ports.items()}


class SandboxProcess:
    def __init__(self, *args: str, prefix: tuple[str, ...] = (), state_dir: Path | None = None):
        """``args`` are added to ``up``'s; ``prefix`` comes before the interpreter (valgrind …);
        ``state_dir``: kept there instead of a throw-away directory (another process may then build
        apps on the same state)."""
        where = ["--state-dir", str(state_dir)] if state_dir is not None else ["--ephemeral"]
        self.began = time.perf_counter()
        self.process = subprocess.Popen(
            [*prefix, sys.executable, "-m", "dsop_sandbox.cli", "up", *where, *args],
            stdout=subprocess.PIPE,
            text=True,
            env=sandbox_env(),
        )
        lines = []
        for line in self.process.stdout:
            lines.append(line)
            if line.startswith("healthy"):
                break
        self.ready_after = time.perf_counter() - self.began
        text = "".join(lines)
        self.urls = dict(URL_LINE.findall(text))
        match = re.search(r"is up in ([0-9.]+) s", text)
        self.launcher_seconds = float(match.group(1)) if match else None

    def stop(self) -> None:
        self.process.send_signal(signal.SIGINT)
        self.process.wait(timeout=30)


def _stat(pid: int | str) -> tuple[int, float]:
    """(parent pid, user + system CPU seconds of all its threads) of process ``pid``, from /proc (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def process_cpu(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` (all its threads)."""
    return _stat(pid)[1]


def tree_cpu(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` and of its children so far."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            parent, cpu = _stat(entry.name)
        except OSError:
            continue
        if int(entry.name) == pid or parent == pid:
            total += cpu
    return total

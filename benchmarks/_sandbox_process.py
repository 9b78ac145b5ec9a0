"""Start ``dsop-sandbox up --ephemeral`` in a child process on free ports; its URLs and timing."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time

SERVICES = ("control", "idporten", "maskinporten", "altinn", "nav")
URL_LINE = re.compile(r"^\s+(\w+)\s+(https?://\S+)", re.M)


class SandboxProcess:
    def __init__(self, *args: str, prefix: tuple[str, ...] = ()):
        """``args`` are added to ``up``'s; ``prefix`` comes before the interpreter (valgrind …)."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("DSOP_SANDBOX__")}
        env.update({f"DSOP_SANDBOX__SERVICES__{name.upper()}__PORT": "0" for name in SERVICES})
        self.began = time.perf_counter()
        self.process = subprocess.Popen(
            [*prefix, sys.executable, "-m", "dsop_sandbox.cli", "up", "--ephemeral", *args],
            stdout=subprocess.PIPE,
            text=True,
            env=env,
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

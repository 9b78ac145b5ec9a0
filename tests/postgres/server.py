"""A throw-away PostgreSQL server for the tests: Debian's binaries (``./dev test`` installs the
``postgresql`` package when it can), a cluster in a temporary folder, on a free port of 127.0.0.1
with its unix socket in that folder. PostgreSQL refuses to run as root: as root, its commands run as
the ``postgres`` user (made by the Debian package)."""

from __future__ import annotations

import atexit
import glob
import importlib.util
import os
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path

from dsop_sandbox.ports import free_ports

SERVER_USER = "postgres"
#: The role the tests and the sandboxes connect as (trust authentication: a test cluster only).
ROLE = "sandbox"


def binaries() -> Path | None:
    """The newest ``/usr/lib/postgresql/<version>/bin`` with initdb, or None."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parent.parent.name))
    return Path(found[-1]).parent if found else None


def missing() -> str | None:
    """Why the PostgreSQL tests cannot run here, or None when they can."""
    if binaries() is None:
        return "PostgreSQL is not installed (/usr/lib/postgresql/*/bin): ./dev test installs it as root or with sudo"
    if os.geteuid() == 0 and not _user_exists(SERVER_USER):
        return f"running as root and there is no {SERVER_USER} user to run PostgreSQL as"
    if importlib.util.find_spec("psycopg") is None:
        return "psycopg is not installed (pip install -e '.[test]')"
    return None


def _user_exists(name: str) -> bool:
    import pwd

    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


class PostgresServer:
    def __init__(self):
        self.bin = binaries()
        self.folder = Path(tempfile.mkdtemp(prefix="dsop-postgres-"))
        self.data = self.folder / "data"
        self.port = 0
        self._as_root = os.geteuid() == 0
        if self._as_root:
            shutil.chown(self.folder, SERVER_USER, SERVER_USER)

    def _run(self, *command: str) -> None:
        prefix = ["runuser", "-u", SERVER_USER, "--"] if self._as_root else []
        done = subprocess.run([*prefix, *command], capture_output=True, text=True, timeout=120, check=False)
        if done.returncode:
            raise RuntimeError(f"{' '.join(command)} failed: {done.stdout}{done.stderr}")

    def start(self) -> PostgresServer:
        self._run(
            str(self.bin / "initdb"),
            "-D",
            str(self.data),
            "-U",
            ROLE,
            "--auth=trust",
            "--no-sync",
            "--encoding=UTF8",
            "--locale=C.UTF-8",
        )
        for _attempt in range(3):  # another process may take the free port first
            self.port = free_ports(1)[0]
            try:
                self._pg_ctl_start()
                atexit.register(self.stop)  # a worker that dies leaves no server behind either
                return self
            except RuntimeError:
                continue
        raise RuntimeError(f"PostgreSQL did not start: {(self.folder / 'log').read_text(errors='replace')[-2000:]}")

    def _pg_ctl_start(self) -> None:
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300"
        log = str(self.folder / "log")
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", log, "-w", "-o", options, "start")

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{ROLE}@127.0.0.1:{self.port}/{database}"

    def new_database(self) -> str:
        """A fresh, empty database's URL."""
        import psycopg

        name = "t_" + uuid.uuid4().hex[:16]
        with psycopg.connect(self.url(), autocommit=True) as admin:
            admin.execute(f"CREATE DATABASE {name}")
        return self.url(name)

    def restart(self) -> None:
        """Stop (dropping every connection) and start again on the same port."""
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")
        self._pg_ctl_start()

    def stop(self) -> None:
        if not self.data.exists():
            return
        try:
            self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)

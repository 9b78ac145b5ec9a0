"""The SQLite store's writer turn (``Store._writer_turn``): one process at a time writes, and the
kernel hands the turn on (a ``flock``), so that ``--workers`` never wait in SQLite's sleeping busy
handler. A forked worker takes the turn through a descriptor of its own: through the inherited one
it would share the parent's lock and never wait for it."""

from __future__ import annotations

import os
import time

import pytest

from dsop_sandbox.mocks.common.store import Store, fcntl

pytestmark = pytest.mark.skipif(fcntl is None, reason="flock is POSIX")


def child_waits_for_turn(store: Store) -> float:
    """Seconds a forked child waited for the writer turn, which the parent holds for 0.3 s from the
    moment the child says it is about to ask for it (however late the child gets to run)."""
    ready_read, ready_write = os.pipe()
    read, write = os.pipe()
    with store._writer_turn():
        pid = os.fork()
        if pid == 0:  # the child: take the turn, then say how long that took
            os.close(read)
            os.close(ready_read)
            began = time.monotonic()
            os.write(ready_write, b"!")
            with store._writer_turn():
                waited = time.monotonic() - began
            os.write(write, f"{waited:.3f}".encode())
            os._exit(0)
        os.close(write)
        os.close(ready_write)
        assert os.read(ready_read, 1) == b"!"
        time.sleep(0.3)  # the turn stays with the parent meanwhile (real processes: no clock to move)
    waited = float(os.read(read, 64).decode())
    os.close(read)
    os.close(ready_read)
    os.waitpid(pid, 0)
    return waited


def test_a_forked_process_waits_for_the_turn_the_parent_holds(tmp_path):
    store = Store(tmp_path / "service.sqlite3", "CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY AUTOINCREMENT);")
    with store.transaction() as db:  # the parent has opened its lock file before the fork
        db.execute("INSERT INTO t DEFAULT VALUES")
    assert child_waits_for_turn(store) >= 0.25


def test_writes_from_two_processes_all_land(tmp_path):
    store = Store(tmp_path / "service.sqlite3", "CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY AUTOINCREMENT);")
    pids = []
    for _ in range(2):
        pid = os.fork()
        if pid == 0:
            own = Store(tmp_path / "service.sqlite3")
            for _ in range(200):
                with own.transaction() as db:
                    db.execute("INSERT INTO t DEFAULT VALUES")
            os._exit(0)
        pids.append(pid)
    for pid in pids:
        assert os.waitpid(pid, 0)[1] == 0
    assert store.query_one("SELECT COUNT(*) AS n FROM t")["n"] == 400

"""``up --workers N`` and ``serve --workers N``: N worker processes per service, all on the service's port.

A pre-fork supervisor. It binds every service's socket and builds every app, as
:meth:`Sandbox.prepare <dsop_sandbox.launcher.Sandbox.prepare>` does (port 0 becomes a real port,
so that the apps get every real base URL; the key authority and the databases exist once, made by
one process), closes its database connections and then, while it has no thread, forks the workers.
Each worker serves every service from cheroot threads of its own on the inherited listening
sockets and names itself in the ``X-Sandbox-Worker`` header of every answer. A socket has one accept
queue: the kernel gives each new connection to whichever worker takes it first, so a worker that
dies loses only the requests it was serving, and the others go on at once. Everything a request
can see lives in the services' stores, shared by the workers.

The supervisor never serves. It starts a worker again when one dies (after a pause that doubles,
up to :data:`LONGEST_PAUSE`, while workers die within :data:`QUICK_DEATH` seconds of their start),
and on SIGTERM or SIGINT (or Ctrl-C, which signals the workers too) stops them all, and then the
reference insurer, which runs once, in a process of its own (``--with-insurer``). A worker gets
SIGTERM when the supervisor dies, so none outlives it. Workers are forks of the prepared supervisor,
a started one as a respawned one: neither builds anything, so the cold start is that of one process.
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import secrets
import select
import signal
import sys
import threading
import time
import traceback
from dataclasses import dataclass
from pathlib import Path

from .launcher import Sandbox, StartupError
from .ports import free_ports

#: A worker that ends sooner than this many seconds after its start is started again only after a pause.
QUICK_DEATH = 2.0
FIRST_PAUSE, LONGEST_PAUSE = 0.1, 5.0
#: Seconds between two looks at the workers (a dead one is noticed within this).
WATCH_INTERVAL = 0.1
#: Seconds the workers have to stop after SIGTERM before they get SIGKILL.
STOP_TIMEOUT = 10.0


def die_with_parent() -> None:
    """In a child process: get SIGTERM when the parent dies, so that no child outlives it (Linux)."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


@dataclass
class Slot:
    """One of the N places for a worker: the process in it, when it started, and its quick deaths in a row."""

    number: int
    pid: int = 0
    started: float = 0.0
    quick_deaths: int = 0
    due: float = 0.0  # when a worker starts in it again (monotonic), while it is empty


@dataclass(frozen=True)
class InsurerReport:
    """What the insurer process says about one reference insurer it serves (what ``print_started`` shows)."""

    url: str
    name: str
    org: str
    consent: str
    profile_path: Path


class Supervisor:
    """Runs ``sandbox``'s services in ``workers`` processes. :meth:`start`, then :meth:`watch` until
    a stop is asked for, then :meth:`stop`."""

    def __init__(self, sandbox: Sandbox, workers: int, with_insurer: bool = False):
        if workers < 1:
            raise ValueError("workers must be 1 or more")
        self.sandbox = sandbox
        self.workers = workers
        self.with_insurer = with_insurer
        self.slots = [Slot(number) for number in range(1, workers + 1)]
        self.insurers: list[InsurerReport] = []
        self.insurer_pid = 0
        self.startup_seconds: float | None = None
        self._ready_read, self._ready_write = os.pipe()
        os.set_blocking(self._ready_read, False)
        self._pid = os.getpid()
        self._stopped = False

    # -- starting --------------------------------------------------------------------------------------
    def start(self, timeout: float = 15.0) -> Supervisor:
        began = time.perf_counter()
        sandbox = self.sandbox
        sandbox.prepare()
        try:
            plan = self._plan_insurers() if self.with_insurer else []
            gc.freeze()  # what is built stays out of the workers' collections: fewer pages copied on write
            for slot in self.slots:
                self._spawn(slot)
            self._wait_ready(timeout)
            sandbox.wait_healthy(timeout)
            if plan:
                self._start_insurers(plan, timeout)
        except BaseException:
            self.stop()
            raise
        self.startup_seconds = time.perf_counter() - began
        sandbox.startup_seconds = self.startup_seconds
        return self

    def _spawn(self, slot: Slot) -> None:
        """Fork a worker into ``slot``. The supervisor holds no thread here."""
        if threading.active_count() != 1:
            raise RuntimeError(f"the supervisor forks only without threads; it has {threading.active_count()}")
        pid = self._fork()
        if pid == 0:
            self._be_worker(slot)  # never returns
        slot.pid, slot.started = pid, time.monotonic()

    def _fork(self) -> int:
        """``os.fork()``, with no database connection open (each process opens its own) and the
        output written out (so that the child does not write it again)."""
        self.sandbox.close_stores()
        sys.stdout.flush()
        sys.stderr.flush()
        return os.fork()

    def _child_stop(self) -> threading.Event | None:
        """In a forked child: SIGTERM when the supervisor dies, and the event SIGTERM or SIGINT sets;
        None when the supervisor died before the child could ask for that."""
        die_with_parent()
        if os.getppid() != self._pid:
            return None
        stop = threading.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: stop.set())
        return stop

    @staticmethod
    def _leave(code: int) -> None:
        """End a forked child (``os._exit``: the supervisor's stack, which the child shares, must not
        unwind there), its output written out."""
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)

    def _be_worker(self, slot: Slot) -> None:
        """The worker's life, in the forked child: serve until SIGTERM/SIGINT, then stop and leave."""
        code = 0
        try:
            stop = self._child_stop()
            if stop is None:
                return
            os.close(self._ready_read)
            self.sandbox.serve_here(f"{slot.number}/{self.workers} pid {os.getpid()}")
            os.write(self._ready_write, f"{slot.number}\n".encode())
            while not stop.wait(0.5):
                pass
            self.sandbox.stop()
        except BaseException:
            traceback.print_exc()
            code = 1
        finally:
            self._leave(code)

    def _wait_ready(self, timeout: float) -> None:
        """Until every worker has said it serves; a worker that ends first is a failed start."""
        deadline = time.monotonic() + timeout
        waiting = {slot.number for slot in self.slots}
        while waiting:
            for slot in self.slots:
                ended = self._ended(slot)
                if ended is not None:
                    raise StartupError(f"worker {slot.number} ended before it served ({ended})")
            left = deadline - time.monotonic()
            if left <= 0:
                raise StartupError(f"workers {', '.join(map(str, sorted(waiting)))} not serving after {timeout:.0f} s")
            select.select([self._ready_read], [], [], min(left, WATCH_INTERVAL))
            waiting -= self._ready_notes()

    def _ready_notes(self) -> set[int]:
        """The slots whose workers said they serve since the last look."""
        try:
            text = os.read(self._ready_read, 4096).decode()
        except BlockingIOError:
            return set()
        return {int(number) for number in text.split()}

    def _ended(self, slot: Slot) -> str | None:
        """How ``slot``'s worker ended ("exit code 1", "signal 9"), once reaped; None while it runs."""
        if not slot.pid:
            return None
        try:
            pid, status = os.waitpid(slot.pid, os.WNOHANG)
        except ChildProcessError:
            pid, status = slot.pid, 0
        if pid == 0:
            return None
        slot.pid = 0
        return (
            f"signal {os.WTERMSIG(status)}"
            if os.WIFSIGNALED(status)
            else f"exit code {os.waitstatus_to_exitcode(status)}"
        )

    # -- the reference insurer: once, in a process of its own ----------------------------------------
    def _plan_insurers(self) -> list[dict]:
        """The two reference insurers' ports, URLs and reset keys, fixed before the workers fork, so that
        every worker's control plane knows the keys (the walkthrough's "reset for the next group")."""
        from dsop_sandbox.examples.reference_insurer.config import RESET_KEY_HEADER

        from . import reference_insurer as reference
        from .control_plane import allow_insurer_reset

        settings = self.sandbox.settings
        first = settings.reference_insurer_port
        free = iter(free_ports(2, settings.bind_host))
        plan = [
            {"port": first or next(free), "org": reference.ORG, "name": reference.NAME, "consent": reference.ALTINN3},
            {"port": next(free), "org": reference.TWIN_ORG, "name": reference.TWIN_NAME, "consent": reference.ALTINN2},
        ]
        control = self.sandbox.apps.get("control")
        for insurer in plan:
            insurer["reset_key"] = secrets.token_urlsafe(32)
            if control is not None:
                url = f"{settings.scheme}://{settings.public_host}:{insurer['port']}"
                allow_insurer_reset(control, url, RESET_KEY_HEADER, insurer["reset_key"])
        return plan

    def _start_insurers(self, plan: list[dict], timeout: float) -> None:
        """Fork the insurer process and read what it serves (or why it could not start)."""
        report_read, report_write = os.pipe()
        pid = self._fork()
        if pid == 0:
            os.close(report_read)
            self._be_insurers(plan, report_write)  # never returns
        os.close(report_write)
        self.insurer_pid = pid
        with os.fdopen(report_read) as reports:
            ready, _, _ = select.select([reports], [], [], timeout + 30)
            line = reports.readline() if ready else ""
        answer = json.loads(line) if line.strip() else {"error": "the reference insurer's process did not answer"}
        if "error" in answer:
            raise StartupError(answer["error"])
        self.insurers = [
            InsurerReport(**{**item, "profile_path": Path(item["profile_path"])}) for item in answer["insurers"]
        ]

    def _be_insurers(self, plan: list[dict], report_write: int) -> None:
        from .reference_insurer import ReferenceInsurerServer

        code, servers = 0, []
        try:
            stop = self._child_stop()
            if stop is None:
                return
            try:
                for item in plan:
                    servers.append(
                        ReferenceInsurerServer(
                            self.sandbox,
                            port=item["port"],
                            org=item["org"],
                            name=item["name"],
                            consent=item["consent"],
                            options={"reset_key": item["reset_key"]},
                        ).start()
                    )
            except StartupError as exc:
                os.write(report_write, (json.dumps({"error": str(exc)}) + "\n").encode())
                code = 2
                return
            reports = [
                {"url": s.url, "name": s.name, "org": s.org, "consent": s.consent, "profile_path": str(s.profile_path)}
                for s in servers
            ]
            os.write(report_write, (json.dumps({"insurers": reports}) + "\n").encode())
            while not stop.wait(0.5):
                pass
        except BaseException:
            traceback.print_exc()
            code = 1
        finally:
            for server in reversed(servers):
                server.stop()
            self._leave(code)

    # -- while it runs -------------------------------------------------------------------------------
    def watch(self, stop: threading.Event) -> None:
        """Keep N workers running until ``stop`` is set: start a worker again in the place of one that ended."""
        while not stop.wait(WATCH_INTERVAL):
            self._ready_notes()  # (respawned workers say so too; nobody waits for it)
            self._watch_insurers()
            now = time.monotonic()
            for slot in self.slots:
                ended = self._ended(slot)
                if ended is not None:
                    self._schedule(slot, ended, now)
                if not slot.pid and now >= slot.due and not stop.is_set():
                    self._spawn(slot)

    def _watch_insurers(self) -> None:
        """The insurer process is not started again (it registered its insurers once): say that it ended."""
        if not self.insurer_pid:
            return
        ended = self._ended(Slot(0, pid=self.insurer_pid))
        if ended is not None:
            self.insurer_pid = 0
            print(f"dsop-sandbox: the reference insurers' process ended ({ended})", file=sys.stderr)

    def _schedule(self, slot: Slot, ended: str, now: float) -> None:
        quick = now - slot.started < QUICK_DEATH
        slot.quick_deaths = slot.quick_deaths + 1 if quick else 0
        pause = min(FIRST_PAUSE * 2 ** (slot.quick_deaths - 1), LONGEST_PAUSE) if quick else 0.0
        slot.due = now + pause
        services = ", ".join(self.sandbox.services)
        after = f" in {pause:.1f} s" if pause else ""
        print(
            f"dsop-sandbox: worker {slot.number} ({services}) ended ({ended}); a new one starts{after}", file=sys.stderr
        )

    def worker_pids(self) -> list[int]:
        return [slot.pid for slot in self.slots if slot.pid]

    # -- stopping ------------------------------------------------------------------------------------
    def stop(self) -> None:
        """SIGTERM to the insurer process and every worker, SIGKILL to those still there after
        :data:`STOP_TIMEOUT` s, then close the listening sockets."""
        if self._stopped:
            return
        self._stopped = True
        if self.insurer_pid:
            self._end_processes([self.insurer_pid])
            self.insurer_pid = 0
        self._end_processes(self.worker_pids())
        for slot in self.slots:
            slot.pid = 0
        self.sandbox.stop()
        for fd in (self._ready_read, self._ready_write):
            with contextlib.suppress(OSError):
                os.close(fd)

    def _end_processes(self, pids: list[int]) -> None:
        running = set(pids)
        for signum, wait in ((signal.SIGTERM, STOP_TIMEOUT), (signal.SIGKILL, 5.0)):
            for pid in running:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signum)
            deadline = time.monotonic() + wait
            while running and time.monotonic() < deadline:
                for pid in list(running):
                    try:
                        done, _ = os.waitpid(pid, os.WNOHANG)
                    except ChildProcessError:
                        done = pid
                    if done:
                        running.discard(pid)
                if running:
                    time.sleep(0.02)
            if not running:
                return

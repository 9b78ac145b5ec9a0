"""The Docker engine, the image and docker compose, as the container tests use them: plain CLI calls
(what a user types), each with a timeout, failing with what the command said."""

from __future__ import annotations

import fcntl
import functools
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
#: The image under test: this tree's (rebuilt when stale), or one named by DSOP_SANDBOX_IMAGE (as it is).
IMAGE = os.environ.get("DSOP_SANDBOX_IMAGE", "dsop-sandbox:0.1.0")
#: The user the Dockerfile makes (useradd --uid 10001).
SANDBOX_UID = "10001"


class CommandFailed(AssertionError):
    pass


def run(*argv: str, timeout: float = 120, env: dict | None = None, check: bool = True) -> subprocess.CompletedProcess:
    done = subprocess.run(
        list(argv),
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        stdin=subprocess.DEVNULL,
    )
    if check and done.returncode != 0:
        raise CommandFailed(f"{' '.join(argv)} exited {done.returncode}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return done


def docker(*args: str, **kwargs) -> subprocess.CompletedProcess:
    return run("docker", *args, **kwargs)


def require_engine() -> None:
    """Skip (fail under CI, which must run these) unless a Docker engine answers and the image is
    there; ``./dev test`` starts the engine and builds the image (containers/build-image)."""
    reason = None
    if not shutil.which("docker"):
        reason = "no docker CLI"
    elif run("docker", "info", timeout=30, check=False).returncode != 0:
        reason = "no Docker engine answers (./dev test starts dockerd as root)"
    elif run("docker", "image", "inspect", IMAGE, timeout=30, check=False).returncode != 0:
        reason = f"the image {IMAGE} is not built (./dev image, or ./dev test, builds it)"
    elif not compose_command():
        reason = "neither docker-compose nor docker compose is installed"
    if reason:
        if os.environ.get("CI"):
            pytest.fail(f"container tests must run under CI, but {reason}", pytrace=False)
        pytest.skip(reason)
    if "DSOP_SANDBOX_IMAGE" not in os.environ:
        current_image()


@functools.cache
def current_image() -> None:
    """The image built from this tree as it is now (containers/build-image: cached layers, under a second
    when nothing changed), so that a test never runs an image older than the code; one worker at a time."""
    with open(Path(tempfile.gettempdir()) / "dsop-sandbox-build-image.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        run(str(ROOT / "containers" / "build-image"), IMAGE, timeout=600)


def compose_command() -> list[str]:
    """``docker compose`` (v2) when it is there, else Debian's ``docker-compose`` (1.29)."""
    if shutil.which("docker") and run("docker", "compose", "version", timeout=30, check=False).returncode == 0:
        return ["docker", "compose"]
    return ["docker-compose"] if shutil.which("docker-compose") else []


class Compose:
    """One compose project (``-p NAME``) of one compose file (and the ``overrides`` merged over it), its
    published ports moved to ``ports`` (``DSOP_SANDBOX_<SERVICE>_PORT``) so that it runs beside anything
    on the default ports."""

    def __init__(self, project: str, file: Path, ports: dict[str, int], *overrides: Path):
        self.project, self.files = project, (file, *overrides)
        self.env = {f"DSOP_SANDBOX_{name.upper()}_PORT": str(port) for name, port in ports.items()}
        self.ports = ports

    def __call__(self, *args: str, timeout: float = 180, check: bool = True) -> subprocess.CompletedProcess:
        files = [option for file in self.files for option in ("-f", str(file))]
        argv = [*compose_command(), "-p", self.project, *files, *args]
        return run(*argv, timeout=timeout, env=self.env, check=check)

    def container(self, service: str) -> str:
        """The id of ``service``'s container (the one-shot ones too, once they ran; not ``run --rm`` ones)."""
        found = self.ps(f"label=com.docker.compose.service={service}")
        assert len(found) == 1, (service, found)
        return found[0][1]

    def containers(self) -> dict[str, str]:
        """The ids of the project's containers by service."""
        return dict(self.ps())

    def ps(self, *filters: str) -> list[tuple[str, str]]:
        """(service, container id) of the project's containers, as ``docker-compose ps --all`` lists them,
        from ``docker ps`` and compose's labels: the Docker CLI takes a fraction of the second and more of
        CPU that docker-compose 1.29 takes to start."""
        labels = [f"label=com.docker.compose.project={self.project}", "label=com.docker.compose.oneoff=False"]
        options = [option for label in (*labels, *filters) for option in ("--filter", label)]
        found = docker("ps", "--all", *options, "--format", '{{.Label "com.docker.compose.service"}} {{.ID}}')
        return [tuple(line.split()) for line in found.stdout.splitlines()]

    def read(self, service: str, path: str) -> bytes:
        """A file out of ``service``'s container (running or not), as ``docker cp`` gives it."""
        done = subprocess.run(
            ["docker", "cp", f"{self.container(service)}:{path}", "-"], capture_output=True, timeout=60, check=True
        )
        return untar_one(done.stdout)

    def down(self) -> None:
        self("--profile", "insurer", "down", "--volumes", "--remove-orphans", "--timeout", "0", check=False)


def untar_one(data: bytes) -> bytes:
    import io
    import tarfile

    with tarfile.open(fileobj=io.BytesIO(data)) as archive:
        member = archive.next()
        assert member is not None and member.isfile(), "docker cp gave no file"
        handle = archive.extractfile(member)
        assert handle is not None
        return handle.read()


def wait_until(check, timeout: float, what: str, interval: float = 0.25):
    """Poll ``check()`` until it answers something true (no fixed sleeps); AssertionError after ``timeout``."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = check()
        except (requests.RequestException, ValueError, CommandFailed) as exc:
            last = exc
        else:
            if last:
                return last
        time.sleep(interval)
    raise AssertionError(f"{what}: not within {timeout} s (last: {last!r})")

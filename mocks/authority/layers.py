"""Where the key authority's files live: its key directory, which may be read-only, and an overlay.

The key directory (``<state_dir>/authority``) is filled once, by ``dsop-sandbox keys init`` or by
the first process that opens it, and may then be shared read-only (docker-compose.yml mounts it
``:ro`` in every service). What an authority makes later while its key directory is read-only (a
rotated signing key, a TLS certificate for host names the directory has none for) goes to the
overlay (``<state_dir>/authority-overlay``, in the service's own writable state), where every later
open looks first. The root and enterprise CAs and ``ca.pem`` live only in the key directory.

Writes take an exclusive ``fcntl`` lock on ``.lock`` in the directory written to; reads take no
lock: every file is written whole to a temporary name and renamed into place.
"""

from __future__ import annotations

import fcntl
import os
from contextlib import contextmanager
from pathlib import Path

OVERLAY_SUFFIX = "-overlay"
LOCK_FILE = ".lock"


class AuthorityError(RuntimeError):
    """Key material that is missing, inconsistent, or cannot be written where it must go."""


def is_read_only(directory: Path) -> bool:
    """Whether this process must not write ``directory``: it cannot (a read-only mount, another
    owner), or nobody may (no write permission bit at all: made read-only on purpose with
    ``chmod -R a-w``, which root, who could write anyway, honours too). A directory that does not
    exist yet is not read-only: it is to be created."""
    try:
        mode = directory.stat().st_mode
    except FileNotFoundError:
        return False
    return not os.access(directory, os.W_OK) or not mode & 0o222


class Layers:
    """The key directory and its overlay. ``read_only`` None: decided by :func:`is_read_only`."""

    def __init__(self, directory: Path, overlay: Path | None = None, read_only: bool | None = None):
        self.directory = Path(directory)
        self.overlay = (
            Path(overlay) if overlay is not None else self.directory.with_name(self.directory.name + OVERLAY_SUFFIX)
        )
        self.read_only = is_read_only(self.directory) if read_only is None else read_only

    def find(self, relative: str) -> Path | None:
        """The file at ``relative``: the overlay's if it has one, else the key directory's, else None."""
        for root in (self.overlay, self.directory):
            if (root / relative).is_file():
                return root / relative
        return None

    def in_overlay(self, relative: str) -> bool:
        return (self.overlay / relative).is_file()

    def write_root(self, prefer_overlay: bool = False) -> Path:
        """Where new material goes: the overlay when the key directory is read-only (or when the
        caller's current state already lives there), else the key directory."""
        return self.overlay if self.read_only or prefer_overlay else self.directory

    @contextmanager
    def locked(self, root: Path):
        """Hold the exclusive lock of ``root`` (created if missing) while writing in it."""
        try:
            root.mkdir(parents=True, exist_ok=True)
            descriptor = os.open(root / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise AuthorityError(f"cannot write the key authority's material in {root}: {exc.strerror or exc}") from exc
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX)
            yield root
        finally:
            os.close(descriptor)  # closing releases the lock

    @staticmethod
    def write(path: Path, data: bytes, private: bool = False) -> None:
        """Write ``path`` whole (a temporary file renamed into place); private files are 0600."""
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(path.suffix + ".tmp")
            tmp.write_bytes(data)
            if private:
                os.chmod(tmp, 0o600)
            os.replace(tmp, path)
        except OSError as exc:
            raise AuthorityError(f"cannot write {path}: {exc.strerror or exc}") from exc

"""The sandbox tenant's state: a JSON document in memory, persisted atomically under a folder.

Separate CLI runs (``federator --sandbox ...``) and a running ``federator sandbox serve`` share one
folder (``Paths.sandbox_dir``), so every request first picks up changes another process wrote
(the file's size and modification time tell), and every change is written back at once
(temporary file + ``os.replace``). Every request that may change the tenant runs inside
``TenantStore.transaction()``: an exclusive lock on ``tenant.json.lock`` (the ``filelock``
package: ``fcntl.flock`` on POSIX, ``msvcrt.locking`` on Windows) held from the re-read to the
write, so two processes
changing the tenant at once both keep their change (no "last write wins"), and a request that
fails half-way leaves nothing behind (the state is re-read from disk, as Graph answers an error
without a partial change).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import secrets
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from filelock import FileLock

from core.atomic_write import write_atomic
from sandbox.bulk import BulkUsers, apply_bulk, bulk_of
from sandbox.seed import build_seed

log = logging.getLogger(__name__)

STATE_FILE = "tenant.json"
LOCK_FILE = "tenant.json.lock"
SECRET_FILE = "signing.key"  # noqa: S105 - a file name, not a secret
LOCK_TIMEOUT_S = 30.0


class TenantStore:
    """One tenant's state (``data``), its persistence and the lock that guards both."""

    def __init__(self, folder: Path, *, seed: int = 0, bulk_users: int | None = None) -> None:
        self.folder = folder
        self.seed = seed
        # None keeps the number of bulk users the state holds (see sandbox.bulk).
        self.bulk_users = bulk_users
        self.lock = threading.RLock()
        self.data: dict[str, Any] = {}
        self._stamp: tuple[int, ...] | None = None
        self._depth = 0  # nesting of transaction() in the thread holding ``lock``
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        # Between processes (a ``federator --sandbox`` CLI run next to ``federator sandbox serve``,
        # or two test workers on one folder); ``lock`` serialises this process's threads.
        self._file_lock = FileLock(folder / LOCK_FILE, timeout=LOCK_TIMEOUT_S)
        self.secret = self._load_secret()
        with self.transaction():
            if not self.data:
                self.reset()
            elif bulk_users is not None and self.data.get("bulkUsers", 0) != bulk_users:
                apply_bulk(self.data, bulk_users)
                self.save()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """Hold the tenant for a read-modify-write: this thread and no other process changes it
        until the block ends. Re-entrant (``$batch`` items run inside the batch's transaction).
        Entering re-reads the state from disk; an exception leaving the block throws away any
        unsaved change (re-read from disk) so a failed request changes nothing."""
        with self.lock:
            outermost = self._depth == 0
            if outermost:
                self._file_lock.acquire()
            self._depth += 1
            try:
                if outermost:
                    self._stamp = None  # always re-read under the lock: a stamp can miss a write
                    self.refresh()
                yield
            except BaseException:
                self._stamp = None
                self.refresh()
                raise
            finally:
                self._depth -= 1
                if outermost:
                    self._file_lock.release()

    @property
    def file(self) -> Path:
        return self.folder / STATE_FILE

    def _load_secret(self) -> bytes:
        """The token-signing secret; kept across runs so persisted tokens stay valid."""
        path = self.folder / SECRET_FILE
        for _attempt in range(50):
            try:
                value = bytes.fromhex(path.read_text(encoding="ascii").strip())
                if len(value) >= 32:
                    return value
            except (OSError, ValueError):
                pass
            # Two processes starting at once must agree on one secret: create it exclusively
            # under a temporary name, then link it into place (fails if another got there).
            value = secrets.token_bytes(32)
            tmp = path.with_name(f".{SECRET_FILE}.{os.getpid()}.{threading.get_ident()}")
            write_atomic(tmp, value.hex().encode("ascii"))
            try:
                os.link(tmp, path)
                return value
            except FileExistsError:
                continue  # someone else's secret won: read it
            except OSError:  # no hard links on this file system
                write_atomic(path, value.hex().encode("ascii"))
                return value
            finally:
                with contextlib.suppress(OSError):
                    tmp.unlink()
        raise OSError(f"cannot read or create the sandbox signing secret in {self.folder}")

    def _current_stamp(self) -> tuple[int, ...] | None:
        # Each save replaces the file, so its identity (inode / file index) changes too; with
        # mtime and size this catches another process's write between two of our reads.
        try:
            info = self.file.stat()
        except OSError:
            return None
        return (info.st_mtime_ns, info.st_size, info.st_ino, info.st_ctime_ns)

    def refresh(self) -> bool:
        """Reload from disk if another process changed the file; False when there is no usable
        state on disk (missing or unreadable), in which case the caller resets to the seed."""
        with self.lock:
            stamp = self._current_stamp()
            if stamp is None:
                return False
            if stamp == self._stamp and self.data:
                return True
            try:
                loaded = json.loads(self._read_text())
            except FileNotFoundError:
                return False
            except (OSError, ValueError):
                loaded = None
            if not isinstance(loaded, dict) or loaded.get("version") != 1:
                if self.data:
                    return True  # keep what we have rather than lose it to a bad file
                log.warning("sandbox state %s is unreadable; starting from the seed", self.file)
                with contextlib.suppress(OSError):
                    self.file.replace(self.file.with_name(STATE_FILE + ".unreadable"))
                return False
            self.data = loaded
            self._stamp = stamp
            return True

    def _read_text(self) -> str:
        for attempt in range(20):
            try:
                return self.file.read_text(encoding="utf-8")
            except PermissionError:
                # Windows: the file is being replaced by another process this very moment.
                if attempt == 19:
                    raise
                time.sleep(0.01)
        raise AssertionError("unreachable")

    def save(self) -> None:
        with self.lock:
            payload = json.dumps(self.data, indent=1, sort_keys=True).encode("utf-8")
            write_atomic(self.file, payload)
            self._stamp = self._current_stamp()

    def reset(self) -> None:
        """Back to the seed tenant (and write it)."""
        with self.transaction():
            self.data = build_seed(self.seed)
            apply_bulk(self.data, self.bulk_users or 0)
            self.save()

    # Small lookups shared by the Graph rules, login and realm discovery.

    def domain(self, name: str) -> dict[str, Any] | None:
        wanted = name.lower()
        for domain in self.data["domains"]:
            if domain["id"].lower() == wanted:
                return domain  # type: ignore[no-any-return]
        return None

    def user_by_upn(self, upn: str) -> dict[str, Any] | None:
        wanted = upn.lower()
        for user in self.data["users"]:
            if user["userPrincipalName"].lower() == wanted:
                return user  # type: ignore[no-any-return]
        return self.bulk.get(upn)

    def user_by_id(self, object_id: str) -> dict[str, Any] | None:
        for user in self.data["users"]:
            if user["id"] == object_id:
                return user  # type: ignore[no-any-return]
        return self.bulk.get(object_id)

    @property
    def bulk(self) -> BulkUsers:
        """The users made on demand rather than stored (see ``sandbox.bulk``)."""
        return bulk_of(self.data, self.seed)

    def user_roles(self, user_id: str) -> list[str]:
        """Role template ids assigned to ``user_id`` (what the ``wids`` claim carries)."""
        return [a["roleDefinitionId"] for a in self.data["roleAssignments"]
                if a["principalId"] == user_id]

    @property
    def tenant_id(self) -> str:
        return str(self.data["organization"]["id"])

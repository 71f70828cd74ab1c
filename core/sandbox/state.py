"""The sandbox tenant's state: a JSON document in memory, persisted atomically under a folder.

Separate CLI runs (``federator --sandbox ...``) and a running ``federator sandbox serve`` share one
folder (``Paths.sandbox_dir``), so every request first picks up changes another process wrote
(the file's size and modification time tell), and every change is written back at once
(temporary file + ``os.replace``). Two processes writing at the very same moment is not handled:
the last write wins, which is acceptable for a demo and test tenant.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import threading
import time
from pathlib import Path
from typing import Any

from core.sandbox.seed import build_seed

STATE_FILE = "tenant.json"
SECRET_FILE = "signing.key"  # noqa: S105 - a file name, not a secret


def write_atomic(path: Path, data: bytes, *, mode: int = 0o600) -> None:
    """Write ``data`` to ``path`` so that readers see the old or the new content, never half."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        for attempt in range(20):
            try:
                tmp.replace(path)
                break
            except PermissionError:
                # Windows refuses to replace a file another process has open for a moment.
                if attempt == 19:
                    raise
                time.sleep(0.01)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


class TenantStore:
    """One tenant's state (``data``), its persistence and the lock that guards both."""

    def __init__(self, folder: Path, *, seed: int = 0) -> None:
        self.folder = folder
        self.seed = seed
        self.lock = threading.RLock()
        self.data: dict[str, Any] = {}
        self._stamp: tuple[int, int] | None = None
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.secret = self._load_secret()
        with self.lock:
            if not self.refresh():
                self.reset()

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

    def _current_stamp(self) -> tuple[int, int] | None:
        try:
            info = self.file.stat()
        except OSError:
            return None
        return (info.st_mtime_ns, info.st_size)

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
                loaded = json.loads(self.file.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                return False
            if not isinstance(loaded, dict) or loaded.get("version") != 1:
                return False
            self.data = loaded
            self._stamp = stamp
            return True

    def save(self) -> None:
        with self.lock:
            payload = json.dumps(self.data, indent=1, sort_keys=True).encode("utf-8")
            write_atomic(self.file, payload)
            self._stamp = self._current_stamp()

    def reset(self) -> None:
        """Back to the seed tenant (and write it)."""
        with self.lock:
            self.data = build_seed(self.seed)
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
        return None

    def user_by_id(self, object_id: str) -> dict[str, Any] | None:
        for user in self.data["users"]:
            if user["id"] == object_id:
                return user  # type: ignore[no-any-return]
        return None

    def user_roles(self, user_id: str) -> list[str]:
        """Role template ids assigned to ``user_id`` (what the ``wids`` claim carries)."""
        return [a["roleDefinitionId"] for a in self.data["roleAssignments"]
                if a["principalId"] == user_id]

    @property
    def tenant_id(self) -> str:
        return str(self.data["organization"]["id"])

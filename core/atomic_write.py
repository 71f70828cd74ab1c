"""Writing a file whole or not at all: readers see the old content or the new, never half.

Why a module of its own: the settings file, the window's settings, the journal index and the
sandbox's state all replace a file this way (a temporary file beside it, then ``os.replace``,
atomic on POSIX and on Windows: https://docs.python.org/3/library/os.html#os.replace).
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from pathlib import Path


def write_atomic(path: Path, data: bytes, *, mode: int = 0o600, durable: bool = True) -> None:
    """Replace ``path`` with ``data`` at once. The file is created with ``mode`` (private by
    default). ``durable``: on disk before it replaces the old file (``fsync``); a cache that
    can be rebuilt skips it. Raises ``OSError`` (the temporary file is removed)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_BINARY", 0), mode)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            if durable:
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

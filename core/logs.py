"""Logging set-up: a rotating file in the per-user log folder, with secrets scrubbed on the way out.

The scrubber is a last line of defence; code must not log tokens in the first place.
"""

from __future__ import annotations

import contextlib
import logging
import logging.handlers
import os
import re
import time
from pathlib import Path
from typing import IO, Any

_SECRET_PATTERNS = [
    (re.compile(r"(?i)(bearer\s+)[A-Za-z0-9\-_\.=+/]+"), r"\1[redacted]"),
    # Quoted either way: JSON uses ", a Python repr of a dict (an msal result) uses '.
    (re.compile(r"(?i)([\"']?(?:access_token|refresh_token|id_token|client_secret|device_code|"
                r"code_verifier|authorization|code)[\"']?\s*[:=]\s*[\"']?)[^\"'&\s,}]+"),
     r"\1[redacted]"),
    (re.compile(r"eyJ[A-Za-z0-9\-_]{8,}\.[A-Za-z0-9\-_]{8,}\.[A-Za-z0-9\-_]*"), "[redacted-jwt]"),
]


def scrub(text: str) -> str:
    """Remove bearer tokens, JWTs and OAuth secrets from ``text``."""
    for pattern, replacement in _SECRET_PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class SecretScrubbingFormatter(logging.Formatter):
    """A formatter that scrubs the fully formatted record, arguments and tracebacks included."""

    def format(self, record: logging.LogRecord) -> str:
        return scrub(super().format(record))


_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"
PRIVATE_DIR_MODE = 0o700
PRIVATE_FILE_MODE = 0o600


def private_folder(folder: Path) -> Path:
    """Create ``folder`` (and parents) readable only by its owner, and tighten it if it exists
    already with wider rights: logs name the tenant, the admin and the domains changed. On
    Windows modes mean little; the per-user profile folder's ACL protects it there."""
    folder.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR_MODE)
    if os.name == "posix":
        with contextlib.suppress(OSError):
            if folder.stat().st_mode & 0o077:
                folder.chmod(PRIVATE_DIR_MODE)
    return folder


def open_private(path: Path, mode: str = "a") -> IO[str]:
    """Open a text file for writing that only its owner can read (0600 on POSIX), whatever the
    umask, and tighten an existing one."""
    flags = os.O_WRONLY | os.O_CREAT | (os.O_APPEND if mode.startswith("a") else os.O_TRUNC)
    fd = os.open(path, flags, PRIVATE_FILE_MODE)
    if os.name == "posix":
        with contextlib.suppress(OSError):
            os.fchmod(fd, PRIVATE_FILE_MODE)
    return os.fdopen(fd, mode, encoding="utf-8")


class PrivateRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """A RotatingFileHandler whose files (the current one and each rotated one, which keeps the
    mode when renamed) are created owner-only, and which keeps logging when it cannot rotate.

    On Windows a file that another process has open cannot be renamed or deleted (ERROR_SHARING_
    VIOLATION, https://learn.microsoft.com/windows/win32/debug/system-error-codes--0-499-): with
    the window and a command line running at once (two CLI runs share a file too), the stock
    handler failed every rotation and printed a "--- Logging error ---" traceback for every line
    after the first megabyte. This one keeps appending to the current file and tries the rotation
    again a minute later."""

    RETRY_ROTATION_AFTER_S = 60.0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._rotation_blocked_until = 0.0

    def _open(self) -> Any:
        return open_private(Path(self.baseFilename), self.mode)

    def shouldRollover(self, record: logging.LogRecord) -> int:
        if time.monotonic() < self._rotation_blocked_until:
            return False
        return bool(super().shouldRollover(record))

    def doRollover(self) -> None:
        try:
            super().doRollover()
        except OSError:
            self._rotation_blocked_until = time.monotonic() + self.RETRY_ROTATION_AFTER_S
            if self.stream is None:
                self.stream = self._open()


def setup_logging(log_file: Path | None, *, verbose: bool = False) -> None:
    """Log to ``log_file`` (rotating, 1 MB x 5) and, when verbose, to stderr."""
    root = logging.getLogger()
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    for handler in list(root.handlers):
        if getattr(handler, "_federator", False):
            root.removeHandler(handler)
            handler.close()
    formatter = SecretScrubbingFormatter(_FORMAT)
    if log_file is not None:
        try:
            private_folder(log_file.parent)
            file_handler = PrivateRotatingFileHandler(
                log_file, maxBytes=1_000_000, backupCount=5, encoding="utf-8")
        except OSError:
            file_handler = None
        if file_handler is not None:
            file_handler.setFormatter(formatter)
            file_handler.setLevel(logging.DEBUG)
            file_handler._federator = True  # type: ignore[attr-defined]
            root.addHandler(file_handler)
    if verbose:
        stream = logging.StreamHandler()
        stream.setFormatter(formatter)
        stream.setLevel(logging.DEBUG)
        stream._federator = True  # type: ignore[attr-defined]
        root.addHandler(stream)

"""Logs and crash reports name the tenant, the admin and the domains changed: on POSIX their
folder is 0700 and their files 0600 (as the journal and token cache are), whatever the umask,
and a folder left wider by an older version is tightened."""

from __future__ import annotations

import logging
import os
import stat
import sys
from pathlib import Path

import pytest

import cli.main as cli
from core.logs import setup_logging
from core.paths import resolve_paths

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX modes")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def open_umask() -> object:
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_a_command_writes_its_log_owner_only(open_umask: object,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    paths = resolve_paths()
    paths.logs.mkdir(parents=True, mode=0o755)  # as an older Federator (or a tool) left it
    paths.logs.chmod(0o755)
    try:
        assert cli.main(["--sandbox", "domains"]) == 0
    finally:
        setup_logging(None)  # close the file handler on the test's home
    assert paths.cli_log_file.exists()
    assert mode(paths.logs) == 0o700
    assert mode(paths.cli_log_file) == 0o600


def test_rotated_log_files_stay_owner_only(open_umask: object, tmp_path: Path) -> None:
    log_file = tmp_path / "logs" / "federator.log"
    setup_logging(log_file)
    try:
        handler = next(h for h in logging.getLogger().handlers
                       if getattr(h, "_federator", False))
        assert isinstance(handler, logging.handlers.RotatingFileHandler)
        logging.getLogger("test").info("before rotation")
        handler.doRollover()
        logging.getLogger("test").info("after rotation")
    finally:
        setup_logging(None)
    files = sorted((tmp_path / "logs").iterdir())
    assert len(files) == 2
    assert all(mode(f) == 0o600 for f in files), [(f.name, oct(mode(f))) for f in files]
    assert mode(tmp_path / "logs") == 0o700


def test_a_crash_report_is_owner_only(open_umask: object, tmp_path: Path) -> None:
    from gui.crash import write_crash_report

    try:
        raise RuntimeError("boom")
    except RuntimeError as exc:
        report = write_crash_report(tmp_path / "logs" / "crash", RuntimeError, exc,
                                    exc.__traceback__)
    assert mode(report) == 0o600
    assert mode(report.parent) == 0o700

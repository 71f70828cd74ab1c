"""A journal write cut short (a full disk) is a journal error and leaves no torn line."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

TORN_WRITE_SCRIPT = r"""
import resource, signal, sys
from pathlib import Path
from core.journal import Journal, JournalError, Snapshot

journal = Journal(Path(sys.argv[1]), "tenant-1")
snap = Snapshot(id="s-before", tenant="tenant-1", domain_name="fabrikam.com", taken_at="",
                domain={"authenticationType": "Managed"}, federation=None)
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG instead of death: a disk that is full
soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
try:
    with journal.writing("test") as w:
        entry = w.begin(kind="federate", domain="fabrikam.com", who="a", snapshot=snap)
        resource.setrlimit(resource.RLIMIT_FSIZE, (journal.path.stat().st_size + 40, hard))
        entry.step("write", "x" * 400)  # only its first 40 bytes fit, and the disk stays full
        # After the entry began, the change goes on (its write may be out): no exception, and
        # the failure is said (no rescue file fits either under this limit).
        print("failed:", w.failed, "|", w.warnings[-1])
except JournalError:
    print("JournalError")
except OSError as exc:
    print("raw", type(exc).__name__)
finally:
    resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
"""


@pytest.mark.skipif(sys.platform == "win32", reason="RLIMIT_FSIZE (a full disk) is POSIX-only")
def test_a_journal_write_cut_short_is_a_journal_error_and_leaves_no_torn_line(
        tmp_path: Path) -> None:
    import subprocess
    import sys

    if not hasattr(__import__("signal"), "SIGXFSZ"):
        pytest.skip("needs POSIX file-size limits to cut a write short")
    from core.journal import Journal

    done = subprocess.run([sys.executable, "-c", TORN_WRITE_SCRIPT, str(tmp_path)],
                          capture_output=True, text=True, timeout=60,
                          cwd=Path(__file__).resolve().parents[2])
    assert done.returncode == 0, done.stderr
    # Said in words, not a raw OSError from closing the file.
    assert done.stdout.startswith("failed: File too large | The journal "), done.stdout
    assert "could not be saved to any file either" in done.stdout
    contents = Journal(tmp_path, "tenant-1").read()
    assert contents.problems == []  # the record is absent, not half there
    [entry] = contents.entries
    assert entry.in_progress and [r["type"] for r in entry.records] == ["begin"]


# -- make-default: the journal records the PATCH's own answer ------------------------------------

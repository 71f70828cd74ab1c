"""The journal is where Federator says it is: a journal deleted or replaced while a change runs,
and a journal that cannot be written after the write, still leave the way back that is printed."""

from __future__ import annotations

import errno
import json
import os
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from cli.main import main
from core import journal as journal_mod
from core.graph.client import GraphClient

TENANT_JOURNAL = "tenant-*.jsonl"
POSIX_ONLY = pytest.mark.skipif(
    sys.platform == "win32",
    reason="Windows refuses to delete or rename over a file another handle holds open; the "
           "identity check itself is the same code (st_ino is the file index there)")


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["--sandbox", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def _during_first_write(monkeypatch: pytest.MonkeyPatch, action: Callable[[], None]) -> None:
    """Run ``action`` as the change sends its first write (a cleanup tool striking mid-change)."""
    real = GraphClient.request
    done = False

    def request(self: GraphClient, method: str, path: str, *args: Any, **kwargs: Any) -> Any:
        nonlocal done
        if method in ("POST", "PATCH", "DELETE") and "$batch" not in path and not done:
            done = True
            action()
        return real(self, method, path, *args, **kwargs)

    monkeypatch.setattr(GraphClient, "request", request)


def _journal_dir(home: Path) -> Path:
    from core.paths import resolve_paths

    return resolve_paths().journal_dir


def _journal(home: Path) -> Path:
    [path] = _journal_dir(home).glob(TENANT_JOURNAL)
    return path


def _revert_then_restore(capsys: pytest.CaptureFixture[str], out: str) -> None:
    """The printed way back works: it finds the snapshot and puts tailspin.io back."""
    op = re.search(r"Recorded in the journal as (\w+)", out)
    assert op, out
    code, hist, _ = run(capsys, "history", "--domain", "tailspin.io")
    assert code == 0 and op.group(1) in hist and "No changes recorded" not in hist
    way_back = re.search(r"Way back:\n  federator --home \S+ --sandbox restore (\S+) --confirm",
                         out)
    assert way_back and way_back.group(1) == f"{op.group(1)}-before"
    code, out2, err2 = run(capsys, "restore", way_back.group(1), "--confirm", "tailspin.io")
    assert code == 0, out2 + err2
    assert "is back as snapshot" in out2 and "Federated with the IdP" in out2


@POSIX_ONLY
def test_a_journal_deleted_mid_change_is_recreated_with_the_entry_and_the_user_warned(
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
        federator_home: Path) -> None:
    run(capsys, "history")  # nothing yet

    def delete_journal() -> None:
        _journal(federator_home).unlink()

    _during_first_write(monkeypatch, delete_journal)
    code, out, _ = run(capsys, "revert", "--domain", "tailspin.io", "--confirm", "tailspin.io")
    assert code == 0 and "Result: succeeded" in out
    assert "was deleted while this change ran" in out  # said as it happened and in the result
    assert out.count("Federator recreated it") == 2
    entry = _entries(federator_home)[-1]
    types = [r["type"] for r in entry.records]
    assert types[0] == "begin" and types[-1] == "end"
    assert entry.snapshot_before is not None and entry.snapshot_before.federation is not None
    assert any(r.get("step") == "journal-recreated" for r in entry.records)
    monkeypatch.undo()
    monkeypatch.setenv("FEDERATOR_HOME", str(federator_home))
    _revert_then_restore(capsys, out)


@POSIX_ONLY
def test_a_journal_replaced_by_an_older_copy_mid_change_gets_the_missing_records_once(
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
        federator_home: Path) -> None:
    """A sync tool puts back the copy it holds (from before this change): what it lacks is
    written again, what it has is not duplicated."""
    code, _, _ = run(capsys, "revert", "--domain", "tailspin.io", "--confirm", "tailspin.io")
    assert code == 0
    code, _, _ = run(capsys, "restore", _entries(federator_home)[0].op + "-before",
                     "--confirm", "tailspin.io")
    assert code == 0
    older = _journal(federator_home).read_bytes()

    def sync_puts_back_its_copy() -> None:
        path = _journal(federator_home)
        other = path.with_name("synced.tmp")
        other.write_bytes(older)
        os.replace(other, path)

    _during_first_write(monkeypatch, sync_puts_back_its_copy)
    code, out, _ = run(capsys, "revert", "--domain", "tailspin.io", "--confirm", "tailspin.io")
    assert code == 0 and "was replaced by another file while this change ran" in out
    entries = _entries(federator_home)
    assert [e.kind for e in entries] == ["revert", "restore", "revert"]
    assert all(not e.in_progress for e in entries)
    for entry in entries:
        assert [r["type"] for r in entry.records].count("begin") == 1
    monkeypatch.undo()
    monkeypatch.setenv("FEDERATOR_HOME", str(federator_home))
    _revert_then_restore(capsys, out)


def test_identity_is_compared_not_the_path(tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """Where the OS will not let the file go (Windows), the check is the same: a different
    identity at the path (emulated here) means the journal must be written again."""
    journal = journal_mod.Journal(tmp_path, "t1")
    snap = journal_mod.Snapshot("a-before", "t1", "fabrikam.com", "", {"authenticationType":
                                                                       "Managed"}, None)
    with journal.writing("test") as w:
        entry = w.begin(kind="revert", domain="fabrikam.com", who="a", snapshot=snap, op="a")
        if sys.platform != "win32":
            journal.path.unlink()
        real = journal_mod.identity_at
        calls = {"n": 0}

        def other_file_once(path: Path) -> tuple[int, int] | None:
            calls["n"] += 1
            return (-1, -1) if calls["n"] == 1 else real(path)

        monkeypatch.setattr(journal_mod, "identity_at", other_file_once)
        entry.step("write", "sent")
        entry.end("succeeded", summary="done", way_back="back", snapshot=None)
    [read] = journal.entries()
    assert [r["type"] for r in read.records if r.get("step") != "journal-recreated"] == \
        ["begin", "step", "end"]
    assert any(r.get("step") == "journal-recreated" for r in read.records)
    assert w.warnings and "while this change ran" in w.warnings[0]


def _entries(home: Path) -> list[Any]:
    return journal_mod.read_all(_journal_dir(home)).entries


def _disk_full_after(marker: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    """From the first record holding ``marker`` on, every write to the tenant journal fails with
    ENOSPC (the journal's disk is full; other folders still take a small file)."""
    real = journal_mod.JournalWriter._write_line
    full = {"on": False}

    def write_line(self: journal_mod.JournalWriter, data: bytes) -> None:
        full["on"] = full["on"] or marker in data
        if full["on"]:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real(self, data)

    monkeypatch.setattr(journal_mod.JournalWriter, "_write_line", write_line)


def test_disk_full_after_the_write_still_says_what_changed_and_keeps_the_snapshot(
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
        federator_home: Path) -> None:
    _disk_full_after(b'"type":"response"', monkeypatch)
    code, out, err = run(capsys, "revert", "--domain", "tailspin.io", "--confirm", "tailspin.io")
    # The change was made and read back: the result says so, what the domain is, the way back.
    assert code == 0, out + err
    assert "Result: succeeded" in out
    assert "tailspin.io is back to managed (cloud) sign-in" in out
    way_back = re.search(r"Way back:\n  federator --home \S+ --sandbox restore (\S+) --confirm "
                         r"tailspin.io", out)
    assert way_back
    assert "could not be written (No space left on device) after the change began" in out
    assert "Recorded in the journal as" not in out  # it was not: it says where it was
    assert "Not recorded in the journal, which could not be written: entry" in out
    # The snapshot, in full, on stderr and in the rescue file whose path is printed.
    rescue = re.search(r"also kept in (\S+)\), in full:\n", err)
    assert rescue, err
    shown = json.loads(err[rescue.end():])
    assert shown["id"] == way_back.group(1)
    assert shown["federation"]["issuerUri"].startswith("http://www.okta.com/")
    kept = journal_mod.read_journal_file(Path(rescue.group(1))).entries
    assert [r["type"] for r in kept[0].records] == ["begin", "request", "response", "verify",
                                                    "end"]
    # The journal itself holds the snapshot and an open entry: reconciled on the next start.
    monkeypatch.undo()
    monkeypatch.setenv("FEDERATOR_HOME", str(federator_home))
    [entry] = _entries(federator_home)
    assert entry.in_progress and entry.snapshot_before is not None
    code, hist, hist_err = run(capsys, "history")
    assert "unfinished" in hist and Path(rescue.group(1)).name in hist_err
    code, out2, err2 = run(capsys, "restore", way_back.group(1), "--confirm", "tailspin.io")
    assert code == 0, out2 + err2
    assert "is back as snapshot" in out2


def test_the_way_back_restores_from_the_rescue_file_when_the_journal_lost_it(
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
        federator_home: Path) -> None:
    _disk_full_after(b'"type":"response"', monkeypatch)
    code, out, _ = run(capsys, "revert", "--domain", "tailspin.io", "--confirm", "tailspin.io",
                         "--json")
    assert code == 0
    result = json.loads(out)
    assert result["journal_failed"] and result["rescue_file"]
    assert Path(result["rescue_file"]).parent == _journal_dir(federator_home)
    monkeypatch.undo()
    monkeypatch.setenv("FEDERATOR_HOME", str(federator_home))
    _journal(federator_home).unlink()  # the journal is gone; the rescue file is all there is
    code, out2, err2 = run(capsys, "restore", result["snapshot_before"], "--confirm",
                           "tailspin.io")
    assert code == 0, out2 + err2
    assert "is back as snapshot" in out2


# -- the window says it too ------------------------------------------------------------------------

def _result_texts(review: Any) -> str:
    from PySide6.QtWidgets import QLabel

    return "\n".join(w.text() for w in review.result_card.findChildren(QLabel))


@POSIX_ONLY
def test_the_window_warns_when_the_journal_was_deleted_under_a_change(
        make_window: Any, qtbot: Any, idp_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.gui_helpers import federate_in_window, walk_to_review

    window = make_window(sandbox=True)
    review = walk_to_review(window, qtbot, idp_file)
    journal_dir = window.state.paths.journal_dir

    def delete_journal() -> None:
        [path] = journal_dir.glob(TENANT_JOURNAL)
        path.unlink()

    _during_first_write(monkeypatch, delete_journal)
    result = federate_in_window(window, review)
    assert result.journal_problems and not result.journal_failed
    shown = _result_texts(review)
    assert "Journal: The journal file" in shown and "was deleted while this change ran" in shown
    [entry] = journal_mod.read_all(journal_dir).entries
    assert entry.op == result.op_id and entry.outcome == "succeeded"


def test_the_window_shows_the_snapshot_when_the_journal_fails_after_the_write(
        make_window: Any, qtbot: Any, idp_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.gui_helpers import federate_in_window, walk_to_review

    window = make_window(sandbox=True)
    review = walk_to_review(window, qtbot, idp_file)
    _disk_full_after(b'"type":"response"', monkeypatch)
    result = federate_in_window(window, review)
    assert result.journal_failed and result.rescue_file
    shown = _result_texts(review)
    assert "No space left on device" in shown
    assert f"kept in {result.rescue_file}" in shown
    assert f'"id": "{result.before.id}"' in shown  # the snapshot, in full
    assert "Way back:" in shown and f"snapshot {result.before.id}" in shown


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX file modes")
def test_a_rescue_file_is_private_like_the_journal(
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
        federator_home: Path) -> None:
    """It holds the same snapshots as the journal (0600), and may land in the shared temporary
    folder: nobody else may read it."""
    _disk_full_after(b'"type":"response"', monkeypatch)
    code, out, _ = run(capsys, "revert", "--domain", "tailspin.io", "--confirm", "tailspin.io",
                       "--json")
    assert code == 0
    rescue = Path(json.loads(out)["rescue_file"])
    assert rescue.stat().st_mode & 0o777 == 0o600


def test_a_rescue_file_never_removes_one_another_federator_wrote(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two Federator processes rescuing at the same instant pick the same name: the second
    finds the first's file there. It must leave that file alone (the other process's way back)
    and keep its own records in the next folder."""
    import datetime as dt

    journal = journal_mod.Journal(tmp_path / "journal", "e3e70682-c209-4cac-a29f-6fbed82c07cd")
    journal.journal_dir.mkdir(parents=True)
    fixed = dt.datetime(2026, 12, 6, 3, 30, 0, 123456, tzinfo=dt.UTC)

    class Frozen(dt.datetime):
        @classmethod
        def now(cls, tz: Any = None) -> Any:  # type: ignore[override]
            return fixed

    monkeypatch.setattr(journal_mod.dt, "datetime", Frozen)
    monkeypatch.setattr(journal_mod.tempfile, "gettempdir", lambda: str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    theirs = journal_mod.write_rescue_file(journal, "0ddba11", [b'{"op":"0ddba11"}\n'])
    assert theirs is not None and theirs.parent == journal.journal_dir
    mine = journal_mod.write_rescue_file(journal, "0ddba11", [b'{"op":"mine"}\n'])
    assert theirs.read_bytes() == b'{"op":"0ddba11"}\n'  # still there, untouched
    assert mine is not None and mine.parent == tmp_path / "tmp"
    assert mine.read_bytes() == b'{"op":"mine"}\n'

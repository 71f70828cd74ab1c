"""The journal: durable appends, one writer per tenant across processes, damaged lines kept."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from core import journal as journal_mod
from core.errors import InputError
from core.journal import (
    OUTCOME_SUCCEEDED,
    Journal,
    JournalError,
    JournalLockedError,
    Snapshot,
    find_snapshot,
    read_all,
)

ROOT = Path(__file__).resolve().parents[2]
TENANT = "11111111-2222-3333-4444-555555555555"


def _snap(sid: str, auth: str = "Managed", fed: dict | None = None) -> Snapshot:
    return Snapshot(id=sid, tenant=TENANT, domain_name="fabrikam.com", taken_at="2026-01-01T00:00Z",
                    domain={"id": "fabrikam.com", "authenticationType": auth}, federation=fed)


def _one_change(journal: Journal, op: str | None = None) -> str:
    with journal.writing("test") as w:
        entry = w.begin(kind="federate", domain="fabrikam.com", who="ops@contoso.com",
                        snapshot=_snap("x-before"), op=op)
        entry.request("POST", "/domains/fabrikam.com/federationConfiguration", {"issuerUri": "u"})
        entry.response("POST", "/domains/fabrikam.com/federationConfiguration", status=201,
                       request_id="rid-1")
        entry.end(OUTCOME_SUCCEEDED, summary="federated", way_back="revert",
                  snapshot=_snap("x-after", "Federated", {"issuerUri": "u"}), changed=True)
        return entry.op


def test_entry_reads_back_with_snapshots_requests_and_request_ids(tmp_path: Path) -> None:
    journal = Journal(tmp_path, TENANT)
    op = _one_change(journal)
    [entry] = journal.entries()
    assert entry.op == op and entry.kind == "federate" and entry.who == "ops@contoso.com"
    assert entry.outcome == OUTCOME_SUCCEEDED and not entry.in_progress
    assert entry.snapshot_before and entry.snapshot_before.authentication_type == "Managed"
    assert entry.snapshot_after and entry.snapshot_after.federation == {"issuerUri": "u"}
    assert entry.request_ids == ["rid-1"]
    assert [r["method"] for r in entry.requests] == ["POST"]
    assert journal.read().problems == []


def test_an_entry_without_end_is_in_progress(tmp_path: Path) -> None:
    journal = Journal(tmp_path, TENANT)
    with journal.writing("test") as w:
        w.begin(kind="revert", domain="fabrikam.com", who="a", snapshot=_snap("y-before"))
    [entry] = journal.entries()
    assert entry.in_progress and entry.outcome == "in-progress"
    with journal.writing("test") as w:
        assert [e.op for e in w.in_progress()] == [entry.op]
        w.resume(entry).end("reconciled", summary="found", way_back="", snapshot=None)
        assert w.in_progress() == []


def test_every_append_is_fsynced_before_it_returns(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    journal = Journal(tmp_path, TENANT)
    synced_lines: list[int] = []
    real_fsync = os.fsync

    def spying_fsync(fd: int) -> None:
        real_fsync(fd)
        if journal.path.exists():
            synced_lines.append(journal.path.read_bytes().count(b"\n"))

    monkeypatch.setattr(journal_mod.os, "fsync", spying_fsync)
    with journal.writing("test") as w:
        entry = w.begin(kind="federate", domain="fabrikam.com", who="a", snapshot=_snap("s"))
        assert synced_lines[-1] == 1  # the begin record is on disk before the write is sent
        entry.request("POST", "/x", {})
        assert synced_lines[-1] == 2
        entry.end(OUTCOME_SUCCEEDED, summary="", way_back="", snapshot=None)
        assert synced_lines[-1] == 3


def test_tokens_never_reach_the_journal(tmp_path: Path) -> None:
    journal = Journal(tmp_path, TENANT)
    jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJvcHMifQ.c2lnbmF0dXJlLXZhbHVl"
    with journal.writing("test") as w:
        entry = w.begin(kind="federate", domain="fabrikam.com", who="a", snapshot=_snap("s"))
        entry.request("POST", "/x", {"Authorization": f"Bearer {jwt}", "note": f"token {jwt}"})
    text = journal.path.read_text(encoding="utf-8")
    assert jwt not in text and "Bearer" not in text


def test_damaged_last_line_is_reported_then_moved_aside_not_dropped(tmp_path: Path) -> None:
    journal = Journal(tmp_path, TENANT)
    _one_change(journal)
    with open(journal.path, "ab") as f:
        f.write(b'{"v":1,"op":"dead","type":"beg')  # power cut mid-write
    contents = journal.read()
    assert len(contents.entries) == 1
    assert [p.line for p in contents.problems] == [5] and "damaged" in contents.problems[0].message
    assert journal.path.read_bytes().endswith(b"beg")  # reading never changes the file

    with journal.writing("test") as w:
        [problem] = w.problems
        assert problem.kept_at is not None
        assert problem.kept_at.read_bytes() == b'{"v":1,"op":"dead","type":"beg'
        assert problem.kept_at.name.startswith(journal.path.name + ".corrupt-")
        assert "moved aside" in str(problem)
    _one_change(journal)
    contents = journal.read()
    assert len(contents.entries) == 2 and contents.problems == []
    # `federator history` keeps saying where the damaged text is until someone deletes it.
    [kept] = read_all(tmp_path).problems
    assert kept.kept_at == problem.kept_at and "delete it" in str(kept)
    problem.kept_at.unlink()
    assert read_all(tmp_path).problems == []


def test_damaged_line_in_the_middle_is_skipped_reported_and_kept(tmp_path: Path) -> None:
    journal = Journal(tmp_path, TENANT)
    _one_change(journal)
    first_line = journal.path.read_bytes().splitlines(keepends=True)[0]
    with open(journal.path, "ab") as f:
        f.write(b"not json at all\n" + first_line.replace(b'"type":"begin"', b'"type":"step"'))
    _one_change(journal)
    contents = journal.read()
    assert len(contents.entries) == 2
    assert len(contents.problems) == 1 and "skipped" in contents.problems[0].message
    assert b"not json at all" in journal.path.read_bytes()


def test_snapshots_are_found_by_id_and_by_unique_prefix(tmp_path: Path) -> None:
    journal = Journal(tmp_path, TENANT)
    _one_change(journal)
    snap, entry = find_snapshot(tmp_path, "x-after")
    assert snap.authentication_type == "Federated" and entry.kind == "federate"
    with pytest.raises(InputError):
        find_snapshot(tmp_path, "nope-before")


def test_an_entry_id_given_for_a_snapshot_names_both_of_its_snapshots(tmp_path: Path) -> None:
    journal = Journal(tmp_path, TENANT)
    with journal.writing("test") as w:
        entry = w.begin(kind="revert", domain="fabrikam.com", who="ops@contoso.com",
                        snapshot=_snap("1f609e29-before", "Federated", {"issuerUri": "u"}),
                        op="1f609e29")
        entry.end(OUTCOME_SUCCEEDED, summary="reverted", way_back="restore",
                  snapshot=_snap("1f609e29-after"), changed=True)
    with pytest.raises(InputError) as info:
        find_snapshot(tmp_path, "1f609e29")  # what `federator history` shows first on a line
    assert "1f609e29-before (before revert of fabrikam.com" in info.value.message
    assert "1f609e29-after (after revert" in info.value.message
    assert find_snapshot(tmp_path, "1f609e29-before")[0].authentication_type == "Federated"


def test_read_all_filters_by_domain(tmp_path: Path) -> None:
    _one_change(Journal(tmp_path, TENANT))
    _one_change(Journal(tmp_path, "other-tenant"))
    assert len(read_all(tmp_path).entries) == 2
    assert len(read_all(tmp_path, tenant=TENANT).entries) == 1
    assert read_all(tmp_path, domain="contoso.com").entries == []


HOLDER = textwrap.dedent("""
    import sys
    from pathlib import Path
    from core.journal import Journal
    j = Journal(Path(sys.argv[1]), sys.argv[2])
    with j.writing("federate fabrikam.com"):
        print("locked", flush=True)
        sys.stdin.readline()
""")


def test_a_second_process_is_refused_while_the_first_holds_the_tenant(tmp_path: Path) -> None:
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(tmp_path), TENANT], cwd=ROOT,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "locked"
        journal = Journal(tmp_path, TENANT)
        with pytest.raises(JournalLockedError) as info, journal.writing("revert"):
            pass
        assert str(holder.pid) in info.value.message
        assert "federate fabrikam.com" in info.value.message
        # Another tenant is not blocked.
        with Journal(tmp_path, "another-tenant").writing("x"):
            pass
    finally:
        holder.kill()  # SIGKILL: the OS drops the lock; no stale lock is left behind
        holder.wait(timeout=10)
    with Journal(tmp_path, TENANT).writing("after the holder died", timeout_s=5):
        pass


WRITER = textwrap.dedent("""
    import sys
    from pathlib import Path
    from core.journal import Journal, Snapshot
    j = Journal(Path(sys.argv[1]), "t")
    for i in range(int(sys.argv[3])):
        with j.writing("w", timeout_s=60) as w:
            snap = Snapshot(id=f"{sys.argv[2]}-{i}", tenant="t", domain_name="d", taken_at="",
                            domain={}, federation=None)
            e = w.begin(kind="k", domain="d", who=sys.argv[2], snapshot=snap,
                        op=f"{sys.argv[2]}-{i}")
            e.end("succeeded", summary="", way_back="", snapshot=None)
""")


def test_concurrent_processes_never_lose_or_duplicate_an_entry(tmp_path: Path) -> None:
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(tmp_path), f"p{n}", "15"],
                              cwd=ROOT) for n in range(3)]
    for proc in procs:
        assert proc.wait(timeout=120) == 0
    contents = Journal(tmp_path, "t").read()
    ops = [e.op for e in contents.entries]
    assert sorted(ops) == sorted(f"p{n}-{i}" for n in range(3) for i in range(15))
    assert all(len(e.records) == 2 and e.records[0]["type"] == "begin" for e in contents.entries)
    assert contents.problems == []


def test_an_unwritable_journal_folder_is_a_readable_error_not_a_crash(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the journal folder should be")
    with pytest.raises(JournalError) as info, Journal(blocker, TENANT).writing("x"):
        pass
    assert "nothing was changed" in info.value.message


def test_snapshots_are_kept_verbatim_so_restore_sends_back_what_was_read(tmp_path: Path) -> None:
    """A value that merely looks like a secret (a sign-out URL with ``?code=``, a display name
    "code: 7") is the tenant's real setting: restore must get it back unchanged."""
    journal = Journal(tmp_path, TENANT)
    fed = {"issuerUri": "https://idp.example/", "signOutUri": "https://idp.example/out?code=abc",
           "displayName": "code: 7"}
    with journal.writing("test") as w:
        entry = w.begin(kind="revert", domain="fabrikam.com", who="a",
                        snapshot=_snap("s-before", "Federated", fed))
        entry.end(OUTCOME_SUCCEEDED, summary="reverted", way_back="restore s-before",
                  snapshot=_snap("s-after"), changed=True)
    snap, _entry = find_snapshot(tmp_path, "s-before")
    assert snap.federation == fed

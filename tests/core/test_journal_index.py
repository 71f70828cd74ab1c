"""The journal index: history through it says exactly what the journal says, and a read after
a change parses only what the change appended."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from core import journal_index
from core.journal import OUTCOME_SUCCEEDED, Journal, Snapshot, find_snapshot, read_all
from core.journal_index import index_path, read_history

TENANT = "11111111-2222-3333-4444-555555555555"


def _snap(sid: str, auth: str = "Managed", fed: dict | None = None) -> Snapshot:
    return Snapshot(id=sid, tenant=TENANT, domain_name="fabrikam.com", taken_at="2026-01-01T00:00Z",
                    domain={"id": "fabrikam.com", "authenticationType": auth}, federation=fed)


def _change(journal: Journal, op: str, *, finish: bool = True) -> None:
    with journal.writing("test") as w:
        entry = w.begin(kind="federate", domain="fabrikam.com", who="ops@contoso.com",
                        snapshot=_snap(f"{op}-before"), op=op, way_back=f"restore {op}-before")
        entry.request("POST", "/domains/fabrikam.com/federationConfiguration", {"c": "x" * 500})
        entry.response("POST", "/domains/fabrikam.com/federationConfiguration", status=201,
                       request_id=f"rid-{op}")
        if finish:
            entry.end(OUTCOME_SUCCEEDED, summary=f"federated {op}", way_back=f"restore {op}",
                      snapshot=_snap(f"{op}-after", "Federated", {"issuerUri": op}), changed=True)


def _as_seen(contents: Any) -> tuple[list[dict[str, Any]], list[str]]:
    return ([e.to_json() for e in contents.entries], [str(p) for p in contents.problems])


def test_history_through_the_index_is_what_the_journal_says(tmp_path: Path) -> None:
    journal = Journal(tmp_path, TENANT)
    _change(journal, "aaaa0001")
    _change(journal, "aaaa0002", finish=False)   # left open: a killed run
    with journal.path.open("ab") as f:
        f.write(b"not json at all\n")             # a damaged line in the middle stays reported
        f.write(b'{"op":"aaaa0002","type":"step","at":"2026-01-01T00:00:01Z","step":"x"}\n')
    _change(journal, "aaaa0003")
    assert _as_seen(read_history(tmp_path)) == _as_seen(read_all(tmp_path))  # builds the index
    assert index_path(journal.path).is_file()
    assert _as_seen(read_history(tmp_path)) == _as_seen(read_all(tmp_path))  # reads it

    with journal.writing("test") as w:          # the open entry is closed after the index
        [open_entry] = w.in_progress()
        assert open_entry.op == "aaaa0002" and open_entry.snapshot_before is not None
        w.resume(open_entry).end("reconciled", summary="found", way_back="", snapshot=None)
    _change(journal, "aaaa0004")
    with journal.path.open("ab") as f:
        f.write(b'{"op": "cut sho')               # a write cut short at the end
    seen = _as_seen(read_history(tmp_path))
    assert seen == _as_seen(read_all(tmp_path))
    assert [e["outcome"] for e in seen[0]] == ["succeeded", "reconciled", "succeeded",
                                                "succeeded"]
    assert any("damaged last line" in p for p in seen[1])
    assert any("unreadable line skipped" in p for p in seen[1])
    # Filters, and a snapshot found (and read whole) through it.
    assert [e.op for e in read_history(tmp_path, domain="FABRIKAM.com").entries][-1] == "aaaa0004"
    snap, entry = find_snapshot(tmp_path, "aaaa0003-after")
    assert snap.federation == {"issuerUri": "aaaa0003"} and entry.op == "aaaa0003"


def test_a_read_after_a_change_parses_only_what_it_appended(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    journal = Journal(tmp_path, TENANT)
    for n in range(20):
        _change(journal, f"bbbb{n:04d}")
    read_history(tmp_path)
    parsed: list[int] = []
    real = journal_index.parse_spans

    def counting(path: Path, data: bytes, **kw: Any) -> Any:
        parsed.append(len(data))
        return real(path, data, **kw)

    monkeypatch.setattr(journal_index, "parse_spans", counting)
    size = journal.path.stat().st_size
    _change(journal, "bbbb9999")
    contents = read_history(tmp_path)
    assert len(contents.entries) == 21 and contents.entries[-1].outcome == "succeeded"
    assert parsed and max(parsed) == journal.path.stat().st_size - size  # the new change only


def test_an_index_that_does_not_match_its_journal_is_rebuilt(tmp_path: Path) -> None:
    journal = Journal(tmp_path, TENANT)
    _change(journal, "cccc0001")
    read_history(tmp_path)
    # The journal is replaced by another one (restored from a backup, say): same name.
    journal.path.unlink()
    _change(journal, "dddd0001")
    _change(journal, "dddd0002")
    assert [e.op for e in read_history(tmp_path).entries] == ["dddd0001", "dddd0002"]
    index_path(journal.path).write_text("{not an index", encoding="utf-8")
    assert _as_seen(read_history(tmp_path)) == _as_seen(read_all(tmp_path))


def test_records_read_after_the_journal_changed_are_refused_not_mixed_up(tmp_path: Path) -> None:
    from core.journal import JournalError

    journal = Journal(tmp_path, TENANT)
    _change(journal, "eeee0001")
    _change(journal, "eeee0002")
    listed = read_history(tmp_path).entries  # records not read yet
    lines = journal.path.read_bytes().splitlines(keepends=True)
    half = len(lines) // 2
    journal.path.write_bytes(b"".join(lines[half:] + lines[:half]))  # same bytes, other order
    with pytest.raises(JournalError, match="changed while it was being read"):
        _ = listed[0].snapshot_before

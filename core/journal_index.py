"""An index beside each journal file, so that the history of a long journal reads fast.

Why it exists: a journal is append-only and grows with every change (its snapshots hold
certificates: about 10 KB a change), while ``history``, the History page, ``restore`` and the
start-up reconciliation need one line per change, or one change whole. Parsing 10,000 changes
(100 MB) on every look took seconds. The index (``<journal>.index``, JSON) holds, for the first
``size`` bytes of the journal, each entry's *digest* (what a history line shows: outcome,
summary, way back, snapshot ids...) and where its records are (byte offsets); a read parses only
what was appended since, and records are read whole only when someone asks for them.

The journal stays the one source of truth. The index is checked against it on every read (its
size, a hash of its first and of its last covered bytes, the format version): an index that does
not match is rebuilt from the journal, and one that cannot be written is simply not kept. It is
never split from an entry's records: it points into the journal, it does not copy it.
"""

from __future__ import annotations

import gc
import hashlib
import json
import logging
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from core.atomic_write import write_atomic
from core.journal_records import (
    JournalContents,
    JournalEntry,
    JournalError,
    JournalProblem,
    all_journals,
    journal_file,
    kept_aside,
    load_spans,
    parse_spans,
)

log = logging.getLogger(__name__)

INDEX_VERSION = 1
_CHECK_BYTES = 4096  # hashed at the start and at the end of what the index covers


def index_path(journal_path: Path) -> Path:
    return journal_path.with_name(journal_path.name + ".index")


def read_history(journal_dir: Path, *, domain: str | None = None,
                 tenant: str | None = None) -> JournalContents:
    """What :func:`core.journal.read_all` gives (entries oldest first, problems), through the
    index: entries whose records are read only when used."""
    entries: list[JournalEntry] = []
    problems: list[JournalProblem] = []
    paths = [journal_file(journal_dir, tenant)] if tenant else all_journals(journal_dir)
    for path in paths:
        with _collector_paused():
            contents = indexed_contents(path)
        entries.extend(contents.entries)
        problems.extend(contents.problems)
        problems.extend(kept_aside(path))
    problems.extend(_rescue_notices(journal_dir, tenant))
    if journal_dir.exists() and not journal_dir.is_dir():
        # Not "no changes": the journal cannot be read, nor written by the next change.
        problems.append(JournalProblem(journal_dir, 0, f"{journal_dir} is a file, not the "
                                       "journal folder: no change can be read or recorded "
                                       "until it is moved away"))
    if domain:
        entries = [e for e in entries if e.domain.lower() == domain.lower()]
    entries.sort(key=lambda e: e.started_at)  # stable: file order within the same second
    return JournalContents(entries, problems)


def _rescue_notices(journal_dir: Path, tenant: str | None) -> list[JournalProblem]:
    """The rescue files beside the journal (records a change kept when the journal could not
    be written): reported on every reading, like a damaged tail moved aside, until deleted."""
    if not journal_dir.is_dir():
        return []
    pattern = f"rescue-{journal_file(journal_dir, tenant).stem.removeprefix('tenant-')}-*" \
        if tenant else "rescue-*"
    return [JournalProblem(path, 0, "the records of a change that the journal could not take "
                                    "are kept in this file (restore finds its snapshots "
                                    "there); keep it with the journal")
            for path in sorted(journal_dir.glob(f"{pattern}.jsonl"))]


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Loading an index makes some 100,000 containers that all live on: Python's cyclic
    garbage collector would walk them again and again while they are made (a third of the
    time), for nothing to collect."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def indexed_contents(path: Path) -> JournalContents:
    """One journal file's entries and problems, using and updating its index."""
    return read_indexed(path)[0]


def read_indexed(path: Path) -> tuple[JournalContents, int | None]:
    """:func:`indexed_contents`, and the offset where a damaged tail starts (None if intact):
    what the writer repairs before it appends, without parsing the whole journal."""
    try:
        f = open(path, "rb")  # noqa: SIM115 (closed below; the size must come from this handle)
    except FileNotFoundError:
        return JournalContents([], []), None
    except OSError as exc:
        raise JournalError(f"The journal {path} cannot be read: {exc.strerror}.") from exc
    with f:
        size = os.fstat(f.fileno()).st_size
        index = _valid_index(path, f, size)
        covered = int(index["size"]) if index else 0
        f.seek(covered)
        tail = f.read(size - covered)
        digests: dict[str, dict[str, Any]] = {d["op"]: d for d in index["entries"]} \
            if index else {}
        old_problems = [JournalProblem(path, int(line), str(text))
                        for line, text in (index["problems"] if index else [])]
        lines = int(index["lines"]) if index else 0
        found, new_problems, tail_start, read = parse_spans(path, tail, base=covered,
                                                            first_line=lines + 1)
        if found:
            _merge(path, digests, found)
        end = tail_start if tail_start is not None else covered + len(tail)
        # A damaged tail is not covered: it is reported (and re-read) until it is repaired.
        kept_problems = [p for p in new_problems if not p.message.startswith("damaged last")]
        if end != covered:
            _write_index(path, f, end, lines + read, [*old_problems, *kept_problems],
                         list(digests.values()))
    entries = [_entry(path, d) for d in digests.values()]
    return JournalContents(entries, [*old_problems, *new_problems]), tail_start


def _valid_index(path: Path, f: Any, size: int) -> dict[str, Any] | None:
    """The index of ``path`` if it describes this journal's first bytes, else None."""
    try:
        data = json.loads(index_path(path).read_bytes())
    except (OSError, ValueError):
        return None
    try:
        if not isinstance(data, dict) or data.get("v") != INDEX_VERSION:
            return None
        covered = int(data["size"])
        if covered > size or not isinstance(data["entries"], list):
            return None
        if _hashes(f, covered) != (data["head"], data["tail"]):
            return None
        int(data["lines"])
        list(data["problems"])
    except (KeyError, TypeError, ValueError):
        return None
    return data


def _hashes(f: Any, covered: int) -> tuple[str, str]:
    f.seek(0)
    head = hashlib.sha256(f.read(min(_CHECK_BYTES, covered))).hexdigest()
    start = max(0, covered - _CHECK_BYTES)
    f.seek(start)
    tail = hashlib.sha256(f.read(covered - start)).hexdigest()
    return head, tail


def _merge(path: Path, digests: dict[str, dict[str, Any]],
           found: list[tuple[dict[str, Any], int, int]]) -> None:
    """Add the records appended since the index (``found``) to the digests."""
    by_op: dict[str, list[tuple[dict[str, Any], int, int]]] = {}
    for item in found:
        by_op.setdefault(str(item[0]["op"]), []).append(item)
    for op, items in by_op.items():
        old = digests.get(op)
        spans: list[Sequence[int]] = list(old["spans"]) if old else []
        records = load_spans(path, spans) if old else []
        records += [record for record, _, _ in items]
        spans += [(offset, length) for _, offset, length in items]
        digests[op] = digest(records, spans)


def digest(records: list[dict[str, Any]], spans: Sequence[Sequence[int]]) -> dict[str, Any]:
    """What a history line needs from an entry's records, and where they are."""
    first = records[0]
    entry = JournalEntry(op=str(first["op"]), kind=str(first.get("kind", "")),
                         tenant=str(first.get("tenant", "")), domain=str(first.get("domain", "")),
                         who=str(first.get("who", "")), started_at=str(first.get("at", "")),
                         _records=records)
    return {"op": entry.op, "kind": entry.kind, "tenant": entry.tenant, "domain": entry.domain,
            "who": entry.who, "started_at": entry.started_at, "outcome": entry.outcome,
            "finished_at": entry.finished_at, "summary": entry.summary,
            "way_back": entry.way_back, "before": entry.before_ref, "after": entry.after_ref,
            "sent": entry.sent, "request_ids": entry.request_ids,
            "spans": [list(s) for s in spans]}


def _entry(path: Path, data: dict[str, Any]) -> JournalEntry:
    return JournalEntry(op=data["op"], kind=data["kind"], tenant=data["tenant"],
                        domain=data["domain"], who=data["who"], started_at=data["started_at"],
                        digest=data, source=path, spans=data["spans"])


def _write_index(path: Path, f: Any, covered: int, lines: int, problems: list[JournalProblem],
                 digests: list[dict[str, Any]]) -> None:
    """Replace the index at once (a reader never sees half of one); a failure only costs speed."""
    head, tail = _hashes(f, covered)
    data = {"v": INDEX_VERSION, "size": covered, "head": head, "tail": tail, "lines": lines,
            "problems": [[p.line, p.message] for p in problems], "entries": digests}
    target = index_path(path)
    try:  # one write: json.dump writes in small pieces; no fsync: it can be rebuilt
        write_atomic(target, json.dumps(data, ensure_ascii=False,
                                        separators=(",", ":")).encode("utf-8"), durable=False)
    except OSError as exc:
        log.debug("the journal index %s was not written: %s", target, exc)

"""The journal's records read back: entries, snapshots, problems, and where the files are.

Why it exists: the journal (``core.journal``, which writes and locks) and its index
(``core.journal_index``, which reads a long journal fast) both need to parse records and build
entries from them. Holding that here lets the journal read through its index while the index
depends on this module only, not on the journal: no import cycle between them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.errors import FederatorError, InputError


def safe_name(tenant: str) -> str:
    cleaned = re.sub(r"[^A-Za-z0-9._-]", "_", tenant.strip())
    if not cleaned:
        raise InputError("A tenant id is needed to open its journal.")
    return cleaned


def journal_file(journal_dir: Path, tenant: str) -> Path:
    """The journal file of ``tenant`` in ``journal_dir`` (one JSON Lines file per tenant)."""
    return journal_dir / f"tenant-{safe_name(tenant)}.jsonl"


class JournalError(FederatorError):
    """The journal cannot be written (disk full, permissions); no change is attempted."""

    code = "journal_unwritable"


@dataclass(frozen=True)
class Snapshot:
    """The state of one domain at one moment, addressable by id for ``restore``.

    ``domain`` is the Graph domain resource as read (``authenticationType``, ``isDefault``...);
    ``federation`` is the ``internalDomainFederation`` object as read, or None when there was none;
    ``readable`` is False when Graph could not say (e.g. a half-federated domain whose configuration
    cannot be read).
    """

    id: str
    tenant: str
    domain_name: str
    taken_at: str
    domain: dict[str, Any]
    federation: dict[str, Any] | None
    readable: bool = True
    note: str = ""

    @property
    def authentication_type(self) -> str:
        return str(self.domain.get("authenticationType") or "Unknown")

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "tenant": self.tenant, "domain_name": self.domain_name,
                "taken_at": self.taken_at, "domain": self.domain,
                "federation": self.federation, "readable": self.readable, "note": self.note}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Snapshot:
        fed = data.get("federation")
        return cls(id=str(data["id"]), tenant=str(data.get("tenant", "")),
                   domain_name=str(data.get("domain_name", "")),
                   taken_at=str(data.get("taken_at", "")),
                   domain=dict(data.get("domain") or {}),
                   federation=dict(fed) if isinstance(fed, dict) else None,
                   readable=bool(data.get("readable", True)), note=str(data.get("note", "")))


@dataclass
class JournalEntry:
    """One change as read back from the journal: every record sharing one operation id.

    An entry read through the index (``core.journal_index``) carries a ``digest`` (what a
    history line shows) and where its records are in the file (``source``, ``spans``): the
    records themselves are read on first use, so listing 10,000 changes reads none of them."""

    op: str
    kind: str
    tenant: str
    domain: str
    who: str
    started_at: str
    _records: list[dict[str, Any]] = field(default_factory=list, repr=False)
    digest: dict[str, Any] | None = field(default=None, repr=False, compare=False)
    source: Path | None = field(default=None, repr=False, compare=False)
    spans: Sequence[Sequence[int]] = field(default_factory=list, repr=False, compare=False)

    @property
    def records(self) -> list[dict[str, Any]]:
        if self.digest is not None and self.source is not None and not self._records:
            self._records = load_spans(self.source, self.spans, self.op)
        return self._records

    def _of_type(self, type_: str) -> list[dict[str, Any]]:
        return [r for r in self.records if r.get("type") == type_]

    def _last(self, type_: str) -> dict[str, Any] | None:
        found = self._of_type(type_)
        return found[-1] if found else None

    @property
    def _begin(self) -> dict[str, Any]:
        return self.records[0] if self.records else {}

    @property
    def end(self) -> dict[str, Any] | None:
        return self._last("end")

    @property
    def in_progress(self) -> bool:
        if self.digest is not None:
            return bool(self.digest["outcome"] == "in-progress")
        return self.end is None

    @property
    def outcome(self) -> str:
        if self.digest is not None:
            return str(self.digest["outcome"])
        end = self.end
        return str(end.get("outcome")) if end else "in-progress"

    @property
    def finished_at(self) -> str | None:
        if self.digest is not None:
            return self.digest["finished_at"]  # type: ignore[no-any-return]
        end = self.end
        return str(end.get("at")) if end else None

    @property
    def snapshot_before(self) -> Snapshot | None:
        snap = self._begin.get("snapshot")
        return Snapshot.from_json(snap) if isinstance(snap, dict) else None

    @property
    def snapshot_after(self) -> Snapshot | None:
        end = self.end
        snap = end.get("snapshot") if end else None
        return Snapshot.from_json(snap) if isinstance(snap, dict) else None

    @property
    def requests(self) -> list[dict[str, Any]]:
        return self._of_type("request")

    @property
    def responses(self) -> list[dict[str, Any]]:
        return self._of_type("response")

    @property
    def request_ids(self) -> list[str]:
        if self.digest is not None:
            return list(self.digest["request_ids"])
        return [str(r["request_id"]) for r in self.responses if r.get("request_id")]

    @property
    def sent(self) -> list[dict[str, Any]]:
        """The requests sent, as ``{"method", "path", "at"}`` (without their bodies)."""
        if self.digest is not None:
            return [dict(r) for r in self.digest["sent"]]
        return [{k: r.get(k) for k in ("method", "path", "at")} for r in self.requests]

    @property
    def before_ref(self) -> tuple[str, str] | None:
        """The snapshot before: its id and authentication type, without reading it whole."""
        if self.digest is not None:
            ref = self.digest["before"]
            return (str(ref[0]), str(ref[1])) if ref else None
        snap = self.snapshot_before
        return (snap.id, snap.authentication_type) if snap else None

    @property
    def after_ref(self) -> tuple[str, str] | None:
        """The snapshot after: its id and authentication type, without reading it whole."""
        if self.digest is not None:
            ref = self.digest["after"]
            return (str(ref[0]), str(ref[1])) if ref else None
        snap = self.snapshot_after
        return (snap.id, snap.authentication_type) if snap else None

    @property
    def verification(self) -> dict[str, Any] | None:
        return self._last("verify")

    @property
    def plan(self) -> dict[str, Any] | None:
        plan = self._begin.get("plan")
        return plan if isinstance(plan, dict) else None

    @property
    def summary(self) -> str:
        if self.digest is not None:
            return str(self.digest["summary"])
        end = self.end
        if end and end.get("summary"):
            return str(end["summary"])
        return str(self._begin.get("summary", ""))

    @property
    def way_back(self) -> str:
        """The command that undoes the change; while it is in progress, the one it planned."""
        if self.digest is not None:
            return str(self.digest["way_back"])
        end = self.end
        return str((end or self._begin).get("way_back") or "")

    def to_json(self, *, records: bool = True) -> dict[str, Any]:
        """The entry as JSON; ``records=False`` leaves the records out (and unread)."""
        before = self.before_ref
        after = self.after_ref
        data = {
            "op": self.op, "kind": self.kind, "tenant": self.tenant, "domain": self.domain,
            "who": self.who, "started_at": self.started_at, "finished_at": self.finished_at,
            "outcome": self.outcome, "summary": self.summary, "way_back": self.way_back,
            "snapshot_before": before[0] if before else None,
            "snapshot_after": after[0] if after else None,
            "request_ids": self.request_ids,
            "requests": self.sent,
        }
        if records:
            data["records"] = self.records
        return data


@dataclass
class JournalProblem:
    """Something found wrong in a journal file, reported to the user, never hidden."""

    path: Path
    line: int
    message: str
    kept_at: Path | None = None

    def __str__(self) -> str:
        where = f"{self.path.name} line {self.line}" if self.line else self.path.name
        kept = f"; the damaged text is kept in {self.kept_at}" if self.kept_at else ""
        return f"{where}: {self.message}{kept}"


@dataclass
class JournalContents:
    """What reading a journal file gave: its entries (oldest first) and any problems found."""

    entries: list[JournalEntry]
    problems: list[JournalProblem]


def _parse_lines(path: Path, data: bytes) -> tuple[list[dict[str, Any]], list[JournalProblem],
                                                   int | None]:
    """Records, problems, and the byte offset where a damaged tail starts (None if intact)."""
    found, problems, tail_start, _ = parse_spans(path, data)
    return [record for record, _, _ in found], problems, tail_start


def parse_spans(path: Path, data: bytes, *, base: int = 0, first_line: int = 1) -> tuple[
        list[tuple[dict[str, Any], int, int]], list[JournalProblem], int | None, int]:
    """Parse ``data``, the bytes of ``path`` from offset ``base`` (line ``first_line``) to its
    end: each record with its offset and length in the file, the problems met, the offset where
    a damaged tail starts (None if intact), and the number of lines read whole."""
    found: list[tuple[dict[str, Any], int, int]] = []
    problems: list[JournalProblem] = []
    offset = 0
    lines = data.split(b"\n")
    tail_start: int | None = None
    read = 0
    for index, raw in enumerate(lines):
        number = first_line + index
        is_last = index == len(lines) - 1
        if is_last and raw == b"":
            break  # the file ends with a newline, as it should
        try:
            if is_last:
                raise ValueError("the line is not finished (no newline)")
            record = json.loads(raw.decode("utf-8"))
            if not isinstance(record, dict) or "op" not in record or "type" not in record:
                raise ValueError("not a journal record")
            found.append((record, base + offset, len(raw) + 1))
        except ValueError as exc:
            # A damaged tail: this line and nothing readable after it.
            rest = lines[index + 1:]
            if is_last or all(not r.strip() for r in rest):
                tail_start = base + offset
                problems.append(JournalProblem(path, number, f"damaged last line ({exc})"))
                break
            problems.append(JournalProblem(path, number, f"unreadable line skipped ({exc})"))
        offset += len(raw) + 1
        read += 1
    return found, problems, tail_start, read


def _group(records: list[dict[str, Any]]) -> list[JournalEntry]:
    entries: dict[str, JournalEntry] = {}
    for record in records:
        op = str(record["op"])
        entry = entries.get(op)
        if entry is None:
            entry = JournalEntry(op=op, kind=str(record.get("kind", "")),
                                 tenant=str(record.get("tenant", "")),
                                 domain=str(record.get("domain", "")),
                                 who=str(record.get("who", "")),
                                 started_at=str(record.get("at", "")))
            entries[op] = entry
        entry.records.append(record)
    return list(entries.values())


def load_spans(path: Path, spans: Sequence[Sequence[int]],
               op: str | None = None) -> list[dict[str, Any]]:
    """The records at ``spans`` (offset, length) of the journal ``path`` (of entry ``op``)."""
    records: list[dict[str, Any]] = []
    try:
        with open(path, "rb") as f:
            for offset, length in spans:
                f.seek(offset)
                record = json.loads(f.read(length).decode("utf-8"))
                if not isinstance(record, dict) or (op is not None and record.get("op") != op):
                    raise ValueError("not the record the index points to")
                records.append(record)
    except (OSError, ValueError) as exc:
        raise JournalError(f"The journal {path} changed while it was being read ({exc}).",
                           remedy="Read it again (Refresh, or run the command again).") from exc
    return records


def read_journal_file(path: Path) -> JournalContents:
    """Parse one journal file without changing it (a damaged tail is reported, not moved)."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return JournalContents([], [])
    except OSError as exc:
        raise JournalError(f"The journal {path} cannot be read: {exc.strerror}.") from exc
    records, problems, _ = _parse_lines(path, data)
    return JournalContents(_group(records), problems)


def all_journals(journal_dir: Path) -> list[Path]:
    """Every tenant journal file in ``journal_dir``."""
    if not journal_dir.is_dir():
        return []
    return sorted(journal_dir.glob("tenant-*.jsonl"))


def kept_aside(path: Path) -> list[JournalProblem]:
    """The damaged tails once moved aside from the journal ``path``: reported on every reading
    until someone has looked at them and deleted them, so none is forgotten."""
    return [JournalProblem(path, 0, "a damaged last line (a write cut short) was moved aside; "
                                    "once you have read it, delete it to stop this notice",
                           kept_at=aside)
            for aside in sorted(path.parent.glob(f"{path.name}.corrupt-*"))]

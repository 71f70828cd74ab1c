"""The journal: an append-only record of every change Federator makes to a tenant.

Why it exists: nothing is changed without a recorded way back. Before any write, the state of the
domain (the *snapshot*) is recorded; every request sent, every answer, the read-back verification
and the outcome follow, each line flushed and fsynced before the next step runs, so that a power cut
or a killed process leaves a journal that says exactly how far the change got.

Layout: one JSON Lines file per tenant in ``Paths.journal_dir`` (``tenant-<id>.jsonl``). An *entry*
is all the records sharing one ``op`` id, from ``begin`` to ``end``. An entry without ``end`` is *in
progress*: the process died; the next run that takes the tenant's lock reconciles it by re-reading
the tenant (see ``core.operations.reconcile``) and closes it with an ``end`` record.

A cross-process lock per tenant (``tenant-<id>.lock``, an OS file lock: ``fcntl.flock`` on POSIX,
``msvcrt.locking`` on Windows) stops two Federator processes from changing the same tenant at once;
the OS drops it when its holder dies, so a killed process never leaves a stale lock behind.

A damaged last line (a write cut short) is moved aside to ``<file>.corrupt-<timestamp>`` and
reported; it is never silently dropped. Damaged lines elsewhere are left in place, skipped and
reported. Records never hold tokens: callers pass request descriptions (method, path, body), and
every text is passed through :func:`core.logs.scrub` on the way in as a last line of defence.
"""

from __future__ import annotations

import datetime as dt
import errno
import json
import logging
import os
import secrets
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from core.errors import InputError, RefusedError
from core.journal_index import indexed_contents, read_history, read_indexed

# The records read back live in core.journal_records (the index needs them, not the writer);
# they are named here too, so that callers keep one place to import the journal from.
from core.journal_records import JournalContents as JournalContents
from core.journal_records import JournalEntry as JournalEntry
from core.journal_records import JournalError as JournalError
from core.journal_records import JournalProblem as JournalProblem
from core.journal_records import Snapshot as Snapshot
from core.journal_records import all_journals as all_journals
from core.journal_records import journal_file, safe_name
from core.journal_records import kept_aside as kept_aside
from core.journal_records import read_journal_file as read_journal_file
from core.logs import scrub

log = logging.getLogger(__name__)

FORMAT_VERSION = 1
RECORD_TYPES = ("begin", "step", "request", "response", "verify", "end")
# Outcomes an entry can end with.
OUTCOME_SUCCEEDED = "succeeded"      # written and read back as planned
OUTCOME_FAILED = "failed"            # a write failed or verification disagreed; state re-read
OUTCOME_RECONCILED = "reconciled"    # the process died mid-change; a later run re-read the tenant
OUTCOME_NO_CHANGE = "no-change"      # nothing needed writing
_LOCK_BYTE_OFFSET = 1 << 20          # Windows locks one byte far past the holder text


def now_iso() -> str:
    """UTC time as ISO 8601 with seconds, the journal's time format."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


# Snapshots are Graph's own domain and federation objects, read back and re-sent by ``restore``:
# they never hold credentials, and scrubbing them could change a value (a sign-out URL with
# ``?code=``) that restore would then send back wrong. Everything else is scrubbed.
_VERBATIM_KEYS = frozenset({"snapshot", "state"})


def _scrub_value(value: Any) -> Any:
    """Scrub every string inside ``value`` (tokens must never reach the journal)."""
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, dict):
        return {str(k): _scrub_value(v) for k, v in value.items()
                if str(k).lower() not in ("authorization", "access_token", "refresh_token")}
    if isinstance(value, list | tuple):
        return [_scrub_value(v) for v in value]
    return value


class JournalLockedError(RefusedError):
    """Another Federator process is changing this tenant right now."""

    code = "tenant_locked"


def _fsync_dir(folder: Path) -> None:
    """Make a new file's directory entry durable (POSIX; Windows has no directory fsync)."""
    if sys.platform == "win32":
        return
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


class TenantLock:
    """An OS-level exclusive lock on one tenant, released when the holder exits or dies.

    Hand-written, not ``filelock`` (which the sandbox uses): the lock file holds who has the
    lock (pid, host, since, purpose) for whoever is refused to read, but on Windows ``filelock``
    locks byte zero exclusively, which denies other processes reading it (LockFileEx:
    https://learn.microsoft.com/en-us/windows/win32/api/fileapi/nf-fileapi-lockfileex), and it
    gives no public handle to write that text; so Windows locks one byte far past it here.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def holder(self) -> dict[str, Any]:
        """Who holds (or last held) the lock, as its holder wrote it."""
        try:
            text = self.path.read_text(encoding="utf-8").strip()
            data = json.loads(text) if text else {}
            return data if isinstance(data, dict) else {}
        except (OSError, ValueError):
            return {}

    def acquire(self, purpose: str, *, timeout_s: float = 0.0) -> None:
        """Take the lock or raise :class:`JournalLockedError` after ``timeout_s`` seconds."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | getattr(os, "O_BINARY", 0), 0o600)
        deadline = time.monotonic() + max(0.0, timeout_s)
        delay = 0.05
        while not _try_lock(fd):
            if time.monotonic() >= deadline:
                os.close(fd)
                info = self.holder()
                who = (f"process {info.get('pid', '?')} on {info.get('host', '?')}, "
                       f"since {info.get('since', '?')}, doing: {info.get('purpose', '?')}")
                raise JournalLockedError(
                    "Another Federator is changing this tenant right now "
                    f"({who}).",
                    remedy="Wait for it to finish, then try again.",
                    details={"holder": info})
            time.sleep(delay)  # polling an OS lock: there is no portable wait-for-unlock
            delay = min(delay * 2, 0.5)
        info = {"pid": os.getpid(), "host": _host(), "since": now_iso(), "purpose": purpose}
        os.ftruncate(fd, 0)
        os.lseek(fd, 0, os.SEEK_SET)
        os.write(fd, json.dumps(info).encode("utf-8"))
        self._fd = fd

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is None:
            return
        with suppress(OSError):
            os.ftruncate(fd, 0)
        _unlock(fd)
        os.close(fd)


def _host() -> str:
    import socket

    try:
        return socket.gethostname()
    except OSError:
        return "?"


def _try_lock(fd: int) -> bool:
    if sys.platform == "win32":
        import msvcrt

        os.lseek(fd, _LOCK_BYTE_OFFSET, os.SEEK_SET)
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        finally:
            os.lseek(fd, 0, os.SEEK_SET)
        return True
    import fcntl

    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True


def _unlock(fd: int) -> None:
    try:
        if sys.platform == "win32":
            import msvcrt

            os.lseek(fd, _LOCK_BYTE_OFFSET, os.SEEK_SET)
            msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
        else:
            import fcntl

            fcntl.flock(fd, fcntl.LOCK_UN)
    except OSError:
        pass


class Journal:
    """One tenant's journal: read it any time; write to it only through :meth:`writing`."""

    def __init__(self, journal_dir: Path, tenant: str) -> None:
        self.journal_dir = journal_dir
        self.tenant = tenant
        self.path = journal_file(journal_dir, tenant)
        self.lock_path = journal_dir / f"tenant-{safe_name(tenant)}.lock"

    def cannot_write(self) -> str | None:
        """Why a change could not record itself in this tenant's journal now, or None when it
        could: the folder, the lock file and the journal file itself are opened as a change
        opens them (a read-only or replaced file fails here, not after the preflight passed).
        Nothing is written; a file created only for the test is removed again."""
        try:
            self.journal_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
            for path, mode in ((self.lock_path, os.O_RDWR),
                               (self.path, os.O_WRONLY | os.O_APPEND)):
                # Created here (O_EXCL) or opened as it is: only a file this call created is
                # removed again (checking first, then creating, could remove one another
                # Federator made in between).
                flags = mode | getattr(os, "O_BINARY", 0)
                try:
                    fd = os.open(path, flags | os.O_CREAT | os.O_EXCL, 0o600)
                    created = True
                except FileExistsError:
                    fd = os.open(path, flags)
                    created = False
                os.close(fd)
                if created:
                    path.unlink()
        except OSError as exc:
            if self.journal_dir.exists() and not self.journal_dir.is_dir():
                # mkdir's "File exists" would not say which file nor that it is in the way.
                return f"{self.journal_dir} is a file, not a folder"
            where = Path(exc.filename).name if exc.filename else self.journal_dir.name
            return f"{where}: {exc.strerror or type(exc).__name__}"
        return None

    def read(self) -> JournalContents:
        """Every entry, oldest first, and the problems met. Never changes the file."""
        return read_journal_file(self.path)

    def entries(self, *, domain: str | None = None) -> list[JournalEntry]:
        found = self.read().entries
        if domain:
            found = [e for e in found if e.domain.lower() == domain.lower()]
        return found

    @contextmanager
    def writing(self, purpose: str, *, timeout_s: float = 0.0) -> Iterator[JournalWriter]:
        """Hold the tenant's lock and append to its journal; repairs a damaged tail first."""
        lock = TenantLock(self.lock_path)
        try:
            lock.acquire(purpose, timeout_s=timeout_s)
        except OSError as exc:
            why = ("it is a file, not a folder" if self.journal_dir.is_file()
                   else exc.strerror or type(exc).__name__)
            raise JournalError(
                f"Federator cannot write its journal in {self.journal_dir} ({why}); nothing "
                "was changed.",
                remedy="Free disk space or fix the folder's permissions, or use --home with a "
                       "writable folder.") from exc
        try:
            try:
                writer = JournalWriter(self)
            except OSError as exc:
                raise JournalError(
                    f"Federator cannot write its journal {self.path} "
                    f"({exc.strerror or type(exc).__name__}); nothing was changed.",
                    remedy="Free disk space or fix the folder's permissions.") from exc
            try:
                yield writer
            finally:
                writer.close()
        finally:
            lock.release()


def read_all(journal_dir: Path, *, domain: str | None = None,
             tenant: str | None = None) -> JournalContents:
    """Entries from every tenant's journal (oldest first), optionally for one domain/tenant."""
    entries: list[JournalEntry] = []
    problems: list[JournalProblem] = []
    paths = [Journal(journal_dir, tenant).path] if tenant else all_journals(journal_dir)
    for path in paths:
        contents = read_journal_file(path)
        entries.extend(contents.entries)
        problems.extend(contents.problems)
        problems.extend(kept_aside(path))
    if domain:
        entries = [e for e in entries if e.domain.lower() == domain.lower()]
    entries.sort(key=lambda e: e.started_at)  # stable: file order within the same second
    return JournalContents(entries, problems)


def rescued_entries(journal_dir: Path) -> list[JournalEntry]:
    """The entries kept in rescue files beside the journal (written when it could not be)."""
    if not journal_dir.is_dir():
        return []
    entries: list[JournalEntry] = []
    for path in sorted(journal_dir.glob("rescue-*.jsonl")):
        with suppress(JournalError):
            entries.extend(read_journal_file(path).entries)
    return entries


def find_snapshot(journal_dir: Path, snapshot_id: str) -> tuple[Snapshot, JournalEntry]:
    """The snapshot with this id (or unique id prefix) and the entry that recorded it."""
    wanted = snapshot_id.strip()
    matches: list[tuple[Snapshot, JournalEntry]] = []
    seen: set[str] = set()
    # The rescue files beside the journal last: a change whose journal failed kept its records
    # there (see JournalWriter), and its way back must still restore.
    for entry in [*read_history(journal_dir).entries, *rescued_entries(journal_dir)]:
        for ref, which in ((entry.before_ref, "before"), (entry.after_ref, "after")):
            if ref is None or ref[0] in seen or not (
                    ref[0] == wanted or (len(wanted) >= 6 and ref[0].startswith(wanted))):
                continue
            snap = entry.snapshot_before if which == "before" else entry.snapshot_after
            if snap is not None:  # read whole only when it matches
                seen.add(snap.id)
                matches.append((snap, entry))
    exact = [m for m in matches if m[0].id == wanted]
    if exact:
        return exact[0]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise InputError(f"No snapshot {wanted!r} in the journal.",
                         remedy="`federator history` lists the snapshots (before/after columns).")
    names = ", ".join(f"{snap.id} ({'before' if snap.id.endswith('-before') else 'after'} "
                      f"{entry.kind} of {entry.domain}, {entry.started_at})"
                      for snap, entry in matches[:6])
    raise InputError(f"{wanted!r} matches several snapshots: {names}.",
                     remedy="Give the whole snapshot id: <entry>-before is the state before that "
                            "change, <entry>-after the state it left.")


def new_id() -> str:
    """A short random id (8 hex digits): operation ids; snapshot ids add ``-before``/``-after``."""
    return secrets.token_hex(4)



def file_identity(st: os.stat_result) -> tuple[int, int]:
    """What tells one file from another at the same path: the volume and the file's number
    there (the inode on POSIX; the NTFS file index on Windows, which ``os.stat`` reports as
    ``st_ino``: https://docs.python.org/3/library/os.html#os.stat_result.st_ino)."""
    return (st.st_dev, st.st_ino)


def identity_at(path: Path) -> tuple[int, int] | None:
    """The identity of the file now at ``path``, or None when there is none (a test seam)."""
    try:
        return file_identity(path.stat())
    except FileNotFoundError:
        return None


def rescue_folders(journal: Journal) -> list[Path]:
    """Where a rescue file is tried, in order: beside the journal, then the temporary folder,
    then the user's home (another disk, with luck, when the journal's is full)."""
    folders = [journal.journal_dir]
    for where in (tempfile.gettempdir, Path.home):
        try:
            folders.append(Path(where()))
        except (OSError, RuntimeError, KeyError):  # no usable temp folder, no home: skip it
            continue
    return folders


def write_rescue_file(journal: Journal, op: str, lines: list[bytes]) -> Path | None:
    """Write ``lines`` (journal records) to a new rescue file; its path, or None if no folder
    would take it. Named ``rescue-<tenant>-<op>-<time>.jsonl``: ``restore`` finds snapshots in
    the ones beside the journal."""
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
    name = f"rescue-{safe_name(journal.tenant)}-{safe_name(op)}-{stamp}.jsonl"
    for folder in rescue_folders(journal):
        target = folder / name
        try:
            # Private like the journal (0600), and never over an existing file or link.
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL
                         | getattr(os, "O_BINARY", 0), 0o600)
        except OSError:
            # Not created here (it exists: another Federator's rescue file, or a planted
            # link; or the folder refuses): never remove what this process did not write.
            continue
        try:
            with open(fd, "wb") as out:
                out.write(b"".join(lines))
                out.flush()
                os.fsync(out.fileno())
        except OSError:
            with suppress(OSError):
                target.unlink()  # the partial file this process just created (O_EXCL)
            continue
        return target
    return None

class JournalWriter:
    """Appends records while the tenant's lock is held. Each append is fsynced before returning.

    Two things can go wrong under a running change, and neither may lose its way back:

    * The file at the journal's path stops being the file that was opened (a cleanup script
      deletes it, a sync or antivirus tool renames another file over it): appends would land in
      an orphan that ``history`` and ``restore`` never read. Every append checks the file's
      identity before and after writing; on a mismatch the journal is recreated at its path,
      every record this writer wrote is appended again (the open entry's snapshot first), what
      happened is recorded in the open entry, and a warning goes out.
    * An append fails (disk full, I/O error) once an entry has begun: the write may already have
      been sent, so raising would hide the change. The record, and the rest of the entry, go to
      a rescue file instead (:attr:`rescue_path`, in journal format), a warning goes out, and
      the change runs to its end; the entry stays open in the journal, so the next run
      reconciles it. A failed ``begin`` still raises :class:`JournalError`: nothing was sent.
    """

    def __init__(self, journal: Journal) -> None:
        self.journal = journal
        self.problems: list[JournalProblem] = []
        self.warnings: list[str] = []        # said while the lock was held (see on_warning)
        self.on_warning: Callable[[str], None] | None = None
        self.rescue_path: Path | None = None
        self.failed: str | None = None       # why the journal could not be written, if it failed
        self._written: list[bytes] = []       # every line this writer appended, in order
        self._open_ops: set[str] = set()      # entries begun here and not yet ended
        self._rescued: list[bytes] = []
        self._at_open: JournalContents | None = None  # what the journal held when opened
        journal.journal_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._repair_tail()
        try:
            self._open()
        except OSError as exc:
            raise JournalError(f"The journal {journal.path} cannot be written: {exc.strerror}.",
                               remedy="Free disk space or fix the folder's permissions; "
                                      "nothing was changed.") from exc

    def _open(self) -> None:
        path = self.journal.path
        existed = path.exists()
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_BINARY", 0),
                     0o600)
        self._file = os.fdopen(fd, "ab", buffering=0)
        self._identity = file_identity(os.fstat(fd))
        self._opened_at = now_iso()
        if not existed:
            _fsync_dir(self.journal.journal_dir)

    def _where_now(self) -> str | None:
        """None while the file at the path is the one opened; else what became of it."""
        try:
            found = identity_at(self.journal.path)
        except OSError:
            found = None
        if found is None:
            return "deleted"
        if not self._identity[1]:
            return None  # a file system without file numbers (st_ino 0): only deletion shows
        return None if found == self._identity else "replaced by another file"

    def _repair_tail(self) -> None:
        # Through the index: every change starts here, and a long journal must not be parsed
        # whole each time (only what was appended since the index was last brought up to date).
        path = self.journal.path
        contents, tail_start = read_indexed(path)
        self._at_open = contents  # what in_progress() gives until this writer appends
        damaged = [p for p in contents.problems if p.message.startswith("damaged last line")]
        self.problems.extend(p for p in contents.problems if p not in damaged)
        if tail_start is None:
            return
        with open(path, "rb") as f:
            f.seek(tail_start)
            rest = f.read()
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
        aside = path.with_name(f"{path.name}.corrupt-{stamp}")
        with open(aside, "wb") as out:
            out.write(rest)
            out.flush()
            os.fsync(out.fileno())
        _fsync_dir(path.parent)
        with open(path, "r+b") as f:
            f.truncate(tail_start)
            f.flush()
            os.fsync(f.fileno())
        line = damaged[0].line if damaged else 0
        self.problems.append(JournalProblem(
            path, line, "the last line was damaged (a write was cut short) and was moved aside",
            kept_at=aside))

    def close(self) -> None:
        if not self._file.closed:
            self._file.close()

    def _warn(self, text: str) -> None:
        self.warnings.append(text)
        if self.on_warning is not None:
            try:
                self.on_warning(text)
            except Exception:  # a display callback must not stop the record being kept
                log.exception("a journal warning callback failed")

    def _write_line(self, data: bytes) -> None:
        """Append ``data`` whole and fsync it, or leave the file as it was and raise OSError."""
        if self._file.closed:
            raise OSError(errno.EBADF, "the journal file could not be opened again")
        fd = self._file.fileno()
        start = os.lseek(fd, 0, os.SEEK_END)  # the lock is held: nobody else appends
        view = memoryview(data)
        try:
            while view:  # unbuffered: a failed write leaves nothing queued to land later
                view = view[os.write(fd, view):]
            os.fsync(fd)
        except OSError:
            # A record is whole or absent: a torn line left here would swallow the next
            # record appended after it (the outcome of the change, say).
            with suppress(OSError):
                os.ftruncate(fd, start)
            raise

    def append(self, record: dict[str, Any]) -> dict[str, Any]:
        """Write one record and make it durable (flush + fsync) before returning it."""
        if "op" not in record or record.get("type") not in RECORD_TYPES:
            raise ValueError(f"not a journal record: {record!r}")
        full = {"v": FORMAT_VERSION, "at": now_iso(),
                **{k: v if k in _VERBATIM_KEYS else _scrub_value(v) for k, v in record.items()}}
        line = json.dumps(full, ensure_ascii=False, separators=(",", ":"), default=str)
        data = line.encode("utf-8") + b"\n"
        op = str(full["op"])
        absorbs = op in self._open_ops and full["type"] != "begin"
        if self.failed is not None and absorbs:
            self._rescue(data, op)
            self._track(full, op)
            return full
        try:
            if self._where_now() is not None:
                self._recover_orphan()
            self._write_line(data)
            self._written.append(data)
            if self._where_now() is not None:  # replaced while it was written: write it again
                self._recover_orphan()
        except OSError as exc:
            if not absorbs:
                raise JournalError(f"The journal {self.journal.path} could not be written: "
                                   f"{exc.strerror or type(exc).__name__}.",
                                   remedy="Free disk space; the tenant state is re-read next "
                                          "run.") from exc
            self._fail(exc, data, op)
        self._track(full, op)
        return full

    def _track(self, full: dict[str, Any], op: str) -> None:
        if full["type"] == "begin":
            self._open_ops.add(op)
        elif full["type"] == "end":
            self._open_ops.discard(op)

    def _recover_orphan(self) -> None:
        """The file at the path is not the one opened: recreate it and write again what this
        writer wrote that it does not hold, then record what happened in every open entry."""
        what = self._where_now() or "replaced by another file"
        path = self.journal.path
        self.close()
        self.journal.journal_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._open()
        try:
            present = Counter(path.read_bytes().splitlines(keepends=True))
        except OSError:
            present = Counter()
        again = 0
        for data in self._written:
            if present[data] > 0:
                present[data] -= 1
                continue
            self._write_line(data)
            again += 1
        message = (f"The journal file {path} was {what} while this change ran (it was no longer "
                   f"the file opened at {self._opened_at}); Federator recreated it and wrote "
                   f"again the {again} record(s) this run had written, the snapshot first.")
        for op in sorted(self._open_ops):
            record = {"v": FORMAT_VERSION, "at": now_iso(), "op": op, "type": "step",
                      "step": "journal-recreated", "message": message, "was": what}
            data = json.dumps(record, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"
            self._write_line(data)
            self._written.append(data)
        self._warn(message + " Records of earlier changes that were in the old file are not "
                             "at this path any more: look for them where the tool that moved "
                             "it puts files (a recycle bin, a sync conflict copy).")

    def _fail(self, exc: OSError, data: bytes, op: str) -> None:
        """An append failed after the entry began: keep its records in a rescue file."""
        why = exc.strerror or type(exc).__name__
        self.failed = why
        self._rescue(data, op)
        where = (f"are kept in {self.rescue_path}" if self.rescue_path is not None else
                 "could not be saved to any file either")
        self._warn(f"The journal {self.journal.path} could not be written ({why}) after the "
                   f"change began: the change went on, and its records from here on {where}. "
                   "The snapshot taken before the change is in the journal, so the way back "
                   "shown works; free disk space before using it.")

    def _rescue(self, data: bytes, op: str) -> None:
        """Append ``data`` to the rescue file, creating it with the entry's earlier records."""
        self._rescued.append(data)
        if self.rescue_path is not None:
            try:
                with open(self.rescue_path, "ab") as out:
                    out.write(data)
                    out.flush()
                    os.fsync(out.fileno())
                return
            except OSError:
                pass  # that place filled up too: try the next one with everything
        earlier = [d for d in self._written if f'"op":"{op}"'.encode() in d]
        self.rescue_path = write_rescue_file(self.journal, op, [*earlier, *self._rescued])

    def in_progress(self) -> list[JournalEntry]:
        """Entries begun but never ended (the process that made them died), found through the
        index (every change starts with this: it must not parse the whole journal)."""
        contents = self._at_open if not self._written else None
        if contents is None:
            contents = indexed_contents(self.journal.path)
        found = [e for e in contents.entries if e.in_progress]
        for entry in found:
            entry.records  # noqa: B018 - read now (they are few), before anything is appended
        return found

    def begin(self, *, kind: str, domain: str, who: str, snapshot: Snapshot,
              plan: dict[str, Any] | None = None, summary: str = "",
              op: str | None = None, **extra: Any) -> EntryWriter:
        """Start an entry with the snapshot taken before any write (``extra``: e.g. the target
        state the change intends, which reconciliation compares with what it finds)."""
        op_id = op or new_id()
        self.append({"op": op_id, "type": "begin", "kind": kind, "tenant": self.journal.tenant,
                     "domain": domain, "who": who, "summary": summary,
                     "snapshot": snapshot.to_json(), "plan": plan, **extra})
        return EntryWriter(self, op_id, kind, domain)

    def resume(self, entry: JournalEntry) -> EntryWriter:
        """Continue an in-progress entry (reconciliation closes it)."""
        return EntryWriter(self, entry.op, entry.kind, entry.domain)


class EntryWriter:
    """Appends the records of one entry; :meth:`end` closes it."""

    def __init__(self, writer: JournalWriter, op: str, kind: str, domain: str) -> None:
        self.writer = writer
        self.op = op
        self.kind = kind
        self.domain = domain
        self.ended = False

    def _base(self, type_: str) -> dict[str, Any]:
        return {"op": self.op, "type": type_, "kind": self.kind, "domain": self.domain}

    def step(self, name: str, message: str = "", **detail: Any) -> None:
        self.writer.append({**self._base("step"), "step": name, "message": message, **detail})

    def request(self, method: str, path: str, body: Any = None) -> None:
        """Record a write *before* it is sent."""
        self.writer.append({**self._base("request"), "method": method, "path": path,
                            "body": body})

    def response(self, method: str, path: str, *, status: int | None,
                 request_id: str | None = None, error: str | None = None,
                 certain: bool = True) -> None:
        """Record what came back (``certain=False``: the write may or may not have landed)."""
        self.writer.append({**self._base("response"), "method": method, "path": path,
                            "status": status, "request_id": request_id, "error": error,
                            "certain": certain})

    def verify(self, ok: bool, *, differences: list[str], state: Snapshot) -> None:
        self.writer.append({**self._base("verify"), "ok": ok, "differences": differences,
                            "state": state.to_json()})

    def end(self, outcome: str, *, summary: str, way_back: str,
            snapshot: Snapshot | None, changed: bool | None = None, **detail: Any) -> None:
        self.writer.append({**self._base("end"), "outcome": outcome, "summary": summary,
                            "way_back": way_back, "changed": changed,
                            "snapshot": snapshot.to_json() if snapshot else None, **detail})
        self.ended = True

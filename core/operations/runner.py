"""The machinery every change shares: lock, reconcile, snapshot, journaled writes, read-back.

An operation is a small state machine: confirm -> lock -> reconcile -> read (snapshot) -> plan ->
record the snapshot -> write -> verify -> record. :class:`Run` holds what passes between the
steps, and guarantees the two rules of issue 5: nothing is changed without a recorded way back
(the ``begin`` record with the snapshot is fsynced before the first write) and nothing is reported
done until it has been read back.

Test hook (documented, not for production use): ``FEDERATOR_TEST_KILL_AFTER=snapshot|write|verify``
makes the process kill itself (SIGKILL) right after that step, before the journal records what
followed, so tests can prove that a later run reconciles the open entry.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import signal
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.errors import FederatorError
from core.graph.client import GraphClient
from core.graph.errors import GraphError, PermissionDeniedError, UncertainWriteError
from core.journal import (
    OUTCOME_RECONCILED,
    EntryWriter,
    Journal,
    JournalEntry,
    JournalWriter,
    Snapshot,
)
from core.operations.model import (
    FAILED,
    OK,
    STARTED,
    STEP_CONFIRM,
    STEP_JOURNAL,
    STEP_LOCK,
    STEP_RECONCILE,
    STEP_WRITE,
    WARNING,
    ConfirmationError,
    EventCallback,
    OperationEvent,
    ReconcileResult,
)
from core.operations.state import Target, describe, differences, read_snapshot, same_state
from core.operations.writes import WritePolicy, default_policy, when
from core.plan import PlannedRequest

log = logging.getLogger(__name__)

KILL_HOOK_ENV = "FEDERATOR_TEST_KILL_AFTER"


@dataclass
class OperationContext:
    """Who changes which tenant, through which client, journaling where, reporting to whom."""

    client: GraphClient
    tenant_id: str
    who: str
    journal_dir: Path
    on_event: EventCallback | None = None
    lock_timeout_s: float = 0.0
    # How long to prove a write's outcome and how often to retry it (core.operations.writes).
    writes: WritePolicy = field(default_factory=lambda: default_policy())
    # Set from the first journaled record to the outcome: a callback may no longer interrupt.
    recording: bool = False
    # More facts for the entry's first record, e.g. ``metadata_source`` (the IdP metadata's
    # file or URL and its certificates' thumbprints and validity), which the health watch
    # re-reads later. Plain JSON values, never secrets.
    journal_extra: dict[str, Any] = field(default_factory=dict)
    # The command that makes this change again as the admin typed it (the command line fills
    # it; empty in the window, where the same button does): a failed change that applied
    # nothing names it in its remedy.
    again: str = ""

    def emit(self, step: str, status: str, message: str, **detail: Any) -> None:
        """Report one step. Before the snapshot is journaled a callback may raise to cancel;
        afterwards its exceptions are logged and ignored, so the outcome is always recorded."""
        log.info("%s %s: %s", step, status, message)
        if self.on_event is None:
            return
        event = OperationEvent(step, status, message, dict(detail))
        if not self.recording:
            self.on_event(event)
            return
        try:
            self.on_event(event)
        except Exception:
            log.exception("an event callback failed while a change was being recorded")

    @property
    def cancellable(self) -> bool:
        """Whether the change may still be cancelled (by a callback raising): until its snapshot
        is journaled. From then on the outcome is always recorded. Both faces ask this."""
        return not self.recording

    @property
    def journal(self) -> Journal:
        return Journal(self.journal_dir, self.tenant_id)


def test_kill_point(point: str) -> None:
    """The documented test hook: die here, like a power cut, when the env var names ``point``
    (only where ``core.testhooks`` allows hooks: from source, against the sandbox)."""
    from core.testhooks import hook_value

    if hook_value(KILL_HOOK_ENV) != point:
        return
    sys.stdout.flush()
    sys.stderr.flush()
    kill = getattr(signal, "SIGKILL", None)
    if kill is not None:
        os.kill(os.getpid(), kill)
    os._exit(137)  # Windows: no SIGKILL; exit without cleanup, as close as it gets


def require_confirmation(domain: str, confirm: str | None) -> None:
    """Every write needs the domain typed again, exactly (case, a final dot and the IDN form
    aside: ``core.domain_names``, the rule ``--domain`` is read by too).

    Callers check it before anything slow (sign-in, preflight), so a typo costs nothing."""
    from core.domain_names import same_domain

    if not same_domain(confirm or "", domain):
        raise ConfirmationError(
            f"The confirmation {confirm!r} does not match the domain {domain!r}; nothing was "
            "changed.", remedy=f"Type the domain to confirm: --confirm {domain}")


def check_confirmation(domain: str, confirm: str | None, ctx: OperationContext) -> None:
    """:func:`require_confirmation`, reported as the operation's first step."""
    require_confirmation(domain, confirm)
    ctx.emit(STEP_CONFIRM, OK, f"Confirmed: {domain}")


@dataclass
class Run:
    """One operation in flight, holding the tenant lock and its journal entry."""

    ctx: OperationContext
    writer: JournalWriter
    kind: str
    domain: str
    entry: EntryWriter | None = None
    request_ids: list[str] = field(default_factory=list)
    sent: int = 0  # writes sent so far (0: a refusal now leaves the domain untouched)
    # What re-reading proved about writes whose answer was lost (``core.operations.writes``):
    # sentences the result and the journal's summary carry.
    proofs: list[str] = field(default_factory=list)

    @property
    def client(self) -> GraphClient:
        return self.ctx.client

    def read(self, snapshot_id: str) -> Snapshot:
        return read_snapshot(self.client, self.ctx.tenant_id, self.domain, snapshot_id)

    def recorded(self, op: str | None) -> str:
        """Where the outcome of entry ``op`` was recorded, in words: the journal, or the rescue
        file when the journal could not be written (``JournalWriter``)."""
        if self.writer.failed is None:
            return f"Recorded in the journal as {op}"
        where = (f"in the rescue file {self.writer.rescue_path}" if self.writer.rescue_path
                 else "nowhere on disk (the snapshot is shown in full below)")
        return f"Not recorded in the journal, which could not be written: entry {op} is {where}"

    def send(self, request: PlannedRequest) -> Any:
        """One write: recorded (fsynced) before it is sent, its answer recorded after."""
        assert self.entry is not None, "a write needs a journal entry with the snapshot first"
        shown = f"{request.method} {request.path}"
        self.entry.request(request.method, request.path, request.body)
        self.ctx.emit(STEP_WRITE, STARTED, f"Sending {shown}", method=request.method,
                      path=request.path)
        self.sent += 1
        try:
            response = self.client.request(request.method, request.path, json=request.body)
        except UncertainWriteError as exc:
            self.entry.response(request.method, request.path, status=exc.status,
                                request_id=exc.request_id, error=exc.message, certain=False)
            self.ctx.emit(STEP_WRITE, WARNING, f"{shown}: {exc.explanation}",
                          request_id=exc.request_id, uncertain=True)
            raise
        except GraphError as exc:
            if isinstance(exc, PermissionDeniedError):
                _name_the_roles(exc, request)
            self.entry.response(request.method, request.path, status=exc.status,
                                request_id=exc.request_id, error=exc.message)
            self.ctx.emit(STEP_WRITE, FAILED, f"{shown}: {exc.message}",
                          request_id=exc.request_id, http_status=exc.status)
            raise
        test_kill_point("write")
        self.entry.response(request.method, request.path, status=response.status,
                            request_id=response.request_id)
        if response.request_id:
            self.request_ids.append(response.request_id)
        self.ctx.emit(STEP_WRITE, OK, f"{shown}: Graph answered {response.status}",
                      http_status=response.status, request_id=response.request_id)
        return response.body


def _name_the_roles(exc: PermissionDeniedError, request: PlannedRequest) -> None:
    """A 403 to one of the federation writes: say which roles Microsoft documents for it (the
    lists differ by write, ``core.roles``), instead of a generic list."""
    from core.roles import denied_remedy, write_of

    write = write_of(request.method, request.path, request.body)
    if write is not None:
        exc.remedy = denied_remedy(write)


def take_lock(ctx: OperationContext, purpose: str) -> Any:
    """The context manager that holds the tenant's journal lock (events around it)."""
    ctx.emit(STEP_LOCK, STARTED, "Taking the tenant's change lock")
    return ctx.journal.writing(purpose, timeout_s=ctx.lock_timeout_s)


def report_journal_problems(ctx: OperationContext, writer: JournalWriter) -> list[str]:
    """Say what is wrong with the journal; the list returned also receives what goes wrong
    with it later, while the lock is held (a file replaced, a disk full), as it happens: it is
    the result's ``journal_problems``."""
    problems = [str(p) for p in writer.problems]
    for text in problems:
        ctx.emit(STEP_JOURNAL, WARNING, f"Journal: {text}")

    def later(text: str) -> None:
        problems.append(text)
        ctx.emit(STEP_JOURNAL, WARNING, f"Journal: {text}")

    writer.on_warning = later
    return problems


def reconcile_open_entries(ctx: OperationContext, writer: JournalWriter) -> list[ReconcileResult]:
    """Close every entry a killed process left open, by re-reading the tenant (lock held).

    An entry whose domain still reads as before while one of its writes, sent without a known
    answer, could still land (:mod:`core.operations.writes`) is not closed: its result says so
    (``still_open``) and the next start looks again."""
    results: list[ReconcileResult] = []
    for entry in writer.in_progress():
        ctx.emit(STEP_RECONCILE, STARTED,
                 f"An earlier {entry.kind} of {entry.domain} (started {entry.started_at}) did "
                 "not finish; re-reading the domain", op=entry.op)
        try:
            result = _reconcile_one(ctx, writer, entry)
        except (GraphError, FederatorError) as exc:
            ctx.emit(STEP_RECONCILE, WARNING,
                     f"Could not re-read {entry.domain} ({exc.message}); the entry stays open "
                     "and the next run tries again", op=entry.op)
            continue
        results.append(result)
        ctx.emit(STEP_RECONCILE, WARNING if result.still_open else OK, result.summary,
                 op=entry.op, changed=result.changed)
    return results


def _reconcile_one(ctx: OperationContext, writer: JournalWriter,
                   entry: JournalEntry) -> ReconcileResult:
    after = read_snapshot(ctx.client, ctx.tenant_id, entry.domain, f"{entry.op}-after")
    before = entry.snapshot_before
    begin = entry.records[0] if entry.records else {}
    target = Target.from_json(begin.get("target"))
    sent = [f"{r.get('method')} {r.get('path')}" for r in entry.requests]
    # What was read and when, never more: a read that matches the snapshot does not prove that
    # nothing was changed in between, nor that a write in flight will not land.
    read_at = when(after.taken_at)
    recorded_way_back = str(begin.get("way_back") or "")
    if target is not None and not differences(after, target):
        summary = (f"The interrupted {entry.kind} of {entry.domain} had been applied: at "
                   f"{read_at} the domain read as it intended: {describe(after)}.")
        changed: bool | None = True
    elif before is not None and same_state(after, before):
        summary = (f"Reconciling the interrupted {entry.kind} of {entry.domain}: at {read_at} "
                   f"the domain matched the snapshot taken before the change ({before.id}): "
                   f"{describe(after)}.")
        if sent:
            summary += (f" Requests sent then: {', '.join(sent)}; none showed in that read.")
        pending = late_write_until(entry, ctx)
        if pending is not None:
            summary += (f" A write sent without a known answer could still land until about "
                        f"{when(pending)}, so the entry stays open and is read again at the "
                        "next start.")
            way_back = recorded_way_back or (restore_command(before.id, entry.domain))
            return ReconcileResult(entry.op, entry.kind, entry.domain, summary, None, way_back,
                                   still_open=True)
        changed = False
    else:
        summary = (f"The interrupted {entry.kind} of {entry.domain}: at {read_at} the domain was "
                   f"neither as before the change nor as it intended: {describe(after)}.")
        changed = True
    if not changed:
        way_back = ""
    elif recorded_way_back:
        way_back = recorded_way_back
    else:
        way_back = restore_command(before.id, entry.domain) if before is not None else ""
    writer.resume(entry).end(OUTCOME_RECONCILED, summary=summary, way_back=way_back,
                             snapshot=after, changed=changed, requests_sent=sent,
                             reconciled_by=ctx.who, read_at=after.taken_at)
    return ReconcileResult(entry.op, entry.kind, entry.domain, summary, changed, way_back)


def late_write_until(entry: JournalEntry, ctx: OperationContext) -> str | None:
    """Until when (ISO time) a write of ``entry`` that got no certain answer could still land,
    if that is still ahead; None when every write was answered or its horizon has passed.

    The horizon of :mod:`core.operations.writes`, counted from when the request was recorded
    as sent: the client's read timeout (the longest it waited for an answer), then the
    late-write allowance."""
    answers = entry.responses
    latest: dt.datetime | None = None
    for index, request in enumerate(entry.requests):
        answer = answers[index] if index < len(answers) else None
        if answer is not None and answer.get("certain", True):
            continue
        try:
            sent = dt.datetime.fromisoformat(str(request.get("at", "")).replace("Z", "+00:00"))
        except ValueError:
            continue
        horizon = sent + dt.timedelta(seconds=ctx.client.policy.read_timeout_s
                                      + ctx.writes.late_write_s)
        latest = horizon if latest is None or horizon > latest else latest
    if latest is None or latest <= dt.datetime.now(dt.UTC):
        return None
    return latest.isoformat(timespec="seconds").replace("+00:00", "Z")


def quote_arg(text: str) -> str:
    """``text`` as one argument of a suggested command, quoted for the shell the admin pastes
    into (PowerShell on Windows, sh elsewhere), never with expansion: core.shellquote."""
    from core.shellquote import quote_for_shell

    return quote_for_shell(text)


def restore_command(snapshot_id: str, domain: str) -> str:
    """The way back of a change: the exact command that puts ``domain`` back as it was."""
    from core.shellquote import command_line

    return command_line(["federator", "restore", snapshot_id, "--confirm", domain])


def context_from_session(session: Any, paths: Any, on_event: EventCallback | None = None,
                         *, lock_timeout_s: float = 0.0) -> OperationContext:
    """An :class:`OperationContext` for a ``core.tenant.TenantSession`` and ``core.paths.Paths``."""
    return OperationContext(client=session.client, tenant_id=session.tenant_id,
                            who=session.account.upn, journal_dir=paths.journal_dir,
                            on_event=on_event, lock_timeout_s=lock_timeout_s)

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

import logging
import os
import signal
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.errors import FederatorError
from core.graph.client import GraphClient
from core.graph.errors import GraphError, UncertainWriteError
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
    # Set from the first journaled record to the outcome: a callback may no longer interrupt.
    recording: bool = False

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
    def journal(self) -> Journal:
        return Journal(self.journal_dir, self.tenant_id)


def test_kill_point(point: str) -> None:
    """The documented test hook: die here, like a power cut, when the env var names ``point``."""
    if os.environ.get(KILL_HOOK_ENV) != point:
        return
    sys.stdout.flush()
    sys.stderr.flush()
    kill = getattr(signal, "SIGKILL", None)
    if kill is not None:
        os.kill(os.getpid(), kill)
    os._exit(137)  # Windows: no SIGKILL; exit without cleanup, as close as it gets


def require_confirmation(domain: str, confirm: str | None) -> None:
    """Every write needs the domain typed again, exactly (case and a final dot aside).

    Callers check it before anything slow (sign-in, preflight), so a typo costs nothing."""
    typed = (confirm or "").strip().rstrip(".").lower()
    if typed != domain.strip().rstrip(".").lower():
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

    @property
    def client(self) -> GraphClient:
        return self.ctx.client

    def read(self, snapshot_id: str) -> Snapshot:
        return read_snapshot(self.client, self.ctx.tenant_id, self.domain, snapshot_id)

    def send(self, request: PlannedRequest) -> Any:
        """One write: recorded (fsynced) before it is sent, its answer recorded after."""
        assert self.entry is not None, "a write needs a journal entry with the snapshot first"
        shown = f"{request.method} {request.path}"
        self.entry.request(request.method, request.path, request.body)
        self.ctx.emit(STEP_WRITE, STARTED, f"Sending {shown}", method=request.method,
                      path=request.path)
        try:
            response = self.client.request(request.method, request.path, json=request.body)
        except UncertainWriteError as exc:
            self.entry.response(request.method, request.path, status=exc.status,
                                request_id=exc.request_id, error=exc.message, certain=False)
            self.ctx.emit(STEP_WRITE, WARNING, f"{shown}: {exc.explanation}",
                          request_id=exc.request_id, uncertain=True)
            raise
        except GraphError as exc:
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


def take_lock(ctx: OperationContext, purpose: str) -> Any:
    """The context manager that holds the tenant's journal lock (events around it)."""
    ctx.emit(STEP_LOCK, STARTED, "Taking the tenant's change lock")
    return ctx.journal.writing(purpose, timeout_s=ctx.lock_timeout_s)


def report_journal_problems(ctx: OperationContext, writer: JournalWriter) -> list[str]:
    problems = [str(p) for p in writer.problems]
    for text in problems:
        ctx.emit(STEP_JOURNAL, WARNING, f"Journal: {text}")
    return problems


def reconcile_open_entries(ctx: OperationContext, writer: JournalWriter) -> list[ReconcileResult]:
    """Close every entry a killed process left open, by re-reading the tenant (lock held)."""
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
        ctx.emit(STEP_RECONCILE, OK, result.summary, op=entry.op, changed=result.changed)
    return results


def _reconcile_one(ctx: OperationContext, writer: JournalWriter,
                   entry: JournalEntry) -> ReconcileResult:
    after = read_snapshot(ctx.client, ctx.tenant_id, entry.domain, f"{entry.op}-after")
    before = entry.snapshot_before
    begin = entry.records[0] if entry.records else {}
    target = Target.from_json(begin.get("target"))
    sent = [f"{r.get('method')} {r.get('path')}" for r in entry.requests]
    if target is not None and not differences(after, target):
        summary = (f"The interrupted {entry.kind} of {entry.domain} had been applied: "
                   f"{describe(after)}.")
        changed: bool | None = True
    elif before is not None and same_state(after, before):
        summary = (f"The interrupted {entry.kind} of {entry.domain} had not changed anything: "
                   f"{describe(after)}.")
        changed = False
    else:
        summary = (f"The interrupted {entry.kind} of {entry.domain} left it neither as before "
                   f"nor as planned: {describe(after)}.")
        changed = True
    recorded_way_back = str(begin.get("way_back") or "")
    if not changed:
        way_back = ""
    elif recorded_way_back:
        way_back = recorded_way_back
    else:
        way_back = restore_command(before.id, entry.domain) if before is not None else ""
    writer.resume(entry).end(OUTCOME_RECONCILED, summary=summary, way_back=way_back,
                             snapshot=after, changed=changed, requests_sent=sent,
                             reconciled_by=ctx.who)
    return ReconcileResult(entry.op, entry.kind, entry.domain, summary, changed, way_back)


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

"""What an operation tells the world: progress events, its result, and the errors it raises.

The CLI prints events as step-by-step lines; the GUI turns the same callback into Qt signals. Both
read the :class:`OperationResult` at the end: the state the domain was left in, and the way back.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from core.errors import RefusedError
from core.journal import Snapshot

# Steps, in the order an operation goes through them.
STEP_CONFIRM = "confirm"
STEP_LOCK = "lock"
STEP_RECONCILE = "reconcile"
STEP_READ = "read"
STEP_PREFLIGHT = "preflight"
STEP_PLAN = "plan"
STEP_USERS = "users"
STEP_SNAPSHOT = "snapshot"
STEP_WRITE = "write"
STEP_VERIFY = "verify"
STEP_CERTIFICATES = "certificates"
STEP_RECORD = "record"
STEP_WAIT = "wait"
STEP_JOURNAL = "journal"

# Event statuses (a step's; a whole operation's outcome is FAILED_OUTCOME, below).
STARTED = "started"
OK = "ok"
FAILED = "failed"
WARNING = "warning"
INFO = "info"

# Outcomes of a whole operation (see also core.journal.OUTCOME_*).
SUCCEEDED = "succeeded"
NO_CHANGE = "no-change"
FAILED_OUTCOME = "failed"
UNKNOWN = "unknown"   # the write's effect could not be read back; the journal entry stays open

@dataclass(frozen=True)
class OperationEvent:
    """One progress line: ``step`` (``STEP_*``), ``status`` (started/ok/failed/warning/info),
    a sentence for people, and machine detail (request ids, properties, counts...)."""

    step: str
    status: str
    message: str
    detail: dict[str, Any] = field(default_factory=dict)


EventCallback = Callable[[OperationEvent], None]


@dataclass(frozen=True)
class AcceptedCertificate:
    """A certificate Entra accepts for the domain's sign-ins, and in which slot it sits."""

    slot: str           # "signingCertificate" or "nextSigningCertificate"
    subject: str
    sha1: str
    not_after: str
    days_left: int | None
    readable: bool = True

    def describe(self) -> str:
        slot = "current " if self.slot == "signingCertificate" else "next    "
        if not self.readable:
            return f"{slot}(unreadable certificate text)"
        from core.textsafe import one_line

        left = f", {self.days_left} days left" if self.days_left is not None else ""
        # The subject comes from the certificate: one value, one line, whatever it holds.
        return (f"{slot}{one_line(self.subject)} (SHA-1 {self.sha1}, valid until "
                f"{self.not_after}{left})")

    def to_json(self) -> dict[str, Any]:
        return {"slot": self.slot, "subject": self.subject, "sha1": self.sha1,
                "not_after": self.not_after, "days_left": self.days_left,
                "readable": self.readable}


@dataclass(frozen=True)
class PasswordImpact:
    """Before a revert (REV-01): who will need a cloud password, and how to give them one."""

    domain: str
    users: int
    domains_counted: tuple[str, ...]
    directory_synced: bool | None
    options: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {"domain": self.domain, "users": self.users,
                "domains_counted": list(self.domains_counted),
                "directory_synced": self.directory_synced, "options": list(self.options)}


@dataclass(frozen=True)
class ReconcileResult:
    """An entry a killed process left open, closed by re-reading the tenant."""

    op: str
    kind: str
    domain: str
    summary: str
    changed: bool | None
    way_back: str
    # Not closed: the domain still reads as before, but a write could still land.
    still_open: bool = False

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class OperationResult:
    """How an operation ended: the state before and after, and the way back."""

    kind: str
    domain: str
    tenant: str
    outcome: str
    summary: str
    op_id: str | None = None
    before: Snapshot | None = None
    after: Snapshot | None = None
    changed: bool | None = None
    way_back: str = ""
    request_ids: list[str] = field(default_factory=list)
    certificates_before: list[AcceptedCertificate] = field(default_factory=list)
    certificates_after: list[AcceptedCertificate] = field(default_factory=list)
    password_impact: PasswordImpact | None = None
    plan: dict[str, Any] | None = None
    notes: list[str] = field(default_factory=list)
    # When no way back works (a half-federated domain Graph would not put back): the options
    # that remain, in order (core.operations.half_federated).
    remaining: list[str] = field(default_factory=list)
    journal_problems: list[str] = field(default_factory=list)
    reconciled: list[ReconcileResult] = field(default_factory=list)
    # Graph kept refusing a configuration update and nothing changed: replacing the configuration
    # (delete and re-create, Managed in between) is possible if the admin chooses it.
    replace_possible: bool = False
    # The journal could not be written after the change began: its records (the snapshot
    # before included) are in ``rescue_file``, and faces show the snapshot in full.
    journal_failed: bool = False
    rescue_file: str | None = None

    @property
    def ok(self) -> bool:
        return self.outcome in (SUCCEEDED, NO_CHANGE)

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind, "domain": self.domain, "tenant": self.tenant,
            "outcome": self.outcome, "ok": self.ok, "summary": self.summary,
            "op": self.op_id, "changed": self.changed, "way_back": self.way_back,
            "snapshot_before": self.before.id if self.before else None,
            "snapshot_after": self.after.id if self.after else None,
            "state_before": self.before.to_json() if self.before else None,
            "state_after": self.after.to_json() if self.after else None,
            "request_ids": self.request_ids,
            "certificates_before": [c.to_json() for c in self.certificates_before],
            "certificates_after": [c.to_json() for c in self.certificates_after],
            "password_impact": self.password_impact.to_json() if self.password_impact else None,
            "plan": self.plan, "notes": self.notes, "remaining_options": self.remaining,
            "journal_problems": self.journal_problems,
            "journal_failed": self.journal_failed, "rescue_file": self.rescue_file,
            "reconciled": [r.to_json() for r in self.reconciled],
            "replace_possible": self.replace_possible,
        }


class ConfirmationError(RefusedError):
    """The domain typed to confirm a write does not match the domain being changed."""

    code = "confirmation_mismatch"


class PreflightRefusedError(RefusedError):
    """A preflight check failed, or a warning was not accepted: nothing was changed."""

    code = "preflight_failed"

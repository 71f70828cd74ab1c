"""Changing a tenant safely: federate, roll the certificate, revert, restore, reconcile.

Every operation is a small state machine (confirm, lock, reconcile, snapshot, write, verify,
record) that emits :class:`OperationEvent` s to a plain callback and returns an
:class:`OperationResult` with the state left and the way back. No Qt here: the CLI prints the
events, the GUI turns them into signals.

Public API (import from ``core.operations``)::

    ctx = context_from_session(session, paths, on_event=print_event)
    federate(ctx, domain, settings, confirm=domain, preflight=result, accept_warnings=ids,
             allow_replace=False, rerun_preflight=None)
    update_certificate(ctx, domain, new_certificate_b64, confirm=domain, promote=False)
    stage_certificate(ctx, domain, certificates, confirm=domain)     # = promote=False
    promote_certificate(ctx, domain, certificates, confirm=domain)   # = promote=True
    revert(ctx, domain, confirm=domain)
    restore(ctx, snapshot_id, confirm=domain, force=False, allow_replace=False)
    make_default(ctx, domain, confirm=domain)   # preflight's remedy for domain.not_default
    reconcile(ctx)   # close entries a killed run left open
    require_confirmation(domain, typed)   # the confirmation check alone, before slow work

Every write goes through ``core.operations.writes.write`` (re-read before, outcome proven after;
``OperationContext.writes`` bounds the proving). Reading without changing:
:func:`read_snapshot`, :func:`password_impact`, :func:`accepted_certificates`, :func:`describe`.
"""

from __future__ import annotations

from core.operations.actions import (
    check_preflight,
    federate,
    make_default,
    promote_certificate,
    reconcile,
    restore,
    revert,
    stage_certificate,
    update_certificate,
)
from core.operations.model import (
    FAILED_OUTCOME,
    NO_CHANGE,
    SUCCEEDED,
    UNKNOWN,
    AcceptedCertificate,
    ConfirmationError,
    EventCallback,
    OperationEvent,
    OperationResult,
    PasswordImpact,
    PreflightRefusedError,
    ReconcileResult,
)
from core.operations.runner import (
    KILL_HOOK_ENV,
    OperationContext,
    context_from_session,
    require_confirmation,
)
from core.operations.state import (
    accepted_certificates,
    describe,
    password_impact,
    read_snapshot,
)

__all__ = [
    "FAILED_OUTCOME",
    "KILL_HOOK_ENV",
    "NO_CHANGE",
    "SUCCEEDED",
    "UNKNOWN",
    "AcceptedCertificate",
    "ConfirmationError",
    "EventCallback",
    "OperationContext",
    "OperationEvent",
    "OperationResult",
    "PasswordImpact",
    "PreflightRefusedError",
    "ReconcileResult",
    "accepted_certificates",
    "check_preflight",
    "context_from_session",
    "describe",
    "federate",
    "make_default",
    "password_impact",
    "promote_certificate",
    "read_snapshot",
    "reconcile",
    "require_confirmation",
    "restore",
    "revert",
    "stage_certificate",
    "update_certificate",
]

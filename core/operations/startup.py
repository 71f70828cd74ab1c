"""Closing, at start, the changes a stopped Federator left unfinished.

Why it exists: a change whose outcome is not recorded (the process was killed, or could not read
the domain back) stays open in the journal until something re-reads the domain. ``status`` and
the window both do that when they start; the rule (look through the index first, re-read only
when something is open, leave it to the Federator that holds the lock) lives here once.
"""

from __future__ import annotations

from pathlib import Path

from core.journal import JournalEntry, JournalLockedError
from core.operations.actions import reconcile
from core.operations.model import ReconcileResult
from core.operations.runner import OperationContext


def open_entries(journal_dir: Path, tenant: str) -> list[JournalEntry]:
    """The tenant's changes whose outcome the journal does not hold (reads only the index)."""
    from core.journal_index import read_history

    return [e for e in read_history(journal_dir, tenant=tenant).entries if e.in_progress]


def reconcile_at_start(ctx: OperationContext) -> list[ReconcileResult] | None:
    """Re-read and record what became of every open change of the tenant: the results (empty
    when none was open), or None when another Federator holds the tenant's lock (it is making
    a change and records its outcome itself). Entries whose domain cannot be read stay open."""
    if not open_entries(ctx.journal_dir, ctx.tenant_id):
        return []
    try:
        return reconcile(ctx)
    except JournalLockedError:
        return None

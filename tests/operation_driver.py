"""What the core operation tests do with a change as it runs: hooks on its events, the tenant's
state read back, the writes the sandbox saw. One place for tests/core/test_operations.py and
tests/flows/test_uncertain_writes.py, which each had a copy."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from core.journal import Journal, Snapshot
from core.operations import OperationContext, OperationEvent, read_snapshot


class OperationDriver:
    """Mixed into a test's harness, which holds ``sandbox``, ``ctx`` (its ``on_event`` runs
    every hook of ``hooks``) and ``hooks``."""

    sandbox: Any
    ctx: OperationContext
    hooks: list[Callable[[OperationEvent], None]]

    @property
    def journal(self) -> Journal:
        return self.ctx.journal

    def state(self, domain: str) -> Snapshot:
        return read_snapshot(self.ctx.client, self.ctx.tenant_id, domain, "probe")

    def on(self, step: str, status: str, action: Callable[[], None]) -> None:
        """Run ``action`` once, when the operation reports (step, status)."""
        self.on_nth(1, step, status, action)

    def on_nth(self, n: int, step: str, status: str, action: Callable[[], None]) -> None:
        """Run ``action`` when the operation reports (step, status) for the ``n``-th time."""
        seen = 0

        def hook(event: OperationEvent) -> None:
            nonlocal seen
            if event.step == step and event.status == status:
                seen += 1
                if seen == n:
                    action()
        self.hooks.append(hook)

    def writes(self) -> list[str]:
        # A $batch of reads (the revert's user count) is not a write.
        return [f"{r.method} {r.path}" for r in self.sandbox.request_log
                if r.method in ("POST", "PATCH", "DELETE") and "/v1.0/" in r.path
                and r.path != "/v1.0/$batch"]

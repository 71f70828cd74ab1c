"""Federate a domain (or update its federation): one kind of change over the pipeline."""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import TYPE_CHECKING, Any

from core.journal import (
    Snapshot,
)
from core.operations.model import (
    OperationResult,
)
from core.operations.pipeline import (
    Prepared,
    _change,
    check_preflight,
    fresh_preflight,
)
from core.operations.runner import (
    OperationContext,
    Run,
    check_confirmation,
)
from core.operations.state import (
    Target,
    describe,
    domain_state,
)
from core.plan import (
    PlanOptions,
    build_plan,
)

if TYPE_CHECKING:
    from core.plan import GraphSettings
    from core.preflight import PreflightResult


def federate(ctx: OperationContext, domain: str, settings: GraphSettings | dict[str, Any], *,
             confirm: str | None, preflight: PreflightResult,
             accept_warnings: Collection[str] = (),
             options: PlanOptions | None = None,
             allow_replace: bool = False,
             rerun_preflight: Callable[[], PreflightResult] | None = None) -> OperationResult:
    """Federate ``domain`` (POST when managed; PATCH of the differing values when federated).

    A PATCH Graph keeps failing (after the retries of every write) is replaced by delete and
    re-create only with ``allow_replace`` (the admin chose it, knowing the domain is Managed in
    between); otherwise the result says nothing changed and that the choice exists
    (``result.replace_possible``).

    ``preflight`` must be a run for this domain, recent, with no failed check and every warning
    listed in ``accept_warnings`` (by check id); otherwise :class:`PreflightRefusedError`. One
    older than :data:`PREFLIGHT_FRESH` is run again first through ``rerun_preflight`` (refused
    when there is none), and that fresh run is what is judged.
    """
    check_confirmation(domain, confirm, ctx)
    preflight = fresh_preflight(ctx, domain, preflight, rerun_preflight)
    check_preflight(ctx, domain, preflight, accept_warnings)

    def prepare(run: Run, before: Snapshot) -> Prepared:
        plan = build_plan(domain, settings, domain_state(before), options)
        target = Target("Federated", {c.name: c.new for c in plan.changes})
        what = "Update the federation of" if before.federation else "Federate"
        return Prepared([plan], target, f"{what} {domain}", notes=list(plan.notes),
                        unchanged=f"Nothing to change: {domain} is already federated with "
                                  f"these settings: {describe(before)}.",
                        allow_replace=allow_replace)

    return _change(ctx, "federate", domain, prepare)

"""Revert a domain to managed (cloud) sign-in: one kind of change over the pipeline."""

from __future__ import annotations

from typing import TYPE_CHECKING

from core.errors import RefusedError
from core.journal import (
    Snapshot,
)
from core.operations.model import (
    OperationResult,
)
from core.operations.pipeline import (
    Prepared,
    _change,
    _no_way_back_to_half,
    show_password_impact,
)
from core.operations.runner import (
    OperationContext,
    Run,
    check_confirmation,
)
from core.operations.state import (
    INHERITED_NOTE,
    Target,
    domain_state,
)
from core.plan import (
    build_revert_plan,
)

if TYPE_CHECKING:
    pass


def revert(ctx: OperationContext, domain: str, *, confirm: str | None) -> OperationResult:
    """Back to managed sign-in: ``PATCH authenticationType=Managed``, then check the
    configuration is gone. Counts first the users who will need a cloud password (REV-01)."""
    check_confirmation(domain, confirm, ctx)

    def prepare(run: Run, before: Snapshot) -> Prepared:
        if before.note == INHERITED_NOTE:
            # Graph refuses it
            # (https://learn.microsoft.com/entra/identity/users/domains-verify-custom-subdomain):
            # the subdomain's sign-in is its root's.
            raise RefusedError(
                f"{domain} is a subdomain: it follows its root domain's federation and has no "
                "setting of its own to revert. Nothing was changed.",
                code="subdomain_follows_root",
                remedy="Revert the root domain (its subdomains follow it), or promote "
                       f"{domain} to a root domain first (Microsoft Graph: POST "
                       f"/domains/{domain}/promote).")
        plan = build_revert_plan(domain, domain_state(before))
        impact = None
        if not plan.is_noop:
            impact = show_password_impact(run.ctx, domain)
        return Prepared([plan], Target("Managed", None),
                        f"Revert {domain} to managed (cloud) sign-in", notes=list(plan.notes),
                        password_impact=impact, way_back=_no_way_back_to_half(before),
                        unchanged=f"Nothing to change: {domain} already uses managed (cloud) "
                                  "sign-in.")

    return _change(ctx, "revert", domain, prepare)

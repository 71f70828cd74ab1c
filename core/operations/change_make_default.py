"""Make a domain the tenant's default: the remedy preflight offers for ``domain.not_default``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from core.change_kinds import KIND_MAKE_DEFAULT
from core.graph.errors import (
    PermissionDeniedError,
)
from core.journal import (
    Snapshot,
)
from core.operations.model import (
    OperationResult,
)
from core.operations.pipeline import (
    Prepared,
    _change,
)
from core.operations.runner import (
    OperationContext,
    Run,
    check_confirmation,
)
from core.operations.state import (
    Target,
    domain_state,
)
from core.operations.writes import (
    write,
)
from core.plan import (
    Plan,
    build_make_default_plan,
)
from core.shellquote import command_line

if TYPE_CHECKING:
    pass




def make_default(ctx: OperationContext, domain: str, *, confirm: str | None) -> OperationResult:
    """Make ``domain`` the tenant's default domain (``PATCH /domains/{d}`` ``isDefault``), the
    remedy for preflight's ``domain.not_default``: a default domain cannot be federated.

    Journaled like every change; its way back is making the previous default domain the default
    again. ``core.preflight.remedies.check_make_default`` refuses, before sending, when the
    token shows the permission or role missing (that refusal is recorded, then raised).
    """
    check_confirmation(domain, confirm, ctx)

    def prepare(run: Run, before: Snapshot) -> Prepared:
        from core.graph import api

        plan = build_make_default_plan(domain, domain_state(before))
        previous = next((str(d.get("id")) for d in api.list_domains(run.client)
                         if d.get("isDefault")), None)
        way_back = ""
        if previous and previous.lower() != domain.lower():
            way_back = command_line(["federator", "make-default", previous, "--confirm", previous])
        was = f" (the default now is {previous})" if previous and way_back else ""
        target = Target(before.authentication_type, None, {"isDefault": True})
        return Prepared([plan], target,
                        f"Make {domain} the default domain{was}", notes=list(plan.notes),
                        way_back=way_back,
                        apply=lambda r: _apply_make_default(r, plan, before, target),
                        unchanged=f"Nothing to change: {domain} is already the default domain.")

    return _change(ctx, KIND_MAKE_DEFAULT, domain, prepare)


def _apply_make_default(run: Run, plan: Plan, before: Snapshot, target: Target) -> None:
    """The remedy's PATCH, sent like every write: recorded before it goes, its answer after.

    The permission and role check comes first: a refusal there sends nothing, so nothing is
    recorded as sent. Graph's own 403 becomes the remedy's refusal (what it takes, and the way
    by hand). The read back is the operation's verification, so a failure to read cannot be
    recorded as the PATCH's answer."""
    from core.preflight.remedies import check_make_default, make_default_denied

    check_make_default(run.client, run.domain)
    for request in plan.requests:
        try:
            write(run, request, before=before, expect=target)
        except PermissionDeniedError:
            raise make_default_denied(run.domain) from None

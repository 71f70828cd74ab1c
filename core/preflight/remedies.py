"""Fixes Federator can make itself for a failed preflight check (``CheckResult.action``).

Why here: the remedy belongs with the check that asks for it; the CLI (``federator
make-default``) and, through ``core.operations``, the GUI call the same function. Only
``make_default`` exists: the remedy for ``domain.not_default``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from core.errors import InputError, RefusedError

if TYPE_CHECKING:
    from core.graph.client import GraphClient


def make_default(client: GraphClient, domain: str) -> dict[str, Any]:
    """Make ``domain`` the default (plan, PATCH, read back); what happened, with the way back.

    Microsoft requires Domain.ReadWrite.All and Domain Name Administrator (or Global
    Administrator) for this PATCH; a refusal becomes a RefusedError saying so.
    """
    from core.graph import api
    from core.graph.errors import NotFoundError, PermissionDeniedError
    from core.plan import DomainState, build_make_default_plan

    domain = domain.strip().lower()
    domains = api.list_domains(client)
    previous = next((str(d["id"]) for d in domains if d.get("isDefault")), None)
    dom = next((d for d in domains if str(d.get("id", "")).lower() == domain), None)
    if dom is None:
        raise InputError(f"{domain} is not a domain of this tenant.", code="domain_not_found",
                         remedy="Check the spelling (federator domains lists them).")
    plan = build_make_default_plan(domain, DomainState.from_graph(dict(dom)))
    try:
        for request in plan.requests:
            api.update_domain(client, domain, request.body or {})
    except PermissionDeniedError:
        raise RefusedError(
            f"Microsoft refused to make {domain} the default domain. Nothing was changed.",
            code="make_default_denied",
            remedy="This change needs the Domain.ReadWrite.All permission and the Domain Name "
                   "Administrator or Global Administrator role. Sign in with them (federator "
                   "signin --legacy-scopes), or use the Microsoft 365 admin center: Settings > "
                   f"Domains > {domain} > Set as default.") from None
    try:
        after = dict(api.get_domain(client, domain))
    except NotFoundError:
        after = {}
    return {"domain": domain, "previous_default": previous,
            "is_default": bool(after.get("isDefault")), "changed": not plan.is_noop,
            "way_back": (f"federator make-default {previous} --confirm {previous}"
                         if previous and previous != domain else None)}

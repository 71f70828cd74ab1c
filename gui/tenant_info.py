"""The three facts the header shows about a connection: tenant, signed-in admin, admin roles.

Gathered once per sign-in, in the worker that signs in (two Graph reads), so that painting the
header never touches the network.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from core.errors import FederatorError


@dataclass(frozen=True)
class TenantInfo:
    """What the header shows about the connection."""

    tenant: str
    user: str
    roles: tuple[str, ...]
    sandbox: bool = False


def gather_tenant_info(session: Any) -> TenantInfo:
    """Tenant name and the signed-in admin's directory roles (blocking: call in a worker)."""
    from core.graph import api

    try:
        tenant = session.tenant_name
    except FederatorError:
        tenant = session.tenant_id
    try:
        roles = tuple(sorted(str(r.get("displayName", "")) for r in
                             api.my_transitive_roles(session.client)))
    except FederatorError:
        roles = ()
    return TenantInfo(tenant=str(tenant), user=session.account.upn, roles=roles,
                      sandbox=bool(getattr(session, "is_sandbox", False)))

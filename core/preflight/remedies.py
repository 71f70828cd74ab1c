"""Fixes Federator can make itself for a failed preflight check (``CheckResult.action``).

Why here: the remedy belongs with the check that asks for it; the CLI (``federator
make-default``) and, through ``core.operations``, the GUI call the same function. Only
``make_default`` exists: the remedy for ``domain.not_default``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from core.errors import InputError, RefusedError
from core.preflight.checks import MAKE_DEFAULT_ROLES, WRITE_ROLES

if TYPE_CHECKING:
    from core.graph.client import GraphClient
    from core.plan import Plan

# PATCH /domains/{d} (other than authenticationType),
# https://learn.microsoft.com/graph/permissions-reference,
# https://learn.microsoft.com/entra/identity/role-based-access-control/permissions-reference: the
# delegated
# permissions that allow it, and the roles (by template id) that may do it.
MAKE_DEFAULT_SCOPES: tuple[str, ...] = ("Domain.ReadWrite.All", "Directory.AccessAsUser.All")
# What a session opened for make-default asks for beyond Federator's usual scopes
# (``SessionOptions.extra_scopes``: the sandbox grants it, as an admin consenting would).
MAKE_DEFAULT_EXTRA_SCOPES: tuple[str, ...] = ("Domain.ReadWrite.All",)


@dataclass(frozen=True)
class MakeDefaultCheck:
    """What :func:`check_make_default` found: the change to send and the default it replaces."""

    domain: str
    previous_default: str | None
    plan: Plan


def check_make_default(client: GraphClient, domain: str) -> MakeDefaultCheck:
    """Read the domains and refuse, before anything is sent, what cannot work.

    Microsoft allows the PATCH with the Domain.ReadWrite.All permission (or the older
    Directory.AccessAsUser.All) and one of :data:`MAKE_DEFAULT_ROLES`; Federator's usual sign-in
    does not ask for Domain.ReadWrite.All. When the token shows the permission or the role is
    missing, a RefusedError says how to get them; Graph's 403 stays the final word for everything
    the token does not show.
    """
    from core.graph import api
    from core.plan import DomainState, build_make_default_plan
    from core.preflight.gather import count_round_trips

    domain = domain.strip().lower()
    with count_round_trips(client) as seen:
        domains = api.list_domains(client)
    claims = seen.get("claims") or {}
    previous = next((str(d["id"]) for d in domains if d.get("isDefault")), None)
    dom = next((d for d in domains if str(d.get("id", "")).lower() == domain), None)
    if dom is None:
        raise InputError(f"{domain} is not a domain of this tenant.", code="domain_not_found",
                         remedy="Check the spelling (federator domains lists them).")
    plan = build_make_default_plan(domain, DomainState.from_graph(dict(dom)))
    if not plan.is_noop:
        _check_token_allows_make_default(claims, domain)
    return MakeDefaultCheck(domain, previous, plan)


def make_default_denied(domain: str) -> RefusedError:
    """Graph's 403 to the PATCH, said with what it takes to be allowed."""
    return RefusedError(
        f"Microsoft refused to make {domain} the default domain. Nothing was changed.",
        code="make_default_denied", remedy=f"{_ROLE_AND_PERMISSION} {_by_hand(domain)}")


_ROLE_AND_PERMISSION = (
    "Changing the default domain needs the Domain.ReadWrite.All permission and one of these "
    "roles: " + ", ".join(MAKE_DEFAULT_ROLES.values()) + ".")


def _by_hand(domain: str) -> str:
    return (f"Or use the Microsoft 365 admin center: Settings > Domains > {domain} > "
            "Set as default.")


def _check_token_allows_make_default(claims: dict[str, Any], domain: str) -> None:
    """Refuse before sending when the access token shows the permission or the role missing."""
    scp = claims.get("scp")
    if isinstance(scp, str) and not set(scp.split()) & set(MAKE_DEFAULT_SCOPES):
        raise RefusedError(
            "Federator's sign-in does not include the permission to change the default domain "
            "(Domain.ReadWrite.All), so it did not try. Nothing was changed.",
            code="make_default_needs_permission",
            remedy="Sign in again asking for it: federator signin --legacy-scopes (an admin "
                   "consents once). " + _by_hand(domain))
    wids = claims.get("wids")
    if isinstance(wids, list) and not set(map(str, wids)) & set(MAKE_DEFAULT_ROLES):
        held = [WRITE_ROLES[r] for r in map(str, wids) if r in WRITE_ROLES]
        yours = (f"Your role ({', '.join(held)}) may change federation but not the default "
                 "domain." if held else "Your account holds none of them.")
        raise RefusedError(
            "Your account cannot change the default domain, so Federator did not try. "
            "Nothing was changed.",
            code="make_default_needs_role",
            remedy=f"{_ROLE_AND_PERMISSION} {yours} Ask an administrator who holds one, or "
                   f"sign in as one. {_by_hand(domain)}")

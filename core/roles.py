"""Which Entra roles may make each federation write: as Microsoft's API pages list them, and as
the role definitions grant them.

Why one module: the sandbox enforces these lists, preflight judges from them whether the
signed-in admin can come back (``access.can_revert``), and a refused write names the roles it
needs. All three must say the same thing, so the facts live here, once.

Why two rule sets: Microsoft's sources disagree. Each Graph API page lists its "least privileged
roles" (:data:`DOCUMENTED`); the role definitions list the actions each role holds, and give the
Hybrid Identity Administrator more than the API pages do (:data:`DEFINITIONS`). So an admin the
pages allow to federate may not be allowed, by the same pages, to revert. Graph's 403 stays the
final word; Federator plans by the documented lists and warns when only the definitions allow.

Sources (Microsoft Learn):
* create and update internalDomainFederation:
  https://learn.microsoft.com/graph/api/domain-post-federationconfiguration and
  https://learn.microsoft.com/graph/api/internaldomainfederation-update (Domain Name,
  External Identity Provider, Hybrid Identity and Security Administrator);
* delete it: https://learn.microsoft.com/graph/api/internaldomainfederation-delete (Security
  Administrator, External Identity Provider Administrator);
* PATCH a domain (its authenticationType included): https://learn.microsoft.com/graph/api/domain-update
  (Domain Name, Security and External Identity Provider Administrator);
* role definitions and template ids:
  https://learn.microsoft.com/entra/identity/role-based-access-control/permissions-reference
  (Hybrid Identity Administrator holds ``microsoft.directory/domains/federation/update`` and
  ``domains/federationConfiguration/create``, ``.../basic/update``, ``.../delete``; Domain Name
  Administrator holds ``microsoft.directory/domains/allProperties/allTasks``). Global
  Administrator holds every action, though the "least privileged" lists omit it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum
from typing import Any

# Role template ids (permissions-reference, above): the same in every tenant.
GLOBAL_ADMIN = "62e90394-69f5-4237-9190-012177145e10"
HYBRID_IDENTITY_ADMIN = "8ac3fc64-6eca-42ea-9e69-59f4c7b60eb2"
DOMAIN_NAME_ADMIN = "8329153b-31d0-4727-b945-745eb3bc5f31"
EXTERNAL_IDP_ADMIN = "be2f45a1-457d-42af-a067-6ec1fa63bc45"
SECURITY_ADMIN = "194ae4cb-b126-40b2-bd5b-6091b380977d"
GLOBAL_READER = "f2ef992c-3afb-46b9-b7cf-a126ee74c451"
SECURITY_READER = "5d6b6bb7-de71-4623-b4af-96380a352509"

ROLE_NAMES: dict[str, str] = {
    GLOBAL_ADMIN: "Global Administrator",
    HYBRID_IDENTITY_ADMIN: "Hybrid Identity Administrator",
    DOMAIN_NAME_ADMIN: "Domain Name Administrator",
    EXTERNAL_IDP_ADMIN: "External Identity Provider Administrator",
    SECURITY_ADMIN: "Security Administrator",
    GLOBAL_READER: "Global Reader",
    SECURITY_READER: "Security Reader",
}


class Write(StrEnum):
    """The writes Federator sends, by what Microsoft's role lists distinguish."""

    FEDERATION_CREATE = "create the federation configuration"
    FEDERATION_UPDATE = "update the federation configuration"
    FEDERATION_DELETE = "delete the federation configuration"
    DOMAIN_AUTHENTICATION = "change the domain's authentication type"
    DOMAIN_UPDATE = "change the domain's other properties"


# The two rule sets (``FEDERATOR_SANDBOX_ROLES`` picks which one the sandbox enforces).
RULES_DOCUMENTED = "documented"
RULES_DEFINITIONS = "definitions"
RULE_SETS: tuple[str, ...] = (RULES_DOCUMENTED, RULES_DEFINITIONS)

_FEDERATION_WRITE = frozenset({DOMAIN_NAME_ADMIN, EXTERNAL_IDP_ADMIN, HYBRID_IDENTITY_ADMIN,
                               SECURITY_ADMIN})
_DOMAIN_PATCH = frozenset({DOMAIN_NAME_ADMIN, SECURITY_ADMIN, EXTERNAL_IDP_ADMIN})

# The API pages' "least privileged roles" (Global Administrator added: it holds every action).
DOCUMENTED: Mapping[Write, frozenset[str]] = {
    Write.FEDERATION_CREATE: _FEDERATION_WRITE | {GLOBAL_ADMIN},
    Write.FEDERATION_UPDATE: _FEDERATION_WRITE | {GLOBAL_ADMIN},
    Write.FEDERATION_DELETE: frozenset({SECURITY_ADMIN, EXTERNAL_IDP_ADMIN, GLOBAL_ADMIN}),
    Write.DOMAIN_AUTHENTICATION: _DOMAIN_PATCH | {GLOBAL_ADMIN},
    Write.DOMAIN_UPDATE: _DOMAIN_PATCH | {GLOBAL_ADMIN},
}
# What the role definitions add to the documented lists: Hybrid Identity Administrator's
# domains/federation/update (the authentication type) and federationConfiguration/delete, Domain
# Name Administrator's domains/allProperties/allTasks (which includes the delete).
_DEFINITIONS_ADD: Mapping[Write, frozenset[str]] = {
    Write.FEDERATION_DELETE: frozenset({HYBRID_IDENTITY_ADMIN, DOMAIN_NAME_ADMIN}),
    Write.DOMAIN_AUTHENTICATION: frozenset({HYBRID_IDENTITY_ADMIN}),
}
DEFINITIONS: Mapping[Write, frozenset[str]] = {
    write: roles | _DEFINITIONS_ADD.get(write, frozenset())
    for write, roles in DOCUMENTED.items()}


# The delegated permissions (``scp``) each write accepts, any one being enough (Microsoft Learn,
# the API pages above, "Permissions"; and the Graph changelog of October 2025, which added
# Domain-InternalFederation.ReadWrite.All: https://learn.microsoft.com/graph/whats-new-overview).
# Directory.AccessAsUser.All was the delegated way before it. The authentication type needs the
# new permission (domain-update page: "the calling app must be assigned the
# Domain-InternalFederation.ReadWrite.All permission"); Domain.ReadWrite.All alone was reported
# to fail (microsoft-graph-docs-contrib issue 1251).
_FEDERATION_SCOPES = frozenset({"Domain-InternalFederation.ReadWrite.All", "Domain.ReadWrite.All",
                                "Directory.AccessAsUser.All"})
WRITE_SCOPES: Mapping[Write, frozenset[str]] = {
    Write.FEDERATION_CREATE: _FEDERATION_SCOPES,
    Write.FEDERATION_UPDATE: _FEDERATION_SCOPES,
    Write.FEDERATION_DELETE: _FEDERATION_SCOPES,
    Write.DOMAIN_AUTHENTICATION: frozenset({"Domain-InternalFederation.ReadWrite.All",
                                            "Directory.AccessAsUser.All"}),
    Write.DOMAIN_UPDATE: frozenset({"Domain.ReadWrite.All", "Directory.AccessAsUser.All"}),
}


def scopes_allow(write: Write, scopes: Iterable[str]) -> bool:
    """Whether a token's ``scp`` (any case) carries a permission that allows ``write``."""
    held = {str(s).lower() for s in scopes}
    return any(s.lower() in held for s in WRITE_SCOPES[write])


def rule_set(text: str | None, *, source: str = "FEDERATOR_SANDBOX_ROLES") -> str:
    """``text`` as one of :data:`RULE_SETS` (empty or None: documented); InputError otherwise."""
    from core.errors import InputError

    value = (text or "").strip().lower() or RULES_DOCUMENTED
    if value not in RULE_SETS:
        raise InputError(f"{source}={text!r} is not a rule set for roles",
                         code="bad_role_rules",
                         remedy="Use documented (Microsoft's API pages, the default) or "
                                "definitions (the role definitions, which allow more).")
    return value


def allowed_roles(write: Write, rules: str = RULES_DOCUMENTED) -> frozenset[str]:
    """The role template ids that may make ``write`` under ``rules``."""
    table = DEFINITIONS if rules == RULES_DEFINITIONS else DOCUMENTED
    return table[write]


def may(write: Write, roles: Iterable[str], rules: str = RULES_DOCUMENTED) -> bool:
    """Whether holding ``roles`` (template ids) allows ``write`` under ``rules``."""
    return bool(allowed_roles(write, rules) & {str(r).lower() for r in roles})


def names(roles: Iterable[str]) -> list[str]:
    """Display names of role template ids, Global Administrator last (it is never the least
    privileged choice); unknown ids as they are."""
    ordered = sorted(roles, key=lambda r: (r == GLOBAL_ADMIN, ROLE_NAMES.get(r, r)))
    return [ROLE_NAMES.get(r, r) for r in ordered]


def one_of(roles: Iterable[str]) -> str:
    """'A, B or C' for role template ids."""
    shown = names(roles)
    return shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " or " + shown[-1]


def write_of(method: str, path: str, body: Mapping[str, Any] | None = None) -> Write | None:
    """Which :class:`Write` a Graph request is (``path`` relative to the version root, as in
    ``/domains/contoso.com/federationConfiguration``); ``None`` for anything else."""
    parts = [p for p in path.split("?", 1)[0].split("/") if p]
    method = method.upper()
    if len(parts) < 2 or parts[0].lower() != "domains":
        return None
    if len(parts) == 2 and method == "PATCH":
        if body is not None and set(body) - {"authenticationType", "@odata.type"}:
            return Write.DOMAIN_UPDATE
        return Write.DOMAIN_AUTHENTICATION
    if len(parts) < 3 or parts[2].lower() != "federationconfiguration":
        return None
    if len(parts) == 3 and method == "POST":
        return Write.FEDERATION_CREATE
    if len(parts) == 4 and method == "PATCH":
        return Write.FEDERATION_UPDATE
    if len(parts) == 4 and method == "DELETE":
        return Write.FEDERATION_DELETE
    return None


def denied_remedy(write: Write) -> str:
    """What to do when Microsoft refuses ``write`` to the signed-in admin: the documented roles,
    and what the role definitions add (then the role is contested, not missing)."""
    documented = DOCUMENTED[write]
    extra = DEFINITIONS[write] - documented
    text = (f"To {write}, Microsoft documents these roles: {one_of(documented)}. Sign in as an "
            "admin holding one of them (activate it in Privileged Identity Management if it is "
            "eligible), or ask one to run the same step.")
    if extra:
        text += (f" The role definitions also give {one_of(extra)} this right, but Microsoft's "
                 "API page does not list it and Graph may refuse it, as here.")
    return text

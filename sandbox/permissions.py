"""Which delegated permissions (``scp``) and directory roles (``wids``) each sandbox call needs.

From each API page's "Permissions" table (https://learn.microsoft.com/graph/permissions-reference
and the pages of core.roles). Any listed scope is enough ("least privileged" or "higher"); for
roles, any listed role is enough and Global Administrator always is. ``None`` for
roles means the call has no role requirement (any member user may call it).
"""

from __future__ import annotations

from core.roles import (
    DOMAIN_NAME_ADMIN,
    EXTERNAL_IDP_ADMIN,
    GLOBAL_ADMIN,
    GLOBAL_READER,
    HYBRID_IDENTITY_ADMIN,
    SECURITY_ADMIN,
    SECURITY_READER,
    WRITE_SCOPES,
    Write,
)

DIRECTORY_WIDE = frozenset({"Directory.AccessAsUser.All", "Directory.ReadWrite.All"})
DIRECTORY_READ = DIRECTORY_WIDE | {"Directory.Read.All"}

SCOPES_DOMAIN_READ = DIRECTORY_READ | {"Domain.Read.All", "Domain.ReadWrite.All"}
# GET federationConfiguration: exactly the documented list
# (https://learn.microsoft.com/graph/permissions-reference: least
# Domain-InternalFederation.Read.All; higher Domain-InternalFederation.ReadWrite.All,
# Domain.Read.All, Domain.ReadWrite.All). Directory.Read.All / Directory.ReadWrite.All are NOT
# listed, unlike for GET /domains. Directory.AccessAsUser.All is kept: the pre-October-2025
# delegated way (https://learn.microsoft.com/graph/permissions-reference history) acts as the
# signed-in user (best reading). The beta list page
# names only the two Domain-InternalFederation permissions; v1.0 uses the item's list here.
SCOPES_FEDERATION_READ = frozenset({"Domain-InternalFederation.Read.All",
                                    "Domain-InternalFederation.ReadWrite.All",
                                    "Domain.Read.All", "Domain.ReadWrite.All",
                                    "Directory.AccessAsUser.All"})
# POST / PATCH / DELETE federationConfiguration, PATCH domain authenticationType, PATCH domain
# (other properties): core.roles holds them with their sources (one place for the sandbox and
# for Federator's own checks).
SCOPES_FEDERATION_WRITE = WRITE_SCOPES[Write.FEDERATION_CREATE]
SCOPES_AUTH_TYPE_WRITE = WRITE_SCOPES[Write.DOMAIN_AUTHENTICATION]
SCOPES_DOMAIN_WRITE = WRITE_SCOPES[Write.DOMAIN_UPDATE]
SCOPES_ME = DIRECTORY_READ | {"User.Read", "User.ReadWrite", "User.ReadBasic.All",
                              "User.Read.All", "User.ReadWrite.All"}
SCOPES_MEMBER_OF = DIRECTORY_READ | {"User.Read", "User.Read.All", "GroupMember.Read.All"}
SCOPES_USERS = DIRECTORY_READ | {"User.Read.All", "User.ReadWrite.All"}
SCOPES_ORGANIZATION = DIRECTORY_READ | {"Organization.Read.All", "Organization.ReadWrite.All",
                                        "User.Read"}
SCOPES_ROLE_READ = DIRECTORY_READ | {"RoleManagement.Read.Directory", "RoleManagement.Read.All",
                                     "RoleManagement.ReadWrite.Directory"}

# The roles of the federation and domain WRITES live in core.roles (the documented lists and the
# role definitions); rules.Graph.require_write enforces the rule set the sandbox was given.
# documented
# (https://learn.microsoft.com/entra/identity/role-based-access-control/permissions-reference,
# rbac-domainfederation-apis-read)
ROLES_FEDERATION_READ = frozenset({DOMAIN_NAME_ADMIN, EXTERNAL_IDP_ADMIN, HYBRID_IDENTITY_ADMIN,
                                   SECURITY_ADMIN, GLOBAL_ADMIN, GLOBAL_READER, SECURITY_READER})
# POST /domains (not in the reference; the domain-write roles: best reading).
ROLES_DOMAIN_CREATE = frozenset({DOMAIN_NAME_ADMIN, GLOBAL_ADMIN})
# documented (https://learn.microsoft.com/graph/api/resources/domain: "requires at least Domain Name
# Administrator")
ROLES_PROMOTE = frozenset({DOMAIN_NAME_ADMIN, GLOBAL_ADMIN})

"""Which delegated permissions (``scp``) and directory roles (``wids``) each sandbox call needs.

From reference §2 (graph-federation.md). Any listed scope is enough ("least privileged" or
"higher"); for roles, any listed role is enough and Global Administrator always is. ``None`` for
roles means the call has no role requirement (any member user may call it).
"""

from __future__ import annotations

from core.sandbox.seed import (
    DOMAIN_NAME_ADMIN,
    EXTERNAL_IDP_ADMIN,
    GLOBAL_ADMIN,
    GLOBAL_READER,
    HYBRID_IDENTITY_ADMIN,
    SECURITY_ADMIN,
    SECURITY_READER,
)

DIRECTORY_WIDE = frozenset({"Directory.AccessAsUser.All", "Directory.ReadWrite.All"})
DIRECTORY_READ = DIRECTORY_WIDE | {"Directory.Read.All"}

SCOPES_DOMAIN_READ = DIRECTORY_READ | {"Domain.Read.All", "Domain.ReadWrite.All"}
# GET federationConfiguration: exactly the documented list (ref §2.1: least
# Domain-InternalFederation.Read.All; higher Domain-InternalFederation.ReadWrite.All,
# Domain.Read.All, Domain.ReadWrite.All). Directory.Read.All / Directory.ReadWrite.All are NOT
# listed, unlike for GET /domains. Directory.AccessAsUser.All is kept: the pre-October-2025
# delegated way (ref §2.1 history) acts as the signed-in user (best reading). The beta list page
# names only the two Domain-InternalFederation permissions; v1.0 uses the item's list here.
SCOPES_FEDERATION_READ = frozenset({"Domain-InternalFederation.Read.All",
                                    "Domain-InternalFederation.ReadWrite.All",
                                    "Domain.Read.All", "Domain.ReadWrite.All",
                                    "Directory.AccessAsUser.All"})
# POST / PATCH / DELETE federationConfiguration: least Domain-InternalFederation.ReadWrite.All,
# higher Domain.ReadWrite.All; Directory.AccessAsUser.All was the pre-October-2025 way.
SCOPES_FEDERATION_WRITE = frozenset({"Domain-InternalFederation.ReadWrite.All",
                                     "Domain.ReadWrite.All", "Directory.AccessAsUser.All"})
# PATCH domain authenticationType: only these two (reference §2.1: the new permission, or the
# older delegated Directory.AccessAsUser.All); Domain.ReadWrite.All alone was reported to fail.
SCOPES_AUTH_TYPE_WRITE = frozenset({"Domain-InternalFederation.ReadWrite.All",
                                    "Directory.AccessAsUser.All"})
SCOPES_DOMAIN_WRITE = frozenset({"Domain.ReadWrite.All", "Directory.AccessAsUser.All"})
SCOPES_ME = DIRECTORY_READ | {"User.Read", "User.ReadWrite", "User.ReadBasic.All",
                              "User.Read.All", "User.ReadWrite.All"}
SCOPES_MEMBER_OF = DIRECTORY_READ | {"User.Read", "User.Read.All", "GroupMember.Read.All"}
SCOPES_USERS = DIRECTORY_READ | {"User.Read.All", "User.ReadWrite.All"}
SCOPES_ORGANIZATION = DIRECTORY_READ | {"Organization.Read.All", "Organization.ReadWrite.All",
                                        "User.Read"}
SCOPES_ROLE_READ = DIRECTORY_READ | {"RoleManagement.Read.Directory", "RoleManagement.Read.All",
                                     "RoleManagement.ReadWrite.Directory"}

# POST / PATCH federationConfiguration: documented (ref §2.2, rbac-domainfederation-apis-write).
# Also used for DELETE federationConfiguration and for PATCH domain authenticationType, where
# the reference's sources disagree: the DELETE page names only Security Administrator and
# External Identity Provider Administrator, the PATCH-domain list omits Hybrid Identity
# Administrator, yet the role definitions give Hybrid Identity Administrator
# federationConfiguration/delete and domains/federation/update. We follow the reference's own
# inference (ref §2.2): the four write roles plus Global Administrator.
ROLES_FEDERATION_WRITE = frozenset({DOMAIN_NAME_ADMIN, EXTERNAL_IDP_ADMIN, HYBRID_IDENTITY_ADMIN,
                                    SECURITY_ADMIN, GLOBAL_ADMIN})
# documented (ref §2.2, rbac-domainfederation-apis-read)
ROLES_FEDERATION_READ = ROLES_FEDERATION_WRITE | {GLOBAL_READER, SECURITY_READER}
# PATCH domain other than authenticationType (reference §2.2 "PATCH domain").
ROLES_DOMAIN_WRITE = frozenset({DOMAIN_NAME_ADMIN, SECURITY_ADMIN, EXTERNAL_IDP_ADMIN,
                                GLOBAL_ADMIN})
# POST /domains (not in the reference; the domain-write roles: best reading).
ROLES_DOMAIN_CREATE = frozenset({DOMAIN_NAME_ADMIN, GLOBAL_ADMIN})
# documented (ref §1.4: "requires at least Domain Name Administrator")
ROLES_PROMOTE = frozenset({DOMAIN_NAME_ADMIN, GLOBAL_ADMIN})

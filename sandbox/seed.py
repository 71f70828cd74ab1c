"""The seed tenant "Contoso (sandbox)": the state every sandbox starts from and resets to.

Built deterministically from a seed (ids, ImmutableIDs, names), so tests can rely on it:

* ``contoso.onmicrosoft.com``: initial, verified, managed, not default; home of the cloud-only
  Global Administrator ``breakglass@contoso.onmicrosoft.com``.
* ``contoso.com``: verified, managed, the default domain; ``ops@contoso.com`` (Hybrid Identity
  Administrator and External Identity Provider Administrator, who signs in by default: the
  documented role lists let it federate and revert), ``domainadmin@contoso.com`` (Domain Name
  Administrator), ``reader@contoso.com`` (Global Reader), ``helpdesk@contoso.com`` (no role),
  ``hybrid@contoso.com`` (Hybrid Identity Administrator only: may federate, and revert only by
  the role definitions) and ``extidp@contoso.com`` (External Identity Provider Administrator
  only); see ``core.roles``.
* ``fabrikam.com``: verified, managed, root; 40 users, 37 with an ``onPremisesImmutableId``. One of
  the three without is ``admin@fabrikam.com``, a Global Administrator inside the domain.
* ``sales.fabrikam.com``: verified subdomain of fabrikam.com (inherits its authentication); 3 users.
* ``tailspin.io``: verified, federated to another IdP with a complete configuration (a real
  certificate made with ``core.certgen``); 5 users.
* ``example-unverified.com``: not verified.

No user is synchronised from on-premises (``onPremisesSyncEnabled`` false, like the tenant).
"""

from __future__ import annotations

import base64
import functools
import random
import uuid
from typing import Any

# Role template ids and names: one place for them, core.roles (the sandbox reads core's facts).
from core.roles import (
    DOMAIN_NAME_ADMIN,
    EXTERNAL_IDP_ADMIN,
    GLOBAL_ADMIN,
    GLOBAL_READER,
    HYBRID_IDENTITY_ADMIN,
    ROLE_NAMES,
)

TENANT_NAME = "Contoso (sandbox)"
DEFAULT_USER = "ops@contoso.com"
# The seed's administrators a demo can sign in as, and what each one rehearses (the window's
# demo-user chooser lists them; tests check each exists in the seed).
SEED_ACCOUNTS: tuple[tuple[str, str], ...] = (
    (DEFAULT_USER, "Hybrid Identity and External Identity Provider Administrator: federates "
                   "and reverts"),
    ("breakglass@contoso.onmicrosoft.com", "Global Administrator, cloud-only: the break-glass "
                                           "account"),
    ("admin@fabrikam.com", "Global Administrator inside fabrikam.com: rehearses the lock-out "
                           "check and its remedy"),
    ("domainadmin@contoso.com", "Domain Name Administrator: may change the default domain"),
    ("hybrid@contoso.com", "Hybrid Identity Administrator only"),
    ("extidp@contoso.com", "External Identity Provider Administrator only"),
    ("reader@contoso.com", "Global Reader: reads, cannot change"),
    ("helpdesk@contoso.com", "No admin role"),
)
SEED_TIME = "2024-01-15T09:00:00Z"

TAILSPIN_ISSUER = "http://www.okta.com/exk1tailspin0sandbox"
_REALM_KEYS = ("displayName", "passiveSignInUri", "preferredAuthenticationProtocol",
               "metadataExchangeUri", "activeSignInUri")

_FIRST = ["Ada", "Bruno", "Chen", "Dana", "Emeka", "Farah", "Goran", "Hana", "Ivo", "Jonas",
          "Kemal", "Lena", "Mateo", "Nadia", "Oskar", "Priya", "Quinn", "Rosa", "Sven", "Tariq"]
_LAST = ["Albers", "Banerjee", "Costa", "Dubois", "Eriksen", "Fischer", "Garcia", "Haddad",
         "Ito", "Jensen", "Kowalski", "Larsen", "Moreau", "Nakamura", "Okafor", "Petrov"]


@functools.lru_cache(maxsize=4)
def tailspin_certificate(seed: int) -> str:
    """Base64 DER of tailspin.io's IdP signing certificate (cached: RSA keys take a moment)."""
    from core.certgen import make_certificate

    issued = make_certificate("Tailspin Okta signing (sandbox)", days=730, serial=1000 + seed)
    return base64.b64encode(issued.der).decode("ascii")


def build_seed(seed: int = 0) -> dict[str, Any]:
    """The complete seed state (a JSON-ready dict, see ``sandbox.state``)."""
    rnd = random.Random(seed)  # noqa: S311 - reproducible ids, not secrets

    def new_id() -> str:
        return str(uuid.UUID(int=rnd.getrandbits(128), version=4))

    def immutable_id() -> str:
        # Like an AD objectGUID converted by Entra Connect: base64 of the 16 GUID bytes.
        return base64.b64encode(rnd.getrandbits(128).to_bytes(16, "little")).decode("ascii")

    tenant_id = new_id()
    users: list[dict[str, Any]] = []
    assignments: list[dict[str, Any]] = []

    def add_user(upn: str, display: str, *, immutable: bool, role: str | None = None,
                 job: str | None = None) -> None:
        given, _, surname = display.partition(" ")
        user: dict[str, Any] = {
            "id": new_id(), "displayName": display, "givenName": given or None,
            "surname": surname or None, "userPrincipalName": upn, "mail": upn,
            "jobTitle": job, "mobilePhone": None, "officeLocation": None,
            "preferredLanguage": "en-US", "businessPhones": [], "accountEnabled": True,
            "userType": "Member", "onPremisesSyncEnabled": False,
            "onPremisesImmutableId": immutable_id() if immutable else None,
            "createdDateTime": SEED_TIME,
        }
        users.append(user)
        if role:
            assignments.append({"id": new_id(), "principalId": user["id"],
                                "roleDefinitionId": role, "directoryScopeId": "/"})

    add_user("breakglass@contoso.onmicrosoft.com", "Break Glass", immutable=False,
             role=GLOBAL_ADMIN, job="Emergency access")
    add_user(DEFAULT_USER, "Ops Admin", immutable=False, role=HYBRID_IDENTITY_ADMIN,
             job="Identity operations")
    add_user("domainadmin@contoso.com", "Dominik Admin", immutable=False, role=DOMAIN_NAME_ADMIN)
    add_user("reader@contoso.com", "Rita Reader", immutable=False, role=GLOBAL_READER)
    add_user("helpdesk@contoso.com", "Hugo Helpdesk", immutable=False)
    # fabrikam.com: 40 users, 37 with ImmutableIDs; the 3 without are the admin and 2 newcomers.
    add_user("admin@fabrikam.com", "Fabrikam Admin", immutable=False, role=GLOBAL_ADMIN,
             job="IT administrator")
    add_user("new.hire@fabrikam.com", "New Hire", immutable=False)
    add_user("contractor@fabrikam.com", "Casey Contractor", immutable=False)
    for n in range(37):
        first, last = _FIRST[n % len(_FIRST)], _LAST[(n * 7) % len(_LAST)]
        add_user(f"{first.lower()}.{last.lower()}{n}@fabrikam.com", f"{first} {last}",
                 immutable=True)
    for n in range(3):
        first, last = _FIRST[(n + 5) % len(_FIRST)], _LAST[(n + 3) % len(_LAST)]
        add_user(f"{first.lower()}.{last.lower()}@sales.fabrikam.com", f"{first} {last}",
                 immutable=True)
    for n in range(5):
        first, last = _FIRST[(n + 11) % len(_FIRST)], _LAST[(n + 9) % len(_LAST)]
        add_user(f"{first.lower()}.{last.lower()}@tailspin.io", f"{first} {last}", immutable=True)

    def domain(name: str, *, default: bool = False, initial: bool = False, root: bool = True,
               verified: bool = True, auth: str = "Managed") -> dict[str, Any]:
        services = (["Email", "OfficeCommunicationsOnline"] if verified else [])
        return {
            "id": name, "authenticationType": auth, "availabilityStatus": None,
            "isAdminManaged": True, "isDefault": default, "isInitial": initial,
            "isRoot": root and verified, "isVerified": verified,
            "passwordNotificationWindowInDays": 14, "passwordValidityPeriodInDays": 2147483647,
            "supportedServices": services, "state": None,
        }

    domains = [
        domain("contoso.onmicrosoft.com", initial=True),
        domain("contoso.com", default=True),
        domain("fabrikam.com"),
        domain("sales.fabrikam.com", root=False),
        domain("tailspin.io", auth="Federated"),
        domain("example-unverified.com", verified=False),
    ]
    tailspin_config = {
        "id": new_id(),
        "displayName": "Tailspin Okta",
        "issuerUri": TAILSPIN_ISSUER,
        "metadataExchangeUri": None,
        "signingCertificate": tailspin_certificate(seed),
        "nextSigningCertificate": None,
        "passiveSignInUri": "https://tailspin.okta.com/app/office365/exk1tailspin0sandbox/sso/saml",
        "activeSignInUri": None,
        "signOutUri": "https://tailspin.okta.com/login/signout",
        "preferredAuthenticationProtocol": "saml",
        "promptLoginBehavior": "nativeSupport",
        "isSignedAuthenticationRequestRequired": False,
        "federatedIdpMfaBehavior": "acceptIfMfaDoneByFederatedIdp",
        "passwordResetUri": None,
        "signingCertificateUpdateStatus": {"certificateUpdateResult": "Success",
                                           "lastRunDateTime": SEED_TIME},
    }
    directory_roles = [{"id": new_id(), "roleTemplateId": template, "displayName": name,
                        "description": f"{name} (sandbox)"}
                       for template, name in ROLE_NAMES.items()]
    # Drawn last, so the ids of everything above stay as they were before these were added.
    ops = next(u for u in users if u["userPrincipalName"] == DEFAULT_USER)
    assignments.append({"id": new_id(), "principalId": ops["id"],
                        "roleDefinitionId": EXTERNAL_IDP_ADMIN, "directoryScopeId": "/"})
    add_user("hybrid@contoso.com", "Hilde Hybrid", immutable=False, role=HYBRID_IDENTITY_ADMIN)
    add_user("extidp@contoso.com", "Ezra Extidp", immutable=False, role=EXTERNAL_IDP_ADMIN)
    return {
        "version": 1,
        "seed": seed,
        "organization": {
            "id": tenant_id, "displayName": TENANT_NAME, "tenantType": "AAD",
            "countryLetterCode": "US", "createdDateTime": SEED_TIME,
            "onPremisesSyncEnabled": False, "onPremisesLastSyncDateTime": None,
        },
        "domains": domains,
        "federation": {"tailspin.io": tailspin_config},
        "users": users,
        "roleAssignments": assignments,
        "directoryRoles": directory_roles,
        # Home realm discovery history per domain: [at (epoch s), namespace, brand, auth url,
        # protocol, MEX url, active url] (see sandbox.realm).
        "realm": {d["id"]: [[0.0, d["authenticationType"],
                             *([tailspin_config[k] for k in _REALM_KEYS]
                               if d["id"] == "tailspin.io" else [None] * len(_REALM_KEYS))]]
                  for d in domains if d["isVerified"]},
    }

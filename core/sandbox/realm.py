"""Home realm discovery: is a user's domain managed or federated, as the outside world sees it.

``GET /getuserrealm.srf?login=user@domain[&json=1]`` and
``GET /common/userrealm/{user@domain}?api-version=1.0`` (reference §5; field lists from MSAL's
source and observed responses, no Microsoft reference page: every shape here is best reading).

Changes reach these endpoints only after the sandbox's propagation delay: each domain keeps a
history of its sign-in state (written by the Graph rules), and discovery answers with the newest
entry older than ``propagation_s``. A subdomain answers with its root domain's state (reference
§3.2) until it is promoted.
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import quote

from core.sandbox.state import TenantStore
from core.sandbox.wire import Request, Response

JSON = "application/json; charset=utf-8"


def _root_name(store: TenantStore, domain: dict[str, Any]) -> str:
    """The domain whose sign-in state ``domain`` shows (itself, or the root it inherits from)."""
    if domain["isRoot"] or not domain["isVerified"]:
        return str(domain["id"])
    labels = domain["id"].split(".")
    for cut in range(1, len(labels) - 1):
        parent = store.domain(".".join(labels[cut:]))
        if parent is not None and parent["isVerified"]:
            return _root_name(store, parent) if not parent["isRoot"] else str(parent["id"])
    return str(domain["id"])


def realm_state(store: TenantStore, login: str, propagation_s: float,
                now: float | None = None) -> tuple[str, str | None, str | None, str | None]:
    """``(namespace, domain, brand, auth_url)`` for ``login``: namespace is ``Managed``,
    ``Federated`` or ``Unknown`` (no verified domain of the tenant)."""
    domain_name = login.rpartition("@")[2].lower()
    with store.lock:
        store.refresh()
        domain = store.domain(domain_name)
        if domain is None or not domain["isVerified"]:
            return ("Unknown", None, None, None)
        history = store.data["realm"].get(_root_name(store, domain)) or [[0.0, "Managed", None,
                                                                          None]]
        org_name = str(store.data["organization"]["displayName"])
    cutoff = (now if now is not None else time.time()) - propagation_s
    visible = [entry for entry in history if entry[0] <= cutoff] or history[:1]
    _at, namespace, brand, auth_url = visible[-1]
    return (str(namespace), str(domain["id"]), brand or org_name, auth_url)


def getuserrealm(store: TenantStore, request: Request, propagation_s: float) -> Response:
    login = request.query.get("login", "")
    namespace, domain, brand, auth_url = realm_state(store, login, propagation_s)
    if namespace == "Unknown":
        return Response(200, {"State": 4, "UserState": 1, "Login": login,
                              "NameSpaceType": "Unknown"}, content_type=JSON)
    payload: dict[str, Any] = {
        "State": 3 if namespace == "Federated" else 4,
        "UserState": 2 if namespace == "Federated" else 1,
        "Login": login, "NameSpaceType": namespace, "DomainName": domain,
        "FederationGlobalVersion": -1, "FederationBrandName": brand,
        "CloudInstanceName": "microsoftonline.com",
        "CloudInstanceIssuerUri": "urn:federation:MicrosoftOnline",
    }
    if namespace == "Federated" and auth_url:
        separator = "&" if "?" in auth_url else "?"
        payload["AuthURL"] = (f"{auth_url}{separator}username={quote(login)}&wa=wsignin1.0"
                              "&wtrealm=urn%3afederation%3aMicrosoftOnline&wctx=")
    return Response(200, payload, content_type=JSON)


def userrealm(store: TenantStore, login: str, propagation_s: float) -> Response:
    namespace, domain, brand, auth_url = realm_state(store, login, propagation_s)
    payload: dict[str, Any] = {
        "ver": "1.0", "account_type": namespace, "domain_name": domain or
        login.rpartition("@")[2], "cloud_instance_name": "microsoftonline.com",
        "cloud_audience_urn": "urn:federation:MicrosoftOnline",
    }
    if namespace == "Federated":
        payload.update({"federation_protocol": "SAML20", "federation_metadata_url": None,
                        "federation_active_auth_url": None, "FederationBrandName": brand,
                        "AuthURL": auth_url})
    return Response(200, payload, content_type=JSON)

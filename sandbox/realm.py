"""Home realm discovery: is a user's domain managed or federated, as the outside world sees it.

``GET /getuserrealm.srf?login=user@domain[&json=1]`` and
``GET /common/userrealm/{user@domain}?api-version=1.0`` (and ``/common/userrealm/?user=...&
api-version=2.1``): Microsoft documents none of them. Field lists come from MSAL's realm
discovery (``msal/authority.py`` in AzureAD/microsoft-authentication-library-for-python) and
responses quoted in public tools; values they do not show are our best reading.

Changes reach these endpoints only after the sandbox's propagation delay: each domain keeps a
history of its sign-in state (written by the Graph rules), and discovery answers with the newest
entry older than ``propagation_s``. A subdomain answers with its root domain's state until it is
promoted (https://learn.microsoft.com/entra/identity/users/domains-verify-custom-subdomain).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote
from xml.sax.saxutils import escape

from sandbox.state import TenantStore
from sandbox.wire import Request, Response

JSON = "application/json; charset=utf-8"
XML = "text/xml; charset=utf-8"


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


@dataclass(frozen=True)
class RealmView:
    """What discovery shows for one login: ``namespace`` is ``Managed``, ``Federated`` or
    ``Unknown`` (no verified domain of the tenant claims it); the rest come from the federation
    configuration in force when the view was recorded."""

    namespace: str
    domain: str | None = None
    brand: str | None = None
    auth_url: str | None = None
    protocol: str | None = None  # preferredAuthenticationProtocol: saml / wsFed / None
    mex_url: str | None = None  # metadataExchangeUri
    active_url: str | None = None  # activeSignInUri


def realm_view(store: TenantStore, login: str, propagation_s: float,
               now: float | None = None) -> RealmView:
    """The discovery view of ``login`` as of ``propagation_s`` ago."""
    domain_name = login.rpartition("@")[2].lower()
    with store.lock:
        store.refresh()
        domain = store.domain(domain_name)
        if domain is None or not domain["isVerified"]:
            return RealmView("Unknown")
        history = store.data["realm"].get(_root_name(store, domain)) or [[0.0, "Managed", None,
                                                                          None]]
        org_name = str(store.data["organization"]["displayName"])
    cutoff = (now if now is not None else time.time()) - propagation_s
    visible = [entry for entry in history if entry[0] <= cutoff] or history[:1]
    entry = list(visible[-1])
    if len(entry) < 7:
        # A history entry written before protocol/MEX/active were recorded: the sandbox's
        # federations were all SAML then.
        entry += ["saml" if entry[1] == "Federated" else None, None, None][len(entry) - 4:]
    _at, namespace, brand, auth_url, protocol, mex_url, active_url = entry[:7]
    return RealmView(str(namespace), str(domain["id"]), brand or org_name, auth_url,
                     protocol, mex_url, active_url)


def realm_state(store: TenantStore, login: str, propagation_s: float,
                now: float | None = None) -> tuple[str, str | None, str | None, str | None]:
    """``(namespace, domain, brand, auth_url)`` for ``login`` (see ``realm_view``)."""
    view = realm_view(store, login, propagation_s, now)
    return (view.namespace, view.domain, view.brand, view.auth_url)


def _protocol_name(protocol: str | None) -> str | None:
    """How discovery names the configured protocol (the userrealm api-version=2.1 answer,
    undocumented; as public tools read it: ``WSTrust`` or ``SAML20``); a
    configuration without ``preferredAuthenticationProtocol``
    (https://learn.microsoft.com/graph/api/domain-post-federationconfiguration) names none."""
    return {"saml": "SAML20", "wsFed": "WSTrust"}.get(protocol or "")


def getuserrealm(store: TenantStore, request: Request, propagation_s: float) -> Response:
    """``getuserrealm.srf``: JSON by default, XML ``<RealmInfo Success="true">`` with ``xml=1``
    (getuserrealm.srf, undocumented; as MSAL and public tools read it)."""
    login = request.query.get("login", "")
    view = realm_view(store, login, propagation_s)
    if view.namespace == "Unknown":
        payload: dict[str, Any] = {"State": 4, "UserState": 1, "Login": login,
                                   "NameSpaceType": "Unknown"}
    else:
        federated = view.namespace == "Federated"
        # State/UserState: getuserrealm.srf, undocumented; as MSAL and public tools read it shows
        # 4/1 for a managed domain; 3/2 for a federated one is
        # our best reading.
        payload = {
            "State": 3 if federated else 4, "UserState": 2 if federated else 1,
            "Login": login, "NameSpaceType": view.namespace, "DomainName": view.domain,
            "FederationGlobalVersion": -1, "FederationBrandName": view.brand,
            "CloudInstanceName": "microsoftonline.com",
            "CloudInstanceIssuerUri": "urn:federation:MicrosoftOnline",
        }
        if federated and view.auth_url:
            separator = "&" if "?" in view.auth_url else "?"
            payload["AuthURL"] = (f"{view.auth_url}{separator}username={quote(login)}"
                                  "&wa=wsignin1.0&wtrealm=urn%3afederation%3aMicrosoftOnline"
                                  "&wctx=")
    if request.query.get("xml") == "1":
        return Response(200, body=_realm_xml(payload, view), content_type=XML)
    return Response(200, payload, content_type=JSON)


def _realm_xml(payload: dict[str, Any], view: RealmView) -> bytes:
    """The ``xml=1`` form (getuserrealm.srf, undocumented; as MSAL and public tools read it): the
    JSON fields as elements of ``<RealmInfo>``, plus
    ``IsFederatedNS`` and, federated, ``STSAuthURL`` (the IdP's passive URL)."""
    fields = dict(payload)
    fields["IsFederatedNS"] = "true" if view.namespace == "Federated" else "false"
    if view.namespace == "Federated" and view.auth_url:
        fields["STSAuthURL"] = view.auth_url
    inner = "".join(f"<{name}>{escape(str(value))}</{name}>"
                    for name, value in fields.items() if value is not None)
    return (f'<?xml version="1.0" encoding="utf-8"?><RealmInfo Success="true">{inner}'
            "</RealmInfo>").encode()


def userrealm(store: TenantStore, login: str, propagation_s: float,
              api_version: str = "1.0") -> Response:
    view = realm_view(store, login, propagation_s)
    namespace, domain = view.namespace, view.domain
    if api_version.startswith("2"):
        # The api-version=2.1 shape (the userrealm api-version=2.1 answer, undocumented; as public
        # tools read it).
        shape: dict[str, Any] = {"NameSpaceType": namespace, "Login": login,
                                 "DomainName": domain, "FederationBrandName": view.brand,
                                 "cloudinstancename": "login.microsoftonline.com"}
        if namespace == "Federated":
            shape.update({"federation_protocol": _protocol_name(view.protocol),
                          "AuthURL": view.auth_url})
        return Response(200, shape, content_type=JSON)
    # api-version=1.0 (MSAL Python's user_realm_discovery, msal/authority.py): exactly MSAL's field
    # list; no FederationBrandName or AuthURL
    # (a client reading those here would break against Microsoft).
    payload: dict[str, Any] = {
        "ver": "1.0", "account_type": namespace, "domain_name": domain or
        login.rpartition("@")[2], "cloud_instance_name": "microsoftonline.com",
        "cloud_audience_urn": "urn:federation:MicrosoftOnline",
    }
    if namespace == "Federated":
        payload.update({"federation_protocol": _protocol_name(view.protocol),
                        "federation_metadata_url": view.mex_url,
                        "federation_active_auth_url": view.active_url})
    return Response(200, payload, content_type=JSON)

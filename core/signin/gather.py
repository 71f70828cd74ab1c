"""Reading, read-only, what the judge needs from a tenant: the federated realms and users.

``realms_from_graph`` lists the tenant's domains and reads the federation configuration of each
federated one (Entra finds the realm by issuer among all of them, not by the user's domain).
``graph_user_lookup`` finds a user by ``onPremisesImmutableId``: ``eq`` on it is an advanced
query, needing ``$count=true`` and ``ConsistencyLevel: eventual``
(https://learn.microsoft.com/graph/aad-advanced-queries).
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from core.certificates import CertificateError, CertificateInfo
from core.signin.judge import DirectoryUser, Realm

if TYPE_CHECKING:
    from core.graph.client import GraphClient

USER_FIELDS = "userPrincipalName,onPremisesImmutableId,accountEnabled,displayName"


def realm_of(domain: str, config: dict[str, Any]) -> Realm | None:
    """The realm a federation configuration makes (None when it has no issuer)."""
    issuer = config.get("issuerUri")
    if not issuer:
        return None
    certs: list[CertificateInfo] = []
    for key in ("signingCertificate", "nextSigningCertificate"):
        value = config.get(key)
        if not value:
            continue
        try:
            certs.append(CertificateInfo.from_der(base64.b64decode(str(value))))
        except (CertificateError, ValueError):
            continue
    return Realm(domain, str(issuer), tuple(certs), config.get("preferredAuthenticationProtocol"))


def realms_from_graph(client: GraphClient) -> list[Realm]:
    from core.graph import api

    found: list[Realm] = []
    for domain in api.list_domains(client):
        if domain.get("authenticationType") != "Federated":
            continue
        name = str(domain.get("id"))
        config = api.find_federation_configuration(client, name)
        realm = realm_of(name, dict(config)) if config else None
        if realm is not None:
            found.append(realm)
    return found


def _user(body: dict[str, Any]) -> DirectoryUser:
    return DirectoryUser(str(body.get("userPrincipalName")), body.get("onPremisesImmutableId"),
                         bool(body.get("accountEnabled", True)))


def graph_user_lookup(client: GraphClient) -> Callable[[str], DirectoryUser | None]:
    """Look a user up by ImmutableID. The query goes inside a ``$batch`` body: a URL reaches
    HTTP libraries' debug logs, and an ImmutableID is personal data that must not."""
    from urllib.parse import quote as url_quote
    from urllib.parse import urlencode

    from core.graph import api
    from core.graph.client import BatchRequest

    def lookup(immutable_id: str) -> DirectoryUser | None:
        query = urlencode({"$filter": f"onPremisesImmutableId eq "
                                      f"{api.odata_string(immutable_id)}",
                           "$select": USER_FIELDS, "$count": "true"},
                          quote_via=url_quote, safe="$,'")
        [result] = api.batch(client, [BatchRequest("GET", "/users?" + query,
                                                   headers={"ConsistencyLevel": "eventual"})])
        error = result.error()
        if error is not None:
            raise error
        body = result.body
        for value in (body.get("value") or []) if isinstance(body, dict) else []:
            # Graph compares case-insensitively; Entra's sign-in does not.
            if isinstance(value, dict) and value.get("onPremisesImmutableId") == immutable_id:
                return _user(value)
        return None

    return lookup


def graph_user(client: GraphClient, upn: str) -> DirectoryUser | None:
    from core.graph.errors import NotFoundError

    try:
        body = client.get(f"/users/{quote(upn, safe='@')}", params={"$select": USER_FIELDS})
    except NotFoundError:
        return None
    return _user(body) if isinstance(body, dict) else None

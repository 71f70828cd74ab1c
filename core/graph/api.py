"""Thin typed calls for the Graph endpoints Federator reads (and the writes tests set up with).

Each function is one request (or one paged collection) with the URL, query and headers Graph
documents (https://learn.microsoft.com/graph/api/resources/domain,
https://learn.microsoft.com/graph/api/resources/internaldomainfederation,
https://learn.microsoft.com/graph/json-batching); the client underneath handles retries, paging
and errors. A change's own requests are built by ``core.plan`` (``PlannedRequest`` paths) and sent
by ``core.operations.writes``; ``core.status`` and the batched reads of ``core.preflight.gather``
build theirs too.
Results are Graph's own JSON objects, typed as ``TypedDict`` s with the fields Federator reads.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypedDict, cast
from urllib.parse import quote, urlencode

from core.graph.client import BatchRequest, BatchResult, GraphClient
from core.graph.errors import GraphError, NotFoundError

DIRECTORY_ROLE_TYPE = "#microsoft.graph.directoryRole"


class Domain(TypedDict, total=False):
    """``#microsoft.graph.domain`` (https://learn.microsoft.com/graph/api/resources/domain)."""

    id: str
    authenticationType: str
    availabilityStatus: str | None
    isAdminManaged: bool
    isDefault: bool
    isInitial: bool
    isRoot: bool
    isVerified: bool
    supportedServices: list[str]
    passwordNotificationWindowInDays: int | None
    passwordValidityPeriodInDays: int | None


class FederationConfiguration(TypedDict, total=False):
    """``#microsoft.graph.internalDomainFederation`` (https://learn.microsoft.com/graph/api/resources/internaldomainfederation)."""

    id: str
    displayName: str | None
    issuerUri: str | None
    metadataExchangeUri: str | None
    signingCertificate: str | None
    nextSigningCertificate: str | None
    passiveSignInUri: str | None
    activeSignInUri: str | None
    signOutUri: str | None
    preferredAuthenticationProtocol: str | None
    promptLoginBehavior: str | None
    isSignedAuthenticationRequestRequired: bool | None
    federatedIdpMfaBehavior: str | None
    passwordResetUri: str | None
    signingCertificateUpdateStatus: dict[str, Any] | None


class User(TypedDict, total=False):
    """The parts of ``#microsoft.graph.user`` Federator reads."""

    id: str
    displayName: str | None
    userPrincipalName: str
    mail: str | None
    onPremisesImmutableId: str | None
    onPremisesSyncEnabled: bool | None
    accountEnabled: bool | None


class DirectoryRole(TypedDict, total=False):
    """An activated directory role as seen in ``/me/transitiveMemberOf``."""

    id: str
    displayName: str
    roleTemplateId: str


class Organization(TypedDict, total=False):
    """The tenant (``GET /organization`` has exactly one item)."""

    id: str
    displayName: str
    verifiedDomains: list[dict[str, Any]]
    onPremisesSyncEnabled: bool | None


class RoleAssignment(TypedDict, total=False):
    """``#microsoft.graph.unifiedRoleAssignment``, with ``principal`` when expanded."""

    id: str
    principalId: str
    roleDefinitionId: str
    directoryScopeId: str
    principal: dict[str, Any]


@dataclass
class UsersPage:
    """Users of one domain, and Graph's ``@odata.count`` when it was asked for."""

    users: list[User]
    count: int | None


def _seg(value: str) -> str:
    """One URL path segment (a domain name or id), percent-encoded."""
    return quote(value, safe="")


def odata_string(value: str) -> str:
    """An OData string literal: single quotes doubled."""
    return "'" + value.replace("'", "''") + "'"


# -- domains ------------------------------------------------------------------------------------

def list_domains(client: GraphClient) -> list[Domain]:
    """``GET /domains`` (all pages). Needs ``Domain.Read.All``."""
    return cast(list[Domain], client.get_all("/domains"))


def get_domain(client: GraphClient, domain: str) -> Domain:
    """``GET /domains/{domain}``; NotFoundError when the tenant has no such domain."""
    return cast(Domain, client.get(f"/domains/{_seg(domain)}"))


def update_domain(client: GraphClient, domain: str, changes: Mapping[str, Any]) -> None:
    """``PATCH /domains/{domain}`` with only the changed properties (204). Setting
    ``authenticationType`` to ``Managed`` removes the federation configuration (https://learn.microsoft.com/graph/api/domain-post-federationconfiguration)."""
    client.patch(f"/domains/{_seg(domain)}", dict(changes))


# -- federation configuration -------------------------------------------------------------------

def _fed(domain: str, config_id: str | None = None) -> str:
    path = f"/domains/{_seg(domain)}/federationConfiguration"
    return f"{path}/{_seg(config_id)}" if config_id else path


def list_federation_configurations(client: GraphClient,
                                   domain: str) -> list[FederationConfiguration]:
    """``GET /domains/{domain}/federationConfiguration`` (Graph returns at most one); raises
    NotFoundError when the domain has none (a managed domain, https://learn.microsoft.com/graph/api/domain-list-federationconfiguration)."""
    body = client.get(_fed(domain))
    value = body.get("value", []) if isinstance(body, dict) else []
    return cast(list[FederationConfiguration], [v for v in value if isinstance(v, dict)])


def find_federation_configuration(client: GraphClient,
                                  domain: str) -> FederationConfiguration | None:
    """The domain's configuration, or None when Graph says there is none (404)."""
    try:
        configs = list_federation_configurations(client, domain)
    except NotFoundError:
        return None
    return configs[0] if configs else None


def create_federation_configuration(client: GraphClient, domain: str,
                                    settings: Mapping[str, Any]) -> FederationConfiguration:
    """``POST /domains/{domain}/federationConfiguration`` (201): stores the settings AND turns the
    domain Federated. On UncertainWriteError, re-read the domain: it may be half-federated."""
    body = dict(settings)
    body.setdefault("@odata.type", "#microsoft.graph.internalDomainFederation")
    return cast(FederationConfiguration, client.post(_fed(domain), body))


# -- who is signed in, and the tenant -----------------------------------------------------------

def me(client: GraphClient, select: Sequence[str] | None = None) -> User:
    """``GET /me``."""
    params = {"$select": ",".join(select)} if select else None
    return cast(User, client.get("/me", params=params))


def my_transitive_roles(client: GraphClient) -> list[DirectoryRole]:
    """The signed-in user's activated directory roles, direct or through groups.

    ``GET /me/transitiveMemberOf`` without the OData cast (which would need ``$count`` and
    ``ConsistencyLevel``), keeping the ``directoryRole`` items client-side (https://learn.microsoft.com/graph/api/user-list-transitivememberof).
    """
    items = client.get_all("/me/transitiveMemberOf")
    return cast(list[DirectoryRole],
                [i for i in items if i.get("@odata.type") == DIRECTORY_ROLE_TYPE])


def organization(client: GraphClient) -> Organization:
    """``GET /organization``: the one tenant object (display name, verified domains...)."""
    items = client.get_all("/organization")
    if not items:
        raise NotFoundError(status=200, graph_code=None, method="GET", path="/organization",
                            explanation="Graph returned no organization for this account.")
    return cast(Organization, items[0])


DEFAULT_USER_FIELDS = ("id", "displayName", "userPrincipalName", "onPremisesImmutableId",
                       "accountEnabled")


def users_in_domain(client: GraphClient, domain: str, *,
                    select: Iterable[str] = DEFAULT_USER_FIELDS, count: bool = True,
                    page_size: int = 999) -> UsersPage:
    """Users whose UPN ends with ``@domain`` (all pages), with ``@odata.count`` when ``count``.

    ``endswith`` on ``userPrincipalName`` is an advanced query: Graph needs ``$count=true`` and
    ``ConsistencyLevel: eventual`` for it.
    """
    params = {
        "$filter": f"endswith(userPrincipalName,{odata_string('@' + domain)})",
        "$select": ",".join(select),
        "$top": str(page_size),
        "$count": "true",
    }
    headers = {"ConsistencyLevel": "eventual"}
    users: list[User] = []
    total: int | None = None
    for page in client.iter_pages("/users", params=params, headers=headers):
        if total is None and isinstance(page.get("@odata.count"), int):
            total = page["@odata.count"]
        users.extend(cast(User, u) for u in page.get("value", []) if isinstance(u, dict))
    return UsersPage(users=users, count=total if count else None)


def users_query(domain: str, *, also: str | None = None, select: str = "id",
                top: int = 1) -> BatchRequest:
    """A ``$batch`` item that counts the users whose UPN ends with ``@domain`` (and match
    ``also``, an extra ``$filter`` clause), listing the first ``top`` of them.

    Graph counts directory objects only in advanced queries: ``$count=true`` with the header
    ``ConsistencyLevel: eventual`` (without the header it silently leaves the count out), which
    ``endswith`` on ``userPrincipalName`` needs anyway
    (https://learn.microsoft.com/graph/aad-advanced-queries). The answer's ``@odata.count`` is
    the number; one request whatever the size of the domain.
    """
    flt = f"endswith(userPrincipalName,{odata_string('@' + domain)})" + (
        f" and {also}" if also else "")
    query = urlencode({"$filter": flt, "$count": "true", "$select": select, "$top": str(top)},
                      quote_via=quote, safe="$,()'@")
    return BatchRequest("GET", "/users?" + query, headers={"ConsistencyLevel": "eventual"})


def counted(result: BatchResult) -> int:
    """The ``@odata.count`` of a :func:`users_query` answer; GraphError when there is none."""
    result.raise_for_status()
    body = result.body if isinstance(result.body, dict) else {}
    count = body.get("@odata.count")
    if not isinstance(count, int) or isinstance(count, bool):
        raise GraphError(status=result.status, method="GET", path=result.request.url,
                         explanation="Graph did not return a count of the users.")
    return count


def role_assignments(client: GraphClient, *, principal_id: str | None = None,
                     role_definition_id: str | None = None,
                     expand_principal: bool = True) -> list[RoleAssignment]:
    """``GET /roleManagement/directory/roleAssignments`` filtered by principal and/or role
    template id, optionally with ``$expand=principal``. Needs ``RoleManagement.Read.Directory``."""
    filters = []
    if principal_id:
        filters.append(f"principalId eq {odata_string(principal_id)}")
    if role_definition_id:
        filters.append(f"roleDefinitionId eq {odata_string(role_definition_id)}")
    params: dict[str, str] = {}
    if filters:
        params["$filter"] = " and ".join(filters)
    if expand_principal:
        params["$expand"] = "principal"
    return cast(list[RoleAssignment],
                client.get_all("/roleManagement/directory/roleAssignments", params=params or None))


def batch(client: GraphClient, requests: Sequence[BatchRequest]) -> list[BatchResult]:
    """``POST /$batch`` in chunks of 20; per-item results in request order."""
    return client.batch(requests)


def get_request(path: str) -> BatchRequest:
    """A GET for :func:`batch` (``path`` relative to the version root)."""
    return BatchRequest("GET", path)


def federation_configuration_request(domain: str) -> BatchRequest:
    """The batchable GET of a domain's federation configuration."""
    return get_request(_fed(domain))

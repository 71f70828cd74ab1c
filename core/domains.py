"""The tenant's domains with the issuer each federated one uses, in two Graph round trips.

One way for every face (the CLI's ``domains`` table, the desktop app's Domain step) to list the
domains: ``GET /domains``, then one ``$batch`` with the organization and the federation
configuration of each federated root domain.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from core.graph.client import GraphClient


def read_domains(client: GraphClient, *,
                 fallback_name: str = "") -> tuple[str, list[dict[str, Any]]]:
    """(tenant name, Graph's domain objects) with ``issuerUri`` added to federated domains.

    A configuration the signed-in role may not read (403) gives ``issuerUri`` null and
    ``issuerUriUnreadable`` true instead of failing the whole list. A federated subdomain follows
    its root (https://learn.microsoft.com/entra/identity/users/domains-verify-custom-subdomain): it
    gets ``inheritsFrom`` and the root's ``issuerUri``.
    """
    from core.graph import api
    from core.graph.client import BatchRequest

    domains = [dict(d) for d in api.list_domains(client)]
    parents = inherited_from(domains)
    federated = [d for d in domains if d.get("authenticationType") == "Federated"
                 and str(d.get("id")) not in parents]
    results = client.batch(
        [BatchRequest("GET", "/organization")]
        + [api.federation_configuration_request(str(d.get("id"))) for d in federated])
    org_res, fed_results = results[0], results[1:]
    org_res.raise_for_status()
    orgs = (org_res.body or {}).get("value") or [{}]
    tenant_name = str(orgs[0].get("displayName") or fallback_name)
    issuers: dict[str, str | None] = {}
    unreadable: set[str] = set()
    for domain, res in zip(federated, fed_results, strict=True):
        if res.status == 404:
            issuers[str(domain.get("id"))] = None  # federated with no readable configuration
            continue
        if res.status == 403:  # a role that may list domains but not read federation
            unreadable.add(str(domain.get("id")))
            continue
        res.raise_for_status()
        value = (res.body or {}).get("value") or []
        issuers[str(domain.get("id"))] = value[0].get("issuerUri") if value else None
    for d in domains:
        name = str(d.get("id"))
        if d.get("authenticationType") != "Federated":
            d["issuerUri"] = None
        elif name in parents:
            d["inheritsFrom"] = parents[name]
            d["issuerUri"] = issuers.get(parents[name])
        else:
            d["issuerUri"] = issuers.get(name)
            if name in unreadable:
                d["issuerUriUnreadable"] = True
    return tenant_name, domains


def federation_blocker(domain: dict[str, Any], domains: list[dict[str, Any]]) -> str | None:
    """Why ``domain`` cannot be federated as it is (a sentence), or None when nothing in the
    domain list stops it (preflight checks the rest). Microsoft refuses to federate an
    unverified domain, the initial .onmicrosoft.com domain and the default domain, and a
    subdomain follows its root's sign-in
    (https://learn.microsoft.com/graph/api/domain-post-federationconfiguration,
    https://learn.microsoft.com/entra/identity/users/domains-verify-custom-subdomain)."""
    name = str(domain.get("id", ""))
    if not domain.get("isVerified"):
        return "not verified yet: add its DNS record and verify it in the admin center"
    if domain.get("isInitial"):
        return "the initial .onmicrosoft.com domain is never federated"
    if domain.get("isDefault"):
        return "the default domain: make another domain the default first"
    if not domain.get("isRoot", True):
        labels = name.lower().split(".")
        names = {str(d.get("id", "")).lower(): str(d.get("id", "")) for d in domains}
        root = next((names[".".join(labels[i:])] for i in range(1, len(labels) - 1)
                     if ".".join(labels[i:]) in names), None)
        return (f"a subdomain: it follows {root}'s sign-in (federate {root})" if root
                else "a subdomain: it follows its root domain's sign-in")
    return None


def inherited_from(domains: list[Any]) -> dict[str, str]:
    """Subdomain -> the federated root it follows, for subdomains (isRoot false) of a federated
    domain in the list: their sign-in is the root's, not a configuration of their own."""
    by_name = {str(d.get("id")).lower(): d for d in domains}
    parents: dict[str, str] = {}
    for d in domains:
        name = str(d.get("id"))
        if d.get("isRoot", True):
            continue
        labels = name.lower().split(".")
        for i in range(1, len(labels) - 1):
            ancestor = by_name.get(".".join(labels[i:]))
            if ancestor is not None:
                if ancestor.get("authenticationType") == "Federated":
                    parents[name] = str(ancestor.get("id"))
                break
    return parents

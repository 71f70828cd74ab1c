"""Gather every piece of tenant data the preflight checks read, in as few Graph round trips as
possible: the only part of preflight that talks to Graph.

Why two ``$batch`` round trips: an admin runs preflight often, sometimes over slow links, and
Graph answers batched reads in parallel (reference §6.1). Round 1 asks everything that depends
only on the target domain's name; round 2 asks what round 1 revealed (the configuration of every
other federated domain, for issuer uniqueness; the account details of the Global Administrators,
which ``$expand=principal`` does not include; further pages). A round 2 needing more than 20
requests, or results spanning many pages, takes more round trips; ``round_trips`` counts them all,
including retries, from the HTTP exchanges actually made.

A part Graph refuses (403 for a missing scope, say) does not stop the others: it is left ``None``
and its plain-language reason goes to ``TenantSnapshot.errors`` for the checks to report.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

from core import urlparts
from core.preflight.model import TenantSnapshot

if TYPE_CHECKING:
    import requests

    from core.graph.client import BatchRequest, BatchResult, GraphClient

log = logging.getLogger(__name__)

GLOBAL_ADMIN = "62e90394-69f5-4237-9190-012177145e10"
USER_FIELDS = ("id", "displayName", "userPrincipalName", "onPremisesImmutableId",
               "onPremisesSyncEnabled", "accountEnabled", "userType")
MAX_ROUNDS = 10  # paging bound: 10 rounds of 999 users each is far beyond a pilot domain


def _path(path: str, params: dict[str, str] | None = None) -> str:
    if not params:
        return path
    return path + "?" + urlencode(params, quote_via=quote, safe="$,()'@")


def _seg(value: str) -> str:
    return quote(value, safe="")


def _relative(link: str, graph_url: str) -> str:
    """A ``@odata.nextLink`` made relative to the version root (``$batch`` wants that)."""
    if link.startswith(graph_url):
        return link[len(graph_url):] or "/"
    parts = urlparts.split(link)
    if parts is None:  # not a link Graph sends: Graph's answer to it will say what is wrong
        return link
    path = parts.path
    for root in ("/v1.0", "/beta"):
        if path.startswith(root + "/"):
            path = path[len(root):]
    return path + (f"?{parts.query}" if parts.query else "")


@contextmanager
def count_round_trips(client: GraphClient) -> Iterator[dict[str, Any]]:
    """Count the HTTP exchanges made through ``client`` while the block runs, and read the
    access token's ``scp``/``wids`` claims from the first request (decoded, never verified, never
    logged). Yields a dict with ``count`` and ``claims``."""
    from core.auth import token_claims

    seen: dict[str, Any] = {"count": 0, "claims": None}

    def hook(response: requests.Response, *args: Any, **kwargs: Any) -> None:
        seen["count"] += 1
        if seen["claims"] is None:
            header = str(response.request.headers.get("Authorization") or "")
            if header.lower().startswith("bearer "):
                claims = token_claims(header[7:].strip())
                seen["claims"] = {"scp": claims.get("scp"), "wids": claims.get("wids")}
            del header

    hooks = client.session.hooks.setdefault("response", [])
    hooks.append(hook)
    try:
        yield seen
    finally:
        hooks.remove(hook)


def gather_tenant(client: GraphClient, domain: str, *, page_size: int = 999) -> TenantSnapshot:
    """Everything preflight needs about the tenant and ``domain``. Raises GraphError only when
    Graph cannot be reached or refuses the batch as a whole (e.g. the sign-in expired).
    ``page_size`` is the users page size (Graph's maximum by default; tests page with less)."""
    from core.graph.client import BatchRequest

    snap = TenantSnapshot(target=domain)
    target = domain.strip().lower()
    with count_round_trips(client) as trips:
        literal = target.replace("'", "''")
        user_query = _path("/users", {
            "$filter": f"endswith(userPrincipalName,'{literal}')",
            "$select": ",".join(USER_FIELDS), "$count": "true", "$top": str(page_size)})
        first: list[tuple[str, BatchRequest]] = [
            ("domains", BatchRequest("GET", "/domains")),
            ("organization", BatchRequest("GET", _path(
                "/organization", {"$select": "id,displayName,onPremisesSyncEnabled"}))),
            ("me", BatchRequest("GET", _path("/me", {"$select": "id,userPrincipalName,"
                                                                "displayName"}))),
            ("roles", BatchRequest("GET", _path("/me/transitiveMemberOf", {"$top": "999"}))),
            ("global_admins", BatchRequest("GET", _path(
                "/roleManagement/directory/roleAssignments",
                {"$filter": f"roleDefinitionId eq '{GLOBAL_ADMIN}'", "$expand": "principal"}))),
            (f"federation:{target}", BatchRequest(
                "GET", f"/domains/{_seg(target)}/federationConfiguration")),
            ("users", BatchRequest("GET", user_query, headers={"ConsistencyLevel": "eventual"})),
        ]
        results = client.batch([r for _, r in first])
        pages: dict[str, list[dict[str, Any]]] = {}
        follow: list[tuple[str, BatchRequest]] = []
        for (part, _), result in zip(first, results, strict=True):
            _take(snap, part, result, pages, follow, client.graph_url)

        # Round 2: what round 1 revealed.
        own = {target, *(s.lower() for s in snap.subdomains_of(target))}
        for dom in snap.domains or []:
            name = str(dom.get("id", "")).lower()
            if (str(dom.get("authenticationType", "")).lower() == "federated"
                    and name not in own and dom.get("isVerified")):
                follow.append((f"federation:{name}", BatchRequest(
                    "GET", f"/domains/{_seg(name)}/federationConfiguration")))
        known = {str(u.get("id")): u for u in pages.get("users", [])}
        for assignment in pages.get("global_admins", []):
            pid = str(assignment.get("principalId", ""))
            principal = assignment.get("principal") or {}
            kind = str(principal.get("@odata.type", "#microsoft.graph.user"))
            if pid and pid not in known and kind.endswith(".user"):
                follow.append((f"admin:{pid}", BatchRequest("GET", _path(
                    f"/users/{_seg(pid)}", {"$select": ",".join(USER_FIELDS)}))))

        rounds = 1
        while follow and rounds < MAX_ROUNDS:
            rounds += 1
            batch, follow = follow, []
            results = client.batch([r for _, r in batch])
            for (part, _), result in zip(batch, results, strict=True):
                _take(snap, part, result, pages, follow, client.graph_url)

        snap.users = _users_of(pages["users"], target) if "users" in pages else None
        snap.my_roles = ([r for r in pages["roles"]
                          if r.get("@odata.type") == "#microsoft.graph.directoryRole"]
                         if "roles" in pages else None)
        if "global_admins" in pages and "global_admins" not in snap.errors:
            snap.global_admins = _admins(pages["global_admins"], known, pages)
    snap.round_trips = int(trips["count"])
    claims = trips["claims"] or {}
    scp = claims.get("scp")
    snap.scopes = frozenset(str(scp).split()) if isinstance(scp, str) else None
    wids = claims.get("wids")
    snap.token_roles = frozenset(str(w) for w in wids) if isinstance(wids, list) else None
    log.info("preflight gathered %s in %d round trip(s)", domain, snap.round_trips)
    return snap


def _take(snap: TenantSnapshot, part: str, result: BatchResult,
          pages: dict[str, list[dict[str, Any]]], follow: list[tuple[str, BatchRequest]],
          graph_url: str) -> None:
    """File one batch answer under its part; queue its next page if there is one."""
    from core.graph.client import BatchRequest

    body = result.body if isinstance(result.body, dict) else {}
    if part.startswith("federation:"):
        name = part.split(":", 1)[1]
        if result.status == 404:
            snap.federation[name] = None
        elif result.ok:
            value = [v for v in body.get("value", []) if isinstance(v, dict)]
            snap.federation[name] = value[0] if value else None
        else:
            snap.errors[part] = _reason(result)
        return
    if part.startswith("admin:"):
        if result.ok:
            pages.setdefault("admin_details", []).append(body)
        else:
            snap.errors.setdefault("global_admins", _reason(result))
        return
    if not result.ok:
        snap.errors[part] = _reason(result)
        return
    if part == "organization":
        items = [v for v in body.get("value", []) if isinstance(v, dict)]
        snap.organization = items[0] if items else None
        if not items:
            snap.errors[part] = "Graph returned no organization"
    elif part == "me":
        snap.me = body
    elif part in ("domains", "roles", "global_admins", "users"):
        pages.setdefault(part, []).extend(v for v in body.get("value", [])
                                          if isinstance(v, dict))
        link = body.get("@odata.nextLink")
        if isinstance(link, str) and link:
            headers = dict(result.request.headers)
            follow.append((part, BatchRequest("GET", _relative(link, graph_url),
                                              headers=headers)))
        if part == "domains":
            snap.domains = pages["domains"]


def _users_of(users: list[dict[str, Any]], target: str) -> list[dict[str, Any]]:
    """Users of ``target`` and its subdomains (the query's ``endswith`` also matches, say,
    ``notfabrikam.com``, which is dropped here)."""
    kept = []
    for u in users:
        suffix = str(u.get("userPrincipalName", "")).rsplit("@", 1)[-1].lower()
        if suffix == target or suffix.endswith("." + target):
            kept.append(u)
    return kept


def _admins(assignments: list[dict[str, Any]], known: dict[str, dict[str, Any]],
            pages: dict[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    details = {str(d.get("id")): d for d in pages.get("admin_details", [])}
    admins = []
    seen: set[str] = set()
    for a in assignments:
        pid = str(a.get("principalId", ""))
        if pid in seen:
            continue
        seen.add(pid)
        principal = dict(a.get("principal") or {"id": pid})
        principal.update(known.get(pid) or details.get(pid) or {})
        principal.setdefault("@odata.type", "#microsoft.graph.user")
        admins.append(principal)
    return admins


def _reason(result: BatchResult) -> str:
    err = result.error()
    if err is None:
        return f"HTTP {result.status}"
    explanation = getattr(err, "explanation", None) or err.message
    code = getattr(err, "graph_code", None)
    return f"{explanation} (HTTP {result.status}{', ' + code if code else ''})"

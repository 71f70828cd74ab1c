"""Gather every piece of tenant data the preflight checks read, in as few Graph round trips as
possible: the only part of preflight that talks to Graph.

Why two ``$batch`` round trips: an admin runs preflight often, sometimes over slow links, and
Graph answers batched reads in parallel (https://learn.microsoft.com/graph/json-batching). Round 1
asks everything that depends
only on the target domain's name; round 2 asks what round 1 revealed (the configuration of every
other federated domain, for issuer uniqueness; the users of its subdomains; the account details
of the Global Administrators, which ``$expand=principal`` does not include) and retries, once,
what failed for a passing reason. ``round_trips`` counts every exchange actually made.

Why users are counted, never listed: a domain can hold 100,000 users, and reading them page by
page costs a round trip per 999 users and memory per user. Graph counts them itself with the
advanced query parameters (``ConsistencyLevel: eventual`` and ``$count=true``,
https://learn.microsoft.com/graph/aad-advanced-queries): one request each for the users of a
domain, those without an ImmutableID (with a bounded sample of their names), and those enabled.

A part Graph refuses or fails (403 for a missing scope, a 5xx twice) does not stop the others: it
is left ``None`` and its plain-language reason goes to ``TenantSnapshot.errors`` (and, for users,
``UserFacts.unread``) for the checks to report as unknown.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

from core import urlparts
from core.preflight.model import SAMPLE_SIZE, TenantSnapshot, UserFacts
from core.roles import GLOBAL_ADMIN

if TYPE_CHECKING:
    import requests

    from core.graph.client import BatchRequest, BatchResult, GraphClient

log = logging.getLogger(__name__)

USER_FIELDS = ("id", "displayName", "userPrincipalName", "onPremisesImmutableId",
               "onPremisesSyncEnabled", "accountEnabled", "userType")
MAX_ROUNDS = 6  # bound on rounds (retries, further pages of domains or role assignments)


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


def _users_query(domain: str, extra: str | None, select: str, top: int) -> BatchRequest:
    """An advanced query over the users of ``domain`` (``@domain`` only: subdomains and look-alike
    domains such as notfabrikam.com are counted apart or not at all)."""
    from core.graph.api import users_query

    return users_query(domain, also=extra, select=select, top=top)


# The three counts per domain: what each filters on, and what it lists (the sample).
COUNTS: dict[str, tuple[str | None, str, bool]] = {
    "all": (None, "id", False),
    # Graph's filter table does not mark onPremisesImmutableId as filterable on null (see
    # sandbox.rules); when Graph refuses, users are scanned page by page instead (SCAN_PAGES).
    "missing": ("onPremisesImmutableId eq null", "userPrincipalName,accountEnabled", True),
    "enabled": ("accountEnabled eq true", "id", False),
}
SCAN_PAGES = 3  # pages of 999 users read one by one when Graph will not count ImmutableIDs
TRANSIENT = frozenset({0, 408, 429, 500, 502, 503, 504})


def _count_requests(domain: str, sample: int, *,
                    scan: bool = False) -> list[tuple[str, BatchRequest]]:
    """The three counts for ``domain``; with ``scan`` (Graph refused to filter on a missing
    ImmutableID) the first page of the users instead of that count."""
    asked = [(f"count:{domain}:{kind}",
              _users_query(domain, extra, select, sample if listed else 1))
             for kind, (extra, select, listed) in COUNTS.items() if not (scan and listed)]
    if scan:
        asked.append(_scan_request(domain))
    return asked


def _scan_request(domain: str) -> tuple[str, BatchRequest]:
    return (f"scan:{domain}:1", _users_query(
        domain, None, "userPrincipalName,accountEnabled,onPremisesImmutableId", 999))


def gather_tenant(client: GraphClient, domain: str, *,
                  sample_size: int = SAMPLE_SIZE) -> TenantSnapshot:
    """Everything preflight needs about the tenant and ``domain``. Raises GraphError only when
    Graph cannot be reached or refuses the batch as a whole (e.g. the sign-in expired).
    ``sample_size`` bounds the users without an ImmutableID listed by name, per domain."""
    from core.graph.client import BatchRequest

    snap = TenantSnapshot(target=domain)
    target = domain.strip().lower()
    counts: dict[str, dict[str, Any]] = {}
    with count_round_trips(client) as trips:
        pending: list[tuple[str, BatchRequest]] = [
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
            *_count_requests(target, sample_size),
        ]
        pages: dict[str, list[dict[str, Any]]] = {}
        retried: set[str] = set()
        asked_admins: set[str] = set()
        rounds = 0
        while pending and rounds < MAX_ROUNDS:
            rounds += 1
            batch, pending = pending, []
            results = client.batch([r for _, r in batch])
            for (part, request), result in zip(batch, results, strict=True):
                if not result.ok and result.status != 404 and result.status in TRANSIENT \
                        and part not in retried:
                    # One more try in the next round: a passing failure must not leave the
                    # admin with less than the truth (the next round is needed anyway).
                    retried.add(part)
                    pending.append((part, request))
                    continue
                _take(snap, part, result, pages, pending, counts, client.graph_url,
                      sample_size)
            if rounds == 1:
                scan = any(found.get("refused") for found in counts.values())
                pending.extend(_second_round(snap, target, sample_size, scan=scan))
            for assignment in pages.get("global_admins", []):
                pid = str(assignment.get("principalId", ""))
                principal = assignment.get("principal") or {}
                kind = str(principal.get("@odata.type", "#microsoft.graph.user"))
                if pid and pid not in asked_admins and kind.endswith(".user"):
                    asked_admins.add(pid)
                    pending.append((f"admin:{pid}", BatchRequest("GET", _path(
                        f"/users/{_seg(pid)}", {"$select": ",".join(USER_FIELDS)}))))
        for part, _ in pending:  # asked for, never answered within MAX_ROUNDS
            key = "users" if part.startswith(("count:", "scan:")) else part.split(":")[0]
            snap.errors.setdefault(key, f"Graph had more to read than Federator reads "
                                        f"({MAX_ROUNDS} rounds)")
            if part.startswith(("count:", "scan:")):
                counts.setdefault(part.split(":")[1], {})["unread"] = True
        snap.my_roles = ([r for r in pages["roles"]
                          if r.get("@odata.type") == "#microsoft.graph.directoryRole"]
                         if "roles" in pages else None)
        if "global_admins" in pages and "global_admins" not in snap.errors:
            snap.global_admins = _admins(pages["global_admins"], pages)
        scope = (target, *(s.lower() for s in snap.subdomains_of(target)))
        snap.user_facts = _facts(scope, counts, snap.errors)
    snap.round_trips = int(trips["count"])
    claims = trips["claims"] or {}
    scp = claims.get("scp")
    snap.scopes = frozenset(str(scp).split()) if isinstance(scp, str) else None
    wids = claims.get("wids")
    snap.token_roles = frozenset(str(w) for w in wids) if isinstance(wids, list) else None
    log.info("preflight gathered %s in %d round trip(s)", domain, snap.round_trips)
    return snap


def _second_round(snap: TenantSnapshot, target: str, sample: int, *,
                  scan: bool) -> list[tuple[str, BatchRequest]]:
    """What round 1 revealed: other federated domains' configurations, subdomains' users."""
    from core.graph.client import BatchRequest

    follow: list[tuple[str, BatchRequest]] = []
    subs = [s.lower() for s in snap.subdomains_of(target)]
    own = {target, *subs}
    for dom in snap.domains or []:
        name = str(dom.get("id", "")).lower()
        if (str(dom.get("authenticationType", "")).lower() == "federated"
                and name not in own and dom.get("isVerified")):
            follow.append((f"federation:{name}", BatchRequest(
                "GET", f"/domains/{_seg(name)}/federationConfiguration")))
    for sub in subs:
        follow.extend(_count_requests(sub, sample, scan=scan))
    return follow


def _take(snap: TenantSnapshot, part: str, result: BatchResult,
          pages: dict[str, list[dict[str, Any]]], follow: list[tuple[str, BatchRequest]],
          counts: dict[str, dict[str, Any]], graph_url: str, sample: int) -> None:
    """File one batch answer under its part; queue its next page if there is one."""
    from core.graph.client import BatchRequest

    body = result.body if isinstance(result.body, dict) else {}
    if part.startswith(("count:", "scan:")):
        _take_users(part, result, body, follow, counts, graph_url, sample)
        return
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
            snap.errors.setdefault("global_admins", "the account details of a Global "
                                   "Administrator could not be read: " + _reason(result))
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
    elif part in ("domains", "roles", "global_admins"):
        pages.setdefault(part, []).extend(v for v in body.get("value", [])
                                          if isinstance(v, dict))
        link = body.get("@odata.nextLink")
        if isinstance(link, str) and link:
            headers = dict(result.request.headers)
            follow.append((part, BatchRequest("GET", _relative(link, graph_url),
                                              headers=headers)))
        if part == "domains":
            snap.domains = pages["domains"]


def _take_users(part: str, result: BatchResult, body: dict[str, Any],
                follow: list[tuple[str, BatchRequest]], counts: dict[str, dict[str, Any]],
                graph_url: str, sample: int) -> None:
    """One users count (``count:<domain>:<kind>``) or fallback page (``scan:<domain>:<n>``)."""
    from core.graph.client import BatchRequest

    _, domain, kind = part.split(":", 2)
    found = counts.setdefault(domain, {})
    code = getattr(result.error(), "graph_code", None)
    if part.startswith("count:") and kind == "missing" and result.status == 400 \
            and code == "Request_UnsupportedQuery":
        # Graph will not filter onPremisesImmutableId on null here: read the users instead,
        # a bounded number of pages (the count is then whole only for small domains).
        found["refused"] = True
        follow.append(_scan_request(domain))
        return
    if not result.ok:
        found.setdefault("errors", []).append((kind, _reason(result)))
        return
    count = body.get("@odata.count")
    value = [v for v in body.get("value", []) if isinstance(v, dict)]
    if part.startswith("scan:"):
        scan = found.setdefault("scan", {"seen": 0, "missing": 0, "sample": []})
        scan["seen"] += len(value)
        for user in value:
            if not user.get("onPremisesImmutableId"):
                scan["missing"] += 1
                if len(scan["sample"]) < sample:
                    scan["sample"].append(user)
        link = body.get("@odata.nextLink")
        if isinstance(link, str) and link:
            if int(kind) >= SCAN_PAGES:
                found.setdefault("errors", []).append((
                    "missing", "Graph would not count them and there are more than "
                    f"{SCAN_PAGES * 999} users to read one by one"))
            else:
                follow.append((f"scan:{domain}:{int(kind) + 1}", BatchRequest(
                    "GET", _relative(link, graph_url), headers=dict(result.request.headers))))
        else:
            found["missing"] = scan["missing"]
            found["sample"] = scan["sample"]
        return
    if not isinstance(count, int) or isinstance(count, bool):
        # Graph "silently ignores" $count when it cannot honour it (aad-advanced-queries).
        found.setdefault("errors", []).append((kind, "Graph did not return a count"))
        return
    found[kind] = count
    if kind == "missing":
        found["sample"] = value[:sample]


_KIND_WORDS = {"all": "users", "missing": "users without an ImmutableID",
               "enabled": "enabled users"}


def _and(words: Iterable[str]) -> str:
    items = list(words)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _facts(scope: tuple[str, ...], counts: dict[str, dict[str, Any]],
           errors: dict[str, str]) -> UserFacts:
    """Sum the per-domain counts; anything unread names itself in ``unread`` and ``errors``."""
    facts = UserFacts(domains=scope, in_scope=0, without_immutable_id=0, enabled=0)
    # One line per reason: "users and enabled users of a.com and b.a.com: <why>".
    problems: dict[str, tuple[list[str], list[str]]] = {}
    for domain in scope:
        found = counts.get(domain, {})
        failures = list(found.get("errors", []))
        if found.get("unread"):
            failures.append(("all", "not read in time"))
        for kind, reason in failures:
            kinds, domains = problems.setdefault(reason, ([], []))
            if kind not in kinds:
                kinds.append(kind)
            if domain not in domains:
                domains.append(domain)
        for kind, attr in (("all", "in_scope"), ("missing", "without_immutable_id"),
                           ("enabled", "enabled")):
            value = found.get(kind)
            current = getattr(facts, attr)
            setattr(facts, attr, None if value is None or current is None else current + value)
        facts.missing_sample.extend(found.get("sample", []))
    for reason, (kinds, domains) in problems.items():
        order = [k for k in _KIND_WORDS if k in kinds]
        facts.unread.append(f"{_and(_KIND_WORDS[k] for k in order)} of {_and(domains)}: "
                            + reason.rstrip("."))
    if facts.unread:
        errors["users"] = "; ".join(facts.unread)
    return facts


def _admins(assignments: list[dict[str, Any]],
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
        principal.update(details.get(pid) or {})
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

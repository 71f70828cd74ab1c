"""A health watch run: read the tenant (read-only), the IdPs' metadata and realm discovery, then
judge every federated domain.

Graph is read in as few round trips as it allows: one ``GET /domains`` and the federation
configurations in ``$batch`` requests of at most 20 (Microsoft's limit:
https://learn.microsoft.com/graph/json-batching), sent side by side, since Graph does not expand
``federationConfiguration`` on a domain. Each distinct metadata source is fetched once, however
many domains share it. Nothing here writes.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from core.errors import FederatorError, InputError
from core.graph import api
from core.graph.client import BatchRequest, GraphClient
from core.health.judge import RealmAnswer, judge_domain
from core.health.model import WatchReport
from core.metadata.model import IdpMetadata
from core.paths import Paths

MetadataLoader = Callable[[str], IdpMetadata]
RealmReader = Callable[[str], RealmAnswer]
BATCH_LIMIT = 20
PARALLEL = 4


def read_domains(client: GraphClient) -> list[dict[str, Any]]:
    return [dict(d) for d in api.list_domains(client)]


def read_configurations(client: GraphClient, domains: Sequence[str]
                        ) -> dict[str, dict[str, Any] | None]:
    """Each domain's federation configuration (``None``: Graph has none or would not say),
    through ``$batch`` chunks sent in parallel. A failed item is ``None``; a failed batch (the
    network, the sign-in) raises."""
    names = list(domains)
    chunks = [names[i:i + BATCH_LIMIT] for i in range(0, len(names), BATCH_LIMIT)]

    def run(chunk: list[str]) -> list[tuple[str, dict[str, Any] | None]]:
        results = api.batch(client, [api.federation_configuration_request(d) for d in chunk])
        found: list[tuple[str, dict[str, Any] | None]] = []
        for name, result in zip(chunk, results, strict=False):
            value = result.body.get("value") if result.ok and isinstance(result.body, dict) \
                else None
            first = value[0] if isinstance(value, list) and value else None
            found.append((name, dict(first) if isinstance(first, dict) else None))
        return found

    if len(chunks) <= 1:
        pairs = [p for c in chunks for p in run(c)]
    else:
        with ThreadPoolExecutor(max_workers=min(PARALLEL, len(chunks))) as pool:
            pairs = [p for found in pool.map(run, chunks) for p in found]
    return dict(pairs)


def _configuration(result: Any) -> dict[str, Any] | None:
    value = result.body.get("value") if result.ok and isinstance(result.body, dict) else None
    first = value[0] if isinstance(value, list) and value else None
    return dict(first) if isinstance(first, dict) else None


def read_tenant(client: GraphClient, expected: Sequence[str]
                ) -> tuple[list[dict[str, Any]], dict[str, dict[str, Any] | None], int]:
    """The tenant's domains and the federation configurations of the federated ones, and how
    many Graph requests that took.

    The configurations of the domains ``expected`` to be federated (the last watch's) ride in
    the same ``$batch`` requests as ``GET /domains``, all sent side by side: a scheduled watch
    of 50 federated domains is 3 requests in one round. A domain federated since is read in
    one more batch; one no longer federated costs a 404 item."""
    names = list(dict.fromkeys(expected))
    if not names:
        domains = read_domains(client)
        federated = [str(d.get("id")) for d in domains
                     if str(d.get("authenticationType", "")).lower() == "federated"]
        configs = read_configurations(client, federated) if federated else {}
        return domains, configs, 1 + -(-len(federated) // BATCH_LIMIT)
    first = names[:BATCH_LIMIT - 1]
    rest = names[BATCH_LIMIT - 1:]
    chunks: list[list[BatchRequest]] = [
        [api.get_request("/domains"), *(api.federation_configuration_request(d) for d in first)]]
    chunks += [[api.federation_configuration_request(d) for d in rest[i:i + BATCH_LIMIT]]
               for i in range(0, len(rest), BATCH_LIMIT)]
    with ThreadPoolExecutor(max_workers=min(PARALLEL, len(chunks))) as pool:
        answers = list(pool.map(lambda chunk: api.batch(client, chunk), chunks))
    requests = len(chunks)
    listing = answers[0][0]
    listing.raise_for_status()
    body = listing.body if isinstance(listing.body, dict) else {}
    if body.get("@odata.nextLink"):  # more domains than one page: read them all
        domains = read_domains(client)
        requests += 1
    else:
        domains = [dict(d) for d in body.get("value") or [] if isinstance(d, dict)]
    configs = {name: _configuration(result)
               for name, result in zip(names, [r for a in answers for r in a][1:], strict=False)}
    known = {n.lower() for n in names}
    missing = [str(d.get("id")) for d in domains
               if str(d.get("authenticationType", "")).lower() == "federated"
               and str(d.get("id")).lower() not in known]
    if missing:
        configs.update(read_configurations(client, missing))
        requests += -(-len(missing) // BATCH_LIMIT)
    by_lower = {k.lower(): v for k, v in configs.items()}
    return domains, {str(d.get("id")): by_lower.get(str(d.get("id")).lower())
                     for d in domains}, requests


def run_watch(client: GraphClient, *, now: dt.datetime, sources: dict[str, str],
              load_metadata: MetadataLoader, realm: RealmReader | None = None,
              only: str | None = None, metadata_override: str | None = None,
              everything: bool = False, expected: Sequence[str] = ()) -> WatchReport:
    """Judge every federated domain of the tenant (or ``only`` that one, federated or not).

    ``sources`` maps a domain (lower case) to its remembered metadata source;
    ``metadata_override`` (``--metadata``) is used for every watched domain instead.
    ``expected``: the domains believed federated (the last watch's), whose configurations are
    read together with the domain list (:func:`read_tenant`).
    ``everything`` lists managed domains too (the window's overview shows every domain).
    Graph and sign-in failures raise (the caller reports "could not check"); a metadata
    source that cannot be read is a finding of the domains that use it.
    """
    report = WatchReport(checked_at=now.strftime("%Y-%m-%dT%H:%M:%SZ"))
    domains, configs, report.graph_requests = read_tenant(client, expected)
    if only is not None:
        chosen = [d for d in domains if str(d.get("id", "")).lower() == only.lower()]
        if not chosen:
            raise InputError(f"The tenant has no domain {only!r}.", code="unknown_domain",
                             remedy="Check the spelling; `federator domains` lists the "
                                    "tenant's domains.")
    else:
        chosen = [d for d in domains
                  if everything or str(d.get("authenticationType", "")).lower() == "federated"]
    federated = [str(d.get("id")) for d in chosen
                 if str(d.get("authenticationType", "")).lower() == "federated"]

    source_of = {name: (metadata_override or sources.get(name.lower())) for name in federated}
    distinct = sorted({s for s in source_of.values() if s})
    loaded: dict[str, IdpMetadata | str] = {}

    def load(source: str) -> tuple[str, IdpMetadata | str]:
        try:
            return source, load_metadata(source)
        except FederatorError as exc:
            return source, exc.message
    if distinct:
        with ThreadPoolExecutor(max_workers=min(PARALLEL, len(distinct))) as pool:
            loaded = dict(pool.map(load, distinct))
    report.metadata_fetches = len(distinct)

    realms: dict[str, RealmAnswer] = {}
    if realm is not None and federated:
        with ThreadPoolExecutor(max_workers=min(PARALLEL * 2, len(federated))) as pool:
            realms = dict(zip(federated, pool.map(realm, federated), strict=True))

    for domain in chosen:
        name = str(domain.get("id"))
        source = source_of.get(name)
        got = loaded.get(source) if source else None
        report.domains.append(judge_domain(
            name, str(domain.get("authenticationType") or ""), configs.get(name), now=now,
            metadata=got if isinstance(got, IdpMetadata) else None,
            metadata_error=got if isinstance(got, str) else None,
            source=source, realm=realms.get(name),
            inherits_from_root=domain.get("isRoot") is False and bool(domain.get("isVerified"))))
    return report


def watch_tenant(session: Any, paths: Paths, *, now: dt.datetime, load_metadata: MetadataLoader,
                 only: str | None = None, metadata_override: str | None = None,
                 everything: bool = False) -> WatchReport:
    """The watch of a signed-in ``core.tenant.TenantSession`` with its remembered sources and
    realm discovery; the last report is kept so the window opens on it at once. The clock and
    the metadata reader come from the face (``session.judgement_now``, ``metadata_loader``):
    in sandbox mode they follow the sandbox."""
    from core.health.sources import load_last_report, load_sources, save_last_report
    from core.status import StatusReader

    sources = {d: s.source for d, s in load_sources(paths, session.tenant_id).items()}
    last = load_last_report(paths, session.tenant_id) or {}
    expected = [str(d.get("domain")) for d in last.get("domains", [])
                if str(d.get("authentication", "")).lower() == "federated"]
    expected = [only] if only else list(dict.fromkeys([*expected, *sources]))
    reader = StatusReader.for_session(session)
    try:
        def realm(domain: str) -> RealmAnswer:
            view = reader.realm(domain)
            return RealmAnswer(view.namespace_type, view.error)

        report = run_watch(session.client, now=now, sources=sources,
                           load_metadata=load_metadata, realm=realm, only=only,
                           metadata_override=metadata_override, everything=everything,
                           expected=expected)
    finally:
        reader.close()
    if only is None and metadata_override is None:
        with contextlib.suppress(OSError):  # a cache: the next run writes it again
            save_last_report(paths, session.tenant_id, report.to_json())
    return report

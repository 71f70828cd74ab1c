"""How many Graph round trips and how long `federator watch --all` takes on a tenant with 50
federated domains, and against what.

Run: ``.venv/bin/python bench/watch_bench.py [--domains N] [--latency-ms MS] [--repeat R]``.
Builds a sandbox tenant with N federated domains (half read their IdP metadata from the sample
IdP's HTTPS URL on the sandbox, half from a file: two distinct sources), adds MS of latency to
every request, then prints the best-of-R time of:

* the watch (``core.health.gather.run_watch``): a first run (``GET /domains``, then the
  configurations in ``$batch`` chunks of 20 sent side by side) and a scheduled run that knows
  the last run's federated domains (``GET /domains`` and their configurations in the same
  batches, all side by side); one fetch per distinct metadata source, realm discovery per
  domain,
* the baselines measured in the same run: one ``GET /domains`` (the floor: one round trip), and
  reading each domain the way ``federator status`` does (``GET /domains/{d}`` and its
  configuration, one after the other),

with the Graph requests each sent, and the ratios. Target (issue 16): at most 3 Graph round
trips plus one metadata fetch per distinct source.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def federated_tenant(sandbox: Any, count: int) -> dict[str, str]:
    """Add ``count`` federated domains to ``sandbox`` (the sample IdP's certificate and values);
    their metadata sources (half the HTTPS URL, half the file), by domain."""
    import base64

    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding

    from sandbox.sample_idp import ENTITY_ID, METADATA_PATH, SampleIdp

    idp = SampleIdp.of(sandbox.state_dir).ensure()
    pem = idp.certificates()[0]["cert_pem"].encode()
    der = x509.load_pem_x509_certificate(pem).public_bytes(Encoding.DER)
    store = sandbox.store
    sources: dict[str, str] = {}
    with store.transaction():
        for i in range(count):
            name = f"bench{i:03d}.example"
            store.data["domains"].append({
                "id": name, "authenticationType": "Federated", "availabilityStatus": None,
                "isAdminManaged": True, "isDefault": False, "isInitial": False, "isRoot": True,
                "isVerified": True, "passwordNotificationWindowInDays": 14,
                "passwordValidityPeriodInDays": 2147483647,
                "supportedServices": ["Email"], "state": None})
            store.data["federation"][name] = {
                "id": f"fed-{i}", "displayName": "Sample IdP", "issuerUri": ENTITY_ID,
                "metadataExchangeUri": None,
                "signingCertificate": base64.b64encode(der).decode(),
                "nextSigningCertificate": None, "passiveSignInUri": ENTITY_ID,
                "activeSignInUri": ENTITY_ID, "signOutUri": None,
                "preferredAuthenticationProtocol": "saml", "promptLoginBehavior": None,
                "isSignedAuthenticationRequestRequired": False,
                "federatedIdpMfaBehavior": "acceptIfMfaDoneByFederatedIdp",
                "passwordResetUri": None}
            store.data["realm"][name] = [[0.0, "Federated", "Sample IdP", ENTITY_ID, "SAML20",
                                          None, ENTITY_ID]]
            sources[name] = (f"{sandbox.url}{METADATA_PATH}" if i % 2 == 0
                             else str(idp.metadata_file))
        store.save()
    return sources


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--domains", type=int, default=50)
    parser.add_argument("--latency-ms", type=float, default=30.0)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    from core.graph import api
    from core.graph.client import GraphClient
    from core.health.gather import run_watch
    from core.health.judge import RealmAnswer
    from core.metadata import read_metadata
    from core.operations import read_snapshot
    from core.status import StatusReader
    from sandbox import Sandbox

    with tempfile.TemporaryDirectory() as folder, Sandbox(Path(folder) / "state") as sandbox:
        sources = federated_tenant(sandbox, args.domains)
        client = GraphClient(sandbox.graph_url, lambda **_: sandbox.issue_token(),
                             verify=str(sandbox.ca_bundle), trust_env=False)
        reader = StatusReader(client, sandbox.tenant_id, sandbox.login_url,
                              verify=str(sandbox.ca_bundle), trust_env=False)
        now = dt.datetime.now(dt.UTC)
        sandbox.set_latency(args.latency_ms)

        def graph_requests(since: int) -> int:
            return sum(1 for r in sandbox.request_log[since:] if r.path.startswith("/v1.0"))

        def fetches(since: int) -> int:
            return sum(1 for r in sandbox.request_log[since:] if r.path.endswith("/idp/metadata"))

        def timed(fn: Any) -> tuple[float, int, int, Any]:
            best, result, counts = float("inf"), None, (0, 0)
            for _ in range(args.repeat):
                mark = len(sandbox.request_log)
                start = time.perf_counter()
                result = fn()
                best = min(best, time.perf_counter() - start)
                counts = (graph_requests(mark), fetches(mark))
            return best, counts[0], counts[1], result

        all_federated = [*sources, "tailspin.io"]

        def watch(expected: list[str] | None = None) -> Any:
            return run_watch(client, now=now, sources=sources, expected=expected or (),
                             load_metadata=lambda s: read_metadata(
                                 s, now=now, ca_bundle=sandbox.ca_bundle),
                             realm=lambda d: RealmAnswer(reader.realm(d).namespace_type))

        first_s, first_graph, _, _ = timed(watch)
        watch_s, watch_graph, watch_fetches, report = timed(lambda: watch(expected=all_federated))
        floor_s, floor_graph, _, _ = timed(lambda: api.list_domains(client))
        names = list(sources)
        naive_s, naive_graph, _, _ = timed(
            lambda: [read_snapshot(client, sandbox.tenant_id, d, "bench") for d in names])
        reader.close()
        client.close()

    federated = [d for d in report.domains if d.domain in sources]
    print(f"tenant: {args.domains} federated domains, 2 distinct metadata sources, "
          f"{args.latency_ms:g} ms latency per request, best of {args.repeat}")
    print(f"watch --all, 1st run {first_s * 1000:8.0f} ms  Graph requests {first_graph:3d} "
          "(GET /domains, then 3 batches side by side: 2 rounds)")
    print(f"watch --all          {watch_s * 1000:8.0f} ms  Graph requests {watch_graph:3d} "
          f"(the last run's domains ride with GET /domains: 1 round), metadata fetches over HTTPS "
          f"{watch_fetches} (+1 file read), worst {report.worst}, "
          f"{sum(d.state == 'healthy' for d in federated)}/{len(federated)} healthy")
    print(f"baseline GET /domains{floor_s * 1000:8.0f} ms  Graph requests {floor_graph:3d}")
    print(f"baseline per domain  {naive_s * 1000:8.0f} ms  Graph requests {naive_graph:3d} "
          "(GET domain + configuration, one after the other)")
    print(f"ratio watch / one GET /domains: {watch_s / floor_s:5.1f}x")
    print(f"ratio watch / per-domain reads: {watch_s / naive_s:5.2f}x "
          f"({naive_s / watch_s:.1f}x faster)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Preflight and revert's user count against a large, slow tenant: the sandbox with 100,000 users
in fabrikam.com and 200 ms latency on every request.

Why: admins run preflight often, sometimes far from Microsoft's data centres, on domains of any
size; Graph counts users itself (advanced queries), so neither the wait nor the memory may grow
with the number of users. Prints, against a baseline measured in the same run (one request's
latency on the same connection):

* preflight: Graph round trips (goal <= 3) and wall time / one request's latency (goal <= 4);
* revert's password-impact count: round trips (goal <= 2);
* memory: RSS growth of a preflight plus a revert count at 10,000 and at 100,000 users, each in
  a fresh process (goal: flat, the larger within 25% + 8 MB of the smaller).

Run: ``.venv/bin/python bench/preflight_bench.py [--users 100000] [--latency-ms 200] [--runs 3]``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.graph.client import GraphClient
from core.idp_sample import jumpcloud_sample
from core.operations.state import password_impact
from core.paths import resolve_paths
from core.preflight.gather import count_round_trips
from core.preflight.run import read_metadata_input, run_preflight
from sandbox import Sandbox

TARGET_TRIPS = 3
TARGET_RATIO = 4.0
TARGET_REVERT_TRIPS = 2
MEMORY_SLACK = 1.25
MEMORY_FLOOR_MB = 8.0


def rss_mb() -> float:
    """This process's resident memory now, in MB (Linux /proc; psutil elsewhere if present)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    try:
        import psutil

        return float(psutil.Process().memory_info().rss) / 2**20
    except ImportError:
        return float("nan")


def _client(sandbox: Sandbox) -> GraphClient:
    token = sandbox.issue_token()

    def provide(*, force_refresh: bool = False) -> str:
        return token

    return GraphClient(sandbox.graph_url, provide, verify=str(sandbox.ca_bundle),
                       trust_env=False)


def _metadata(root: Path) -> Path:
    xml, _ = jumpcloud_sample("fabrikam", "https://sso.jumpcloud.com/saml2/fabrikam")
    source = root / "jumpcloud.xml"
    source.write_bytes(xml)
    return source


def measure_memory(users: int) -> dict[str, float]:
    """In this (fresh) process: RSS growth from before the sandbox starts to after a preflight
    and a revert count against ``users`` bulk users."""
    with tempfile.TemporaryDirectory(prefix="federator-bench-") as tmp:
        root = Path(tmp)
        source = _metadata(root)
        paths = resolve_paths(root / "home")
        before = rss_mb()
        with Sandbox(root / "sandbox", users=users) as sandbox, _client(sandbox) as client:
            result = run_preflight("fabrikam.com", read_metadata_input(source), client=client,
                                   paths=paths, sandbox=True)
            impact = password_impact(client, "fabrikam.com")
            after = rss_mb()
        assert result.facts is not None
        return {"users": users, "growth_mb": after - before,
                "users_in_scope": float(result.facts["users_in_scope"] or 0),
                "revert_count": float(impact.users)}


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--latency-ms", type=float, default=200.0)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--domain", default="fabrikam.com")
    parser.add_argument("--memory-only", type=int, metavar="USERS", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_only is not None:
        print(json.dumps(measure_memory(args.memory_only)))
        return 0

    with tempfile.TemporaryDirectory(prefix="federator-bench-") as tmp:
        root = Path(tmp)
        source = _metadata(root)
        paths = resolve_paths(root / "home")
        with Sandbox(root / "sandbox", latency_ms=args.latency_ms,
                     users=args.users) as sandbox, _client(sandbox) as client:
            client.get("/organization")  # open the connection first, as in a running app
            began = time.perf_counter()
            client.get("/organization")
            one = time.perf_counter() - began  # the baseline: one request, same connection
            walls, trips, revert_walls, revert_trips = [], [], [], []
            facts = None
            for _ in range(args.runs):
                began = time.perf_counter()
                result = run_preflight(args.domain, read_metadata_input(source),
                                       client=client, paths=paths, sandbox=True)
                walls.append(time.perf_counter() - began)
                trips.append(result.round_trips)
                facts = result.facts
                with count_round_trips(client) as seen:
                    began = time.perf_counter()
                    impact = password_impact(client, args.domain)
                    revert_walls.append(time.perf_counter() - began)
                revert_trips.append(int(seen["count"]))
    memory = []
    for users in (args.users // 10, args.users):
        out = subprocess.run([sys.executable, __file__, "--memory-only", str(users)],
                             check=True, capture_output=True, text=True,
                             env={**os.environ, "PYTHONHASHSEED": "0"}).stdout
        memory.append(json.loads(out.strip().splitlines()[-1]))

    wall = statistics.median(walls)
    ratio = wall / one
    small, large = memory
    flat = large["growth_mb"] <= small["growth_mb"] * MEMORY_SLACK + MEMORY_FLOOR_MB
    checks = {
        "preflight round trips": max(trips) <= TARGET_TRIPS,
        "preflight wall / latency": ratio <= TARGET_RATIO,
        "revert count round trips": max(revert_trips) <= TARGET_REVERT_TRIPS,
        "memory flat": flat,
    }
    assert facts is not None
    print(f"tenant: {args.users:,} bulk users in fabrikam.com; counted in scope "
          f"{facts['users_in_scope']:,}, without ImmutableID "
          f"{facts['users_without_immutable_id']:,}, Global Administrators in scope "
          f"{len(facts['global_admins_in_scope'] or [])}; revert counts {impact.users:,}")
    print(f"sandbox latency per request : {args.latency_ms:.0f} ms (baseline, measured "
          f"{one * 1000:.0f} ms)")
    print(f"preflight round trips       : {max(trips)} (goal <= {TARGET_TRIPS})")
    print(f"preflight wall time         : {wall * 1000:.0f} ms median of {args.runs} = "
          f"{ratio:.2f}x one request (goal <= {TARGET_RATIO:g}x)")
    print(f"revert count round trips    : {max(revert_trips)} (goal <= {TARGET_REVERT_TRIPS}), "
          f"{statistics.median(revert_walls) * 1000:.0f} ms = "
          f"{statistics.median(revert_walls) / one:.2f}x one request")
    print(f"memory (RSS growth)         : {small['growth_mb']:.1f} MB at {small['users']:,} "
          f"users, {large['growth_mb']:.1f} MB at {large['users']:,} users (goal: flat)")
    for name, ok in checks.items():
        print(f"  {name:<26}: {'OK' if ok else 'OVER TARGET'}")
    return 0 if all(checks.values()) else 1


if __name__ == "__main__":
    sys.exit(main())

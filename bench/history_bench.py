"""How long `history` takes on a long journal (10,000 changes, about 100 MB), and against what.

Run: ``.venv/bin/python bench/history_bench.py [--entries N] [--repeat R]``.
Builds one tenant journal of N realistic changes (federate and revert in turns, each with its
snapshots, plan, request bodies, answers and read-back, certificates included, as the
operations write them), then prints the best-of-R time of:

* ``history`` as the CLI runs it (``federator history``, output to a buffer), index warm;
* ``read_history``, the core call the History page makes, index warm;
* the first read after an upgrade, which builds the index (once);
* the baselines: a plain read of the file's bytes, and the old full parse (``read_all``);
* the journal work every change does before reading the tenant (lock, tail check, open
  entries), which parsed the whole journal before the index;

and the ratios of the warm reads to both baselines. Target: history under 0.5 s.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import io
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.journal import FORMAT_VERSION, Journal, read_all
from core.journal_index import index_path, read_history

TENANT = "e3e70682-c209-4cac-a29f-6fbed82c07cd"


def _certificate(n: int) -> str:
    """A certificate-sized base64 value (an RSA certificate is 700 to 1,300 bytes of DER)."""
    return base64.b64encode(os.urandom(640) + n.to_bytes(4, "big")).decode()


def _lines(n: int) -> list[str]:
    """The records of the n-th change, as the journal writer formats them."""
    op = f"{n:08x}"
    domain = f"d{n % 40}.fabrikam.com"
    at = f"2026-{1 + n % 12:02d}-{1 + n % 28:02d}T{n % 24:02d}:{n % 60:02d}:00Z"
    federated = n % 2 == 0  # this change federates; the next one reverts
    cert, next_cert = _certificate(n), _certificate(n + 1)
    federation = {"@odata.type": "#microsoft.graph.internalDomainFederation",
                  "id": f"{n:08x}-0000-4000-8000-000000000000", "displayName": "Contoso IdP",
                  "issuerUri": f"https://idp.example.com/{n}",
                  "passiveSignInUri": f"https://idp.example.com/{n}/sso",
                  "signOutUri": f"https://idp.example.com/{n}/slo",
                  "preferredAuthenticationProtocol": "saml", "federatedIdpMfaBehavior":
                  "acceptIfMfaDoneByFederatedIdp", "promptLoginBehavior": "nativeSupport",
                  "isSignedAuthenticationRequestRequired": False, "metadataExchangeUri": None,
                  "activeSignInUri": None, "signingCertificate": cert,
                  "nextSigningCertificate": next_cert}
    dom = {"id": domain, "isDefault": False, "isInitial": False, "isRoot": True,
           "isVerified": True, "isAdminManaged": True}

    def snapshot(sid: str, is_federated: bool) -> dict[str, object]:
        return {"id": sid, "tenant": TENANT, "domain_name": domain, "taken_at": at,
                "domain": {**dom, "authenticationType": "Federated" if is_federated else
                           "Managed"},
                "federation": federation if is_federated else None, "readable": True,
                "note": ""}

    path = f"/domains/{domain}/federationConfiguration"
    body = {k: v for k, v in federation.items() if k != "id"} if federated else \
        {"authenticationType": "Managed"}
    method, url = ("POST", path) if federated else ("PATCH", f"/domains/{domain}")
    plan = {"plans": [{"action": "federate" if federated else "revert", "domain": domain,
                       "changes": [{"name": k, "old": None, "new": v} for k, v in body.items()],
                       "requests": [{"method": method, "path": url, "body": body}],
                       "notes": ["Sign-in follows Graph with a delay."]}]}
    before, after = snapshot(f"{op}-before", not federated), snapshot(f"{op}-after", federated)
    base = {"v": FORMAT_VERSION, "at": at, "op": op, "kind": "federate" if federated else
            "revert", "domain": domain}
    way_back = f"federator restore {op}-before --confirm {domain}"
    records = [
        {**base, "type": "begin", "tenant": TENANT, "who": "ops@contoso.com",
         "summary": f"Federate {domain}", "snapshot": before, "plan": plan,
         "target": {"authenticationType": after["domain"]["authenticationType"],  # type: ignore[index]
                    "federation": body if federated else None}, "way_back": way_back},
        {**base, "type": "request", "method": method, "path": url, "body": body},
        {**base, "type": "response", "method": method, "path": url, "status": 201,
         "request_id": f"{n:08x}-aaaa-bbbb-cccc-000000000000", "error": None, "certain": True},
        {**base, "type": "verify", "ok": True, "differences": [], "state": after},
        {**base, "type": "end", "outcome": "succeeded", "summary": f"{domain} is now ...",
         "way_back": way_back, "changed": True, "snapshot": after},
    ]
    return [json.dumps(r, ensure_ascii=False, separators=(",", ":")) for r in records]


def build(folder: Path, entries: int) -> Path:
    path = Journal(folder, TENANT).path
    folder.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as out:
        for n in range(entries):
            out.write("\n".join(_lines(n)) + "\n")
    return path


def best(fn: object, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()  # type: ignore[operator]
        times.append(time.perf_counter() - start)
    return min(times)


def cli_history(home: Path) -> None:
    from cli.main import main

    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        code = main(["--home", str(home), "history"])
    assert code == 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--entries", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="history-bench-") as tmp:
        home = Path(tmp) / "home"
        from core.paths import resolve_paths

        journal_dir = resolve_paths(home).journal_dir
        path = build(journal_dir, args.entries)
        size_mb = path.stat().st_size / 1e6
        print(f"journal: {args.entries} changes, {size_mb:.1f} MB ({path.name})")

        plain = best(path.read_bytes, args.repeat)
        old = best(lambda: read_all(journal_dir), max(1, args.repeat // 2))
        start = time.perf_counter()
        contents = read_history(journal_dir)
        first = time.perf_counter() - start
        assert len(contents.entries) == args.entries
        index_mb = index_path(path).stat().st_size / 1e6
        core = best(lambda: read_history(journal_dir), args.repeat)
        cli = best(lambda: cli_history(home), args.repeat)
        # What every change does with the journal before its first read of the tenant: take
        # the lock, check the tail, find open entries (was a full parse each time).
        def change_start() -> None:
            with Journal(journal_dir, TENANT).writing("bench") as writer:
                writer.in_progress()

        start_of_change = best(change_start, args.repeat)
        # After one more change: the read parses only what it appended.
        with open(path, "a", encoding="utf-8") as out:
            out.write("\n".join(_lines(args.entries)) + "\n")
        start = time.perf_counter()
        read_history(journal_dir)
        after_change = time.perf_counter() - start

        print(f"baseline plain read of the file      {plain:7.3f} s")
        print(f"baseline full parse (old history)    {old:7.3f} s")
        print(f"first read, building the index       {first:7.3f} s  (once; index "
              f"{index_mb:.1f} MB)")
        print(f"read_history (History page), warm   {core:7.3f} s  "
              f"= {core / plain:.2f}x plain read, {core / old:.3f}x old")
        print(f"`federator history` (CLI), warm      {cli:7.3f} s  "
              f"= {cli / plain:.2f}x plain read, {cli / old:.3f}x old")
        print(f"read_history after one more change   {after_change:7.3f} s")
        print(f"journal work at the start of a change {start_of_change:6.3f} s  "
              f"= {start_of_change / old:.3f}x old")
        ok = cli < 0.5 and core < 0.5
        print(f"target: history under 0.5 s: {'met' if ok else 'NOT met'}")
        return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())

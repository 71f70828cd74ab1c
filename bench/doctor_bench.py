"""How long the sign-in doctor takes to decode and judge a 1 MB SAML response.

Run: ``.venv/bin/python bench/doctor_bench.py [--size BYTES] [--repeat R]``.
Builds a signed response padded with group attributes to about 1 MB of XML (pasted as base64), then
prints the best-of-R time of ``decode`` + ``judge`` (signature checked against the configured
certificate, user looked up), the baseline measured in the same run (base64 decode plus a bare
``lxml.etree.fromstring`` of the same bytes), their ratio, and whether the target (< 100 ms)
holds. Exit 1 when it does not.
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lxml import etree

from core.certificates import CertificateInfo
from core.signin.decode import decode
from core.signin.judge import DirectoryUser, Realm, judge
from sandbox.sample_idp import ENTITY_ID, Subject, build_response, encode, load_key

TARGET_S = 0.100


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", type=int, default=1024 * 1024)
    parser.add_argument("--repeat", type=int, default=9)
    args = parser.parse_args()
    key = load_key(Path(tempfile.mkdtemp(prefix="federator-bench-")))
    now = dt.datetime.now(dt.UTC)
    subject = Subject("ada@fabrikam.com", "BlAdehNaVHGe84Tdmm53hQ==")
    xml = build_response(key, subject, now=now, padding=args.size)
    pasted = encode(xml)
    realms = [Realm("fabrikam.com", ENTITY_ID, (CertificateInfo.from_der(key.der),))]
    users = {subject.immutable_id: DirectoryUser(subject.upn, subject.immutable_id)}

    def doctor() -> None:
        verdict = judge(decode(pasted).xml, realms, users.get, now=now)
        assert verdict.ok, verdict.findings

    def baseline() -> None:
        etree.fromstring(base64.b64decode(pasted))

    best = {"doctor": float("inf"), "baseline": float("inf")}
    for _ in range(args.repeat):
        for name, fn in (("doctor", doctor), ("baseline", baseline)):
            start = time.perf_counter()
            fn()
            best[name] = min(best[name], time.perf_counter() - start)
    ratio = best["doctor"] / best["baseline"]
    ok = best["doctor"] < TARGET_S
    print(f"response: {len(pasted) / 1024 / 1024:.2f} MB base64 ({len(xml) / 1024 / 1024:.2f} MB "
          f"XML)")
    print(f"doctor (decode + judge, signature checked): {best['doctor'] * 1000:.1f} ms")
    print(f"baseline (base64 + bare lxml parse):        {best['baseline'] * 1000:.1f} ms")
    print(f"ratio: {ratio:.1f}x; target < {TARGET_S * 1000:.0f} ms: {'met' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

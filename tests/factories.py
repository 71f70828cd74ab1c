"""Test fixtures made on the fly: certificates of every awkward kind and IdP metadata around them.

Built on the product's own builders (``core.certgen``, ``core.idp_sample``) so tests exercise the
same shapes the demo mode serves. RSA keys are cached per size: generating them dominates run time.
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from core.certgen import Issued, PrivateKey, make_certificate, make_key
from core.certificates import der_with_serial, tbs_with_serial
from core.idp_sample import build_idp_metadata

NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)
ENTITY = "https://idp.example.com/saml/metadata"
SSO = "https://idp.example.com/saml/sso"
SLO = "https://idp.example.com/saml/slo"
DAY = dt.timedelta(days=1)


@functools.cache
def key(kind: str = "rsa", size: int = 2048, slot: int = 0) -> PrivateKey:
    """A cached key; ``slot`` gives distinct keys of the same kind."""
    return make_key(kind, size)


def cert(cn: str = "idp.example.com", *, not_before: dt.datetime | None = None,
         not_after: dt.datetime | None = None, days: int = 365, kind: str = "rsa",
         size: int = 2048, hash_name: str = "sha256", serial: int | None = None,
         issuer: Issued | None = None, slot: int = 0) -> Issued:
    """A certificate valid from ``not_before`` (default: a day ago) for ``days``."""
    start = not_before or NOW - DAY
    return make_certificate(cn, key=key(kind, size, slot), issuer=issuer, not_before=start,
                            not_after=not_after or start + dt.timedelta(days=days),
                            hash_name=hash_name, serial=serial)


def expired(cn: str = "old.example.com") -> Issued:
    return cert(cn, not_before=NOW - 400 * DAY, not_after=NOW - 10 * DAY)


def not_yet_valid(cn: str = "future.example.com") -> Issued:
    return cert(cn, not_before=NOW + 10 * DAY, days=365)


def expiring_soon(cn: str = "soon.example.com", days_left: int = 10) -> Issued:
    return cert(cn, not_before=NOW - 300 * DAY, not_after=NOW + days_left * DAY + DAY / 2)


def rollover_pair() -> tuple[Issued, Issued]:
    """(current, next): current became valid first; next is newer and outlives it."""
    current = cert("current.example.com", not_before=NOW - 300 * DAY, days=400)
    following = cert("next.example.com", not_before=NOW - 5 * DAY, days=730, slot=1)
    return current, following


_SHA256_RSA = bytes.fromhex("06092a864886f70d01010b")  # OID sha256WithRSAEncryption
_SHA1_RSA = bytes.fromhex("06092a864886f70d010105")  # OID sha1WithRSAEncryption


def sha1_cert(cn: str = "sha1.example.com") -> bytes:
    """DER of an RSA certificate signed with SHA-1 (cryptography 50's builder refuses SHA-1)."""
    issued = cert(cn)
    der = issued.der.replace(_SHA256_RSA, _SHA1_RSA)
    serial = issued.cert.serial_number
    tbs = tbs_with_serial(der, serial)
    private: Any = issued.key
    signature = private.sign(tbs, padding.PKCS1v15(), hashes.SHA1())
    return der_with_serial(der, serial, signature=signature)


def with_serial(issued: Issued, serial: int) -> bytes:
    """DER of ``issued`` re-signed with a serial cryptography's builder refuses (0, negative)."""
    tbs = tbs_with_serial(issued.der, serial)
    private: Any = issued.key
    if isinstance(private, rsa.RSAPrivateKey):
        signature = private.sign(tbs, padding.PKCS1v15(), hashes.SHA256())
    elif isinstance(private, ec.EllipticCurvePrivateKey):
        signature = private.sign(tbs, ec.ECDSA(hashes.SHA256()))
    else:  # pragma: no cover - factories only make RSA and EC keys
        raise TypeError(type(private))
    return der_with_serial(issued.der, serial, signature=signature)


def metadata(entity_id: str = ENTITY, *, signing: list[bytes] | None = None,
             sso_post: str | None = SSO, sso_redirect: str | None = SSO,
             slo_redirect: str | None = SLO, **kwargs: Any) -> bytes:
    """Metadata of one IdP with sensible defaults (a valid signing certificate, POST + Redirect
    SSO, a Redirect SLO); every ``build_idp_metadata`` argument can be overridden."""
    if signing is None:
        signing = [cert().der]
    return build_idp_metadata(entity_id, sso_post=sso_post, sso_redirect=sso_redirect,
                              slo_redirect=slo_redirect, signing_certs=signing, **kwargs)


def all_findings(md: Any) -> list[Any]:
    """What ``inspect`` shows: the metadata's findings plus those about the Graph values."""
    from core.findings import merge_findings
    from core.settings import settings_from_metadata

    return merge_findings(md.findings, settings_from_metadata(md, now=NOW)[1])


def finding_ids(md: Any) -> set[str]:
    return {f.id for f in all_findings(md)}

"""Making keys and X.509 certificates: the sandbox's CA and server certificate, its sample IdP.

Product code (the sandbox is the demo mode), also used by tests to build fixtures.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey


def make_key(kind: str = "rsa", size: int = 2048) -> PrivateKey:
    """An RSA key of ``size`` bits, or (``kind="ec"``) a P-256 key."""
    if kind == "ec":
        return ec.generate_private_key(ec.SECP256R1())
    return rsa.generate_private_key(public_exponent=65537, key_size=size)


@dataclass
class Issued:
    """A certificate with its private key."""

    cert: x509.Certificate
    key: PrivateKey

    @property
    def der(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.DER)

    @property
    def pem(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.PEM)

    @property
    def key_pem(self) -> bytes:
        return self.key.private_bytes(serialization.Encoding.PEM,
                                      serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption())


def make_certificate(
    common_name: str,
    *,
    key: PrivateKey | None = None,
    issuer: Issued | None = None,
    not_before: dt.datetime | None = None,
    not_after: dt.datetime | None = None,
    days: int = 365,
    serial: int | None = None,
    hash_name: str = "sha256",
    ca: bool = False,
    san_dns: tuple[str, ...] = (),
    san_ip: tuple[str, ...] = (),
) -> Issued:
    """A certificate for ``common_name``, self-signed unless ``issuer`` is given."""
    key = key or make_key()
    now = dt.datetime.now(dt.UTC)
    start = not_before or now - dt.timedelta(minutes=5)
    end = not_after or start + dt.timedelta(days=days)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    signer_key = issuer.key if issuer else key
    issuer_name = issuer.cert.subject if issuer else subject
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(serial if serial is not None else x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    names: list[x509.GeneralName] = [x509.DNSName(n) for n in san_dns]
    names += [x509.IPAddress(ipaddress.ip_address(a)) for a in san_ip]
    if names:
        builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
    if ca:
        builder = builder.add_extension(
            x509.KeyUsage(digital_signature=True, content_commitment=False,
                          key_encipherment=False, data_encipherment=False, key_agreement=False,
                          key_cert_sign=True, crl_sign=True, encipher_only=False,
                          decipher_only=False), critical=True)
    algorithm: hashes.HashAlgorithm = hashes.SHA1() if hash_name == "sha1" else hashes.SHA256()  # noqa: S303
    cert = builder.sign(signer_key, algorithm)  # type: ignore[arg-type]
    return Issued(cert=cert, key=key)

"""One X.509 certificate's facts, as an admin and as Graph need them.

Graph's ``signingCertificate`` is the single-line base64 of the DER bytes; admins need to see who
the certificate names, how long it stays valid, its key and its thumbprints (what AD FS, Entra and
IdP consoles show). Real metadata holds certificates that ``cryptography`` dislikes (serial
number 0, empty extension blocks) and text wrapped in every way imaginable, so reading is
forgiving and reports what it had to forgive as findings instead of failing.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import re
import warnings
from dataclasses import dataclass, field
from typing import Any

from core.errors import InputError
from core.findings import Finding

PEM_BEGIN = "-----BEGIN CERTIFICATE-----"
PEM_END = "-----END CERTIFICATE-----"
_PEM_BLOCK = re.compile(r"-----BEGIN (?:X509 |TRUSTED )?CERTIFICATE-----(.*?)"
                        r"-----END (?:X509 |TRUSTED )?CERTIFICATE-----", re.S)
_BASE64_CHARS = re.compile(r"^[A-Za-z0-9+/]*={0,2}$")
_WHITESPACE = re.compile(r"\s+")


class CertificateError(InputError):
    """Certificate bytes or text that cannot be decoded at all."""

    code = "bad_certificate"


def _utc_iso(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class CertificateInfo:
    """The facts of one certificate. Datetimes are timezone-aware UTC.

    ``use`` is the KeyDescriptor's ``use`` (``"signing"``, ``"encryption"``) or ``None`` when the
    metadata does not say (SAML then means "both"). ``serial`` is reported as the certificate
    carries it, even when zero or negative (RFC 5280 forbids those; real IdPs ship them).
    """

    subject: str
    issuer: str
    serial: int
    not_before: dt.datetime
    not_after: dt.datetime
    days_left: int
    key_type: str
    key_size: int | None
    signature_hash: str | None
    sha1: str
    sha256: str
    self_signed: bool
    der_base64: str
    use: str | None = None
    notes: tuple[str, ...] = field(default=(), compare=False)

    @classmethod
    def from_der(cls, der: bytes, *, use: str | None = None,
                 now: dt.datetime | None = None) -> CertificateInfo:
        """Decode DER bytes; raise :class:`CertificateError` when they are not a certificate."""
        now = now or dt.datetime.now(dt.UTC)
        cert, notes = _load(der)
        try:
            return cls._from_loaded(der, cert, notes, use=use, now=now)
        except (ValueError, TypeError) as exc:  # fields cryptography decodes lazily
            raise CertificateError(
                "A certificate cannot be decoded as X.509.",
                remedy="Export the metadata (or the certificate) from the IdP again.") from exc

    @classmethod
    def _from_loaded(cls, der: bytes, cert: Any, notes: list[str], *, use: str | None,
                     now: dt.datetime) -> CertificateInfo:
        try:
            serial = der_serial(der)
        except ValueError:
            serial = cert.serial_number
        key_type, key_size = _key_facts(cert)
        not_before = cert.not_valid_before_utc
        not_after = cert.not_valid_after_utc
        return cls(
            subject=_name(cert.subject),
            issuer=_name(cert.issuer),
            serial=serial,
            not_before=not_before,
            not_after=not_after,
            days_left=(not_after - now).days,
            key_type=key_type,
            key_size=key_size,
            signature_hash=_signature_hash(cert),
            sha1=hashlib.sha1(der).hexdigest().upper(),  # noqa: S324 - a thumbprint, not security
            sha256=hashlib.sha256(der).hexdigest().upper(),
            self_signed=(cert.subject == cert.issuer if "patched_serial" in notes
                         else _self_signed(cert)),
            der_base64=base64.b64encode(der).decode("ascii"),
            use=use,
            notes=tuple(notes),
        )

    @property
    def der(self) -> bytes:
        return base64.b64decode(self.der_base64)

    @property
    def key_description(self) -> str:
        """``"RSA 2048"``, ``"EC 256"``, ``"Ed25519"``: what a person reads."""
        return f"{self.key_type} {self.key_size}" if self.key_size else self.key_type

    @property
    def common_name(self) -> str:
        """The CN of the subject when there is one, else the whole subject."""
        match = re.search(r"(?:^|,)CN=((?:\\.|[^,])*)", self.subject)
        return match.group(1) if match else self.subject

    def is_valid_at(self, when: dt.datetime) -> bool:
        return self.not_before <= when <= self.not_after

    def to_json(self) -> dict[str, Any]:
        return {
            "use": self.use,
            "subject": self.subject,
            "issuer": self.issuer,
            "serial": self.serial,
            "not_before": _utc_iso(self.not_before),
            "not_after": _utc_iso(self.not_after),
            "days_left": self.days_left,
            "key": self.key_description,
            "key_type": self.key_type,
            "key_size": self.key_size,
            "signature_hash": self.signature_hash,
            "sha1": self.sha1,
            "sha256": self.sha256,
            "self_signed": self.self_signed,
            "der_base64": self.der_base64,
        }


def parse_certificate_text(text: str) -> tuple[bytes, list[Finding]]:
    """DER bytes from certificate text as metadata and admins write it.

    Accepts base64 with any whitespace inside, PEM armour, and base64 of a whole PEM file (unwrapped
    once, with an ``certificate_base64_of_pem`` finding). Raises :class:`CertificateError` for
    anything else.
    """
    findings: list[Finding] = []
    body = _strip_armour(text)
    der = _b64(body)
    if der.lstrip().startswith(b"-----BEGIN"):
        try:
            inner = der.decode("ascii")
        except UnicodeDecodeError as exc:
            raise CertificateError("The certificate text holds a damaged PEM file.",
                                   remedy="Export the certificate from the IdP again.") from exc
        der = _b64(_strip_armour(inner))
        findings.append(Finding(
            "certificate_base64_of_pem", "warning",
            "A certificate is base64 of a whole PEM file (encoded twice); Federator unwrapped it.",
            "Fix the IdP's metadata so the certificate holds only the base64 of the DER bytes; "
            "other relying parties may not unwrap it."))
    if not der or der[0] != 0x30:
        raise CertificateError("The certificate text does not decode to an X.509 certificate.",
                               remedy="Copy the certificate again, or export it from the IdP as "
                                      "base64 (PEM).")
    return der, findings


def read_certificate(data: bytes | str, *, use: str | None = None,
                     now: dt.datetime | None = None) -> tuple[CertificateInfo, list[Finding]]:
    """A certificate an admin supplies as a file: DER, PEM, or base64 text."""
    if isinstance(data, bytes) and data[:1] == b"\x30":
        return CertificateInfo.from_der(data, use=use, now=now), []
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise CertificateError("The certificate file is neither DER nor PEM text.",
                                   remedy="Export the certificate as .cer/.crt (DER or base64)."
                                   ) from exc
    der, findings = parse_certificate_text(data)
    return CertificateInfo.from_der(der, use=use, now=now), findings


def _strip_armour(text: str) -> str:
    match = _PEM_BLOCK.search(text)
    if match:
        text = match.group(1)
    return _WHITESPACE.sub("", text)


def _b64(body: str) -> bytes:
    if not body:
        raise CertificateError("A certificate is empty.",
                               remedy="Export the metadata from the IdP again.")
    if not _BASE64_CHARS.match(body):
        raise CertificateError("A certificate holds characters that are not base64.",
                               remedy="Copy the certificate again, without extra text.")
    try:
        return base64.b64decode(body + "=" * (-len(body) % 4), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise CertificateError("A certificate's base64 text is damaged (wrong length).",
                               remedy="Copy the certificate again, or export the metadata "
                                      "again.") from exc


def _load(der: bytes) -> tuple[Any, list[str]]:
    """Load with cryptography, quietly accepting non-positive serials (see module doc)."""
    from cryptography import x509
    from cryptography.utils import CryptographyDeprecationWarning

    notes: list[str] = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CryptographyDeprecationWarning)
        try:
            cert = x509.load_der_x509_certificate(der)
            cert.serial_number  # noqa: B018 - some releases fail lazily on access
            return cert, notes
        except x509.InvalidVersion as exc:  # not a ValueError: an unknown X.509 version number
            raise CertificateError(
                "A certificate cannot be decoded as X.509 (unknown version).",
                remedy="Export the metadata (or the certificate) from the IdP again.",
            ) from exc
        except ValueError as first:
            # Newer cryptography may refuse a serial <= 0 outright: read the rest of the facts
            # from a copy with serial 1; the real serial is reported from the original bytes.
            try:
                patched = der_with_serial(der, 1)
                cert = x509.load_der_x509_certificate(patched)
            except (ValueError, x509.InvalidVersion):
                raise CertificateError(
                    "A certificate cannot be decoded as X.509.",
                    remedy="Export the metadata (or the certificate) from the IdP again.",
                ) from first
            notes.append("patched_serial")
            return cert, notes


def _name(name: Any) -> str:
    from cryptography.x509.oid import NameOID

    try:
        # "emailAddress=" rather than RFC 4514's dotted "1.2.840.113549.1.9.1=" (Okta, SAML
        # toolkits): what admins see in Windows' certificate dialog and in openssl.
        return str(name.rfc4514_string({NameOID.EMAIL_ADDRESS: "emailAddress"}))
    except (ValueError, TypeError):
        return "(unreadable name)"


def _key_facts(cert: Any) -> tuple[str, int | None]:
    from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa

    try:
        key = cert.public_key()
    except Exception:  # unsupported algorithms raise their own types
        return "unknown", None
    if isinstance(key, rsa.RSAPublicKey):
        return "RSA", key.key_size
    if isinstance(key, ec.EllipticCurvePublicKey):
        return "EC", key.curve.key_size
    if isinstance(key, ed25519.Ed25519PublicKey):
        return "Ed25519", None
    if isinstance(key, ed448.Ed448PublicKey):
        return "Ed448", None
    if isinstance(key, dsa.DSAPublicKey):
        return "DSA", key.key_size
    return "unknown", None


def _signature_hash(cert: Any) -> str | None:
    try:
        algorithm = cert.signature_hash_algorithm
    except Exception:  # UnsupportedAlgorithm for exotic signature OIDs
        return None
    return str(algorithm.name) if algorithm is not None else None


def _self_signed(cert: Any) -> bool:
    if cert.subject != cert.issuer:
        return False
    from cryptography.exceptions import InvalidSignature

    try:
        cert.verify_directly_issued_by(cert)
        return True
    except InvalidSignature:
        return False
    except Exception:  # noqa: S110 - e.g. SHA-1, which this check refuses: verify by hand below
        pass
    return _verify_own_signature(cert)


def _verify_own_signature(cert: Any) -> bool:
    """Self-signature check for hashes ``verify_directly_issued_by`` refuses (SHA-1)."""
    from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

    try:
        key = cert.public_key()
        algorithm = cert.signature_hash_algorithm
        if isinstance(key, rsa.RSAPublicKey):
            key.verify(cert.signature, cert.tbs_certificate_bytes, padding.PKCS1v15(), algorithm)
        elif isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(cert.signature, cert.tbs_certificate_bytes, ec.ECDSA(algorithm))
        else:
            return False
    except Exception:  # InvalidSignature, unsupported algorithms: not provably self-signed
        return False
    return True


# --- Minimal DER reading: enough to find and replace the serial number in TBSCertificate. ---

def _tlv(data: bytes, pos: int) -> tuple[int, int, int]:
    """(tag, start of value, end of value) of the element at ``pos``."""
    if pos + 2 > len(data):
        raise ValueError("truncated DER")
    tag = data[pos]
    length = data[pos + 1]
    pos += 2
    if length & 0x80:
        count = length & 0x7F
        if count == 0 or count > 4 or pos + count > len(data):
            raise ValueError("unsupported DER length")
        length = int.from_bytes(data[pos:pos + count], "big")
        pos += count
    if pos + length > len(data):
        raise ValueError("truncated DER")
    return tag, pos, pos + length


def _serial_span(der: bytes) -> tuple[int, int, int, int]:
    """(cert value start, tbs start, serial TLV start, serial TLV end)."""
    tag, cert_start, _ = _tlv(der, 0)
    if tag != 0x30:
        raise ValueError("not a SEQUENCE")
    tag, tbs_start, _ = _tlv(der, cert_start)
    if tag != 0x30:
        raise ValueError("no TBSCertificate")
    pos = tbs_start
    tag, _, end = _tlv(der, pos)
    if tag == 0xA0:  # explicit version
        pos = end
        tag, _, end = _tlv(der, pos)
    if tag != 0x02:
        raise ValueError("no serial INTEGER")
    return cert_start, tbs_start, pos, end


def der_serial(der: bytes) -> int:
    """The serial number as the DER carries it (may be zero or negative)."""
    _, _, start, end = _serial_span(der)
    _, value_start, _ = _tlv(der, start)
    return int.from_bytes(der[value_start:end], "big", signed=True)


def _encode_length(length: int) -> bytes:
    if length < 0x80:
        return bytes([length])
    raw = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(raw)]) + raw


def _wrap(tag: int, value: bytes) -> bytes:
    return bytes([tag]) + _encode_length(len(value)) + value


def der_integer(value: int) -> bytes:
    """DER INTEGER encoding (two's complement, minimal)."""
    size = max(1, (value + (value < 0)).bit_length() // 8 + 1)
    return _wrap(0x02, value.to_bytes(size, "big", signed=True))


def tbs_with_serial(der: bytes, serial: int) -> bytes:
    """The TBSCertificate of ``der`` (full TLV) with its serial number replaced."""
    _, _, start, end = _serial_span(der)
    _, tbs_value_start, tbs_end = _tlv(der, _tbs_offset(der))
    body = der[tbs_value_start:start] + der_integer(serial) + der[end:tbs_end]
    return _wrap(0x30, body)


def _tbs_offset(der: bytes) -> int:
    _, cert_start, _ = _tlv(der, 0)
    return cert_start


def der_with_serial(der: bytes, serial: int, signature: bytes | None = None) -> bytes:
    """A copy of the certificate with another serial; the signature is kept unless given.

    Used to read certificates cryptography refuses, and by tests to craft serial-0 certificates
    (they re-sign the TBS bytes and pass the new ``signature``).
    """
    cert_start = _tbs_offset(der)
    _, _, tbs_end = _tlv(der, cert_start)
    _, _, alg_end = _tlv(der, tbs_end)
    algorithm = der[tbs_end:alg_end]
    tag, _, sig_end = _tlv(der, alg_end)
    if tag != 0x03:
        raise ValueError("no signature BIT STRING")
    bit_string = der[alg_end:sig_end] if signature is None else _wrap(0x03, b"\x00" + signature)
    return _wrap(0x30, tbs_with_serial(der, serial) + algorithm + bit_string)

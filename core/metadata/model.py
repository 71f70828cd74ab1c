"""What Federator learns from an IdP's SAML metadata, as plain data (no lxml objects inside).

``IdpMetadata`` is what the GUI shows, what ``settings_from_metadata`` turns into Graph values and
what ``federator inspect --json`` prints. It is built once by the reader and never changed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from core.certificates import CertificateInfo
from core.errors import InputError
from core.findings import Finding

BINDING_POST = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
BINDING_REDIRECT = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
BINDING_SOAP = "urn:oasis:names:tc:SAML:2.0:bindings:SOAP"
BINDING_SIMPLESIGN = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST-SimpleSign"
BINDING_ARTIFACT = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Artifact"

MAX_METADATA_BYTES = 10 * 1024 * 1024


class MetadataError(InputError):
    """Metadata that cannot be used at all (CLI exit 2).

    ``code`` is one of: ``not_found``, ``unreadable``, ``too_large``, ``forbidden_dtd``,
    ``malformed_xml``, ``not_metadata``, ``no_identity_provider``, ``multiple_identity_providers``
    (``details["entity_ids"]`` lists them), ``entity_not_found`` (``details["entity_ids"]``),
    ``bad_certificate``, ``bad_signer_certificate``, ``fetch_failed``, ``insecure_url``,
    ``malformed_url`` (a metadata URL that cannot be parsed), ``credentials_in_url`` (a
    metadata URL with a user name or password).
    """

    code = "bad_metadata"


@dataclass(frozen=True)
class Endpoint:
    """One SingleSignOnService or SingleLogoutService."""

    binding: str
    location: str
    response_location: str | None = None

    @property
    def binding_name(self) -> str:
        """The short name an admin knows: ``HTTP-POST``, ``HTTP-Redirect``, ``SOAP``..."""
        return self.binding.rsplit(":", 1)[-1] if self.binding else "(no binding)"

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"binding": self.binding, "location": self.location}
        if self.response_location:
            body["response_location"] = self.response_location
        return body


@dataclass(frozen=True)
class IdpMetadata:
    """One identity provider's metadata, read and checked.

    ``valid_until`` is the earliest ``validUntil`` found on the way from the root to the IdP role
    (that is when the metadata stops being valid); ``cache_duration`` likewise, as the text of the
    xs:duration. ``signed`` says a ds:Signature covers the document or the chosen entity;
    ``signature_valid`` is ``None`` when unsigned, else whether it verified (``signature_detail``
    says against what, and what that proves). ``entities_in_source`` lists every IdP entityID in
    the source (several for an aggregate). ``findings`` are about the metadata itself; the ones
    about the Graph values (no POST binding, no sign-out URL, no valid signing certificate) come
    from ``core.settings.settings_from_metadata``, because options such as a typed sign-out URL
    change them: show ``merge_findings(md.findings, settings_findings)``.
    """

    entity_id: str
    sso: list[Endpoint] = field(default_factory=list)
    slo: list[Endpoint] = field(default_factory=list)
    name_id_formats: list[str] = field(default_factory=list)
    valid_until: dt.datetime | None = None
    cache_duration: str | None = None
    certificates: list[CertificateInfo] = field(default_factory=list)
    signed: bool = False
    signature_valid: bool | None = None
    signature_detail: str | None = None
    findings: list[Finding] = field(default_factory=list)
    entities_in_source: list[str] = field(default_factory=list)
    want_authn_requests_signed: bool | None = None
    source_name: str | None = None
    # A download's first address when redirects led elsewhere (``source_name`` is the final one).
    redirected_from: str | None = None

    @property
    def signing_certificates(self) -> list[CertificateInfo]:
        """Certificates usable for signing: ``use="signing"`` or no ``use`` at all."""
        return [c for c in self.certificates if c.use in (None, "", "signing")]

    def sso_for(self, binding: str) -> Endpoint | None:
        """The first sign-in endpoint with ``binding`` and a location."""
        return next((e for e in self.sso if e.binding == binding and e.location), None)

    def slo_for(self, binding: str) -> Endpoint | None:
        """The first sign-out endpoint with ``binding`` and a location."""
        return next((e for e in self.slo if e.binding == binding and e.location), None)

    def to_json(self) -> dict[str, Any]:
        """Everything but the Graph values (see ``core.settings``) as JSON-ready data."""
        return {
            "entity_id": self.entity_id,
            "sso": [e.to_json() for e in self.sso],
            "slo": [e.to_json() for e in self.slo],
            "name_id_formats": list(self.name_id_formats),
            "valid_until": _iso(self.valid_until),
            "cache_duration": self.cache_duration,
            "signed": self.signed,
            "signature_valid": self.signature_valid,
            "signature_detail": self.signature_detail,
            "certificates": [c.to_json() for c in self.certificates],
            "entities_in_source": list(self.entities_in_source),
            "findings": [f.to_json() for f in self.findings],
        }


def _iso(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

"""Reading an identity provider's SAML 2.0 metadata, hardened against hostile files.

Public API (import from ``core.metadata``): :class:`IdpMetadata`, :class:`Endpoint`,
:class:`MetadataError`, :func:`read_metadata`, :func:`fetch_metadata_url`, the ``BINDING_*`` names.
Importing this package is cheap: lxml, signxml and requests load when a function needs them.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from core.metadata.model import (
    BINDING_ARTIFACT,
    BINDING_POST,
    BINDING_REDIRECT,
    BINDING_SIMPLESIGN,
    BINDING_SOAP,
    MAX_METADATA_BYTES,
    Endpoint,
    IdpMetadata,
    MetadataError,
)

__all__ = [
    "BINDING_ARTIFACT",
    "BINDING_POST",
    "BINDING_REDIRECT",
    "BINDING_SIMPLESIGN",
    "BINDING_SOAP",
    "MAX_METADATA_BYTES",
    "Endpoint",
    "IdpMetadata",
    "MetadataError",
    "fetch_metadata_url",
    "read_metadata",
]


def read_metadata(source: str | Path | bytes, *, entity: str | None = None,
                  signer_certificate: bytes | None = None,
                  now: dt.datetime | None = None,
                  ca_bundle: str | Path | None = None) -> IdpMetadata:
    """Read IdP metadata from a file path, an ``https://`` URL (as ``str``) or the bytes.

    ``entity`` picks one IdP when the source holds several; ``signer_certificate`` (DER, PEM or
    base64) is a certificate the admin trusts to have signed the metadata; ``now`` fixes the clock
    for validity checks; ``ca_bundle`` adds trust for an https URL's private CA (the sandbox's).
    Raises :class:`MetadataError` (an ``InputError``) for unusable input; everything else worth
    knowing is in ``IdpMetadata.findings`` (plus ``settings_from_metadata``'s findings).
    """
    from core.metadata.reader import read

    return read(source, entity=entity, signer_certificate=signer_certificate, now=now,
                ca_bundle=ca_bundle)


def fetch_metadata_url(url: str, *, timeout: float = 20.0,
                       ca_bundle: str | Path | None = None,
                       deadline_s: float | None = None) -> bytes:
    """GET an ``https://`` metadata URL (TLS verified, at most 10 MB); ``http://`` is refused.

    ``ca_bundle`` adds trust for a private CA (the sandbox's, tests' loopback servers);
    ``deadline_s`` bounds the whole download (default ``core.metadata.fetch.DEADLINE_S``).
    """
    from core.metadata.fetch import fetch

    return fetch(url, timeout=timeout, ca_bundle=ca_bundle, deadline_s=deadline_s)

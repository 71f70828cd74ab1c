"""The one place the metadata reader touches the network: an explicit ``https://`` download.

TLS is always verified, redirects must stay on https, and the body is capped at 10 MB while it
streams in, so a hostile or mistaken URL cannot fill memory.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urljoin, urlsplit

from core import urlparts
from core.metadata.model import MAX_METADATA_BYTES, MetadataError
from core.metadata.xmlsafe import too_large

MAX_REDIRECTS = 5


def check_url(url: str) -> None:
    """Refuse anything but ``https://`` with a reason an admin understands."""
    reason = urlparts.problem(url)
    if reason:
        raise MetadataError(f"'{url}' is not a valid URL: {reason}.", code="malformed_url",
                            remedy="Check the address (copy it again from the IdP), or give a "
                                   "file path.")
    scheme = urlsplit(url).scheme.lower()
    if scheme == "http":
        raise MetadataError(
            "Federator only downloads metadata over https://: over http:// anyone on the network "
            "could swap the signing certificate and sign in as any of your users.",
            code="insecure_url",
            remedy="Use the https:// address of the metadata (most IdPs offer one), or download "
                   "the file in a browser and open it.")
    if scheme != "https" or not urlsplit(url).hostname:
        raise MetadataError(f"'{url}' is not an https:// address.", code="insecure_url",
                            remedy="Give a file path or an https:// URL.")


def fetch(url: str, *, timeout: float = 20.0, ca_bundle: str | Path | None = None) -> bytes:
    """Download ``url``; raise ``MetadataError`` (``fetch_failed``, ``too_large``...) on failure."""
    import requests

    check_url(url)
    verify: bool | str = str(ca_bundle) if ca_bundle is not None else True
    session = requests.Session()
    try:
        for _ in range(MAX_REDIRECTS + 1):
            try:
                response = session.get(url, stream=True, timeout=(min(timeout, 10.0), timeout),
                                       verify=verify, allow_redirects=False,
                                       headers={"Accept": "application/samlmetadata+xml, "
                                                          "application/xml, text/xml, */*"})
            except requests.exceptions.SSLError as exc:
                raise _failed(url, "its TLS certificate could not be verified",
                              "Check the address; if the server uses a private CA, download the "
                              "file in a browser and open it instead.") from exc
            except requests.exceptions.Timeout as exc:
                raise _failed(url, f"no answer within {timeout:g} seconds",
                              "Check the address and your network, then retry.") from exc
            except requests.exceptions.RequestException as exc:
                raise _failed(url, "the server could not be reached",
                              "Check the address and your network or proxy, then retry.") from exc
            with response:
                if response.is_redirect:
                    location = response.headers.get("Location", "")
                    try:
                        target = urljoin(url, location)
                    except ValueError:
                        target = location
                    if urlparts.problem(target):
                        raise _failed(url, "it redirects to an address that is not a valid URL",
                                      "Ask the IdP owner for the final metadata URL.")
                    if urlsplit(target).scheme.lower() != "https":
                        raise _failed(url, f"it redirects to a non-https address ({target})",
                                      "Ask the IdP owner for the https:// metadata URL.")
                    url = target
                    continue
                if response.status_code >= 400:
                    raise _failed(url, f"the server answered HTTP {response.status_code}",
                                  "Check the address (the metadata URL is in the IdP's SAML "
                                  "application settings) and that it is reachable without "
                                  "signing in.")
                return _read_capped(response, url)
        raise _failed(url, "too many redirects", "Use the final metadata address directly.")
    finally:
        session.close()


def _read_capped(response: object, url: str) -> bytes:
    import requests

    assert isinstance(response, requests.Response)
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > MAX_METADATA_BYTES:
        raise too_large(int(declared))
    chunks: list[bytes] = []
    total = 0
    try:
        for chunk in response.iter_content(chunk_size=65536):
            total += len(chunk)
            if total > MAX_METADATA_BYTES:
                raise too_large()
            chunks.append(chunk)
    except requests.exceptions.RequestException as exc:
        raise _failed(url, "the download broke off", "Retry.") from exc
    return b"".join(chunks)


def _failed(url: str, reason: str, remedy: str) -> MetadataError:
    return MetadataError(f"Cannot download the metadata from {url}: {reason}.",
                         code="fetch_failed", remedy=remedy, details={"url": url})

"""The one place the metadata reader touches the network: an explicit ``https://`` download.

TLS is always verified, redirects must stay on https, the body is capped at 10 MB while it
streams in, so a hostile or mistaken URL cannot fill memory, and the whole download has a deadline,
so a server that trickles bytes cannot keep it going.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin, urlsplit

from core import urlparts
from core.metadata.model import MAX_METADATA_BYTES, MetadataError
from core.metadata.xmlsafe import too_large

MAX_REDIRECTS = 5
# The whole download (connect, redirects, headers, body) must finish within this many seconds:
# per-read timeouts alone let a server that trickles a byte every few seconds run for hours.
DEADLINE_S = 60.0


def check_url(url: str) -> None:
    """Refuse anything but ``https://`` with a reason an admin understands."""
    reason = urlparts.problem(url)
    if reason:
        raise MetadataError(f"'{url}' is not a valid URL: {reason}.", code="malformed_url",
                            remedy="Check the address (copy it again from the IdP), or give a "
                                   "file path.")
    if "@" in urlsplit(url).netloc:
        # requests would send it as Basic credentials, and the address is shown, logged and
        # written into reports: not a place for a password. The address is not repeated here.
        raise MetadataError(
            "The metadata address carries a user name or password (the part before '@'). "
            "Federator does not send credentials in an address: it is shown, logged and written "
            "into reports.", code="credentials_in_url",
            remedy="Download the metadata in a browser (signed in there if it needs it) and "
                   "open the file, or use an address that needs no sign-in.")
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


@dataclass(frozen=True)
class Download:
    """A downloaded metadata document and the address it finally came from (after redirects)."""

    data: bytes
    final_url: str


def fetch(url: str, *, timeout: float = 20.0, ca_bundle: str | Path | None = None,
          deadline_s: float | None = None) -> bytes:
    """Download ``url``; raise ``MetadataError`` (``fetch_failed``, ``too_large``...) on failure."""
    return download(url, timeout=timeout, ca_bundle=ca_bundle, deadline_s=deadline_s).data


def download(url: str, *, timeout: float = 20.0, ca_bundle: str | Path | None = None,
             deadline_s: float | None = None) -> Download:
    """Download ``url`` within ``deadline_s`` seconds overall (default :data:`DEADLINE_S`).

    ``timeout`` bounds each connect and each read; the deadline bounds the whole download, so a
    server that sends one byte just before each read would time out cannot keep it going. The
    work runs in a helper thread the caller stops waiting for at the deadline; that thread then
    gives up at its next read.
    """
    check_url(url)
    limit = DEADLINE_S if deadline_s is None else deadline_s
    expires = time.monotonic() + limit
    cancelled = threading.Event()
    outcome: list[Download | BaseException] = []

    def work() -> None:
        try:
            outcome.append(_download(url, timeout, ca_bundle, expires, cancelled))
        except BaseException as exc:  # handed to the caller's thread below
            outcome.append(exc)

    worker = threading.Thread(target=work, name="metadata-download", daemon=True)
    worker.start()
    worker.join(max(0.0, limit))
    if worker.is_alive() or not outcome:
        cancelled.set()
        raise _too_slow(url, limit)
    result = outcome[0]
    if isinstance(result, BaseException):
        raise result
    return result


def _too_slow(url: str, limit: float) -> MetadataError:
    return _failed(url, f"it took longer than {limit:g} seconds",
                   "The server is too slow or never finishes sending; retry later, or download "
                   "the file in a browser and open it.")


def _download(url: str, timeout: float, ca_bundle: str | Path | None, expires: float,
              cancelled: threading.Event) -> Download:
    import requests

    verify: bool | str = str(ca_bundle) if ca_bundle is not None else True
    if ca_bundle is None:
        from core.graph.client import make_session

        session = make_session()  # the operating system's trust store (core.trust)
    else:
        session = requests.Session()
    try:
        for _ in range(MAX_REDIRECTS + 1):
            left = max(0.01, expires - time.monotonic())
            per_read = min(timeout, left)
            try:
                response = session.get(url, stream=True, timeout=(min(per_read, 10.0), per_read),
                                       verify=verify, allow_redirects=False,
                                       headers={"Accept": "application/samlmetadata+xml, "
                                                          "application/xml, text/xml, */*"})
            except requests.exceptions.SSLError as exc:
                raise _failed(url, "its TLS certificate could not be verified",
                              "Check the address; if the server uses a private CA, download the "
                              "file in a browser and open it instead.") from exc
            except requests.exceptions.Timeout as exc:
                raise _failed(url, f"no answer within {per_read:g} seconds",
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
                return Download(_read_capped(response, url, cancelled), url)
        raise _failed(url, "too many redirects", "Use the final metadata address directly.")
    finally:
        session.close()


def _read_capped(response: object, url: str, cancelled: threading.Event) -> bytes:
    import requests
    import urllib3

    assert isinstance(response, requests.Response)
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > MAX_METADATA_BYTES:
        raise too_large(int(declared))
    chunks: list[bytes] = []
    total = 0
    try:
        while not cancelled.is_set():
            # read1: whatever the next read brings (decoded), not a wait for a full 64 KB.
            chunk = response.raw.read1(65536, decode_content=True)
            if not chunk:
                return b"".join(chunks)
            total += len(chunk)
            if total > MAX_METADATA_BYTES:
                raise too_large()
            chunks.append(chunk)
    except (requests.exceptions.RequestException, urllib3.exceptions.HTTPError, OSError) as exc:
        raise _failed(url, "the download broke off", "Retry.") from exc
    raise _failed(url, "the download was stopped", "Retry.")


def _failed(url: str, reason: str, remedy: str) -> MetadataError:
    return MetadataError(f"Cannot download the metadata from {url}: {reason}.",
                         code="fetch_failed", remedy=remedy, details={"url": url})

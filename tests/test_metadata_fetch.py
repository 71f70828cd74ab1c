"""Downloading metadata from an https:// URL, against a loopback HTTPS server the test starts."""

from __future__ import annotations

import http.server
import ssl
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from core.certgen import make_certificate
from core.metadata import MAX_METADATA_BYTES, MetadataError, fetch_metadata_url, read_metadata
from tests import factories as f

METADATA = f.metadata()


class _Handler(http.server.BaseHTTPRequestHandler):
    hits: list[str]
    http_base: str = ""

    def do_GET(self) -> None:
        self.hits.append(self.path)
        if self.path == "/metadata":
            self._send(200, METADATA)
        elif self.path == "/declared-big":
            self.send_response(200)
            self.send_header("Content-Length", str(MAX_METADATA_BYTES + 1))
            self.end_headers()
            self.wfile.write(b"<")
        elif self.path == "/streamed-big":
            self.send_response(200)
            self.end_headers()  # no Content-Length: body ends when the connection closes
            chunk = b"<!-- padding padding padding -->" * 2048
            try:
                for _ in range(MAX_METADATA_BYTES // len(chunk) + 2):
                    self.wfile.write(chunk)
            except OSError:
                pass  # the client stopped reading at the cap, as it should
            self.close_connection = True
        elif self.path == "/to-http":
            self.send_response(302)
            self.send_header("Location", f"{self.http_base}/metadata")
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif self.path == "/moved":
            self.send_response(301)
            self.send_header("Location", "/metadata")
            self.send_header("Content-Length", "0")
            self.end_headers()
        else:
            self._send(404, b"not here")

    def _send(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/samlmetadata+xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@dataclass
class Server:
    base: str
    ca_file: Path
    hits: list[str]


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    folder = tmp_path_factory.mktemp("tls")
    ca = make_certificate("Federator Test CA", key=f.key(slot=10), ca=True)
    leaf = make_certificate("localhost", key=f.key(slot=11), issuer=ca, san_ip=("127.0.0.1",),
                            san_dns=("localhost",))
    (folder / "ca.pem").write_bytes(ca.pem)
    (folder / "server.pem").write_bytes(leaf.pem)
    (folder / "server.key").write_bytes(leaf.key_pem)
    return folder / "ca.pem", folder / "server.pem", folder / "server.key"


@pytest.fixture
def server(tls_files: tuple[Path, Path, Path]) -> Iterator[Server]:
    ca_file, cert_file, key_file = tls_files
    hits: list[str] = []
    handler = type("Handler", (_Handler,), {"hits": hits, "http_base": "http://127.0.0.1:9"})
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.02},
                              daemon=True)
    thread.start()
    try:
        yield Server(f"https://127.0.0.1:{httpd.server_address[1]}", ca_file, hits)
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


def _fetch_error(url: str, ca_file: Path | None) -> MetadataError:
    with pytest.raises(MetadataError) as info:
        fetch_metadata_url(url, ca_bundle=ca_file, timeout=10)
    return info.value


def test_fetch_over_verified_tls(server: Server) -> None:
    assert fetch_metadata_url(f"{server.base}/metadata", ca_bundle=server.ca_file) == METADATA


def test_read_metadata_from_a_url(server: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(server.ca_file))
    md = read_metadata(f"{server.base}/metadata")
    assert md.entity_id == f.ENTITY
    assert md.source_name == f"{server.base}/metadata"
    monkeypatch.delenv("REQUESTS_CA_BUNDLE")
    assert read_metadata(f"{server.base}/metadata", ca_bundle=server.ca_file).entity_id == f.ENTITY


def test_untrusted_certificate_is_refused(server: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    error = _fetch_error(f"{server.base}/metadata", None)
    assert error.code == "fetch_failed"
    assert "TLS certificate" in error.message


def test_http_is_refused_without_any_request(server: Server) -> None:
    plain = server.base.replace("https://", "http://")
    for call in (lambda: read_metadata(f"{plain}/metadata"),
                 lambda: fetch_metadata_url(f"{plain}/metadata")):
        with pytest.raises(MetadataError) as info:
            call()
        assert info.value.code == "insecure_url"
        assert "https://" in info.value.message
    assert server.hits == []


def test_other_schemes_are_refused() -> None:
    with pytest.raises(MetadataError) as info:
        read_metadata("ftp://example.com/metadata.xml")
    assert info.value.code == "insecure_url"


def test_http_404(server: Server) -> None:
    error = _fetch_error(f"{server.base}/nothing", server.ca_file)
    assert error.code == "fetch_failed"
    assert "HTTP 404" in error.message


def test_declared_too_large(server: Server) -> None:
    assert _fetch_error(f"{server.base}/declared-big", server.ca_file).code == "too_large"


def test_streamed_too_large(server: Server) -> None:
    assert _fetch_error(f"{server.base}/streamed-big", server.ca_file).code == "too_large"


def test_redirect_to_http_is_refused(server: Server) -> None:
    error = _fetch_error(f"{server.base}/to-http", server.ca_file)
    assert error.code == "fetch_failed"
    assert "non-https" in error.message


def test_https_redirect_is_followed(server: Server) -> None:
    assert fetch_metadata_url(f"{server.base}/moved", ca_bundle=server.ca_file) == METADATA
    assert server.hits == ["/moved", "/metadata"]


def test_unreachable_host() -> None:
    import socket

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    error = _fetch_error(f"https://127.0.0.1:{port}/metadata", None)
    assert error.code == "fetch_failed"

"""Downloading metadata from an https:// URL, against a loopback HTTPS server the test starts."""

from __future__ import annotations

import contextlib
import http.server
import json
import ssl
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from cli.main import main
from core.certgen import make_certificate
from core.metadata import MAX_METADATA_BYTES, MetadataError, fetch_metadata_url, read_metadata
from tests import factories as f

METADATA = f.metadata()


class _Handler(http.server.BaseHTTPRequestHandler):
    hits: list[str]
    http_base: str = ""
    stop: threading.Event

    def do_GET(self) -> None:
        self.hits.append(self.path)
        if self.path == "/metadata":
            self._send(200, METADATA)
        elif self.path == "/trickle":
            # A valid answer, one byte at a time: each read sees data well within its timeout.
            self.send_response(200)
            self.send_header("Content-Length", str(len(METADATA)))
            self.end_headers()
            self._trickle(METADATA)
        elif self.path == "/trickle-headers":
            self.wfile.write(b"HTTP/1.1 200 OK\r\n")
            self._trickle(b"X-Slow: " + b"a" * 2000 + b"\r\n\r\n")
        elif self.path in ("/gzip", "/gzip-bomb"):
            import gzip

            plain = METADATA if self.path == "/gzip" else b"\0" * (5 * MAX_METADATA_BYTES)
            body = gzip.compress(plain, compresslevel=9)
            self.send_response(200)
            self.send_header("Content-Encoding", "gzip")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            with contextlib.suppress(OSError):  # the client stops reading at the cap
                self.wfile.write(body)
        elif self.path == "/hop":
            self.send_response(302)
            self.send_header("Location", "/moved")
            self.send_header("Content-Length", "0")
            self.end_headers()
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

    def _trickle(self, data: bytes) -> None:
        try:
            for i in range(len(data)):
                self.wfile.write(data[i:i + 1])
                if self.stop.wait(0.05):  # the server is shutting down
                    return
        except OSError:
            pass  # the client gave up, as it should
        self.close_connection = True

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
    stop = threading.Event()
    handler = type("Handler", (_Handler,), {"hits": hits, "http_base": "http://127.0.0.1:9",
                                            "stop": stop})
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
        stop.set()
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



def test_a_metadata_url_with_a_password_is_refused_before_any_request(
        server: Server, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """requests would send it as Basic credentials, and the URL is shown, logged and written
    into reports: a password must not travel that way. Nothing is sent; the password is in no
    message and no log."""
    with_password = server.base.replace("https://", "https://admin:s3cr3t-pw@") + "/metadata"
    with pytest.raises(MetadataError) as info:
        read_metadata(with_password)
    assert info.value.code == "credentials_in_url" and server.hits == []
    assert "s3cr3t-pw" not in info.value.message + (info.value.remedy or "")
    home = tmp_path / "home"
    assert main(["--home", str(home), "inspect", with_password]) == 2
    _, err = capsys.readouterr()
    assert err.startswith("error: ") and "s3cr3t-pw" not in err
    assert not any("s3cr3t-pw" in p.read_text(errors="replace")
                   for p in home.rglob("*") if p.is_file())


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


# -- the whole download has a deadline; the source shown is where the metadata came from ------

@pytest.mark.parametrize("path", ["/trickle", "/trickle-headers"])
def test_a_trickling_server_is_cut_off_at_the_deadline(server: Server, path: str) -> None:
    started = time.monotonic()
    with pytest.raises(MetadataError) as info:
        fetch_metadata_url(f"{server.base}{path}", ca_bundle=server.ca_file, timeout=10,
                           deadline_s=1.5)
    elapsed = time.monotonic() - started
    assert info.value.code == "fetch_failed"
    assert "longer than 1.5 seconds" in info.value.message
    assert elapsed < 4.0  # a byte every 0.05 s would otherwise keep it going for minutes


def test_inspect_of_a_trickling_url_stops_at_the_deadline(
        server: Server, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    from core.metadata import fetch

    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(server.ca_file))
    monkeypatch.setattr(fetch, "DEADLINE_S", 1.5)
    started = time.monotonic()
    assert main(["inspect", f"{server.base}/trickle"]) == 2
    assert time.monotonic() - started < 4.0
    err = capsys.readouterr().err
    assert err.startswith("error: Cannot download the metadata") and "longer than 1.5" in err


def test_a_download_within_the_deadline_is_untouched(server: Server) -> None:
    assert fetch_metadata_url(f"{server.base}/moved", ca_bundle=server.ca_file,
                              deadline_s=30) == METADATA


def test_the_source_is_the_final_url_after_redirects(
        server: Server, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    md = read_metadata(f"{server.base}/hop", ca_bundle=server.ca_file)
    assert md.source_name == f"{server.base}/metadata"
    assert md.redirected_from == f"{server.base}/hop"
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(server.ca_file))
    assert main(["inspect", f"{server.base}/hop"]) == 0
    out = capsys.readouterr().out
    assert f"Source             {server.base}/metadata\n" in out
    assert f"(redirected from {server.base}/hop)" in out
    assert main(["inspect", f"{server.base}/hop", "--json"]) == 0
    body = json.loads(capsys.readouterr().out)
    assert body["source"] == f"{server.base}/metadata"
    assert body["redirected_from"] == f"{server.base}/hop"


def test_the_window_shows_the_final_url_as_the_source(
        server: Server, make_window: Any, qtbot: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from PySide6.QtWidgets import QLabel

    from tests.gui_helpers import settle

    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(server.ca_file))
    window = make_window()
    window.metadata_view.open_source(f"{server.base}/hop")
    settle(qtbot)
    shown = [w.text() for w in window.metadata_view.findChildren(QLabel) if w.isVisibleTo(window)]
    assert f"{server.base}/metadata" in "\n".join(shown)
    assert any(f"redirected from {server.base}/hop" in text for text in shown)


def test_gzip_is_decoded_and_a_gzip_bomb_stops_at_the_cap(server: Server) -> None:
    assert fetch_metadata_url(f"{server.base}/gzip", ca_bundle=server.ca_file) == METADATA
    # 50 MB of zeros in about 50 KB: the cap applies to what it decompresses to.
    assert _fetch_error(f"{server.base}/gzip-bomb", server.ca_file).code == "too_large"

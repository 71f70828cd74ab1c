"""Hostile and broken inputs: each is refused with one clear error; nothing fetched or expanded."""

from __future__ import annotations

import codecs
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import pytest

from core.metadata import MetadataError, read_metadata, xmlsafe
from tests import factories as f


class _Recorder(http.server.BaseHTTPRequestHandler):
    hits: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        type(self).hits.append(self.path)  # recorded before answering: a fetch cannot race us
        body = b'<!ENTITY x "pwned">'
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def listener() -> Iterator[tuple[str, list[str]]]:
    """An http server on 127.0.0.1 that records every request it receives."""
    hits: list[str] = []
    handler = type("Recorder", (_Recorder,), {"hits": hits})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02},
                              daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", hits
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def _doc(prolog: str, body: str = "<md:EntityDescriptor xmlns:md='urn:oasis:names:tc:SAML:2.0:"
                                  "metadata' entityID='&x;'/>") -> bytes:
    return f'<?xml version="1.0"?>\n{prolog}\n{body}'.encode()


def _code(source: bytes | Path | str) -> str:
    with pytest.raises(MetadataError) as info:
        read_metadata(source)
    assert info.value.message and "\n" not in info.value.message
    return info.value.code


def test_xxe_to_a_local_file(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP SECRET")
    xml = _doc(f'<!DOCTYPE md [<!ENTITY x SYSTEM "file://{secret}">]>')
    with pytest.raises(MetadataError) as info:
        read_metadata(xml)
    assert info.value.code == "forbidden_dtd"
    assert "TOP SECRET" not in str(info.value.to_json())


def test_xxe_to_an_http_url_makes_no_request(listener: tuple[str, list[str]]) -> None:
    base, hits = listener
    assert _code(_doc(f'<!DOCTYPE md [<!ENTITY x SYSTEM "{base}/xxe">]>')) == "forbidden_dtd"
    assert _code(_doc(f'<!DOCTYPE md SYSTEM "{base}/external.dtd">')) == "forbidden_dtd"
    assert _code(_doc(f'<!DOCTYPE md [<!ENTITY % p SYSTEM "{base}/param.dtd"> %p;]>')) \
        == "forbidden_dtd"
    assert hits == []


def test_even_the_parser_alone_fetches_nothing(listener: tuple[str, list[str]],
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    # Defence in depth: with the up-front DOCTYPE check switched off, lxml still loads nothing.
    base, hits = listener
    monkeypatch.setattr(xmlsafe, "_check_prolog", lambda data: None)
    for prolog in (f'<!DOCTYPE md [<!ENTITY x SYSTEM "{base}/xxe">]>',
                   f'<!DOCTYPE md SYSTEM "{base}/external.dtd">',
                   f'<!DOCTYPE md [<!ENTITY % p SYSTEM "{base}/param.dtd"> %p;]>'):
        with pytest.raises(MetadataError) as info:
            read_metadata(_doc(prolog))
        assert info.value.code in ("forbidden_dtd", "malformed_xml")
    assert hits == []


def test_billion_laughs() -> None:
    entities = '<!ENTITY lol "lol">' + "".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'
        for i in range(1, 10))
    assert _code(_doc(f"<!DOCTYPE md [{entities}]>", body="<md>&lol9;</md>")) == "forbidden_dtd"


def test_quadratic_blowup() -> None:
    big = "A" * 100_000
    body = "<md>" + "&a;" * 50_000 + "</md>"
    assert _code(_doc(f'<!DOCTYPE md [<!ENTITY a "{big}">]>', body=body)) == "forbidden_dtd"


def test_doctype_after_comments_and_lowercase_is_still_refused() -> None:
    prolog = "<!-- exported -->\n" * 5000 + "<!doctype md>"
    assert _code(_doc(prolog, body="<md/>")) == "forbidden_dtd"


def test_30_mb_file_is_too_large_before_parsing(tmp_path: Path) -> None:
    path = tmp_path / "huge.xml"
    with path.open("wb") as handle:
        handle.write(b'<?xml version="1.0"?><md:EntitiesDescriptor xmlns:md="x">')
        handle.write(b"<!-- padding -->" * (30 * 1024 * 1024 // 16))
        handle.write(b"</md:EntitiesDescriptor>")
    assert _code(path) == "too_large"
    assert _code(path.read_bytes()) == "too_large"


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_is_read(codec: str) -> None:
    xml = f.metadata().decode("utf-8").replace('encoding="UTF-8"', 'encoding="UTF-16"')
    data = xml.encode(codec)
    if codec != "utf-16":  # explicit-endian codecs write no BOM: add it as Windows tools do
        data = (codecs.BOM_UTF16_LE if codec.endswith("le") else codecs.BOM_UTF16_BE) + data
    assert read_metadata(data).entity_id == f.ENTITY


def test_utf16_without_bom_or_declaration() -> None:
    xml = f.metadata().decode("utf-8")
    xml = xml[xml.index("?>") + 2:]
    assert read_metadata(xml.encode("utf-16-le")).entity_id == f.ENTITY


def test_utf8_bom_leading_whitespace_and_comments() -> None:
    xml = f.metadata()
    assert read_metadata(codecs.BOM_UTF8 + xml).entity_id == f.ENTITY
    assert read_metadata(b"\n\n   \t" + xml).entity_id == f.ENTITY
    body = xml[xml.index(b"?>") + 2:]
    assert read_metadata(b"<!-- exported by hand -->\n<!-- two -->" + body).entity_id == f.ENTITY
    assert read_metadata(codecs.BOM_UTF8 + b"\r\n" + xml).entity_id == f.ENTITY


def test_two_roots() -> None:
    body = f.metadata()
    assert _code(body + body[body.index(b"?>") + 2:]) == "malformed_xml"


def test_html_page() -> None:
    assert _code(b"<!DOCTYPE html>\n<html><head><title>Sign in</title></head></html>") \
        == "not_metadata"
    assert _code(b"<html><body><p>Login<br></body></html>") == "not_metadata"


def test_png_renamed_xml(tmp_path: Path) -> None:
    path = tmp_path / "metadata.xml"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    with pytest.raises(MetadataError) as info:
        read_metadata(path)
    assert info.value.code == "not_metadata"
    assert "PNG" in info.value.message


def test_binary_junk_empty_and_missing(tmp_path: Path) -> None:
    assert _code(bytes(range(256)) * 4) in ("not_metadata", "malformed_xml")
    assert _code(b"") == "malformed_xml"
    assert _code(b"   \n") == "malformed_xml"
    assert _code(tmp_path / "missing.xml") == "not_found"
    assert _code(str(tmp_path / "missing.xml")) == "not_found"
    assert _code(tmp_path) == "not_found"


def test_namespace_error_is_malformed() -> None:
    xml = f.metadata().replace(b"<ds:KeyInfo", b"<s:KeyInfo", 1)
    with pytest.raises(MetadataError) as info:
        read_metadata(xml)
    assert info.value.code == "malformed_xml"
    assert "line 1" in info.value.message


def test_unknown_encoding_declaration() -> None:
    xml = f.metadata().replace(b'encoding="UTF-8"', b'encoding="X-NOPE-42"')
    assert _code(xml) == "malformed_xml"


def test_utf8_bytes_with_a_utf16_declaration() -> None:
    xml = f.metadata().replace(b'encoding="UTF-8"', b'encoding="UTF-16"')
    assert read_metadata(xml).entity_id == f.ENTITY

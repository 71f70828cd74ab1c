"""No DTD, ever, whatever comes before it: the pre-scan reads the whole prolog, and the parser
itself cannot open a file, a share or a URL even if the pre-scan were bypassed.

"Nothing is opened" is proven with a named pipe: opening it for reading makes a waiting writer
thread return, which records the open. Windows has no mkfifo: there the tests check every refusal
but cannot watch for an open (the path named then does not exist).
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.metadata import MetadataError, read_metadata, xmlsafe

POSIX = sys.platform != "win32"

BODY = ("<md:EntityDescriptor xmlns:md='urn:oasis:names:tc:SAML:2.0:metadata' "
        "entityID='https://idp.example.com'/>")


class OpenDetector:
    """A named pipe that records whether anything opened it for reading."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.opened = False
        self._done = False
        if POSIX:
            os.mkfifo(path)
            self._thread = threading.Thread(target=self._wait_for_a_reader, daemon=True)
            self._thread.start()

    def _wait_for_a_reader(self) -> None:
        while True:  # every open is answered, so a reader that opens it twice never hangs
            fd = os.open(self.path, os.O_WRONLY)  # returns once a reader has opened the pipe
            try:
                if self._done:
                    return
                self.opened = True
                os.write(fd, b'<!ENTITY x "PWNED">')
            finally:
                os.close(fd)

    def finish(self) -> bool:
        """Whether the pipe was opened (releases the writer if nobody did)."""
        self._done = True
        if not POSIX:
            return False
        fd = os.open(self.path, os.O_RDONLY | os.O_NONBLOCK)
        self._thread.join(timeout=10)
        os.close(fd)
        return self.opened


@pytest.fixture
def pipe(tmp_path: Path) -> Iterator[OpenDetector]:
    detector = OpenDetector(tmp_path / "evil.dtd")
    yield detector
    assert not detector.finish(), "the metadata reader opened the external DTD"


def _targets(pipe: OpenDetector) -> dict[str, str]:
    # On POSIX a leading "//" names the same local file; on Windows it is a \\host\share path.
    return {"local path": str(pipe.path), "//host/share path": "/" + str(pipe.path),
            "file URL": pipe.path.as_uri()}


def _doctypes(target: str) -> list[str]:
    return [f'<!DOCTYPE md [<!ENTITY % p SYSTEM "{target}"> %p;]>',
            f'<!DOCTYPE md SYSTEM "{target}">',
            f'<!DOCTYPE md [<!ENTITY x SYSTEM "{target}">]>']


FILLERS = {
    "200 KB comment": "<!--" + "x" * 200_000 + "-->",
    "200 KB processing instruction": "<?pad " + "x" * 200_000 + "?>",
    "comment and PI, 100 KB each": "<!--" + "- >" * 33_000 + "-->\n<?a " + "? >" * 33_000 + " ?>",
}
CODECS = ["utf-8", "utf-16", "utf-16-le", "utf-32", "utf-32-be"]


def _encoded(text: str, codec: str) -> bytes:
    declared = codec.upper().replace("-LE", "").replace("-BE", "")
    return f'<?xml version="1.0" encoding="{declared}"?>\n{text}'.encode(codec)


@pytest.mark.parametrize("codec", CODECS)
@pytest.mark.parametrize("filler", list(FILLERS))
def test_a_doctype_behind_a_long_prolog_is_refused_before_parsing(
        codec: str, filler: str, pipe: OpenDetector) -> None:
    for name, target in _targets(pipe).items():
        for doctype in _doctypes(target):
            data = _encoded(f"{FILLERS[filler]}\n{doctype}\n{BODY}", codec)
            with pytest.raises(MetadataError) as before_parsing:
                xmlsafe.normalise(data)  # the pre-scan alone, no parser involved
            assert before_parsing.value.code == "forbidden_dtd", name
            with pytest.raises(MetadataError) as info:
                read_metadata(data)
            assert info.value.code == "forbidden_dtd"
            assert "open local files" in info.value.message
            assert "PWNED" not in str(info.value.to_json())


def test_the_parser_alone_opens_no_file_or_share(pipe: OpenDetector,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(xmlsafe, "_check_prolog", lambda data: None)
    for target in _targets(pipe).values():
        for doctype in _doctypes(target):
            with pytest.raises(MetadataError) as info:
                read_metadata(f"{doctype}<md entityID='&x;'>&x;</md>".encode())
            # Refused by the parser (an undefined entity) or by the DOCTYPE check after it.
            assert info.value.code in ("forbidden_dtd", "malformed_xml")
            assert "PWNED" not in str(info.value.to_json())


def test_the_resolver_refuses_even_a_parser_told_to_load_dtds(pipe: OpenDetector) -> None:
    # Defence in depth: were a future change to switch DTD loading on, the resolver still stops
    # libxml2 before it opens anything.
    from lxml import etree

    careless = etree.XMLParser(load_dtd=True, resolve_entities=True, no_network=False)
    careless.resolvers.add(xmlsafe._refusing_resolver())
    for doctype in _doctypes(str(pipe.path)):
        with pytest.raises(xmlsafe._ExternalRefused):
            etree.fromstring(f"{doctype}<md>&x;</md>".encode(), careless)


def test_a_doctype_after_an_unclosed_comment_is_malformed_not_loaded(pipe: OpenDetector) -> None:
    data = f'<!-- never closed\n<!DOCTYPE md SYSTEM "{pipe.path}">\n{BODY}'.encode()
    with pytest.raises(MetadataError) as info:
        read_metadata(data)
    assert info.value.code == "malformed_xml"


def test_a_long_honest_prolog_still_reads() -> None:
    for codec in CODECS:
        data = _encoded(FILLERS["200 KB comment"] + "\n" + BODY.replace(
            "/>", "><md:IDPSSODescriptor protocolSupportEnumeration="
                  "'urn:oasis:names:tc:SAML:2.0:protocol'/></md:EntityDescriptor>"), codec)
        assert read_metadata(data).entity_id == "https://idp.example.com"

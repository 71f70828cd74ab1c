"""Turning untrusted bytes into an lxml tree without ever loading a DTD or resolving an entity.

Metadata comes from e-mail attachments, downloads and copy-paste: it must not be able to read local
files (XXE), call out to the network, or exhaust memory (billion laughs, quadratic blow-up). Any
DOCTYPE is refused before the parser sees the bytes (a scan of the whole prolog, however long); the
parser itself cannot load anything either (entities and DTDs off, no network, and a resolver that
refuses every external resource libxml2 would open: local paths, ``file:``, ``//host/share``).
"""

from __future__ import annotations

import codecs
import re
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.metadata.model import MAX_METADATA_BYTES, MetadataError

if TYPE_CHECKING:
    from lxml import etree

_SIZE_REMEDY = ("Metadata of one IdP is a few kilobytes: check that this is the right file, or "
                "export only your IdP's metadata instead of a whole federation aggregate.")
# What may come before the root element: whitespace, the declaration, PIs and comments, any
# number and any length (one regex pass: no window to hide a DOCTYPE behind).
_PROLOG = re.compile(rb"(?:[ \t\r\n]+|<!--.*?-->|<\?.*?\?>)*", re.S)
_MISLABELLED_UTF16 = re.compile(rb"^(<\?xml[^>]*?)\s+encoding\s*=\s*(['\"])utf-?16\2", re.I)
_MAGIC = {
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"GIF8": "a GIF image",
    b"%PDF": "a PDF document",
    b"PK\x03\x04": "a ZIP archive (or an Office document)",
    b"\x1f\x8b": "a gzip archive",
    b"MZ": "a Windows program",
}


def too_large(size: int | None = None) -> MetadataError:
    shown = f" ({size / 1024 / 1024:.1f} MB)" if size else ""
    return MetadataError(
        f"The metadata is larger than {MAX_METADATA_BYTES // (1024 * 1024)} MB{shown}; "
        "Federator does not read files that big.", code="too_large", remedy=_SIZE_REMEDY)


def read_file(path: Path) -> bytes:
    """The file's bytes, refusing missing, unreadable and oversized files before reading them."""
    try:
        size = path.stat().st_size
    except FileNotFoundError as exc:
        # The full path: "No file at metadata.xml" does not say which folder was searched.
        raise MetadataError(f"No file at {path.absolute()}.", code="not_found",
                            remedy="Check the path, or pick the file again.") from exc
    except ValueError as exc:  # e.g. a NUL character pasted into the path
        raise MetadataError(f"'{path}' is not a valid file path.", code="not_found",
                            remedy="Check the path, or pick the file again.") from exc
    except OSError as exc:
        raise MetadataError(f"Cannot open {path}: {exc.strerror or exc}.", code="unreadable",
                            remedy="Check the path and that you may read the file.") from exc
    if path.is_dir():
        raise MetadataError(f"{path} is a folder, not a metadata file.", code="not_found",
                            remedy="Pick the metadata XML file inside it.")
    if size > MAX_METADATA_BYTES:
        raise too_large(size)
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_METADATA_BYTES + 1)
    except OSError as exc:
        raise MetadataError(f"Cannot read {path}: {exc.strerror or exc}.", code="unreadable",
                            remedy="Check that you may read the file.") from exc
    if len(data) > MAX_METADATA_BYTES:  # grew while we looked
        raise too_large(len(data))
    return data


def _detect_utf16_or_32(data: bytes) -> str | None:
    """The codec for UTF-16/32 input (with or without BOM), ``None`` for 8-bit encodings."""
    if data.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        return "utf-32"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if data[:4] in (b"<\x00\x00\x00", b"\x00\x00\x00<"):
        return "utf-32-le" if data[0] == 0x3C else "utf-32-be"
    if data[:2] == b"<\x00" or (data[:1] in (b" ", b"\n", b"\r", b"\t") and data[1:2] == b"\x00"):
        return "utf-16-le"
    if data[:2] == b"\x00<" or (data[:1] == b"\x00" and data[1:2] in (b" ", b"\n", b"\r", b"\t")):
        return "utf-16-be"
    return None


def _not_xml(what: str) -> MetadataError:
    return MetadataError(
        f"This file is {what}, not SAML metadata.", code="not_metadata",
        remedy="Download the metadata XML from the IdP's SAML application settings "
               "(often called 'Export metadata' or 'Metadata URL').")


def normalise(data: bytes) -> bytes:
    """Bytes lxml can parse: UTF-16/32 re-encoded to UTF-8, leading whitespace and BOM removed.

    Refuses binary files, HTML pages and any DOCTYPE (``forbidden_dtd``) before parsing.
    """
    if len(data) > MAX_METADATA_BYTES:
        raise too_large(len(data))
    for magic, what in _MAGIC.items():
        if data.startswith(magic):
            raise _not_xml(what)
    codec = _detect_utf16_or_32(data)
    if codec is not None:
        try:
            text = data.decode(codec)
        except UnicodeDecodeError as exc:
            raise MetadataError("The file looks like UTF-16 text but cannot be decoded.",
                                code="malformed_xml",
                                remedy="Save the metadata again as UTF-8 and retry.") from exc
        text = text.lstrip("\ufeff \t\r\n")
        # The declaration names the old encoding; the bytes we hand on are UTF-8.
        text = re.sub(r"^<\?xml([^>]*?)\s+encoding\s*=\s*(['\"])[^'\"]*\2", r"<?xml\1", text)
        data = text.encode("utf-8")
    else:
        if data.startswith(codecs.BOM_UTF8):
            data = data[len(codecs.BOM_UTF8):]
        data = data.lstrip(b" \t\r\n")
        # Saved as UTF-8 by an editor that kept a UTF-16 declaration: libxml2 would refuse it.
        mislabelled = _MISLABELLED_UTF16.match(data)
        if mislabelled:
            data = mislabelled.group(1) + data[mislabelled.end():]
    if not data:
        raise MetadataError("The metadata is empty.", code="malformed_xml",
                            remedy="Export the metadata from the IdP again.")
    if b"\x00" in data[:1024]:
        raise _not_xml("a binary file")
    _check_prolog(data)
    return data


def _dtd_refused() -> MetadataError:
    return MetadataError(
        "The metadata contains a DOCTYPE (a document type definition). Federator refuses "
        "those: they can make a reader open local files, contact servers, or exhaust "
        "memory, and real SAML metadata never needs one.",
        code="forbidden_dtd",
        remedy="Use the metadata exactly as the IdP exports it; if it does contain a "
               "DOCTYPE, delete that line and try again.")


def _check_prolog(data: bytes) -> None:
    """Refuse a DOCTYPE (and say so for HTML pages) by scanning what precedes the root element.

    One linear pass over the whole prolog, however long its comments and processing
    instructions: a scan that gave up after a fixed window let a DOCTYPE through behind a big
    comment. ``data`` is UTF-8 or an ASCII-compatible encoding here (``normalise`` re-encodes
    UTF-16/32); anything else does not start with ``<`` and is refused as not XML.
    """
    # Stops at the first thing that is not whitespace, a comment or a PI: the root element, a
    # DOCTYPE, junk, or a comment or PI that is never closed (the parser then reports it).
    pos = _PROLOG.match(data).end()  # type: ignore[union-attr]  # matches at least ""
    rest = data[pos:pos + 20].decode("latin-1")  # byte-transparent; markup is ASCII
    if rest[:9].upper() == "<!DOCTYPE":
        if re.match(r"<!DOCTYPE\s+html", rest, re.I):
            raise _not_xml("a web page (HTML)")
        raise _dtd_refused()
    if re.match(r"<html[\s>]", rest, re.I):
        raise _not_xml("a web page (HTML)")
    if rest and not rest.startswith("<"):
        start = re.sub(r"\s+", " ", data[pos:pos + 30].decode("latin-1")).strip()
        start = "".join(ch if ch.isprintable() else "?" for ch in start)
        more = "..." if len(data) - pos > 30 else ""
        raise MetadataError(
            f"This file is not XML, so it is not SAML metadata: it starts with "
            f"'{start}{more}'.",
            code="malformed_xml",
            remedy="Download the metadata XML from the IdP's SAML application settings "
                   "(often called 'Export metadata' or 'Metadata URL').")


class _ExternalRefused(Exception):
    """Raised by the parser's resolver: the document asked to load something from outside."""


def _refusing_resolver() -> etree.Resolver:
    """An lxml resolver that refuses every external DTD, entity and file, whatever the URL
    (local path, ``file:``, ``//host/share``, http): libxml2 asks it before opening anything, so
    the parser cannot load a resource even if a flag below were lost."""
    from lxml import etree

    class RefuseAll(etree.Resolver):
        def resolve(  # type: ignore[override]  # lxml-stubs omit the context argument
                self, system_url: str, public_id: str, context: object) -> None:
            raise _ExternalRefused(system_url)

    return RefuseAll()


_local = threading.local()


def _parser() -> etree.XMLParser:
    """One hardened parser per thread: a fresh parser per call costs as much as the parse
    itself on a big aggregate (libxml2 warms its name dictionary), and parsers are not meant
    to be shared across threads."""
    from lxml import etree

    parser: etree.XMLParser | None = getattr(_local, "parser", None)
    if parser is None:
        parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                                 dtd_validation=False, huge_tree=False, remove_pis=True,
                                 # Text is read as canonicalization sees it: a comment inside a
                                 # value (ignored by the signature) must not cut it short.
                                 remove_comments=True, collect_ids=False)
        parser.resolvers.add(_refusing_resolver())
        _local.parser = parser
    return parser


def parse(data: bytes) -> etree._Element:
    """The root element of ``data``, parsed with every dangerous lxml feature off."""
    from lxml import etree

    data = normalise(data)
    parser = _parser()
    try:
        root = etree.fromstring(data, parser=parser)
    except _ExternalRefused as exc:
        raise _dtd_refused() from exc
    except etree.XMLSyntaxError as exc:
        raise MetadataError(f"The metadata is not well-formed XML: {_lxml_message(exc)}.",
                            code="malformed_xml",
                            remedy="Export the metadata from the IdP again; if it was edited by "
                                   "hand, check the place the message names.") from exc
    except ValueError as exc:  # e.g. an unknown encoding name in the declaration
        raise MetadataError(f"The metadata cannot be decoded: {exc}.", code="malformed_xml",
                            remedy="Save the metadata again as UTF-8 and retry.") from exc
    if root is None:
        raise MetadataError("The metadata holds no XML element.", code="malformed_xml",
                            remedy="Export the metadata from the IdP again.")
    docinfo: Any = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:
        raise _dtd_refused()
    return root


def _lxml_message(exc: Exception) -> str:
    text = re.sub(r"\s*\(<string>, line \d+\)$", "", str(exc).strip()).rstrip(".")
    return text or "unknown parse error"

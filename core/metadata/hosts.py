"""What kind of host an IdP's sign-in or sign-out URL names, for hosts no tenant should trust.

Why it exists: Entra does not open the IdP's ``passiveSignInUri`` itself; it redirects each
user's browser there (SAML HTTP-Redirect/POST bindings,
https://learn.microsoft.com/entra/identity/hybrid/connect/how-to-connect-fed-saml-idp). So the
host must be one every user's browser reaches, and reaches as the same server. Hostile or careless
metadata can name instead the user's own machine, a link-local address, a private-network server,
a bare intranet name, or a look-alike of the real IdP's name in another script. The stdlib
decides what an address is (``ipaddress``; ``socket.inet_aton`` for the legacy numeric forms
such as ``2130706433`` or ``0x7f.1`` that browsers also read as IPv4,
https://url.spec.whatwg.org/#concept-ipv4-parser), ``idna`` decodes punycode, and
``unicodedata`` names each character's script.
"""

from __future__ import annotations

import ipaddress
import socket
import unicodedata
from dataclasses import dataclass

import idna

LOOPBACK = "loopback"      # the user's own machine
LINK_LOCAL = "link-local"  # this network link only (and cloud metadata services)
PRIVATE = "private"        # a private network (RFC 1918, RFC 4193, RFC 6598)
SINGLE_LABEL = "single-label"  # a bare name resolved by the local DNS search suffix
MIXED_SCRIPTS = "mixed-scripts"  # a label mixing scripts: a look-alike of another name

# Scripts Chrome lets one label mix without suspicion (Latin with the CJK scripts a language
# writes together); any other mix is shown as punycode, as a possible homograph
# (https://chromium.googlesource.com/chromium/src/+/main/docs/idn.md).
_ALLOWED_MIXES = (frozenset({"LATIN", "CJK", "HIRAGANA", "KATAKANA"}),
                  frozenset({"LATIN", "CJK", "BOPOMOFO"}),
                  frozenset({"LATIN", "CJK", "HANGUL"}))


# Carrier-grade NAT shared space (RFC 6598, https://www.rfc-editor.org/rfc/rfc6598): not routed
# on the Internet, yet Python's ipaddress counts it neither private nor global.
_SHARED_ADDRESS_SPACE = ipaddress.ip_network("100.64.0.0/10")

# Names that resolve only inside one network, never on the public Internet.
_LOCAL_SUFFIXES = (".local", ".home.arpa", ".internal")


# Cyrillic letters that look like Latin ones: a label made only of these under a non-Cyrillic
# top-level domain ("аррӏе.com") is a whole-script look-alike, which Chrome shows as punycode
# (the cyrillic_letters_latin_alike_ set of components/url_formatter/spoof_checks/
# idn_spoof_checker.cc, https://chromium.googlesource.com/chromium/src/+/main/docs/idn.md).
_CYRILLIC_LATIN_ALIKE = frozenset("асԁеһіјӏорԗԛѕԝхуъЬҽпгѵѡ")


@dataclass(frozen=True)
class HostConcern:
    """What is wrong with a URL's host: ``kind`` (one of the constants above) and the words."""

    kind: str
    why: str


def host_concern(host: str) -> HostConcern | None:
    """Why ``host`` (as ``urlsplit(...).hostname`` gives it) should not be an IdP's sign-in or
    sign-out host; None when nothing is wrong with it."""
    written = host.strip()
    host = _browser_form(written).rstrip(".")
    if not host:
        return None
    # The concern names the host as the metadata writes it, and as a browser reads it when the
    # two differ (full-width digits, an ideographic full stop).
    shown = host if written.rstrip(".").lower() == host else f"{written} (read as {host})"
    address = _address(host)
    if address is not None:
        return _address_concern(shown, address)
    if host == "localhost" or host.endswith(".localhost"):
        # RFC 6761 section 6.3: "localhost" names resolve to loopback.
        return HostConcern(LOOPBACK, f"{shown} is the user's own computer (loopback)")
    local_suffix = next((s for s in _LOCAL_SUFFIXES if host.endswith(s)), None)
    if local_suffix:
        return HostConcern(PRIVATE,
                           f"{shown} ends in {local_suffix}, a name only the local network "
                           "resolves (.local by multicast DNS on the link, RFC 6762; "
                           ".home.arpa, RFC 8375; .internal, reserved by ICANN for private "
                           "use): users outside that network cannot reach it")
    if "." not in host:
        return HostConcern(SINGLE_LABEL,
                           f"{shown} is a single-label name: browsers resolve it with the local "
                           "network's DNS search suffix, so it reaches a server only inside "
                           "that network, and a different one elsewhere")
    for label in host.split("."):
        scripts = _scripts(_unicode_label(label))
        if len(scripts) > 1 and not any(scripts <= allowed for allowed in _ALLOWED_MIXES):
            shown = _unicode_label(label)
            return HostConcern(MIXED_SCRIPTS,
                               f"its host label '{ascii(shown)[1:-1]}' mixes "
                               f"{' and '.join(s.title() for s in sorted(scripts))} letters, "
                               "the mark of a look-alike (homograph) of another name")
    labels = [_unicode_label(label) for label in host.split(".")]
    if not _scripts(labels[-1]) & {"CYRILLIC"}:
        for label in labels[:-1]:
            if label and all(ch in _CYRILLIC_LATIN_ALIKE or not ch.isalpha() for ch in label) \
                    and any(ch.isalpha() for ch in label):
                return HostConcern(MIXED_SCRIPTS,
                                   f"its host label '{ascii(label)[1:-1]}' is written only "
                                   "with Cyrillic letters that look like Latin ones, under a "
                                   "non-Cyrillic top-level domain: a look-alike (homograph) "
                                   "of a Latin name")
    return None


def _browser_form(host: str) -> str:
    """``host`` as a browser reads it before it looks anything up: UTS #46 mapping, which
    lower-cases and turns full-width digits and letters, circled digits and the ideographic
    full stop into their ASCII forms (``１２７。０。０。１`` is 127.0.0.1,
    https://url.spec.whatwg.org/#concept-domain-to-ascii, https://www.unicode.org/reports/tr46/).
    A host the mapping rejects is only lower-cased."""
    try:
        return str(idna.uts46_remap(host, std3_rules=False, transitional=False))
    except (idna.IDNAError, UnicodeError, ValueError):
        return host.lower()


def _address(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    if host and all(c in "0123456789abcdefx." for c in host) and any(c.isdigit() for c in host):
        try:  # 2130706433, 0x7f.1, 0177.0.0.1: browsers read these as IPv4 too
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return None
    return None


def _address_concern(host: str, address: ipaddress.IPv4Address | ipaddress.IPv6Address
                     ) -> HostConcern | None:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address.is_loopback:
        return HostConcern(LOOPBACK, f"{host} is the user's own computer (loopback)")
    if address.is_link_local:
        return HostConcern(LINK_LOCAL,
                           f"{host} is a link-local address: it reaches a machine on the user's "
                           "own network link only (RFC 3927, RFC 4291), such as a cloud "
                           "provider's metadata service")
    if address.is_private:
        return HostConcern(PRIVATE,
                           f"{host} is a private-network or reserved address (RFC 1918, "
                           "RFC 4193, RFC 6890): users outside that network (at home, on a "
                           "phone) cannot reach it")
    if address in _SHARED_ADDRESS_SPACE:
        return HostConcern(PRIVATE,
                           f"{host} is in the carrier-grade NAT shared address space "
                           "100.64.0.0/10 (RFC 6598): it is not routed on the Internet, so "
                           "users outside that provider's network cannot reach it")
    return None


def _unicode_label(label: str) -> str:
    if label.startswith("xn--"):
        try:
            return str(idna.decode(label))
        except (idna.IDNAError, UnicodeError):
            return label
    return label


def _scripts(label: str) -> set[str]:
    """The scripts of the letters in ``label`` (digits, hyphens and other common characters
    belong to none), by the first word of each character's Unicode name."""
    found: set[str] = set()
    for ch in label:
        if not ch.isalpha():
            continue
        name = unicodedata.name(ch, "")
        script = name.split(" ", 1)[0] if name else "UNKNOWN"
        found.add("CJK" if script in ("CJK", "IDEOGRAPHIC") else script)
    return found

"""The findings a careful admin should know about one IdP's metadata (ids are stable: tests,
``--json`` consumers and the GUI rely on them).

Pure functions over already-extracted values: no XML, no network.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence

from core import urlparts
from core.certificates import CertificateInfo
from core.findings import Finding, Severity
from core.metadata.model import BINDING_REDIRECT, Endpoint

EXPIRY_WARNING_DAYS = 30
MIN_RSA_BITS = 2048
_PLACEHOLDER = re.compile(r"\{[^}]*\}|<[^>]*>|\$\{|%[A-Za-z_]+%|\[[A-Za-z_ -]+\]")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


def entity_id_findings(entity_id: str) -> list[Finding]:
    findings: list[Finding] = []
    if not entity_id.strip():
        return [Finding("entity_id_missing", "error",
                        "The metadata's entityID is empty.",
                        "Set the IdP Entity ID in the IdP's SAML application, then export the "
                        "metadata again.")]
    if _PLACEHOLDER.search(entity_id):
        findings.append(Finding(
            "entity_id_placeholder", "error",
            f"The entityID '{entity_id}' contains a placeholder (such as {{tenantid}}) that was "
            "never filled in.",
            "Use the metadata of the IdP's actual application, or replace the placeholder with "
            "the real value in the IdP's settings."))
    elif entity_id != entity_id.strip():
        findings.append(Finding(
            "entity_id_whitespace", "warning",
            "The entityID starts or ends with spaces; Entra compares it exactly.",
            "Remove the spaces from the IdP Entity ID in the IdP, then export again."))
    elif (parts := urlparts.split(entity_id)) is None:
        pass  # malformed_url_findings says what is wrong with it
    elif not _SCHEME.match(entity_id) or (
            parts.scheme.lower() in ("http", "https") and not parts.netloc):
        findings.append(Finding(
            "entity_id_not_uri", "error",
            f"The entityID '{entity_id}' is not an absolute URI. SAML requires one and Graph's "
            "issuerUri is a URI, so Federator's preflight will not federate with it.",
            "Set the IdP Entity ID in the IdP to a URI unique to your domain, such as "
            "https://<your-domain>/saml, and export the metadata again."))
    return findings


def endpoint_findings(sso: Sequence[Endpoint], slo: Sequence[Endpoint]) -> list[Finding]:
    findings: list[Finding] = []
    for endpoint in sso:
        if urlparts.web_problem(endpoint.location):
            continue  # malformed_url_findings says what is wrong with it
        if urlparts.scheme(endpoint.location) != "https":
            findings.append(Finding(
                "sso_not_https", "error",
                f"The sign-in URL {endpoint.location or '(empty)'} ({endpoint.binding_name}) is "
                "not https.",
                "Use the IdP's https:// sign-in URL; Entra sends users' sign-in requests there."))
    for endpoint in slo:
        if urlparts.web_problem(endpoint.location):
            continue
        if urlparts.scheme(endpoint.location) != "https":
            findings.append(Finding(
                "slo_not_https", "warning",
                f"The sign-out URL {endpoint.location or '(empty)'} ({endpoint.binding_name}) is "
                "not https.",
                "Use an https:// sign-out URL."))
    return findings


def host_findings(sso: Sequence[Endpoint], slo: Sequence[Endpoint]) -> list[Finding]:
    """A finding for each sign-in or sign-out URL whose host no tenant should send its users to
    (``core.metadata.hosts``). Entra redirects every user's browser to the sign-in URL, so:

    * the user's own machine (loopback, ``localhost``), a link-local address, or a host name
      mixing scripts (a homograph of the real IdP's name) is an error for the sign-in URL: no
      real IdP serves every user from there, and metadata naming one is a test leftover or an
      attack (the homograph is an error for the sign-out URL too: it would send users to a
      look-alike site); Federator refuses such metadata (preflight ``metadata.readable``);
    * a private-network address, a single-label name or a name only a local network resolves
      (``.local``, ``.home.arpa``, ``.internal``) is a warning: an IdP on the intranet
      (AD FS and others behind a VPN) is a real design, but users outside that network cannot
      sign in at all (https://www.rfc-editor.org/rfc/rfc1918#section-3: private addresses are
      not routed on the Internet), so the admin accepts it knowingly;
    * loopback and link-local sign-out URLs are warnings: signing in still works.
    """
    from core.metadata import hosts

    findings: list[Finding] = []
    seen: set[tuple[str, str]] = set()
    for what, endpoints in (("sign-in", sso), ("sign-out", slo)):
        for endpoint in endpoints:
            if urlparts.web_problem(endpoint.location):
                continue  # malformed_url_findings says what is wrong with it
            host = urlparts.split(endpoint.location).hostname or ""  # type: ignore[union-attr]
            concern = hosts.host_concern(host)
            if concern is None or (what, host) in seen:
                continue
            seen.add((what, host))
            local = concern.kind in (hosts.LOOPBACK, hosts.LINK_LOCAL)
            severity: Severity
            if concern.kind == hosts.MIXED_SCRIPTS:
                finding_id, severity = "url_host_lookalike", "error"
                remedy = ("Do not use this metadata: check where it came from, and export it "
                          "again from the IdP's own admin console.")
            elif local:
                finding_id = "url_host_local"
                severity = "error" if what == "sign-in" else "warning"
                remedy = (f"Use the IdP's public {what} URL: export the metadata again from the "
                          "IdP itself (this looks like a test or a tampered file).")
            else:
                finding_id, severity = "url_host_private", "warning"
                remedy = (f"If every user signs in from inside that network only, accept it; "
                          f"otherwise publish the IdP's {what} URL on a public host name.")
            findings.append(Finding(
                finding_id, severity,
                f"The {what} URL {endpoint.location} ({endpoint.binding_name}): {concern.why}. "
                "Microsoft sends each user's browser there.", remedy))
    return findings


def malformed_url_findings(entity_id: str, sso: Sequence[Endpoint],
                           slo: Sequence[Endpoint]) -> list[Finding]:
    """An error for each URL that cannot even be parsed (an unclosed IPv6 bracket, a port out of
    range...): Graph would refuse it, and no check can say anything else about it."""
    findings: list[Finding] = []
    reason = urlparts.problem(entity_id)
    if reason:
        findings.append(Finding(
            "entity_id_malformed", "error",
            f"The entityID '{entity_id}' is not a valid URI: {reason}.",
            "Set the IdP Entity ID in the IdP to a valid URI, such as "
            "https://<your-domain>/saml, and export the metadata again."))
    for what, finding_id, endpoints in (("sign-in", "sso_malformed_url", sso),
                                        ("sign-out", "slo_malformed_url", slo)):
        for endpoint in endpoints:
            reason = urlparts.web_problem(endpoint.location)
            if reason:
                findings.append(Finding(
                    finding_id, "error",
                    f"The {what} URL '{endpoint.location}' ({endpoint.binding_name}) is not a "
                    f"valid URL: {reason}.",
                    f"Correct the {what} URL in the IdP's SAML application and export the "
                    "metadata again."))
    return findings


def validity_findings(valid_until: dt.datetime | None, unreadable: Sequence[str],
                      now: dt.datetime) -> list[Finding]:
    findings = [Finding("valid_until_unreadable", "warning",
                        f"The metadata's validUntil '{text}' is not a valid date and time.",
                        "Export the metadata again.") for text in unreadable]
    if valid_until is not None and valid_until < now:
        findings.append(Finding(
            "metadata_expired", "warning",
            f"The metadata itself expired on {valid_until:%Y-%m-%d %H:%M} UTC (validUntil); "
            "its certificates may still be valid.",
            "Download fresh metadata from the IdP: expired metadata may hold outdated values."))
    elif valid_until is not None and valid_until - now < dt.timedelta(days=EXPIRY_WARNING_DAYS):
        findings.append(Finding(
            "metadata_expiring_soon", "info",
            f"The metadata's validUntil is {valid_until:%Y-%m-%d %H:%M} UTC, within "
            f"{EXPIRY_WARNING_DAYS} days.",
            "Nothing to do now; Entra keeps the values it was given. Watch for a new "
            "signing certificate from the IdP."))
    return findings


def certificate_findings(certs: Sequence[CertificateInfo], now: dt.datetime) -> list[Finding]:
    """Per-certificate findings; an expired signing certificate is an error only when no other
    signing certificate is valid (a rollover that already happened is merely untidy)."""
    findings: list[Finding] = []
    signing = [c for c in certs if c.use in (None, "signing")]
    valid_signers = {c.sha256 for c in signing if c.is_valid_at(now)}
    seen: dict[tuple[str, str | None], int] = {}
    for index, cert in enumerate(certs, start=1):
        label = _label(cert, index)
        is_signer = cert.use in (None, "signing")
        key = (cert.sha256, cert.use)
        if key in seen:
            findings.append(Finding(
                "certificate_duplicate", "warning",
                f"{label} is listed twice (same as certificate {seen[key]}).",
                "Harmless, but a sign the metadata was assembled by hand; export it again."))
            continue
        seen[key] = index
        if now > cert.not_after:
            severe = is_signer and not valid_signers
            findings.append(Finding(
                "certificate_expired", "error" if severe else "warning",
                f"{label} expired on {cert.not_after:%Y-%m-%d} ({-cert.days_left} days ago).",
                "Renew the certificate in the IdP and export the metadata again."
                if severe else "Remove the expired certificate from the IdP's metadata."))
        elif now < cert.not_before:
            findings.append(Finding(
                "certificate_not_yet_valid", "warning",
                f"{label} is not valid before {cert.not_before:%Y-%m-%d %H:%M} UTC.",
                "Check the IdP server's clock, or wait until then before using it."))
        elif cert.days_left < EXPIRY_WARNING_DAYS:
            successor = any(c.sha256 != cert.sha256 and c.not_after > cert.not_after
                            and c.is_valid_at(now) for c in signing)
            findings.append(Finding(
                "certificate_expiring_soon", "warning",
                f"{label} expires on {cert.not_after:%Y-%m-%d}, in {cert.days_left} days"
                + (" (a newer certificate is already listed)." if successor else "."),
                _rollover_remedy(successor) if is_signer else "Renew it in the IdP."))
        if cert.key_type == "RSA" and cert.key_size is not None and cert.key_size < MIN_RSA_BITS:
            findings.append(Finding(
                "certificate_weak_key", "warning",
                f"{label} has a {cert.key_size}-bit RSA key; {MIN_RSA_BITS} bits is the minimum "
                "considered safe.",
                "Create a new certificate with an RSA key of at least 2048 bits in the IdP."))
        if cert.signature_hash in ("sha1", "md5"):
            findings.append(Finding(
                "certificate_sha1", "warning",
                f"{label} is signed with {cert.signature_hash.upper()}, a weak hash.",
                "Create a new certificate signed with SHA-256 in the IdP when convenient."))
        if cert.serial <= 0:
            findings.append(Finding(
                "certificate_serial_not_positive", "warning",
                f"{label} has serial number {cert.serial}; RFC 5280 requires a positive serial "
                "and some software refuses such certificates.",
                "Create a new certificate in the IdP when convenient."))
    return findings


def _rollover_remedy(successor: bool) -> str:
    if successor:
        return ("Nothing is lost: Federator sends the newer certificate as "
                "nextSigningCertificate, so Microsoft accepts both. For a domain already "
                "federated, stage it now: federator update-certificate --metadata FILE "
                "--domain DOMAIN --confirm DOMAIN.")
    return ("Create the next signing certificate in the IdP now, export the metadata again and "
            "stage it before this one expires: federator update-certificate --metadata FILE "
            "--domain DOMAIN --confirm DOMAIN.")


def _label(cert: CertificateInfo, index: int) -> str:
    use = cert.use or "signing/encryption"
    return f"Certificate {index} ({use}, {cert.common_name})"


# Typographic quotes PowerShell takes as string delimiters (about_Quoting_Rules); a URI never
# holds them unencoded (RFC 3986 section 2 allows ASCII only), so no real IdP publishes them.
_QUOTE_LOOKALIKES_RE = re.compile("[\u2018\u2019\u201a\u201b\u201c\u201d\u201e]")


def unsafe_characters(text: str) -> list[str]:
    """The characters in ``text`` no issuer or endpoint URL has a reason to hold: control
    characters, bidirectional overrides, line separators, invisible characters and typographic
    quotes (as escapes)."""
    from core.textsafe import CONTROL_RE, escape_char, is_control

    found = [m.group() for m in CONTROL_RE.finditer(text)]
    found += [m.group() for m in _QUOTE_LOOKALIKES_RE.finditer(text)]
    return list(dict.fromkeys(escape_char(ch) if is_control(ch) else f"U+{ord(ch):04X}"
                              for ch in found))


def unsafe_character_findings(entity_id: str, sso: Sequence[Endpoint],
                              slo: Sequence[Endpoint]) -> list[Finding]:
    """An error for each issuer or URL holding characters that can hide or forge what an admin
    reads or pastes (``unsafe_characters``): such metadata is refused, not repaired."""
    from core.textsafe import one_line

    findings: list[Finding] = []
    fields = [("entityID", entity_id)]
    fields += [(f"sign-in URL ({e.binding_name})", e.location) for e in sso]
    fields += [(f"sign-out URL ({e.binding_name})", e.location) for e in slo]
    for name, value in fields:
        chars = unsafe_characters(value)
        if chars:
            findings.append(Finding(
                "unsafe_characters", "error",
                f"The {name} '{one_line(value)[:200]}' holds characters no real IdP uses "
                f"({', '.join(chars[:8])}): control characters, text-direction overrides, "
                "invisible characters or typographic quotes, which can hide or forge text on "
                "screen and break out of a quoted PowerShell string. Federator will not "
                "federate with it.",
                "Export the metadata again from the IdP itself (not a copy passed through "
                "e-mail or a word processor) and check where this file came from."))
    return findings


def typed_sign_out_findings(url: str) -> list[Finding]:
    """What the checks above find in a sign-out URL the admin gave (``--sign-out-url``, the
    window's Sign-out URL field) because the metadata has none: judged as the metadata's own
    would be (malformed, not https, a local or look-alike host, unsafe characters), with the
    remedy to correct what was given rather than to export the metadata again."""
    import dataclasses

    typed = [Endpoint(BINDING_REDIRECT, url)]
    found = malformed_url_findings("urn:federator:typed", [], typed)
    found += endpoint_findings([], typed) + host_findings([], typed)
    found += unsafe_character_findings("urn:federator:typed", [], typed)
    remedy = ("Correct the sign-out URL you gave (--sign-out-url on the command line, the "
              "Sign-out URL field in the desktop app), or leave it empty.")
    binding = f"({typed[0].binding_name})"
    return [dataclasses.replace(f, message=f.message.replace(binding, "(as given)"),
                                remedy=remedy) for f in found]


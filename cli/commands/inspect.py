"""``federator inspect``: read IdP metadata and show what it says and what Graph would receive.

Exit 0 when the metadata was read (its findings may still hold errors), 2 when it cannot be used.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cli.commands.arguments import add_sign_out_option
from cli.commands.common import EXIT_OK, Context

WIDTH = 100  # as preflight's text

if TYPE_CHECKING:
    from core.certificates import CertificateInfo
    from core.findings import Finding
    from core.metadata import IdpMetadata
    from core.settings import FederationSettings


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser(
        "inspect", help="read IdP metadata and show what Graph will receive",
        description="Read SAML 2.0 IdP metadata (a file or an https:// URL), check it, and show "
                    "the values Federator would send to Microsoft Graph.")
    p.add_argument("source", help="metadata file path or https:// URL")
    p.add_argument("--entity", metavar="ENTITY_ID",
                   help="entity ID to use when the file holds several IdPs")
    add_sign_out_option(p)
    p.add_argument("--signer-certificate", metavar="FILE",
                   help="a certificate you trust to have signed the metadata (PEM or DER)")
    p.add_argument("--json", action="store_true", help="one JSON object on stdout")
    p.set_defaults(handler=handle)


def handle(args: argparse.Namespace, ctx: Context) -> int:
    from core.findings import merge_findings
    from core.metadata import MetadataError
    from core.metadata.xmlsafe import read_file
    from core.preflight.run import require_metadata

    signer: bytes | None = None
    if args.signer_certificate:
        try:
            signer = read_file(Path(args.signer_certificate))
        except MetadataError as exc:
            exc.message = f"Signer certificate: {exc.message}"
            raise
    metadata = require_metadata(args.source, entity=args.entity, signer_certificate=signer,
                                sign_out_uri=args.sign_out_url)
    md, settings = metadata.metadata, metadata.settings
    findings = merge_findings(md.findings, metadata.findings)
    if args.json:
        ctx.emit_json(inspect_json(md, settings, findings))
    else:
        ctx.print(render_text(md, settings, findings))
    return EXIT_OK


def inspect_json(md: IdpMetadata, settings: FederationSettings,
                 findings: list[Finding]) -> dict[str, Any]:
    """The ``--json`` object: the metadata's facts, the Graph values, all findings."""
    body = md.to_json()
    del body["findings"]
    body["source"] = md.source_name
    body["redirected_from"] = md.redirected_from
    body["federation"] = settings.federation_json()
    body["findings"] = [f.to_json() for f in findings]
    return body


def _cert_line(cert: CertificateInfo) -> str:
    return f"{cert.common_name}, SHA-1 {cert.sha1}"


def render_text(md: IdpMetadata, settings: FederationSettings,
                findings: list[Finding]) -> str:
    """A compact summary an admin can read in a terminal."""
    from core.plan import shorten_certificate

    lines: list[str] = []
    add = lines.append
    add(f"Identity provider  {md.entity_id}")
    if md.source_name:
        add(f"Source             {md.source_name}")
    if md.redirected_from:
        add(f"                   (redirected from {md.redirected_from})")
    if len(md.entities_in_source) > 1:
        add(f"                   ({len(md.entities_in_source)} identity providers in the source)")
    if not md.signed:
        add("Signature          not signed")
    elif md.signature_valid is True:
        ids = {f.id for f in findings}
        scope = ("integrity only" if "signature_self_embedded" in ids
                 else "by the certificate you supplied")
        expired = ", signer certificate expired" if "signature_signer_expired" in ids else ""
        add(f"Signature          valid ({scope}{expired})")
    elif md.signature_valid is False:
        add("Signature          INVALID")
    else:
        add("Signature          signed, not checked")
    if md.signed and md.signature_detail:
        lines += _wrapped(md.signature_detail, " " * 19, " " * 19)
    if md.valid_until is not None:
        add(f"Valid until        {md.valid_until:%Y-%m-%d %H:%M} UTC")
    if md.cache_duration:
        add(f"Cache duration     {md.cache_duration}")
    add("")
    width = max([16, *(len(e.binding_name) for e in (*md.sso, *md.slo))])
    add("Sign-in (SSO)" if md.sso else "Sign-in (SSO)      (none)")
    for e in md.sso:
        add(f"  {e.binding_name:<{width}} {e.location}")
    add("Sign-out (SLO)" if md.slo else "Sign-out (SLO)     (none)")
    for e in md.slo:
        add(f"  {e.binding_name:<{width}} {e.location}")
    if md.name_id_formats:
        add("NameID formats")
        for fmt in md.name_id_formats:
            add(f"  {fmt}")
    add("")
    add(f"Certificates ({len(md.certificates)})" if md.certificates
        else "Certificates       (none)")
    for n, cert in enumerate(md.certificates, start=1):
        add(f"  {n}. {cert.use or 'signing+encryption'}: {cert.subject}")
        if cert.issuer != cert.subject:
            add(f"     issuer   {cert.issuer}")
        if cert.days_left < 0:
            state = f"EXPIRED {-cert.days_left} days ago"
        elif cert.not_before > _now():
            state = "NOT YET VALID"
        else:
            state = f"{cert.days_left} days left"
        add(f"     valid    {cert.not_before:%Y-%m-%d} to {cert.not_after:%Y-%m-%d} ({state})")
        signed_by = cert.signature_hash or "unknown hash"
        self_signed = ", self-signed" if cert.self_signed else ""
        add(f"     key      {cert.key_description}, signed with {signed_by}{self_signed}, "
            f"serial {cert.serial}")
        add(f"     SHA-1    {cert.sha1}")
        add(f"     SHA-256  {cert.sha256}")
    add("")
    add("What Graph will receive (internalDomainFederation)")
    by_der = {c.der_base64: c for c in md.certificates}
    for name, value in settings.federation_json().items():
        if value is None:
            shown = "(none)"
        elif name in ("signingCertificate", "nextSigningCertificate"):
            known = by_der.get(value)
            shown = _cert_line(known) if known else shorten_certificate(value)
        else:
            shown = str(value)
        add(f"  {name:<32} {shown}")
    add("")
    errors = sum(f.severity == "error" for f in findings)
    warnings = sum(f.severity == "warning" for f in findings)
    if not findings:
        add("Findings           none")
    else:
        notes = len(findings) - errors - warnings
        add(f"Findings ({errors} error{'s' * (errors != 1)}, "
            f"{warnings} warning{'s' * (warnings != 1)}"
            + (f", {notes} note{'s' * (notes != 1)})" if notes else ")"))
    for f in findings:
        lines += _wrapped(f"{f.severity.upper():<8} {f.message} [{f.id}]", "  ", " " * 11)
        if f.remedy:
            lines += _wrapped(f"-> {f.remedy}", " " * 11, " " * 14)
    # One value, one line: a newline or CR inside a metadata value is shown, not obeyed.
    from core.textsafe import one_line

    return "\n".join(one_line(line) for line in lines)


def _wrapped(text: str, first: str, rest: str) -> list[str]:
    """``text`` wrapped for a terminal; URLs and identifiers are never broken."""
    import textwrap

    return textwrap.wrap(text, WIDTH, initial_indent=first, subsequent_indent=rest,
                         break_long_words=False, break_on_hyphens=False) or [first]


def _now() -> Any:
    import datetime as dt

    return dt.datetime.now(dt.UTC)

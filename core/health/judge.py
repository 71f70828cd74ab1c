"""The judgement of one federated domain: Graph's configuration against the IdP's metadata.

Pure: it is given what was read (the tenant's configuration, the IdP's metadata or why it could
not be read, realm discovery's answer) and the clock, and returns a :class:`DomainHealth`. The
command line and the window show the same verdict because both call this.

Facts it relies on: Entra accepts tokens signed with ``signingCertificate`` or
``nextSigningCertificate`` (https://learn.microsoft.com/graph/api/resources/internaldomainfederation),
so staging the IdP's new certificate as next before the IdP switches avoids an outage; a token
whose issuer differs from ``issuerUri`` is refused (AADSTS50107,
https://learn.microsoft.com/entra/identity-platform/reference-error-codes).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import Any

from core.health.model import (
    ATTENTION,
    ATTENTION_DAYS,
    BROKEN,
    BROKEN_DAYS,
    FIX_PROMOTE,
    FIX_STAGE,
    FIX_UPDATE,
    INFO,
    UNKNOWN,
    CertificateView,
    DomainHealth,
    HealthFinding,
)
from core.metadata.model import IdpMetadata


@dataclass(frozen=True)
class RealmAnswer:
    """What home realm discovery said for the domain (``error`` when it could not be asked)."""

    namespace_type: str
    error: str | None = None


def _der(text: str) -> bytes | None:
    body = text.replace("-----BEGIN CERTIFICATE-----", "").replace("-----END CERTIFICATE-----", "")
    try:
        return base64.b64decode("".join(body.split()), validate=True) or None
    except (binascii.Error, ValueError):
        return None


def certificate_view(slot: str, text: str, now: dt.datetime,
                     idp_sha256: set[str] | None) -> CertificateView:
    """The tenant's certificate in ``slot`` as the watch shows it (unreadable text included)."""
    from core.certificates import CertificateInfo

    der = _der(text)
    info = None
    if der is not None:
        try:
            info = CertificateInfo.from_der(der, now=now)
        except Exception:  # any decoding failure of text from Graph: shown as unreadable
            info = None
    if info is None:
        digest = hashlib.sha256(der or text.encode()).hexdigest().upper()
        return CertificateView(slot, "(unreadable certificate text)", "", digest, "", None,
                               None if idp_sha256 is None else digest in idp_sha256,
                               readable=False)
    # days_left from the watch's clock, rounded down: "0 days" is the last day.
    days = (info.not_after - now).days
    return CertificateView(slot, info.subject, info.sha1, info.sha256,
                           info.not_after.strftime("%Y-%m-%dT%H:%M:%SZ"), days,
                           None if idp_sha256 is None else info.sha256 in idp_sha256)


def judge_domain(domain: str, authentication: str, federation: dict[str, Any] | None, *,
                 now: dt.datetime, metadata: IdpMetadata | None = None,
                 metadata_error: str | None = None, source: str | None = None,
                 realm: RealmAnswer | None = None,
                 inherits_from_root: bool = False) -> DomainHealth:
    """The verdict for one domain. ``metadata`` is the IdP's current metadata (``None`` with
    ``metadata_error`` when it could not be read, ``None`` alone when no source is known)."""
    health = DomainHealth(domain=domain, authentication=authentication, source=source)
    if authentication.lower() != "federated":
        return health
    add = health.findings.append
    watch_fix = f"federator watch --domain {domain} --fix"
    if federation is None and inherits_from_root:
        add(HealthFinding(
            "inherits_root", INFO,
            f"{domain} is a subdomain: it follows its root domain's federation and is checked "
            "with the root domain."))
        return health
    if federation is None:
        add(HealthFinding(
            "no_configuration", BROKEN,
            f"{domain} is Federated but Graph returns no federation configuration: sign-ins "
            "have nothing to be checked against.",
            f"federator status --domain {domain}, then restore a snapshot from federator "
            "history (or federate it again)."))
        return health
    health.issuer = str(federation.get("issuerUri") or "") or None
    idp_sha256: set[str] | None = None
    if metadata is not None:
        health.idp_entity_id = metadata.entity_id
        health.idp_signing_sha256 = [c.sha256 for c in metadata.signing_certificates]
        idp_sha256 = set(health.idp_signing_sha256)
    current_text = str(federation.get("signingCertificate") or "")
    next_text = str(federation.get("nextSigningCertificate") or "")
    current = certificate_view("signingCertificate", current_text, now, idp_sha256) \
        if current_text else None
    staged = certificate_view("nextSigningCertificate", next_text, now, idp_sha256) \
        if next_text else None
    health.signing_certificate = current
    health.next_signing_certificate = staged

    # The IdP's metadata against the tenant's certificates.
    if metadata is not None and idp_sha256 is not None:
        held = {c.sha256 for c in (current, staged) if c is not None}
        # Only a certificate newer than the one the tenant signs with is one to stage: an IdP
        # still publishing the certificate it rotated away from is not asking for it back.
        current_start = next((c.not_before for c in metadata.signing_certificates
                              if current is not None and c.sha256 == current.sha256), None)
        new = [c for c in metadata.signing_certificates if c.sha256 not in held
               and c.not_after > now and (current_start is None or c.not_before > current_start)]
        current_listed = current is not None and current.in_idp_metadata
        staged_listed = staged is not None and staged.in_idp_metadata
        if current is not None and not current_listed and staged_listed:
            add(HealthFinding(
                "promote_now", ATTENTION,
                "The IdP's metadata no longer lists the tenant's signing certificate, only the "
                "staged next one: the IdP signs with the new certificate. Entra still accepts it "
                "as next; promote it so the old one can go.",
                f"Promote it: {watch_fix}", fix=FIX_PROMOTE))
        elif current is not None and not current_listed:
            add(HealthFinding(
                "idp_rotated", BROKEN,
                "The tenant's signing certificate is no longer in the IdP's metadata: the IdP "
                "has rotated its certificate, and sign-ins signed with the new one fail.",
                f"Make the IdP's certificate the signing one now: {watch_fix}",
                fix=FIX_PROMOTE))
        elif new:
            newest = max(new, key=lambda c: c.not_before)
            add(HealthFinding(
                "stage_new_certificate", ATTENTION,
                f"The IdP publishes a certificate the tenant does not have yet "
                f"({newest.subject}, SHA-1 {newest.sha1}, valid from "
                f"{newest.not_before:%Y-%m-%d}): stage it now, so sign-ins keep working when "
                "the IdP switches to it.",
                f"Stage it as next signing certificate: {watch_fix}", fix=FIX_STAGE))
        health.findings.extend(_settings_findings(domain, federation, metadata, now, source))
    elif metadata_error is not None:
        add(HealthFinding(
            "metadata_unreadable", UNKNOWN,
            f"The IdP's metadata could not be read from {source}: {metadata_error}",
            "Check the address and the network; if the IdP moved it, set the new source "
            "(SOURCE: the metadata's https:// URL or file): "
            f"federator watch --domain {domain} --set-source SOURCE"))
    else:
        add(HealthFinding(
            "no_source", INFO,
            f"Federator does not know where the IdP's metadata for {domain} comes from (it was "
            "federated outside Federator, or before Federator remembered sources), so only the "
            "tenant's side is checked.",
            "Tell it where (SOURCE: the IdP metadata's https:// URL or file): "
            f"federator watch --domain {domain} --set-source SOURCE"))

    health.findings.extend(_expiry_findings(domain, current, staged))
    if realm is not None and realm.error is None and realm.namespace_type != "Federated":
        add(HealthFinding(
            "realm_disagrees", ATTENTION,
            f"Graph says {domain} is Federated, but sign-in (home realm discovery) says "
            f"{realm.namespace_type}: users are not sent to the IdP yet.",
            f"Microsoft takes up to 2 hours (24 for a converted domain); follow it with: "
            f"federator status --domain {domain} --wait"))
    return health


def _expiry_findings(domain: str, current: CertificateView | None,
                     staged: CertificateView | None) -> list[HealthFinding]:
    if current is None:
        return [HealthFinding("no_signing_certificate", BROKEN,
                              f"The federation of {domain} has no signing certificate.",
                              f"Stage the IdP's certificate: federator watch --domain {domain} "
                              "--fix")]
    if not current.readable or current.days_left is None:
        return [HealthFinding("certificate_unreadable", ATTENTION,
                              "The tenant's signing certificate cannot be decoded.",
                              f"Compare it with the IdP's: federator status --domain {domain}")]
    days = current.days_left
    staged_ok = staged is not None and staged.days_left is not None and staged.days_left > days
    if staged_ok:
        remedy = ("A next certificate is staged: once the IdP signs with it, promote it: "
                  f"federator watch --domain {domain} --fix")
        fix: str | None = FIX_PROMOTE
    else:
        remedy = ("Ask the IdP for its new certificate (or renew it in the IdP), then stage it: "
                  f"federator watch --domain {domain} --fix")
        fix = None
    when = (f"expired {-days} day(s) ago" if days < 0 else
            "expires today" if days == 0 else f"expires in {days} day(s) ({current.not_after})")
    if days < 0:
        return [HealthFinding("certificate_expired", BROKEN,
                              f"The signing certificate of {domain} {when}: sign-ins fail.",
                              remedy, fix=fix)]
    if days <= BROKEN_DAYS:
        return [HealthFinding("certificate_expiring", BROKEN,
                              f"The signing certificate of {domain} {when}.", remedy, fix=fix)]
    if days <= ATTENTION_DAYS:
        return [HealthFinding("certificate_expiring", ATTENTION,
                              f"The signing certificate of {domain} {when}.", remedy, fix=fix)]
    return []


def _settings_findings(domain: str, federation: dict[str, Any], metadata: IdpMetadata,
                       now: dt.datetime, source: str | None) -> list[HealthFinding]:
    """Issuer and URLs of the IdP's metadata against the tenant's (the values Federator would
    send, derived by the same rule as at federation time)."""
    from core.settings import settings_from_metadata
    from core.shellquote import quote_for_shell

    settings, _ = settings_from_metadata(metadata, now=now)
    found: list[HealthFinding] = []
    given = quote_for_shell(source) if source else "SOURCE"
    update = (f"Update the federation with the IdP's values (the plan shows each one): "
              f"federator federate --metadata {given} --domain {domain} --confirm {domain}")
    pairs = [("issuerUri", settings.issuer_uri, "issuer_changed",
              "the IdP's entity ID (issuer) differs from the tenant's issuerUri: every sign-in is "
              "refused (AADSTS50107)"),
             ("passiveSignInUri", settings.passive_sign_in_uri, "sign_in_url_changed",
              "the IdP's sign-in URL differs from the tenant's passiveSignInUri")]
    if settings.sign_out_uri:  # metadata without a sign-out URL: the admin typed one; keep it
        pairs.append(("signOutUri", settings.sign_out_uri, "sign_out_url_changed",
                      "the IdP's sign-out URL differs from the tenant's signOutUri"))
    for name, want, finding_id, what in pairs:
        have = str(federation.get(name) or "")
        if want and have != want:
            found.append(HealthFinding(
                finding_id, ATTENTION,
                f"For {domain}, {what} ({have or 'none'} in the tenant, {want} in the "
                "metadata).", update, fix=FIX_UPDATE))
    return found

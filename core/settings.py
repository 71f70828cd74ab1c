"""The values Graph will receive: an ``internalDomainFederation`` body derived from IdP metadata.

Field names mirror Graph's properties
(https://learn.microsoft.com/graph/api/resources/internaldomainfederation) in snake_case so that the
mapping
to the camelCase body is mechanical and reviewable. The choice rules (which SSO endpoint, which
certificate) live here and nowhere else: the GUI, the plan and the sandbox all call
:func:`settings_from_metadata`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, fields
from typing import Any

from core.findings import Finding
from core.metadata.model import BINDING_POST, BINDING_REDIRECT, BINDING_SOAP, IdpMetadata

MFA_BEHAVIORS = ("acceptIfMfaDoneByFederatedIdp", "enforceMfaByFederatedIdp",
                 "rejectMfaByFederatedIdp")
PROMPT_LOGIN_BEHAVIORS = ("translateToFreshPasswordAuthentication", "nativeSupport", "disabled")

# Graph's property names, in the order a reviewer expects to read them.
_GRAPH_NAMES = {
    "display_name": "displayName",
    "issuer_uri": "issuerUri",
    "passive_sign_in_uri": "passiveSignInUri",
    "active_sign_in_uri": "activeSignInUri",
    "sign_out_uri": "signOutUri",
    "signing_certificate": "signingCertificate",
    "next_signing_certificate": "nextSigningCertificate",
    "preferred_authentication_protocol": "preferredAuthenticationProtocol",
    "federated_idp_mfa_behavior": "federatedIdpMfaBehavior",
    "prompt_login_behavior": "promptLoginBehavior",
    "is_signed_authentication_request_required": "isSignedAuthenticationRequestRequired",
}

# The six values derived from metadata (``inspect`` shows exactly these).
METADATA_PROPERTIES = ("issuerUri", "passiveSignInUri", "activeSignInUri", "signOutUri",
                       "signingCertificate", "nextSigningCertificate")


@dataclass(frozen=True)
class FederationSettings:
    """One domain's federation settings, as Graph's ``internalDomainFederation`` names them.

    Defaults of the options
    (https://learn.microsoft.com/graph/api/resources/internaldomainfederation):
    ``federated_idp_mfa_behavior`` is
    ``acceptIfMfaDoneByFederatedIdp`` (what Graph does when neither it nor SupportsMfa is set);
    ``prompt_login_behavior`` ``None`` is omitted, and Graph then behaves as
    ``translateToFreshPasswordAuthentication``; ``display_name`` ``None`` is omitted;
    ``is_signed_authentication_request_required`` is Graph's default ``False``.
    Certificates are single-line base64 of DER. ``issuer_uri`` is the entityID, verbatim.
    """

    issuer_uri: str
    passive_sign_in_uri: str | None
    active_sign_in_uri: str | None
    sign_out_uri: str | None
    signing_certificate: str | None
    next_signing_certificate: str | None = None
    preferred_authentication_protocol: str = "saml"
    display_name: str | None = None
    federated_idp_mfa_behavior: str = "acceptIfMfaDoneByFederatedIdp"
    prompt_login_behavior: str | None = None
    is_signed_authentication_request_required: bool = False

    def to_graph_json(self) -> dict[str, Any]:
        """The camelCase body for ``POST /domains/{d}/federationConfiguration``.

        The six metadata-derived properties and ``preferredAuthenticationProtocol`` are always
        present (``null`` when unknown); the options only when set.
        """
        body: dict[str, Any] = {}
        for f in fields(self):
            name = _GRAPH_NAMES[f.name]
            value = getattr(self, f.name)
            if name in METADATA_PROPERTIES or name == "preferredAuthenticationProtocol":
                body[name] = value
            elif name == "isSignedAuthenticationRequestRequired":
                if value:
                    body[name] = True
            elif value is not None:
                body[name] = value
        return body

    def federation_json(self) -> dict[str, Any]:
        """Only the six metadata-derived values plus the protocol (``inspect``'s ``federation``)."""
        body = self.to_graph_json()
        return {k: body[k] for k in (*METADATA_PROPERTIES, "preferredAuthenticationProtocol")}

    @classmethod
    def from_graph_json(cls, body: dict[str, Any]) -> FederationSettings:
        """Read Graph's camelCase object back (unknown properties are ignored)."""
        reverse = {v: k for k, v in _GRAPH_NAMES.items()}
        values: dict[str, Any] = {}
        for key, value in body.items():
            if key in reverse:
                values[reverse[key]] = value
        values.setdefault("issuer_uri", "")
        for required in ("passive_sign_in_uri", "active_sign_in_uri", "sign_out_uri",
                         "signing_certificate"):
            values.setdefault(required, None)
        if values.get("preferred_authentication_protocol") is None:
            values["preferred_authentication_protocol"] = "saml"
        if values.get("federated_idp_mfa_behavior") is None:
            values["federated_idp_mfa_behavior"] = "acceptIfMfaDoneByFederatedIdp"
        if values.get("is_signed_authentication_request_required") is None:
            values["is_signed_authentication_request_required"] = False
        return cls(**values)


def _is_jumpcloud(md: IdpMetadata) -> bool:
    """The metadata is JumpCloud's (its entityID or sign-in URL on jumpcloud.com): only then
    is JumpCloud's user portal a useful example of a sign-out URL."""
    from urllib.parse import urlsplit

    for url in [md.entity_id, *(e.location for e in md.sso)]:
        try:
            host = (urlsplit(url).hostname or "").lower()
        except ValueError:
            continue
        if host == "jumpcloud.com" or host.endswith(".jumpcloud.com"):
            return True
    return False


def settings_from_metadata(md: IdpMetadata, *, sign_out_uri_override: str | None = None,
                           now: dt.datetime | None = None,
                           ) -> tuple[FederationSettings, list[Finding]]:
    """Derive Graph's values from ``md`` (the rules below) and say what needs attention.

    - ``issuerUri``: the entityID verbatim (a trailing slash matters: AADSTS50107).
    - ``passiveSignInUri``: the HTTP-POST SSO location, else HTTP-Redirect (warning).
    - ``activeSignInUri``: the SOAP (ECP) SSO location, else the passive URI.
    - ``signOutUri``: the override, else SLO HTTP-Redirect, else HTTP-POST, else ``None`` (warning).
    - ``signingCertificate``: among signing certificates valid ``now``, the one valid first;
      ``nextSigningCertificate``: the newest other one. None valid: both ``None`` and an error.
    """
    now = now or dt.datetime.now(dt.UTC)
    findings: list[Finding] = []

    post = md.sso_for(BINDING_POST)
    redirect = md.sso_for(BINDING_REDIRECT)
    passive: str | None = None
    if post is not None:
        passive = post.location
    elif redirect is not None:
        passive = redirect.location
        findings.append(Finding(
            "sso_post_missing", "warning",
            "The IdP offers no HTTP-POST sign-in endpoint; Federator uses the HTTP-Redirect one "
            f"({redirect.location}).",
            "Check that the IdP accepts Entra's sign-in requests at that URL, or enable the "
            "HTTP-POST binding in the IdP's SAML application."))
    else:
        findings.append(Finding(
            "sso_missing", "error",
            "The metadata has no HTTP-POST or HTTP-Redirect sign-in (SingleSignOnService) URL.",
            "Export the metadata of the IdP's SAML application again; users could not sign in."))

    soap = md.sso_for(BINDING_SOAP)
    active = soap.location if soap is not None else passive

    # An empty one given (the window's cleared field, --sign-out-url "") means none given.
    sign_out: str | None = (sign_out_uri_override or "").strip() or None
    if sign_out is not None:
        from core.metadata.checks import typed_sign_out_findings

        findings += typed_sign_out_findings(sign_out)
    if sign_out is None:
        slo = md.slo_for(BINDING_REDIRECT) or md.slo_for(BINDING_POST)
        sign_out = slo.location if slo is not None else None
    if sign_out is None:
        findings.append(Finding(
            "slo_missing", "warning",
            "The metadata has no sign-out (SingleLogoutService) URL with a usable binding.",
            "Leave it empty (users then stay signed in at the IdP after signing out of "
            "Microsoft 365), or give one with --sign-out-url URL (in the desktop app's Metadata "
            "step, its Sign-out URL field): the IdP's user portal"
            + (", for JumpCloud https://console.jumpcloud.com/userconsole/."
               if _is_jumpcloud(md) else ".")))

    if md.want_authn_requests_signed:
        findings.append(Finding(
            "authn_requests_signed_wanted", "info",
            "The IdP asks for signed sign-in requests (WantAuthnRequestsSigned=\"true\"); Entra "
            "sends them unsigned, as isSignedAuthenticationRequestRequired stays false (Graph's "
            "default).",
            "Nothing to do if the IdP accepts unsigned requests (most do). If sign-in fails at "
            "the IdP because the request is not signed, turn that requirement off in the IdP's "
            "SAML application."))

    current, following = choose_signing_certificates(md, now=now)
    if current is None:
        if md.signing_certificates:
            finding_id = "no_valid_signing_certificate"
            message = "None of the metadata's signing certificates is valid now."
        else:
            finding_id = "no_signing_certificate"
            message = "The metadata has no signing certificate."
        findings.append(Finding(
            finding_id, "error", message,
            "Renew or add the signing certificate in the IdP, then export its metadata again. "
            "Entra cannot check sign-ins without a valid certificate."))

    settings = FederationSettings(
        issuer_uri=md.entity_id,
        passive_sign_in_uri=passive,
        active_sign_in_uri=active,
        sign_out_uri=sign_out,
        signing_certificate=current,
        next_signing_certificate=following,
    )
    return settings, findings


def rollover_certificates(md: IdpMetadata, *, now: dt.datetime | None = None) -> list[str]:
    """The metadata's signing certificates a certificate rollover may use, as base64 DER.

    Every signing certificate that has not expired, including one not valid yet: a planned
    rollover publishes the next certificate before it takes effect, and staging it as
    ``nextSigningCertificate`` ahead of time is what lets Entra accept it the moment the IdP
    switches (https://learn.microsoft.com/graph/api/resources/internaldomainfederation).
    An expired certificate is never offered. :func:`core.operations.update_certificate` picks
    the newest and refuses to promote one that is not valid yet. Both faces call this.
    """
    when = now or dt.datetime.now(dt.UTC)
    seen: set[str] = set()
    usable = []
    for cert in md.signing_certificates:
        if when <= cert.not_after and cert.sha256 not in seen:
            seen.add(cert.sha256)
            usable.append(cert.der_base64)
    return usable


def choose_signing_certificates(md: IdpMetadata, *, now: dt.datetime
                                ) -> tuple[str | None, str | None]:
    """(signingCertificate, nextSigningCertificate) as base64 DER, the oldest valid one signs, the
    newest other valid one is next."""
    seen: set[str] = set()
    valid = []
    for cert in md.signing_certificates:
        if cert.is_valid_at(now) and cert.sha256 not in seen:
            seen.add(cert.sha256)
            valid.append(cert)
    if not valid:
        return None, None
    oldest = min(valid, key=lambda c: (c.not_before, c.not_after))
    others = [c for c in valid if c is not oldest]
    newest = max(others, key=lambda c: (c.not_before, c.not_after)) if others else None
    return oldest.der_base64, newest.der_base64 if newest else None

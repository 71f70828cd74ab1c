"""Entra ID's checks on a posted SAML 2.0 response, in Entra's order, with the code each gives.

Order, as observed (N. Syynimaa, https://aadinternals.com/post/aad-deepdive/): find the realm
by the response's Issuer (the user's domain is not used) -> the signing key matches the realm's
certificate -> the XML signature -> find the user by ImmutableID only -> account state. The
token checks Microsoft requires but gives no code for (status, audience, validity window,
NameID format) are placed after the signature, and give AADSTS50008 (``codes.UNDOCUMENTED``).

Requirements from "Use a SAML 2.0 IdP for SSO",
https://learn.microsoft.com/entra/identity/hybrid/connect/how-to-connect-fed-saml-idp: issuer
equal to the domain's issuerUri; the assertion signed; audience ``urn:federation:MicrosoftOnline``;
NameID persistent and equal to the user's ImmutableID; IDPEmail equal to the UPN.

Where Microsoft is silent, ``Rules`` holds both readings: ``Rules.strict()`` (no clock
tolerance, IDPEmail required, as documented) is what the doctor always applies, so it never
predicts success where either reading fails; ``Rules.lenient()`` (5 minutes of skew, common in
SAML stacks, and IDPEmail not enforced, as captured traces show) is the sandbox's other reading.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from core.certificates import CertificateInfo
from core.findings import Finding, Severity
from core.signin import codes
from core.signin.response import (
    ParsedResponse,
    ResponseFacts,
    check_signature,
    parse,
    parse_time,
    read_facts,
    sha1_hex,
)

AUDIENCE = "urn:federation:MicrosoftOnline"
LOGIN_SRF = "https://login.microsoftonline.com/login.srf"
PERSISTENT = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"
SUCCESS = "urn:oasis:names:tc:SAML:2.0:status:Success"
BEARER = "urn:oasis:names:tc:SAML:2.0:cm:bearer"
# SAML stacks commonly allow 5 minutes of clock difference; Microsoft documents none for this
# leg ("An inaccurate clock time can cause federated logins to fail", the page above).
LENIENT_SKEW = dt.timedelta(minutes=5)


@dataclass(frozen=True)
class Rules:
    skew: dt.timedelta = dt.timedelta(0)
    idpemail_required: bool = True
    name: str = "strict"

    @classmethod
    def strict(cls) -> Rules:
        return cls()

    @classmethod
    def lenient(cls) -> Rules:
        return cls(LENIENT_SKEW, False, "lenient")


@dataclass(frozen=True)
class Realm:
    """One federated domain as Entra holds it: ``certificates`` is signingCertificate then, when
    set, nextSigningCertificate."""

    domain: str
    issuer_uri: str
    certificates: tuple[CertificateInfo, ...] = ()
    protocol: str | None = "saml"


@dataclass(frozen=True)
class DirectoryUser:
    upn: str
    immutable_id: str | None
    enabled: bool = True


@dataclass
class Verdict:
    ok: bool
    aadsts: str | None
    findings: list[Finding]
    facts: ResponseFacts
    realm: str | None = None
    user: str | None = None
    matched_certificate: str | None = None  # "signingCertificate" / "nextSigningCertificate"
    codes: list[str | None] = field(default_factory=list)  # per finding

    def to_json(self) -> dict[str, Any]:
        return {"verdict": "ok" if self.ok else "fail", "predicted_error": self.aadsts,
                "findings": [f.to_json() | {"aadsts": c}
                             for f, c in zip(self.findings, self.codes, strict=True)],
                "response": self.facts.to_json(), "domain": self.realm, "user": self.user,
                "matched_certificate": self.matched_certificate}


UserLookup = Callable[[str], "DirectoryUser | None"]

_VENDORS = (("jumpcloud.com", "JumpCloud"), ("okta.com", "Okta"), ("oktapreview.com", "Okta"),
            ("accounts.google.com", "Google"), ("onelogin.com", "OneLogin"),
            ("/idp/shibboleth", "Shibboleth"))
_VENDOR_FIX: dict[tuple[str, str], str] = {
    ("JumpCloud", "AADSTS50107"): "In JumpCloud, the Microsoft 365 connector's 'IdP Entity ID' "
        "is the issuer: make it equal to the domain's issuerUri.",
    ("JumpCloud", "AADSTS51004"): "In JumpCloud, bind the user to the Microsoft 365 directory "
        "integration so that the connector sends the user's immutable ID.",
    ("Google", "AADSTS51004"): "Google sends the primary email as NameID: the user's ImmutableID "
        "must equal that address exactly (case-sensitive); after a rename it is stale.",
    ("Google", "AADSTS50107"): "Google's issuer is https://accounts.google.com/o/saml2?idpid=...; "
        "copy it exactly from the Microsoft Office 365 app's details.",
    ("Okta", "AADSTS51004"): "In Okta, the ImmutableID mapping defaults to the AD externalId "
        "(objectGUID); for users not from AD, map it, e.g. to user.getInternalProperty(\"id\").",
    ("OneLogin", "AADSTS51004"): "In OneLogin, the Office 365 connector's ImmutableID is 'AD ID' "
        "or a generated value: provisioning must write the same value to the user in Entra.",
    ("Shibboleth", "AADSTS51004"): "In Shibboleth, send a persistent NameID from an "
        "attribute-sourced generator whose source is the base64 objectGUID, with omitQualifiers.",
    ("Shibboleth", "AADSTS50107"): "In Shibboleth, the issuer is the IdP's entityID in "
        "idp.properties (idp.entityID).",
}


def vendor_of(issuer: str | None) -> str | None:
    text = (issuer or "").lower()
    for needle, vendor in _VENDORS:
        if needle in text:
            return vendor
    return None


class _Collector:
    def __init__(self, vendor: str | None) -> None:
        self.findings: list[Finding] = []
        self.codes: list[str | None] = []
        self.vendor = vendor

    def add(self, id_: str, severity: Severity, message: str, remedy: str | None = None,
            code: str | None = None) -> None:
        hint = _VENDOR_FIX.get((self.vendor or "", code or ""))
        if hint:
            remedy = f"{remedy} {hint}" if remedy else hint
        self.findings.append(Finding(id_, severity, message, remedy))
        self.codes.append(code)

    def first_error(self) -> str | None:
        for finding, code in zip(self.findings, self.codes, strict=True):
            if finding.severity == "error":
                return code
        return None

    def failed(self) -> bool:
        return any(f.severity == "error" for f in self.findings)


def _remedy_for(code: str) -> str:
    entry = codes.CODES.get(code)
    return entry.fix if entry else ""


def judge(response: bytes | ParsedResponse, realms: Sequence[Realm],
          find_user: UserLookup | None, *, now: dt.datetime, rules: Rules | None = None,
          expected: DirectoryUser | None = None, request_id: str | None = None) -> Verdict:
    """Entra's verdict on ``response`` for a tenant with ``realms`` (see module doc).

    ``find_user`` looks a user up by ImmutableID (None: the directory cannot be read; the user
    checks are then skipped, with a warning). ``now`` is when Entra receives the post.
    ``expected`` (optional) is the user the admin meant to sign in; ``request_id`` the ID of the
    AuthnRequest the response answers. ``InputError`` for unusable input.
    """
    rules = rules or Rules.strict()
    parsed = response if isinstance(response, ParsedResponse) else parse(response)
    facts = read_facts(parsed.root, parsed.assertion)
    out = _Collector(vendor_of(facts.issuer))
    verdict = Verdict(False, None, out.findings, facts, codes=out.codes)

    def finish() -> Verdict:
        verdict.aadsts = out.first_error()
        verdict.ok = not out.failed()
        return verdict

    # R5 (before anything, a non-success status carries no assertion worth reading).
    if len(parsed.assertions) != 1:
        count = len(parsed.assertions)
        out.add("response_assertions", "error",
                f"The response holds {count} assertions; Entra expects exactly one.",
                "Configure the IdP to send one signed assertion per response.",
                codes.UNDOCUMENTED)
        if facts.status and facts.status != SUCCESS:
            out.add("response_status", "error",
                    f"The IdP answered with status {facts.status}, not Success: it refused the "
                    "sign-in itself.", "Read the IdP's own log for why it refused the user.",
                    codes.UNDOCUMENTED)
        return finish()
    assertion = parsed.assertion
    assert assertion is not None

    # R6: find the realm by issuer, exactly.
    issuers = [i for i in (facts.issuer, facts.assertion_issuer) if i is not None]
    realm = next((r for r in realms if issuers and all(i == r.issuer_uri for i in issuers)),
                 None)
    if realm is None:
        shown = facts.assertion_issuer or facts.issuer or "(none)"
        near = [r for r in realms if r.issuer_uri.rstrip("/").lower() == shown.rstrip("/").lower()]
        why = (f" It differs from {near[0].domain}'s issuerUri '{near[0].issuer_uri}' only in "
               "case or a trailing slash: Entra compares them byte for byte." if near else "")
        out.add("issuer_unknown", "error",
                f"Entra finds no federated domain whose issuerUri is '{shown}'.{why}",
                _remedy_for("AADSTS50107"), "AADSTS50107")
        return finish()
    verdict.realm = realm.domain

    # R7-R9: signatures, checked with the realm's certificates only.
    response_check = check_signature("response", parsed.root, realm.certificates)
    assertion_check = check_signature("assertion", assertion, realm.certificates)
    checks = [c for c in (response_check, assertion_check) if c is not None]
    embedded = next((c.embedded_der for c in checks if c.embedded_der), None)
    facts.certificate_sha1 = sha1_hex(embedded) if embedded else None
    facts.signature_algorithm = next((c.algorithm for c in checks if c.algorithm), None)
    configured = {c.der for c in realm.certificates}
    for check in checks:
        if check.error is None:
            continue
        if check.embedded_der is not None and check.embedded_der not in configured:
            out.add(f"{check.where}_signing_key", "error",
                    f"The {check.where} is signed with a certificate (SHA-1 "
                    f"{sha1_hex(check.embedded_der)}) that is neither {realm.domain}'s "
                    "signingCertificate nor its nextSigningCertificate.",
                    _remedy_for("AADSTS500081").replace(
                        "--domain DOMAIN --confirm DOMAIN",
                        f"--domain {realm.domain} --confirm {realm.domain}"), "AADSTS500081")
        else:
            out.add(f"{check.where}_signature_invalid", "error",
                    f"The {check.where}'s signature does not verify with {realm.domain}'s "
                    f"configured certificate: {check.error}.",
                    _remedy_for("AADSTS50006"), "AADSTS50006")
    if out.failed():
        return finish()
    if assertion_check is None:
        out.add("assertion_unsigned", "error",
                "The assertion is not signed. Microsoft requires a signed assertion (a signed "
                "response alone is not enough: Entra's metadata says WantAssertionsSigned); "
                "Microsoft documents no code for this.",
                "Turn on assertion signing in the IdP (Google: it signs the assertion always; "
                "Shibboleth: signAssertions).", codes.UNDOCUMENTED)
        return finish()

    # From here on every value comes from what the signatures cover.
    signed_assertion = assertion_check.signed_root
    signed_response = response_check.signed_root if response_check is not None else None
    facts = read_facts(signed_response if signed_response is not None else parsed.root,
                       signed_assertion, ResponseFacts(
                           certificate_sha1=facts.certificate_sha1,
                           signature_algorithm=facts.signature_algorithm))
    facts.signed_parts = [c.where for c in checks]
    verdict.facts = facts
    matched = assertion_check.matched or 0
    verdict.matched_certificate = "signingCertificate" if matched == 0 else \
        "nextSigningCertificate"
    if facts.assertion_issuer != realm.issuer_uri:
        out.add("issuer_unknown", "error", "The signed assertion's issuer is not the domain's "
                f"issuerUri '{realm.issuer_uri}'.", _remedy_for("AADSTS50107"), "AADSTS50107")
        return finish()
    if matched == 1:
        out.add("signed_with_next", "info",
                f"The response is signed with {realm.domain}'s nextSigningCertificate.",
                "When the IdP has switched for good, promote it to signingCertificate.")
    algorithm = (facts.signature_algorithm or "").lower()
    if algorithm.endswith("sha1"):
        out.add("signature_sha1", "info",
                "The response is signed with RSA-SHA1: Microsoft's page still lists it but calls "
                "SHA-1 deprecated.", "Switch the IdP to RSA-SHA256.")

    _token_checks(out, facts, rules, now, request_id)
    if out.failed():
        return finish()

    # R12-R13, 50057: the user, by ImmutableID only, case-sensitively.
    name_id = facts.name_id or ""
    if find_user is None:
        out.add("user_unchecked", "warning",
                "Federator could not read the directory, so it did not check that a user has "
                f"the ImmutableID '{name_id}'.", "Run the doctor signed in to the tenant.")
        return finish()
    user = find_user(name_id) if name_id else None
    if user is None:
        extra = ""
        if expected is not None and not expected.immutable_id:
            extra = (f" {expected.upn} has no ImmutableID (a cloud-created user): the IdP "
                     f"cannot name it.")
        elif expected is not None and expected.immutable_id:
            extra = (f" {expected.upn}'s ImmutableID is '{expected.immutable_id}': the IdP must "
                     "send exactly that.")
        if ".2B" in name_id or "%2B" in name_id.upper():
            extra += (" The NameID holds '.2B' or '%2B' where base64 has '+': check that the "
                      "IdP sends the value exactly as stored.")
        out.add("user_not_found", "error",
                f"No user in the tenant has the ImmutableID '{name_id}' (Entra looks users up "
                f"by ImmutableID only, exactly as sent).{extra}",
                _remedy_for("AADSTS51004"), "AADSTS51004")
        return finish()
    verdict.user = user.upn
    if expected is not None and user.upn.lower() != expected.upn.lower():
        out.add("user_other", "warning",
                f"This NameID signs in {user.upn}, not {expected.upn}.",
                "Check the IdP's NameID source for this user.")
    if not user.enabled:
        out.add("user_disabled", "error", f"{user.upn} is disabled in the tenant.",
                _remedy_for("AADSTS50057"), "AADSTS50057")
        return finish()

    # R19: IDPEmail.
    if facts.idp_email is None:
        if rules.idpemail_required:
            out.add("idpemail_missing", "error",
                    "The assertion has no IDPEmail attribute. Microsoft documents it as required "
                    "(and gives no code); traces show Entra sometimes signs users in without it, "
                    "so Federator takes the documented, stricter reading.",
                    f"Release an attribute named exactly IDPEmail with the user's UPN "
                    f"({user.upn}).", codes.UNDOCUMENTED)
        else:
            out.add("idpemail_missing", "warning",
                    "The assertion has no IDPEmail attribute, which Microsoft documents as "
                    "required.", f"Release IDPEmail = {user.upn}.")
    elif facts.idp_email.lower() != user.upn.lower():
        severity: Severity = "error" if rules.idpemail_required else "warning"
        out.add("idpemail_mismatch", severity,
                f"IDPEmail is '{facts.idp_email}', but the user with this ImmutableID is "
                f"{user.upn}.", f"Make IDPEmail the user's UPN ({user.upn}).",
                codes.UNDOCUMENTED if severity == "error" else None)
    return finish()


def _token_checks(out: _Collector, facts: ResponseFacts, rules: Rules, now: dt.datetime,
                  request_id: str | None) -> None:
    if facts.status != SUCCESS:
        out.add("response_status", "error",
                f"The IdP answered with status {facts.status or '(none)'}, not Success.",
                "Read the IdP's own log for why it refused the user.", codes.UNDOCUMENTED)
    if AUDIENCE not in facts.audience:
        shown = ", ".join(facts.audience) or "(none)"
        b2b = any(a.startswith("https://login.microsoftonline.com/") for a in facts.audience)
        out.add("audience", "error",
                f"The assertion's audience is {shown}, not {AUDIENCE}."
                + (" That is the audience of a B2B guest IdP, not of domain federation."
                   if b2b else ""),
                f"Set the IdP's audience (SP entity ID) to {AUDIENCE}.", codes.UNDOCUMENTED)
    if facts.name_id is None:
        out.add("name_id_missing", "error", "The assertion has no NameID.",
                "Send the user's ImmutableID as a persistent NameID.", codes.UNDOCUMENTED)
    elif facts.name_id_format != PERSISTENT:
        out.add("name_id_format", "error",
                f"The NameID format is {facts.name_id_format or '(none)'}; Entra supports only "
                f"{PERSISTENT}.", "Set the IdP's NameID format to persistent.",
                codes.UNDOCUMENTED)
    not_before = parse_time(facts.not_before)
    not_after = parse_time(facts.not_on_or_after)
    tolerance = f" (allowing {int(rules.skew.total_seconds())} s of clock skew)"
    if (facts.not_on_or_after and not_after is None) or (facts.not_before and not_before is None):
        out.add("conditions_unreadable", "error", "The assertion's validity times cannot be read.",
                "Fix the IdP's clock or time format (xs:dateTime, UTC).", codes.UNDOCUMENTED)
    if not_before is not None and now + rules.skew < not_before:
        out.add("not_yet_valid", "error",
                f"The assertion is valid only from {facts.not_before}, after it reached Entra "
                f"({now:%Y-%m-%dT%H:%M:%SZ}){tolerance}: the IdP's clock is probably ahead. "
                "Microsoft documents no tolerance.",
                "Synchronise the IdP's clock (NTP).", codes.UNDOCUMENTED)
    if not_after is not None and now - rules.skew >= not_after:
        out.add("expired", "error",
                f"The assertion expired at {facts.not_on_or_after}, before it reached Entra "
                f"({now:%Y-%m-%dT%H:%M:%SZ}){tolerance}.",
                "Synchronise the IdP's clock and check its assertion lifetime.",
                codes.UNDOCUMENTED)
    if facts.destination is not None and facts.destination != LOGIN_SRF:
        out.add("destination", "warning",
                f"The response's Destination is '{facts.destination}', not {LOGIN_SRF}; "
                "Microsoft does not say whether Entra refuses it.",
                f"Set the IdP's ACS URL to {LOGIN_SRF}.")
    if facts.confirmation_method != BEARER:
        out.add("confirmation_method", "warning",
                f"The subject confirmation method is {facts.confirmation_method or '(none)'}, "
                f"not {BEARER}.", "Use bearer subject confirmation.")
    if facts.recipient is not None and facts.recipient != LOGIN_SRF:
        out.add("recipient", "warning",
                f"The subject confirmation's Recipient is '{facts.recipient}', not {LOGIN_SRF}.",
                f"Set the IdP's ACS URL to {LOGIN_SRF}.")
    confirm_after = parse_time(facts.confirmation_not_on_or_after)
    if confirm_after is not None and now - rules.skew >= confirm_after:
        out.add("confirmation_expired", "warning",
                f"The subject confirmation expired at {facts.confirmation_not_on_or_after}.",
                "Synchronise the IdP's clock.")
    if request_id and facts.in_response_to and facts.in_response_to != request_id:
        out.add("in_response_to", "warning",
                f"The response answers request {facts.in_response_to}, not {request_id}.",
                "Start the sign-in again from Microsoft's page.")

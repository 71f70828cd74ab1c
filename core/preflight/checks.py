"""The preflight checks: plain functions from gathered data to a :class:`CheckResult`.

Why they are pure: every check must be testable without a network and must say the same thing in
the CLI, the GUI and a report. No function here does I/O; the tenant arrives as a
:class:`TenantSnapshot` (``core.preflight.gather``), the journal probe as a :class:`JournalProbe`.

Statuses: ``fail`` blocks the change; ``warn`` needs reading; ``unknown`` means Graph did not
give what the check needs (refused, or failed twice), and blocks the change until accepted by id
like a warning; ``manual`` means Federator cannot see it and says how to check by hand;
``skipped`` means an earlier failure makes the check meaningless; ``pass``. The catalogue
follows admin-pain-points.md §10.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from core import urlparts
from core.certificates import CertificateInfo
from core.errors import FederatorError
from core.findings import Finding
from core.metadata.model import BINDING_POST, BINDING_REDIRECT, BINDING_SOAP, IdpMetadata
from core.plan import DomainState, PlanOptions, build_plan, build_revert_plan, display_value
from core.preflight.model import (
    CheckAction,
    CheckResult,
    Status,
    TenantSnapshot,
    UserFacts,
)
from core.roles import (
    DOMAIN_NAME_ADMIN,
    EXTERNAL_IDP_ADMIN,
    GLOBAL_ADMIN,
    HYBRID_IDENTITY_ADMIN,
    ROLE_NAMES,
    SECURITY_ADMIN,
)
from core.settings import FederationSettings
from core.shellquote import command_line, ps_quote

# The roles that can change federation (core.roles: template ids and their sources).
WRITE_ROLES: dict[str, str] = {
    role: ROLE_NAMES[role] for role in (GLOBAL_ADMIN, HYBRID_IDENTITY_ADMIN, DOMAIN_NAME_ADMIN,
                                        EXTERNAL_IDP_ADMIN, SECURITY_ADMIN)}
# The roles that may change the tenant's default domain (PATCH on the domain:
# https://learn.microsoft.com/graph/api/domain-update).
MAKE_DEFAULT_ROLES: dict[str, str] = {
    role: ROLE_NAMES[role]
    for role in (DOMAIN_NAME_ADMIN, SECURITY_ADMIN, EXTERNAL_IDP_ADMIN, GLOBAL_ADMIN)}

TITLES: dict[str, str] = {
    "metadata.readable": "IdP metadata can be read",
    "metadata.issuer": "Issuer (entity ID) is usable",
    "metadata.endpoints": "Sign-in and sign-out URLs",
    "cert.valid": "Signing certificate is valid now",
    "cert.expiry": "Signing certificate is not about to expire",
    "cert.strength": "Signing certificate is strong enough",
    "domain.exists": "Domain is in this tenant",
    "domain.verified": "Domain is verified",
    "domain.not_initial": "Domain is not the initial .onmicrosoft.com domain",
    "domain.not_default": "Domain is not the tenant's default domain",
    "domain.subdomain": "Parent domain and subdomains",
    "domain.current_state": "How the domain signs in today",
    "tenant.issuer_unique": "Issuer is not used by another domain",
    "tenant.dirsync": "Directory synchronization",
    "access.permissions": "Federator's permissions (token scopes)",
    "access.role": "Your admin role may change federation",
    "access.can_revert": "You can revert what you federate",
    "access.lockout": "No admin lock-out",
    "users.immutable_id": "Users have an ImmutableID",
    "users.blast_radius": "Who is affected",
    "exchange.modern_auth": "Exchange Online modern authentication",
    "local.journal": "Federator can record a way back",
}
CHECK_IDS: tuple[str, ...] = tuple(TITLES)

# The Microsoft Learn page behind each check and its remedy (shown as a link beside it).
_GRAPH_FEDERATION = "https://learn.microsoft.com/graph/api/resources/internaldomainfederation"
_SAML_IDP = ("https://learn.microsoft.com/entra/identity/hybrid/connect/"
             "how-to-connect-fed-saml-idp")
_ROLES = ("https://learn.microsoft.com/entra/identity/role-based-access-control/"
          "permissions-reference")
_DOMAINS = "https://learn.microsoft.com/microsoft-365/admin/setup/add-domain"
LEARN: dict[str, str] = {
    "metadata.readable": _SAML_IDP,
    "metadata.issuer": _GRAPH_FEDERATION,
    "metadata.endpoints": _GRAPH_FEDERATION,
    "cert.valid": _SAML_IDP,
    "cert.expiry": _SAML_IDP,
    "cert.strength": _SAML_IDP,
    "domain.exists": _DOMAINS,
    "domain.verified": _DOMAINS,
    "domain.not_initial": "https://learn.microsoft.com/microsoft-365/admin/setup/domains-faq",
    "domain.not_default": "https://learn.microsoft.com/graph/api/domain-update",
    "domain.subdomain": ("https://learn.microsoft.com/entra/identity/users/"
                         "domains-verify-custom-subdomain"),
    "domain.current_state": _GRAPH_FEDERATION,
    "tenant.issuer_unique": _GRAPH_FEDERATION,
    "tenant.dirsync": ("https://learn.microsoft.com/entra/identity/hybrid/connect/"
                       "whatis-azure-ad-connect"),
    "access.permissions": "https://learn.microsoft.com/graph/api/domain-post-federationconfiguration",
    "access.role": _ROLES,
    "access.can_revert": _ROLES,
    "access.lockout": ("https://learn.microsoft.com/entra/identity/role-based-access-control/"
                       "security-emergency-access"),
    "users.immutable_id": _SAML_IDP,
    "users.blast_radius": ("https://learn.microsoft.com/entra/identity/hybrid/connect/"
                           "migrate-from-federation-to-cloud-authentication"),
    "exchange.modern_auth": ("https://learn.microsoft.com/exchange/clients-and-mobile-in-exchange-"
                             "online/enable-or-disable-modern-authentication-in-exchange-online"),
}

# Reader findings that a dedicated check below reports (so metadata.readable does not repeat them).
COVERED_FINDINGS = frozenset({
    "certificate_expired", "certificate_expiring_soon", "certificate_not_yet_valid",
    "certificate_weak_key", "entity_id_missing", "entity_id_not_uri", "entity_id_placeholder",
    "entity_id_whitespace", "slo_missing", "slo_not_https", "sso_missing", "sso_not_https",
    "sso_post_missing", "no_valid_signing_certificate", "entity_id_malformed",
})
# Reader findings that make the metadata unusable for a change (characters that can forge what the
# admin reads or pastes: core.metadata.checks.unsafe_character_findings).
REFUSED_FINDINGS = frozenset({"unsafe_characters", "url_host_lookalike"})
# Refused when the reader rated them errors (a sign-in URL on the user's own machine or a
# link-local address; as a sign-out URL they are warnings): core.metadata.checks.host_findings.
REFUSED_WHEN_ERROR = frozenset({"url_host_local"})
EXPIRY_WARN_DAYS = 30
MIN_RSA_BITS = 2048
MICROSOFT_SP = "urn:federation:microsoftonline"
# Values copied from guides and samples; each has caused outages when used for real (PRE-11).
SAMPLE_ISSUERS = frozenset({
    "urn:uri:o365", "https://idp.example.com/entity", "http://www.example.com",
    "https://www.example.com", "urn:example:idp", "http://any.sts/",
})
PLACEHOLDER_MARKERS = ("example.com", "example.org", "example.net", "changeme", "placeholder",
                       "your-", "yourdomain", "<", ">", "{", "}", "xxx")

# Delegated scopes (https://learn.microsoft.com/graph/permissions-reference); comparisons ignore
# case.
WRITE_SCOPE = "Domain-InternalFederation.ReadWrite.All"
LEGACY_WRITE_SCOPES = ("Domain.ReadWrite.All", "Directory.AccessAsUser.All")
READ_SCOPE_NEEDS: dict[str, tuple[tuple[str, ...], str]] = {
    "domains": (("Domain.Read.All", "Domain.ReadWrite.All", "Directory.Read.All",
                 "Directory.ReadWrite.All", "Directory.AccessAsUser.All"),
                "read the tenant's domains"),
    "users": (("User.Read.All", "User.ReadWrite.All", "Directory.Read.All",
               "Directory.ReadWrite.All", "Directory.AccessAsUser.All"),
              "read users' ImmutableIDs"),
    "roles": (("RoleManagement.Read.Directory", "RoleManagement.ReadWrite.Directory",
               "RoleManagement.Read.All", "Directory.Read.All", "Directory.ReadWrite.All",
               "Directory.AccessAsUser.All"),
              "list Global Administrators (break-glass check)"),
}

EXCHANGE_CHECK_PS = ("Connect-ExchangeOnline\n"
                     "Get-OrganizationConfig | Format-List Name,OAuth2ClientProfileEnabled\n"
                     "# if False: Set-OrganizationConfig -OAuth2ClientProfileEnabled $true")


@dataclass(frozen=True)
class JournalProbe:
    """Whether Federator could write in its journal folder (probed by ``run``, not here)."""

    path: str
    writable: bool
    error: str | None = None


@dataclass
class PreflightInput:
    """Everything the checks read. ``tenant`` is ``None`` when no tenant was consulted (then
    ``tenant_error`` says why, and tenant checks are skipped)."""

    domain: str
    metadata: IdpMetadata | None = None
    metadata_error: FederatorError | None = None
    settings: FederationSettings | None = None
    settings_findings: list[Finding] = field(default_factory=list)
    tenant: TenantSnapshot | None = None
    tenant_error: str | None = None
    journal: JournalProbe | None = None
    options: PlanOptions = field(default_factory=PlanOptions)
    now: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))
    # The face asks for the write permission at the change (incremental consent, where the admin
    # consents in a sign-in window): a read-only token then lacks it until Apply, and that is
    # no failure.
    write_consent: bool = False


def _r(check_id: str, status: Status, found: str, why: str, remedy: str | None = None, *,
       action: CheckAction | None = None, items: Iterable[str] = ()) -> CheckResult:
    return CheckResult(check_id, TITLES[check_id], status, found, why, remedy, action,
                       tuple(items), LEARN.get(check_id))


def _skip(check_id: str, reason: str) -> CheckResult:
    return _r(check_id, "skipped", reason, "It cannot be checked until that is resolved.")


def plural(n: int, word: str, many: str | None = None) -> str:
    """'1 user', '3 users' (or ``many`` for an irregular plural)."""
    return f"{n} {word if n == 1 else (many or word + 's')}"


def _date(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%d")


# ---------------------------------------------------------------------------------------------
# Metadata and certificate


def check_metadata_readable(inp: PreflightInput) -> CheckResult:
    cid = "metadata.readable"
    why = "Everything Microsoft needs (issuer, sign-in URL, certificate) comes from this file."
    if inp.metadata is None:
        err = inp.metadata_error
        found = err.message if err else "No metadata was given."
        remedy = (err.remedy if err and err.remedy else
                  "Export the SAML metadata of the IdP's Microsoft 365 application again and "
                  "give Federator that file or URL.")
        return _r(cid, "fail", found, why, remedy)
    md = inp.metadata
    notes = [f for f in md.findings
             if f.severity in ("error", "warning") and f.id not in COVERED_FINDINGS]
    refused = [f for f in md.findings if f.id in REFUSED_FINDINGS
               or (f.id in REFUSED_WHEN_ERROR and f.severity == "error")]
    if refused:
        return _r(cid, "fail", " ".join(f.message for f in refused), why,
                  refused[0].remedy or "Export the metadata again from the IdP.")
    found = (f"Read {md.source_name or 'the metadata'}: entity {md.entity_id}, "
             f"{plural(len(md.sso), 'sign-in endpoint')}, "
             f"{plural(len(md.certificates), 'certificate')}.")
    if notes:
        return _r(cid, "warn", found + " The reader noted " + plural(len(notes), "problem") + ".",
                  why, "Read each note; most mean the IdP's export should be corrected.",
                  items=[f"{f.message}" + (f" {f.remedy}" if f.remedy else "") for f in notes])
    return _r(cid, "pass", found, why)


def issuer_problems(issuer: str) -> tuple[list[str], list[str]]:
    """(failures, warnings) for an issuerUri value (PRE-10, PRE-11)."""
    fails: list[str] = []
    warns: list[str] = []
    text = issuer.strip()
    if not text:
        return ["The metadata has no entity ID."], []
    if text != issuer:
        fails.append("The entity ID has leading or trailing spaces.")
    parts = urlparts.split(text)
    if parts is None:
        fails.append(f"'{text}' is not a valid URI: {urlparts.problem(text)}.")
        return fails, warns
    scheme = parts.scheme.lower()
    if not scheme or not scheme[0].isalpha() or (scheme in ("http", "https")
                                                 and not parts.netloc):
        fails.append(f"'{text}' is not an absolute URI (SAML requires one and Graph's "
                     "issuerUri is a URI, such as https://… or urn:…).")
    lowered = text.lower()
    if lowered.rstrip("/") == MICROSOFT_SP:
        fails.append(f"'{text}' is Microsoft's own identifier, not the IdP's.")
    if lowered in SAMPLE_ISSUERS or any(m in lowered for m in PLACEHOLDER_MARKERS):
        fails.append(f"'{text}' looks like a sample or placeholder value copied from a guide.")
    if scheme == "http":
        warns.append("It uses http, not https; it works as a name, but an https value shows "
                     "that the IdP owns it.")
    host = parts.hostname or ""
    if host[:1].isdigit():
        warns.append(f"The host '{host}' starts with a digit; some tools reject such issuers.")
    return fails, warns


def check_metadata_issuer(inp: PreflightInput) -> CheckResult:
    cid = "metadata.issuer"
    if inp.metadata is None:
        return _skip(cid, "The metadata could not be read.")
    issuer = inp.metadata.entity_id
    why = ("Microsoft finds the IdP by this value: it must be an absolute URI, unique to this "
           "domain, and exactly what the IdP puts in every sign-in (else AADSTS50107).")
    fails, warns = issuer_problems(issuer)
    remedy = (f"In the IdP's Microsoft 365 application, set the entity ID (IdP Entity ID) to an "
              f"absolute URI unique to this domain, for example https://{inp.domain}/idp, then "
              "export the metadata again.")
    if fails:
        return _r(cid, "fail", " ".join(fails + warns), why, remedy)
    if warns:
        return _r(cid, "warn", f"Issuer {issuer}. " + " ".join(warns), why,
                  "You may keep it; or change the IdP's entity ID and export the metadata again.")
    return _r(cid, "pass", f"Issuer {issuer} is an absolute URI.", why)


def check_metadata_endpoints(inp: PreflightInput) -> CheckResult:
    cid = "metadata.endpoints"
    if inp.metadata is None:
        return _skip(cid, "The metadata could not be read.")
    md = inp.metadata
    why = ("Microsoft sends users to the sign-in URL with an HTTP-POST request and needs HTTPS; "
           "the sign-out URL is where users land after signing out.")
    post = md.sso_for(BINDING_POST)
    redirect = md.sso_for(BINDING_REDIRECT)
    chosen = (inp.settings.passive_sign_in_uri if inp.settings else None) or (
        post.location if post else (redirect.location if redirect else None))
    if chosen is None:
        return _r(cid, "fail", "The metadata has no HTTP-POST or HTTP-Redirect sign-in URL.", why,
                  "Export the metadata of the IdP's SAML application again; check that SAML "
                  "sign-in is enabled for it.")
    sign_out = inp.settings.sign_out_uri if inp.settings else None
    active = inp.settings.active_sign_in_uri if inp.settings else None
    for what, value in (("sign-in URL", chosen), ("active (ECP) sign-in URL", active),
                        ("sign-out URL", sign_out)):
        reason = urlparts.web_problem(value) if value else None
        if reason:
            return _r(cid, "fail", f"The {what} '{value}' is not a valid URL: {reason}.", why,
                      "Correct it in the IdP's SAML application and export the metadata again "
                      "(or type a valid sign-out URL).")
    if urlparts.scheme(chosen) != "https":
        return _r(cid, "fail", f"The sign-in URL {chosen} does not use HTTPS.", why,
                  "Configure the IdP to publish its sign-in endpoint over HTTPS.")
    warns = []
    if post is None:
        warns.append("The IdP advertises no HTTP-POST sign-in binding; Federator uses the "
                      "HTTP-Redirect URL, which must also accept POST.")
    if sign_out is None:
        warns.append("There is no sign-out URL: users stay signed in at the IdP after signing "
                      "out of Microsoft 365.")
    elif urlparts.scheme(sign_out) != "https":
        warns.append(f"The sign-out URL {sign_out} does not use HTTPS.")
    found = f"Sign-in URL {chosen}" + (f"; sign-out URL {sign_out}." if sign_out else ".")
    if warns:
        return _r(cid, "warn", found + " " + " ".join(warns), why,
                  "Enable HTTP-POST and single logout in the IdP's application if it offers "
                  "them, or give a sign-out URL (for example the IdP's user portal).")
    return _r(cid, "pass", found + " HTTPS, HTTP-POST binding.", why)


def _chosen_certificate(inp: PreflightInput) -> CertificateInfo | None:
    if inp.metadata is None or inp.settings is None or not inp.settings.signing_certificate:
        return None
    return next((c for c in inp.metadata.signing_certificates
                 if c.der_base64 == inp.settings.signing_certificate), None)


def _next_certificate(inp: PreflightInput) -> CertificateInfo | None:
    if inp.metadata is None or inp.settings is None or not inp.settings.next_signing_certificate:
        return None
    return next((c for c in inp.metadata.signing_certificates
                 if c.der_base64 == inp.settings.next_signing_certificate), None)


def _describe(cert: CertificateInfo) -> str:
    from core.textsafe import one_line

    return (f"'{one_line(cert.common_name)}' ({cert.key_description}, "
            f"SHA-1 thumbprint {cert.sha1}), "
            f"valid {_date(cert.not_before)} to {_date(cert.not_after)}")


def check_cert_valid(inp: PreflightInput) -> CheckResult:
    cid = "cert.valid"
    if inp.metadata is None:
        return _skip(cid, "The metadata could not be read.")
    why = ("Microsoft checks every sign-in's signature with this certificate; an expired or "
           "not-yet-valid one means no user can sign in.")
    remedy = ("Renew the signing certificate in the IdP (or activate the new one), then export "
              "the metadata again.")
    certs = inp.metadata.signing_certificates
    if not certs:
        return _r(cid, "fail", "The metadata has no signing certificate.", why, remedy)
    chosen = _chosen_certificate(inp)
    if chosen is None or not chosen.is_valid_at(inp.now):
        return _r(cid, "fail", "None of the metadata's signing certificates is valid now.", why,
                  remedy, items=[_describe(c) for c in certs])
    found = "Signing certificate " + _describe(chosen) + "."
    nxt = _next_certificate(inp)
    if nxt is not None:
        found += f" Next certificate (staged for rollover): {_describe(nxt)}."
    return _r(cid, "pass", found, why)


def check_cert_expiry(inp: PreflightInput) -> CheckResult:
    cid = "cert.expiry"
    chosen = _chosen_certificate(inp)
    if chosen is None or not chosen.is_valid_at(inp.now):
        return _skip(cid, "There is no valid signing certificate.")
    days = (chosen.not_after - inp.now).days
    why = ("Microsoft does not renew a third-party IdP's certificate by itself: when it expires, "
           "every user of the domain is locked out until someone updates it.")
    found = f"The signing certificate expires on {_date(chosen.not_after)}, in {days} days."
    if days < EXPIRY_WARN_DAYS:
        nxt = _next_certificate(inp)
        remedy = ("Renew the certificate in the IdP now and federate with the new one, or plan "
                  f"'federator update-certificate' before {_date(chosen.not_after)}.")
        if nxt is not None:
            found += (f" A next certificate valid to {_date(nxt.not_after)} is staged, so "
                      "Microsoft will accept the IdP's switch to it.")
        return _r(cid, "warn", found, why, remedy)
    return _r(cid, "pass", found + " Put a reminder in your calendar a month before.", why)


def check_cert_strength(inp: PreflightInput) -> CheckResult:
    cid = "cert.strength"
    chosen = _chosen_certificate(inp)
    if chosen is None:
        return _skip(cid, "There is no valid signing certificate.")
    why = "Weak keys and SHA-1 signatures can be forged; Microsoft is retiring SHA-1."
    remedy = ("Create a new signing certificate in the IdP with an RSA key of at least 2048 bits "
              "(or an EC key) and SHA-256, then export the metadata again.")
    found = f"{chosen.key_description} key, signed with {chosen.signature_hash or 'unknown'}."
    if chosen.key_type in ("RSA", "DSA") and (chosen.key_size or 0) < MIN_RSA_BITS:
        return _r(cid, "fail", found + f" Keys under {MIN_RSA_BITS} bits are too weak.", why,
                  remedy)
    if (chosen.signature_hash or "").lower() == "md5":
        return _r(cid, "fail", found + " MD5 signatures are broken.", why, remedy)
    if (chosen.signature_hash or "").lower() == "sha1":
        return _r(cid, "warn", found + " SHA-1 is deprecated.", why, remedy)
    return _r(cid, "pass", found, why)


# ---------------------------------------------------------------------------------------------
# Domain


def _no_tenant(inp: PreflightInput, cid: str) -> CheckResult | None:
    if inp.tenant is None:
        return _skip(cid, inp.tenant_error or "Federator did not sign in to the tenant.")
    if inp.tenant.domains is None:
        # Without the domain list nothing about the target is known: one failed check (a
        # preflight that could not look is not "ready"), the checks that depend on it skipped.
        if cid != "domain.exists":
            return _skip(cid, "The tenant's domains could not be read (see domain.exists).")
        return _r(cid, "fail", "Federator could not read the tenant's domains: "
                  + inp.tenant.errors.get("domains", "no answer") + ".",
                  "The domain's state decides whether it can be federated.",
                  "Run preflight again in a few minutes; if it keeps failing, make sure "
                  "Federator's sign-in has Domain.Read.All, or check the domain in the "
                  "Microsoft 365 admin center (Settings > Domains).")
    return None


def _target(inp: PreflightInput, cid: str) -> tuple[dict[str, Any] | None, CheckResult | None]:
    early = _no_tenant(inp, cid)
    if early is not None:
        return None, early
    assert inp.tenant is not None
    dom = inp.tenant.domain(inp.domain)
    if dom is None and cid != "domain.exists":
        return None, _skip(cid, f"{inp.domain} is not a domain of this tenant.")
    return dom, None


def check_domain_exists(inp: PreflightInput) -> CheckResult:
    cid = "domain.exists"
    dom, early = _target(inp, cid)
    if early is not None:
        return early
    assert inp.tenant is not None
    why = "Only a domain added to this tenant can be federated."
    if dom is None:
        candidates = [str(d["id"]) for d in inp.tenant.domains or []
                      if d.get("isVerified") and not d.get("isInitial")]
        return _r(cid, "fail", f"{inp.domain} is not a domain of "
                  f"{inp.tenant.tenant_name or 'this tenant'}.", why,
                  "Check the spelling, or add and verify the domain in the Microsoft 365 admin "
                  "center (Settings > Domains). Domains that can be federated: "
                  + (", ".join(candidates) or "none") + ".", items=candidates)
    return _r(cid, "pass", f"{dom['id']} is a domain of {inp.tenant.tenant_name or 'the tenant'}.",
              why)


def check_domain_verified(inp: PreflightInput) -> CheckResult:
    cid = "domain.verified"
    dom, early = _target(inp, cid)
    if early is not None or dom is None:
        return early or _skip(cid, "No domain.")
    why = "Microsoft only federates domains whose ownership was proven with a DNS record."
    if not dom.get("isVerified"):
        return _r(cid, "fail", f"{dom['id']} is not verified.", why,
                  "In the Microsoft 365 admin center, open Settings > Domains > "
                  f"{dom['id']}, add the TXT record it shows to your DNS, and select Verify.")
    return _r(cid, "pass", f"{dom['id']} is verified.", why)


def check_domain_not_initial(inp: PreflightInput) -> CheckResult:
    cid = "domain.not_initial"
    dom, early = _target(inp, cid)
    if early is not None or dom is None:
        return early or _skip(cid, "No domain.")
    why = ("The initial .onmicrosoft.com domain is the tenant's permanent fallback; Microsoft "
           "never lets it be federated.")
    if dom.get("isInitial"):
        return _r(cid, "fail", f"{dom['id']} is the tenant's initial domain.", why,
                  "Federate one of your own verified domains instead.")
    return _r(cid, "pass", f"{dom['id']} is not the initial domain.", why)


def make_default_candidate(tenant: TenantSnapshot, target: str) -> str | None:
    """The domain to make default instead of ``target``: the initial domain when usable, else
    another verified, managed root domain."""
    usable = [d for d in tenant.domains or [] if d.get("isVerified")
              and str(d.get("authenticationType", "Managed")).lower() == "managed"
              and str(d.get("id", "")).lower() != target.lower()]
    initial = [d for d in usable if d.get("isInitial")]
    chosen = initial or [d for d in usable if d.get("isRoot")]
    return str(chosen[0]["id"]) if chosen else None


def check_domain_not_default(inp: PreflightInput) -> CheckResult:
    cid = "domain.not_default"
    dom, early = _target(inp, cid)
    if early is not None or dom is None:
        return early or _skip(cid, "No domain.")
    assert inp.tenant is not None
    why = ("Microsoft requires the default domain to use managed sign-in, and new users get its "
           "suffix; a federated domain cannot be the default.")
    if dom.get("isDefault"):
        other = make_default_candidate(inp.tenant, inp.domain)
        if other is None:
            return _r(cid, "fail", f"{dom['id']} is the tenant's default domain.", why,
                      "Add and verify another domain, make it the default, then federate.")
        command = command_line(["federator", "make-default", other, "--confirm", other])
        admin_center = (f"use the Microsoft 365 admin center: Settings > Domains > {other} > "
                        "Set as default.")
        first = (f"Make {other} the default domain first. It only changes the suffix offered "
                 "for new users: existing users, addresses and mail flow stay as they are. ")
        refused = make_default_refusal(inp.tenant)
        if refused is not None:  # offering it would only end in Microsoft's refusal
            return _r(cid, "fail", f"{dom['id']} is the tenant's default domain.", why,
                      first + refused + " Ask an administrator who holds one of them, or "
                      + admin_center)
        # The remedy is worded for every face; the CLI prints the action's command after it.
        return _r(cid, "fail", f"{dom['id']} is the tenant's default domain.", why,
                  first + "Federator can do it (it asks for the Domain.ReadWrite.All permission "
                  "when you do, if it does not hold it yet), or " + admin_center,
                  action=CheckAction("make_default", f"Make {other} the default domain",
                                     command, {"domain": other}))
    return _r(cid, "pass", f"{dom['id']} is not the default domain.", why)


def make_default_refusal(tenant: TenantSnapshot) -> str | None:
    """Why the signed-in admin cannot change the default domain (no role Microsoft allows for
    it: https://learn.microsoft.com/graph/api/domain-update), or None when they can or when
    their roles could not be read (then Graph's answer decides)."""

    held = _held_roles(tenant)
    if held is None or set(held) & set(MAKE_DEFAULT_ROLES):
        return None
    names = ", ".join(MAKE_DEFAULT_ROLES.values())
    return (f"Changing the default domain needs one of these roles: {names}; your account "
            "holds none of them.")


def check_domain_subdomain(inp: PreflightInput) -> CheckResult:
    cid = "domain.subdomain"
    dom, early = _target(inp, cid)
    if early is not None or dom is None:
        return early or _skip(cid, "No domain.")
    assert inp.tenant is not None
    if not dom.get("isVerified"):
        return _skip(cid, f"{dom['id']} is not verified.")
    why = ("A subdomain always signs in the way its root domain does; federating a root "
           "federates its subdomains too, with the same issuer.")
    parent = inp.tenant.parent_of(inp.domain)
    if not dom.get("isRoot", True):
        root = parent or "its root domain"
        return _r(cid, "fail", f"{dom['id']} is a subdomain of {root}: it follows {root}'s "
                  "sign-in and cannot be federated on its own.", why,
                  f"Federate {root} instead (its subdomains follow), or promote {dom['id']} to a "
                  f"root domain first (Update-MgDomain is not enough: POST /domains/{dom['id']}"
                  "/promote, Microsoft Graph PowerShell Invoke-MgPromoteDomain). Microsoft "
                  "refuses to promote a subdomain with users while its root is federated.")
    subs = inp.tenant.subdomains_of(inp.domain)
    if subs:
        return _r(cid, "warn", f"{plural(len(subs), 'subdomain')} will follow {dom['id']}: "
                  + ", ".join(subs) + ".", why,
                  "Make sure the IdP can sign in users of these subdomains too (their users get "
                  "the same issuer); test one user per subdomain after the change.", items=subs)
    return _r(cid, "pass", f"{dom['id']} is a root domain without subdomains.", why)


def check_domain_current_state(inp: PreflightInput) -> CheckResult:
    cid = "domain.current_state"
    dom, early = _target(inp, cid)
    if early is not None or dom is None:
        return early or _skip(cid, "No domain.")
    assert inp.tenant is not None
    why = ("A domain has one federation configuration; if it is already federated, Federator "
           "updates that configuration in place rather than reverting first (which would leave "
           "users without a way to sign in in between).")
    if str(dom.get("authenticationType", "Managed")).lower() != "federated":
        return _r(cid, "pass", f"{dom['id']} uses managed (cloud) sign-in today; federating will "
                  "create its federation configuration.", why)
    name = str(dom["id"])
    key = f"federation:{name.lower()}"
    if key in inp.tenant.errors:
        return _unknown(cid, f"{name} is federated, but Federator could not read its "
                        "configuration: " + inp.tenant.errors[key], why,
                        "Run Get-MgDomainFederationConfiguration -DomainId "
                        f"{ps_quote(name)} | Format-List * and keep a copy before any change.")
    config = inp.tenant.federation.get(name.lower())
    if config is None:
        return _r(cid, "fail", f"{name} is marked federated but Microsoft Graph shows no "
                  "federation configuration (a half-finished change).", why,
                  "Revert it to managed sign-in first ("
                  + command_line(["federator", "revert", "--domain", name, "--confirm", name])
                  + f", or Update-MgDomain -DomainId {ps_quote(name)} -AuthenticationType "
                  "Managed), then federate.")
    current = (f"{name} is already federated with '{config.get('displayName') or '?'}' "
               f"(issuer {config.get('issuerUri')}, sign-in {config.get('passiveSignInUri')}).")
    if inp.settings is None:
        return _r(cid, "warn", current, why,
                  "Federator will update this configuration in place; it keeps a snapshot "
                  "so the old values can be restored.")
    try:
        plan = build_plan(inp.domain, inp.settings, DomainState.from_graph(dom, config),
                          inp.options)
    except FederatorError as exc:
        return _r(cid, "warn", current + " " + exc.message, why, exc.remedy)
    changed = plan.changed
    if not changed:
        return _r(cid, "pass", current + " It already has exactly these settings: nothing "
                  "would change.", why)
    items = [f"{c.name}: {display_value(c.name, c.current)} -> {display_value(c.name, c.new)}"
             for c in changed]
    return _r(cid, "warn", current + f" The change will update {plural(len(changed), 'value')} "
              "in place (PATCH).", why,
              "Check that replacing the current IdP is intended: its users will sign in at the "
              "new IdP. Federator keeps a snapshot of the current values to restore them.",
              items=items)


# ---------------------------------------------------------------------------------------------
# Tenant


def issuer_clashes(tenant: TenantSnapshot, domain: str, issuer: str) -> list[str]:
    """The other federated domains (not ``domain`` nor the subdomains that follow it) already
    using ``issuer``: Microsoft allows an issuer on one domain only."""
    own = {domain.lower(), *(s.lower() for s in tenant.subdomains_of(domain))}
    return sorted(d for d, cfg in tenant.federation.items()
                  if d.lower() not in own and cfg
                  and str(cfg.get("issuerUri") or "").strip().lower() == issuer.strip().lower())


def check_tenant_issuer_unique(inp: PreflightInput) -> CheckResult:
    cid = "tenant.issuer_unique"
    early = _no_tenant(inp, cid)
    if early is not None:
        return early
    if inp.metadata is None:
        return _skip(cid, "The metadata could not be read.")
    assert inp.tenant is not None
    issuer = inp.settings.issuer_uri if inp.settings else inp.metadata.entity_id
    why = ("Microsoft allows each issuer URI on one domain only (409 "
           "Request_MultipleObjectsWithSameKeyValue); a second domain needs its own issuer, "
           "usually its own application in the IdP.")
    own = {inp.domain.lower(), *(s.lower() for s in inp.tenant.subdomains_of(inp.domain))}
    clashes = issuer_clashes(inp.tenant, inp.domain, issuer)
    unread = sorted(k.split(":", 1)[1] for k in inp.tenant.errors if k.startswith("federation:")
                    and k.split(":", 1)[1].lower() not in own)
    federated = [d for d in inp.tenant.federation if d.lower() not in own]
    if clashes:
        return _r(cid, "fail", f"Issuer {issuer} is already used by " + ", ".join(clashes) + ".",
                  why, f"Create a separate application for {inp.domain} in the IdP with its own "
                  "entity ID (for example https://" + inp.domain + "/idp), export its metadata "
                  "and use that.", items=clashes)
    if unread:
        result = _unknown(cid, "Federator could not read the configuration of "
                          + ", ".join(unread) + ", so it cannot tell whether they use this "
                          "issuer.", why, "For each of them (DOMAIN), run "
                          "Get-MgDomainFederationConfiguration -DomainId DOMAIN and compare its "
                          f"IssuerUri with {issuer}.")
        return CheckResult(result.id, result.title, result.status, result.found, result.why,
                           result.remedy, items=tuple(unread))
    return _r(cid, "pass", f"No other domain uses issuer {issuer} "
              f"({plural(len(federated), 'other federated domain')} checked).", why)


def check_tenant_dirsync(inp: PreflightInput) -> CheckResult:
    cid = "tenant.dirsync"
    early = _no_tenant(inp, cid)
    if early is not None:
        return early
    assert inp.tenant is not None
    org = inp.tenant.organization
    why = ("With directory synchronization (Entra Connect or Cloud Sync), users' ImmutableIDs "
           "come from on-premises Active Directory; the IdP must send that same value.")
    if org is None:
        return _unknown(cid, "Federator could not read the tenant's synchronization setting: "
                        + inp.tenant.errors.get("organization", "no answer") + ".", why,
                        "Check Entra admin center > Identity > Hybrid management > Microsoft "
                        "Entra Connect: is sync enabled?")
    if org.get("onPremisesSyncEnabled"):
        return _r(cid, "warn", "Directory synchronization is on for this tenant.", why,
                  "Configure the IdP to send each user's synchronized ImmutableID (the base64 "
                  "objectGUID or ms-DS-ConsistencyGuid) as the persistent NameID. Federator does "
                  "not touch synchronization; do not turn it off to federate.")
    return _r(cid, "pass", "Directory synchronization is off: ImmutableIDs are set in the cloud.",
              why)


# ---------------------------------------------------------------------------------------------
# Access


def _has(scopes: frozenset[str], *names: str) -> bool:
    lowered = {s.lower() for s in scopes}
    return any(n.lower() in lowered for n in names)


def check_access_permissions(inp: PreflightInput) -> CheckResult:
    cid = "access.permissions"
    if inp.tenant is None:
        return _skip(cid, inp.tenant_error or "Federator did not sign in to the tenant.")
    why = ("Microsoft refuses federation changes unless Federator's sign-in was granted "
           f"{WRITE_SCOPE} (or, in tenants set up before October 2025, Domain.ReadWrite.All "
           "together with Directory.AccessAsUser.All).")
    scopes = inp.tenant.scopes
    if scopes is None:
        return _r(cid, "manual", "Federator could not read the scopes of its access token.", why,
                  "Check Entra admin center > Enterprise applications > Federator > "
                  "Permissions.")
    granted = ", ".join(sorted(scopes)) or "none"
    missing_reads = [label for _, (names, label) in READ_SCOPE_NEEDS.items()
                     if not _has(scopes, *names)]
    consent = ("Ask a Global Administrator to grant admin consent to Federator for "
               f"{WRITE_SCOPE}, Domain.Read.All, User.Read.All and RoleManagement.Read.Directory, "
               "then sign in again.")
    if not _has(scopes, WRITE_SCOPE) and not all(_has(scopes, s) for s in LEGACY_WRITE_SCOPES):
        if _has(scopes, "Domain.ReadWrite.All"):
            return _r(cid, "warn", f"Granted: {granted}. Domain.ReadWrite.All without "
                      "Directory.AccessAsUser.All: Microsoft has refused creating and deleting "
                      "federation with only that.", why, consent)
        if inp.write_consent:
            if missing_reads:
                return _r(cid, "warn", f"Granted: {granted}. Without more, Federator cannot "
                          + "; ".join(missing_reads) + ".", why, consent, items=missing_reads)
            return _r(cid, "pass", f"Granted: {granted}. The permission to change federation "
                      f"({WRITE_SCOPE}) is asked for when you apply: a sign-in window opens "
                      "where you (or an administrator) consent once.", why)
        return _r(cid, "fail", f"Granted: {granted}. Missing {WRITE_SCOPE}: Federator could "
                  "read but not change federation.", why, consent)
    if missing_reads:
        return _r(cid, "warn", f"Granted: {granted}. Without more, Federator cannot "
                  + "; ".join(missing_reads) + ".", why, consent, items=missing_reads)
    return _r(cid, "pass", f"Granted: {granted}.", why)


def _held_roles(tenant: TenantSnapshot) -> dict[str, str] | None:
    if tenant.my_roles is not None:
        return {str(r.get("roleTemplateId", "")): str(r.get("displayName") or "")
                for r in tenant.my_roles}
    if tenant.token_roles is not None:
        return {r: WRITE_ROLES.get(r, r) for r in tenant.token_roles}
    return None


def check_access_role(inp: PreflightInput) -> CheckResult:
    cid = "access.role"
    if inp.tenant is None:
        return _skip(cid, inp.tenant_error or "Federator did not sign in to the tenant.")
    who = inp.tenant.signed_in_as or "The signed-in account"
    why = ("Only these roles may write federation: " + ", ".join(WRITE_ROLES.values())
           + ". A role assigned through PIM must be activated first.")
    held = _held_roles(inp.tenant)
    if held is None:
        return _unknown(cid, "Federator could not read your directory roles: "
                        + inp.tenant.errors.get("roles", "no answer") + ".", why,
                        "Check Entra admin center > Identity > Users > you > Assigned roles.")
    allowed = sorted(WRITE_ROLES[r] for r in held if r in WRITE_ROLES)
    names = sorted(n or i for i, n in held.items())
    if allowed:
        return _r(cid, "pass", f"{who} holds " + ", ".join(allowed) + ".", why)
    return _r(cid, "fail", f"{who} holds " + (", ".join(names) if names else "no admin role")
              + ", which cannot change federation.", why,
              "Sign in with an account holding External Identity Provider Administrator (the "
              "least privileged role Microsoft documents for federating and for reverting) or "
              "Global Administrator, or have one assigned (activate it in PIM if eligible).",
              items=names)


def check_access_can_revert(inp: PreflightInput) -> CheckResult:
    """Whether the admin who federates may also revert: Microsoft documents different roles for
    each write (``core.roles``), and the revert is the requests of ``build_revert_plan``."""
    from core import roles

    cid = "access.can_revert"
    if inp.tenant is None:
        return _skip(cid, inp.tenant_error or "Federator did not sign in to the tenant.")
    who = inp.tenant.signed_in_as or "The signed-in account"
    federated = DomainState.from_graph({"id": inp.domain, "authenticationType": "Federated",
                                        "isVerified": True, "isRoot": True})
    revert = build_revert_plan(inp.domain, federated)
    writes = [w for w in (roles.write_of(r.method, r.path, r.body) for r in revert.requests)
              if w is not None]
    shown = "; ".join(f"{r.method} {r.path} {json.dumps(r.body)}" if r.body else
                      f"{r.method} {r.path}" for r in revert.requests)
    documented = frozenset(roles.ROLE_NAMES).intersection(
        *(roles.allowed_roles(w) for w in writes))
    need = roles.one_of(documented)
    why = (f"Reverting {inp.domain} to managed sign-in is {shown}. Microsoft documents other "
           "roles for it than for federating (Hybrid Identity Administrator may federate, but "
           "only the role definitions, not the documented lists, let it revert), so whoever "
           "federates may find the way back closed when it is needed most.")
    remedy = (f"Before going on, make sure an admin holding {need} can act at short notice "
              "(assigned, or eligible in Privileged Identity Management and able to activate "
              "it), or sign in as one. External Identity Provider Administrator is the least "
              "privileged role Microsoft documents for both federating and reverting.")
    scopes = inp.tenant.scopes
    if scopes is not None and not all(roles.scopes_allow(w, scopes) for w in writes):
        wanted = " or ".join(sorted(roles.WRITE_SCOPES[writes[0]])) if writes else "?"
        return _r(cid, "fail", f"Federator's sign-in lacks the permission to revert ({wanted}).",
                  why, "Ask a Global Administrator to grant admin consent to Federator for "
                  "Domain-InternalFederation.ReadWrite.All, then sign in again.")
    held = _held_roles(inp.tenant)
    if held is None:
        return _unknown(cid, "Federator could not read your directory roles: "
                        + inp.tenant.errors.get("roles", "no answer") + ".", why,
                        f"Check Entra admin center > Identity > Users > you > Assigned roles "
                        f"for {need}.")
    names = ", ".join(roles.names(held)) or "no admin role"
    if all(roles.may(w, held) for w in writes):
        allowing = [r for r in held if r in documented] or list(held)
        return _r(cid, "pass", f"{who} holds {', '.join(roles.names(allowing))}, which "
                  f"Microsoft documents for the revert.", why)
    if all(roles.may(w, held, roles.RULES_DEFINITIONS) for w in writes):
        return _r(cid, "warn", f"{who} holds {names}: Microsoft's documented roles for the "
                  f"revert are {need}; only the role definitions let your role revert, and "
                  "Microsoft Graph may refuse it.", why, remedy, items=roles.names(held))
    return _r(cid, "fail", f"{who} holds {names}, which cannot revert {inp.domain}: that takes "
              f"{need}.", why, remedy, items=roles.names(held))


def _domain_of(upn: str) -> str:
    return upn.rsplit("@", 1)[-1].lower() if "@" in upn else ""


def break_glass_accounts(tenant: TenantSnapshot, affected: set[str]) -> list[str] | None:
    """UPNs of enabled, cloud-only member Global Administrators whose domain is managed and
    outside ``affected``; ``None`` when the administrators could not be read."""
    if tenant.global_admins is None:
        return None
    found = []
    for p in tenant.global_admins:
        kind = str(p.get("@odata.type", "#microsoft.graph.user"))
        upn = str(p.get("userPrincipalName") or "")
        if not kind.endswith(".user") or not upn:
            continue
        if p.get("accountEnabled") is False or p.get("onPremisesSyncEnabled"):
            continue
        if str(p.get("userType") or "Member") == "Guest" or "#EXT#" in upn.upper():
            continue
        suffix = _domain_of(upn)
        if suffix in affected:
            continue
        dom = tenant.domain(suffix)
        if dom is None or str(dom.get("authenticationType", "Managed")).lower() != "managed":
            continue
        parent = tenant.parent_of(suffix)
        parent_dom = tenant.domain(parent) if parent else None
        if parent_dom is not None and not dom.get("isRoot", True) and \
                str(parent_dom.get("authenticationType", "")).lower() == "federated":
            continue
        found.append(upn)
    return sorted(found)


def check_access_lockout(inp: PreflightInput) -> CheckResult:
    cid = "access.lockout"
    early = _no_tenant(inp, cid)
    if early is not None:
        return early
    assert inp.tenant is not None
    t = inp.tenant
    affected = {inp.domain.lower(), *(s.lower() for s in t.subdomains_of(inp.domain))}
    why = ("Once federated, every account in the domain signs in at the IdP. If that is your "
           "account, or if every Global Administrator is in the domain, one IdP mistake locks "
           "all admins out; Microsoft's recovery takes days.")
    problems: list[str] = []
    remedies: list[str] = []
    me = t.signed_in_as
    if me is None:
        problems.append("Federator could not read who is signed in.")
    elif _domain_of(me) in affected:
        problems.append(f"You are signed in as {me}, an account in {_domain_of(me)}: after the "
                        "change you would sign in at the IdP too.")
        remedies.append("Sign in to Federator with an account outside the domain, ideally a "
                        "cloud-only Global Administrator in the .onmicrosoft.com domain.")
    glass = break_glass_accounts(t, affected)
    if glass is None:
        problems.append("Federator could not list the Global Administrators: "
                        + t.errors.get("global_admins", "no answer") + ".")
        remedies.append("Make sure at least one enabled, cloud-only Global Administrator signs "
                        "in with a managed domain (such as .onmicrosoft.com).")
    elif not glass:
        problems.append("No enabled, cloud-only Global Administrator signs in with a managed "
                        "domain outside " + inp.domain + ".")
        remedies.append("Create an emergency-access (break-glass) Global Administrator in the "
                        ".onmicrosoft.com domain, without synchronization, before federating.")
    blocking = (me is not None and _domain_of(me) in affected) or glass == []
    if blocking:
        if glass:
            problems.append("Break-glass Global Administrators outside " + inp.domain + ": "
                            + ", ".join(glass) + ".")
        return _r(cid, "fail", " ".join(problems), why, " ".join(remedies),
                  items=glass or [])
    if problems:
        # Only unread data gets here (who is signed in, or the Global Administrators).
        return _unknown(cid, " ".join(problems), why, " ".join(remedies) or "Run preflight again.")
    assert glass
    found = (f"You are signed in as {me}, outside {inp.domain}. Break-glass Global "
             f"Administrators outside it: {', '.join(glass)}.")
    if len(glass) == 1:
        found += " Microsoft recommends keeping two."
    return _r(cid, "pass", found, why, items=glass)


# ---------------------------------------------------------------------------------------------
# Users


def _users(inp: PreflightInput, cid: str) -> tuple[UserFacts | None, CheckResult | None]:
    dom, early = _target(inp, cid)
    if early is not None or dom is None:
        return None, early or _skip(cid, "No domain.")
    assert inp.tenant is not None
    facts = inp.tenant.facts()
    if facts is None or not facts.complete:
        reason = ("; ".join(facts.unread) if facts is not None and facts.unread
                  else inp.tenant.errors.get("users", "no answer"))
        return None, _unknown(cid, "Federator could not read the domain's users: " + reason
                              + ".", "Every user of the domain is affected by the change.",
                              "Run: Get-MgUser -Filter "
                              + ps_quote(f"endswith(userPrincipalName,'@{inp.domain}')")
                              + " -ConsistencyLevel eventual -CountVariable n "
                              "-All -Property UserPrincipalName,OnPremisesImmutableId,"
                              "AccountEnabled")
    return facts, None


def _unknown(check_id: str, found: str, why: str, remedy: str) -> CheckResult:
    """A check whose data Graph did not give: it blocks a change until accepted by id."""
    return _r(check_id, "unknown", found, why, remedy + " To go ahead without it, accept "
              f"{check_id} like a warning.")


def _scope_text(inp: PreflightInput) -> str:
    assert inp.tenant is not None
    subs = inp.tenant.subdomains_of(inp.domain)
    return inp.domain + (" and " + ", ".join(subs) if subs else "")


def check_users_immutable_id(inp: PreflightInput) -> CheckResult:
    cid = "users.immutable_id"
    facts, early = _users(inp, cid)
    if early is not None or facts is None:
        return early or _skip(cid, "No users.")
    why = ("Microsoft finds a federated user only by the ImmutableID (onPremisesImmutableId) "
           "matching the NameID the IdP sends; a user without one gets AADSTS51004 and cannot "
           "sign in.")
    total = facts.in_scope or 0
    missing = facts.without_immutable_id or 0
    sample = sorted(facts.missing_sample,
                    key=lambda u: str(u.get("userPrincipalName", "")).lower())
    where = _scope_text(inp)
    if not total:
        return _r(cid, "pass", f"{where} has no users yet.", why)
    if missing and missing >= total and facts.complete:
        items = [str(u.get("userPrincipalName")) + ("" if u.get("accountEnabled", True)
                                                    else " (disabled)") for u in sample]
        # Nobody could sign in: the domain cannot be used federated as it is.
        nobody = (f"The only user in {where} has no ImmutableID" if total == 1 else
                  f"None of the {total} users in {where} has an ImmutableID")
        return _r(cid, "fail", nobody + ": once federated, no one in the domain could sign "
                  "in.", why,
                  "Set each user's ImmutableID to the value the IdP sends as NameID (for "
                  "JumpCloud and Google, usually the email address) before federating: "
                  "Update-MgUser -UserId UPN -OnPremisesImmutableId 'VALUE' (UPN: the user's "
                  "sign-in name; VALUE: what the IdP sends as NameID).", items=items)
    if missing:
        items = [str(u.get("userPrincipalName")) + ("" if u.get("accountEnabled", True)
                                                    else " (disabled)") for u in sample]
        listed = ("" if len(items) >= missing else
                  f" The first {len(items)} are listed; find them all with Get-MgUser -Filter "
                  + ps_quote(f"endswith(userPrincipalName,'@{inp.domain}') and "
                             "onPremisesImmutableId eq null")
                  + " -ConsistencyLevel eventual -CountVariable n -All.")
        return _r(cid, "warn", f"{missing} of {plural(total, 'user')} in {where} "
                  f"{'has' if missing == 1 else 'have'} no ImmutableID: "
                  f"{'this user' if missing == 1 else 'they'} will not be able to sign in."
                  + listed, why,
                  "Before federating, set each one to the value the IdP sends as NameID (for "
                  "JumpCloud and Google, usually the email address): Update-MgUser -UserId "
                  "UPN -OnPremisesImmutableId 'VALUE' (UPN: the user's sign-in name; VALUE: "
                  "what the IdP sends as NameID). Changing it after federation is harder.",
                  items=items)
    return _r(cid, "pass", f"All {plural(total, 'user')} in {where} have an ImmutableID.",
              why)


def admins_in_scope(tenant: TenantSnapshot, domain: str) -> list[str] | None:
    """UPNs of the Global Administrators whose accounts are in ``domain`` or its subdomains
    (None when the administrators could not be read)."""
    if tenant.global_admins is None:
        return None
    affected = {domain.lower(), *(s.lower() for s in tenant.subdomains_of(domain))}
    return sorted(str(a.get("userPrincipalName")) for a in tenant.global_admins
                  if _domain_of(str(a.get("userPrincipalName") or "")) in affected)


def check_users_blast_radius(inp: PreflightInput) -> CheckResult:
    cid = "users.blast_radius"
    facts, early = _users(inp, cid)
    if early is not None or facts is None:
        return early or _skip(cid, "No users.")
    assert inp.tenant is not None
    why = ("Federation applies to the whole domain, never to some users: everyone in it loses "
           "password sign-in with Microsoft and signs in at the IdP.")
    where = _scope_text(inp)
    found = (f"{plural(facts.in_scope or 0, 'user')} in {where} ({facts.enabled} enabled) will "
             "sign in at the IdP instead of with their Microsoft password.")
    admins = admins_in_scope(inp.tenant, inp.domain)
    if admins is None:
        return _unknown(cid, found + " Federator could not list the Global Administrators, so it "
                        "cannot tell whether any are among them: "
                        + inp.tenant.errors.get("global_admins", "no answer") + ".", why,
                        "Check Entra admin center > Roles and administrators > Global "
                        f"Administrator for accounts in {where}.")
    if admins:
        return _r(cid, "warn", found + " Global Administrators among them: "
                  + ", ".join(admins) + ".", why,
                  "Make sure these administrators have accounts at the IdP, or keep their admin "
                  "work on an account outside the domain. Pilot on a domain without real users "
                  "if you can.", items=admins)
    return _r(cid, "pass", found, why,
              "Tell the users before the change; pilot on a domain without real users if you "
              "can.")


# ---------------------------------------------------------------------------------------------
# Exchange and local


def check_exchange_modern_auth(inp: PreflightInput) -> CheckResult:
    cid = "exchange.modern_auth"
    why = ("Outlook and other rich clients can only sign in federated users through a third-party "
           "SAML IdP when Exchange Online has modern authentication on (off by default in "
           "tenants created before August 2017). Microsoft Graph cannot read this setting.")
    found = "Graph cannot read Exchange Online's modern-authentication setting."
    if inp.metadata is not None and inp.metadata.sso_for(BINDING_SOAP) is None:
        found += (" The IdP has no active (ECP) endpoint, so clients using basic authentication "
                  "(IMAP, POP, old ActiveSync) will fail for federated users.")
    return _r(cid, "manual", found, why,
              "Check it in Exchange Online PowerShell:\n" + EXCHANGE_CHECK_PS)


def check_local_journal(inp: PreflightInput) -> CheckResult:
    cid = "local.journal"
    why = ("Before any change Federator writes a snapshot of the current settings and a journal "
           "of every step: without them there is no reliable way back.")
    probe = inp.journal
    if probe is None:
        return _skip(cid, "The journal folder was not probed.")
    if not probe.writable:
        return _r(cid, "fail", f"Federator cannot write in {probe.path}: {probe.error}.", why,
                  "Free disk space or fix the permissions of the journal file and its folder "
                  "(a read-only attribute, or a sync or antivirus tool holding it), or run "
                  "Federator with --home pointing to a writable folder.")
    return _r(cid, "pass", f"Federator can write its journal in {probe.path}.", why)


CHECKS: tuple[Callable[[PreflightInput], CheckResult], ...] = (
    check_metadata_readable, check_metadata_issuer, check_metadata_endpoints,
    check_cert_valid, check_cert_expiry, check_cert_strength,
    check_domain_exists, check_domain_verified, check_domain_not_initial,
    check_domain_not_default, check_domain_subdomain, check_domain_current_state,
    check_tenant_issuer_unique, check_tenant_dirsync,
    check_access_permissions, check_access_role, check_access_can_revert, check_access_lockout,
    check_users_immutable_id, check_users_blast_radius,
    check_exchange_modern_auth, check_local_journal,
)


def run_checks(inp: PreflightInput) -> list[CheckResult]:
    """Every check, in catalogue order."""
    return [check(inp) for check in CHECKS]

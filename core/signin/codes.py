"""The AADSTS codes a federated (SAML-P) sign-in can end with: what each means and its fix.

Codes, names and messages from Microsoft's error-code reference,
https://learn.microsoft.com/entra/identity-platform/reference-error-codes, and for the order in
which Entra checks a posted response, N. Syynimaa's deep-dive (https://aadinternals.com/post/aad-deepdive/).
Microsoft documents no code for several failures (wrong audience, expired conditions, a NameID
format other than persistent, a failed status, a missing IDPEmail): for those Federator and its
sandbox use AADSTS50008 ("SAML assertion is missing or misconfigured in the token"), the closest
documented code, and say that it is a best reading.

``parse_error_text`` reads what an admin copies from Microsoft's error page or a token-endpoint
answer: the code, the quoted value (the issuer for 50107, the NameID for 51004), the correlation
id and timestamp.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Code:
    code: str  # "AADSTS50107"
    name: str
    meaning: str
    fix: str
    federation_leg: bool = True  # False: not caused by the IdP's answer to Entra


# A best reading where Microsoft documents no code for the failure (see module doc).
UNDOCUMENTED = "AADSTS50008"

CODES: dict[str, Code] = {c.code: c for c in (
    Code("AADSTS50107", "InvalidIssuer",
         "The issuer in the SAML response names no federated domain of this tenant: Entra finds "
         "the domain by the response's Issuer, compared exactly (case, scheme, trailing slash).",
         "Make the IdP's entity ID (issuer) and the domain's issuerUri byte-equal: change the "
         "IdP's issuer, or federate again with Federator using the IdP's metadata. Right after "
         "federating, this error can last about 30 minutes."),
    Code("AADSTS500081", "SigningKeyMismatch",
         "Unable to verify the SAML token signature: the signing key does not match the "
         "domain's signingCertificate or nextSigningCertificate.",
         "Put the IdP's current signing certificate in the federation (federator "
         "update-certificate --metadata IDP_METADATA --domain DOMAIN --confirm DOMAIN stages "
         "it; add --promote once the IdP signs with it), or stage the new one as "
         "nextSigningCertificate before the IdP switches. Check that "
         "the encryption certificate was not pasted instead, and that the issuer is not shared "
         "by another tenant."),
    Code("AADSTS5000811", "SigningKeyMismatch",
         "Unable to verify the SAML token signature: the signing key identifier does not match "
         "any valid registered keys.",
         "Load the IdP's current signing certificate into the federation (federator "
         "update-certificate --metadata IDP_METADATA --domain DOMAIN --confirm DOMAIN stages "
         "it; add --promote once the IdP signs with it)."),
    Code("AADSTS50006", "InvalidSignature",
         "The signature does not verify: the signed XML was altered or re-serialised after "
         "signing.",
         "Do not let anything rewrite the response between the IdP and Entra; if the IdP signs "
         "with exclusive canonicalization and enveloped-signature, ask its vendor."),
    Code("AADSTS50008", "InvalidSamlToken",
         "SAML assertion is missing or misconfigured in the token.",
         "Fix the part of the response the doctor names (audience, validity, NameID format, "
         "signature of the assertion, IDPEmail)."),
    Code("AADSTS51004", "UserAccountNotInDirectory",
         "No user in the tenant has an onPremisesImmutableId equal to the response's NameID "
         "(Entra finds the user by ImmutableID only, case-sensitively).",
         "Make the IdP send the user's ImmutableID as a persistent NameID, or set the user's "
         "ImmutableID to what the IdP sends (cloud-created users have none)."),
    Code("AADSTS50057", "UserDisabled", "The user's account is disabled.",
         "Enable the account (accountEnabled) if the user should sign in."),
    Code("AADSTS90081", "OrgIdWsFederationMessageInvalid",
         "The post to login.srf carried no SAMLResponse.",
         "Make the IdP post the response with the HTTP-POST binding to "
         "https://login.microsoftonline.com/login.srf."),
    Code("AADSTS90019", "MissingTenantRealm",
         "The tenant could not be determined from the request.",
         "Check the issuer and the user's ImmutableID, and whether the flow was IdP-initiated."),
    Code("AADSTS90072", "PassThroughUserMfaError",
         "Often a synced user whose ImmutableID differs between AD and Entra.",
         "Compare the user's ImmutableID with what the IdP sends."),
    Code("AADSTS50089", "FlowTokenExpired", "The sign-in flow took too long.",
         "Start again in a fresh private window."),
    Code("AADSTS165000", "InvalidRequestCanary",
         "Entra's cookies were lost between leaving for the IdP and coming back.",
         "Retry in one fresh private window with cookies allowed."),
    Code("AADSTS50034", "UserAccountNotFound",
         "Raised when the username is typed: the domain is not (yet) federated and the user "
         "does not exist.", "Check the UPN, and that the domain shows as federated.",
         federation_leg=False),
    Code("AADSTS50126", "InvalidUserNameOrPassword",
         "Entra checked a password itself: the domain is still managed (or a policy lets Entra "
         "validate passwords), so the IdP was not involved.",
         "Check that the domain is federated and that realm discovery sends users to the IdP.",
         federation_leg=False),
    Code("AADSTS53003", "BlockedByConditionalAccess",
         "The IdP's answer was accepted; a Conditional Access policy blocked the sign-in.",
         "Review the Conditional Access policies that apply to the user.", federation_leg=False),
    Code("AADSTS50076", "UserStrongAuthRequired",
         "The IdP's answer was accepted; Entra asks for MFA (see federatedIdpMfaBehavior).",
         "Have the IdP signal MFA, or review federatedIdpMfaBehavior.", federation_leg=False),
    Code("AADSTS5000819", "SamlAssertionMissingEmail",
         "A B2B guest flow: the IdP was set up as a B2B SAML IdP, not as domain federation.",
         "Use domain federation (internalDomainFederation) for your own users.",
         federation_leg=False),
)}

_CODE_RE = re.compile(r"AADSTS(\d{5,7})")
_QUOTED_RE = re.compile(r"'([^'\r\n]{1,1024})'")
_CORRELATION_RE = re.compile(r"Correlation\s*I[Dd]:?\s*([0-9a-fA-F-]{36})")
_TIMESTAMP_RE = re.compile(r"Timestamp:?\s*(\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\dZ?)")


@dataclass
class ErrorText:
    """What an AADSTS message holds; ``code`` is None when it names none."""

    code: str | None = None
    quoted: list[str] = field(default_factory=list)
    correlation_id: str | None = None
    timestamp: str | None = None

    @property
    def known(self) -> Code | None:
        return CODES.get(self.code or "")


def parse_error_text(text: str) -> ErrorText:
    """The code, quoted values, correlation id and timestamp in ``text`` (at most 64 kB read)."""
    text = text[:65536]
    found = _CODE_RE.search(text)
    result = ErrorText(code=f"AADSTS{found.group(1)}" if found else None)
    result.quoted = _QUOTED_RE.findall(text)[:5]
    correlation = _CORRELATION_RE.search(text)
    result.correlation_id = correlation.group(1) if correlation else None
    stamp = _TIMESTAMP_RE.search(text)
    result.timestamp = stamp.group(1) if stamp else None
    return result


def explain(code: str) -> Code | None:
    """The entry for ``code`` (``AADSTS50107`` or ``50107``), or None."""
    code = code.strip().upper()
    if not code.startswith("AADSTS"):
        code = "AADSTS" + code
    return CODES.get(code)

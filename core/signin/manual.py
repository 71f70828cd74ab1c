"""How to test a sign-in by hand against a real tenant, where Federator cannot sign in as the user.

Test URLs from Microsoft: ``domain_hint`` "skips the email-based discovery ... sending them to
their federated identity provider" and ``login_hint`` pre-fills the username
(https://learn.microsoft.com/entra/identity-platform/v2-oauth2-auth-code-flow); ``whr`` on
myapps.microsoft.com is a domain hint
(https://learn.microsoft.com/entra/identity/enterprise-apps/home-realm-discovery-policy). Test in
a private window and never as an admin whose UPN is in the domain being tested.
"""

from __future__ import annotations

from urllib.parse import quote

from core.signin.judge import AUDIENCE, LOGIN_SRF, PERSISTENT, DirectoryUser


def manual_steps(domain: str, user: DirectoryUser | None, *, passive_sign_in_uri: str | None,
                 issuer_uri: str | None) -> list[str]:
    upn = user.upn if user else f"someone@{domain}"
    steps = [
        "Open a private (incognito) browser window; do not use an administrator of "
        f"{domain}.",
        f"Go to https://myapps.microsoft.com/?whr={quote(domain)} (or "
        f"https://outlook.com/{quote(domain)}) and type {upn}.",
        "Before typing, open the developer tools (F12), Network tab, tick 'Preserve log' "
        "(or use the SAML-tracer extension).",
        "Expect: login.microsoftonline.com sends you to the IdP"
        + (f" ({passive_sign_in_uri})" if passive_sign_in_uri else "")
        + " with a SAMLRequest; after you sign in there, the IdP posts a SAMLResponse to "
        f"{LOGIN_SRF}.",
        "Capture it: in the Network tab, the POST to login.srf, Payload, copy the SAMLResponse "
        "value; or right-click, 'Save all as HAR'.",
        "Then run: federator doctor --saml-response FILE --domain " + domain
        + (f" --user {user.upn}" if user else ""),
    ]
    if user is not None:
        if user.immutable_id:
            steps.append(f"The IdP must send NameID = '{user.immutable_id}' (Format {PERSISTENT}),"
                         f" exactly, and IDPEmail = {user.upn}.")
        else:
            steps.append(f"{user.upn} has no ImmutableID: Entra will answer AADSTS51004. Set "
                         "one (the value the IdP sends as NameID) before testing.")
    if issuer_uri:
        steps.append(f"The IdP's issuer must be exactly '{issuer_uri}', the audience {AUDIENCE}.")
    return steps

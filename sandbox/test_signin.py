"""A whole test sign-in in the sandbox, over its loopback HTTPS endpoints, hop by hop.

Realm discovery (``/common/userrealm``) -> Entra's request (``/sandbox/signin``, the form that
posts to the domain's passiveSignInUri) -> the sample IdP's response for the user (the user's
ImmutableID as NameID, as a correctly bound IdP sends it; the UPN when the user has none, as
e-mail-based IdPs do) -> the post to ``/login.srf`` and Entra's verdict. The findings are
``core.signin.judge``'s, the same code login.srf and the doctor run.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING
from urllib.parse import quote

from core.findings import Finding
from core.signin import codes
from core.signin.judge import judge
from core.signin.trip import Hop, TripResult
from sandbox.entra_signin import (
    directory_user,
    form_fields,
    page_text,
    realms,
    rules_named,
    user_lookup,
)
from sandbox.sample_idp import SSO_URL, Subject, build_response, encode

if TYPE_CHECKING:
    from sandbox.server import Sandbox


def run(sandbox: Sandbox, upn: str, *, defect: str | None = None) -> TripResult:
    import requests

    session = requests.Session()
    session.trust_env = False  # loopback only: never through a proxy
    session.verify = str(sandbox.ca_bundle)
    result = TripResult(ok=False, aadsts=None)
    timeout = 30

    realm = session.get(f"{sandbox.login_url}/common/userrealm/{quote(upn)}",
                        params={"api-version": "2.1"}, timeout=timeout).json()
    namespace = str(realm.get("NameSpaceType", "Unknown"))
    if namespace != "Federated":
        result.hops.append(Hop("realm discovery", "fail",
                               f"{upn}: the domain shows as {namespace}, so Entra asks for a "
                               "password instead of sending the user to the IdP."))
        result.findings.append(Finding(
            "domain_not_federated", "error",
            f"Realm discovery shows {upn.rpartition('@')[2]} as {namespace}.",
            "Federate the domain first; after a change, discovery can lag (up to 2 hours at "
            "Microsoft)."))
        return result
    result.hops.append(Hop("realm discovery", "ok",
                           f"{upn.rpartition('@')[2]} is federated; Entra sends the user to the "
                           "IdP."))

    form = form_fields(session.get(f"{sandbox.url}/sandbox/signin", params={"login": upn},
                                   timeout=timeout).content)
    if not form.get("SAMLRequest"):
        result.hops.append(Hop("authentication request", "fail",
                               "Entra did not send a request to the IdP."))
        return result
    target = str(form["action"])
    note = "" if target == SSO_URL else \
        f" (the sample IdP answers in place of {target})"
    result.hops.append(Hop("authentication request", "ok",
                           f"AuthnRequest posted to {target}{note}."))

    user = directory_user(sandbox.store, upn)
    if user is None:
        result.hops.append(Hop("IdP response", "fail", f"The tenant has no user {upn}."))
        result.findings.append(Finding("user_unknown", "error",
                                       f"The tenant has no user {upn}.",
                                       "Pick a user of the domain"
                                       + _examples(sandbox, upn.rpartition("@")[2]) + "."))
        return result
    from core.signin.decode import decode
    from core.signin.response import parse

    request_id = _request_id(str(form["SAMLRequest"]))
    xml = build_response(sandbox.sample_idp(), Subject(user.upn, user.immutable_id),
                         defect=defect, in_response_to=request_id)
    result.saml_response = encode(xml)
    sent = "the user's ImmutableID" if user.immutable_id and defect != \
        "nameid-not-immutableid" else "the UPN (the user has no ImmutableID)" \
        if not user.immutable_id else "the UPN"
    result.hops.append(Hop("IdP response", "ok",
                           f"The sample IdP signed {user.upn} in and sent {sent} as NameID"
                           + (f" ({codes_defect(defect)})" if defect else "") + "."))

    now = dt.datetime.now(dt.UTC)
    page = session.post(f"{sandbox.login_url}/login.srf",
                        data={"SAMLResponse": result.saml_response,
                              "RelayState": str(form.get("RelayState", ""))},
                        timeout=timeout).content
    text = page_text(page)
    verdict = judge(parse(decode(result.saml_response).xml), realms(sandbox.store),
                    user_lookup(sandbox.store), now=now,
                    rules=rules_named(sandbox.signin_rules), expected=user,
                    request_id=request_id)
    result.findings = list(verdict.findings)
    error = codes.parse_error_text(text)
    if error.code is None and "Signed in" in text:
        result.ok = True
        result.hops.append(Hop("Entra verdict", "ok", f"Entra accepts: {user.upn} is signed in."))
    else:
        result.aadsts = error.code
        message = next((line.removeprefix("Message: ") for line in text.splitlines()
                        if line.startswith("Message: ")), "Entra refused the sign-in.")
        result.hops.append(Hop("Entra verdict", "fail", message))
    return result


def codes_defect(defect: str) -> str:
    from sandbox.sample_idp import DEFECTS

    return f"defect on purpose: {DEFECTS.get(defect, defect)}"


def _request_id(saml_request: str) -> str | None:
    import base64
    import re

    try:
        text = base64.b64decode(saml_request).decode("utf-8", "replace")
    except ValueError:
        return None
    found = re.search(r'\bID="([^"]+)"', text)
    return found.group(1) if found else None


def _examples(sandbox: Sandbox, domain: str) -> str:
    """A few users of ``domain`` who can sign in (enabled, with an ImmutableID), to pick from."""
    with sandbox.store.lock:
        sandbox.store.refresh()
        found = [str(u["userPrincipalName"]) for u in sandbox.store.data["users"]
                 if str(u["userPrincipalName"]).lower().endswith("@" + domain.lower())
                 and u.get("accountEnabled", True) and u.get("onPremisesImmutableId")][:3]
    return f", for example {', '.join(found)}" if found else ""

"""Entra ID's side of a federated sign-in, in the sandbox: the request, login.srf, the verdict.

``GET /sandbox/signin?login=UPN`` plays what login.microsoftonline.com does once realm discovery
finds a federated domain: an auto-posting form to the domain's ``passiveSignInUri`` carrying
the AuthnRequest Entra sends (shape from "Use a SAML 2.0 IdP for SSO",
https://learn.microsoft.com/entra/identity/hybrid/connect/how-to-connect-fed-saml-idp) and a
RelayState. ``POST /login.srf`` takes the IdP's ``SAMLResponse`` and judges it with
``core.signin.judge`` (the same code as the doctor), then answers Microsoft's error page fields
(code, message, correlation id, timestamp) or a signed-in page.

Where Microsoft is silent the sandbox has two readings (``FEDERATOR_SANDBOX_SIGNIN``):
``strict`` (default: no clock skew, IDPEmail required, as documented) and ``lenient`` (5 minutes
of skew, IDPEmail not enforced, as traces show). Responses and users are not logged or kept.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import threading
import uuid
from collections.abc import Callable
from typing import Any

from core.errors import InputError
from core.signin import codes
from core.signin.decode import decode
from core.signin.gather import realm_of
from core.signin.judge import DirectoryUser, Realm, Rules, Verdict, judge
from sandbox.state import TenantStore
from sandbox.wire import Request, Response

HTML = "text/html; charset=utf-8"
RULES = ("strict", "lenient")


def rules_named(name: str | None) -> Rules:
    if (name or "strict") == "strict":
        return Rules.strict()
    if name == "lenient":
        return Rules.lenient()
    raise InputError(f"'{name}' is not a sign-in rule set", code="bad_environment",
                     remedy="Use strict or lenient.")


def realms(store: TenantStore) -> list[Realm]:
    """Every federated domain's realm, as the tenant holds it now."""
    found: list[Realm] = []
    with store.lock:
        store.refresh()
        configs = dict(store.data["federation"])
    for domain, config in configs.items():
        if not isinstance(config, dict) or config.get("_halfFederated"):
            continue
        realm = realm_of(domain, config)  # read as the doctor reads Graph's answer
        if realm is not None:
            found.append(realm)
    return found


def user_lookup(store: TenantStore) -> Callable[[str], DirectoryUser | None]:
    """Find a user by ImmutableID, exactly (the seed users; bulk users are not searched)."""
    with store.lock:
        store.refresh()
        users = [u for u in store.data["users"] if u.get("onPremisesImmutableId")]
    table = {str(u["onPremisesImmutableId"]): DirectoryUser(
        str(u["userPrincipalName"]), str(u["onPremisesImmutableId"]),
        bool(u.get("accountEnabled", True))) for u in users}
    return table.get


def directory_user(store: TenantStore, upn: str) -> DirectoryUser | None:
    with store.lock:
        store.refresh()
        user = store.user_by_upn(upn)
    if user is None:
        return None
    return DirectoryUser(str(user["userPrincipalName"]), user.get("onPremisesImmutableId"),
                         bool(user.get("accountEnabled", True)))


def authn_request(request_id: str, now: dt.datetime, destination: str | None = None) -> bytes:
    stamp = now.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.") + \
        f"{now.microsecond // 1000:03d}Z"
    dest = f' Destination="{html.escape(destination)}"' if destination else ""
    return (f'<samlp:AuthnRequest xmlns="urn:oasis:names:tc:SAML:2.0:metadata" '
            f'ID="{request_id}" Version="2.0" IssueInstant="{stamp}"{dest} '
            'xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol">'
            '<Issuer xmlns="urn:oasis:names:tc:SAML:2.0:assertion">'
            'urn:federation:MicrosoftOnline</Issuer>'
            '<samlp:NameIDPolicy Format="urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"/>'
            '</samlp:AuthnRequest>').encode()


class EntraSignin:
    """The two endpoints; ``rules`` is ``strict`` or ``lenient`` (see module doc)."""

    def __init__(self, store: TenantStore, rules: str = "strict") -> None:
        self.store = store
        self.rules = rules_named(rules).name
        self._pending: dict[str, str] = {}  # RelayState -> AuthnRequest ID
        self._lock = threading.Lock()

    def start(self, request: Request) -> Response:
        login = request.query.get("login", "")
        domain = login.rpartition("@")[2].lower()
        with self.store.lock:
            self.store.refresh()
            record = self.store.domain(domain)
            config = self.store.data["federation"].get(domain) if record else None
        if record is None or not isinstance(config, dict) or config.get("_halfFederated") \
                or record.get("authenticationType") != "Federated":
            return self._error_page("AADSTS50034", f"The user account {login} does not exist "
                                    "in the directory, or its domain is not federated.")
        request_id = "_" + str(uuid.uuid4())
        relay = uuid.uuid4().hex
        with self._lock:
            self._pending[relay] = request_id
            while len(self._pending) > 1000:
                self._pending.pop(next(iter(self._pending)))
        saml_request = base64.b64encode(authn_request(request_id, dt.datetime.now(dt.UTC)))
        target = str(config.get("passiveSignInUri") or "")
        page = (f'<html><head><title>Working...</title></head><body onload="document.forms[0]'
                f'.submit()"><form method="POST" action="{html.escape(target)}">'
                f'<input type="hidden" name="SAMLRequest" value="{saml_request.decode()}"/>'
                f'<input type="hidden" name="RelayState" value="{relay}"/>'
                f'</form></body></html>')
        return Response(200, body=page.encode(), content_type=HTML)

    def verdict(self, form: dict[str, str], now: dt.datetime | None = None
                ) -> tuple[Verdict | None, str | None]:
        """Judge a posted form: ``(verdict, None)`` or ``(None, AADSTS code)`` when unusable."""
        value = form.get("SAMLResponse", "")
        if not value.strip():
            return None, "AADSTS90081"
        with self._lock:
            request_id = self._pending.pop(form.get("RelayState", ""), None)
        try:
            decoded = decode(value)
            return judge(decoded.xml, realms(self.store), user_lookup(self.store),
                         now=now or dt.datetime.now(dt.UTC), rules=rules_named(self.rules),
                         request_id=request_id), None
        except InputError:
            return None, "AADSTS50008"

    def login_srf(self, request: Request) -> Response:
        if request.method != "POST":
            return self._error_page("AADSTS90081", "The request holds no SAMLResponse.")
        verdict, code = self.verdict(request.form())
        if verdict is None:
            entry = codes.CODES[code or codes.UNDOCUMENTED]
            return self._error_page(entry.code, entry.meaning)
        if not verdict.ok:
            first = next(f for f in verdict.findings if f.severity == "error")
            return self._error_page(verdict.aadsts or codes.UNDOCUMENTED, first.message)
        page = (f"<html><head><title>Signed in</title></head><body><h1>Signed in</h1>"
                f"<p>Signed in as {html.escape(verdict.user or '')}.</p></body></html>")
        return Response(200, body=page.encode(), content_type=HTML)

    @staticmethod
    def _error_page(code: str, message: str) -> Response:
        # The fields of Microsoft's error page: "Request Id", "Correlation Id", "Timestamp",
        # "Message: AADSTS...".
        stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        body = ("<html><head><title>Sign in</title></head><body><h1>Sign in</h1>"
                "<p>Sorry, but we're having trouble signing you in.</p>"
                f"<p>Request Id: {uuid.uuid4()}</p><p>Correlation Id: {uuid.uuid4()}</p>"
                f"<p>Timestamp: {stamp}</p>"
                f"<p>Message: {html.escape(code)}: {html.escape(message)}</p></body></html>")
        return Response(200, body=body.encode(), content_type=HTML)


def page_text(body: bytes) -> str:
    """The visible text of a page this module rendered (tags dropped, entities decoded)."""
    import re

    return html.unescape(re.sub(r"<[^>]+>", "\n", body.decode("utf-8", "replace")))


def form_fields(body: bytes) -> dict[str, Any]:
    """Action and hidden fields of an auto-posting form."""
    import re

    text = body.decode("utf-8", "replace")
    action = re.search(r'<form[^>]*action="([^"]*)"', text)
    fields = dict(re.findall(r'name="([^"]+)" value="([^"]*)"', text))
    return {"action": html.unescape(action.group(1)) if action else "", **fields}

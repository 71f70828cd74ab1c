"""The sandbox's login endpoints: what msal needs from login.microsoftonline.com.

* ``GET /{tenant}/v2.0/.well-known/openid-configuration`` (and ``/{tenant}/.well-known/...``):
  OIDC discovery with ``device_authorization_endpoint``.
* ``POST /{tenant}/oauth2/v2.0/devicecode``: device authorization.
* ``GET /{tenant}/oauth2/v2.0/authorize``: authorization code + PKCE with a loopback redirect
  (``http://localhost:PORT`` or ``http://127.0.0.1:PORT``); answers ``response_mode=form_post`` with
  a self-submitting HTML form (what msal 1.39 asks for) and otherwise a 302 to the redirect URI.
* ``POST /{tenant}/oauth2/v2.0/token``: grants ``device_code``, ``refresh_token`` and
  ``authorization_code`` (PKCE S256 or plain checked).

Who signs in: the sandbox has no passwords. The authorize endpoint signs in ``login_hint`` when it
names a seed user, else the sandbox's sign-in user (``ops@contoso.com`` unless changed). A device
code is approved at once for the devicecode request's ``login_hint`` (form field or query
parameter; msal passes extra keywords to requests, so ``initiate_device_flow(scopes,
params={"login_hint": upn})`` works) or else the sign-in user, unless automatic
approval is off: then it stays ``authorization_pending`` until someone approves it, on the page
``verification_uri`` points to (``/sandbox/device``), with ``POST /sandbox/approve``
(form ``user_code``, ``upn``) or with ``Sandbox.approve_device_code``.

Token responses carry ``client_info`` and an ``id_token`` so msal's ``get_accounts`` lists the
user. AADSTS error texts are our best reading of Microsoft's (codes are the real ones).
"""

from __future__ import annotations

import base64
import hashlib
import html
import secrets
import string
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlencode, urlsplit

from sandbox.consent import (
    TokenLog,
    add_consent,
    consented,
    requested_permissions,
    unconsentable,
)
from sandbox.state import TenantStore
from sandbox.tokens import (
    GRAPH_PREFIX,
    TokenError,
    access_claims,
    client_info,
    decode,
    encode,
    id_token_claims,
)
from sandbox.wire import Request, Response

DEVICE_CODE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
DEVICE_CODE_LIFETIME_S = 900
DEVICE_POLL_INTERVAL_S = 1  # Entra says 5; 1 keeps msal's polling loop short in tests and demo
REFRESH_LIFETIME_S = 90 * 24 * 3600
DEFAULT_CLIENT_ID = "14d82eec-204b-4c2f-b7e8-296a70dab67e"
USER_CODE_ALPHABET = string.ascii_uppercase + string.digits
# Grants where the admin is in front of a sign-in page and can consent to new permissions;
# "sandbox" is the in-process demo session signing itself in.
INTERACTIVE_GRANTS = frozenset({"device_code", "authorization_code", "sandbox"})


def _as_requested(granted: Sequence[str], requested: Sequence[str]) -> list[str]:
    """The granted permissions written as the request wrote Graph's (msal matches cached tokens
    by these strings): fully qualified when the request was."""
    qualified = any(s.startswith(GRAPH_PREFIX) for s in requested)
    return [f"{GRAPH_PREFIX}{p}" if qualified else p for p in granted]


@dataclass
class DeviceCode:
    """A pending device authorization."""

    device_code: str
    user_code: str
    client_id: str
    scopes: list[str]
    expires_at: float
    upn: str | None = None  # set when approved


@dataclass
class AuthCode:
    """An issued authorization code waiting to be redeemed (once)."""

    client_id: str
    redirect_uri: str
    scopes: list[str]
    upn: str
    challenge: str | None
    challenge_method: str
    nonce: str | None
    expires_at: float


@dataclass
class LoginSettings:
    """Who signs in and how; the Sandbox changes these at runtime."""

    signin_user: str = "ops@contoso.com"
    auto_approve: bool = True
    access_lifetime_s: int = 3600
    # The admin says "No" on the device-code page: polls answer ``authorization_declined``
    # (https://learn.microsoft.com/entra/identity-platform/v2-oauth2-device-code, expected errors).
    decline_device_codes: bool = False


def oauth_error(error: str, code: int, description: str, status: int = 400) -> Response:
    """Entra's token-endpoint error body."""
    trace = str(uuid.uuid4())
    return Response(status, {
        "error": error,
        "error_description": f"AADSTS{code}: {description} Trace ID: {trace} "
                             f"Correlation ID: {uuid.uuid4()} Timestamp: "
                             f"{time.strftime('%Y-%m-%d %H:%M:%SZ', time.gmtime())}",
        "error_codes": [code], "timestamp": time.strftime("%Y-%m-%d %H:%M:%SZ", time.gmtime()),
        "trace_id": trace, "correlation_id": str(uuid.uuid4()),
        "error_uri": f"https://login.microsoftonline.com/error?code={code}"},
        content_type="application/json; charset=utf-8")


@dataclass
class Login:
    """The login endpoints over one tenant; ``base_url`` is the sandbox's https://127.0.0.1:PORT."""

    store: TenantStore
    base_url: str
    settings: LoginSettings = field(default_factory=LoginSettings)
    now: Callable[[], float] = time.time
    token_log: TokenLog | None = None
    _devices: dict[str, DeviceCode] = field(default_factory=dict)
    _codes: dict[str, AuthCode] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # ------------------------------------------------------------------------------ tokens

    def issue_access_token(self, upn: str, scopes: Sequence[str], *, lifetime_s: int | None = None,
                           client_id: str = DEFAULT_CLIENT_ID) -> str:
        """A Graph access token for seed user ``upn`` with ``scp`` = ``scopes`` and ``wids`` =
        the user's current roles. KeyError when ``upn`` is not a user of the tenant."""
        with self.store.lock:
            self.store.refresh()
            user = self.store.user_by_upn(upn)
            if user is None:
                raise KeyError(upn)
            wids = self.store.user_roles(user["id"])
            claims = access_claims(tenant_id=self.store.tenant_id, user=user, scopes=scopes,
                                   wids=wids, lifetime_s=self.settings.access_lifetime_s
                                   if lifetime_s is None else lifetime_s,
                                   client_id=client_id, issuer_base=self.base_url)
        return encode(claims, self.store.secret)

    def _token_response(self, upn: str, scopes: list[str], client_id: str,
                        nonce: str | None = None, *, grant: str) -> Response:
        """Entra's answer to a token request: the client's consented permissions (see
        ``consent.py``), after the admin consents to new ones in an interactive ``grant``
        (device code, authorization code, the in-process ``sandbox`` sign-in); a refresh-token
        request naming a permission not consented yet fails with AADSTS65001."""
        requested = requested_permissions(scopes)
        granted, refusal = self.grant(upn, requested, client_id, grant=grant)
        if refusal is not None:
            return refusal
        with self.store.lock:
            self.store.refresh()
            user = self.store.user_by_upn(upn)
            tenant_id = self.store.tenant_id
        assert user is not None  # grant() refused unknown users
        lifetime = self.settings.access_lifetime_s
        access = self.issue_access_token(upn, granted, lifetime_s=lifetime,
                                         client_id=client_id)
        refresh = encode({"typ": "refresh", "upn": upn, "tid": tenant_id, "cid": client_id,
                          "scopes": granted, "jti": uuid.uuid4().hex,
                          "exp": int(self.now()) + REFRESH_LIFETIME_S}, self.store.secret)
        id_token = encode(id_token_claims(tenant_id=tenant_id, user=user, client_id=client_id,
                                          issuer=self.issuer, nonce=nonce,
                                          lifetime_s=lifetime), self.store.secret)
        payload = {"token_type": "Bearer", "scope": " ".join(_as_requested(granted, scopes)),
                   "expires_in": lifetime, "ext_expires_in": lifetime,
                   "access_token": access, "refresh_token": refresh, "id_token": id_token,
                   "client_info": client_info(tenant_id=tenant_id, user_id=user["id"])}
        return Response(200, payload, content_type="application/json; charset=utf-8",
                        headers={"Cache-Control": "no-store, no-cache", "Pragma": "no-cache"})

    def grant(self, upn: str, requested: list[str], client_id: str, *,
              grant: str) -> tuple[list[str], Response | None]:
        """(the permissions a token for ``upn`` carries, or an error answer), applying consent
        and recording the attempt in the token log."""
        interactive = grant in INTERACTIVE_GRANTS
        with self.store.lock:
            self.store.refresh()
            user = self.store.user_by_upn(upn)
            blocked = unconsentable(self.store)
            current = consented(self.store, client_id)
            tenant_id = self.store.tenant_id
        refusal: Response | None = None
        if user is None:
            refusal = oauth_error("invalid_grant", 50034,
                                  f"The user account {upn} does not exist in the "
                                  f"{tenant_id} directory.")
        else:
            wanted = [p for p in requested if p != ".default"]
            if any(p in blocked for p in wanted) or (
                    not interactive and any(p not in current for p in wanted)):
                refusal = oauth_error("invalid_grant", 65001,
                                      f"The user or administrator has not consented to use the "
                                      f"application with ID '{client_id}'. Send an interactive "
                                      f"authorization request for this user and resource.")
            elif interactive and any(p not in current for p in wanted):
                add_consent(self.store, client_id, wanted)
                with self.store.lock:
                    current = consented(self.store, client_id)
        granted = [] if refusal is not None else current
        if self.token_log is not None:
            self.token_log.record(grant=grant, client_id=client_id, upn=upn,
                                  requested=requested, granted=granted,
                                  error="AADSTS65001" if refusal is not None and user else
                                  ("AADSTS50034" if refusal is not None else None))
        return granted, refusal

    @property
    def issuer(self) -> str:
        return f"{self.base_url}/{self.store.tenant_id}/v2.0"

    # ----------------------------------------------------------------------------- routing

    def known_tenant(self, segment: str) -> bool:
        if segment.lower() in ("common", "organizations", self.store.tenant_id.lower()):
            return True
        domain = self.store.domain(segment)
        return bool(domain and domain["isVerified"])

    def handle(self, request: Request, tenant: str, rest: list[str]) -> Response:
        if not self.known_tenant(tenant):
            return oauth_error("invalid_tenant", 90002,
                               f"Tenant '{tenant}' not found. Check to make sure you have the "
                               "correct tenant ID and are signing into the correct cloud.")
        tail = "/".join(rest).lower()
        if tail in ("v2.0/.well-known/openid-configuration", ".well-known/openid-configuration"):
            return self.discovery(tenant)
        if tail == "oauth2/v2.0/devicecode" and request.method == "POST":
            return self.device_code(request)
        if tail == "oauth2/v2.0/token" and request.method == "POST":
            return self.token(request)
        if tail == "oauth2/v2.0/authorize" and request.method in ("GET", "POST"):
            return self.authorize(request)
        if tail == "oauth2/v2.0/logout":
            return Response(200, body=b"<html><body>Signed out.</body></html>",
                            content_type="text/html; charset=utf-8")
        if tail == "discovery/v2.0/keys":
            return Response(200, {"keys": []}, content_type="application/json; charset=utf-8")
        return Response(404, {"error": "not_found"}, content_type="application/json")

    def discovery(self, tenant: str) -> Response:
        base = f"{self.base_url}/{tenant}"
        document = {
            "token_endpoint": f"{base}/oauth2/v2.0/token",
            "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt",
                                                      "client_secret_basic"],
            "jwks_uri": f"{base}/discovery/v2.0/keys",
            "response_modes_supported": ["query", "fragment", "form_post"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["HS256"],
            "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
            "scopes_supported": ["openid", "profile", "email", "offline_access"],
            "issuer": self.issuer,
            "request_uri_parameter_supported": False,
            "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
            "device_authorization_endpoint": f"{base}/oauth2/v2.0/devicecode",
            "end_session_endpoint": f"{base}/oauth2/v2.0/logout",
            "http_logout_supported": True,
            "frontchannel_logout_supported": True,
            "claims_supported": ["sub", "iss", "aud", "exp", "iat", "nonce", "name",
                                 "preferred_username", "oid", "tid", "ver"],
            "tenant_region_scope": "NA",
            "cloud_instance_name": "microsoftonline.com",
            "cloud_graph_host_name": "graph.windows.net",
            "msgraph_host": "graph.microsoft.com",
        }
        return Response(200, document, content_type="application/json; charset=utf-8")

    # ------------------------------------------------------------------------- device code

    def device_code(self, request: Request) -> Response:
        form = request.form()
        client_id = form.get("client_id", "")
        if not client_id:
            return oauth_error("invalid_request", 900144,
                               "The request body must contain the following parameter: "
                               "'client_id'.")
        user_code = "".join(secrets.choice(USER_CODE_ALPHABET) for _ in range(9))
        entry = DeviceCode(device_code=secrets.token_urlsafe(32), user_code=user_code,
                           client_id=client_id, scopes=form.get("scope", "").split(),
                           expires_at=self.now() + DEVICE_CODE_LIFETIME_S)
        if self.settings.auto_approve:
            hint = form.get("login_hint") or request.query.get("login_hint")
            with self.store.lock:
                self.store.refresh()
                known = bool(hint) and self.store.user_by_upn(hint or "") is not None
            entry.upn = hint if known else self.settings.signin_user
        with self._lock:
            now = self.now()
            # Forget codes nobody redeemed in time, so a long-running sandbox stays small.
            for stale in [k for k, e in self._devices.items() if e.expires_at <= now]:
                del self._devices[stale]
            for stale in [k for k, c in self._codes.items() if c.expires_at <= now]:
                del self._codes[stale]
            self._devices[entry.device_code] = entry
        uri = f"{self.base_url}/sandbox/device"
        return Response(200, {
            "user_code": user_code, "device_code": entry.device_code, "verification_uri": uri,
            "expires_in": DEVICE_CODE_LIFETIME_S, "interval": DEVICE_POLL_INTERVAL_S,
            "message": f"To sign in, use a web browser to open the page {uri} and enter the "
                       f"code {user_code} to authenticate."},
            content_type="application/json; charset=utf-8")

    def approve(self, user_code: str, upn: str | None = None) -> bool:
        """Approve the pending device code ``user_code`` for ``upn`` (default: the sign-in user).
        False when there is no such pending code or no such user."""
        upn = upn or self.settings.signin_user
        with self.store.lock:
            self.store.refresh()
            if self.store.user_by_upn(upn) is None:
                return False
        with self._lock:
            for entry in self._devices.values():
                if entry.user_code == user_code.strip().upper() and entry.upn is None \
                        and entry.expires_at > self.now():
                    entry.upn = upn
                    return True
        return False

    def pending_user_codes(self) -> list[str]:
        with self._lock:
            return [e.user_code for e in self._devices.values()
                    if e.upn is None and e.expires_at > self.now()]

    # ------------------------------------------------------------------------------ token

    def token(self, request: Request) -> Response:
        form = request.form()
        grant = form.get("grant_type", "")
        client_id = form.get("client_id", DEFAULT_CLIENT_ID)
        if grant == DEVICE_CODE_GRANT:
            with self._lock:
                entry = self._devices.get(form.get("device_code", ""))
                if entry is None:
                    return oauth_error("invalid_grant", 70000,
                                       "The provided value for the input parameter "
                                       "'device_code' is not valid.")
                if entry.expires_at <= self.now():
                    del self._devices[entry.device_code]
                    return oauth_error("expired_token", 70020,
                                       "The provided value for the input parameter "
                                       "'device_code' is expired.")
                if self.settings.decline_device_codes:
                    del self._devices[entry.device_code]
                    # The error is Microsoft's; the AADSTS number is our best reading.
                    return oauth_error("authorization_declined", 70000,
                                       "The end user denied the authorization request.")
                if entry.upn is None:
                    return oauth_error("authorization_pending", 70016,
                                       "OAuth 2.0 device flow error. Authorization is pending. "
                                       "Continue polling.")
                del self._devices[entry.device_code]
            return self._token_response(entry.upn, entry.scopes, entry.client_id,
                                        grant="device_code")
        if grant == "refresh_token":
            try:
                claims = decode(form.get("refresh_token", ""), self.store.secret,
                                now=self.now())
                if claims.get("typ") != "refresh" or claims.get("tid") != self.store.tenant_id:
                    raise TokenError("malformed")
            except TokenError as exc:
                if exc.reason == "expired":
                    return oauth_error("invalid_grant", 700082,
                                       "The refresh token has expired due to inactivity.")
                return oauth_error("invalid_grant", 9002313,
                                   "Invalid request. Request is malformed or invalid.")
            scopes = form.get("scope", "").split() or list(claims.get("scopes") or [])
            return self._token_response(str(claims["upn"]), scopes, client_id,
                                        grant="refresh_token")
        if grant == "authorization_code":
            with self._lock:
                code = self._codes.pop(form.get("code", ""), None)
            if code is None or code.expires_at <= self.now():
                return oauth_error("invalid_grant", 70008,
                                   "The provided authorization code or refresh token has "
                                   "expired due to inactivity.")
            if form.get("redirect_uri") != code.redirect_uri or client_id != code.client_id:
                return oauth_error("invalid_grant", 50148,
                                   "The redirect URI or client ID does not match the one used "
                                   "to obtain the authorization code.")
            if code.challenge is not None:
                verifier = form.get("code_verifier", "")
                if code.challenge_method == "S256":
                    computed = base64.urlsafe_b64encode(
                        hashlib.sha256(verifier.encode("ascii")).digest()).rstrip(b"=").decode()
                else:
                    computed = verifier
                if not verifier or computed != code.challenge:
                    return oauth_error("invalid_grant", 501481,
                                       "The Code_Verifier does not match the code_challenge "
                                       "supplied in the authorization request.")
            scopes = form.get("scope", "").split() or code.scopes
            return self._token_response(code.upn, scopes, client_id, nonce=code.nonce,
                                        grant="authorization_code")
        return oauth_error("unsupported_grant_type", 70003,
                           "The app requested an unsupported grant type "
                           f"'{html.escape(grant)}'.")

    # -------------------------------------------------------------------------- authorize

    def authorize(self, request: Request) -> Response:
        params = dict(request.query)
        if request.method == "POST":
            params.update(request.form())
        redirect_uri = params.get("redirect_uri", "")
        parts = urlsplit(redirect_uri)
        if parts.scheme != "http" or parts.hostname not in ("localhost", "127.0.0.1"):
            # Only the loopback redirect a desktop public client registers.
            return Response(400, body=("<html><body>AADSTS50011: The redirect URI "
                                       f"'{html.escape(redirect_uri)}' specified in the request "
                                       "does not match the redirect URIs configured for the "
                                       "application.</body></html>").encode(),
                            content_type="text/html; charset=utf-8")
        if params.get("response_type") != "code":
            return self._redirect(params, {"error": "unsupported_response_type",
                                           "error_description": "AADSTS700054: response_type "
                                           "must be 'code'."})
        method = params.get("code_challenge_method", "plain")
        if method not in ("S256", "plain"):
            return self._redirect(params, {"error": "invalid_request",
                                           "error_description": "AADSTS501491: Invalid "
                                           "code_challenge_method."})
        hint = params.get("login_hint")
        with self.store.lock:
            self.store.refresh()
            known = bool(hint) and self.store.user_by_upn(hint or "") is not None
            upn = hint if known and hint else self.settings.signin_user
            user = self.store.user_by_upn(upn)
            tenant_id = self.store.tenant_id
        code_value = secrets.token_urlsafe(32)
        with self._lock:
            self._codes[code_value] = AuthCode(
                client_id=params.get("client_id", ""), redirect_uri=redirect_uri,
                scopes=params.get("scope", "").split(), upn=upn,
                challenge=params.get("code_challenge"), challenge_method=method,
                nonce=params.get("nonce"), expires_at=self.now() + 600)
        answer = {"code": code_value, "state": params.get("state", "")}
        if user is not None:
            answer["client_info"] = client_info(tenant_id=tenant_id, user_id=user["id"])
        return self._redirect(params, answer)

    @staticmethod
    def _redirect(params: dict[str, str], answer: dict[str, str]) -> Response:
        redirect_uri = params.get("redirect_uri", "")
        if params.get("response_mode") == "form_post":
            inputs = "".join(f'<input type="hidden" name="{html.escape(k)}" '
                             f'value="{html.escape(v)}"/>' for k, v in answer.items())
            page = (f'<html><head><title>Working...</title></head><body '
                    f'onload="document.forms[0].submit()"><form method="POST" name="hiddenform" '
                    f'action="{html.escape(redirect_uri)}">{inputs}<noscript><p>Script is '
                    'disabled. Click Submit to continue.</p><input type="submit" '
                    'value="Submit"/></noscript></form></body></html>')
            return Response(200, body=page.encode(), content_type="text/html; charset=utf-8")
        separator = "&" if "?" in redirect_uri else "?"
        return Response(302, body=b"", content_type="text/html",
                        headers={"Location": redirect_uri + separator + urlencode(answer)})


def device_page(base_url: str, pending: list[str], users: list[str], message: str = "") -> bytes:
    """The page ``verification_uri`` points to: pick a seed user, enter the code, approve."""
    options = "".join(f"<option>{html.escape(u)}</option>" for u in users)
    codes = ", ".join(html.escape(c) for c in pending) or "none"
    body = (f"<html><head><title>Sandbox sign-in</title></head><body>"
            f"<h1>Contoso (sandbox) sign-in</h1><p>{html.escape(message)}</p>"
            f'<form method="POST" action="{html.escape(base_url)}/sandbox/approve">'
            f'<label>Code <input name="user_code"/></label> '
            f'<label>Sign in as <select name="upn">{options}</select></label> '
            f'<input type="submit" value="Approve"/></form>'
            f"<p>Pending codes: {codes}</p></body></html>")
    return body.encode("utf-8")

"""Sandbox access, refresh and ID tokens: compact JWTs signed HS256 with a per-sandbox secret.

Real Entra access tokens are RS256 and opaque to clients; Federator never validates them, it only
sends them. So the sandbox keeps signing simple (a secret that lives in the sandbox folder) while
the claims are the ones Graph and msal care about: ``upn``, ``oid``, ``tid``, ``scp``, ``wids``,
``exp``. Refresh tokens are signed the same way, so they survive a restart of the sandbox.
"""

from __future__ import annotations

import base64
import json
import threading
import time
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

_stamp_lock = threading.Lock()
_last_stamp_ns = 0


def stamp_ns() -> int:
    """Wall-clock nanoseconds, strictly increasing within this process: the order of token
    issuance and the ``expire-token`` fault. Windows' clock advances in 15.6 ms steps
    (https://learn.microsoft.com/windows/win32/sysinfo/acquiring-high-resolution-time-stamps),
    so a token issued just before the fault would otherwise share its instant, and survive."""
    global _last_stamp_ns
    with _stamp_lock:
        _last_stamp_ns = max(time.time_ns(), _last_stamp_ns + 1)
        return _last_stamp_ns


GRAPH_AUDIENCE = "https://graph.microsoft.com"
# Scopes Federator asks for (core.auth); what a token issued without explicit scopes carries.
DEFAULT_SCOPES: tuple[str, ...] = (
    "Domain-InternalFederation.ReadWrite.All",
    "Domain.Read.All",
    "User.Read.All",
    "RoleManagement.Read.Directory",
    "Organization.Read.All",
    "User.Read",
)
GRAPH_PREFIX = "https://graph.microsoft.com/"
RESERVED_SCOPES = frozenset({"openid", "profile", "offline_access", "email"})


class TokenError(Exception):
    """A token that cannot be used; ``reason`` is ``malformed``, ``signature`` or ``expired``."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def encode(claims: Mapping[str, Any], secret: bytes, *, kind: str = "JWT") -> str:
    """A compact JWS (HS256) of ``claims`` (PyJWT, installed with msal)."""
    import jwt

    return jwt.encode(dict(claims), secret, algorithm="HS256", headers={"typ": kind})


def decode(token: str, secret: bytes, *, now: float | None = None,
           check_expiry: bool = True) -> dict[str, Any]:
    """The claims of ``token`` after checking its signature and (by default) its expiry
    (against ``now``, which PyJWT cannot be given: checked here)."""
    import jwt

    try:
        claims = jwt.decode(token, secret, algorithms=["HS256"],
                            options={"verify_exp": False, "verify_nbf": False,
                                     "verify_iat": False, "verify_aud": False,
                                     "verify_iss": False})
    except jwt.InvalidSignatureError as exc:
        raise TokenError("signature") from exc
    except jwt.InvalidTokenError as exc:
        raise TokenError("malformed") from exc
    if not isinstance(claims, dict):
        raise TokenError("malformed")
    exp = claims.get("exp")
    if check_expiry and (not isinstance(exp, int | float) or (now or time.time()) >= exp):
        raise TokenError("expired")
    return claims


def short_scope(scope: str) -> str:
    """``https://graph.microsoft.com/Domain.Read.All`` -> ``Domain.Read.All``."""
    return scope[len(GRAPH_PREFIX):] if scope.startswith(GRAPH_PREFIX) else scope


def access_claims(*, tenant_id: str, user: Mapping[str, Any], scopes: Sequence[str],
                  wids: Sequence[str], lifetime_s: int, client_id: str,
                  issuer_base: str) -> dict[str, Any]:
    """Claims of a Graph access token for ``user`` (v1.0-style, as Graph receives them)."""
    now = time.time()
    return {
        "aud": GRAPH_AUDIENCE,
        "iss": f"https://sts.windows.net/{tenant_id}/",
        "iat": int(now),
        "nbf": int(now),
        "exp": int(now) + lifetime_s,
        "appid": client_id,
        "name": user["displayName"],
        "oid": user["id"],
        "scp": " ".join(short_scope(s) for s in scopes if s not in RESERVED_SCOPES),
        "sub": user["id"],
        "tid": tenant_id,
        "unique_name": user["userPrincipalName"],
        "upn": user["userPrincipalName"],
        "uti": uuid.uuid4().hex,
        "ver": "1.0",
        "wids": list(wids),
        # Wall-clock nanoseconds: lets the ``expire-token`` fault expire exactly the tokens issued
        # before it, even several within the same second. Sandbox-only claim.
        "xms_sbx_t": stamp_ns(),
        "xms_sbx_iss": issuer_base,
    }


def id_token_claims(*, tenant_id: str, user: Mapping[str, Any], client_id: str, issuer: str,
                    nonce: str | None, lifetime_s: int) -> dict[str, Any]:
    """Claims of an OIDC ID token (v2.0); msal builds its account from these and client_info."""
    now = int(time.time())
    claims: dict[str, Any] = {
        "aud": client_id, "iss": issuer, "iat": now, "nbf": now, "exp": now + lifetime_s,
        "name": user["displayName"], "oid": user["id"],
        "preferred_username": user["userPrincipalName"], "sub": user["id"], "tid": tenant_id,
        "ver": "2.0",
    }
    if nonce:
        claims["nonce"] = nonce
    return claims


def client_info(*, tenant_id: str, user_id: str) -> str:
    """The ``client_info`` msal asks for (``client_info=1``): base64url JSON of uid and utid."""
    return b64url(json.dumps({"uid": user_id, "utid": tenant_id}).encode())

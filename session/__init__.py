"""Which tenant a session talks to: the one rule both faces use.

``open_session(options)`` returns a :class:`core.tenant.TenantSession` on:

* the sandbox tenant (demo mode) with ``--sandbox`` (``options.sandbox``), or when no real tenant
  is configured yet: on the persisted state under Federator's home, signed in as
  ops@contoso.com (``--as UPN`` for another seed user). Faults and latency can be injected into
  any command with environment variables:

  - ``FEDERATOR_SANDBOX_FAULTS=SPEC`` (the SPEC grammar is in ``sandbox/faults.py`` and the
    README, e.g. ``429:3@0.5,503:0.1,drop:1,expire-token``),
  - ``FEDERATOR_SANDBOX_LATENCY_MS=MS`` (added to every request),
  - ``FEDERATOR_SANDBOX_PROPAGATION_S=SECONDS`` (home realm discovery delay),
  - ``FEDERATOR_SANDBOX_SEED=N`` (seed for the tenant and the fault dice),
  - ``FEDERATOR_SANDBOX_USERS=N`` (N more deterministic users in fabrikam.com, for large-tenant
    runs; see ``sandbox/bulk.py``),
  - ``FEDERATOR_SANDBOX_IMMUTABLE_NULL=refuse`` (refuse ``onPremisesImmutableId eq null``
    filters, as Microsoft's filter table suggests; default: answer them),
  - ``FEDERATOR_SANDBOX_ROLES=documented|definitions`` (which role lists the sandbox enforces
    for writes: Microsoft's API pages, the default, or the role definitions; ``core.roles``),
  - ``FEDERATOR_SANDBOX_NOW=ISO-8601`` (the sandbox's clock, for the sample IdP's certificates
    and for the health watch's judgements in sandbox mode: :func:`judgement_now`).

  ``SessionOptions`` has the same knobs for code (tests, the window's demo settings).
* otherwise the configured real tenant (``core.tenant.open_real_session``).

This module sits above ``core`` and ``sandbox`` (faces -> session -> sandbox -> core): core never
imports the sandbox, and the faces reach the sandbox only through here.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from typing import Any

from core.auth import (
    READ_PERMISSIONS,
    WRITE_PERMISSIONS,
    Authenticator,
    SignedInAccount,
    WriteConsent,
    graph_scopes,
    token_claims,
)
from core.clouds import GLOBAL
from core.config import load_tenant_config
from core.errors import FederatorError, InputError
from core.graph.client import GraphClient
from core.tenant import (
    HasSessionOptions,
    SessionOptions,
    TenantSession,
    open_real_session,
    sleep_kwargs,
)
from core.testhooks import note_graph_target
from sandbox import Sandbox

log = logging.getLogger(__name__)

ENV_FAULTS = "FEDERATOR_SANDBOX_FAULTS"
ENV_LATENCY = "FEDERATOR_SANDBOX_LATENCY_MS"
ENV_PROPAGATION = "FEDERATOR_SANDBOX_PROPAGATION_S"
ENV_SEED = "FEDERATOR_SANDBOX_SEED"
ENV_USERS = "FEDERATOR_SANDBOX_USERS"
ENV_IMMUTABLE_NULL = "FEDERATOR_SANDBOX_IMMUTABLE_NULL"
ENV_ROLES = "FEDERATOR_SANDBOX_ROLES"
DEFAULT_SANDBOX_USER = "ops@contoso.com"
SANDBOX_CLIENT_ID = "federator-sandbox"


def open_session(ctx_or_options: HasSessionOptions | SessionOptions) -> TenantSession:
    """A session on the sandbox (``--sandbox`` or nothing configured) or the configured tenant."""
    options = SessionOptions.from_context(ctx_or_options)
    if options.sandbox:  # needs no tenant settings: works even when the settings file is damaged
        return open_sandbox_session(options)
    config = load_tenant_config(options.paths)
    if not config.configured:
        return open_sandbox_session(options, is_default=True)
    if options.sandbox_user:
        raise InputError("--as only applies to the sandbox tenant", code="as_needs_sandbox",
                         remedy="Add --sandbox, or sign in as that user with: federator signin")
    return open_real_session(options, config)




def _env_float(name: str) -> float | None:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return None
    try:
        return float(raw)
    except ValueError:
        raise InputError(f"{name}={raw!r} is not a number", code="bad_environment") from None


def start_sandbox(options: SessionOptions) -> Sandbox:
    """The in-process sandbox on the persisted state, with faults/latency from options or env."""
    faults = options.sandbox_faults
    if faults is None:
        faults = os.environ.get(ENV_FAULTS) or None
    latency = options.sandbox_latency_ms
    if latency is None:
        latency = _env_float(ENV_LATENCY) or 0
    propagation = options.sandbox_propagation_s
    if propagation is None:
        propagation = _env_float(ENV_PROPAGATION) or 0.0
    seed = options.sandbox_seed
    if seed is None:
        seed_value = _env_float(ENV_SEED)
        seed = int(seed_value) if seed_value is not None else 0
    from core.roles import rule_set

    sandbox = Sandbox(options.paths.sandbox_dir, seed=seed, latency_ms=int(latency),
                      faults=faults, propagation_s=propagation, users=sandbox_users(),
                      immutable_null=sandbox_immutable_null(),
                      roles=rule_set(os.environ.get(ENV_ROLES), source=ENV_ROLES),
                      signin_rules=sandbox_signin_rules())
    sandbox.start()
    if faults or latency:
        log.info("sandbox started with faults %r and latency %s ms", faults, latency)
    return sandbox


def sandbox_signin_rules() -> str:
    """``FEDERATOR_SANDBOX_SIGNIN``: how the sandbox's login.srf reads what Microsoft leaves
    open (``strict``, the default, or ``lenient``; see ``sandbox/entra_signin.py``)."""
    from sandbox.entra_signin import RULES

    value = os.environ.get("FEDERATOR_SANDBOX_SIGNIN", "").strip() or "strict"
    if value not in RULES:
        raise InputError(f"FEDERATOR_SANDBOX_SIGNIN={value!r} is not a rule set",
                         code="bad_environment", remedy="Use strict or lenient.")
    return value


def sandbox_users() -> int | None:
    """``FEDERATOR_SANDBOX_USERS``: how many bulk users fabrikam.com holds (None: unchanged)."""
    value = _env_float(ENV_USERS)
    if value is None:
        return None
    if value < 0 or value != int(value):
        raise InputError(f"{ENV_USERS}={value:g} is not a number of users",
                         code="bad_environment", remedy="Use a whole number, such as 50000.")
    return int(value)


def sandbox_immutable_null() -> bool:
    """``FEDERATOR_SANDBOX_IMMUTABLE_NULL``: ``refuse`` or ``answer`` (the default)."""
    raw = (os.environ.get(ENV_IMMUTABLE_NULL) or "answer").strip().lower()
    if raw not in ("answer", "refuse"):
        raise InputError(f"{ENV_IMMUTABLE_NULL}={raw!r} is not answer or refuse",
                         code="bad_environment")
    return raw == "answer"


class SandboxTokens:
    """Token provider for a sandbox session: a token for one seed user, signed in like a client
    of Entra (the sandbox grants the client's consented permissions, see
    ``sandbox/consent.py``): read permissions (plus ``extra_scopes``) until
    :meth:`enable_writes`, then the write permission too. Re-issued when it nears expiry or when
    the client forces a refresh (e.g. after the ``expire-token`` fault)."""

    def __init__(self, sandbox: Sandbox, upn: str, *, lifetime_s: int = 3600,
                 extra_scopes: tuple[str, ...] = ()) -> None:
        self._sandbox = sandbox
        self._upn = upn
        self._lifetime_s = lifetime_s
        self._scopes: list[str] = list(dict.fromkeys((*READ_PERMISSIONS, *extra_scopes)))
        self._token: str | None = None
        self._expires = 0.0
        self._lock = threading.Lock()

    def enable_writes(self, _consent: WriteConsent | None = None,
                      extra: tuple[str, ...] = ()) -> None:
        """Ask for the write permission (and ``extra``) from now on (the sandbox's admin
        consents by itself, within the tenant's consent settings)."""
        with self._lock:
            self._scopes = list(dict.fromkeys((*WRITE_PERMISSIONS, *self._scopes, *extra)))
            self._token = None

    def __call__(self, *, force_refresh: bool = False) -> str:
        with self._lock:
            if force_refresh or self._token is None or time.monotonic() > self._expires - 60:
                try:
                    self._token = self._sandbox.sign_in_token(
                        self._upn, self._scopes, client_id=SANDBOX_CLIENT_ID,
                        lifetime_s=self._lifetime_s)
                except PermissionError as exc:
                    from core.auth import ScopeNotAvailableError

                    raise ScopeNotAvailableError(
                        f"The sandbox tenant refused the requested permissions ({exc}).",
                        remedy="federator sandbox reset restores the seed consent.") from None
                self._expires = time.monotonic() + self._lifetime_s
            return self._token


def sandbox_accounts() -> tuple[tuple[str, str], ...]:
    """(user, what signing in as them rehearses) for the demo tenant's administrators."""
    from sandbox.seed import SEED_ACCOUNTS

    return SEED_ACCOUNTS


def open_sandbox_session(options: SessionOptions, *, is_default: bool = False) -> TenantSession:
    sandbox = start_sandbox(options)
    try:
        upn = (options.sandbox_user or DEFAULT_SANDBOX_USER).strip()
        tokens = SandboxTokens(sandbox, upn, extra_scopes=options.extra_scopes)
        try:
            claims = token_claims(tokens())
        except FederatorError:
            raise
        except Exception:  # the sandbox refuses unknown users
            raise InputError(f"The sandbox tenant has no user {upn}.",
                             code="unknown_sandbox_user",
                             remedy="Use a seed user, e.g. ops@contoso.com, "
                                    "breakglass@contoso.onmicrosoft.com, admin@fabrikam.com.",
                             ) from None
        account = SignedInAccount(upn=str(claims.get("upn") or upn),
                                  display_name=claims.get("name"),
                                  tenant_id=claims.get("tid") or sandbox.tenant_id,
                                  object_id=claims.get("oid"))
        note_graph_target(sandbox.graph_url)
        client = GraphClient(sandbox.graph_url, tokens, verify=str(sandbox.ca_bundle),
                             trust_env=False, policy=options.policy, **sleep_kwargs(options))
    except BaseException:
        sandbox.stop()
        raise
    return TenantSession(client=client, account=account, tenant_id=sandbox.tenant_id,
                         cloud=GLOBAL, sandbox=sandbox, sandbox_is_default=is_default,
                         _enable_writes=tokens.enable_writes)


def sandbox_authenticator(sandbox: Sandbox, *, token_cache: Any = None,
                          client_id: str = SANDBOX_CLIENT_ID) -> Authenticator:
    """A real msal Authenticator pointed at the sandbox's login endpoints (tests, demo)."""
    from core.graph.client import make_session

    session = make_session(verify=str(sandbox.ca_bundle), trust_env=False)
    return Authenticator(client_id, scopes=graph_scopes(GLOBAL),
                         write_scopes=graph_scopes(GLOBAL, write=True),
                         oidc_authority=f"{sandbox.login_url}/{sandbox.tenant_id}/v2.0",
                         token_cache=token_cache, http_client=session)


# -- the sandbox's clock and its sample IdP, for the health watch ---------------------------------

ENV_NOW = "FEDERATOR_SANDBOX_NOW"
SANDBOX_IDP_PATH = "/sandbox/idp/metadata"


def sandbox_now() -> Any:
    """``FEDERATOR_SANDBOX_NOW=ISO-8601``: the sandbox's clock (None when unset), so a
    certificate's expiry can be shown today. A time without a zone is UTC."""
    import datetime as dt

    raw = os.environ.get(ENV_NOW, "").strip()
    if not raw:
        return None
    try:
        when = dt.datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise InputError(f"{ENV_NOW}={raw!r} is not an ISO-8601 time", code="bad_environment",
                         remedy="Use e.g. 2030-01-31T12:00:00Z.") from None
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)


def judgement_now(session: TenantSession) -> Any:
    """The clock Federator judges certificates by: the sandbox's (``FEDERATOR_SANDBOX_NOW``) in
    sandbox mode, the real one against a real tenant (the variable is ignored there)."""
    import datetime as dt

    moved = sandbox_now() if session.sandbox is not None else None
    return moved or dt.datetime.now(dt.UTC)


def metadata_loader(session: TenantSession, now: Any) -> Any:
    """Read a metadata source (file or https URL) for ``session``'s checks, judged at ``now``.

    In sandbox mode the sample IdP's address (``https://127.0.0.1:PORT/sandbox/idp/metadata``,
    whose port changes with every start) is read from this run's sandbox, trusting its CA only;
    every other URL is fetched with the system's trust, TLS verified, as always."""
    from urllib.parse import urlsplit

    from core.metadata import read_metadata

    sandbox: Any = session.sandbox

    def load(source: str) -> Any:
        if sandbox is not None and "://" in source:
            parts = urlsplit(source)
            if parts.hostname in ("127.0.0.1", "localhost", "::1") and \
                    parts.path == SANDBOX_IDP_PATH:
                return read_metadata(f"{sandbox.url}{SANDBOX_IDP_PATH}", now=now,
                                     ca_bundle=sandbox.ca_bundle)
        return read_metadata(source, now=now)

    return load

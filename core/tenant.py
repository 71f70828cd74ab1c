"""THE seam between Federator and a tenant: every command and the GUI get their Graph client here.

``open_session(options)`` returns a :class:`TenantSession`: a ready :class:`GraphClient`, the
signed-in account, the tenant id (and, lazily, its name) and, in sandbox mode, the running
in-process sandbox. Which tenant:

* ``--sandbox`` (``options.sandbox``), or no real tenant configured yet: the sandbox tenant on the
  persisted state under Federator's home, signed in as ops@contoso.com (``--as UPN`` for another
  seed user). Faults and latency can be injected into any command with environment variables:

  - ``FEDERATOR_SANDBOX_FAULTS=SPEC`` (the SPEC grammar is in ``core/sandbox/faults.py`` and the
    README, e.g. ``429:3@0.5,503:0.1,drop:1,expire-token``),
  - ``FEDERATOR_SANDBOX_LATENCY_MS=MS`` (added to every request),
  - ``FEDERATOR_SANDBOX_PROPAGATION_S=SECONDS`` (home realm discovery delay),
  - ``FEDERATOR_SANDBOX_SEED=N`` (seed for the tenant and the fault dice),
  - ``FEDERATOR_SANDBOX_USERS=N`` (N more deterministic users in fabrikam.com, for large-tenant
    runs; see ``core/sandbox/bulk.py``),
  - ``FEDERATOR_SANDBOX_IMMUTABLE_NULL=refuse`` (refuse ``onPremisesImmutableId eq null``
    filters, as Microsoft's filter table suggests; default: answer them).
  - ``FEDERATOR_SANDBOX_ROLES=documented|definitions`` (which role lists the sandbox enforces
    for writes: Microsoft's API pages, the default, or the role definitions; ``core.roles``).

  ``SessionOptions`` has the same knobs for code (tests, GUI demo settings).
* otherwise the configured real tenant (``core.config``), with the signed-in account from the
  persisted msal cache; no account means :class:`SignInRequiredError` ("federator signin").
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from core.auth import (
    READ_PERMISSIONS,
    WRITE_PERMISSIONS,
    Authenticator,
    CacheProtection,
    SignedInAccount,
    SignInRequiredError,
    WriteConsent,
    graph_scopes,
    open_token_cache,
    token_claims,
)
from core.clouds import GLOBAL, Cloud, check_ca_bundle, custom_cloud, get_cloud
from core.config import TenantConfig, load_tenant_config
from core.errors import FederatorError, InputError
from core.graph.client import GraphClient, RetryPolicy
from core.paths import Paths
from core.testhooks import note_graph_target

if TYPE_CHECKING:
    from core.graph.api import Organization
    from core.sandbox import Sandbox

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


class _HasOptions(Protocol):
    """What a CLI ``Context`` offers (duck-typed, so core.tenant does not import commands)."""

    paths: Paths
    sandbox: bool
    sandbox_user: str | None


@dataclass
class SessionOptions:
    """How to open a session; the CLI's Context converts to this, the GUI builds one."""

    paths: Paths
    sandbox: bool = False
    sandbox_user: str | None = None
    sandbox_faults: str | None = None       # None: take FEDERATOR_SANDBOX_FAULTS
    sandbox_latency_ms: float | None = None  # None: take FEDERATOR_SANDBOX_LATENCY_MS
    sandbox_propagation_s: float | None = None
    sandbox_seed: int | None = None
    policy: RetryPolicy | None = None
    sleep: Callable[[float], None] | None = None
    # Delegated permissions one action needs beyond the sign-in's (make-default needs
    # Domain.ReadWrite.All). The sandbox consents to them, as an admin would when asked; a real
    # session is not changed by them: the action checks the token and says how to get them.
    extra_scopes: tuple[str, ...] = ()

    @classmethod
    def from_context(cls, ctx: _HasOptions | SessionOptions) -> SessionOptions:
        if isinstance(ctx, SessionOptions):
            return ctx
        return cls(paths=ctx.paths, sandbox=bool(ctx.sandbox), sandbox_user=ctx.sandbox_user)


@dataclass
class TenantSession:
    """A ready connection to one tenant. Close it (or use ``with``) to stop a sandbox."""

    client: GraphClient
    account: SignedInAccount
    tenant_id: str
    cloud: Cloud
    sandbox: Sandbox | None = None
    sandbox_is_default: bool = False   # sandbox because no real tenant is configured
    authenticator: Authenticator | None = None
    cache: CacheProtection | None = None
    _organization: Organization | None = field(default=None, repr=False)
    _enable_writes: Callable[[WriteConsent | None], None] | None = field(default=None,
                                                                          repr=False)

    @property
    def is_sandbox(self) -> bool:
        return self.sandbox is not None

    def enable_writes(self, consent: WriteConsent | None = None) -> None:
        """Least privilege: a session reads with read permissions only; call this before the
        first change. Tokens then carry the permission to change federation, asked for silently
        when already consented, else through ``consent`` (the face's interactive sign-in, where
        the admin consents). Raises ConsentRequiredError without ``consent``, SignInError
        when Entra refuses (then nothing has been sent to the tenant)."""
        if self._enable_writes is not None:
            self._enable_writes(consent)

    def organization(self) -> Organization:
        """The tenant object (fetched once)."""
        if self._organization is None:
            from core.graph import api

            self._organization = api.organization(self.client)
        return self._organization

    @property
    def tenant_name(self) -> str:
        return str(self.organization().get("displayName") or self.tenant_id)

    def close(self) -> None:
        self.client.close()
        if self.sandbox is not None:
            self.sandbox.stop()
            self.sandbox = None

    def __enter__(self) -> TenantSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@dataclass(frozen=True)
class ConnectionInfo:
    """Who is connected to which tenant, with which directory roles: what ``federator whoami``
    prints and the app's header shows, read one way for both."""

    upn: str
    display_name: str | None
    object_id: str | None
    tenant_id: str
    tenant_name: str
    roles: tuple[str, ...]
    cloud: str
    sandbox: bool
    # Why the roles could not be read (best effort only): "no role" and "could not read" are
    # different answers, and the window must not say the first when it means the second.
    roles_error: str | None = None


def describe_connection(session: TenantSession, *, best_effort: bool = False) -> ConnectionInfo:
    """Read the tenant's name and the signed-in admin's directory roles (one Graph batch, then
    every further page of roles if there are more; blocking).

    ``best_effort``: a read that fails gives the tenant id as the name and no roles instead of
    raising, so a header can still say who is signed in where.
    """
    from core.graph import api
    from core.graph.client import BatchRequest

    tenant_name = session.tenant_id
    roles: list[str] = []
    roles_error: str | None = None
    try:
        org_res, roles_res = session.client.batch([BatchRequest("GET", "/organization"),
                                                   BatchRequest("GET", "/me/transitiveMemberOf")])
        org_res.raise_for_status()
        orgs = (org_res.body or {}).get("value") or [{}]
        tenant_name = str(orgs[0].get("displayName") or session.tenant_id)
        roles_res.raise_for_status()
        if (roles_res.body or {}).get("@odata.nextLink"):  # more than a page: fetch them all
            members = api.my_transitive_roles(session.client)
        else:
            members = [m for m in (roles_res.body or {}).get("value") or []
                       if m.get("@odata.type") == api.DIRECTORY_ROLE_TYPE]
        roles = [str(m.get("displayName") or "") for m in members]
    except FederatorError as exc:
        if not best_effort:
            raise
        log.info("tenant name or roles unreadable", exc_info=True)
        roles_error = exc.message
    account = session.account
    return ConnectionInfo(upn=account.upn, display_name=account.display_name,
                          object_id=account.object_id, tenant_id=session.tenant_id,
                          tenant_name=tenant_name, roles=tuple(sorted(roles)),
                          cloud=session.cloud.name, sandbox=session.is_sandbox,
                          roles_error=roles_error)


def open_session(ctx_or_options: _HasOptions | SessionOptions) -> TenantSession:
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


def cloud_for(config: TenantConfig) -> Cloud:
    """The configured cloud, or the custom endpoints standing in for it (refused, before any
    request, unless Microsoft's or this machine's: ``core.clouds.check_endpoints``)."""
    if config.custom_endpoints:
        check_ca_bundle(str(config.graph_url), str(config.login_url), config.ca_bundle)
        return custom_cloud(str(config.graph_url), str(config.login_url))
    return get_cloud(config.cloud)


def _tls(config: TenantConfig) -> dict[str, Any]:
    """TLS trust for GraphClient: the environment for Microsoft (proxies and corporate CAs live
    there); exactly the given CA bundle, environment ignored, for custom endpoints."""
    if config.custom_endpoints and config.ca_bundle:
        return {"verify": config.ca_bundle, "trust_env": False}
    return {}


def build_authenticator(paths: Paths, config: TenantConfig, *,
                        extra_scopes: tuple[str, ...] = ()) -> tuple[Authenticator,
                                                                      CacheProtection]:
    """The msal authenticator for the configured real tenant, on the persisted token cache:
    read scopes at sign-in, the write ones (plus ``extra_scopes``) at the first change."""
    from core.graph.client import make_session

    cloud = cloud_for(config)
    cache, protection = open_token_cache(paths.token_cache_file)
    scopes = graph_scopes(cloud, legacy=config.legacy_scopes)
    extra_kw: dict[str, Any] = {
        "write_scopes": graph_scopes(cloud, legacy=config.legacy_scopes, write=True,
                                     extra=extra_scopes)}
    extra: dict[str, Any] = {}
    if config.custom_endpoints:
        extra = {"instance_discovery": False, "enable_broker": False,
                 "http_client": make_session(**_tls(config)) if config.ca_bundle else None}
    else:
        extra = {"enable_broker": config.use_broker}
    auth = Authenticator(config.client_id or "", scopes=scopes,
                         authority=cloud.authority(config.tenant), token_cache=cache, **extra,
                         **extra_kw)
    return auth, protection


def open_real_session(options: SessionOptions, config: TenantConfig) -> TenantSession:
    cloud = cloud_for(config)
    auth, protection = build_authenticator(options.paths, config,
                                           extra_scopes=options.extra_scopes)
    account = auth.current_account()
    if account is None:
        where = "" if config.tenant in ("organizations", "common") else f" to {config.tenant}"
        raise SignInRequiredError(f"Not signed in{where}.")
    note_graph_target(cloud.graph_url)
    client = GraphClient(cloud.graph_url, auth.token_provider(account.upn),
                         policy=options.policy, **_tls(config), **_sleep_kw(options))
    upn = account.upn
    return TenantSession(client=client, account=account, tenant_id=account.tenant_id or "",
                         cloud=cloud, authenticator=auth, cache=protection,
                         _enable_writes=lambda consent: auth.enable_writes(upn=upn,
                                                                           consent=consent))


# -- sandbox --------------------------------------------------------------------------------------

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
    from core.sandbox import Sandbox

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
                      roles=rule_set(os.environ.get(ENV_ROLES), source=ENV_ROLES))
    sandbox.start()
    if faults or latency:
        log.info("sandbox started with faults %r and latency %s ms", faults, latency)
    return sandbox


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
    ``core/sandbox/consent.py``): read permissions (plus ``extra_scopes``) until
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

    def enable_writes(self, _consent: WriteConsent | None = None) -> None:
        """Ask for the write permission from now on (the sandbox's admin consents by itself)."""
        with self._lock:
            self._scopes = list(dict.fromkeys((*WRITE_PERMISSIONS, *self._scopes)))
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
                             trust_env=False, policy=options.policy, **_sleep_kw(options))
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


def _sleep_kw(options: SessionOptions) -> dict[str, Any]:
    return {"sleep": options.sleep} if options.sleep is not None else {}

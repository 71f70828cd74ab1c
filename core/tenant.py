"""The tenant session: every command and the window get their Graph client here.

A :class:`TenantSession` is a ready :class:`GraphClient`, the signed-in account, the tenant id
(and, lazily, its name) and, in demo mode, the running sandbox behind it (as a
:class:`SandboxHandle`, so core never imports the sandbox). :func:`open_real_session` opens one
on the configured real tenant (``core.config``), with the signed-in account from the persisted
msal cache; no account means :class:`SignInRequiredError` ("federator signin").

Which tenant a session talks to (the real one or the sandbox) is decided in one place above
core and the sandbox: ``session.open_session``, which both faces call.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from core.auth import (
    Authenticator,
    CacheProtection,
    SignedInAccount,
    SignInRequiredError,
    WriteConsent,
    graph_scopes,
    open_token_cache,
)
from core.clouds import Cloud, check_ca_bundle, custom_cloud, get_cloud
from core.config import TenantConfig
from core.errors import FederatorError
from core.graph.client import GraphClient, RetryPolicy
from core.paths import Paths
from core.testhooks import note_graph_target

if TYPE_CHECKING:
    from core.graph.api import Organization

log = logging.getLogger(__name__)


class SandboxHandle(Protocol):
    """What a session needs of the sandbox tenant behind it (``sandbox.Sandbox`` is one)."""

    def stop(self) -> None: ...

class HasSessionOptions(Protocol):
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
    def from_context(cls, ctx: HasSessionOptions | SessionOptions) -> SessionOptions:
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
    sandbox: SandboxHandle | None = None
    sandbox_is_default: bool = False   # sandbox because no real tenant is configured
    authenticator: Authenticator | None = None
    cache: CacheProtection | None = None
    _organization: Organization | None = field(default=None, repr=False)
    _enable_writes: Callable[[WriteConsent | None, tuple[str, ...]], None] | None = field(
        default=None, repr=False)

    @property
    def is_sandbox(self) -> bool:
        return self.sandbox is not None

    def enable_writes(self, consent: WriteConsent | None = None,
                      extra_permissions: tuple[str, ...] = ()) -> None:
        """Least privilege: a session reads with read permissions only; call this before the
        first change. Tokens then carry the permission to change federation, asked for silently
        when already consented, else through ``consent`` (the face's interactive sign-in, where
        the admin consents). ``extra_permissions`` (short names, e.g. Domain.ReadWrite.All for
        make-default) are asked for the same way, when an action needs them (incremental
        consent: https://learn.microsoft.com/entra/identity-platform/consent-types-developer).
        Raises ConsentRequiredError without ``consent``, SignInError when Entra refuses (then
        nothing has been sent to the tenant)."""
        if self._enable_writes is not None:
            self._enable_writes(consent, tuple(extra_permissions))

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
        # msal's own session would trust certifi only; this one trusts the system store too
        # (a TLS-inspecting proxy's CA), and honours the system proxy (core.trust).
        extra = {"enable_broker": config.use_broker, "http_client": make_session()}
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
                         policy=options.policy, **_tls(config), **sleep_kwargs(options))
    upn = account.upn
    return TenantSession(client=client, account=account, tenant_id=account.tenant_id or "",
                         cloud=cloud, authenticator=auth, cache=protection,
                         _enable_writes=lambda consent, extra: auth.enable_writes(
                             upn=upn, consent=consent, extra=[cloud.scope(p) for p in extra]))


def sleep_kwargs(options: SessionOptions) -> dict[str, Any]:
    return {"sleep": options.sleep} if options.sleep is not None else {}

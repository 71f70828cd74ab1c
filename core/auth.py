"""Signing in to Microsoft Entra with msal, and keeping the tokens safe between runs.

Why a module of its own: sign-in has several ways in (the system browser with a loopback redirect,
the Windows broker when available, device code for the command line), one persisted token cache
that must be encrypted where the platform allows, a least-privilege scope set with a documented
fallback, and rules about secrets: tokens, refresh tokens and device codes never reach a log,
an exception message or a report. Every other module gets a token provider
(:class:`core.graph.client.TokenProvider`) from here and nothing else.

msal and msal-extensions are imported inside the functions that need them (startup time).
"""

from __future__ import annotations

import contextlib
import logging
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.clouds import Cloud
from core.errors import FederatorError

if TYPE_CHECKING:
    import msal

    from core.graph.client import TokenProvider

log = logging.getLogger(__name__)

# Least privilege (https://learn.microsoft.com/graph/permissions-overview): a sign-in asks only
# for what reading needs; the permission to change federation is asked for (incremental consent,
# https://learn.microsoft.com/entra/identity-platform/consent-types-developer) when the admin
# first changes something. Each is explained in the README.
READ_PERMISSIONS: tuple[str, ...] = (
    "Domain.Read.All",                          # list and read domains and their federation
    "User.Read.All",                            # count users and ImmutableIDs per domain
    "RoleManagement.Read.Directory",            # who holds which admin role (break-glass check)
    "Organization.Read.All",                    # the tenant's name and verified domains
)
# Writing federation configuration and a domain's authenticationType: the October 2025
# permission (https://learn.microsoft.com/graph/api/domain-post-federationconfiguration).
WRITE_PERMISSIONS: tuple[str, ...] = ("Domain-InternalFederation.ReadWrite.All",)
# For tenants where the October 2025 permission is not available or not consented yet, only when
# the admin asks for it (``signin --legacy-scopes``): the combination Microsoft's own migration
# guide uses. Directory.AccessAsUser.All lets the app do anything the admin can.
LEGACY_WRITE_PERMISSIONS: tuple[str, ...] = ("Directory.AccessAsUser.All", "Domain.ReadWrite.All")
# Everything Federator may ask for, in either mode (what an admin consents to up front).
LEAST_PRIVILEGE_PERMISSIONS: tuple[str, ...] = (*WRITE_PERMISSIONS, *READ_PERMISSIONS)
LEGACY_PERMISSIONS: tuple[str, ...] = (*LEGACY_WRITE_PERMISSIONS, *READ_PERMISSIONS[1:])
# AADSTS codes meaning "this scope is unknown or cannot be consented here".
_SCOPE_PROBLEM_MARKERS = ("invalid_scope", "AADSTS70011", "AADSTS650053", "AADSTS65001",
                          "AADSTS650057", "AADSTS90094")
# A silent (refresh-token) request for a permission not consented yet: an interactive sign-in
# (where the admin can consent) may still get it.
_CONSENT_MARKERS = ("AADSTS65001", "consent_required", "interaction_required")


def graph_scopes(cloud: Cloud, *, legacy: bool = False, write: bool = False,
                 extra: Sequence[str] = ()) -> list[str]:
    """The delegated scopes to ask for, written in full for ``cloud``'s Graph: the read set, plus
    the write set when ``write`` (the legacy one with ``legacy``), plus ``extra``."""
    permissions = list(READ_PERMISSIONS)
    if write:
        permissions = [*(LEGACY_WRITE_PERMISSIONS if legacy else WRITE_PERMISSIONS), *permissions,
                       *(p for p in extra if p not in permissions)]
    return [cloud.scope(p) for p in dict.fromkeys(permissions)]


class SignInError(FederatorError):
    """Sign-in failed (msal or Entra said no); the message carries Entra's reason, no secrets."""

    code = "signin_failed"


class SignInRequiredError(FederatorError):
    """No usable sign-in: nobody signed in yet, or the refresh token no longer works."""

    code = "not_signed_in"

    def __init__(self, message: str = "Not signed in to the tenant.") -> None:
        super().__init__(message, remedy="Run: federator signin")


class ScopeNotAvailableError(SignInError):
    """Entra does not know or will not consent one of the scopes (older tenant / consent)."""

    code = "scope_not_available"


class ConsentRequiredError(SignInRequiredError):
    """The permission to change the tenant is not consented yet: an interactive sign-in, where
    the admin can consent, is needed (incremental consent)."""

    code = "consent_required"

    def __init__(self, message: str) -> None:
        FederatorError.__init__(
            self, message,
            remedy="Run the change again and consent when asked, or ask a Global Administrator "
                   "to grant Federator admin consent in the Microsoft Entra admin center.")


class SignInDeclinedError(SignInError):
    """The admin (or someone) said No on the sign-in page of the device code."""

    code = "signin_declined"


# What the face does when a change needs a permission the sign-in does not hold yet: run an
# interactive sign-in asking for ``scopes`` (device code in a terminal, the browser in the
# window), where the admin can consent.
WriteConsent = Callable[["Authenticator", list[str]], None]


@dataclass(frozen=True)
class SignedInAccount:
    """Who is signed in: what the GUI and ``whoami`` show."""

    upn: str
    display_name: str | None = None
    tenant_id: str | None = None
    object_id: str | None = None
    home_account_id: str | None = None


@dataclass(frozen=True)
class CacheProtection:
    """How the token cache is stored; ``warning`` is shown to the admin when it is plaintext."""

    path: Path
    encrypted: bool
    kind: str
    warning: str | None = None


def open_token_cache(path: Path) -> tuple[Any, CacheProtection]:
    """A persisted msal token cache at ``path``, encrypted where the platform allows.

    Windows: DPAPI (the user's login key); macOS: Keychain; Linux: libsecret when a keyring is
    running. Otherwise (headless Linux, SSH) a plain file readable only by its owner (0600) next
    to ``path`` and named so (``*.plaintext.json``), plus a warning the caller shows to the admin.
    An encrypted cache that can no longer be decrypted (another user, a reset profile) is only a
    cache: it is discarded and the admin signs in again.
    """
    from msal_extensions import (
        FilePersistence,
        PersistedTokenCache,
        build_encrypted_persistence,
    )

    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        persistence = build_encrypted_persistence(str(path))
        if sys.platform.startswith("linux"):  # libsecret proves itself at construction
            kind = "libsecret"
        else:
            kind = "dpapi" if sys.platform.startswith("win") else "keychain"
            _probe(persistence, path)
        return PersistedTokenCache(persistence), CacheProtection(path, True, kind)
    except Exception as exc:  # any failure of the platform's secret store: fall back
        log.info("encrypted token cache not available here (%s); using a 0600 file",
                 type(exc).__name__)
    plain = path.with_name(f"{path.stem}.plaintext.json")
    persistence = FilePersistence(str(plain))
    if plain.exists():
        plain.chmod(0o600)
    warning = (f"The sign-in token cache is stored unencrypted at {plain} (readable only by "
               "you): this system offers no encrypted store (Windows DPAPI, macOS Keychain or a "
               "running Linux keyring). Run 'federator signout' when you are done.")
    return PersistedTokenCache(persistence), CacheProtection(plain, False, "file", warning)


def _probe(persistence: Any, path: Path) -> None:
    """Windows/macOS encryption errors surface only at load/save; find out now."""
    from msal_extensions.persistence import PersistenceDecryptionError, PersistenceNotFound

    try:
        persistence.load()
    except PersistenceNotFound:
        persistence.save("{}")
    except PersistenceDecryptionError:
        log.warning("the token cache could not be decrypted; starting a new one")
        path.unlink(missing_ok=True)
        persistence.save("{}")


@dataclass
class DeviceCodeFlow:
    """A started device-code sign-in: show ``message`` to the admin, then ``complete`` it."""

    message: str
    user_code: str
    verification_uri: str
    expires_in: int
    _flow: dict[str, Any]

    def cancel(self) -> None:
        """Stop a ``complete`` waiting in another thread (msal's documented way)."""
        self._flow["expires_at"] = 0

    def __repr__(self) -> str:  # never show the device code
        return f"DeviceCodeFlow(verification_uri={self.verification_uri!r})"


class Authenticator:
    """msal's PublicClientApplication for one app registration, tenant and token cache.

    Real tenants: ``authority`` = ``cloud.authority(tenant)``. The sandbox (and tests): an
    ``oidc_authority`` (or an ``authority`` with ``instance_discovery=False``) plus an
    ``http_client`` session that trusts the sandbox CA.
    """

    def __init__(self, client_id: str, *, scopes: Sequence[str],
                 authority: str | None = None, oidc_authority: str | None = None,
                 token_cache: Any = None, http_client: Any = None,
                 enable_broker: bool = False, timeout_s: float = 30.0,
                 instance_discovery: bool = True,
                 write_scopes: Sequence[str] | None = None) -> None:
        if not client_id:
            raise SignInError("No application (client) ID is configured.", code="no_client_id",
                              remedy="Run: federator signin --client-id ID --tenant TENANT")
        self.client_id = client_id
        self.scopes = list(scopes)
        # Asked for at the first change (:meth:`enable_writes`); until then tokens are requested
        # with ``scopes`` only.
        self.write_scopes = list(write_scopes) if write_scopes is not None else list(scopes)
        self.writing = False
        self._authority = authority
        self._oidc_authority = oidc_authority
        self._token_cache = token_cache
        self._http_client = http_client
        self._enable_broker = enable_broker
        self._timeout_s = timeout_s
        self._instance_discovery = instance_discovery
        self._app: msal.PublicClientApplication | None = None
        self._lock = threading.Lock()
        # Why the Windows broker is not used although enabled (it failed to start): a sentence
        # for the admin, or None.
        self.broker_note: str | None = None
        self._cancelled = threading.Event()
        self._pending_auth_uri: str | None = None

    def _broker_failed(self, exc: BaseException) -> None:
        """Stop using the broker in this process, and say why (logged, and ``broker_note``)."""
        self._enable_broker = False
        self._app = None
        self.broker_note = _describe_broker_failure(exc)
        log.warning("%s", self.broker_note)

    @property
    def app(self) -> msal.PublicClientApplication:
        if self._app is None:
            import msal

            _mute_msal_secret_logs()
            kwargs: dict[str, Any] = {"token_cache": self._token_cache, "timeout": self._timeout_s}
            if self._http_client is not None:
                kwargs["http_client"] = self._http_client
            if self._oidc_authority:
                kwargs["oidc_authority"] = self._oidc_authority
            else:
                kwargs["authority"] = self._authority
                if not self._instance_discovery:  # custom endpoints: no Microsoft lookup
                    kwargs["instance_discovery"] = False
                elif self._enable_broker and broker_available():
                    kwargs["enable_broker_on_windows"] = True
            try:
                try:
                    self._app = msal.PublicClientApplication(self.client_id, **kwargs)
                except Exception as exc:
                    if not kwargs.pop("enable_broker_on_windows", False):
                        raise
                    self._broker_failed(exc)
                    self._app = msal.PublicClientApplication(self.client_id, **kwargs)
            except ValueError as exc:
                raise SignInError(f"Cannot use the sign-in authority: {exc}",
                                  code="bad_authority") from None
            except Exception as exc:  # discovery failed: network, TLS, unknown tenant
                reason, remedy = _network_reason(exc)
                raise SignInError(f"Cannot reach the sign-in service ({reason}).",
                                  code="signin_unreachable",
                                  remedy=remedy or "Check the tenant name and the network."
                                  ) from None
        return self._app

    # -- accounts -----------------------------------------------------------------------------

    def accounts(self) -> list[SignedInAccount]:
        """Accounts with tokens in the cache."""
        return [self._describe_account(a) for a in self.app.get_accounts()]

    def _msal_account(self, upn: str | None = None) -> dict[str, Any] | None:
        accounts = self.app.get_accounts(username=upn) if upn else self.app.get_accounts()
        return accounts[0] if accounts else None

    def has_cached_account(self) -> bool:
        """Whether the token cache holds any account, read without msal's network discovery
        (so "not signed in" is answered offline and fast). True when there is no cache object."""
        if self._token_cache is None:
            return True
        import msal

        return any(True for _ in self._token_cache.search(msal.TokenCache.CredentialType.ACCOUNT))

    def current_account(self) -> SignedInAccount | None:
        """The (first) signed-in account, if any."""
        if not self.has_cached_account():
            return None
        account = self._msal_account()
        return self._describe_account(account) if account else None

    def _describe_account(self, account: dict[str, Any]) -> SignedInAccount:
        """An msal account with its display name and object id from the cached ID token."""
        base = _account_from_msal(account)
        claims: dict[str, Any] = {}
        if self._token_cache is not None:
            import msal

            for entry in self._token_cache.search(
                    msal.TokenCache.CredentialType.ID_TOKEN,
                    query={"home_account_id": account.get("home_account_id")}):
                claims = token_claims(str(entry.get("secret", "")))
                break
        return SignedInAccount(base.upn, claims.get("name") or base.display_name,
                               claims.get("tid") or base.tenant_id,
                               claims.get("oid") or base.object_id, base.home_account_id)

    # -- tokens -------------------------------------------------------------------------------

    def acquire_token(self, *, upn: str | None = None, force_refresh: bool = False) -> str:
        """An access token from the cache (refreshed silently when needed or forced), for the
        read scopes, or the write scopes once :meth:`enable_writes` succeeded."""
        scopes = self.write_scopes if self.writing else self.scopes
        result = self._silent(upn=upn, force_refresh=force_refresh, scopes=scopes)
        return str(result["access_token"])

    def enable_writes(self, *, upn: str | None = None,
                      consent: WriteConsent | None = None, extra: Sequence[str] = ()) -> None:
        """From now on ask for the write scopes too: silently when the permissions are consented
        already, else through ``consent`` (an interactive sign-in where the admin consents).
        ``extra``: scopes one action needs beyond them (in full, like ``write_scopes``), asked
        for the same way (incremental consent)."""
        added = [s for s in extra if s not in self.write_scopes]
        if added:
            self.write_scopes = [*self.write_scopes, *added]
        try:
            self._silent(upn=upn, force_refresh=False, scopes=self.write_scopes)
        except ConsentRequiredError:
            if consent is None:
                raise
            log.info("asking the admin to consent to the permission to change federation")
            consent(self, list(self.write_scopes))
            self._silent(upn=upn, force_refresh=False, scopes=self.write_scopes)
        self.writing = True

    def _silent(self, *, upn: str | None, force_refresh: bool,
                scopes: Sequence[str] | None = None) -> dict[str, Any]:
        with self._lock:
            account = self._msal_account(upn)
            if account is None:
                raise SignInRequiredError()
            with _network_errors("Refreshing the sign-in"):
                result = self.app.acquire_token_silent_with_error(
                    list(scopes or self.scopes), account=account, force_refresh=force_refresh)
        if not result or "access_token" not in result:
            reason = _describe(result) if result else "no cached sign-in for these permissions"
            log.info("silent token acquisition failed: %s", reason)
            if result and any(m in f"{reason} {result.get('suberror', '')}"
                              for m in _CONSENT_MARKERS):
                raise ConsentRequiredError(
                    "Changing the tenant needs a permission Federator's sign-in does not hold "
                    f"yet ({reason}).")
            raise SignInRequiredError(f"The sign-in has expired or was revoked ({reason}).")
        return dict(result)

    def token_provider(self, upn: str | None = None) -> TokenProvider:
        """A TokenProvider for GraphClient: silent from the cache, forced refresh on demand."""
        def provide(*, force_refresh: bool = False) -> str:
            return self.acquire_token(upn=upn, force_refresh=force_refresh)
        return provide

    def signed_in_from_result(self, result: dict[str, Any]) -> SignedInAccount:
        claims = result.get("id_token_claims") or {}
        upn = claims.get("preferred_username") or claims.get("upn")
        account = self._msal_account(upn) if upn else self._msal_account()
        if account is not None:
            base = self._describe_account(account)
            return SignedInAccount(base.upn, claims.get("name") or base.display_name,
                                   claims.get("tid") or base.tenant_id,
                                   claims.get("oid") or base.object_id, base.home_account_id)
        return SignedInAccount(str(upn or "unknown"), claims.get("name"), claims.get("tid"),
                               claims.get("oid"))

    # -- sign-in ------------------------------------------------------------------------------

    def sign_in_interactive(self, *, parent_window_handle: Any = None,
                            login_hint: str | None = None, timeout_s: float | None = 300,
                            auth_uri_callback: Callable[[str], None] | None = None,
                            scopes: Sequence[str] | None = None) -> SignedInAccount:
        """The system browser with a loopback redirect (``http://localhost``), or the Windows
        broker when enabled and available (``parent_window_handle`` = the GUI window's handle).

        ``auth_uri_callback`` replaces opening the browser: it receives the sign-in URL (for a
        "copy this link" fallback when no browser can be opened)."""
        import msal

        kwargs: dict[str, Any] = {"prompt": msal.Prompt.SELECT_ACCOUNT, "timeout": timeout_s}
        if login_hint:
            kwargs["login_hint"] = login_hint
        self._cancelled.clear()

        def show(auth_uri: str) -> None:
            # The sign-in URL names the loopback address msal listens on and the state it
            # expects: what :meth:`cancel_interactive` answers to end the wait.
            self._pending_auth_uri = auth_uri
            if auth_uri_callback is not None:
                auth_uri_callback(auth_uri)
            else:
                import webbrowser

                webbrowser.open(auth_uri)

        kwargs["auth_uri_callback"] = show
        app = self.app  # may turn the broker off (it failed to start)
        if self._enable_broker and broker_available():
            kwargs["parent_window_handle"] = (
                parent_window_handle if parent_window_handle is not None
                else msal.PublicClientApplication.CONSOLE_WINDOW_HANDLE)
        with _network_errors("Browser sign-in"):  # the code is redeemed over the network
            try:
                try:
                    result = app.acquire_token_interactive(list(scopes or self.scopes), **kwargs)
                except (msal.BrowserInteractionTimeoutError, ValueError, OSError):
                    raise
                except Exception as exc:
                    if "parent_window_handle" not in kwargs:
                        raise
                    # The broker (pymsalruntime, a native module) failed in a way msal does not
                    # translate: sign in with the browser instead, saying so.
                    self._broker_failed(exc)
                    kwargs.pop("parent_window_handle")
                    result = self.app.acquire_token_interactive(list(scopes or self.scopes),
                                                                **kwargs)
            except msal.BrowserInteractionTimeoutError:
                raise SignInError("The browser sign-in was not completed in time.",
                                  code="signin_timeout") from None
            except ValueError as exc:
                # msal.broker.RedirectUriError: that module imports only where the broker
                # (pymsalruntime) is installed, so it is recognised by name.
                if type(exc).__name__ != "RedirectUriError":
                    raise
                raise SignInError(f"The app registration lacks the redirect URI msal needs: "
                                  f"{_short(exc)}", code="redirect_uri_missing",
                                  remedy="Add the redirect URIs listed in the README "
                                         "('Signing in to your tenant').") from None
            finally:
                self._pending_auth_uri = None
        if self._cancelled.is_set():
            raise SignInError("The sign-in was cancelled.", code="signin_cancelled")
        return self._finish(result)

    def cancel_interactive(self) -> None:
        """End a browser sign-in that is waiting in another thread (the window is closing).

        msal waits up to the timeout for the browser to come back to its loopback listener,
        and has no cancel call; so this comes back in the browser's place with an OAuth error
        response (RFC 6749 section 4.1.2.1, ``access_denied``) carrying the expected state."""
        self._cancelled.set()
        uri = self._pending_auth_uri
        if not uri:
            return
        from urllib.parse import parse_qs, urlencode, urlsplit
        from urllib.request import ProxyHandler, build_opener

        query = parse_qs(urlsplit(uri).query)
        redirect = (query.get("redirect_uri") or [""])[0]
        target = urlsplit(redirect)
        if target.scheme != "http" or target.hostname not in ("localhost", "127.0.0.1"):
            return  # only ever msal's own loopback listener
        answer = urlencode({"error": "access_denied", "error_description": "cancelled",
                            "state": (query.get("state") or [""])[0]})
        with contextlib.suppress(OSError):
            # Posted, as the browser would (msal asks for response_mode=form_post and refuses
            # a response in the query); no proxy: the listener is on this machine.
            build_opener(ProxyHandler({})).open(redirect, data=answer.encode("ascii"),
                                                timeout=5).close()

    def start_device_flow(self, scopes: Sequence[str] | None = None) -> DeviceCodeFlow:
        """Ask Entra for a device code; show ``message`` and call :meth:`complete_device_flow`."""
        with _network_errors("Device-code sign-in"):
            flow = self.app.initiate_device_flow(scopes=list(scopes or self.scopes))
        if "user_code" not in flow:
            raise _error_from_result(flow, "Device-code sign-in could not start")
        return DeviceCodeFlow(message=str(flow.get("message", "")),
                              user_code=str(flow["user_code"]),
                              verification_uri=str(flow.get("verification_uri", "")),
                              expires_in=int(flow.get("expires_in", 900)), _flow=flow)

    def complete_device_flow(self, flow: DeviceCodeFlow) -> SignedInAccount:
        """Wait (blocking) until the admin finished on the other device, or the code expired."""
        with _network_errors("Device-code sign-in"):
            result = self.app.acquire_token_by_device_flow(flow._flow)
        return self._finish(result)

    def sign_in_device_code(self, show: Callable[[DeviceCodeFlow], None], *,
                            scopes: Sequence[str] | None = None) -> SignedInAccount:
        flow = self.start_device_flow(scopes)
        show(flow)
        return self.complete_device_flow(flow)

    def _finish(self, result: dict[str, Any] | None) -> SignedInAccount:
        if not result or "access_token" not in result:
            raise _error_from_result(result or {}, "Sign-in failed")
        account = self.signed_in_from_result(result)
        log.info("signed in as %s", account.upn)
        return account

    def sign_out(self, upn: str | None = None) -> list[str]:
        """Remove the account(s) and their tokens from the cache (and the broker). Returns the
        UPNs removed; with ``upn`` None every account is signed out."""
        removed: list[str] = []
        with self._lock:
            for account in self.app.get_accounts(username=upn) if upn else self.app.get_accounts():
                self.app.remove_account(account)
                removed.append(str(account.get("username", "")))
        log.info("signed out %d account(s)", len(removed))
        return removed


@contextlib.contextmanager
def _network_errors(what: str) -> Iterator[None]:
    """msal lets requests' network errors through; turn them into a readable SignInError."""
    try:
        yield
    except (OSError, ValueError) as exc:  # requests' errors are OSErrors too
        if type(exc).__module__.startswith("msal_extensions"):
            raise SignInError(f"The token cache cannot be read or written ({type(exc).__name__})"
                              ".", code="token_cache_unusable",
                              remedy="Run 'federator signout', then sign in again.") from None
        reason, remedy = _network_reason(exc)
        raise SignInError(f"{what} could not reach the sign-in service ({reason}).",
                          code="signin_unreachable",
                          remedy=remedy or "Check the network (and proxy) and try again."
                          ) from None


def _network_reason(exc: BaseException) -> tuple[str, str | None]:
    """(plain reason, specific remedy or None) for a failure to talk to the sign-in service."""
    import requests

    if isinstance(exc, requests.exceptions.SSLError):
        return ("its TLS certificate is not trusted",
                "If it uses a private CA (a sandbox from 'federator sandbox serve'), give that "
                "CA with --ca-bundle; on a company network, ask whether a proxy inspects TLS.")
    if isinstance(exc, requests.exceptions.Timeout):
        return "no answer in time", None
    if isinstance(exc, requests.exceptions.ConnectionError):
        return "the server could not be reached", None
    return f"{type(exc).__name__}: {_short(exc)}", None


def _mute_msal_secret_logs() -> None:
    """msal logs secrets at DEBUG: the token-cache logger writes each token event with the
    device code (or authorization code) in clear text, and the loopback receiver logs the whole
    auth response. Those two loggers never pass anything below WARNING."""
    for name in ("msal.token_cache", "msal.oauth2cli.authcode"):
        logging.getLogger(name).setLevel(logging.WARNING)


def _describe_broker_failure(exc: BaseException) -> str:
    return (f"The Windows sign-in broker could not start ({_short(exc)}); signing in with the "
            "browser instead. To always use the browser: federator signin --browser --no-broker.")


def broker_available() -> bool:
    """True on Windows when pymsalruntime (msal's WAM bridge) is installed."""
    if not sys.platform.startswith("win"):
        return False
    try:
        import pymsalruntime  # noqa: F401
    except ImportError:
        return False
    return True


def token_claims(token: str) -> dict[str, Any]:
    """The (unverified) claims of a JWT access token: for display only, never for trust."""
    import base64
    import json

    try:
        payload = token.split(".")[1]
        data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _account_from_msal(account: dict[str, Any]) -> SignedInAccount:
    claims = account.get("id_token_claims") or {}
    realm = account.get("realm")
    home = str(account.get("home_account_id") or "")
    if realm in (None, "", "common", "organizations", "consumers") and "." in home:
        realm = home.split(".", 1)[1]  # home_account_id is "<object id>.<tenant id>"
    return SignedInAccount(
        upn=str(account.get("username", "")),
        display_name=claims.get("name") if isinstance(claims, dict) else None,
        tenant_id=realm,
        object_id=account.get("local_account_id"),
        home_account_id=account.get("home_account_id"),
    )


def _describe(result: dict[str, Any]) -> str:
    """Entra's error and description; no tokens live in error answers, but trim anyway."""
    error = str(result.get("error", "error"))
    description = str(result.get("error_description", "")).splitlines()
    first = description[0] if description else ""
    return f"{error}: {first}" if first else error


def _error_from_result(result: dict[str, Any], what: str) -> SignInError:
    reason = _describe(result)
    # Entra's device-code error when the user says No; RFC 8628 §3.5 names it access_denied.
    if result.get("error") in ("authorization_declined", "access_denied"):
        return SignInDeclinedError(
            f"{what}: the sign-in request was declined on the device where the code was entered "
            "(someone chose No or Cancel there). Nothing was changed.",
            remedy="Run the command again and approve the request, signed in as an administrator "
                   "of the tenant; if you did not start this sign-in, do not approve it.")
    if any(marker in reason for marker in _SCOPE_PROBLEM_MARKERS):
        return ScopeNotAvailableError(
            f"{what}: Entra refused the requested permissions ({reason}).",
            remedy="If this tenant has not consented to Domain-InternalFederation.ReadWrite.All "
                   "yet, an administrator can consent it, or sign in with the fallback: "
                   "federator signin --legacy-scopes")
    return SignInError(f"{what} ({reason}).")


def _short(exc: BaseException) -> str:
    text = str(exc)
    return text if len(text) <= 200 else text[:197] + "..."

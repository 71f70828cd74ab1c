"""Sign-in with the REAL msal code path against the sandbox's login endpoints (no mocked msal):
device code, interactive with the loopback redirect, silent reuse of the persisted cache, forced
refresh, sign-out; plus the cache's protection and the scope sets."""

from __future__ import annotations

import json
import re
import stat
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from core.auth import (
    LEAST_PRIVILEGE_PERMISSIONS,
    Authenticator,
    DeviceCodeFlow,
    SignInRequiredError,
    graph_scopes,
    open_token_cache,
)
from core.clouds import CHINA, GLOBAL, US_GOV, get_cloud
from core.errors import InputError
from core.graph import api
from core.graph.client import GraphClient, make_session
from session import sandbox_authenticator


def cached_secrets(cache_file: Path) -> list[str]:
    """Every access and refresh token secret in the msal cache, as the app reads it."""
    data = json.loads(stored_text(cache_file))
    return [entry["secret"] for kind in ("AccessToken", "RefreshToken")
            for entry in data.get(kind, {}).values()]


def stored_text(cache_file: Path) -> str:
    """The cache's contents, decrypted where the platform encrypts it: on Windows the file holds
    DPAPI ciphertext, not JSON (headless Linux: the plaintext file itself)."""
    cache, _protection = open_token_cache(cache_file)
    return str(cache._persistence.load())


@pytest.fixture
def cache_path(tmp_path: Path) -> Path:
    return tmp_path / "cache" / "msal_token_cache.bin"


def signed_in(sandbox: Any, cache_path: Path) -> tuple[Authenticator, list[DeviceCodeFlow]]:
    cache, _ = open_token_cache(cache_path)
    auth = sandbox_authenticator(sandbox, token_cache=cache)
    shown: list[DeviceCodeFlow] = []
    auth.sign_in_device_code(shown.append)
    return auth, shown


def test_device_code_sign_in_with_real_msal(sandbox: Any, cache_path: Path) -> None:
    auth, shown = signed_in(sandbox, cache_path)
    assert "/sandbox/device" in shown[0].message and shown[0].user_code in shown[0].message
    assert [a.upn for a in auth.accounts()] == ["ops@contoso.com"]
    account = auth.current_account()
    assert account is not None and account.tenant_id == sandbox.tenant_id
    # the token works against Graph
    client = GraphClient(sandbox.graph_url, auth.token_provider(), verify=str(sandbox.ca_bundle),
                         trust_env=False)
    assert api.me(client)["userPrincipalName"] == "ops@contoso.com"


def test_silent_reuse_across_runs_and_forced_refresh(sandbox: Any, cache_path: Path) -> None:
    first, _ = signed_in(sandbox, cache_path)
    token = first.acquire_token()
    # A new run: a new cache object and app on the same file signs in silently.
    cache, _ = open_token_cache(cache_path)
    again = sandbox_authenticator(sandbox, token_cache=cache)
    assert again.current_account() is not None
    assert again.acquire_token() == token  # served from the cache, no network
    refreshed = again.acquire_token(force_refresh=True)  # the refresh token at work
    assert refreshed != token
    deadline = time.monotonic() + 3
    while True:  # the sandbox logs a request just after answering it: poll, with a deadline
        token_posts = [r for r in sandbox.request_log
                       if r.method == "POST" and r.path.endswith("/oauth2/v2.0/token")]
        if len(token_posts) >= 2 or time.monotonic() > deadline:
            break
        time.sleep(0.002)
    assert len(token_posts) == 2  # device code redemption + one refresh


def test_expired_token_is_refreshed_through_msal(sandbox: Any, cache_path: Path) -> None:
    auth, _ = signed_in(sandbox, cache_path)
    client = GraphClient(sandbox.graph_url, auth.token_provider(), verify=str(sandbox.ca_bundle),
                         trust_env=False)
    api.list_domains(client)
    sandbox.set_faults("expire-token")
    assert api.get_domain(client, "contoso.com")["isDefault"] is True


def test_sign_out_removes_the_account_and_its_tokens(sandbox: Any, cache_path: Path) -> None:
    auth, _ = signed_in(sandbox, cache_path)
    auth.acquire_token(force_refresh=True)
    secrets_before = cached_secrets(cache_path)
    assert secrets_before
    assert auth.sign_out() == ["ops@contoso.com"]
    assert auth.accounts() == []
    with pytest.raises(SignInRequiredError) as info:
        auth.acquire_token()
    assert "federator signin" in (info.value.remedy or "")
    text = stored_text(cache_path)
    assert not any(secret in text for secret in secrets_before)
    # and a new run finds nobody
    cache, _ = open_token_cache(cache_path)
    assert sandbox_authenticator(sandbox, token_cache=cache).current_account() is None


def test_interactive_sign_in_with_the_loopback_redirect(sandbox: Any, cache_path: Path) -> None:
    """msal's own loopback listener receives the code by form_post, as from a browser."""
    cache, _ = open_token_cache(cache_path)
    auth = sandbox_authenticator(sandbox, token_cache=cache)
    browser = make_session(verify=str(sandbox.ca_bundle), trust_env=False)
    errors: list[BaseException] = []

    def play_browser(auth_uri: str) -> None:
        def run() -> None:
            try:
                page = browser.get(auth_uri, timeout=10).text
                action = re.search(r'action="([^"]+)"', page)
                fields = dict(re.findall(r'name="([^"]+)" value="([^"]*)"', page))
                assert action is not None and "code" in fields
                browser.post(action.group(1).replace("&amp;", "&"), data=fields, timeout=10)
            except BaseException as exc:
                errors.append(exc)
        threading.Thread(target=run, daemon=True).start()

    account = auth.sign_in_interactive(login_hint="domainadmin@contoso.com",
                                       auth_uri_callback=play_browser, timeout_s=20)
    assert not errors
    assert account.upn == "domainadmin@contoso.com"
    assert auth.acquire_token(upn="domainadmin@contoso.com")


def test_the_cache_file_is_owner_only_and_a_plaintext_cache_warns(cache_path: Path) -> None:
    cache, protection = open_token_cache(cache_path)
    cache.modify  # the cache is usable  # noqa: B018
    if protection.encrypted:
        assert protection.warning is None
        return
    assert protection.kind == "file" and protection.warning
    assert "unencrypted" in protection.warning and str(protection.path) in protection.warning
    assert protection.path.name.endswith(".plaintext.json")
    cache._persistence.save("{}")  # what msal-extensions does on every change
    if sys.platform != "win32":
        assert stat.S_IMODE(protection.path.stat().st_mode) == 0o600
        assert stat.S_IMODE(protection.path.parent.stat().st_mode) == 0o700


def test_scopes_are_least_privilege_and_cloud_qualified() -> None:
    # reading asks for read permissions only; the write one comes at the first change
    assert graph_scopes(GLOBAL) == ["https://graph.microsoft.com/Domain.Read.All",
                                    "https://graph.microsoft.com/User.Read.All",
                                    "https://graph.microsoft.com/RoleManagement.Read.Directory",
                                    "https://graph.microsoft.com/Organization.Read.All"]
    assert sorted(graph_scopes(GLOBAL, write=True)) == sorted(
        f"https://graph.microsoft.com/{p}" for p in LEAST_PRIVILEGE_PERMISSIONS)
    assert graph_scopes(US_GOV, write=True)[0] == \
        "https://graph.microsoft.us/Domain-InternalFederation.ReadWrite.All"
    assert not any("AccessAsUser" in s for s in graph_scopes(CHINA, legacy=True))
    legacy = graph_scopes(CHINA, legacy=True, write=True)
    assert "https://microsoftgraph.chinacloudapi.cn/Directory.AccessAsUser.All" in legacy
    assert not any("Domain-InternalFederation" in s for s in legacy)


def test_clouds_pair_graph_and_login_hosts() -> None:
    assert get_cloud(None).graph_url == "https://graph.microsoft.com/v1.0"
    assert get_cloud("USGov").login_url == "https://login.microsoftonline.us"
    assert get_cloud("china").authority("contoso.cn") == "https://login.chinacloudapi.cn/contoso.cn"
    with pytest.raises(InputError):
        get_cloud("mars")


def test_an_unknown_tenant_is_a_readable_sign_in_error(sandbox: Any, cache_path: Path) -> None:
    from core.auth import SignInError

    session = make_session(verify=str(sandbox.ca_bundle), trust_env=False)
    auth = Authenticator("federator-test", scopes=graph_scopes(GLOBAL),
                         oidc_authority=f"{sandbox.login_url}/nosuchtenant.example/v2.0",
                         http_client=session)
    with pytest.raises(SignInError) as info:
        auth.start_device_flow()
    assert "Traceback" not in info.value.message


def test_an_unreachable_login_service_is_a_readable_error(sandbox: Any, cache_path: Path) -> None:
    from core.auth import SignInError

    auth, _ = signed_in(sandbox, cache_path)
    sandbox.stop()
    with pytest.raises(SignInError) as info:
        auth.acquire_token(force_refresh=True)
    assert info.value.code == "signin_unreachable"
    assert "could not reach the sign-in service" in info.value.message

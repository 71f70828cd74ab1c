"""Sign-in against the sandbox (raw OAuth and the real msal), and home realm discovery."""

from __future__ import annotations

import base64
import hashlib
import json
import threading
import time
from typing import Any

import msal
import pytest
import requests

from sandbox import Sandbox
from sandbox.tokens import b64url_decode
from tests.plugins.sandbox import complete_authorization, sandbox_session

CLIENT_ID = "14d82eec-204b-4c2f-b7e8-296a70dab67e"
SCOPES = ["https://graph.microsoft.com/Domain.Read.All", "User.Read"]


def claims_of(token: str) -> dict[str, Any]:
    return json.loads(b64url_decode(token.split(".")[1]))  # type: ignore[no-any-return]


def msal_app(sandbox: Sandbox, session: requests.Session) -> msal.PublicClientApplication:
    return msal.PublicClientApplication(
        CLIENT_ID, authority=f"{sandbox.login_url}/{sandbox.tenant_id}",
        validate_authority=False, instance_discovery=False, http_client=session)


def test_discovery_document(sandbox: Sandbox) -> None:
    with sandbox_session(sandbox) as session:
        for path in ("v2.0/.well-known/openid-configuration", ".well-known/openid-configuration"):
            doc = session.get(f"{sandbox.login_url}/{sandbox.tenant_id}/{path}").json()
            assert doc["issuer"] == f"{sandbox.login_url}/{sandbox.tenant_id}/v2.0"
            for key in ("authorization_endpoint", "token_endpoint",
                        "device_authorization_endpoint"):
                assert doc[key].startswith(f"{sandbox.login_url}/{sandbox.tenant_id}/oauth2/v2.0/")
        assert session.get(f"{sandbox.login_url}/organizations/v2.0/.well-known/"
                           "openid-configuration").status_code == 200
        unknown = session.get(f"{sandbox.login_url}/nosuchtenant.example/v2.0/.well-known/"
                              "openid-configuration")
        assert unknown.status_code == 400
        assert unknown.json()["error"] == "invalid_tenant"


def test_ca_bundle_is_the_only_trust(sandbox: Sandbox) -> None:
    with requests.Session() as session:
        session.trust_env = False  # system CAs only: the sandbox must not verify
        with pytest.raises(requests.exceptions.SSLError):
            session.get(f"{sandbox.graph_url}/domains")
    assert sandbox.ca_bundle.read_bytes().startswith(b"-----BEGIN CERTIFICATE-----")
    assert sandbox.ca_bundle.read_bytes().count(b"BEGIN CERTIFICATE") == 1


def test_device_code_waits_for_approval(sandbox: Sandbox) -> None:
    sandbox.auto_approve = False
    base = f"{sandbox.login_url}/{sandbox.tenant_id}/oauth2/v2.0"
    with sandbox_session(sandbox) as session:
        flow = session.post(f"{base}/devicecode",
                            data={"client_id": CLIENT_ID, "scope": " ".join(SCOPES)}).json()
        assert flow["verification_uri"] == f"{sandbox.url}/sandbox/device"
        assert flow["user_code"] in flow["message"]
        grant = {"grant_type": "urn:ietf:params:oauth:grant-type:device_code",
                 "client_id": CLIENT_ID, "device_code": flow["device_code"]}
        pending = session.post(f"{base}/token", data=grant)
        assert pending.status_code == 400
        assert pending.json()["error"] == "authorization_pending"
        assert pending.json()["error_codes"] == [70016]
        page = session.get(flow["verification_uri"])
        assert flow["user_code"] in page.text
        approved = session.post(f"{sandbox.url}/sandbox/approve",
                                data={"user_code": flow["user_code"],
                                      "upn": "reader@contoso.com"})
        assert approved.json() == {"approved": True}
        token = session.post(f"{base}/token", data=grant).json()
        claims = claims_of(token["access_token"])
        assert claims["upn"] == "reader@contoso.com"
        assert claims["tid"] == sandbox.tenant_id
        # Entra's rule: the client's consented permissions, not only those requested
        assert claims["scp"].split() == [
            "Domain-InternalFederation.ReadWrite.All", "Domain.Read.All", "User.Read.All",
            "RoleManagement.Read.Directory", "Organization.Read.All", "User.Read"]
        assert claims["wids"] == ["f2ef992c-3afb-46b9-b7cf-a126ee74c451"]
        assert claims["exp"] > time.time() + 3000
        # a device code is redeemed once
        assert session.post(f"{base}/token", data=grant).json()["error"] == "invalid_grant"


def test_msal_device_flow_accounts_and_silent_refresh(sandbox: Sandbox) -> None:
    with sandbox_session(sandbox) as session:
        app = msal_app(sandbox, session)
        flow = app.initiate_device_flow(SCOPES)
        result = app.acquire_token_by_device_flow(flow)
        assert "access_token" in result, result
        (account,) = app.get_accounts()
        assert account["username"] == "ops@contoso.com"
        assert account["realm"] == sandbox.tenant_id
        refreshed = app.acquire_token_silent(SCOPES, account, force_refresh=True)
        assert refreshed is not None and refreshed["access_token"] != result["access_token"]
        me = session.get(f"{sandbox.graph_url}/me",
                         headers={"Authorization": f"Bearer {refreshed['access_token']}"})
        assert me.json()["userPrincipalName"] == "ops@contoso.com"


def test_msal_refresh_after_expire_token_fault(sandbox: Sandbox) -> None:
    with sandbox_session(sandbox) as session:
        app = msal_app(sandbox, session)
        result = app.acquire_token_by_device_flow(app.initiate_device_flow(SCOPES))
        sandbox.set_faults("expire-token")
        auth = {"Authorization": f"Bearer {result['access_token']}"}
        assert session.get(f"{sandbox.graph_url}/me", headers=auth).status_code == 401
        account = app.get_accounts()[0]
        fresh = app.acquire_token_silent(SCOPES, account, force_refresh=True)
        assert fresh is not None
        auth = {"Authorization": f"Bearer {fresh['access_token']}"}
        assert session.get(f"{sandbox.graph_url}/me", headers=auth).status_code == 200


def test_msal_oidc_authority_and_login_hint(sandbox: Sandbox) -> None:
    with sandbox_session(sandbox) as session:
        app = msal.PublicClientApplication(
            CLIENT_ID, oidc_authority=f"{sandbox.login_url}/{sandbox.tenant_id}/v2.0",
            http_client=session)
        flow = app.initiate_device_flow(
            SCOPES, params={"login_hint": "breakglass@contoso.onmicrosoft.com"})
        result = app.acquire_token_by_device_flow(flow)
        assert result["id_token_claims"]["preferred_username"] == \
            "breakglass@contoso.onmicrosoft.com"
        sandbox.signin_user = "domainadmin@contoso.com"
        result = app.acquire_token_by_device_flow(app.initiate_device_flow(SCOPES))
        assert claims_of(result["access_token"])["upn"] == "domainadmin@contoso.com"


def test_msal_interactive_with_pkce(sandbox: Sandbox) -> None:
    with sandbox_session(sandbox) as session:
        app = msal_app(sandbox, session)

        def browser(uri: str) -> None:
            threading.Thread(target=complete_authorization, args=(sandbox, uri)).start()

        result = app.acquire_token_interactive(SCOPES, login_hint="reader@contoso.com",
                                               auth_uri_callback=browser, timeout=20)
        assert result["id_token_claims"]["preferred_username"] == "reader@contoso.com", result
        assert [a["username"] for a in app.get_accounts()] == ["reader@contoso.com"]


def test_authorization_code_checks_pkce(sandbox: Sandbox) -> None:
    base = f"{sandbox.login_url}/{sandbox.tenant_id}/oauth2/v2.0"
    verifier = "v" * 50
    challenge = base64.urlsafe_b64encode(
        hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    redirect = "http://localhost:1"
    with sandbox_session(sandbox) as session:
        answer = session.get(f"{base}/authorize", allow_redirects=False, params={
            "client_id": CLIENT_ID, "response_type": "code", "redirect_uri": redirect,
            "scope": "User.Read", "state": "s1", "code_challenge": challenge,
            "code_challenge_method": "S256"})
        assert answer.status_code == 302
        location = answer.headers["Location"]
        assert location.startswith(redirect + "?") and "state=s1" in location
        code = location.split("code=")[1].split("&")[0]
        grant = {"grant_type": "authorization_code", "client_id": CLIENT_ID, "code": code,
                 "redirect_uri": redirect, "code_verifier": "wrong" * 10}
        refused = session.post(f"{base}/token", data=grant)
        assert refused.json()["error"] == "invalid_grant"
        # a code is single-use even after a failed redemption: start again
        answer = session.get(f"{base}/authorize", allow_redirects=False, params={
            "client_id": CLIENT_ID, "response_type": "code", "redirect_uri": redirect,
            "scope": "User.Read", "code_challenge": challenge, "code_challenge_method": "S256"})
        grant["code"] = answer.headers["Location"].split("code=")[1].split("&")[0]
        grant["code_verifier"] = verifier
        token = session.post(f"{base}/token", data=grant).json()
        assert claims_of(token["access_token"])["upn"] == "ops@contoso.com"
        bad_redirect = session.get(f"{base}/authorize", params={
            "client_id": CLIENT_ID, "response_type": "code",
            "redirect_uri": "https://evil.example/cb"})
        assert bad_redirect.status_code == 400


def test_refresh_token_errors_and_consent(sandbox: Sandbox) -> None:
    base = f"{sandbox.login_url}/{sandbox.tenant_id}/oauth2/v2.0"
    with sandbox_session(sandbox) as session:
        bad = session.post(f"{base}/token", data={"grant_type": "refresh_token",
                                                  "client_id": CLIENT_ID,
                                                  "refresh_token": "nonsense"})
        assert bad.json()["error"] == "invalid_grant"
        sandbox.set_unconsented_scopes(["Domain-InternalFederation.ReadWrite.All"])
        flow = session.post(f"{base}/devicecode", data={
            "client_id": CLIENT_ID,
            "scope": "https://graph.microsoft.com/Domain-InternalFederation.ReadWrite.All"}).json()
        refused = session.post(f"{base}/token", data={
            "grant_type": "urn:ietf:params:oauth:grant-type:device_code",
            "client_id": CLIENT_ID, "device_code": flow["device_code"]}).json()
        assert refused["error"] == "invalid_grant" and refused["error_codes"] == [65001]
        assert session.post(f"{base}/token", data={"grant_type": "password"}).json()["error"] \
            == "unsupported_grant_type"


# ----------------------------------------------------------------------- home realm discovery

def realm(sandbox: Sandbox, login: str) -> dict[str, Any]:
    with sandbox_session(sandbox) as session:
        response = session.get(f"{sandbox.login_url}/getuserrealm.srf",
                               params={"login": login, "json": "1"})
        assert response.status_code == 200
        return response.json()  # type: ignore[no-any-return]


def test_realm_of_seed_domains(sandbox: Sandbox) -> None:
    managed = realm(sandbox, "ops@contoso.com")
    assert (managed["NameSpaceType"], managed["DomainName"]) == ("Managed", "contoso.com")
    assert "AuthURL" not in managed
    federated = realm(sandbox, "someone@tailspin.io")
    assert federated["NameSpaceType"] == "Federated"
    assert federated["FederationBrandName"] == "Tailspin Okta"
    assert federated["AuthURL"].startswith("https://tailspin.okta.com/")
    assert "username=someone%40tailspin.io" in federated["AuthURL"]
    assert realm(sandbox, "x@unknown-domain.example")["NameSpaceType"] == "Unknown"
    assert realm(sandbox, "x@example-unverified.com")["NameSpaceType"] == "Unknown"
    with sandbox_session(sandbox) as session:
        v1 = session.get(f"{sandbox.login_url}/common/userrealm/anyone@tailspin.io",
                         params={"api-version": "1.0"}).json()
    assert (v1["account_type"], v1["domain_name"], v1["federation_protocol"]) == (
        "Federated", "tailspin.io", "SAML20")


def test_realm_follows_changes_after_propagation(tmp_path: Any) -> None:
    with Sandbox(tmp_path / "state", propagation_s=0.4) as sandbox, \
            sandbox_session(sandbox, sandbox.issue_token()) as graph:
        from tests.sandbox.test_sandbox_rules import federation_body

        # The sandbox dates changes with the wall clock (time.time): measure with the same one.
        # On Windows both clocks step every 15.6 ms, out of phase with each other, so an
        # interval measured on the other clock can come out a tick short of the 0.4 s.
        changed_at = time.time()
        created = graph.post(f"{sandbox.graph_url}/domains/fabrikam.com/federationConfiguration",
                             json=federation_body())
        assert created.status_code == 201
        assert realm(sandbox, "anna@fabrikam.com")["NameSpaceType"] == "Managed"
        deadline = time.monotonic() + 5
        while realm(sandbox, "anna@fabrikam.com")["NameSpaceType"] != "Federated":
            assert time.monotonic() < deadline, "realm never turned Federated"
        assert time.time() - changed_at >= 0.4
        seen = realm(sandbox, "anna@fabrikam.com")
        assert seen["FederationBrandName"] == "Example IdP"
        assert seen["AuthURL"].startswith("https://idp.example/sso?")
        # subdomains follow their root
        assert realm(sandbox, "bob@sales.fabrikam.com")["NameSpaceType"] == "Federated"


def test_realm_without_propagation_is_immediate(sandbox: Sandbox,
                                                graph_session: requests.Session) -> None:
    assert graph_session.patch(f"{sandbox.graph_url}/domains/tailspin.io",
                               json={"authenticationType": "Managed"}).status_code == 204
    assert realm(sandbox, "someone@tailspin.io")["NameSpaceType"] == "Managed"


def test_userrealm_v2_shape(sandbox: Sandbox) -> None:
    with sandbox_session(sandbox) as session:
        body = session.get(f"{sandbox.login_url}/common/userrealm/", params={
            "user": "x@tailspin.io", "api-version": "2.1",
            "checkForMicrosoftAccount": "false"}).json()
    assert (body["NameSpaceType"], body["federation_protocol"], body["DomainName"]) == (
        "Federated", "SAML20", "tailspin.io")


def test_short_token_lifetime_makes_msal_refresh(sandbox: Sandbox) -> None:
    sandbox.set_token_lifetime(0)
    with sandbox_session(sandbox) as session:
        app = msal_app(sandbox, session)
        first = app.acquire_token_by_device_flow(app.initiate_device_flow(SCOPES))
        auth = {"Authorization": f"Bearer {first['access_token']}"}
        expired = session.get(f"{sandbox.graph_url}/me", headers=auth)
        assert expired.json()["error"]["message"] == \
            "Lifetime validation failed, the token is expired."
        sandbox.set_token_lifetime(3600)
        again = app.acquire_token_silent(SCOPES, app.get_accounts()[0])
        assert again is not None and again["token_source"] == "identity_provider"
        auth = {"Authorization": f"Bearer {again['access_token']}"}
        assert session.get(f"{sandbox.graph_url}/me", headers=auth).status_code == 200


def test_device_code_and_refresh_token_expire(sandbox: Sandbox) -> None:
    sandbox.auto_approve = False
    base = f"{sandbox.login_url}/{sandbox.tenant_id}/oauth2/v2.0"
    with sandbox_session(sandbox) as session:
        flow = session.post(f"{base}/devicecode", data={"client_id": CLIENT_ID,
                                                        "scope": "User.Read"}).json()
        sandbox.approve_device_code(flow["user_code"])
        tokens = session.post(f"{base}/token", data={
            "grant_type": "urn:ietf:params:oauth:grant-type:device_code",
            "client_id": CLIENT_ID, "device_code": flow["device_code"]}).json()
        late = session.post(f"{base}/devicecode", data={"client_id": CLIENT_ID,
                                                        "scope": "User.Read"}).json()
        sandbox.login.now = lambda: time.time() + 91 * 24 * 3600  # 91 days later
        expired = session.post(f"{base}/token", data={
            "grant_type": "urn:ietf:params:oauth:grant-type:device_code",
            "client_id": CLIENT_ID, "device_code": late["device_code"]}).json()
        assert expired["error"] == "expired_token"
        refresh = session.post(f"{base}/token", data={
            "grant_type": "refresh_token", "client_id": CLIENT_ID,
            "refresh_token": tokens["refresh_token"]}).json()
        assert refresh["error"] == "invalid_grant"
        assert refresh["error_codes"] == [700082]


def test_device_page_approves_like_a_browser(sandbox: Sandbox) -> None:
    sandbox.auto_approve = False
    base = f"{sandbox.login_url}/{sandbox.tenant_id}/oauth2/v2.0"
    with sandbox_session(sandbox) as session:
        flow = session.post(f"{base}/devicecode", data={"client_id": CLIENT_ID,
                                                        "scope": "User.Read"}).json()
        assert sandbox.pending_user_codes() == [flow["user_code"]]
        page = session.get(flow["verification_uri"])
        assert "admin@fabrikam.com" in page.text
        wrong = session.post(f"{sandbox.url}/sandbox/approve", headers={"Accept": "text/html"},
                             data={"user_code": "NOPE", "upn": "ops@contoso.com"})
        assert wrong.status_code == 400 and "unknown" in wrong.text
        done = session.post(f"{sandbox.url}/sandbox/approve", headers={"Accept": "text/html"},
                            data={"user_code": flow["user_code"].lower(),
                                  "upn": "admin@fabrikam.com"})
        assert done.status_code == 200 and "Signed in" in done.text
        assert sandbox.pending_user_codes() == []
        token = session.post(f"{base}/token", data={
            "grant_type": "urn:ietf:params:oauth:grant-type:device_code",
            "client_id": CLIENT_ID, "device_code": flow["device_code"]}).json()
        assert claims_of(token["access_token"])["upn"] == "admin@fabrikam.com"

"""The sandbox against the reference (graph-federation.md, admin-pain-points.md): one test per
fact the fidelity audit found the sandbox getting wrong. Each cites the section it follows."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import datetime
from typing import Any

import pytest
import requests

from sandbox import Sandbox
from tests.plugins.sandbox import sandbox_session
from tests.sandbox.test_sandbox_rules import as_user, domain, error_of, federation_body

BREAKGLASS = "breakglass@contoso.onmicrosoft.com"
ADMIN_SCOPES = ["Domain.ReadWrite.All"]


def federate(sandbox: Sandbox, session: requests.Session, name: str = "fabrikam.com",
             **extra: Any) -> dict[str, Any]:
    response = session.post(f"{sandbox.graph_url}/domains/{name}/federationConfiguration",
                            json=federation_body(**extra))
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def test_second_configuration_message_is_microsofts(sandbox: Sandbox,
                                                    graph_session: requests.Session) -> None:
    """admin-pain-points API-05: "Domain already has Federation Configuration set."."""
    response = graph_session.post(f"{sandbox.graph_url}/domains/tailspin.io/"
                                  "federationConfiguration", json=federation_body())
    assert response.status_code == 409
    assert error_of(response)["message"] == "Domain already has Federation Configuration set."


def test_post_again_after_the_half_federated_failure(sandbox: Sandbox,
                                                     graph_session: requests.Session) -> None:
    """ref §1.5 / API-02: after the 500 the domain is Federated with nothing to read; a second
    POST does not repair it (API-05 message), PATCH to Managed does."""
    url = f"{sandbox.graph_url}/domains/fabrikam.com"
    assert graph_session.post(f"{url}/federationConfiguration",
                              json=federation_body(signingCertificate=None)).status_code == 500
    again = graph_session.post(f"{url}/federationConfiguration", json=federation_body())
    assert again.status_code == 409
    assert error_of(again)["message"] == "Domain already has Federation Configuration set."
    assert graph_session.patch(url, json={"authenticationType": "Managed"}).status_code == 204
    assert graph_session.post(f"{url}/federationConfiguration",
                              json=federation_body()).status_code == 201


def test_patch_domain_with_inline_configuration_is_500(sandbox: Sandbox,
                                                       graph_session: requests.Session) -> None:
    """admin-pain-points API-01: PATCHing a domain with an inline federationConfiguration array
    returned HTTP 500 (the wrong call to federate); the domain stays as it was."""
    admin = as_user(sandbox, BREAKGLASS, ADMIN_SCOPES)
    response = admin.patch(f"{sandbox.graph_url}/domains/fabrikam.com", json={
        "federationConfiguration": [federation_body()]})
    assert response.status_code == 500
    assert domain(graph_session, sandbox, "fabrikam.com")["authenticationType"] == "Managed"


def test_subdomain_patch_to_federated_gets_the_documented_message(
        sandbox: Sandbox, graph_session: requests.Session) -> None:
    """ref §1.5: Managed -> Federated by PATCH is refused with Microsoft's text, for a subdomain
    as for any domain."""
    response = graph_session.patch(f"{sandbox.graph_url}/domains/sales.fabrikam.com",
                                   json={"authenticationType": "Federated"})
    assert response.status_code == 400
    assert error_of(response)["message"] == ("Changing authenticationType from Managed to "
                                             "Federated is currently not supported.")


def test_supported_services_only_three_can_change(sandbox: Sandbox,
                                                  graph_session: requests.Session) -> None:
    """ref §1.4 supportedServices: only Email, OfficeCommunicationsOnline and Yammer can be
    added or removed via the API."""
    admin = as_user(sandbox, BREAKGLASS, ADMIN_SCOPES)
    url = f"{sandbox.graph_url}/domains/fabrikam.com"
    refused = admin.patch(url, json={"supportedServices": ["Email", "OfficeCommunicationsOnline",
                                                           "Intune"]})
    assert refused.status_code == 400
    assert domain(graph_session, sandbox, "fabrikam.com")["supportedServices"] == [
        "Email", "OfficeCommunicationsOnline"]
    assert admin.patch(url, json={"supportedServices": ["Email", "Yammer"]}).status_code == 204
    assert domain(graph_session, sandbox, "fabrikam.com")["supportedServices"] == [
        "Email", "Yammer"]


def test_promote_with_an_unverified_parent(sandbox: Sandbox) -> None:
    """ref §3.2 (domains-verify-custom-subdomain.md): promoting a subdomain whose parent domain
    is unverified -> 400 "Unverified domains can't be promoted. ..."."""
    with sandbox.store.transaction():
        template = sandbox.store.domain("sales.fabrikam.com")
        assert template is not None
        sandbox.store.data["domains"].append({**template, "id": "eu.example-unverified.com"})
        sandbox.store.save()
    admin = as_user(sandbox, BREAKGLASS, ADMIN_SCOPES)
    response = admin.post(f"{sandbox.graph_url}/domains/eu.example-unverified.com/promote")
    assert response.status_code == 400
    assert error_of(response)["message"] == ("Unverified domains can't be promoted. Please "
                                             "verify the domain before promotion.")


@pytest.mark.parametrize("scope", ["Directory.Read.All", "Directory.ReadWrite.All"])
def test_federation_read_needs_a_listed_permission(sandbox: Sandbox, scope: str) -> None:
    """ref §2.1: GET federationConfiguration takes Domain-InternalFederation.Read.All or, higher,
    Domain-InternalFederation.ReadWrite.All, Domain.Read.All, Domain.ReadWrite.All; the
    Directory.* read permissions that open GET /domains are not in that list."""
    url = f"{sandbox.graph_url}/domains/tailspin.io/federationConfiguration"
    session = as_user(sandbox, "ops@contoso.com", [scope])
    assert session.get(f"{sandbox.graph_url}/domains").status_code == 200
    refused = session.get(url)
    assert refused.status_code == 403
    assert error_of(refused)["code"] == "Authorization_RequestDenied"
    for allowed in ("Domain-InternalFederation.Read.All", "Domain.Read.All"):
        assert as_user(sandbox, "ops@contoso.com", [allowed]).get(url).status_code == 200


@pytest.mark.parametrize("issuer", ["JumpCloud", "1fabrikam.com:exk1", "has space:x", ""])
def test_issuer_must_be_an_absolute_uri(sandbox: Sandbox, graph_session: requests.Session,
                                        issuer: str) -> None:
    """admin-pain-points API-04: an issuer without a URI scheme (JumpCloud's bare default,
    Okta's "domain:appId" when the domain starts with a digit) is refused."""
    response = graph_session.post(f"{sandbox.graph_url}/domains/fabrikam.com/"
                                  "federationConfiguration", json=federation_body(issuer))
    assert response.status_code == 400
    assert "issuerUri" in error_of(response)["message"]
    assert domain(graph_session, sandbox, "fabrikam.com")["authenticationType"] == "Managed"


@pytest.mark.parametrize("issuer", ["urn:uri:fabrikam", "https://idp.example/x",
                                    "http://www.okta.com/exk1"])
def test_issuer_uris_with_a_scheme_are_accepted(sandbox: Sandbox,
                                                graph_session: requests.Session,
                                                issuer: str) -> None:
    """admin-pain-points API-04: https:// and urn:uri: prefixes work."""
    assert federate(sandbox, graph_session, issuerUri=issuer)["issuerUri"] == issuer


def test_expand_federation_configuration_on_domain_is_refused(
        sandbox: Sandbox, graph_session: requests.Session) -> None:
    """ref §1.1: "$expand not supported on the domain" for federationConfiguration; the
    rootDomain relationship does expand (ref §1.4)."""
    for path in ("domains", "domains/tailspin.io"):
        response = graph_session.get(f"{sandbox.graph_url}/{path}",
                                     params={"$expand": "federationConfiguration"})
        assert response.status_code == 400, path
    sub = graph_session.get(f"{sandbox.graph_url}/domains/sales.fabrikam.com",
                            params={"$expand": "rootDomain"}).json()
    assert sub["rootDomain"]["id"] == "fabrikam.com"


def test_created_update_status_has_the_documented_shape(sandbox: Sandbox,
                                                        graph_session: requests.Session) -> None:
    """ref §1.3: 201 response carries signingCertificateUpdateStatus
    {"certificateUpdateResult": "Success", "lastRunDateTime": "2021-08-25T07:44:46.2616778Z"}."""
    status = federate(sandbox, graph_session)["signingCertificateUpdateStatus"]
    assert status["certificateUpdateResult"] == "Success"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z", status["lastRunDateTime"])
    assert datetime.fromisoformat(status["lastRunDateTime"]).tzinfo is not None


# ------------------------------------------------------------------- home realm discovery §5

def test_userrealm_v1_has_only_msals_fields(sandbox: Sandbox,
                                            graph_session: requests.Session) -> None:
    """ref §5.2: api-version=1.0 answers ver, account_type, domain_name, federation_protocol,
    federation_metadata_url, federation_active_auth_url, cloud_instance_name,
    cloud_audience_urn; the protocol follows the configuration (ref §5.3 names WSTrust /
    SAML20)."""
    federate(sandbox, graph_session, preferredAuthenticationProtocol="wsFed",
             metadataExchangeUri="https://idp.example/mex",
             activeSignInUri="https://idp.example/active")
    with sandbox_session(sandbox) as session:
        body = session.get(f"{sandbox.login_url}/common/userrealm/a@fabrikam.com",
                           params={"api-version": "1.0"}).json()
        tailspin = session.get(f"{sandbox.login_url}/common/userrealm/a@tailspin.io",
                               params={"api-version": "1.0"}).json()
    assert set(body) == {"ver", "account_type", "domain_name", "federation_protocol",
                         "federation_metadata_url", "federation_active_auth_url",
                         "cloud_instance_name", "cloud_audience_urn"}
    assert (body["federation_protocol"], body["federation_metadata_url"],
            body["federation_active_auth_url"]) == ("WSTrust", "https://idp.example/mex",
                                                    "https://idp.example/active")
    assert tailspin["federation_protocol"] == "SAML20"


def test_configuration_without_protocol_shows_no_protocol(
        sandbox: Sandbox, graph_session: requests.Session) -> None:
    """ref §3.5: without preferredAuthenticationProtocol the create succeeds (nothing sets it
    by default), so discovery has no protocol to name."""
    body = federation_body()
    del body["preferredAuthenticationProtocol"]
    response = graph_session.post(f"{sandbox.graph_url}/domains/fabrikam.com/"
                                  "federationConfiguration", json=body)
    assert response.status_code == 201
    assert response.json()["preferredAuthenticationProtocol"] is None
    with sandbox_session(sandbox) as session:
        v2 = session.get(f"{sandbox.login_url}/common/userrealm/", params={
            "user": "a@fabrikam.com", "api-version": "2.1"}).json()
    assert v2["NameSpaceType"] == "Federated" and v2["federation_protocol"] is None


def test_getuserrealm_xml(sandbox: Sandbox) -> None:
    """ref §5.1: &xml=1 returns <RealmInfo Success="true"> with IsFederatedNS and, federated,
    STSAuthURL."""
    with sandbox_session(sandbox) as session:
        federated = session.get(f"{sandbox.login_url}/getuserrealm.srf",
                                params={"login": "x@tailspin.io", "xml": "1"})
        managed = session.get(f"{sandbox.login_url}/getuserrealm.srf",
                              params={"login": "x@contoso.com", "xml": "1"})
    root = ET.fromstring(federated.content)
    assert root.tag == "RealmInfo" and root.get("Success") == "true"
    assert root.findtext("NameSpaceType") == "Federated"
    assert root.findtext("IsFederatedNS") == "true"
    assert (root.findtext("STSAuthURL") or "").startswith("https://tailspin.okta.com/")
    other = ET.fromstring(managed.content)
    assert (other.findtext("NameSpaceType"), other.findtext("IsFederatedNS")) == ("Managed",
                                                                                "false")
    assert other.find("STSAuthURL") is None


def test_realm_history_written_before_protocols_were_recorded(sandbox: Sandbox) -> None:
    """A tenant.json from an older sandbox (history entries of four items) still answers: its
    federations were SAML."""
    with sandbox.store.transaction():
        for history in sandbox.store.data["realm"].values():
            for entry in history:
                del entry[4:]
        sandbox.store.save()
    with sandbox_session(sandbox) as session:
        v1 = session.get(f"{sandbox.login_url}/common/userrealm/a@tailspin.io",
                         params={"api-version": "1.0"}).json()
        managed = session.get(f"{sandbox.login_url}/common/userrealm/a@contoso.com",
                              params={"api-version": "1.0"}).json()
    assert (v1["account_type"], v1["federation_protocol"]) == ("Federated", "SAML20")
    assert managed["account_type"] == "Managed" and "federation_protocol" not in managed


def test_no_onmicrosoft_domain_can_be_federated(sandbox: Sandbox,
                                                graph_session: requests.Session) -> None:
    """ref §3.1: Microsoft's own domains end with onmicrosoft.com and cannot be federated, the
    initial one or another (a tenant can add a second *.onmicrosoft.com domain)."""
    with sandbox.store.transaction():
        template = sandbox.store.domain("fabrikam.com")
        assert template is not None
        sandbox.store.data["domains"].append({**template, "id": "contosoltd.onmicrosoft.com"})
        sandbox.store.save()
    response = graph_session.post(f"{sandbox.graph_url}/domains/contosoltd.onmicrosoft.com/"
                                  "federationConfiguration", json=federation_body())
    assert response.status_code == 400
    assert error_of(response)["message"].startswith("You can't federate the default domain")


def test_creating_domains(sandbox: Sandbox, graph_session: requests.Session) -> None:
    """ref §1.5 / §3.8: POST /domains as Federated -> 400 Request_BadRequest "Creation of
    federated domain is not allowed."; ref §3.2 / MD-03: a child under a federated root ->
    "One or more properties contains invalid values."; otherwise an unverified domain."""
    admin = as_user(sandbox, BREAKGLASS, ADMIN_SCOPES)
    url = f"{sandbox.graph_url}/domains"
    federated = admin.post(url, json={"id": "new.example", "authenticationType": "Federated"})
    assert federated.status_code == 400
    assert error_of(federated) | {"innerError": None} == {
        "code": "Request_BadRequest", "message": "Creation of federated domain is not allowed.",
        "innerError": None}
    child = admin.post(url, json={"id": "eu.tailspin.io"})
    assert child.status_code == 400
    assert error_of(child)["message"] == "One or more properties contains invalid values."
    created = admin.post(url, json={"id": "new.example"})
    assert created.status_code == 201
    assert (created.json()["isVerified"], created.json()["authenticationType"]) == (False,
                                                                                   "Managed")
    assert domain(graph_session, sandbox, "new.example")["isVerified"] is False
    assert graph_session.post(url, json={"id": "other.example"}).status_code == 403

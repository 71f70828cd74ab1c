"""The sandbox's Graph rules, over real HTTPS: what Federator's client will meet from Microsoft."""

from __future__ import annotations

import base64
from typing import Any

import pytest
import requests
from cryptography import x509

from core.certgen import make_certificate
from sandbox import Sandbox
from sandbox.seed import TAILSPIN_ISSUER
from tests.plugins.sandbox import sandbox_session

CERT = base64.b64encode(make_certificate("IdP signing (test)", key=None).der).decode()


def federation_body(issuer: str = "https://idp.example/entity", **extra: Any) -> dict[str, Any]:
    body = {
        "@odata.type": "#microsoft.graph.internalDomainFederation",
        "displayName": "Example IdP", "issuerUri": issuer,
        "passiveSignInUri": "https://idp.example/sso", "signOutUri": "https://idp.example/slo",
        "preferredAuthenticationProtocol": "saml", "signingCertificate": CERT,
        "federatedIdpMfaBehavior": "acceptIfMfaDoneByFederatedIdp",
    }
    body.update(extra)
    return body


def error_of(response: requests.Response) -> dict[str, Any]:
    body = response.json()["error"]
    assert set(body) == {"code", "message", "innerError"}
    inner = body["innerError"]
    assert inner["request-id"] == response.headers["request-id"]
    assert {"date", "request-id", "client-request-id"} <= set(inner)
    return body  # type: ignore[no-any-return]


def domain(session: requests.Session, sandbox: Sandbox, name: str) -> dict[str, Any]:
    response = session.get(f"{sandbox.graph_url}/domains/{name}")
    assert response.status_code == 200
    return response.json()  # type: ignore[no-any-return]


def as_user(sandbox: Sandbox, upn: str, scopes: list[str] | None = None) -> requests.Session:
    return sandbox_session(sandbox, sandbox.issue_token(upn, scopes))


# ------------------------------------------------------------------------------- seed & shapes

def test_seed_domains_are_the_issue_list(sandbox: Sandbox, graph_session: requests.Session) -> None:
    response = graph_session.get(f"{sandbox.graph_url}/domains")
    assert response.status_code == 200
    body = response.json()
    assert body["@odata.context"] == f"{sandbox.graph_url}/$metadata#domains"
    domains = {d["id"]: d for d in body["value"]}
    assert set(domains) == {"contoso.onmicrosoft.com", "contoso.com", "fabrikam.com",
                            "sales.fabrikam.com", "tailspin.io", "example-unverified.com"}
    flags = {name: (d["isVerified"], d["isDefault"], d["isInitial"], d["isRoot"],
                    d["authenticationType"]) for name, d in domains.items()}
    assert flags == {
        "contoso.onmicrosoft.com": (True, False, True, True, "Managed"),
        "contoso.com": (True, True, False, True, "Managed"),
        "fabrikam.com": (True, False, False, True, "Managed"),
        "sales.fabrikam.com": (True, False, False, False, "Managed"),
        "tailspin.io": (True, False, False, True, "Federated"),
        "example-unverified.com": (False, False, False, False, "Managed"),
    }


def test_tailspin_has_a_complete_readable_configuration(
        sandbox: Sandbox, graph_session: requests.Session) -> None:
    url = f"{sandbox.graph_url}/domains/tailspin.io/federationConfiguration"
    listed = graph_session.get(url)
    assert listed.status_code == 200
    assert listed.json()["@odata.context"].endswith(
        "$metadata#domains('tailspin.io')/federationConfiguration")
    (config,) = listed.json()["value"]
    assert config["@odata.type"] == "#microsoft.graph.internalDomainFederation"
    assert config["issuerUri"] == TAILSPIN_ISSUER
    assert config["preferredAuthenticationProtocol"] == "saml"
    assert config["passiveSignInUri"].startswith("https://")
    cert = x509.load_der_x509_certificate(base64.b64decode(config["signingCertificate"]))
    assert "Tailspin" in cert.subject.rfc4514_string()
    item = graph_session.get(f"{url}/{config['id']}")
    assert item.status_code == 200
    assert item.json()["id"] == config["id"]
    assert item.json()["@odata.context"].endswith("/federationConfiguration/$entity")


def test_error_body_shape_and_ids(sandbox: Sandbox, graph_session: requests.Session) -> None:
    response = graph_session.get(f"{sandbox.graph_url}/domains/nope.example",
                                 headers={"client-request-id": "abc-123"})
    assert response.status_code == 404
    error = error_of(response)
    assert error["code"] == "Request_ResourceNotFound"
    assert error["innerError"]["client-request-id"] == "abc-123"
    assert response.headers["client-request-id"] == "abc-123"


def test_missing_configuration_is_404(sandbox: Sandbox, graph_session: requests.Session) -> None:
    response = graph_session.get(f"{sandbox.graph_url}/domains/fabrikam.com/"
                                 "federationConfiguration")
    assert response.status_code == 404
    error = error_of(response)
    assert error["code"] == "Request_ResourceNotFound"
    assert error["message"].startswith("Resource 'federationConfiguration' does not exist")
    other = graph_session.get(f"{sandbox.graph_url}/domains/tailspin.io/federationConfiguration/"
                              "00000000-0000-0000-0000-000000000000")
    assert other.status_code == 404


def test_unknown_segment_is_400(sandbox: Sandbox, graph_session: requests.Session) -> None:
    response = graph_session.get(f"{sandbox.graph_url}/widgets")
    assert response.status_code == 400
    assert error_of(response)["message"] == "Resource not found for the segment 'widgets'."


# ------------------------------------------------------------------------------------ federate

def test_post_federates_and_subdomain_inherits(
        sandbox: Sandbox, graph_session: requests.Session) -> None:
    url = f"{sandbox.graph_url}/domains/fabrikam.com/federationConfiguration"
    created = graph_session.post(url, json=federation_body())
    assert created.status_code == 201
    config = created.json()
    assert config["id"] and config["issuerUri"] == "https://idp.example/entity"
    assert config["signingCertificateUpdateStatus"]["certificateUpdateResult"] == "Success"
    assert domain(graph_session, sandbox, "fabrikam.com")["authenticationType"] == "Federated"
    assert domain(graph_session, sandbox, "sales.fabrikam.com")["authenticationType"] == \
        "Federated"
    (listed,) = graph_session.get(url).json()["value"]
    assert listed["id"] == config["id"]
    org = graph_session.get(f"{sandbox.graph_url}/organization").json()["value"][0]
    types = {d["name"]: d["type"] for d in org["verifiedDomains"]}
    assert types["fabrikam.com"] == "Federated" and types["sales.fabrikam.com"] == "Federated"


@pytest.mark.parametrize(("name", "message"), [
    ("example-unverified.com", "Only verified domains can be federated."),
    ("contoso.onmicrosoft.com", "You can't federate the default domain that is provided by "
                                "Microsoft."),
    ("contoso.com", "Federating the default domain is not allowed."),
    ("sales.fabrikam.com", "A subdomain inherits the authentication of its root domain."),
])
def test_domains_that_cannot_be_federated(sandbox: Sandbox, graph_session: requests.Session,
                                          name: str, message: str) -> None:
    response = graph_session.post(f"{sandbox.graph_url}/domains/{name}/federationConfiguration",
                                  json=federation_body())
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "Request_BadRequest"
    assert error["message"].startswith(message)
    assert domain(graph_session, sandbox, name)["authenticationType"] == "Managed"


def test_second_configuration_is_refused(sandbox: Sandbox,
                                         graph_session: requests.Session) -> None:
    response = graph_session.post(f"{sandbox.graph_url}/domains/tailspin.io/"
                                  "federationConfiguration", json=federation_body())
    assert response.status_code == 409


def test_same_issuer_on_two_domains_is_409(sandbox: Sandbox,
                                           graph_session: requests.Session) -> None:
    url = f"{sandbox.graph_url}/domains/fabrikam.com/federationConfiguration"
    response = graph_session.post(url, json=federation_body(TAILSPIN_ISSUER))
    assert response.status_code == 409
    assert error_of(response)["code"] == "Request_MultipleObjectsWithSameKeyValue"
    assert domain(graph_session, sandbox, "fabrikam.com")["authenticationType"] == "Managed"
    # and through PATCH of an existing configuration
    created = graph_session.post(url, json=federation_body()).json()
    patched = graph_session.patch(f"{url}/{created['id']}", json={"issuerUri": TAILSPIN_ISSUER})
    assert patched.status_code == 409
    assert error_of(patched)["code"] == "Request_MultipleObjectsWithSameKeyValue"


@pytest.mark.parametrize(("change", "message"), [
    ({"promptLoginBehavior": "TranslateToFreshPasswordAuth"},
     "Invalid value specified for property 'promptLoginBehavior' of resource "
     "'InternalDomainFederation'."),
    ({"preferredAuthenticationProtocol": "SAMLP"},
     "Invalid value specified for property 'preferredAuthenticationProtocol' of resource "
     "'InternalDomainFederation'."),
    ({"signingCertificate": "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----"},
     "Invalid value specified for property 'signingCertificate' of resource "
     "'InternalDomainFederation'."),
    ({"supportsMfa": True}, "Property 'supportsMfa' does not exist on type"),
    ({"issuerUri": ""}, "Required property 'issuerUri' is missing or empty."),
])
def test_invalid_configuration_bodies(sandbox: Sandbox, graph_session: requests.Session,
                                      change: dict[str, Any], message: str) -> None:
    response = graph_session.post(f"{sandbox.graph_url}/domains/fabrikam.com/"
                                  "federationConfiguration", json=federation_body(**change))
    assert response.status_code == 400
    assert error_of(response)["message"].startswith(message)
    assert domain(graph_session, sandbox, "fabrikam.com")["authenticationType"] == "Managed"


def test_invalid_json_is_400(sandbox: Sandbox, graph_session: requests.Session) -> None:
    response = graph_session.post(f"{sandbox.graph_url}/domains/fabrikam.com/"
                                  "federationConfiguration", data=b"{not json",
                                  headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert error_of(response)["code"] == "BadRequest"


def test_post_without_certificate_half_federates(sandbox: Sandbox,
                                                 graph_session: requests.Session) -> None:
    url = f"{sandbox.graph_url}/domains/fabrikam.com/federationConfiguration"
    body = federation_body()
    del body["signingCertificate"]
    response = graph_session.post(url, json=body)
    assert response.status_code == 500
    # The documented failure: the domain turned Federated, with no readable configuration.
    assert domain(graph_session, sandbox, "fabrikam.com")["authenticationType"] == "Federated"
    assert graph_session.get(url).status_code == 404
    assert graph_session.post(url, json=federation_body()).status_code == 409
    # Recovery: back to Managed, then federate properly.
    assert graph_session.patch(f"{sandbox.graph_url}/domains/fabrikam.com",
                               json={"authenticationType": "Managed"}).status_code == 204
    assert domain(graph_session, sandbox, "fabrikam.com")["authenticationType"] == "Managed"
    assert graph_session.post(url, json=federation_body()).status_code == 201


# ------------------------------------------------------------------------------ PATCH / revert

def test_patch_managed_to_federated_is_refused(sandbox: Sandbox,
                                               graph_session: requests.Session) -> None:
    response = graph_session.patch(f"{sandbox.graph_url}/domains/fabrikam.com",
                                   json={"authenticationType": "Federated"})
    assert response.status_code == 400
    assert error_of(response)["message"] == ("Changing authenticationType from Managed to "
                                             "Federated is currently not supported.")


def test_patch_to_managed_removes_the_configuration(sandbox: Sandbox,
                                                    graph_session: requests.Session) -> None:
    response = graph_session.patch(f"{sandbox.graph_url}/domains/tailspin.io",
                                   json={"authenticationType": "Managed"})
    assert response.status_code == 204
    assert response.content == b""
    assert domain(graph_session, sandbox, "tailspin.io")["authenticationType"] == "Managed"
    listed = graph_session.get(f"{sandbox.graph_url}/domains/tailspin.io/federationConfiguration")
    assert listed.status_code == 404
    # the issuer is free again
    again = graph_session.post(f"{sandbox.graph_url}/domains/fabrikam.com/"
                               "federationConfiguration", json=federation_body(TAILSPIN_ISSUER))
    assert again.status_code == 201


def test_patch_unverified_domain_is_refused(sandbox: Sandbox,
                                            graph_session: requests.Session) -> None:
    response = graph_session.patch(f"{sandbox.graph_url}/domains/example-unverified.com",
                                   json={"authenticationType": "Managed"})
    assert response.status_code == 400
    assert error_of(response)["message"] == "Only verified domains can be updated."


def test_patch_and_delete_configuration(sandbox: Sandbox,
                                        graph_session: requests.Session) -> None:
    url = f"{sandbox.graph_url}/domains/tailspin.io/federationConfiguration"
    config_id = graph_session.get(url).json()["value"][0]["id"]
    patched = graph_session.patch(f"{url}/{config_id}",
                                  json={"displayName": "Tailspin new", "nextSigningCertificate":
                                        CERT})
    assert patched.status_code == 200
    assert patched.json()["displayName"] == "Tailspin new"
    assert patched.json()["nextSigningCertificate"] == CERT
    assert graph_session.get(f"{url}/{config_id}").json()["displayName"] == "Tailspin new"
    deleted = graph_session.delete(f"{url}/{config_id}")
    assert deleted.status_code == 204
    assert graph_session.get(url).status_code == 404
    assert domain(graph_session, sandbox, "tailspin.io")["authenticationType"] == "Managed"


def test_default_domain_rules(sandbox: Sandbox, graph_session: requests.Session) -> None:
    admin = as_user(sandbox, "domainadmin@contoso.com",
                    ["Domain.ReadWrite.All", "Domain-InternalFederation.ReadWrite.All"])
    refused = admin.patch(f"{sandbox.graph_url}/domains/tailspin.io", json={"isDefault": True})
    assert refused.status_code == 400
    assert error_of(refused)["message"] == ("The domain authentication type must be Managed to "
                                            "be set as the default.")
    assert admin.patch(f"{sandbox.graph_url}/domains/fabrikam.com",
                       json={"isDefault": True}).status_code == 204
    assert domain(graph_session, sandbox, "fabrikam.com")["isDefault"] is True
    assert domain(graph_session, sandbox, "contoso.com")["isDefault"] is False
    # the new default cannot be federated; the old one now can
    url = f"{sandbox.graph_url}/domains/{{}}/federationConfiguration"
    assert graph_session.post(url.format("fabrikam.com"),
                              json=federation_body()).status_code == 400
    assert graph_session.post(url.format("contoso.com"),
                              json=federation_body()).status_code == 201


def test_read_only_domain_property_is_refused(sandbox: Sandbox) -> None:
    admin = as_user(sandbox, "domainadmin@contoso.com", ["Domain.ReadWrite.All"])
    response = admin.patch(f"{sandbox.graph_url}/domains/fabrikam.com", json={"isVerified": False})
    assert response.status_code == 400


# ----------------------------------------------------------------------------------- promote

def test_promote_subdomain(sandbox: Sandbox, graph_session: requests.Session) -> None:
    admin = as_user(sandbox, "domainadmin@contoso.com", ["Domain.ReadWrite.All"])
    assert admin.post(f"{sandbox.graph_url}/domains/fabrikam.com/promote").status_code == 400
    unverified = admin.post(f"{sandbox.graph_url}/domains/example-unverified.com/promote")
    assert error_of(unverified)["message"] == ("Unverified domains can't be promoted. Please "
                                               "verify the domain before promotion.")
    promoted = admin.post(f"{sandbox.graph_url}/domains/sales.fabrikam.com/promote")
    assert promoted.status_code == 200
    assert promoted.json()["value"] is True
    assert domain(graph_session, sandbox, "sales.fabrikam.com")["isRoot"] is True
    # now independent of its parent: federating fabrikam.com leaves it Managed
    assert graph_session.post(f"{sandbox.graph_url}/domains/fabrikam.com/federationConfiguration",
                              json=federation_body()).status_code == 201
    assert domain(graph_session, sandbox, "sales.fabrikam.com")["authenticationType"] == \
        "Managed"


def test_promote_federated_subdomain_with_users_is_refused(
        sandbox: Sandbox, graph_session: requests.Session) -> None:
    assert graph_session.post(f"{sandbox.graph_url}/domains/fabrikam.com/federationConfiguration",
                              json=federation_body()).status_code == 201
    admin = as_user(sandbox, "domainadmin@contoso.com", ["Domain.ReadWrite.All"])
    response = admin.post(f"{sandbox.graph_url}/domains/sales.fabrikam.com/promote")
    assert response.status_code == 400
    assert error_of(response)["message"].startswith(
        "Promoting a subdomain with user references isn't allowed.")


# ------------------------------------------------------------------------------- permissions

def test_scope_without_write_permission_is_403(sandbox: Sandbox) -> None:
    session = as_user(sandbox, "ops@contoso.com", ["Domain.Read.All"])
    response = session.post(f"{sandbox.graph_url}/domains/fabrikam.com/federationConfiguration",
                            json=federation_body())
    assert response.status_code == 403
    error = error_of(response)
    assert error == {**error, "code": "Authorization_RequestDenied",
                     "message": "Insufficient privileges to complete the operation."}
    assert session.get(f"{sandbox.graph_url}/domains").status_code == 200
    assert session.get(f"{sandbox.graph_url}/users").status_code == 403


def test_authentication_type_needs_the_federation_permission(sandbox: Sandbox) -> None:
    session = as_user(sandbox, "ops@contoso.com", ["Domain.ReadWrite.All"])
    response = session.patch(f"{sandbox.graph_url}/domains/tailspin.io",
                             json={"authenticationType": "Managed"})
    assert response.status_code == 403
    legacy = as_user(sandbox, "ops@contoso.com", ["Directory.AccessAsUser.All"])
    assert legacy.patch(f"{sandbox.graph_url}/domains/tailspin.io",
                        json={"authenticationType": "Managed"}).status_code == 204


@pytest.mark.parametrize(("upn", "read", "write"), [
    ("ops@contoso.com", 200, 201),                      # Hybrid Identity Administrator
    ("breakglass@contoso.onmicrosoft.com", 200, 201),   # Global Administrator
    ("domainadmin@contoso.com", 200, 201),              # Domain Name Administrator
    ("reader@contoso.com", 200, 403),                   # Global Reader
    ("helpdesk@contoso.com", 403, 403),                 # no role
])
def test_roles_are_enforced(sandbox: Sandbox, upn: str, read: int, write: int) -> None:
    session = as_user(sandbox, upn)
    url = f"{sandbox.graph_url}/domains/{{}}/federationConfiguration"
    assert session.get(url.format("tailspin.io")).status_code == read
    response = session.post(url.format("fabrikam.com"), json=federation_body())
    assert response.status_code == write
    if write == 403:
        assert error_of(response)["code"] == "Authorization_RequestDenied"


def test_missing_or_bad_token_is_401(sandbox: Sandbox) -> None:
    anonymous = sandbox_session(sandbox)
    response = anonymous.get(f"{sandbox.graph_url}/domains")
    assert response.status_code == 401
    assert error_of(response)["code"] == "InvalidAuthenticationToken"
    assert "WWW-Authenticate" in response.headers
    forged = sandbox_session(sandbox, sandbox.issue_token()[:-4] + "AAAA")
    assert forged.get(f"{sandbox.graph_url}/domains").status_code == 401
    expired = sandbox_session(sandbox, sandbox.issue_token(lifetime_s=0))
    response = expired.get(f"{sandbox.graph_url}/domains")
    assert response.status_code == 401
    assert error_of(response)["message"] == "Lifetime validation failed, the token is expired."


def test_unknown_user_cannot_get_a_token(sandbox: Sandbox) -> None:
    with pytest.raises(KeyError):
        sandbox.issue_token("nobody@contoso.com")


# ---------------------------------------------------------------------- me, users, roles, org

def test_me_and_transitive_member_of(sandbox: Sandbox, graph_session: requests.Session) -> None:
    me = graph_session.get(f"{sandbox.graph_url}/me").json()
    assert me["userPrincipalName"] == "ops@contoso.com"
    assert me["@odata.context"].endswith("$metadata#users/$entity")
    roles = graph_session.get(f"{sandbox.graph_url}/me/transitiveMemberOf").json()
    # Hybrid Identity Administrator to federate, External Identity Provider Administrator to
    # revert: the documented role lists differ by write (core.roles).
    assert sorted(r["displayName"] for r in roles["value"]) == [
        "External Identity Provider Administrator", "Hybrid Identity Administrator"]
    assert {r["@odata.type"] for r in roles["value"]} == {"#microsoft.graph.directoryRole"}
    assert {r["roleTemplateId"] for r in roles["value"]} == {
        "8ac3fc64-6eca-42ea-9e69-59f4c7b60eb2", "be2f45a1-457d-42af-a067-6ec1fa63bc45"}
    cast = f"{sandbox.graph_url}/me/transitiveMemberOf/microsoft.graph.directoryRole"
    assert graph_session.get(cast).status_code == 400
    counted = graph_session.get(cast + "?$count=true", headers={"ConsistencyLevel": "eventual"})
    assert counted.status_code == 200
    assert counted.json()["@odata.count"] == 2


def test_users_endswith_needs_advanced_query(sandbox: Sandbox,
                                             graph_session: requests.Session) -> None:
    url = f"{sandbox.graph_url}/users?$filter=endswith(userPrincipalName,'@fabrikam.com')"
    bare = graph_session.get(url)
    assert bare.status_code == 400
    error = error_of(bare)
    assert error["code"] == "Request_UnsupportedQuery"
    assert "ConsistencyLevel:eventual" in error["message"]
    header_only = graph_session.get(url, headers={"ConsistencyLevel": "eventual"})
    assert header_only.status_code == 400
    count_only = graph_session.get(url + "&$count=true")
    assert count_only.status_code == 400


def test_users_paging_select_and_count(sandbox: Sandbox, graph_session: requests.Session) -> None:
    url: str | None = (f"{sandbox.graph_url}/users?$filter=endswith(userPrincipalName,"
                       "'@fabrikam.com')&$select=userPrincipalName,onPremisesImmutableId"
                       "&$count=true&$top=15")
    headers = {"ConsistencyLevel": "eventual"}
    users: list[dict[str, Any]] = []
    pages = 0
    while url:
        page = graph_session.get(url, headers=headers)
        assert page.status_code == 200
        body = page.json()
        assert body["@odata.count"] == 40
        assert body["@odata.context"].endswith(
            "$metadata#users(userPrincipalName,onPremisesImmutableId)")
        users += body["value"]
        url = body.get("@odata.nextLink")
        pages += 1
    assert pages == 3
    assert len(users) == 40
    assert all(set(u) == {"userPrincipalName", "onPremisesImmutableId"} for u in users)
    assert sum(1 for u in users if u["onPremisesImmutableId"]) == 37
    assert "admin@fabrikam.com" in {u["userPrincipalName"] for u in users}
    # sales.fabrikam.com users do not end with @fabrikam.com
    assert all(u["userPrincipalName"].endswith("@fabrikam.com") for u in users)


def test_users_default_properties_hide_immutable_id(sandbox: Sandbox,
                                                   graph_session: requests.Session) -> None:
    body = graph_session.get(f"{sandbox.graph_url}/users?$top=5").json()
    assert len(body["value"]) == 5 and "@odata.nextLink" in body
    assert "onPremisesImmutableId" not in body["value"][0]
    assert "userPrincipalName" in body["value"][0]
    assert graph_session.get(f"{sandbox.graph_url}/users?$top=1000").status_code == 400
    # Without ConsistencyLevel Graph silently leaves $count out (aad-advanced-queries).
    uncounted = graph_session.get(f"{sandbox.graph_url}/users?$count=true")
    assert uncounted.status_code == 200 and "@odata.count" not in uncounted.json()
    assert graph_session.get(f"{sandbox.graph_url}/users?$select=shoeSize").status_code == 400
    one = graph_session.get(f"{sandbox.graph_url}/users/admin@fabrikam.com"
                            "?$select=onPremisesSyncEnabled,onPremisesImmutableId")
    assert one.json()["onPremisesSyncEnabled"] is False
    assert one.json()["onPremisesImmutableId"] is None


def test_role_assignments_with_expand(sandbox: Sandbox, graph_session: requests.Session) -> None:
    me = graph_session.get(f"{sandbox.graph_url}/me").json()
    url = (f"{sandbox.graph_url}/roleManagement/directory/roleAssignments"
           f"?$filter=principalId eq '{me['id']}'&$expand=principal")
    body = graph_session.get(url).json()
    assert {a["roleDefinitionId"] for a in body["value"]} == {
        "8ac3fc64-6eca-42ea-9e69-59f4c7b60eb2", "be2f45a1-457d-42af-a067-6ec1fa63bc45"}
    for assignment in body["value"]:
        assert assignment["principal"]["userPrincipalName"] == "ops@contoso.com"
        assert assignment["principal"]["@odata.type"] == "#microsoft.graph.user"
    admins = graph_session.get(
        f"{sandbox.graph_url}/roleManagement/directory/roleAssignments?$filter=roleDefinitionId "
        "eq '62e90394-69f5-4237-9190-012177145e10'&$expand=principal").json()["value"]
    assert {a["principal"]["userPrincipalName"] for a in admins} == {
        "breakglass@contoso.onmicrosoft.com", "admin@fabrikam.com"}
    no_scope = as_user(sandbox, "ops@contoso.com", ["Domain.Read.All"])
    assert no_scope.get(url).status_code == 403


def test_organization(sandbox: Sandbox, graph_session: requests.Session) -> None:
    (org,) = graph_session.get(f"{sandbox.graph_url}/organization").json()["value"]
    assert org["displayName"] == "Contoso (sandbox)"
    assert org["id"] == sandbox.tenant_id
    assert org["onPremisesSyncEnabled"] is False
    assert {d["name"] for d in org["verifiedDomains"]} == {
        "contoso.onmicrosoft.com", "contoso.com", "fabrikam.com", "sales.fabrikam.com",
        "tailspin.io"}


# -------------------------------------------------------------------------------------- batch

def test_batch_per_item_responses(sandbox: Sandbox, graph_session: requests.Session) -> None:
    requests_ = [
        {"id": "1", "method": "GET", "url": "/domains/contoso.com"},
        {"id": "2", "method": "GET", "url": "/domains/nope.example"},
        {"id": "3", "method": "PATCH", "url": "/domains/fabrikam.com",
         "headers": {"Content-Type": "application/json"},
         "body": {"authenticationType": "Federated"}},
        {"id": "4", "method": "GET", "url": "users?$top=2"},
        {"id": "5", "method": "GET", "url": "/domains/contoso.com", "dependsOn": ["2"]},
        {"id": "6", "method": "POST", "url": "/domains/fabrikam.com/promote", "body": {}},
    ]
    response = graph_session.post(f"{sandbox.graph_url}/$batch", json={"requests": requests_})
    assert response.status_code == 200
    items = {r["id"]: r for r in response.json()["responses"]}
    assert [r["id"] for r in response.json()["responses"]] == ["6", "5", "4", "3", "2", "1"]
    assert items["1"]["status"] == 200 and items["1"]["body"]["id"] == "contoso.com"
    assert items["2"]["status"] == 404
    assert items["2"]["body"]["error"]["code"] == "Request_ResourceNotFound"
    assert items["3"]["status"] == 400
    assert len(items["4"]["body"]["value"]) == 2
    assert items["5"]["status"] == 424
    assert items["6"]["status"] == 400  # a body without Content-Type
    assert all("Content-Type" in r["headers"] for r in items.values())


def test_batch_limits(sandbox: Sandbox, graph_session: requests.Session) -> None:
    url = f"{sandbox.graph_url}/$batch"
    many = [{"id": str(n), "method": "GET", "url": "/domains"} for n in range(21)]
    assert graph_session.post(url, json={"requests": many}).status_code == 400
    assert graph_session.post(url, json={"requests": many[:20]}).status_code == 200
    duplicate = [{"id": "a", "method": "GET", "url": "/me"},
                 {"id": "A", "method": "GET", "url": "/me"}]
    assert graph_session.post(url, json={"requests": duplicate}).status_code == 400
    assert graph_session.post(url, json={"nope": []}).status_code == 400
    anonymous = sandbox_session(sandbox)
    assert anonymous.post(url, json={"requests": many[:1]}).status_code == 401


def test_domains_filter_and_select(sandbox: Sandbox, graph_session: requests.Session) -> None:
    body = graph_session.get(f"{sandbox.graph_url}/domains", params={
        "$filter": "authenticationType eq 'Federated'", "$select": "id,isRoot"}).json()
    assert body["value"] == [{"id": "tailspin.io", "isRoot": True}]


def test_patch_cannot_empty_the_issuer(sandbox: Sandbox, graph_session: requests.Session) -> None:
    url = f"{sandbox.graph_url}/domains/tailspin.io/federationConfiguration"
    config_id = graph_session.get(url).json()["value"][0]["id"]
    response = graph_session.patch(f"{url}/{config_id}", json={"issuerUri": ""})
    assert response.status_code == 400
    assert graph_session.get(url).json()["value"][0]["issuerUri"] == TAILSPIN_ISSUER


def test_beta_is_not_served(sandbox: Sandbox, graph_session: requests.Session) -> None:
    response = graph_session.get(f"{sandbox.url}/beta/domains")
    assert response.status_code == 400
    assert "v1.0 only" in error_of(response)["message"]


def test_domain_name_references(sandbox: Sandbox, graph_session: requests.Session) -> None:
    refs = graph_session.get(f"{sandbox.graph_url}/domains/sales.fabrikam.com/"
                             "domainNameReferences").json()["value"]
    assert len(refs) == 3
    federated = graph_session.get(f"{sandbox.graph_url}/domains/tailspin.io/domainNameReferences")
    assert federated.status_code == 400
    assert error_of(federated) == {**error_of(federated), "code": "Request_UnsupportedQuery",
                                   "message": "This API is not supported for federated domains."}

"""The change plan: the exact requests and PowerShell an admin audits before anything is sent."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from core.errors import InputError, RefusedError
from core.plan import (
    ODATA_TYPE,
    DomainState,
    PlanAction,
    PlanOptions,
    build_certificate_update_plan,
    build_make_default_plan,
    build_plan,
    build_revert_plan,
    display_powershell,
    format_plan,
    shorten_certificate,
)
from core.settings import FederationSettings
from tests import factories as f

CERT = base64.b64encode(f.cert("plan.example.org").der).decode()
NEXT = base64.b64encode(f.cert("next.example.org", slot=1).der).decode()
ISSUER = "https://sso.jumpcloud.com/saml2/fabrikam"
SSO = "https://sso.jumpcloud.com/saml2/fabrikam"


def settings(**kw: Any) -> FederationSettings:
    values: dict[str, Any] = {"issuer_uri": ISSUER, "passive_sign_in_uri": SSO,
                              "active_sign_in_uri": SSO, "sign_out_uri": None,
                              "signing_certificate": CERT}
    values.update(kw)
    return FederationSettings(**values)


MANAGED = DomainState("fabrikam.com", "Managed", is_root=True, is_verified=True)
CURRENT = {
    "id": "cfg-1", "displayName": "Tailspin Okta", "issuerUri": "http://www.okta.com/exk1",
    "passiveSignInUri": "https://tailspin.okta.com/sso/saml", "activeSignInUri": None,
    "signOutUri": "https://tailspin.okta.com/login/signout", "signingCertificate": NEXT,
    "nextSigningCertificate": None, "preferredAuthenticationProtocol": "saml",
    "promptLoginBehavior": None, "isSignedAuthenticationRequestRequired": False,
    "federatedIdpMfaBehavior": "acceptIfMfaDoneByFederatedIdp", "metadataExchangeUri": None,
}
FEDERATED = DomainState.from_graph(
    {"id": "tailspin.io", "authenticationType": "Federated", "isVerified": True, "isRoot": True},
    CURRENT)


def test_federating_a_managed_domain_is_one_post_with_every_value() -> None:
    plan = build_plan("fabrikam.com", settings(), MANAGED)
    assert plan.action == PlanAction.FEDERATE
    assert len(plan.requests) == 1
    request = plan.requests[0]
    assert (request.method, request.path) == (
        "POST", "/domains/fabrikam.com/federationConfiguration")
    body = request.body or {}
    assert body["@odata.type"] == ODATA_TYPE
    assert body["displayName"] == "fabrikam.com"  # defaults to the domain, like JumpCloud
    assert body["issuerUri"] == ISSUER
    assert body["signingCertificate"] == CERT  # in full: this is what is sent
    assert body["preferredAuthenticationProtocol"] == "saml"
    assert body["federatedIdpMfaBehavior"] == "acceptIfMfaDoneByFederatedIdp"
    assert body["promptLoginBehavior"] == "translateToFreshPasswordAuthentication"
    assert None not in body.values()
    assert {c.name for c in plan.changed} == {k for k in body if not k.startswith("@")}
    assert any("federatedIdpMfaBehavior" in n and "cannot be cleared" in n for n in plan.notes)


def test_federate_powershell_is_runnable_by_hand() -> None:
    plan = build_plan("fabrikam.com", settings(), MANAGED, PlanOptions(display_name="O'Brien IdP"))
    assert plan.powershell[0].startswith("Connect-MgGraph -Scopes")
    command = plan.powershell[1]
    assert command.startswith("New-MgDomainFederationConfiguration -DomainId 'fabrikam.com'")
    assert "-DisplayName 'O''Brien IdP'" in command  # PowerShell quoting
    assert f"-SigningCertificate '{CERT}'" in command
    assert "-IsSignedAuthenticationRequestRequired:$false" in command
    assert "-PreferredAuthenticationProtocol 'saml'" in command


def test_federated_domain_is_updated_in_place_with_only_the_differences() -> None:
    plan = build_plan("tailspin.io", settings(signing_certificate=NEXT), FEDERATED,
                      PlanOptions(display_name="Tailspin Okta"))
    assert plan.action == PlanAction.UPDATE
    [request] = plan.requests
    assert (request.method, request.path) == (
        "PATCH", "/domains/tailspin.io/federationConfiguration/cfg-1")
    # Same certificate, display name, protocol, MFA; prompt login empty == translate...: not sent.
    assert request.body == {"issuerUri": ISSUER, "passiveSignInUri": SSO,
                            "activeSignInUri": SSO, "signOutUri": None}
    # Clearing a value cannot be done with cmdlet parameters: the body goes in -BodyParameter.
    assert "Update-MgDomainFederationConfiguration -DomainId 'tailspin.io' " \
           "-InternalDomainFederationId 'cfg-1'" in plan.powershell[1]
    assert "signOutUri = $null" in plan.powershell[1]


def test_identical_settings_plan_nothing() -> None:
    desired = dict(CURRENT)
    desired.pop("id")
    plan = build_plan("tailspin.io", desired, FEDERATED,
                      PlanOptions(display_name="Tailspin Okta"))
    assert plan.is_noop and plan.requests == [] and plan.powershell == []
    assert "Nothing to change" in format_plan(plan)


def test_update_keeps_the_options_the_admin_did_not_choose() -> None:
    current = dict(CURRENT, promptLoginBehavior="nativeSupport",
                   federatedIdpMfaBehavior="enforceMfaByFederatedIdp")
    state = DomainState.from_graph(
        {"id": "tailspin.io", "authenticationType": "Federated", "isVerified": True}, current)
    plan = build_plan("tailspin.io", settings(), state)
    [request] = plan.requests
    body = request.body or {}
    # Not chosen: neither the display name nor the two behaviours are sent; they stay as they are.
    assert not {"displayName", "promptLoginBehavior", "federatedIdpMfaBehavior"} & set(body)
    kept = {c.name: c.new for c in plan.changes if not c.changed}
    assert kept["promptLoginBehavior"] == "nativeSupport"
    assert kept["federatedIdpMfaBehavior"] == "enforceMfaByFederatedIdp"
    assert kept["displayName"] == "Tailspin Okta"
    assert "-PromptLoginBehavior" not in plan.powershell[1]
    assert any(n.startswith("promptLoginBehavior = nativeSupport: kept") for n in plan.notes)


def test_update_writes_an_option_the_admin_chose() -> None:
    current = dict(CURRENT, promptLoginBehavior="nativeSupport")
    state = DomainState.from_graph(
        {"id": "tailspin.io", "authenticationType": "Federated", "isVerified": True}, current)
    plan = build_plan("tailspin.io", settings(), state,
                      PlanOptions(prompt_login_behavior="disabled"))
    assert (plan.requests[0].body or {})["promptLoginBehavior"] == "disabled"
    assert "'disabled'" in plan.powershell[1]


def test_half_federated_domain_is_refused_with_the_way_out() -> None:
    broken = DomainState("tailspin.io", "Federated")
    with pytest.raises(RefusedError) as info:
        build_plan("tailspin.io", settings(), broken)
    assert info.value.code == "half_federated"
    assert "federator revert --domain tailspin.io" in (info.value.remedy or "")


def test_incomplete_settings_are_unusable_input() -> None:
    with pytest.raises(InputError):
        build_plan("fabrikam.com", settings(signing_certificate=None), MANAGED)


@pytest.mark.parametrize("kw", [{"federated_idp_mfa_behavior": "SupportsMfa"},
                                {"prompt_login_behavior": "TranslateToFreshPasswordAuth"},
                                {"display_name": "  "}])
def test_bad_options_are_refused(kw: dict[str, Any]) -> None:
    with pytest.raises(InputError):
        PlanOptions(**kw)


def test_revert_is_one_patch_of_the_domain() -> None:
    plan = build_revert_plan("tailspin.io", FEDERATED)
    [request] = plan.requests
    assert (request.method, request.path, request.body) == (
        "PATCH", "/domains/tailspin.io", {"authenticationType": "Managed"})
    assert "Update-MgDomain -DomainId 'tailspin.io'" in plan.powershell[1]
    assert "-AuthenticationType 'Managed'" in plan.powershell[1]
    assert any("password" in n for n in plan.notes)
    assert build_revert_plan("fabrikam.com", MANAGED).is_noop


def test_the_cli_and_the_window_head_a_plan_and_name_a_change_with_core_words() -> None:
    from core.change_kinds import kind_title

    plan = build_revert_plan("tailspin.io", FEDERATED)
    assert plan.title == "Revert tailspin.io to managed sign-in"
    assert format_plan(plan).startswith("Plan: Revert tailspin.io to managed sign-in\n")
    assert kind_title("stage-certificate") == "Add next certificate"
    assert kind_title("make_default") == kind_title("make-default") == "Make default"
    assert kind_title("some-future-kind") == "some-future-kind"
    # A certificate reads the same in a plan, in `inspect` and in the window.
    text = "MIIC" + "A" * 1012
    assert shorten_certificate(text) == "MIIC" + "A" * 20 + "…(1,016 characters)…" + "A" * 12


def test_certificate_update_stages_and_promotes() -> None:
    staged = build_certificate_update_plan("tailspin.io", FEDERATED, NEXT, CERT)
    assert staged.requests[0].body == {"nextSigningCertificate": CERT}
    promoted_state = DomainState.from_graph(
        {"id": "tailspin.io", "authenticationType": "Federated"},
        {**CURRENT, "nextSigningCertificate": CERT})
    promoted = build_certificate_update_plan("tailspin.io", promoted_state, CERT)
    # The staged certificate became the signing one, so the staging slot is cleared.
    assert promoted.requests[0].body == {"signingCertificate": CERT,
                                         "nextSigningCertificate": None}
    with pytest.raises(RefusedError):
        build_certificate_update_plan("fabrikam.com", MANAGED, CERT)


def test_make_default_patches_is_default() -> None:
    initial = DomainState("contoso.onmicrosoft.com", is_initial=True)
    plan = build_make_default_plan("contoso.onmicrosoft.com", initial)
    assert [(r.method, r.path, r.body) for r in plan.requests] == [
        ("PATCH", "/domains/contoso.onmicrosoft.com", {"isDefault": True})]
    assert "-IsDefault:$true" in plan.powershell[1]
    # The hand-run equivalent asks for the permission this PATCH needs (reference §2.1).
    assert plan.powershell[0] == 'Connect-MgGraph -Scopes "Domain.ReadWrite.All"'
    assert build_make_default_plan("contoso.com", DomainState("contoso.com",
                                                              is_default=True)).is_noop
    with pytest.raises(RefusedError):
        build_make_default_plan("x.com", DomainState("x.com", is_verified=False))
    with pytest.raises(RefusedError):
        build_make_default_plan("tailspin.io", FEDERATED)


def test_certificates_are_shortened_only_on_screen() -> None:
    plan = build_plan("fabrikam.com", settings(), MANAGED)
    screen = format_plan(plan, graph_url="https://graph.microsoft.com/v1.0")
    assert CERT not in screen
    assert shorten_certificate(CERT) in screen
    assert "POST https://graph.microsoft.com/v1.0/domains/fabrikam.com/federationConfiguration" \
        in screen
    assert CERT not in display_powershell(plan.powershell[1])
    assert json.dumps(plan.to_json()).count(CERT) >= 2  # the change and the request body
    assert CERT in plan.powershell[1]


def test_pem_armour_and_whitespace_are_normalized() -> None:
    pem = "-----BEGIN CERTIFICATE-----\n" + "\n".join(
        CERT[i:i + 64] for i in range(0, len(CERT), 64)) + "\n-----END CERTIFICATE-----\n"
    plan = build_plan("fabrikam.com", settings(signing_certificate=pem), MANAGED)
    assert (plan.requests[0].body or {})["signingCertificate"] == CERT

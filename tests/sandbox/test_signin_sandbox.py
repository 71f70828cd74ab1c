"""The sandbox's login.srf as a browser meets it: Microsoft's error page fields, the outcomes
that need a tenant change (a disabled user) or a broken post (no SAMLResponse), and the realm
found by issuer, not by the user's domain."""

from __future__ import annotations

import base64
from collections.abc import Iterator

import pytest
import requests

from core.signin.codes import parse_error_text
from sandbox import Sandbox
from sandbox.entra_signin import page_text
from sandbox.sample_idp import ENTITY_ID, SSO_URL, Subject, build_response, encode

PILOT = "ada.albers0@fabrikam.com"


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox() as running:
        issued = running.sample_idp()
        with running.store.transaction():
            running.store.data["federation"]["fabrikam.com"] = {
                "id": "x", "issuerUri": ENTITY_ID, "passiveSignInUri": SSO_URL,
                "signingCertificate": base64.b64encode(issued.der).decode(),
                "preferredAuthenticationProtocol": "saml"}
            running.store.domain("fabrikam.com")["authenticationType"] = "Federated"  # type: ignore[index]
            running.store.save()
        yield running


def post(sandbox: Sandbox, form: dict[str, str]) -> str:
    answer = requests.post(f"{sandbox.login_url}/login.srf", data=form, timeout=30,
                           verify=str(sandbox.ca_bundle))
    return page_text(answer.content)


def pilot_response(sandbox: Sandbox) -> str:
    user = sandbox.store.user_by_upn(PILOT)
    assert user is not None
    return encode(build_response(sandbox.sample_idp(),
                                 Subject(PILOT, user["onPremisesImmutableId"])))


def test_error_page_carries_microsofts_fields(sandbox: Sandbox) -> None:
    text = post(sandbox, {"RelayState": "x"})
    error = parse_error_text(text)
    assert error.code == "AADSTS90081"
    assert error.correlation_id and error.timestamp and "Request Id:" in text


def test_disabled_user_gets_50057(sandbox: Sandbox) -> None:
    with sandbox.store.transaction():
        user = sandbox.store.user_by_upn(PILOT)
        assert user is not None
        user["accountEnabled"] = False
        sandbox.store.save()
    assert parse_error_text(post(sandbox, {"SAMLResponse": pilot_response(sandbox)})).code == \
        "AADSTS50057"


def test_accepted_post_signs_the_user_in(sandbox: Sandbox) -> None:
    text = post(sandbox, {"SAMLResponse": pilot_response(sandbox), "RelayState": "x"})
    assert f"Signed in as {PILOT}." in text and parse_error_text(text).code is None


def test_garbage_post_is_refused_like_a_bad_token(sandbox: Sandbox) -> None:
    assert parse_error_text(post(sandbox, {"SAMLResponse": "bm90IHhtbA=="})).code == \
        "AADSTS50008"


def test_lenient_reading_accepts_a_response_without_idpemail(sandbox: Sandbox) -> None:
    user = sandbox.store.user_by_upn(PILOT)
    assert user is not None
    value = encode(build_response(sandbox.sample_idp(),
                                  Subject(PILOT, user["onPremisesImmutableId"]),
                                  defect="no-idpemail"))
    assert parse_error_text(post(sandbox, {"SAMLResponse": value})).code == "AADSTS50008"
    sandbox.set_signin_rules("lenient")
    assert "Signed in" in post(sandbox, {"SAMLResponse": value})

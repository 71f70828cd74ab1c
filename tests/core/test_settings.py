"""The values Graph receives, derived from metadata by the §4 rules."""

from __future__ import annotations

import base64

from core.idp_sample import build_idp_metadata
from core.metadata import read_metadata
from core.settings import FederationSettings, settings_from_metadata
from tests import factories as f


def _settings(xml: bytes, **kwargs: object) -> tuple[FederationSettings, set[str]]:
    md = read_metadata(xml, now=f.NOW)
    settings, findings = settings_from_metadata(md, now=f.NOW, **kwargs)  # type: ignore[arg-type]
    return settings, {x.id for x in findings}


def test_post_sso_is_passive_and_active_without_soap() -> None:
    xml = f.metadata(sso_post="https://idp.example.com/post", sso_redirect="https://idp.example.com/redir")
    settings, ids = _settings(xml)
    assert settings.passive_sign_in_uri == "https://idp.example.com/post"
    assert settings.active_sign_in_uri == "https://idp.example.com/post"
    assert "sso_post_missing" not in ids


def test_redirect_is_used_when_there_is_no_post_binding_with_a_warning() -> None:
    settings, ids = _settings(f.metadata(sso_post=None, sso_redirect="https://idp.example.com/r"))
    assert settings.passive_sign_in_uri == "https://idp.example.com/r"
    assert "sso_post_missing" in ids


def test_endpoints_without_a_location_are_skipped() -> None:
    xml = f.metadata(sso_post="https://idp.example.com/post").replace(
        b'Location="https://idp.example.com/post"', b'Location=""')
    settings, ids = _settings(xml)
    assert settings.passive_sign_in_uri == f.SSO  # the Redirect one
    assert "sso_post_missing" in ids
    assert "sso_not_https" in f.finding_ids(read_metadata(xml, now=f.NOW))


def test_soap_binding_becomes_the_active_uri() -> None:
    settings, _ = _settings(f.metadata(sso_soap="https://idp.example.com/ecp"))
    assert settings.active_sign_in_uri == "https://idp.example.com/ecp"
    assert settings.passive_sign_in_uri == f.SSO


def test_sign_out_prefers_redirect_then_post_then_none() -> None:
    both = f.metadata(slo_redirect="https://idp.example.com/r", slo_post="https://idp.example.com/p")
    assert _settings(both)[0].sign_out_uri == "https://idp.example.com/r"
    post_only = f.metadata(slo_redirect=None, slo_post="https://idp.example.com/p")
    assert _settings(post_only)[0].sign_out_uri == "https://idp.example.com/p"
    settings, ids = _settings(f.metadata(slo_redirect=None))
    assert settings.sign_out_uri is None
    assert "slo_missing" in ids


def test_missing_sign_out_url_remedy_says_where_and_what() -> None:
    md = read_metadata(f.metadata(slo_redirect=None), now=f.NOW)
    _, findings = settings_from_metadata(md, now=f.NOW)
    [finding] = [x for x in findings if x.id == "slo_missing"]
    assert "Leave it empty" in (finding.remedy or "")
    assert "desktop app's Metadata step" in (finding.remedy or "")
    # JumpCloud's portal is an example only for JumpCloud's metadata.
    assert "jumpcloud" not in (finding.remedy or "").lower()
    jumpcloud = read_metadata(f.metadata("https://sso.jumpcloud.com/saml2/acme",
                                         slo_redirect=None), now=f.NOW)
    [finding] = [x for x in settings_from_metadata(jumpcloud, now=f.NOW)[1]
                 if x.id == "slo_missing"]
    assert "https://console.jumpcloud.com/userconsole/" in (finding.remedy or "")


def test_sign_out_override_wins() -> None:
    settings, ids = _settings(f.metadata(slo_redirect=None),
                              sign_out_uri_override="https://portal.example.com/")
    assert settings.sign_out_uri == "https://portal.example.com/"
    assert "slo_missing" not in ids


def test_issuer_uri_is_the_entity_id_verbatim() -> None:
    for entity_id in ("https://idp.example.com/", "https://IdP.Example.com/x?y=1", "JumpCloud"):
        settings, _ = _settings(f.metadata(entity_id))
        assert settings.issuer_uri == entity_id


def test_rollover_pair_oldest_is_current_newest_is_next() -> None:
    current, following = f.rollover_pair()
    xml = f.metadata(signing=[following.der, current.der, f.expired().der])
    settings, ids = _settings(xml)
    assert settings.signing_certificate == base64.b64encode(current.der).decode()
    assert settings.next_signing_certificate == base64.b64encode(following.der).decode()
    assert "no_valid_signing_certificate" not in ids


def test_three_valid_signers_next_is_the_newest_other() -> None:
    oldest = f.cert("a", not_before=f.NOW - 100 * f.DAY, days=400)
    middle = f.cert("b", not_before=f.NOW - 50 * f.DAY, days=400, slot=1)
    newest = f.cert("c", not_before=f.NOW - 2 * f.DAY, days=400, slot=2)
    settings, _ = _settings(f.metadata(signing=[middle.der, newest.der, oldest.der]))
    assert settings.signing_certificate == base64.b64encode(oldest.der).decode()
    assert settings.next_signing_certificate == base64.b64encode(newest.der).decode()


def test_certificates_without_use_count_as_signing_but_encryption_does_not() -> None:
    enc = f.cert("enc", slot=1)
    plain = f.cert("plain")
    settings, _ = _settings(f.metadata(signing=[], encryption_certs=[enc.der],
                                       unspecified_certs=[plain.der]))
    assert settings.signing_certificate == base64.b64encode(plain.der).decode()
    assert settings.next_signing_certificate is None


def test_no_valid_signing_certificate_gives_nulls_and_an_error() -> None:
    settings, ids = _settings(f.metadata(signing=[f.expired().der, f.not_yet_valid().der]))
    assert settings.signing_certificate is None
    assert settings.next_signing_certificate is None
    assert "no_valid_signing_certificate" in ids
    settings, ids = _settings(f.metadata(signing=[], encryption_certs=[f.cert().der]))
    assert settings.signing_certificate is None
    assert "no_signing_certificate" in ids


def test_duplicate_valid_certificate_is_not_its_own_next() -> None:
    only = f.cert()
    settings, _ = _settings(f.metadata(signing=[only.der, only.der]))
    assert settings.signing_certificate == base64.b64encode(only.der).decode()
    assert settings.next_signing_certificate is None


def test_graph_body_is_camel_case_and_always_names_the_protocol() -> None:
    settings, _ = _settings(f.metadata())
    body = settings.to_graph_json()
    assert body["preferredAuthenticationProtocol"] == "saml"
    assert body["issuerUri"] == f.ENTITY
    assert body["federatedIdpMfaBehavior"] == "acceptIfMfaDoneByFederatedIdp"
    assert "promptLoginBehavior" not in body and "displayName" not in body
    assert "isSignedAuthenticationRequestRequired" not in body
    assert all("_" not in key for key in body)
    assert list(settings.federation_json()) == [
        "issuerUri", "passiveSignInUri", "activeSignInUri", "signOutUri", "signingCertificate",
        "nextSigningCertificate", "preferredAuthenticationProtocol"]


def test_options_appear_when_set_and_round_trip() -> None:
    settings = FederationSettings(
        issuer_uri="urn:x", passive_sign_in_uri="https://a", active_sign_in_uri="https://a",
        sign_out_uri=None, signing_certificate="MIIB", display_name="Contoso",
        prompt_login_behavior="nativeSupport", federated_idp_mfa_behavior="rejectMfaByFederatedIdp",
        is_signed_authentication_request_required=True)
    body = settings.to_graph_json()
    assert body["displayName"] == "Contoso"
    assert body["promptLoginBehavior"] == "nativeSupport"
    assert body["isSignedAuthenticationRequestRequired"] is True
    assert body["signOutUri"] is None
    assert FederationSettings.from_graph_json({**body, "id": "x", "@odata.type": "y"}) == settings


def test_jumpcloud_sample_gives_what_the_jumpcloud_module_would() -> None:
    from core.idp_sample import jumpcloud_sample

    xml, issued = jumpcloud_sample("o365")
    settings, _ = _settings(xml)
    assert settings.passive_sign_in_uri == "https://sso.jumpcloud.com/saml2/o365"
    assert settings.active_sign_in_uri == settings.passive_sign_in_uri
    assert settings.signing_certificate == base64.b64encode(issued.der).decode()


def test_builder_default_metadata_has_no_settings_errors() -> None:
    xml = build_idp_metadata(f.ENTITY, sso_post=f.SSO, slo_redirect=f.SLO,
                             signing_certs=[f.cert().der])
    _, ids = _settings(xml)
    assert ids == set()


def test_idp_wanting_signed_requests_is_told_what_entra_sends() -> None:
    xml = f.metadata()
    assert b'WantAuthnRequestsSigned="false"' in xml
    _, ids = _settings(xml)
    assert "authn_requests_signed_wanted" not in ids
    wanting = xml.replace(b'WantAuthnRequestsSigned="false"', b'WantAuthnRequestsSigned="true"')
    md = read_metadata(wanting, now=f.NOW)
    settings, findings = settings_from_metadata(md, now=f.NOW)
    [finding] = [x for x in findings if x.id == "authn_requests_signed_wanted"]
    assert finding.severity == "info" and "sends them unsigned" in finding.message
    assert settings.is_signed_authentication_request_required is False


def test_rollover_certificates_offer_a_future_next_certificate_but_never_an_expired_one() -> None:
    """A planned rollover publishes the next certificate before it is valid: it must be
    offered for staging (both faces call this function), an expired one never."""
    from core.settings import rollover_certificates

    current, old, future = f.cert("current.example.com"), f.expired(), f.not_yet_valid()
    xml = f.metadata(signing=[old.der, current.der, future.der, current.der])
    offered = rollover_certificates(read_metadata(xml, now=f.NOW), now=f.NOW)
    assert offered == [base64.b64encode(current.der).decode(),
                       base64.b64encode(future.der).decode()]

"""Test sign-in and the doctor as an admin runs them against the sandbox: every AADSTS outcome
the sandbox can produce, reached through ``federator test-signin`` and through ``federator
doctor`` with the same verdict, under both of the sandbox's readings where Microsoft is silent."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from cli.main import main

WARNINGS = "metadata.endpoints,domain.subdomain,users.immutable_id,users.blast_radius"
PILOT = "ada.albers0@fabrikam.com"  # a seed user with an ImmutableID
NEWCOMER = "new.hire@fabrikam.com"  # a seed user without one


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["--sandbox", *argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def federated(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> Path:
    """fabrikam.com federated with the sandbox's sample IdP, as a new user does it."""
    code, out, _ = run(capsys, "sandbox", "idp-metadata")
    assert code == 0 and "PRIVATE KEY" not in out
    metadata = tmp_path / "sample-idp.xml"
    metadata.write_text(out)
    code, _, err = run(capsys, "federate", "--metadata", str(metadata), "--domain",
                       "fabrikam.com", "--confirm", "fabrikam.com", "--accept-warnings",
                       WARNINGS)
    assert code == 0, err
    return tmp_path


def test_pilot_with_immutable_id_signs_in(federated: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "test-signin", "--domain", "fabrikam.com", "--user", PILOT)
    assert code == 0
    assert out.count("[ok]") == 4 and f"{PILOT} would be signed in." in out


def test_user_without_immutable_id_gets_51004_and_the_fix(
        federated: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "test-signin", "--domain", "fabrikam.com", "--user", NEWCOMER,
                       "--json")
    body = json.loads(out)
    assert code == 1 and body["ok"] is False and body["aadsts"] == "AADSTS51004"
    assert [h["state"] for h in body["hops"]] == ["ok", "ok", "ok", "fail"]
    assert any("has no ImmutableID" in f["message"] and "ImmutableID" in f["remedy"]
               for f in body["findings"])


def test_an_unknown_user_is_answered_with_users_who_can_sign_in(
        federated: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "test-signin", "--domain", "fabrikam.com", "--user",
                       "alex@fabrikam.com")
    assert code == 1 and "The tenant has no user alex@fabrikam.com." in out
    [fix] = [line for line in out.splitlines() if "Fix: Pick a user of the domain" in line]
    assert PILOT in fix and NEWCOMER not in fix  # one who can sign in, not one without an ID


def test_managed_domain_stops_at_realm_discovery(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "test-signin", "--domain", "fabrikam.com", "--user", PILOT,
                       "--json")
    body = json.loads(out)
    assert code == 1 and body["hops"][0]["state"] == "fail" and len(body["hops"]) == 1


@pytest.mark.parametrize("rules", ["strict", "lenient"])
@pytest.mark.parametrize(("defect", "expected"), [
    (None, None), ("wrong-issuer", "AADSTS50107"), ("wrong-key", "AADSTS500081"),
    ("tampered", "AADSTS50006"), ("expired", "AADSTS50008"),
    ("wrong-audience", "AADSTS50008"), ("nameid-not-immutableid", "AADSTS51004"),
    ("no-idpemail", "AADSTS50008"), ("unsigned", "AADSTS50008"),
])
def test_test_signin_and_doctor_agree(federated: Path, capsys: pytest.CaptureFixture[str],
                                      monkeypatch: pytest.MonkeyPatch, rules: str,
                                      defect: str | None, expected: str | None) -> None:
    monkeypatch.setenv("FEDERATOR_SANDBOX_SIGNIN", rules)
    with_defect = ["--defect", defect] if defect else []
    code, out, _ = run(capsys, "test-signin", "--domain", "fabrikam.com", "--user", PILOT,
                       "--json", *with_defect)
    trip = json.loads(out)
    lenient_ok = rules == "lenient" and defect == "no-idpemail"  # as captured traces show
    assert (code, trip["aadsts"]) == ((0, None) if lenient_ok or defect is None
                                      else (1, expected))

    code, out, _ = run(capsys, "sandbox", "idp-response", "--user", PILOT, *with_defect)
    response = federated / "response.txt"
    response.write_text(out)
    code, out, _ = run(capsys, "doctor", "--saml-response", str(response), "--user", PILOT,
                       "--json")
    report = json.loads(out)
    # The doctor applies the documented, stricter reading: never "ok" where a reading fails.
    assert (code, report["predicted_error"]) == ((0, None) if defect is None else (1, expected))
    assert report["verdict"] == ("ok" if defect is None else "fail")
    assert report["response"]["audience"]


def test_doctor_names_a_wrong_certificate_before_a_user_does(
        federated: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "sandbox", "idp-response", "--user", PILOT, "--defect",
                       "wrong-key")
    code, out, _ = run(capsys, "doctor", "--saml-response", out.strip())  # the pasted base64
    assert code == 1
    assert "neither fabrikam.com's signingCertificate nor its nextSigningCertificate" in out
    assert "Verdict: Entra would refuse it with AADSTS500081" in out


def test_doctor_explains_an_error_text_against_the_tenant(
        federated: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = ("Message: AADSTS50107: The requested federation realm object "
            "'https://sso.jumpcloud.com/saml2/federator-demo/' does not exist. Correlation Id: "
            "0f2a7c1e-1111-2222-3333-444455556666 Timestamp: 2023-11-17T11:51:02Z")
    code, out, _ = run(capsys, "doctor", "--error", text, "--json")
    report = json.loads(out)
    assert code == 1 and report["predicted_error"] == "AADSTS50107"
    assert report["error_text"]["correlation_id"] == "0f2a7c1e-1111-2222-3333-444455556666"
    assert any(f["id"] == "issuer_near_match" for f in report["findings"])


def test_doctor_refuses_unusable_input_with_exit_2(federated: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    hostile = federated / "xxe.xml"
    hostile.write_text('<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>')
    code, out, err = run(capsys, "doctor", "--saml-response", str(hostile))
    assert code == 2 and "DOCTYPE" in err and "Traceback" not in err + out


def test_hostile_text_in_a_response_is_escaped_on_the_terminal(
        federated: Path, capsys: pytest.CaptureFixture[str], federator_home: Path) -> None:
    from core.paths import resolve_paths
    from sandbox.sample_idp import ENTITY_ID, Subject, build_response, encode, load_key

    key = load_key(resolve_paths(federator_home).sandbox_dir)  # the sample IdP's own key
    xml = build_response(key, Subject("x\u009b2Jy@fabrikam.com", "no-such\u202eid"),
                         issuer=ENTITY_ID)
    code, out, _ = run(capsys, "doctor", "--saml-response", encode(xml))
    assert code == 1 and "\u009b" not in out and "\u202e" not in out and "\\u202e" in out


def test_doctor_says_when_the_issuer_belongs_to_another_domain(
        federated: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "sandbox", "idp-response", "--user", PILOT)
    code, out, _ = run(capsys, "doctor", "--saml-response", out.strip(), "--domain",
                       "contoso.com", "--json")
    ids = [f["id"] for f in json.loads(out)["findings"]]
    assert code == 0 and ids == ["domain_not_federated", "issuer_other_domain"]


def test_the_doctor_keeps_no_trace_of_the_response(federated: Path, federator_home: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    # A response carries personal data (ImmutableID, e-mail): it reaches the screen only.
    from core.paths import resolve_paths

    code, out, _ = run(capsys, "sandbox", "idp-response", "--user", PILOT)
    assert code == 0
    main(["-v", "--sandbox", "doctor", "--saml-response", out.strip(), "--user", PILOT])
    shown, err = capsys.readouterr()
    assert "BlAdeh" not in err  # -v logs to stderr
    name_id = next(line.split()[-1] for line in shown.splitlines() if "NameID:" in line)
    paths = resolve_paths(federator_home)
    assert paths.cli_log_file.exists()  # the command line logs there
    # Everything Federator itself writes (the sandbox's tenant holds the user, as Entra does).
    for folder in (paths.logs, paths.config, paths.cache, paths.journal_dir):
        for file in (p for p in folder.rglob("*") if p.is_file()):
            assert name_id.encode() not in file.read_bytes(), file


# -- one sample IdP: rotating it changes what the test sign-in signs with ------------------------

def _idp_file(federator_home: Path) -> Path:
    return federator_home / "data" / "sandbox" / "idp" / "metadata.xml"


def test_after_the_idp_switches_sign_in_fails_until_the_tenant_rolls_over(
        federated: Path, capsys: pytest.CaptureFixture[str], federator_home: Path) -> None:
    code, out, _ = run(capsys, "test-signin", "--domain", "fabrikam.com", "--user", PILOT)
    assert code == 0 and f"{PILOT} would be signed in." in out

    assert run(capsys, "sandbox", "idp-rotate", "--switch")[0] == 0
    code, out, _ = run(capsys, "test-signin", "--domain", "fabrikam.com", "--user", PILOT,
                       "--json")
    assert (code, json.loads(out)["aadsts"]) == (1, "AADSTS500081")

    # The tenant rolls over to the metadata the IdP now publishes: staged, Entra accepts it...
    domain = ["--domain", "fabrikam.com", "--confirm", "fabrikam.com"]
    code, out, err = run(capsys, "update-certificate", "--metadata",
                         str(_idp_file(federator_home)), *domain)
    assert code == 0, out + err
    code, out, _ = run(capsys, "test-signin", "--domain", "fabrikam.com", "--user", PILOT)
    assert code == 0 and f"{PILOT} would be signed in." in out
    # ...and promoted, it is the tenant's signing certificate.
    code, out, err = run(capsys, "update-certificate", "--metadata",
                         str(_idp_file(federator_home)), "--promote", *domain)
    assert code == 0, out + err
    code, out, _ = run(capsys, "test-signin", "--domain", "fabrikam.com", "--user", PILOT)
    assert code == 0 and f"{PILOT} would be signed in." in out


def test_a_staged_certificate_is_published_but_not_yet_signed_with(
        federated: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "sandbox", "idp-rotate", "--stage")[0] == 0
    code, out, _ = run(capsys, "test-signin", "--domain", "fabrikam.com", "--user", PILOT)
    assert code == 0 and f"{PILOT} would be signed in." in out
    code, out, _ = run(capsys, "sandbox", "idp-metadata")
    assert out.count("<ds:X509Certificate>") == 2


def test_idp_metadata_is_the_file_and_the_url(capsys: pytest.CaptureFixture[str],
                                              federator_home: Path) -> None:
    from core.graph.client import make_session
    from core.paths import resolve_paths
    from sandbox import Sandbox

    assert run(capsys, "sandbox", "idp-rotate", "--stage")[0] == 0
    code, printed, _ = run(capsys, "sandbox", "idp-metadata")
    assert code == 0 and "PRIVATE KEY" not in printed
    assert printed.encode() == _idp_file(federator_home).read_bytes()
    with Sandbox(resolve_paths(federator_home).sandbox_dir) as sandbox:
        http = make_session(verify=str(sandbox.ca_bundle), trust_env=False)
        served = http.get(f"{sandbox.url}/sandbox/idp/metadata").content
    assert served == printed.encode()


def test_a_sandbox_folder_from_before_keeps_its_sample_idp_key(
        capsys: pytest.CaptureFixture[str], federator_home: Path) -> None:
    from core.idp_sample import jumpcloud_certificate
    from core.paths import resolve_paths

    old = jumpcloud_certificate("Federator Demo")
    sandbox_dir = resolve_paths(federator_home).sandbox_dir
    sandbox_dir.mkdir(parents=True)
    (sandbox_dir / "sample-idp.pem").write_bytes(old.key_pem + old.pem)
    code, out, _ = run(capsys, "sandbox", "idp-metadata")
    assert code == 0
    assert base64.b64encode(old.der).decode() in out.replace("\n", "")

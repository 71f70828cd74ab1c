"""Text from hostile metadata is shown as the characters it holds: refused where it can forge
what the admin reads or pastes, escaped on a terminal."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from cli.main import main
from core.metadata import read_metadata
from tests import factories as f

CALC = "\u2019 $(Start-Process calc) \u2019"


def write(tmp_path: Path, data: bytes, name: str = "idp.xml") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("where", ["entity", "sso", "slo"])
@pytest.mark.parametrize("bad", [CALC, "\u2018x", "a\u202eb", "a&#10;b", "a&#155;2Jb",
                                 "\u201cx\u201d", "a\u200bb", "a&#8203;b", "a\ufeffb",
                                 "a&#x2060;b", "a\u00adb"])
def test_unsafe_characters_in_issuer_or_urls_are_an_error_finding(
        tmp_path: Path, where: str, bad: str) -> None:
    url = "https://sso.example.org/saml/" + bad
    kwargs = {"entity": {"entity_id": url}, "sso": {"sso_post": url, "sso_redirect": url},
              "slo": {"slo_redirect": url}}[where]
    data = f.metadata(**kwargs)  # type: ignore[arg-type]
    # lxml escapes & in attributes: put the character references back, as an attacker would.
    data = data.replace(b"&amp;#", b"&#")
    md = read_metadata(str(write(tmp_path, data)))
    [finding, *_] = [x for x in md.findings if x.id == "unsafe_characters"]
    assert finding.severity == "error" and finding.remedy
    assert "\n" not in finding.message and "\x1b" not in finding.message
    assert "\u202e" not in finding.message and "\x9b" not in finding.message


def test_real_urls_have_no_unsafe_characters_finding(tmp_path: Path) -> None:
    md = read_metadata(str(write(tmp_path, f.metadata(
        "https://idp.example.org/x'y?a=1&b=%E2%80%99"))))
    assert "unsafe_characters" not in {x.id for x in md.findings}


def test_preflight_fails_on_a_typographic_quote_in_the_sign_in_url(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = "https://sso.example.org/saml" + CALC
    source = write(tmp_path, f.metadata("https://idp.fabrikam-sso.net/x", sso_post=url,
                                        sso_redirect=url))
    code = main(["--sandbox", "preflight", "--metadata", str(source), "--domain", "fabrikam.com",
                 "--json"])
    out = capsys.readouterr().out
    assert code == 1
    checks = {c["id"]: c for c in json.loads(out)["checks"]}
    assert checks["metadata.readable"]["status"] == "fail"
    assert "U+2019" in checks["metadata.readable"]["found"]


# -- terminal ----------------------------------------------------------------------------------

FORGED = "Signature          valid (by the certificate you supplied)"
RAW_CONTROLS = ("\x1b", "\x9b", "\r", "\u202e", "\x07")


def forging_metadata(tmp_path: Path) -> Path:
    # A CR and newline in the entityID (character references survive attribute normalisation),
    # a C1 CSI sequence in the sign-in URL, an ESC sequence and a bidi override in a certificate
    # subject (X.509 allows any UTF-8 there).
    entity = "https://idp.example.org/x&#13;&#10;" + FORGED
    sso = "https://sso.example.org/saml&#155;2J&#155;1;1H"
    data = f.metadata(entity, signing=[f.cert("idp\x1b[2K\x1b[1G\u202eevil\x07").der],
                      sso_post=sso, sso_redirect=sso)
    return write(tmp_path, data.replace(b"&amp;#", b"&#"))


def test_inspect_shows_control_characters_as_visible_escapes(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["inspect", str(forging_metadata(tmp_path))])
    out, err = capsys.readouterr()
    assert code == 0, err
    for raw in RAW_CONTROLS:
        assert raw not in out, repr(raw)
    # The forged line is not a line of its own: the CR/LF show as \r\n inside the entity's line.
    assert FORGED not in out.splitlines()
    assert "Identity provider  https://idp.example.org/x\\r\\nSignature" in out
    assert "\\x9b2J" in out and "\\x1b[2K" in out and "\\u202eevil" in out


def test_an_invisible_character_in_the_issuer_is_refused_and_shown_on_a_terminal(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # "https://idp.example.org/saml" with a ZERO WIDTH SPACE in it reads the same on screen as
    # the real issuer, and Entra compares issuers exactly: every sign-in would fail (AADSTS50107).
    source = write(tmp_path, f.metadata("https://idp.example.org/sa\u200bml"))
    code = main(["inspect", str(source)])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "\u200b" not in out
    assert "Identity provider  https://idp.example.org/sa\\u200bml" in out
    assert "[unsafe_characters]" in out


def test_inspect_json_keeps_every_value_exactly_but_escaped(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["inspect", str(forging_metadata(tmp_path)), "--json"])
    out, _ = capsys.readouterr()
    assert code == 0
    for raw in RAW_CONTROLS:
        assert raw not in out, repr(raw)
    body = json.loads(out)
    assert body["entity_id"] == "https://idp.example.org/x\r\n" + FORGED
    assert "\u202eevil" in json.dumps(body, ensure_ascii=False)


def test_errors_are_one_line_whatever_they_quote(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "idp\x1b[2J\nerror: forged.xml"
    code = main(["inspect", str(missing)])
    _, err = capsys.readouterr()
    assert code == 2
    assert err.count("\n") == 1 and "\x1b" not in err
    assert "\\x1b[2J\\nerror: forged.xml" in err


def test_graph_values_with_line_breaks_stay_on_their_line_in_status_and_revert(
        federator_home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A federation configuration someone else put on the tenant (Graph is outside text too):
    a line break in its sign-in URL or display name must not start a forged line."""
    from core.paths import resolve_paths
    from sandbox import Sandbox
    from tests.plugins.sandbox import sandbox_session

    paths = resolve_paths(federator_home)
    paths.ensure()
    with Sandbox(paths.sandbox_dir) as sandbox:
        session = sandbox_session(sandbox, sandbox.issue_token())
        body = {"@odata.type": "#microsoft.graph.internalDomainFederation",
                "displayName": "Contoso\nFORGED display",
                "issuerUri": "https://idp.acme-sso.net/e",
                "passiveSignInUri": "https://idp.acme-sso.net/sso\nFORGED url",
                "preferredAuthenticationProtocol": "saml",
                "signingCertificate": base64.b64encode(f.cert().der).decode()}
        response = session.post(f"{sandbox.graph_url}/domains/fabrikam.com/"
                                "federationConfiguration", json=body)
        assert response.status_code == 201
    assert main(["--sandbox", "status", "--domain", "fabrikam.com"]) == 0
    out = capsys.readouterr().out
    assert "FORGED" in out
    assert not [line for line in out.splitlines() if line.lstrip().startswith("FORGED")]
    assert main(["--sandbox", "revert", "--domain", "fabrikam.com",
                 "--confirm", "fabrikam.com"]) == 0
    out = capsys.readouterr().out
    assert not [line for line in out.splitlines() if line.lstrip().startswith("FORGED")]


def test_certificate_subjects_cannot_forge_lines_in_a_change_or_preflight(
        tmp_path: Path, federator_home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Escape sequences, a carriage return, a line break and a text-direction override in the
    subject of a certificate the metadata carries: shown as visible escapes in the progress lines
    of a change, its result, and preflight; never obeyed."""
    from core.certgen import make_certificate

    current = make_certificate("evil\x1b[2K\rOK all good\nFORGED line\u202eabc")
    staged = make_certificate("next\nFORGED next")
    idp = "https://idp.acme-sso.net/saml"  # not a guide's placeholder (preflight fails those)
    first = write(tmp_path, f.metadata(idp, signing=[current.der]), "first.xml")
    second = write(tmp_path, f.metadata(idp, signing=[staged.der]), "second.xml")
    warnings = "metadata.endpoints,domain.subdomain,users.immutable_id,users.blast_radius"
    assert main(["--sandbox", "federate", "--metadata", str(first), "--domain", "fabrikam.com",
                 "--confirm", "fabrikam.com", "--accept-warnings", warnings]) == 0, \
        capsys.readouterr()
    capsys.readouterr()
    assert main(["--sandbox", "update-certificate", "--metadata", str(second),
                 "--domain", "fabrikam.com", "--confirm", "fabrikam.com"]) == 0
    change = capsys.readouterr().out
    main(["--sandbox", "preflight", "--metadata", str(second), "--domain", "fabrikam.com"])
    checks = capsys.readouterr().out
    for out in (change, checks):
        assert "FORGED" in out
        assert not [line for line in out.splitlines() if line.lstrip().startswith("FORGED")]
        assert not any(ch in out for ch in "\x1b\r\u202e")

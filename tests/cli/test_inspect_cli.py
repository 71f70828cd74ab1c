"""``federator inspect``: the summary an admin reads, the JSON a script reads, the exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from cli.main import main
from core.idp_sample import entities_aggregate, jumpcloud_sample
from tests import factories as f

JSON_KEYS = {"entity_id", "sso", "slo", "name_id_formats", "valid_until", "signed",
             "signature_valid", "certificates", "federation", "findings"}
CERT_KEYS = {"use", "subject", "issuer", "serial", "not_before", "not_after", "days_left", "key",
             "signature_hash", "sha1", "sha256", "self_signed", "der_base64"}
FEDERATION_KEYS = {"issuerUri", "passiveSignInUri", "activeSignInUri", "signOutUri",
                   "signingCertificate", "nextSigningCertificate",
                   "preferredAuthenticationProtocol"}


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["inspect", *args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def jumpcloud_file(tmp_path: Path) -> tuple[Path, bytes]:
    xml, issued = jumpcloud_sample("o365", entity_id="https://contoso.com")
    path = tmp_path / "JumpCloud-o365-metadata.xml"
    path.write_bytes(xml)
    return path, issued.der


def test_human_summary(capsys: pytest.CaptureFixture[str],
                       jumpcloud_file: tuple[Path, bytes]) -> None:
    path, _ = jumpcloud_file
    code, out, err = run(capsys, str(path))
    assert code == 0 and err == ""
    assert "Identity provider  https://contoso.com" in out
    assert "HTTP-POST        https://sso.jumpcloud.com/saml2/o365" in out
    assert "JumpCloudSAMLUser" in out and "days left" in out
    assert "passiveSignInUri" in out and "preferredAuthenticationProtocol  saml" in out
    assert "[slo_missing]" in out and "->" in out


def test_json_output(capsys: pytest.CaptureFixture[str],
                     jumpcloud_file: tuple[Path, bytes]) -> None:
    import base64

    path, der = jumpcloud_file
    code, out, err = run(capsys, str(path), "--json")
    assert code == 0 and err == ""
    body = json.loads(out)
    assert set(body) >= JSON_KEYS
    assert body["entity_id"] == "https://contoso.com"
    assert body["sso"][0] == {"binding": "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST",
                              "location": "https://sso.jumpcloud.com/saml2/o365"}
    assert body["slo"] == [] and body["signed"] is False and body["signature_valid"] is None
    assert set(body["certificates"][0]) >= CERT_KEYS
    assert body["certificates"][0]["not_after"].endswith("Z")
    assert set(body["federation"]) == FEDERATION_KEYS
    assert body["federation"]["signingCertificate"] == base64.b64encode(der).decode()
    assert body["federation"]["signOutUri"] is None
    assert body["findings"] == [{"id": "slo_missing", "severity": "warning",
                                 "message": body["findings"][0]["message"],
                                 "remedy": body["findings"][0]["remedy"]}]


def test_findings_with_errors_still_exit_zero(capsys: pytest.CaptureFixture[str],
                                              tmp_path: Path) -> None:
    path = tmp_path / "old.xml"
    path.write_bytes(f.metadata(signing=[f.expired().der]))
    code, out, _ = run(capsys, str(path), "--json")
    assert code == 0
    assert "no_valid_signing_certificate" in {x["id"] for x in json.loads(out)["findings"]}


def test_multiple_idps_error_lists_them(capsys: pytest.CaptureFixture[str],
                                        tmp_path: Path) -> None:
    path = tmp_path / "aggregate.xml"
    path.write_bytes(entities_aggregate([f.metadata("https://a.example.com"),
                                         f.metadata("https://b.example.com")]))
    code, out, err = run(capsys, str(path), "--json")
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("error: ")
    body = json.loads(out)["error"]
    assert body["code"] == "multiple_identity_providers"
    assert body["entity_ids"] == ["https://a.example.com", "https://b.example.com"]
    code, out, _ = run(capsys, str(path), "--entity", "https://b.example.com", "--json")
    assert code == 0 and json.loads(out)["entity_id"] == "https://b.example.com"


@pytest.mark.parametrize(("content", "code"), [
    (b"", "malformed_xml"),
    (b"<!DOCTYPE x [<!ENTITY a SYSTEM 'file:///etc/passwd'>]><x>&a;</x>", "forbidden_dtd"),
    (b"\x89PNG\r\n\x1a\n", "not_metadata"),
    (b"<a><b></a>", "malformed_xml"),
])
def test_unusable_input_one_line_and_json_error(capsys: pytest.CaptureFixture[str],
                                                tmp_path: Path, content: bytes,
                                                code: str) -> None:
    path = tmp_path / "metadata.xml"
    path.write_bytes(content)
    exit_code, out, err = run(capsys, str(path))
    assert exit_code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("error: ")
    exit_code, out, err = run(capsys, str(path), "--json")
    assert exit_code == 2
    assert json.loads(out)["error"]["code"] == code
    assert set(json.loads(out)["error"]) >= {"code", "message"}


def test_missing_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, _ = run(capsys, str(tmp_path / "nope.xml"), "--json")
    assert code == 2
    assert json.loads(out)["error"]["code"] == "not_found"


def test_http_url_refused(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "http://idp.example.com/metadata")
    assert code == 2 and "https://" in err


def test_signer_certificate_option(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    signer = f.cert("signer", slot=4)
    (tmp_path / "md.xml").write_bytes(f.metadata(sign_with=signer))
    (tmp_path / "signer.pem").write_bytes(signer.pem)
    code, out, _ = run(capsys, str(tmp_path / "md.xml"), "--signer-certificate",
                       str(tmp_path / "signer.pem"), "--json")
    assert code == 0
    body = json.loads(out)
    assert body["signed"] is True and body["signature_valid"] is True
    assert "you supplied" in body["signature_detail"]
    code, _, err = run(capsys, str(tmp_path / "md.xml"), "--signer-certificate",
                       str(tmp_path / "missing.pem"))
    assert code == 2 and "Signer certificate" in err


def test_every_corpus_file_exits_0_or_2_with_one_line(corpus_dir: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    for path in sorted(corpus_dir.glob("*.xml")):
        code, out, err = run(capsys, str(path))
        assert code in (0, 2), path.name
        if code == 2:
            assert err.count("\n") == 1 and err.startswith("error: "), path.name
        else:
            assert err == "" and "What Graph will receive" in out, path.name


def test_real_process_never_shows_a_traceback(tmp_path: Path) -> None:
    path = tmp_path / "laughs.xml"
    path.write_bytes(b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaa">]><l>&a;</l>')
    result = subprocess.run([sys.executable, "-m", "cli.main", "inspect", str(path), "--json"],
                            capture_output=True, text=True, timeout=60,
                            cwd=Path(__file__).resolve().parents[2])
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert json.loads(result.stdout)["error"]["code"] == "forbidden_dtd"


def test_an_empty_source_says_none_was_given(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "", "--json")
    assert code == 2
    assert json.loads(out)["error"]["code"] == "not_found"
    assert err == ("error: No metadata file or URL was given. Give the path of the IdP's "
                   "metadata file, or its https:// URL.\n")


def test_plain_text_is_called_not_xml(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "metadata.xml"
    path.write_text("Your session has expired, please sign in again.")
    code, _, err = run(capsys, str(path))
    assert code == 2
    assert err.startswith("error: This file is not XML, so it is not SAML metadata: it starts "
                          "with 'Your session has expired, plea...'.")


def test_missing_arguments_with_json_give_a_json_error(
        capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["inspect", "--json"])
    out, err = capsys.readouterr()
    assert info.value.code == 2
    assert json.loads(out) == {"error": {"code": "bad_arguments",
                                         "message": "the following arguments are required: "
                                                    "source"}}
    assert "error: the following arguments are required: source" in err


def test_long_binding_names_keep_the_urls_aligned(capsys: pytest.CaptureFixture[str],
                                                  tmp_path: Path) -> None:
    xml, _ = jumpcloud_sample("o365", entity_id="https://contoso.com")
    simple = b"urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST-SimpleSign"
    xml = xml.replace(b"urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect", simple)
    path = tmp_path / "md.xml"
    path.write_bytes(xml)
    code, out, _ = run(capsys, str(path))
    assert code == 0
    rows = [ln for ln in out.splitlines() if ln.startswith("  HTTP-")]
    assert len(rows) >= 2
    assert len({ln.index("https://") for ln in rows}) == 1


def test_a_missing_relative_path_is_shown_in_full(capsys: pytest.CaptureFixture[str],
                                                  tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    code, _, err = run(capsys, "metadata.xml")
    assert code == 2
    assert err.startswith(f"error: No file at {tmp_path / 'metadata.xml'}.")


class _ClosedPipe:
    """stdout whose reader went away (``federator ... --json | head``)."""

    def __init__(self, fd: int) -> None:
        self._fd = fd

    def write(self, text: str) -> int:
        raise BrokenPipeError(32, "Broken pipe")

    def flush(self) -> None:
        pass

    def fileno(self) -> int:
        return self._fd


def test_a_closed_pipe_while_reporting_an_error_is_quiet(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    import os

    fd = os.open(tmp_path / "stdout", os.O_WRONLY | os.O_CREAT)
    try:
        with capsys.disabled():
            monkeypatch.setattr(sys, "stdout", _ClosedPipe(fd))
            code = main(["inspect", str(tmp_path / "missing.xml"), "--json"])
            monkeypatch.undo()
    finally:
        os.close(fd)
    assert code == 1  # no traceback escaped: run() turned the broken pipe into an exit code


def test_a_file_url_from_the_browser_is_read_as_the_file(
        capsys: pytest.CaptureFixture[str], jumpcloud_file: tuple[Path, bytes],
        tmp_path: Path) -> None:
    path = tmp_path / "JumpCloud metadata (2).xml"
    path.write_bytes(jumpcloud_file[0].read_bytes())
    code, out, err = run(capsys, path.as_uri(), "--json")
    assert code == 0, err
    body = json.loads(out)
    assert body["entity_id"] == "https://contoso.com"
    assert body["source"] == str(path)


def test_findings_are_wrapped_for_a_terminal(capsys: pytest.CaptureFixture[str],
                                            jumpcloud_file: tuple[Path, bytes]) -> None:
    code, out, _ = run(capsys, str(jumpcloud_file[0]))
    assert code == 0
    findings = out[out.index("\nFindings"):].splitlines()[2:]
    assert findings and all(len(line) <= 100 for line in findings)
    assert any(line.startswith("           -> ") for line in findings)
    assert any(line.startswith("              ") for line in findings)  # a remedy goes on


def test_findings_count_names_notes_too(capsys: pytest.CaptureFixture[str],
                                        tmp_path: Path) -> None:
    xml, _ = jumpcloud_sample("o365", entity_id="https://contoso.com")
    path = tmp_path / "md.xml"
    path.write_bytes(xml.replace(b'WantAuthnRequestsSigned="false"',
                                 b'WantAuthnRequestsSigned="true"'))
    code, out, _ = run(capsys, str(path))
    assert code == 0
    assert "Findings (0 errors, 1 warning, 1 note)" in out


def test_every_face_reads_metadata_through_one_core_function(tmp_path: Path) -> None:
    """``require_metadata`` is how inspect, plan, preflight, federate, update-certificate and the
    window read metadata: unusable metadata raises the error the reader gave."""
    from core.errors import InputError
    from core.idp_sample import jumpcloud_sample
    from core.preflight.run import require_metadata

    xml, _ = jumpcloud_sample("acme-demo")
    read = require_metadata(xml, name="sample")
    assert read.source == "sample" and read.metadata is not None and read.settings is not None
    with pytest.raises(InputError) as info:
        require_metadata("")
    assert info.value.code == "not_found"

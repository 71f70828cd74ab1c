"""A URL that cannot even be parsed, in any field, is a finding or a clean error: never
"unexpected ValueError" (``urlsplit`` raises on an unclosed IPv6 bracket, ``.port`` on a port out
of range)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cli.main import main
from core.paths import resolve_paths
from core.preflight.run import read_metadata_input, run_preflight
from tests import factories as f

BAD_URLS = [
    "https://[sso.example/x",        # unclosed IPv6 bracket
    "https://sso.example]/x",        # closing bracket alone
    "https://[sso.example]/x",       # brackets around a name, not an address
    "https://sso.example:99999/x",   # port out of range
    "https://sso.example:https/x",   # port not a number
    "https://sso\uff03.example/x",   # a character NFKC turns into '#'
]
FIELDS = {
    "sso_post": "sso_malformed_url",
    "sso_redirect": "sso_malformed_url",
    "sso_soap": "sso_malformed_url",
    "slo_redirect": "slo_malformed_url",
    "slo_post": "slo_malformed_url",
    "entity_id": "entity_id_malformed",
}


def _metadata(field: str, value: str) -> bytes:
    if field == "entity_id":
        return f.metadata(value)
    return f.metadata(**{field: value})


@pytest.mark.parametrize("value", BAD_URLS)
@pytest.mark.parametrize("field", list(FIELDS))
def test_inspect_reports_a_malformed_url_in_any_field(
        field: str, value: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "idp.xml"
    path.write_bytes(_metadata(field, value))
    assert main(["inspect", str(path)]) == 0
    out, err = capsys.readouterr()
    assert "unexpected" not in err and err == ""
    assert f"[{FIELDS[field]}]" in out
    assert main(["inspect", str(path), "--json"]) == 0
    body = json.loads(capsys.readouterr().out)
    finding = next(x for x in body["findings"] if x["id"] == FIELDS[field])
    assert finding["severity"] == "error" and value in finding["message"]


@pytest.mark.parametrize("field", ["sso_post", "entity_id"])
def test_preflight_refuses_a_malformed_url_without_a_traceback(
        field: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "idp.xml"
    value = "https://[sso.example/x"
    path.write_bytes(_metadata(field, value) if field == "entity_id"
                     else f.metadata(sso_post=value, sso_redirect=value))
    code = main(["--sandbox", "preflight", "--metadata", str(path), "--domain", "fabrikam.com"])
    out, err = capsys.readouterr()
    assert code == 1 and "unexpected" not in err
    check = "metadata.issuer" if field == "entity_id" else "metadata.endpoints"
    assert f"({check})" in out
    assert "is not a valid UR" in out


def test_a_typed_malformed_sign_out_url_fails_the_endpoint_check(
        tmp_path: Path, federator_home: Path) -> None:
    path = tmp_path / "idp.xml"
    path.write_bytes(f.metadata())
    metadata = read_metadata_input(path, sign_out_uri="https://[logout.example/x")
    result = run_preflight("fabrikam.com", metadata, client=None,
                           paths=resolve_paths(federator_home))
    check = next(c for c in result.checks if c.id == "metadata.endpoints")
    assert check.status == "fail" and "sign-out URL" in check.found


@pytest.mark.parametrize("source", ["https://[idp.example/metadata", "file://[share/idp.xml",
                                    "https://idp.example:70000/metadata"])
def test_a_malformed_metadata_address_is_a_clean_error(
        source: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["inspect", source]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "not a valid" in err and "unexpected" not in err


def test_status_compares_a_malformed_auth_url_without_raising() -> None:
    from core.status import _same_endpoint

    assert _same_endpoint("https://[sso.example/x?a=b", "https://sso.example/x") is False


# Web addresses that urlsplit parses but no browser reads as written: a user name before the
# host (RFC 3986 section 3.2.1 deprecates it; "https://login.microsoftonline.com@evil..." goes to
# evil), a backslash (WHATWG URL parsers read it as '/', so the host differs between readers),
# white space (not allowed in a URI at all, RFC 3986 section 2).
DECEPTIVE_URLS = [
    "https://login.microsoftonline.com@sso.acme-sso.net/x",
    "https://user:secret@sso.acme-sso.net/x",
    "https://sso.acme-sso.net\\@evil.example/x",
    "https://sso.acme-sso.net/s so",
    "https://sso.acme-sso.net/a\u00a0b",
]


@pytest.mark.parametrize("value", DECEPTIVE_URLS)
@pytest.mark.parametrize("field", ["sso_post", "slo_redirect"])
def test_a_sign_in_or_sign_out_url_browsers_read_differently_is_an_error(
        field: str, value: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "idp.xml"
    path.write_bytes(_metadata(field, value))
    assert main(["inspect", str(path), "--json"]) == 0
    body = json.loads(capsys.readouterr().out)
    finding = next(x for x in body["findings"] if x["id"] == FIELDS[field])
    assert finding["severity"] == "error" and value in finding["message"]


@pytest.mark.parametrize("value", DECEPTIVE_URLS[:3])
def test_preflight_refuses_a_sign_in_url_with_a_user_name_or_backslash(
        value: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "idp.xml"
    path.write_bytes(f.metadata(sso_post=value, sso_redirect=value))
    code = main(["--sandbox", "preflight", "--metadata", str(path), "--domain", "fabrikam.com"])
    out, _ = capsys.readouterr()
    assert code == 1 and "(metadata.endpoints)" in out and "is not a valid URL" in out

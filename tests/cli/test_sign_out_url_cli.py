"""--sign-out-url: the command line gives what the window's Sign-out URL field gives, for
metadata without a sign-out URL (JumpCloud's has none), judged like the metadata's own."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cli.main import main
from core.idp_sample import jumpcloud_sample
from core.window_text import for_window

PORTAL = "https://console.jumpcloud.com/userconsole/"


@pytest.fixture
def no_slo(tmp_path: Path) -> Path:
    path = tmp_path / "JumpCloud-metadata.xml"
    path.write_bytes(jumpcloud_sample("fabrikam-m365")[0])
    return path


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(["--sandbox", *argv])
    return code, capsys.readouterr().out


def test_inspect_sends_the_given_sign_out_url_and_drops_the_missing_url_warning(
        capsys: pytest.CaptureFixture[str], no_slo: Path) -> None:
    code, out = _run(capsys, "inspect", str(no_slo))
    assert code == 0 and "[slo_missing]" in out and "--sign-out-url URL" in out
    code, out = _run(capsys, "inspect", str(no_slo), "--sign-out-url", PORTAL)
    assert code == 0, out
    assert f"signOutUri                       {PORTAL}" in out
    assert "[slo_missing]" not in out


def test_a_given_sign_out_url_is_judged_like_the_metadata_s_own(
        capsys: pytest.CaptureFixture[str], no_slo: Path) -> None:
    code, out = _run(capsys, "inspect", str(no_slo), "--sign-out-url", "http://127.0.0.1/x")
    assert code == 0, out  # warnings only: signing in still works
    assert "[slo_not_https]" in out and "[url_host_local]" in out, out
    assert "Correct the sign-out URL you gave" in out
    # An empty one is none given: the metadata's (none) stands, with its own warning.
    _code, out = _run(capsys, "inspect", str(no_slo), "--sign-out-url", " ")
    assert "[slo_missing]" in out and "[slo_not_https]" not in out, out
    # The window names its own field for the same finding.
    assert for_window("Correct the sign-out URL you gave (--sign-out-url on the command line, "
                      "the Sign-out URL field in the desktop app), or leave it empty.") == (
        "Correct the sign-out URL you gave (the Sign-out URL field of the Metadata step), or "
        "leave it empty.")


def test_plan_and_federate_send_the_given_sign_out_url(
        capsys: pytest.CaptureFixture[str], no_slo: Path) -> None:
    base = ["--metadata", str(no_slo), "--domain", "fabrikam.com", "--sign-out-url", PORTAL]
    code, out = _run(capsys, "plan", *base, "--json")
    assert code == 0, out
    changes = {c["name"]: c["new"] for c in json.loads(out)["changes"]}
    assert changes["signOutUri"] == PORTAL
    code, out = _run(capsys, "federate", *base, "--confirm", "fabrikam.com",
                     "--accept-warnings", "domain.subdomain,users.immutable_id,"
                     "users.blast_radius")
    assert code == 0, out
    code, out = _run(capsys, "status", "--domain", "fabrikam.com", "--json")
    assert PORTAL in out, out

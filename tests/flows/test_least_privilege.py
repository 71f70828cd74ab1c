"""Least privilege: reading asks for read permissions only, the permission to change federation is
asked for (incremental consent) at the first change, Directory.AccessAsUser.All only when the
admin asks for it; proven from the sandbox's log of every token it issued (requested and granted
permissions). And the sandbox issues tokens as Entra does: the client's consented permissions,
and a device-code sign-in that can be declined."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import cli.main as cli
from core.config import load_tenant_config
from core.idp_sample import jumpcloud_sample
from core.paths import resolve_paths
from sandbox.consent import TokenLog

READS = {"Domain.Read.All", "User.Read.All", "RoleManagement.Read.Directory",
         "Organization.Read.All"}
WRITE = "Domain-InternalFederation.ReadWrite.All"
LEGACY = "Directory.AccessAsUser.All"
REVERT = ("revert", "--domain", "tailspin.io", "--confirm", "tailspin.io")


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture
def metadata_file(tmp_path: Path) -> Path:
    xml, _ = jumpcloud_sample("fabrikam", "https://sso.jumpcloud.com/saml2/fabrikam")
    path = tmp_path / "idp.xml"
    path.write_bytes(xml)
    return path


def _requested(entries: list[dict[str, Any]]) -> list[set[str]]:
    return [set(e["requested"]) for e in entries]


def test_read_only_commands_ask_only_for_read_permissions_and_a_change_for_the_write_one(
        capsys: pytest.CaptureFixture[str], metadata_file: Path) -> None:
    log = TokenLog(resolve_paths().sandbox_dir)
    reads = [("domains",), ("whoami",), ("status", "--domain", "fabrikam.com"),
             ("preflight", "--metadata", str(metadata_file), "--domain", "fabrikam.com"),
             ("plan", "--metadata", str(metadata_file), "--domain", "fabrikam.com")]
    for command in reads:
        code, _, err = run(capsys, "--sandbox", *command)
        assert code in (0, 1), (command, err)
    asked = _requested(log.entries())
    assert len(asked) >= len(reads)
    assert all(a <= READS for a in asked), asked

    code, _, err = run(capsys, "--sandbox", *REVERT)
    assert code == 0, err
    after = log.entries()[len(asked):]
    assert any(WRITE in e["requested"] for e in after)
    assert not any(LEGACY in e["requested"] for e in log.entries())


def _signin_args(sandbox: Any) -> list[str]:
    return ["signin", "--client-id", "federator-e2e", "--tenant", sandbox.tenant_id,
            "--graph-url", sandbox.graph_url, "--login-url", sandbox.login_url,
            "--ca-bundle", str(sandbox.ca_bundle)]


def test_real_sign_in_reads_with_read_scopes_and_asks_for_write_at_the_first_change(
        sandbox: Any, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, *_signin_args(sandbox))
    assert code == 0, err
    [signin] = sandbox.token_log()
    assert signin["grant"] == "device_code" and set(signin["requested"]) == READS
    # Entra's rule: the token carries what the admin consented for the app, not only the request
    assert WRITE in signin["granted"]
    for command in (("domains",), ("whoami",)):
        assert run(capsys, *command)[0] == 0
    assert all(set(e["requested"]) <= READS for e in sandbox.token_log())

    code, _, err = run(capsys, *REVERT)
    assert code == 0, err
    assert not any(LEGACY in e["requested"] for e in sandbox.token_log())
    state = {d["id"]: d for d in sandbox.tenant_state()["domains"]}
    assert state["tailspin.io"]["authenticationType"] == "Managed"


def test_a_permission_not_consented_yet_is_consented_at_the_first_change(
        sandbox: Any, capsys: pytest.CaptureFixture[str]) -> None:
    # The admin consented only the read permissions when registering the app.
    sandbox.set_consented_scopes([*sorted(READS), "User.Read"], client_id="federator-e2e")
    code, _, err = run(capsys, *_signin_args(sandbox))
    assert code == 0, err
    [signin] = sandbox.token_log()
    assert WRITE not in signin["granted"]

    code, _, err = run(capsys, *REVERT)
    assert code == 0, err
    assert "needs a permission Federator's sign-in does not hold yet: " + WRITE in err
    assert "/sandbox/device" in err  # the device-code sign-in where the admin consents
    refused, consented = sandbox.token_log()[-2:]
    assert refused["grant"] == "refresh_token" and refused["error"] == "AADSTS65001"
    assert consented["grant"] == "device_code" and WRITE in consented["requested"]
    state = {d["id"]: d for d in sandbox.tenant_state()["domains"]}
    assert state["tailspin.io"]["authenticationType"] == "Managed"


def test_legacy_permissions_only_when_asked_and_only_at_the_change(
        sandbox: Any, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, *_signin_args(sandbox), "--legacy-scopes")
    assert code == 0, err
    assert not any(LEGACY in e["requested"] for e in sandbox.token_log())
    code, _, err = run(capsys, *REVERT)
    assert code == 0, err
    assert LEGACY in sandbox.token_log()[-1]["requested"]


def test_a_declined_device_code_sign_in_says_so(sandbox: Any,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    sandbox.decline_device_codes = True
    code, out, err = run(capsys, *_signin_args(sandbox), "--json")
    assert code == 1
    assert json.loads(out)["error"]["code"] == "signin_declined"
    assert "declined" in err and "Nothing was changed" in err
    assert "Traceback" not in err
    assert not load_tenant_config(resolve_paths()).configured  # nothing saved


def test_the_window_reads_with_read_permissions_and_asks_for_write_when_applying(
        make_window: Any, qtbot: Any, idp_file: Path) -> None:
    from tests.gui_helpers import federate_in_window, walk_to_review

    window = make_window(sandbox=True)
    review = walk_to_review(window, qtbot, idp_file)  # sign-in, domains, preflight, plan
    log = TokenLog(resolve_paths().sandbox_dir)
    before = log.entries()
    assert before and all(set(e["requested"]) <= READS for e in before)
    federate_in_window(window, review)
    after = log.entries()[len(before):]
    assert any(WRITE in e["requested"] for e in after)


def test_federate_asks_for_consent_before_its_preflight_judges_the_permission(
        sandbox: Any, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """The preflight's permission check reads the token: asked for first, the write permission
    the admin consents to now lets the same run federate."""
    xml, _ = jumpcloud_sample("fabrikam-m365")
    metadata = tmp_path / "jumpcloud.xml"
    metadata.write_bytes(xml)
    sandbox.set_consented_scopes([*sorted(READS), "User.Read"], client_id="federator-e2e")
    assert run(capsys, *_signin_args(sandbox))[0] == 0
    code, out, err = run(capsys, "federate", "--metadata", str(metadata), "--domain",
                         "fabrikam.com", "--confirm", "fabrikam.com", "--accept-warnings",
                         "metadata.endpoints,domain.subdomain,users.immutable_id,"
                         "users.blast_radius")
    assert code == 0, out + err
    assert "needs a permission" in err and "Result: succeeded" in out

"""Whoever federates must be able to come back (issue 10 §5): Microsoft's role lists differ by
write, the sandbox enforces the documented lists or the role definitions, and Federator says
which role it takes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import requests

from cli.main import main
from core.idp_sample import jumpcloud_sample
from core.roles import (
    DOMAIN_NAME_ADMIN,
    EXTERNAL_IDP_ADMIN,
    GLOBAL_ADMIN,
    HYBRID_IDENTITY_ADMIN,
    RULES_DEFINITIONS,
    RULES_DOCUMENTED,
    SECURITY_ADMIN,
    Write,
    allowed_roles,
    write_of,
)
from sandbox import Sandbox
from tests.plugins.sandbox import sandbox_session
from tests.sandbox.test_sandbox_rules import federation_body

JUMPCLOUD_ENTITY = "https://sso.jumpcloud.com/saml2/fabrikam-roles"
# What the seed's fabrikam.com warns about (read, and accepted, as an admin would).
FABRIKAM_WARNINGS = "domain.subdomain,users.immutable_id,users.blast_radius"


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def jumpcloud_file(tmp_path: Path) -> Path:
    xml, _ = jumpcloud_sample("fabrikam", JUMPCLOUD_ENTITY, with_slo=True)
    path = tmp_path / "jumpcloud-fabrikam.xml"
    path.write_bytes(xml)
    return path


# ----------------------------------------------------------------------------- the facts

def test_documented_lists_differ_by_write() -> None:
    create = allowed_roles(Write.FEDERATION_CREATE)
    assert create == {DOMAIN_NAME_ADMIN, EXTERNAL_IDP_ADMIN, HYBRID_IDENTITY_ADMIN,
                      SECURITY_ADMIN, GLOBAL_ADMIN}
    assert allowed_roles(Write.FEDERATION_UPDATE) == create
    assert allowed_roles(Write.FEDERATION_DELETE) == {SECURITY_ADMIN, EXTERNAL_IDP_ADMIN,
                                                      GLOBAL_ADMIN}
    assert allowed_roles(Write.DOMAIN_AUTHENTICATION) == {DOMAIN_NAME_ADMIN, SECURITY_ADMIN,
                                                          EXTERNAL_IDP_ADMIN, GLOBAL_ADMIN}
    # The role definitions give Hybrid Identity Administrator the authentication type and the
    # delete; Domain Name Administrator (domains/allProperties/allTasks) the delete.
    assert allowed_roles(Write.DOMAIN_AUTHENTICATION, RULES_DEFINITIONS) - allowed_roles(
        Write.DOMAIN_AUTHENTICATION) == {HYBRID_IDENTITY_ADMIN}
    assert allowed_roles(Write.FEDERATION_DELETE, RULES_DEFINITIONS) - allowed_roles(
        Write.FEDERATION_DELETE) == {HYBRID_IDENTITY_ADMIN, DOMAIN_NAME_ADMIN}
    assert HYBRID_IDENTITY_ADMIN not in allowed_roles(Write.DOMAIN_UPDATE, RULES_DEFINITIONS)


def test_requests_are_classified_by_write() -> None:
    assert write_of("PATCH", "/domains/x.com", {"authenticationType": "Managed"}) == \
        Write.DOMAIN_AUTHENTICATION
    assert write_of("PATCH", "/domains/x.com", {"isDefault": True}) == Write.DOMAIN_UPDATE
    assert write_of("POST", "/domains/x.com/federationConfiguration") == Write.FEDERATION_CREATE
    assert write_of("PATCH", "/domains/x.com/federationConfiguration/1") == \
        Write.FEDERATION_UPDATE
    assert write_of("DELETE", "/domains/x.com/federationConfiguration/1") == \
        Write.FEDERATION_DELETE
    assert write_of("GET", "/domains/x.com") is None
    assert write_of("POST", "/domains/x.com/promote") is None


# ----------------------------------------------------------------------------- the sandbox

def writes_as(sandbox: Sandbox, upn: str) -> dict[str, int]:
    """Federate fabrikam.com, delete tailspin.io's configuration and revert contoso... as
    ``upn``: the status of each write (each on a fresh seed tenant)."""
    session: requests.Session = sandbox_session(sandbox, sandbox.issue_token(upn))
    url = sandbox.graph_url
    statuses: dict[str, int] = {}
    sandbox.reset()
    statuses["create"] = session.post(f"{url}/domains/fabrikam.com/federationConfiguration",
                                      json=federation_body()).status_code
    config = sandbox.tenant_state()["federation"]["tailspin.io"]["id"]
    statuses["delete"] = session.delete(
        f"{url}/domains/tailspin.io/federationConfiguration/{config}").status_code
    sandbox.reset()
    statuses["revert"] = session.patch(f"{url}/domains/tailspin.io",
                                       json={"authenticationType": "Managed"}).status_code
    return statuses


@pytest.mark.parametrize(("upn", "rules", "expected"), [
    ("hybrid@contoso.com", RULES_DOCUMENTED, {"create": 201, "delete": 403, "revert": 403}),
    ("hybrid@contoso.com", RULES_DEFINITIONS, {"create": 201, "delete": 204, "revert": 204}),
    ("extidp@contoso.com", RULES_DOCUMENTED, {"create": 201, "delete": 204, "revert": 204}),
    ("extidp@contoso.com", RULES_DEFINITIONS, {"create": 201, "delete": 204, "revert": 204}),
    ("domainadmin@contoso.com", RULES_DOCUMENTED, {"create": 201, "delete": 403,
                                                   "revert": 204}),
    ("domainadmin@contoso.com", RULES_DEFINITIONS, {"create": 201, "delete": 204,
                                                    "revert": 204}),
    ("ops@contoso.com", RULES_DOCUMENTED, {"create": 201, "delete": 204, "revert": 204}),
    ("reader@contoso.com", RULES_DEFINITIONS, {"create": 403, "delete": 403, "revert": 403}),
])
def test_sandbox_enforces_the_rule_set_it_was_given(tmp_path: Path, upn: str, rules: str,
                                                    expected: dict[str, int]) -> None:
    with Sandbox(tmp_path / "state", roles=rules) as sandbox:
        assert sandbox.role_rules == rules
        assert writes_as(sandbox, upn) == expected


def test_sandbox_default_is_the_documented_lists(sandbox: Sandbox) -> None:
    assert sandbox.role_rules == RULES_DOCUMENTED
    assert writes_as(sandbox, "hybrid@contoso.com")["revert"] == 403
    sandbox.set_role_rules("definitions")
    assert writes_as(sandbox, "hybrid@contoso.com")["revert"] == 204


def test_seed_users_for_the_role_lists(sandbox: Sandbox) -> None:
    state = sandbox.tenant_state()
    ids = {u["userPrincipalName"]: u["id"] for u in state["users"]}
    held: dict[str, set[str]] = {}
    for assignment in state["roleAssignments"]:
        held.setdefault(assignment["principalId"], set()).add(assignment["roleDefinitionId"])
    assert held[ids["hybrid@contoso.com"]] == {HYBRID_IDENTITY_ADMIN}
    assert held[ids["extidp@contoso.com"]] == {EXTERNAL_IDP_ADMIN}
    assert held[ids["ops@contoso.com"]] == {HYBRID_IDENTITY_ADMIN, EXTERNAL_IDP_ADMIN}


# ----------------------------------------------------------------------------- as a user would

def test_default_demo_user_federates_and_reverts_under_documented(
        capsys: pytest.CaptureFixture[str], jumpcloud_file: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FEDERATOR_SANDBOX_ROLES", "documented")
    code, out, err = run_cli(capsys, "--sandbox", "federate", "--metadata", str(jumpcloud_file),
                             "--domain", "fabrikam.com", "--confirm", "fabrikam.com",
                             "--accept-warnings", FABRIKAM_WARNINGS, "--json")
    assert code == 0, err
    assert json.loads(out)["outcome"] == "succeeded"
    code, out, err = run_cli(capsys, "--sandbox", "revert", "--domain", "fabrikam.com",
                             "--confirm", "fabrikam.com", "--json")
    assert code == 0, err
    assert json.loads(out)["state_after"]["domain"]["authenticationType"] == "Managed"


def test_environment_picks_the_rule_set(capsys: pytest.CaptureFixture[str],
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FEDERATOR_SANDBOX_ROLES", "definitions")
    code, out, err = run_cli(capsys, "--sandbox", "--as", "hybrid@contoso.com", "revert",
                             "--domain", "tailspin.io", "--confirm", "tailspin.io", "--json")
    assert code == 0, err
    assert json.loads(out)["state_after"]["domain"]["authenticationType"] == "Managed"
    monkeypatch.setenv("FEDERATOR_SANDBOX_ROLES", "generous")
    code, _, err = run_cli(capsys, "--sandbox", "domains")
    assert code == 2
    assert "FEDERATOR_SANDBOX_ROLES='generous'" in err and "documented" in err


def test_serve_takes_the_rule_set(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["sandbox", "serve", "--roles", "generous"])
    assert info.value.code == 2
    assert "documented" in capsys.readouterr().err


# ----------------------------------------------------------------------------- access.can_revert

def test_preflight_warns_when_only_the_definitions_let_you_revert(
        capsys: pytest.CaptureFixture[str], jumpcloud_file: Path, tmp_path: Path) -> None:
    report = tmp_path / "ticket.html"
    code, out, _ = run_cli(capsys, "--sandbox", "--as", "hybrid@contoso.com", "preflight",
                           "--metadata", str(jumpcloud_file), "--domain", "fabrikam.com",
                           "--json", "--report", str(report))
    assert code == 0  # a warning: accepted by id, like the others
    check = next(c for c in json.loads(out)["checks"] if c["id"] == "access.can_revert")
    assert check["status"] == "warn"
    assert check["title"] == "You can revert what you federate"
    assert "hybrid@contoso.com holds Hybrid Identity Administrator" in check["found"]
    assert "only the role definitions" in check["found"]
    # Which role to have at hand before going on.
    assert "External Identity Provider Administrator" in check["remedy"]
    assert "Before going on" in check["remedy"]
    assert 'PATCH /domains/fabrikam.com {"authenticationType": "Managed"}' in check["why"]
    html = report.read_text(encoding="utf-8")
    assert "You can revert what you federate" in html
    code, out, _ = run_cli(capsys, "--sandbox", "--as", "hybrid@contoso.com", "preflight",
                           "--metadata", str(jumpcloud_file), "--domain", "fabrikam.com")
    assert "access.can_revert" in out or "You can revert what you federate" in out


@pytest.mark.parametrize(("upn", "status"), [
    ("extidp@contoso.com", "pass"), ("ops@contoso.com", "pass"),
    ("domainadmin@contoso.com", "pass"), ("hybrid@contoso.com", "warn"),
    ("reader@contoso.com", "fail"), ("helpdesk@contoso.com", "fail"),
])
def test_can_revert_follows_the_documented_lists(capsys: pytest.CaptureFixture[str],
                                                 jumpcloud_file: Path, upn: str,
                                                 status: str) -> None:
    _, out, _ = run_cli(capsys, "--sandbox", "--as", upn, "preflight", "--metadata",
                        str(jumpcloud_file), "--domain", "fabrikam.com", "--json")
    check = next(c for c in json.loads(out)["checks"] if c["id"] == "access.can_revert")
    assert check["status"] == status, check["found"]


def test_hybrid_admin_federates_and_the_revert_is_refused_naming_the_role(
        capsys: pytest.CaptureFixture[str], jumpcloud_file: Path) -> None:
    as_hybrid = ("--sandbox", "--as", "hybrid@contoso.com")
    code, _, err = run_cli(capsys, *as_hybrid, "federate", "--metadata", str(jumpcloud_file),
                           "--domain", "fabrikam.com", "--confirm", "fabrikam.com",
                           "--accept-warnings", FABRIKAM_WARNINGS)
    assert code == 1 and "access.can_revert" in err  # the warning must be read and accepted
    code, out, err = run_cli(capsys, *as_hybrid, "federate", "--metadata", str(jumpcloud_file),
                             "--domain", "fabrikam.com", "--confirm", "fabrikam.com",
                             "--accept-warnings", FABRIKAM_WARNINGS + ",access.can_revert")
    assert code == 0, err
    code, out, err = run_cli(capsys, *as_hybrid, "revert", "--domain", "fabrikam.com",
                             "--confirm", "fabrikam.com")
    assert code == 1
    # Refused by Graph (the sandbox, documented lists): nothing changed, and the message names
    # the roles that can do it.
    assert "nothing was changed" in out
    assert "Domain Name Administrator, External Identity Provider Administrator, Security " \
           "Administrator or Global Administrator" in out
    assert "Hybrid Identity Administrator" in out  # the definitions' role, said to be contested
    code, out, _ = run_cli(capsys, "--sandbox", "status", "--domain", "fabrikam.com", "--json")
    assert json.loads(out)["graph"]["authenticationType"] == "Federated"
    # The admin holding the documented role comes back.
    code, out, err = run_cli(capsys, "--sandbox", "--as", "extidp@contoso.com", "revert",
                             "--domain", "fabrikam.com", "--confirm", "fabrikam.com")
    assert code == 0, out + err


def test_window_shows_the_revert_check(make_window: object, qtbot: object,
                                       idp_file: Path) -> None:
    from PySide6.QtWidgets import QLabel

    window = make_window(sandbox=True, user="hybrid@contoso.com")  # type: ignore[operator]
    window.metadata_view.open_source(str(idp_file))
    window.state.choose_domain("fabrikam.com")
    window.go_to(2)
    result = window.state.preflight
    assert result is not None
    view = window.preflight_view
    qtbot.waitUntil(lambda: "access.can_revert" in view.check_rows,  # type: ignore[attr-defined]
                    timeout=5000)
    row = view.check_rows["access.can_revert"]
    shown = "\n".join(label.text() for label in row.findChildren(QLabel))
    assert "You can revert what you federate" in shown and "Warning" in shown

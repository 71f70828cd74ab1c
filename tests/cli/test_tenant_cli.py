"""``federator signin/signout/whoami/domains`` and the global ``--sandbox`` / ``--as`` wiring, as a
user runs them: real commands on a fresh Federator home, the sandbox on the persisted state."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import cli.main as cli
from core.config import TenantConfig, load_tenant_config, save_tenant_config
from core.paths import resolve_paths
from core.tenant import SessionOptions
from session import open_session

ROOT = Path(__file__).resolve().parents[2]


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_sandbox_domains_for_a_new_user_lists_the_seed_tenant(federator_home: Path) -> None:
    """The done-criterion, as a user types it: a fresh home, a separate process."""
    env = {**os.environ, "FEDERATOR_HOME": str(federator_home)}
    proc = subprocess.run([sys.executable, "-m", "cli.main", "--sandbox", "domains"],
                          capture_output=True, text=True, cwd=ROOT, env=env, timeout=60)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("Contoso (sandbox)") and "[sandbox]" in lines[0]
    header = lines[2].split()
    assert header[:6] == ["DOMAIN", "VERIFIED", "DEFAULT", "INITIAL", "ROOT", "AUTHENTICATION"]
    rows = {line.split()[0]: line.split() for line in lines[4:]}
    assert rows["contoso.com"][1:6] == ["yes", "yes", "no", "yes", "Managed"]
    assert rows["contoso.onmicrosoft.com"][1:6] == ["yes", "no", "yes", "yes", "Managed"]
    assert rows["fabrikam.com"][1:6] == ["yes", "no", "no", "yes", "Managed"]
    assert rows["sales.fabrikam.com"][1:5] == ["yes", "no", "no", "no"]
    assert rows["example-unverified.com"][1] == "no"
    assert rows["tailspin.io"][5] == "Federated" and rows["tailspin.io"][6].startswith("http")
    assert len(rows["fabrikam.com"]) == 6  # no issuer for a managed domain
    assert "Traceback" not in proc.stderr


def test_domains_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--sandbox", "domains", "--json")
    assert code == 0
    data = json.loads(out)
    assert data["sandbox"] is True and data["tenant_name"] == "Contoso (sandbox)"
    by_name = {d["name"]: d for d in data["domains"]}
    assert set(by_name["contoso.com"]) == {"name", "verified", "default", "initial", "root",
                                           "authenticationType", "issuerUri", "cannotFederate"}
    assert by_name["contoso.com"]["default"] is True
    # Flagged with the reason, the same decision the window's domain picker shows.
    assert by_name["contoso.com"]["cannotFederate"].startswith("the default domain")
    assert by_name["fabrikam.com"]["cannotFederate"] is None
    assert by_name["contoso.onmicrosoft.com"]["initial"] is True
    assert by_name["tailspin.io"]["issuerUri"]
    assert by_name["fabrikam.com"]["issuerUri"] is None
    assert by_name["example-unverified.com"]["verified"] is False


def test_whoami_shows_the_default_sandbox_user_and_roles(
        capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--sandbox", "whoami")
    assert code == 0
    assert "ops@contoso.com" in out and "Hybrid Identity Administrator" in out
    assert "Contoso (sandbox)" in out and "[sandbox]" in out


def test_as_signs_in_as_another_seed_user(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--sandbox", "--as", "breakglass@contoso.onmicrosoft.com",
                       "whoami", "--json")
    assert code == 0
    info = json.loads(out)
    assert info["upn"] == "breakglass@contoso.onmicrosoft.com"
    assert "Global Administrator" in info["roles"] and info["sandbox"] is True


def test_as_an_unknown_user_is_unusable_input(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "--sandbox", "--as", "nobody@contoso.com", "whoami", "--json")
    assert code == 2
    assert err.startswith("error: ") and "nobody@contoso.com" in err
    assert json.loads(out)["error"]["code"] == "unknown_sandbox_user"


def test_no_configured_tenant_means_the_sandbox_with_a_note(
        capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "domains")
    assert code == 0 and "contoso.com" in out
    assert "sandbox" in err and "federator signin" in err


def test_state_persists_between_runs(capsys: pytest.CaptureFixture[str],
                                     federator_home: Path) -> None:
    """A change made in one session is seen by the next (a separate sandbox start)."""
    from core.graph import api

    with open_session(SessionOptions(resolve_paths(), sandbox=True)) as session:
        api.update_domain(session.client, "tailspin.io", {"authenticationType": "Managed"})
    code, out, _ = run(capsys, "--sandbox", "domains", "--json")
    assert code == 0
    by_name = {d["name"]: d for d in json.loads(out)["domains"]}
    assert by_name["tailspin.io"]["authenticationType"] == "Managed"
    assert by_name["tailspin.io"]["issuerUri"] is None


def test_faults_from_the_environment_reach_any_command(
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FEDERATOR_SANDBOX_FAULTS", "429:2@0.05")
    code, out, _ = run(capsys, "--sandbox", "domains", "--json")
    assert code == 0 and json.loads(out)["domains"]


def test_faults_beyond_the_retry_budget_fail_readably(
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FEDERATOR_SANDBOX_FAULTS", "500:5@0.01")
    code, out, err = run(capsys, "--sandbox", "domains", "--json")
    assert code == 1
    assert err.startswith("error: Microsoft Graph reported an internal error")
    assert json.loads(out)["error"]["code"] == "graph_server_error"
    assert "Traceback" not in err


def test_a_bad_fault_spec_is_unusable_input(capsys: pytest.CaptureFixture[str],
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FEDERATOR_SANDBOX_FAULTS", "explode:3")
    code, _, err = run(capsys, "--sandbox", "whoami")
    assert code == 2 and err.startswith("error: ")


def test_signin_without_a_client_id_explains_the_choices(
        capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "signin", "--tenant", "contoso.com", "--json")
    assert code == 2
    assert "14d82eec-204b-4c2f-b7e8-296a70dab67e" in err
    assert json.loads(out)["error"]["code"] == "no_client_id"


def test_signin_and_signout_in_sandbox_mode(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--sandbox", "signin", "--json")
    assert code == 0 and json.loads(out)["upn"] == "ops@contoso.com"
    code, out, _ = run(capsys, "--sandbox", "signout")
    assert code == 0 and "nothing to sign out" in out


def test_configured_tenant_without_sign_in_asks_to_sign_in(
        capsys: pytest.CaptureFixture[str], federator_home: Path) -> None:
    save_tenant_config(resolve_paths(), TenantConfig(client_id="11111111-2222-3333-4444-"
                                                     "555555555555", tenant="contoso.com"))
    code, out, err = run(capsys, "whoami", "--json")
    assert code == 1
    # Pasted, it signs in to the same home (FEDERATOR_HOME here, or --home).
    assert f"federator --home {federator_home} signin" in err
    assert json.loads(out)["error"]["code"] == "not_signed_in"
    # --as is a sandbox-only option
    code, _, err = run(capsys, "--as", "ops@contoso.com", "whoami")
    assert code == 2 and "--sandbox" in err


def test_config_keeps_other_settings(federator_home: Path) -> None:
    paths = resolve_paths()
    paths.config.mkdir(parents=True)
    paths.settings_file.write_text(json.dumps({"gui": {"theme": "dark"}}))
    save_tenant_config(paths, TenantConfig(client_id="abc", tenant="contoso.com", cloud="usgov"))
    stored = json.loads(paths.settings_file.read_text())
    assert stored["gui"] == {"theme": "dark"}
    loaded = load_tenant_config(paths)
    assert loaded.configured and loaded.cloud == "usgov" and loaded.tenant == "contoso.com"
    assert not load_tenant_config(resolve_paths(federator_home / "other")).configured


def test_open_session_gives_a_ready_client_account_and_sandbox(federator_home: Path) -> None:
    from core.graph import api

    options = SessionOptions(resolve_paths(), sandbox=True, sandbox_faults="429:1@0.01")
    with open_session(options) as session:
        assert session.is_sandbox and session.sandbox is not None
        assert session.account.upn == "ops@contoso.com"
        assert session.tenant_id == session.sandbox.tenant_id
        assert session.tenant_name == "Contoso (sandbox)"
        assert api.me(session.client)["userPrincipalName"] == "ops@contoso.com"
        sandbox: Any = session.sandbox
    assert session.sandbox is None  # stopped on close
    assert sandbox is not None


def test_real_tenant_path_signin_whoami_domains_signout(
        sandbox: Any, capsys: pytest.CaptureFixture[str]) -> None:
    """The configured-tenant path end to end (msal device code, persisted cache, silent reuse in
    the next command, sign-out), with a running sandbox standing in for Microsoft's endpoints."""
    code, out, err = run(capsys, "signin", "--client-id", "federator-e2e",  # tenant: default
                         "--graph-url", sandbox.graph_url, "--login-url", sandbox.login_url,
                         "--ca-bundle", str(sandbox.ca_bundle))
    assert code == 0, err
    assert "Signed in as ops@contoso.com" in out
    assert "/sandbox/device" in err  # the device-code instructions, on stderr
    config = load_tenant_config(resolve_paths())
    assert config.configured and config.custom_endpoints

    code, out, err = run(capsys, "whoami", "--json")  # a new command: silent, from the cache
    assert code == 0, err
    info = json.loads(out)
    assert info["upn"] == "ops@contoso.com" and info["sandbox"] is False
    assert info["display_name"] == "Ops Admin" and info["tenant_id"] == sandbox.tenant_id
    assert info["tenant_name"] == "Contoso (sandbox)"
    assert "note:" not in err
    code, out, _ = run(capsys, "domains", "--json")
    assert code == 0 and len(json.loads(out)["domains"]) == 6
    token_posts = [r for r in sandbox.request_log if r.path.endswith("/oauth2/v2.0/token")]
    assert len(token_posts) == 1  # only the device-code redemption; later runs reused the cache

    code, out, _ = run(capsys, "signout")
    assert code == 0 and "ops@contoso.com" in out
    code, out, err = run(capsys, "whoami", "--json")
    assert code == 1 and json.loads(out)["error"]["code"] == "not_signed_in"


def test_unconsented_least_privilege_scope_points_to_the_fallback(
        sandbox: Any, capsys: pytest.CaptureFixture[str]) -> None:
    sandbox.set_unconsented_scopes(["Domain-InternalFederation.ReadWrite.All"])
    endpoints = ["--client-id", "federator-e2e", "--tenant", sandbox.tenant_id,
                 "--graph-url", sandbox.graph_url, "--login-url", sandbox.login_url,
                 "--ca-bundle", str(sandbox.ca_bundle)]
    # Signing in asks for read permissions only, so it works; the first change asks for the
    # write permission, which this tenant cannot consent: refused before anything is sent.
    code, out, err = run(capsys, "signin", *endpoints)
    assert code == 0, err
    code, out, err = run(capsys, "revert", "--domain", "tailspin.io", "--confirm", "tailspin.io",
                         "--json")
    assert code == 1
    assert "--legacy-scopes" in err and "AADSTS65001" in err
    assert json.loads(out)["error"]["code"] == "scope_not_available"
    assert sandbox.tenant_state()["domains"][4]["id"] == "tailspin.io"
    assert sandbox.tenant_state()["domains"][4]["authenticationType"] == "Federated"

    code, out, err = run(capsys, "signin", *endpoints, "--legacy-scopes")
    assert code == 0, err
    assert load_tenant_config(resolve_paths()).legacy_scopes  # remembered
    code, out, err = run(capsys, "domains", "--json")
    assert code == 0, err


def test_signout_json_says_sandbox_when_no_tenant_is_configured(
        capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "signout", "--json")
    assert code == 0
    assert json.loads(out) == {"signed_out": [], "sandbox": True}
    code, out, _ = run(capsys, "signout")
    assert "sandbox tenant keeps no sign-in" in out


def test_not_signed_in_does_not_name_a_placeholder_tenant(
        capsys: pytest.CaptureFixture[str], federator_home: Path) -> None:
    save_tenant_config(resolve_paths(), TenantConfig(client_id="11111111-2222-3333-4444-"
                                                     "555555555555"))  # tenant: organizations
    code, _, err = run(capsys, "whoami")
    assert code == 1
    assert err == f"error: Not signed in. Run: federator --home {federator_home} signin\n"


def test_an_unknown_sandbox_user_is_named_once(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "--sandbox", "--as", "nobody@contoso.com", "whoami")
    assert code == 2
    assert err.startswith("error: The sandbox tenant has no user nobody@contoso.com. Use a seed "
                          "user, e.g. ops@contoso.com")


def test_graph_outage_says_what_to_do(capsys: pytest.CaptureFixture[str],
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FEDERATOR_SANDBOX_FAULTS", "500:5@0.01")
    code, out, err = run(capsys, "--sandbox", "domains", "--json")
    assert code == 1
    assert "Wait a few minutes and try again" in err
    assert "request-id" in json.loads(out)["error"]["remedy"]


def test_a_message_and_its_remedy_read_as_two_sentences(
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FEDERATOR_SANDBOX_FAULTS", "explode:3")
    code, _, err = run(capsys, "--sandbox", "whoami")
    assert code == 2
    assert "expire-token. Example of a valid SPEC" in err


def test_signin_to_endpoints_with_an_untrusted_certificate_says_so(
        sandbox: Any, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "signin", "--client-id", "federator-e2e",
                         "--graph-url", sandbox.graph_url, "--login-url", sandbox.login_url,
                         "--json")  # no --ca-bundle: the sandbox's CA is not trusted
    assert code == 1
    assert "TLS certificate is not trusted" in err and "--ca-bundle" in err
    assert "SSLError" not in err and "HTTPSConnectionPool" not in err
    assert json.loads(out)["error"]["code"] == "signin_unreachable"


def test_domains_lists_for_a_role_that_cannot_read_federation(
        capsys: pytest.CaptureFixture[str]) -> None:
    # helpdesk@contoso.com holds no admin role: it may list domains, not read federation.
    code, out, err = run(capsys, "--sandbox", "--as", "helpdesk@contoso.com", "domains")
    assert code == 0, err
    [row] = [ln for ln in out.splitlines() if ln.startswith("tailspin.io")]
    assert row.endswith("Federated       (your role cannot read it)")
    code, out, _ = run(capsys, "--sandbox", "--as", "helpdesk@contoso.com", "domains", "--json")
    by_name = {d["name"]: d for d in json.loads(out)["domains"]}
    assert by_name["tailspin.io"]["issuerUri"] is None
    assert by_name["tailspin.io"]["issuerUriUnreadable"] is True


def test_custom_endpoints_must_be_https_and_say_where_to_find_them(
        capsys: pytest.CaptureFixture[str], federator_home: Path) -> None:
    code, out, err = run(capsys, "signin", "--client-id", "demo", "--graph-url", "http://x",
                         "--login-url", "https://y", "--json")
    assert code == 2
    assert err == ("error: 'http://x' is not an https:// URL. Give the https:// addresses that "
                   f"'federator --home {federator_home} sandbox serve' prints (graph_url and "
                   "login_url).\n")
    assert json.loads(out)["error"]["code"] == "bad_endpoint"
    assert not load_tenant_config(resolve_paths()).configured  # nothing saved


def test_a_subdomain_of_a_federated_root_shows_what_it_follows(
        capsys: pytest.CaptureFixture[str], federator_home: Path) -> None:
    """sales.fabrikam.com follows fabrikam.com (reference §3.2): it is not half-federated."""
    from core.graph import api
    from core.idp_sample import jumpcloud_sample
    from core.metadata import read_metadata
    from core.settings import settings_from_metadata

    settings, _ = settings_from_metadata(read_metadata(jumpcloud_sample()[0]))
    with open_session(SessionOptions(resolve_paths(), sandbox=True)) as session:
        api.create_federation_configuration(session.client, "fabrikam.com",
                                            settings.to_graph_json())
    code, out, _ = run(capsys, "--sandbox", "domains", "--json")
    by_name = {d["name"]: d for d in json.loads(out)["domains"]}
    sales = by_name["sales.fabrikam.com"]
    assert code == 0 and sales["authenticationType"] == "Federated"
    assert sales["inheritsFrom"] == "fabrikam.com"
    assert sales["issuerUri"] == by_name["fabrikam.com"]["issuerUri"] == settings.issuer_uri
    code, out, _ = run(capsys, "--sandbox", "domains")
    line = next(ln for ln in out.splitlines() if ln.startswith("sales.fabrikam.com"))
    assert "(follows fabrikam.com)" in line and "no readable" not in line


def test_commands_suggested_after_home_carry_it_so_pasting_reaches_the_same_data(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """``--home DIR`` given on the command line (another home than FEDERATOR_HOME's): the
    sign-in the error asks for must sign in to that home, and pasted as printed it does."""
    import shlex

    home = tmp_path / "admin two"
    save_tenant_config(resolve_paths(str(home)), TenantConfig(
        client_id="11111111-2222-3333-4444-555555555555", tenant="contoso.com"))
    code, _, err = run(capsys, "--home", str(home), "whoami")
    assert code == 1
    suggested = err.split("Run: ", 1)[1].strip()
    assert suggested == f"federator --home '{home}' signin"
    assert shlex.split(suggested)[1:3] == ["--home", str(home)]
    # Nothing leaks into the next run of the same process without --home.
    code, _, err = run(capsys, "whoami")
    assert f"'{home}'" not in err

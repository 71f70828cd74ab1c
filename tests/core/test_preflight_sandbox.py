"""Preflight against the sandbox tenant: the seed scenarios an admin meets, end to end, and the
promise that the tenant part takes at most two Graph round trips (counted by the sandbox)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from cli.main import main
from core.graph.client import GraphClient
from core.idp_sample import jumpcloud_sample
from core.paths import Paths, resolve_paths
from core.preflight.model import PreflightResult
from core.preflight.run import MetadataInput, read_metadata_input, run_preflight
from sandbox import Sandbox
from sandbox.seed import TAILSPIN_ISSUER

JUMPCLOUD_ENTITY = "https://sso.jumpcloud.com/saml2/fabrikam"


@pytest.fixture
def jumpcloud_file(tmp_path: Path) -> Path:
    xml, _ = jumpcloud_sample("fabrikam", JUMPCLOUD_ENTITY, with_slo=True)
    path = tmp_path / "jumpcloud-fabrikam.xml"
    path.write_bytes(xml)
    return path


@pytest.fixture
def paths(federator_home: Path) -> Paths:
    return resolve_paths(federator_home)


def client_for(sandbox: Sandbox, upn: str = "ops@contoso.com",
               scopes: Sequence[str] | None = None) -> GraphClient:
    token = sandbox.issue_token(upn, scopes=scopes)

    def provide(*, force_refresh: bool = False) -> str:
        return token

    return GraphClient(sandbox.graph_url, provide, verify=str(sandbox.ca_bundle), trust_env=False)


def logged_since(sandbox: Sandbox, since: int, expected: int) -> int:
    """Requests the sandbox logged after the first ``since`` of its log (a count, not a time:
    on Windows' 15.6 ms clock the previous run's last request shares the timestamp of this run's
    start). A record is in the log before its answer is sent; poll anyway, with a deadline."""
    deadline = time.monotonic() + 5

    def count() -> int:
        return len(list(sandbox.request_log)[since:])

    while count() < expected and time.monotonic() < deadline:
        time.sleep(0.005)
    return count()


def change_tenant(sandbox: Sandbox, edit: Callable[[dict[str, Any]], None]) -> None:
    with sandbox.store.lock:
        sandbox.store.refresh()
        edit(sandbox.store.data)
        sandbox.store.save()


@pytest.fixture
def preflight(sandbox: Sandbox, jumpcloud_file: Path,
              paths: Paths) -> Iterator[Callable[..., PreflightResult]]:
    clients: list[GraphClient] = []

    def run(domain: str, *, upn: str = "ops@contoso.com", metadata: MetadataInput | None = None,
            scopes: Sequence[str] | None = None) -> PreflightResult:
        client = client_for(sandbox, upn, scopes)
        clients.append(client)
        since = len(sandbox.request_log)
        result = run_preflight(domain, metadata or read_metadata_input(jumpcloud_file),
                               client=client, paths=paths, sandbox=True)
        # The tenant part: at most 2 round trips, as the sandbox saw them.
        assert logged_since(sandbox, since, result.round_trips) == result.round_trips <= 2
        return result

    yield run
    for c in clients:
        c.close()


def statuses(result: PreflightResult) -> dict[str, str]:
    return {c.id: c.status for c in result.checks}


def test_fabrikam_happy_path(preflight: Callable[..., PreflightResult],
                             sandbox: Sandbox) -> None:
    result = preflight("fabrikam.com")
    got = statuses(result)
    assert result.ok, [c.to_json() for c in result.failed]
    assert result.round_trips == 2
    assert all(r.path.startswith("/v1.0/$batch") for r in sandbox.request_log[-2:])
    assert got["users.immutable_id"] == "warn"
    assert result.check("users.immutable_id").items == (
        "admin@fabrikam.com", "contractor@fabrikam.com", "new.hire@fabrikam.com")
    assert got["domain.subdomain"] == "warn"  # sales.fabrikam.com follows
    assert got["access.lockout"] == "pass"
    assert result.check("access.lockout").items == ("breakglass@contoso.onmicrosoft.com",)
    assert got["exchange.modern_auth"] == "manual"
    assert {got[i] for i in ("domain.exists", "domain.verified", "domain.not_initial",
                             "domain.not_default", "domain.current_state",
                             "tenant.issuer_unique", "tenant.dirsync", "access.permissions",
                             "access.role", "cert.valid", "local.journal")} == {"pass"}
    assert result.plan is not None and result.plan.requests[0].method == "POST"
    assert result.tenant_name == "Contoso (sandbox)"
    assert result.signed_in_as == "ops@contoso.com"


@pytest.mark.parametrize(("domain", "check_id"), [
    ("contoso.com", "domain.not_default"),
    ("contoso.onmicrosoft.com", "domain.not_initial"),
    ("example-unverified.com", "domain.verified"),
    ("sales.fabrikam.com", "domain.subdomain"),
    ("nowhere.example", "domain.exists"),
])
def test_domains_that_cannot_be_federated(preflight: Callable[..., PreflightResult], domain: str,
                                          check_id: str) -> None:
    result = preflight(domain)
    assert result.check(check_id).status == "fail"
    assert not result.ok


def test_default_domain_remedy_is_an_action(preflight: Callable[..., PreflightResult]) -> None:
    check = preflight("contoso.com").check("domain.not_default")
    assert check.action is not None
    assert check.action.command == ("federator make-default contoso.onmicrosoft.com "
                                    "--confirm contoso.onmicrosoft.com")


def test_already_federated_domain_shows_current_against_new(
        preflight: Callable[..., PreflightResult]) -> None:
    result = preflight("tailspin.io")
    check = result.check("domain.current_state")
    assert check.status == "warn"
    assert TAILSPIN_ISSUER in check.found
    assert any(i.startswith(f"issuerUri: {TAILSPIN_ISSUER} -> ") for i in check.items)
    assert result.plan is not None and result.plan.requests[0].method == "PATCH"
    assert result.check("users.immutable_id").status == "pass"


def test_reused_issuer_names_the_other_domain(preflight: Callable[..., PreflightResult],
                                              tmp_path: Path) -> None:
    xml, _ = jumpcloud_sample("fabrikam", TAILSPIN_ISSUER)
    (tmp_path / "reused.xml").write_bytes(xml)
    result = preflight("fabrikam.com", metadata=read_metadata_input(tmp_path / "reused.xml"))
    check = result.check("tenant.issuer_unique")
    assert check.status == "fail"
    assert check.items == ("tailspin.io",)


def test_signing_in_as_the_fabrikam_admin_is_a_lockout(
        preflight: Callable[..., PreflightResult]) -> None:
    check = preflight("fabrikam.com", upn="admin@fabrikam.com").check("access.lockout")
    assert check.status == "fail"
    assert "admin@fabrikam.com" in check.found


def test_no_break_glass_admin_outside_the_domain_fails(
        preflight: Callable[..., PreflightResult], sandbox: Sandbox) -> None:
    def disable(data: dict[str, Any]) -> None:
        for user in data["users"]:
            if user["userPrincipalName"] == "breakglass@contoso.onmicrosoft.com":
                user["accountEnabled"] = False

    change_tenant(sandbox, disable)
    check = preflight("fabrikam.com").check("access.lockout")
    assert check.status == "fail"
    assert "No enabled, cloud-only Global Administrator" in check.found


def test_directory_sync_warns(preflight: Callable[..., PreflightResult],
                              sandbox: Sandbox) -> None:
    change_tenant(sandbox, lambda d: d["organization"].update(onPremisesSyncEnabled=True))
    assert preflight("fabrikam.com").check("tenant.dirsync").status == "warn"


def test_reader_role_and_missing_scopes(preflight: Callable[..., PreflightResult]) -> None:
    assert preflight("fabrikam.com", upn="reader@contoso.com").check(
        "access.role").status == "fail"
    limited = preflight("fabrikam.com", scopes=["Domain.Read.All", "User.Read"])
    got = statuses(limited)
    assert got["access.permissions"] == "fail"
    # What Graph refused is reported as unknown (accepted by id before a change), not guessed.
    assert got["users.immutable_id"] == "unknown"
    assert got["access.lockout"] == "unknown"
    assert "Domain-InternalFederation.ReadWrite.All" in limited.check("access.permissions").found


# -- the command line ------------------------------------------------------------------------

def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_preflight_happy_path_writes_json_and_report(
        capsys: pytest.CaptureFixture[str], jumpcloud_file: Path, tmp_path: Path) -> None:
    report = tmp_path / "ticket" / "fabrikam.html"
    code, out, _ = run_cli(capsys, "--sandbox", "preflight", "--metadata", str(jumpcloud_file),
                           "--domain", "fabrikam.com", "--json", "--report", str(report))
    assert code == 0
    body = json.loads(out)
    assert body["round_trips"] <= 2
    assert {c["id"] for c in body["checks"]} >= {"access.lockout", "users.immutable_id"}
    assert body["plan"]["requests"][0]["method"] == "POST"
    html = report.read_text(encoding="utf-8")
    assert "fabrikam.com" in html and "ops@contoso.com" in html
    assert "Bearer" not in html and "eyJ" not in html  # no token in the report
    # A sandbox's loopback address means nothing in a change ticket: Graph's address is shown.
    assert "127.0.0.1" not in html
    assert "POST https://graph.microsoft.com/v1.0/domains/fabrikam.com/" in html


def test_cli_preflight_text_explains_in_plain_words(
        capsys: pytest.CaptureFixture[str], jumpcloud_file: Path) -> None:
    code, out, _ = run_cli(capsys, "--sandbox", "preflight", "--metadata", str(jumpcloud_file),
                           "--domain", "fabrikam.com")
    assert code == 0
    assert "[WARN]   Users have an ImmutableID  (users.immutable_id)" in out
    assert "new.hire@fabrikam.com" in out
    assert "Why it matters:" in out and "What to do:" in out
    assert "Result: READY" in out


def test_cli_preflight_exit_1_when_a_check_fails(
        capsys: pytest.CaptureFixture[str], jumpcloud_file: Path) -> None:
    code, out, _ = run_cli(capsys, "--sandbox", "--as", "admin@fabrikam.com", "preflight",
                           "--metadata", str(jumpcloud_file), "--domain", "fabrikam.com")
    assert code == 1
    assert "[FAIL]   No admin lock-out  (access.lockout)" in out
    assert "Result: NOT READY" in out


@pytest.mark.parametrize("argv", [
    ("--metadata", "{missing}", "--domain", "fabrikam.com"),
    ("--metadata", "{file}", "--domain", "not a domain"),
])
def test_cli_preflight_exit_2_on_unusable_input(capsys: pytest.CaptureFixture[str],
                                                jumpcloud_file: Path, tmp_path: Path,
                                                argv: tuple[str, ...]) -> None:
    args = [a.format(missing=tmp_path / "nope.xml", file=jumpcloud_file) for a in argv]
    code, out, err = run_cli(capsys, "--sandbox", "preflight", *args, "--json")
    assert code == 2
    assert err.startswith("error: ") and err.count("\n") == 1
    assert "code" in json.loads(out)["error"]


def test_cli_plan_shows_requests_and_powershell(capsys: pytest.CaptureFixture[str],
                                                jumpcloud_file: Path) -> None:
    code, out, _ = run_cli(capsys, "--sandbox", "plan", "--metadata", str(jumpcloud_file),
                           "--domain", "tailspin.io")
    assert code == 0
    assert "PATCH https://127.0.0.1:" in out
    assert "Update-MgDomainFederationConfiguration -DomainId 'tailspin.io'" in out
    code, out, _ = run_cli(capsys, "--sandbox", "plan", "--metadata", str(jumpcloud_file),
                           "--domain", "fabrikam.com", "--json")
    plan = json.loads(out)
    assert plan["action"] == "federate"
    assert plan["requests"][0]["body"]["displayName"] == "fabrikam.com"


def test_cli_plan_update_keeps_what_the_admin_did_not_choose(
        capsys: pytest.CaptureFixture[str], jumpcloud_file: Path) -> None:
    # tailspin.io is federated with promptLoginBehavior=nativeSupport and its own display name.
    code, out, _ = run_cli(capsys, "--sandbox", "plan", "--metadata", str(jumpcloud_file),
                           "--domain", "tailspin.io", "--json")
    assert code == 0
    plan = json.loads(out)
    changes = {c["name"]: c for c in plan["changes"]}
    assert changes["promptLoginBehavior"]["current"] == "nativeSupport"
    assert not changes["promptLoginBehavior"]["changed"]
    assert not changes["displayName"]["changed"]
    body = plan["requests"][0]["body"]
    assert "promptLoginBehavior" not in body and "displayName" not in body
    code, out, _ = run_cli(capsys, "--sandbox", "plan", "--metadata", str(jumpcloud_file),
                           "--domain", "tailspin.io", "--prompt-login-behavior", "disabled")
    assert "promptLoginBehavior                    nativeSupport -> disabled" in out


def test_cli_make_default_needs_confirmation_and_explains_a_refusal(
        capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(capsys, "--sandbox", "make-default", "contoso.onmicrosoft.com",
                           "--confirm", "contoso.com")
    assert code == 1 and "does not match" in err  # refused, like every change command
    # hybrid@contoso.com is a Hybrid Identity Administrator: allowed to federate, not to change
    # the default domain (reference §2.2). Federator says so without sending the doomed PATCH.
    code, out, err = run_cli(capsys, "--sandbox", "--as", "hybrid@contoso.com", "make-default",
                             "contoso.onmicrosoft.com", "--confirm", "contoso.onmicrosoft.com",
                             "--json")
    assert code == 1
    assert json.loads(out)["error"]["code"] == "make_default_needs_role"
    assert "Nothing was changed" in err and "Set as default" in err
    assert "Your role (Hybrid Identity Administrator)" in err
    assert "Domain Name Administrator" in err
    code, out, _ = run_cli(capsys, "--sandbox", "domains", "--json")
    default = [d["name"] for d in json.loads(out)["domains"] if d["default"]]
    assert default == ["contoso.com"]


def test_cli_make_default_works_for_a_global_administrator_in_the_sandbox(
        capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "--sandbox", "--as", "breakglass@contoso.onmicrosoft.com",
                           "make-default", "contoso.onmicrosoft.com",
                           "--confirm", "contoso.onmicrosoft.com")
    assert code == 0
    assert "contoso.onmicrosoft.com is now the tenant's default domain" in out
    assert "(the default now is contoso.com)" in out
    way_back = out.split("Way back:")[1].splitlines()[1]
    assert way_back.strip().endswith("make-default contoso.com --confirm contoso.com")
    code, out, _ = run_cli(capsys, "--sandbox", "history", "--json")
    assert [e["kind"] for e in json.loads(out)["entries"]] == ["make-default"]
    code, out, _ = run_cli(capsys, "--sandbox", "domains", "--json")
    default = [d["name"] for d in json.loads(out)["domains"] if d["default"]]
    assert default == ["contoso.onmicrosoft.com"]


def test_make_default_without_the_permission_sends_nothing(sandbox: Sandbox,
                                                           tmp_path: Path) -> None:
    from core.errors import RefusedError
    from core.operations import OperationContext, make_default

    client = client_for(sandbox, "breakglass@contoso.onmicrosoft.com")  # Federator's scopes
    ctx = OperationContext(client=client, tenant_id=sandbox.store.tenant_id,
                           who="breakglass@contoso.onmicrosoft.com", journal_dir=tmp_path)
    since = len(sandbox.request_log)
    with client, pytest.raises(RefusedError) as info:
        make_default(ctx, "contoso.onmicrosoft.com", confirm="contoso.onmicrosoft.com")
    assert info.value.code == "make_default_needs_permission"
    assert "federator signin --legacy-scopes" in (info.value.remedy or "")
    assert not [r for r in list(sandbox.request_log)[since:] if r.method != "GET"]


def test_real_jumpcloud_export_with_a_bare_entity_id_is_refused(
        preflight: Callable[..., PreflightResult], corpus_dir: Path) -> None:
    source = corpus_dir / "jumpcloud-convergent-pretty-slo.xml"
    result = preflight("fabrikam.com", metadata=read_metadata_input(source))
    check = result.check("metadata.issuer")
    assert check.status == "fail"
    assert "'JumpCloud' is not an absolute URI" in check.found
    # Said the same way as inspect's entity_id_not_uri error (no claim beyond the reference).
    assert "SAML requires one and Graph's issuerUri is a URI" in check.found
    assert result.check("metadata.endpoints").status == "pass"
    assert result.check("cert.valid").status == "pass"


def test_round_trips_count_retries_too(sandbox: Sandbox, jumpcloud_file: Path,
                                       paths: Paths) -> None:
    sandbox.set_faults("429:1@0.01")  # the first batch is throttled once, then retried
    since = len(sandbox.request_log)
    with client_for(sandbox) as client:
        result = run_preflight("fabrikam.com", read_metadata_input(jumpcloud_file),
                               client=client, paths=paths)
    assert result.round_trips == 3 == logged_since(sandbox, since, 3)
    assert result.check("users.immutable_id").status == "warn"


@pytest.mark.slow
def test_preflight_takes_about_two_latencies_on_a_slow_link(
        sandbox: Sandbox, jumpcloud_file: Path, paths: Paths) -> None:
    latency_s = 0.2
    sandbox.set_latency(latency_s * 1000)
    metadata = read_metadata_input(jumpcloud_file)
    with client_for(sandbox) as client:
        client.get("/organization")  # the TLS connection is open, as in a running app
        began = time.perf_counter()
        result = run_preflight("fabrikam.com", metadata, client=client, paths=paths)
        wall = time.perf_counter() - began
    assert result.round_trips == 2
    assert wall / latency_s <= 3, f"preflight took {wall:.2f} s"


def test_cli_preflight_that_could_not_read_the_domains_is_not_ready(
        capsys: pytest.CaptureFixture[str], jumpcloud_file: Path,
        monkeypatch: pytest.MonkeyPatch, quick_graph_retries: None) -> None:
    # Every try of the domains item of the batch (the federation item matches /domains too).
    monkeypatch.setenv("FEDERATOR_SANDBOX_FAULTS", "item:500:20/domains")
    code, out, _ = run_cli(capsys, "--sandbox", "preflight", "--metadata", str(jumpcloud_file),
                           "--domain", "fabrikam.com")
    assert code == 1
    assert "[FAIL]   Domain is in this tenant  (domain.exists)" in out
    assert "could not read the tenant's domains" in out
    assert "Result: NOT READY" in out


def test_cli_suggested_next_command_repeats_every_input(
        capsys: pytest.CaptureFixture[str], tmp_path: Path, federator_home: Path) -> None:
    from core.idp_sample import entities_aggregate

    docs = [jumpcloud_sample(f"app{i}", entity_id=f"https://idp{i}.fabrikam-sso.net")[0]
            for i in range(2)]
    source = tmp_path / "IdP metadata (2).xml"  # spaces and brackets, as Windows downloads are
    source.write_bytes(entities_aggregate(docs))
    code, out, _ = run_cli(capsys, "--sandbox", "preflight", "--metadata", str(source),
                           "--domain", "fabrikam.com", "--entity", "https://idp1.fabrikam-sso.net")
    assert code == 0
    assert (f"federator --home {federator_home} --sandbox plan --metadata '{source}' "
            "--domain fabrikam.com "
            "--entity https://idp1.fabrikam-sso.net") in out
    code, out, _ = run_cli(capsys, "--sandbox", "plan", "--metadata", str(source),
                           "--domain", "fabrikam.com", "--entity", "https://idp1.fabrikam-sso.net")
    assert code == 0
    assert (f"federator --home {federator_home} --sandbox preflight --metadata '{source}' "
            "--domain fabrikam.com "
            "--entity https://idp1.fabrikam-sso.net") in out


def test_cli_preflight_refuses_an_unwritable_report_path_first(
        capsys: pytest.CaptureFixture[str], jumpcloud_file: Path, tmp_path: Path) -> None:
    code, out, err = run_cli(capsys, "--sandbox", "preflight", "--metadata", str(jumpcloud_file),
                             "--domain", "fabrikam.com", "--report", str(tmp_path), "--json")
    assert code == 2
    assert json.loads(out)["error"]["code"] == "report_not_writable"
    assert err == (f"error: Cannot write the report to {tmp_path}. Choose a file name in a "
                   "folder you can write to.\n")  # and no preflight output before it

"""The federation health watch (issue 16): every finding and exit code, against metadata files
and the sandbox tenant, the demo walkthrough, the scheduler path and the remembered sources."""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import stat
from pathlib import Path
from typing import Any

import pytest

from cli.main import main
from core.certgen import Issued
from core.health.judge import RealmAnswer, judge_domain
from core.idp_sample import build_idp_metadata, jumpcloud_certificate
from core.metadata import read_metadata

NOW = dt.datetime(2030, 6, 1, tzinfo=dt.UTC)
ENTITY = "https://sso.jumpcloud.com/saml2/watch"
WARNINGS = "metadata.endpoints,domain.subdomain,users.immutable_id,users.blast_radius"


def _cert(org: str, *, start: dt.datetime, years: int = 5) -> Issued:
    return jumpcloud_certificate(org, now=start, years=years)


def _b64(issued: Issued) -> str:
    return base64.b64encode(issued.der).decode()


def _metadata(*certs: Issued, entity: str = ENTITY, sso: str = ENTITY) -> Any:
    xml = build_idp_metadata(entity, sso_post=sso, sso_redirect=sso,
                             signing_certs=[c.der for c in certs])
    return read_metadata(xml, now=NOW)


def _federation(current: Issued, staged: Issued | None = None, *, issuer: str = ENTITY,
                sso: str = ENTITY) -> dict[str, Any]:
    return {"issuerUri": issuer, "passiveSignInUri": sso, "activeSignInUri": sso,
            "signingCertificate": _b64(current),
            "nextSigningCertificate": _b64(staged) if staged else None}


@pytest.fixture(scope="module")
def certs() -> dict[str, Issued]:
    return {"old": _cert("Old", start=NOW - dt.timedelta(days=400)),
            "new": _cert("New", start=NOW - dt.timedelta(days=1)),
            "ten": _cert("Ten", start=NOW - dt.timedelta(days=355), years=1),
            "five": _cert("Five", start=NOW - dt.timedelta(days=360), years=1),
            "gone": _cert("Gone", start=NOW - dt.timedelta(days=400), years=1)}


def _judge(federation: dict[str, Any] | None, metadata: Any = None, **kw: Any) -> Any:
    return judge_domain("fabrikam.com", "Federated", federation, now=NOW, metadata=metadata,
                        source="/idp.xml" if metadata is not None else kw.pop("source", None),
                        **kw)


def _ids(health: Any) -> dict[str, str]:
    return {f.id: f.severity for f in health.findings}


# -- each finding, from metadata files -------------------------------------------------------------

def test_same_certificate_is_healthy(certs: dict[str, Issued]) -> None:
    health = _judge(_federation(certs["old"]), _metadata(certs["old"]),
                    realm=RealmAnswer("Federated"))
    assert health.state == "healthy" and health.findings == []
    assert health.signing_certificate.in_idp_metadata is True


def test_idp_publishes_a_new_certificate_stage_it_now(certs: dict[str, Issued]) -> None:
    health = _judge(_federation(certs["old"]), _metadata(certs["old"], certs["new"]))
    assert _ids(health) == {"stage_new_certificate": "attention"}
    assert "stage it now" in health.findings[0].message
    assert health.fix is not None and health.fix.fix == "stage-certificate"


def test_staged_and_idp_still_signs_with_the_old_one_is_healthy(certs: dict[str, Issued]) -> None:
    health = _judge(_federation(certs["old"], certs["new"]),
                    _metadata(certs["old"], certs["new"]))
    assert health.state == "healthy"
    assert health.next_signing_certificate is not None


def test_idp_lists_only_the_staged_one_promote_it(certs: dict[str, Issued]) -> None:
    health = _judge(_federation(certs["old"], certs["new"]), _metadata(certs["new"]))
    assert _ids(health) == {"promote_now": "attention"}
    assert health.fix.fix == "promote-certificate"


def test_promoted_while_the_idp_still_lists_its_old_certificate_is_healthy(
        certs: dict[str, Issued]) -> None:
    health = _judge(_federation(certs["new"]), _metadata(certs["old"], certs["new"]))
    assert health.state == "healthy" and health.findings == []


def test_a_report_read_back_from_json_is_the_same_verdict_and_fix(
        certs: dict[str, Issued]) -> None:
    # The window decides its fixes from the JSON report (kept on disk), with the same fix_for.
    from core.health.fix import fix_for
    from core.health.model import DomainHealth

    health = _judge(_federation(certs["old"], certs["new"]), _metadata(certs["new"]))
    health.source = "https://idp.example/metadata"
    again = DomainHealth.from_json(json.loads(json.dumps(health.to_json())))
    assert again.to_json() == health.to_json()
    assert fix_for(again) == fix_for(health)
    assert fix_for(again, promote=True) == fix_for(health, promote=True)


def test_idp_rotated_without_the_tenant_is_broken(certs: dict[str, Issued]) -> None:
    health = _judge(_federation(certs["old"]), _metadata(certs["new"]))
    assert _ids(health) == {"idp_rotated": "broken"}
    assert health.state == "broken" and health.fix.fix == "promote-certificate"


@pytest.mark.parametrize(("name", "state"), [("ten", "attention"), ("five", "broken"),
                                             ("gone", "broken")])
def test_expiry_within_30_days_is_attention_within_7_broken(
        certs: dict[str, Issued], name: str, state: str) -> None:
    health = _judge(_federation(certs[name]), _metadata(certs[name]))
    assert health.state == state
    finding = next(f for f in health.findings if f.id.startswith("certificate_"))
    assert finding.severity == state
    if name == "ten":
        assert "expires in 10 day(s)" in finding.message
        assert health.signing_certificate.days_left == 10
    if name == "gone":
        assert finding.id == "certificate_expired"


def test_changed_issuer_and_sign_in_url_are_attention(certs: dict[str, Issued]) -> None:
    md = _metadata(certs["old"], entity="https://idp.example/new", sso="https://idp.example/sso")
    health = _judge(_federation(certs["old"]), md)
    assert _ids(health) == {"issuer_changed": "attention", "sign_in_url_changed": "attention"}
    assert "AADSTS50107" in health.findings[0].message


def test_realm_discovery_disagreeing_with_graph_is_attention(certs: dict[str, Issued]) -> None:
    health = _judge(_federation(certs["old"]), _metadata(certs["old"]),
                    realm=RealmAnswer("Managed"))
    assert _ids(health) == {"realm_disagrees": "attention"}


def test_no_source_checks_the_tenant_side_and_says_how_to_add_one(
        certs: dict[str, Issued]) -> None:
    health = _judge(_federation(certs["ten"]))
    assert _ids(health) == {"no_source": "info", "certificate_expiring": "attention"}
    assert "--set-source" in health.findings[0].remedy


def test_unreadable_source_is_unknown_and_broken_outranks_it(certs: dict[str, Issued]) -> None:
    health = _judge(_federation(certs["old"]), metadata_error="no answer", source="https://x")
    assert health.state == "unknown"
    health = _judge(_federation(certs["gone"]), metadata_error="no answer", source="https://x")
    assert health.state == "broken"


# -- the command against the sandbox --------------------------------------------------------------

def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["--sandbox", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def _idp_file(federator_home: Path) -> Path:
    return federator_home / "data" / "sandbox" / "idp" / "metadata.xml"


def _journal_begins(federator_home: Path) -> list[dict[str, Any]]:
    begins = []
    for path in (federator_home / "data" / "journal").glob("tenant-*.jsonl"):
        begins += [r for r in map(json.loads, path.read_text().splitlines())
                   if r.get("type") == "begin"]
    return begins


def _journal_kinds(federator_home: Path) -> list[str]:
    kinds = []
    for path in (federator_home / "data" / "journal").glob("tenant-*.jsonl"):
        for line in path.read_text().splitlines():
            record = json.loads(line)
            if record.get("type") == "begin":
                kinds.append(record.get("kind"))
    return kinds


def test_demo_walkthrough_rotate_stage_fix_switch_promote(
        capsys: pytest.CaptureFixture[str], federator_home: Path) -> None:
    code, out, _ = run(capsys, "sandbox", "idp")
    assert code == 0 and str(_idp_file(federator_home)) in out
    code, out, err = run(capsys, "federate", "--metadata", str(_idp_file(federator_home)),
                         "--domain", "fabrikam.com", "--confirm", "fabrikam.com",
                         "--accept-warnings", WARNINGS)
    assert code == 0, out + err
    # The journal records where the metadata came from and its certificates.
    recorded = _journal_begins(federator_home)[-1]["metadata_source"]
    assert recorded["source"] == str(_idp_file(federator_home))
    assert len(recorded["certificates"][0]["sha1"]) == 40 and recorded["certificates"][0][
        "not_after"]
    code, out, _ = run(capsys, "watch")
    assert code == 0 and "Worst: healthy" in out
    # tailspin.io was federated outside Federator: watched, with how to add its source.
    assert "tailspin.io" in out and "--set-source" in out

    assert run(capsys, "sandbox", "idp-rotate", "--stage")[0] == 0
    code, out, _ = run(capsys, "watch", "--domain", "fabrikam.com")
    assert code == 1 and "stage it now" in out
    assert "--sandbox watch --domain fabrikam.com --fix" in out  # pasteable
    assert f"federator --home {os.environ['FEDERATOR_HOME']} --sandbox watch" in out

    # --fix is a change: refused without the typed confirmation (no terminal to ask on).
    code, out, err = run(capsys, "watch", "--domain", "fabrikam.com", "--fix")
    assert code == 2 and "--confirm fabrikam.com" in err
    assert "stage-certificate" not in _journal_kinds(federator_home)
    code, out, err = run(capsys, "watch", "--domain", "fabrikam.com", "--fix", "--confirm",
                         "fabrikam.com")
    assert code == 0, out + err
    assert "Result: succeeded" in out and "Way back:" in out
    assert _journal_kinds(federator_home)[-1] == "stage-certificate"
    assert len(_journal_begins(federator_home)[-1]["metadata_source"]["certificates"]) == 2
    # Healthy while the IdP publishes both: --fix has nothing to do unless the admin says the
    # IdP has switched (--promote); here it has not, so stop before promoting.
    code, out, _ = run(capsys, "watch", "--domain", "fabrikam.com", "--fix", "--confirm",
                       "fabrikam.com")
    assert code == 0 and "Nothing Federator can fix" in out
    code, out, _ = run(capsys, "watch", "--domain", "fabrikam.com", "--json")
    report = json.loads(out)
    assert code == 0 and report["worst"] == "healthy"
    assert report["domains"][0]["next_signing_certificate"]["in_idp_metadata"] is True

    assert run(capsys, "sandbox", "idp-rotate", "--switch")[0] == 0
    code, out, _ = run(capsys, "watch", "--domain", "fabrikam.com", "--json")
    assert code == 1
    assert [f["id"] for f in json.loads(out)["domains"][0]["findings"]] == ["promote_now"]
    code, out, err = run(capsys, "watch", "--domain", "fabrikam.com", "--fix", "--confirm",
                         "fabrikam.com")
    assert code == 0, out + err
    assert _journal_kinds(federator_home)[-1] == "promote-certificate"
    code, out, _ = run(capsys, "watch", "--all")
    assert code == 0 and "Worst: healthy" in out


def test_idp_rotated_behind_the_tenants_back_is_broken_exit_2(
        capsys: pytest.CaptureFixture[str], federator_home: Path) -> None:
    run(capsys, "sandbox", "idp")
    run(capsys, "federate", "--metadata", str(_idp_file(federator_home)), "--domain",
        "fabrikam.com", "--confirm", "fabrikam.com", "--accept-warnings", WARNINGS)
    run(capsys, "sandbox", "idp-rotate", "--switch")
    code, out, _ = run(capsys, "watch", "--json")
    report = json.loads(out)
    assert code == 2 and report["worst"] == "broken"
    fab = next(d for d in report["domains"] if d["domain"] == "fabrikam.com")
    assert fab["findings"][0]["id"] == "idp_rotated"


def test_ten_days_before_expiry_is_attention(capsys: pytest.CaptureFixture[str],
                                             federator_home: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    run(capsys, "sandbox", "idp")
    run(capsys, "federate", "--metadata", str(_idp_file(federator_home)), "--domain",
        "fabrikam.com", "--confirm", "fabrikam.com", "--accept-warnings", WARNINGS)
    code, out, _ = run(capsys, "watch", "--domain", "fabrikam.com", "--json")
    not_after = dt.datetime.fromisoformat(
        json.loads(out)["domains"][0]["signing_certificate"]["not_after"].replace("Z", "+00:00"))
    monkeypatch.setenv("FEDERATOR_SANDBOX_NOW", (not_after - dt.timedelta(days=10, hours=1))
                       .isoformat())
    code, out, _ = run(capsys, "watch", "--domain", "fabrikam.com")
    assert code == 1 and "expires in 10 day(s)" in out and "attention" in out


def test_set_source_to_the_sandbox_idp_url_over_https(
        capsys: pytest.CaptureFixture[str], federator_home: Path) -> None:
    # The sample IdP's URL (any port: the sandbox of this run serves it, trusting its own CA).
    url = "https://127.0.0.1:1/sandbox/idp/metadata"
    code, out, err = run(capsys, "watch", "--domain", "tailspin.io", "--set-source", url)
    assert code == 0, err
    assert "saml2/federator-demo" in out
    stored = federator_home / "data" / "health"
    files = list(stored.glob("sources-*.json"))
    assert len(files) == 1 and json.loads(files[0].read_text())["domains"]["tailspin.io"][
        "source"] == url
    if os.name == "posix":
        assert stat.S_IMODE(files[0].stat().st_mode) == 0o600
        assert stat.S_IMODE(stored.stat().st_mode) == 0o700
    code, out, _ = run(capsys, "watch", "--domain", "tailspin.io", "--json")
    # tailspin.io's tenant values are Okta's: the sample IdP differs in issuer and certificate.
    ids = {f["id"] for f in json.loads(out)["domains"][0]["findings"]}
    assert code == 2 and {"idp_rotated", "issuer_changed"} <= ids


def test_graph_unreachable_is_exit_3_with_a_sentence(
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
        quick_graph_retries: None) -> None:
    monkeypatch.setenv("FEDERATOR_SANDBOX_FAULTS", "503:1.0")
    code, out, err = run(capsys, "watch", "--json")
    assert code == 3 and "could not check" in err
    assert json.loads(out)["worst"] == "unknown"


def test_scheduled_run_with_an_expired_sign_in_exits_3_without_prompting(
        sandbox: Any, capsys: pytest.CaptureFixture[str], federator_home: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    code, _, err = main(["signin", "--client-id", "federator-watch", "--graph-url",
                         sandbox.graph_url, "--login-url", sandbox.login_url, "--ca-bundle",
                         str(sandbox.ca_bundle)]), *capsys.readouterr()
    assert code == 0, err
    # The sign-in expires: the cached access token is past its time and the refresh token is
    # gone (revoked, or past its lifetime).
    cache_file = next((federator_home / "cache").glob("msal_token_cache*"))
    try:
        cache = json.loads(cache_file.read_text())
    except (UnicodeDecodeError, ValueError):
        pytest.skip("the token cache is encrypted here (DPAPI, Keychain, keyring)")
    cache["RefreshToken"] = {}
    for item in cache.get("AccessToken", {}).values():
        item["expires_on"] = item["extended_expires_on"] = "1"
    cache_file.write_text(json.dumps(cache))

    class NoInput:
        def readline(self) -> str:
            raise AssertionError("a scheduled watch must never wait for input")

        def isatty(self) -> bool:
            return False
    monkeypatch.setattr("sys.stdin", NoInput())
    before = len(sandbox.request_log)
    code = main(["watch"])
    out, err = capsys.readouterr()
    assert code == 3
    assert "could not check" in err and " signin" in err
    assert f"federator --home {federator_home} signin" in err
    assert "/sandbox/device" not in err + out  # no device code offered
    assert not [r for r in sandbox.request_log[before:] if "devicecode" in r.path]


def test_watch_all_of_50_federated_domains_in_few_graph_requests(sandbox: Any) -> None:
    """One GET /domains, the configurations in $batch chunks of 20 sent side by side (Graph
    does not expand federationConfiguration), one fetch per distinct metadata source."""
    import importlib.util

    from core.graph.client import GraphClient
    from core.health.gather import run_watch

    spec = importlib.util.spec_from_file_location(
        "watch_bench", Path(__file__).resolve().parents[2] / "bench" / "watch_bench.py")
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    sources = bench.federated_tenant(sandbox, 50)
    client = GraphClient(sandbox.graph_url, lambda **_: sandbox.issue_token(),
                         verify=str(sandbox.ca_bundle), trust_env=False)
    mark = len(sandbox.request_log)
    now = dt.datetime.now(dt.UTC)
    report = run_watch(client, now=now, sources=sources,
                       load_metadata=lambda s: read_metadata(s, now=now,
                                                             ca_bundle=sandbox.ca_bundle))
    client.close()
    graph = [r for r in sandbox.request_log[mark:] if r.path.startswith("/v1.0")]
    fetched = [r for r in sandbox.request_log[mark:] if r.path.endswith("/idp/metadata")]
    assert [r.path for r in graph].count("/v1.0/domains") == 1
    assert len(graph) == 4 and len(fetched) == 1  # 25 domains share the one URL
    watched = [d for d in report.domains if d.domain in sources]
    assert len(watched) == 50 and all(d.state == "healthy" for d in watched)

    # A scheduled watch knows the last run's federated domains: their configurations ride
    # with the domain list, 3 $batch requests sent side by side.
    client = GraphClient(sandbox.graph_url, lambda **_: sandbox.issue_token(),
                         verify=str(sandbox.ca_bundle), trust_env=False)
    mark = len(sandbox.request_log)
    again = run_watch(client, now=now, sources=sources, expected=[*sources, "tailspin.io"],
                      load_metadata=lambda s: read_metadata(s, now=now,
                                                            ca_bundle=sandbox.ca_bundle))
    client.close()
    graph = [r for r in sandbox.request_log[mark:] if r.path.startswith("/v1.0")]
    assert [r.path for r in graph] == ["/v1.0/$batch"] * 3 and again.graph_requests == 3
    assert [d.to_json() for d in again.domains] == [d.to_json() for d in report.domains]


def test_a_source_that_cannot_be_read_is_exit_3_for_that_domain(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    copy = tmp_path / "okta.xml"
    from core.idp_sample import jumpcloud_sample

    copy.write_bytes(jumpcloud_sample("tailspin")[0])
    assert run(capsys, "watch", "--domain", "tailspin.io", "--set-source", str(copy))[0] == 0
    copy.unlink()  # the IdP's export was moved away
    code, out, _ = run(capsys, "watch", "--domain", "tailspin.io")
    assert code == 3 and "metadata_unreadable" in out and "--set-source" in out


def test_set_source_refuses_plain_http(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "watch", "--domain", "tailspin.io", "--set-source",
                       "http://idp.example/metadata")
    assert code == 2 and "https://" in err


def test_fix_promote_when_the_admin_says_the_idp_switched(
        capsys: pytest.CaptureFixture[str], federator_home: Path) -> None:
    run(capsys, "sandbox", "idp")
    base = ["--domain", "fabrikam.com", "--confirm", "fabrikam.com"]
    run(capsys, "federate", "--metadata", str(_idp_file(federator_home)), *base,
        "--accept-warnings", WARNINGS)
    run(capsys, "sandbox", "idp-rotate", "--stage")
    assert run(capsys, "watch", "--fix", *base)[0] == 0  # staged
    code, out, err = run(capsys, "watch", "--fix", "--promote", *base)
    assert code == 0, out + err
    assert _journal_kinds(federator_home)[-1] == "promote-certificate"
    # The IdP still lists its old certificate beside the new one: that is no reason to stage.
    code, out, _ = run(capsys, "watch", "--domain", "fabrikam.com", "--json")
    domain = json.loads(out)["domains"][0]
    assert code == 0 and domain["state"] == "healthy", domain["findings"]
    assert domain["next_signing_certificate"] is None
    assert "rotation 2" in domain["signing_certificate"]["subject"]

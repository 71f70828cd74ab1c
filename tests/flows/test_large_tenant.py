"""Large tenants and unread data: preflight and revert tell the truth at any size, and what Graph
did not give blocks a change until the admin accepts it.

The sandbox holds tens of thousands of deterministic users in fabrikam.com (``--users N`` /
``FEDERATOR_SANDBOX_USERS``) and answers Graph's advanced queries by Microsoft's documented
rules (https://learn.microsoft.com/graph/aad-advanced-queries).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from cli.main import main
from core.graph.client import GraphClient
from core.idp_sample import jumpcloud_sample
from core.operations.state import password_impact
from core.paths import resolve_paths
from core.preflight.run import read_metadata_input, run_preflight
from sandbox import Sandbox
from sandbox.bulk import NO_IMMUTABLE_EVERY

BULK = 30_000
# The seed's 40 fabrikam.com users (3 without ImmutableID) and 3 in sales.fabrikam.com.
SEED_USERS, SEED_MISSING = 43, 3
BULK_MISSING = BULK // NO_IMMUTABLE_EVERY  # one in 40 of the bulk users
# Bulk Global Administrators sit at 3/5 and near the end of the population: pages 18 and 30
# of a listing by 999, far beyond the 10 pages preflight used to read.
BULK_ADMINS = ["user018000@fabrikam.com", "user029993@fabrikam.com"]


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    with Sandbox(tmp_path_factory.mktemp("big") / "state", users=BULK) as sandbox:
        yield sandbox


def client_for(sandbox: Sandbox) -> GraphClient:
    token = sandbox.issue_token()

    def provide(*, force_refresh: bool = False) -> str:
        return token

    return GraphClient(sandbox.graph_url, provide, verify=str(sandbox.ca_bundle), trust_env=False)


def graph_session(sandbox: Sandbox) -> requests.Session:
    session = requests.Session()
    session.trust_env = False
    session.verify = str(sandbox.ca_bundle)
    session.headers["Authorization"] = f"Bearer {sandbox.issue_token()}"
    return session


def requests_since(sandbox: Sandbox, since: float, expected: int) -> int:
    """Graph requests logged after ``since``; the sandbox logs just after answering, so poll."""
    deadline = time.monotonic() + 5

    def count() -> int:
        return sum(1 for r in list(sandbox.request_log) if r.at >= since)

    while count() < expected and time.monotonic() < deadline:
        time.sleep(0.005)
    return count()


@pytest.fixture
def jumpcloud_file(tmp_path: Path) -> Path:
    xml, _ = jumpcloud_sample("fabrikam", "https://sso.jumpcloud.com/saml2/fabrikam",
                              with_slo=True)
    path = tmp_path / "jumpcloud-fabrikam.xml"
    path.write_bytes(xml)
    return path


# -- the sandbox answers advanced queries as Graph documents them ------------------------------

def test_sandbox_counts_only_with_the_advanced_query_parameters(big: Sandbox) -> None:
    session = graph_session(big)
    url = big.graph_url
    eventual = {"ConsistencyLevel": "eventual"}
    # /users/$count without the header: refused with Graph's documented error.
    bare = session.get(f"{url}/users/$count")
    assert bare.status_code == 400
    assert bare.json()["error"]["code"] == "Request_BadRequest"
    assert bare.json()["error"]["message"] == "$count is not currently supported."
    # With it: the number, as text.
    counted = session.get(f"{url}/users/$count", headers=eventual)
    assert counted.status_code == 200
    assert counted.headers["Content-Type"].startswith("text/plain")
    assert int(counted.text) > BULK
    # ?$count=true without the header is silently left out, as documented.
    quiet = session.get(f"{url}/users?$count=true&$top=1")
    assert quiet.status_code == 200 and "@odata.count" not in quiet.json()
    # A filter only advanced queries support is refused without the parameters.
    missing = ("endswith(userPrincipalName,'@fabrikam.com') and onPremisesImmutableId eq null")
    refused = session.get(f"{url}/users?$filter={missing}&$top=5")
    assert refused.status_code == 400
    assert refused.json()["error"]["code"] == "Request_UnsupportedQuery"
    answer = session.get(f"{url}/users?$filter={missing}&$count=true&$top=5"
                         "&$select=userPrincipalName", headers=eventual)
    assert answer.status_code == 200
    assert answer.json()["@odata.count"] == BULK_MISSING + 3  # the seed's 3 in fabrikam.com
    assert len(answer.json()["value"]) == 5
    only_count = session.get(f"{url}/users/$count?$filter={missing}", headers=eventual)
    assert int(only_count.text) == BULK_MISSING + 3
    # Properties the filter table does not allow on null are refused even in advanced queries.
    odd = session.get(f"{url}/users?$filter=accountEnabled eq null&$count=true", headers=eventual)
    assert odd.status_code == 400 and odd.json()["error"]["code"] == "Request_UnsupportedQuery"


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_sandbox_serve_takes_a_number_of_users(federator_home: Path) -> None:
    env = {**os.environ, "FEDERATOR_HOME": str(federator_home)}
    process = subprocess.Popen([sys.executable, "-m", "cli.main", "sandbox", "serve",
                                "--users", "20000"], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, env=env,
                               cwd=Path(__file__).resolve().parents[2])
    try:
        assert process.stdout is not None
        line = json.loads(process.stdout.readline())
        with requests.Session() as session:
            session.trust_env = False
            session.verify = line["ca_bundle"]
            session.headers["Authorization"] = f"Bearer {line['token']}"
            count = session.get(f"{line['graph_url']}/users/$count?$filter=endswith("
                                "userPrincipalName,'@fabrikam.com')",
                                headers={"ConsistencyLevel": "eventual"})
            assert count.status_code == 200 and count.text == str(20_000 + 40)
    finally:
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=15)
    assert process.returncode == 0, err


def test_the_state_holds_the_number_of_bulk_users_not_the_users(tmp_path: Path) -> None:
    from sandbox.state import TenantStore

    store = TenantStore(tmp_path / "s", bulk_users=1200)
    assert store.bulk.count == 1200
    assert store.user_by_upn("user001199@fabrikam.com") is not None
    assert store.user_by_upn("user001200@fabrikam.com") is None
    # The state file holds the number, not 1,200 users.
    assert store.file.stat().st_size < 200_000


# -- preflight tells the truth -----------------------------------------------------------------

def test_preflight_counts_every_user_and_finds_admins_beyond_the_first_pages(
        big: Sandbox, jumpcloud_file: Path, tmp_path: Path) -> None:
    since = time.time()
    with client_for(big) as client:
        result = run_preflight("fabrikam.com", read_metadata_input(jumpcloud_file),
                               client=client, paths=resolve_paths(tmp_path / "home"),
                               sandbox=True)
    assert result.round_trips == 2 == requests_since(big, since, 2)
    facts = result.facts
    assert facts is not None
    assert facts["users_in_scope"] == BULK + SEED_USERS
    assert facts["users_without_immutable_id"] == BULK_MISSING + SEED_MISSING
    assert facts["global_admins_in_scope"] == sorted(["admin@fabrikam.com", *BULK_ADMINS])
    assert facts["truncated"] is False
    immutable = result.check("users.immutable_id")
    assert immutable.status == "warn"
    assert immutable.found.startswith(f"{BULK_MISSING + SEED_MISSING} of {BULK + SEED_USERS} "
                                      "users in fabrikam.com and sales.fabrikam.com")
    assert 0 < len(immutable.items) < BULK_MISSING  # a sample by name, the count is whole
    radius = result.check("users.blast_radius")
    assert radius.status == "warn"
    assert set(BULK_ADMINS) <= set(radius.items)


def test_preflight_json_carries_the_facts(capsys: pytest.CaptureFixture[str],
                                          jumpcloud_file: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FEDERATOR_SANDBOX_USERS", "5000")
    code = main(["--sandbox", "preflight", "--metadata", str(jumpcloud_file),
                 "--domain", "fabrikam.com", "--json"])
    body = json.loads(capsys.readouterr().out)
    assert code == 0
    facts = body["facts"]
    enabled = facts.pop("users_enabled")
    assert facts == {
        "users_in_scope": 5000 + SEED_USERS,
        "users_without_immutable_id": 5000 // NO_IMMUTABLE_EVERY + SEED_MISSING,
        "global_admins_in_scope": ["admin@fabrikam.com", "user003000@fabrikam.com",
                                   "user004993@fabrikam.com"],
        "truncated": False, "unread": []}
    assert 0 < 5000 + SEED_USERS - enabled < 5000 // 40


def test_revert_counts_a_large_domain_in_two_round_trips(big: Sandbox) -> None:
    since = time.time()
    with client_for(big) as client:
        impact = password_impact(client, "fabrikam.com")
    assert impact.users == BULK + SEED_USERS
    assert impact.domains_counted == ("fabrikam.com", "sales.fabrikam.com")
    assert requests_since(big, since, 2) == 2


# -- what could not be read blocks the change until accepted ------------------------------------

def test_a_users_read_that_fails_twice_blocks_federate_until_accepted(
        capsys: pytest.CaptureFixture[str], jumpcloud_file: Path, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch, quick_graph_retries: None) -> None:
    # Every /users item of the preflight's batches fails (the first try and the retry).
    monkeypatch.setenv("FEDERATOR_SANDBOX_FAULTS", "item:500:1.0/users")
    report = tmp_path / "preflight.html"
    code = main(["--sandbox", "preflight", "--metadata", str(jumpcloud_file),
                 "--domain", "fabrikam.com", "--report", str(report)])
    out = capsys.readouterr().out
    assert code == 0  # nothing failed: READY, but with checks to accept
    html = report.read_text(encoding="utf-8")
    assert '<span class="badge unknown">' in html and "<b>Not read:</b>" in html
    assert "[UNREAD] Users have an ImmutableID  (users.immutable_id)" in out
    # It names what could not be read, and why.
    assert ("Federator could not read the domain's users: users, users without an ImmutableID "
            "and enabled users of fabrikam.com and sales.fabrikam.com: Microsoft Graph reported "
            "an internal error.") in " ".join(out.split())
    assert "accepted like warnings, with --accept-warnings" in " ".join(out.split())

    code = main(["--sandbox", "federate", "--metadata", str(jumpcloud_file),
                 "--domain", "fabrikam.com", "--confirm", "fabrikam.com",
                 "--accept-warnings", "domain.subdomain"])
    captured = capsys.readouterr()
    assert code == 1
    said = captured.out + captured.err
    assert "users.immutable_id" in said and "users.blast_radius" in said
    assert "could not be checked" in said
    assert "Nothing was changed" in said

    monkeypatch.delenv("FEDERATOR_SANDBOX_FAULTS")
    code = main(["--sandbox", "status", "--domain", "fabrikam.com", "--json"])
    assert json.loads(capsys.readouterr().out)["graph"]["authenticationType"] == "Managed"

    # Accepted by id, like the warning: the change goes ahead.
    monkeypatch.setenv("FEDERATOR_SANDBOX_FAULTS", "item:500:1.0/users")
    code = main(["--sandbox", "federate", "--metadata", str(jumpcloud_file),
                 "--domain", "fabrikam.com", "--confirm", "fabrikam.com", "--accept-warnings",
                 "domain.subdomain,access.lockout,users.immutable_id,users.blast_radius"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    monkeypatch.delenv("FEDERATOR_SANDBOX_FAULTS")
    code = main(["--sandbox", "status", "--domain", "fabrikam.com", "--json"])
    assert json.loads(capsys.readouterr().out)["graph"]["authenticationType"] == "Federated"


# -- when Graph will not filter on a missing ImmutableID -----------------------------------------
# Microsoft's filter table does not list null for onPremisesImmutableId; the sandbox can refuse
# it (FEDERATOR_SANDBOX_IMMUTABLE_NULL=refuse) and preflight then reads the users page by page,
# a bounded number of pages: whole for a small domain, unknown (never a guess) for a large one.

def test_a_small_domain_is_read_whole_when_graph_will_not_count_missing_ids(
        tmp_path: Path, jumpcloud_file: Path) -> None:
    with Sandbox(tmp_path / "s", immutable_null=False) as sandbox, \
            client_for(sandbox) as client:
        result = run_preflight("fabrikam.com", read_metadata_input(jumpcloud_file),
                               client=client, paths=resolve_paths(tmp_path / "home"))
    assert result.round_trips == 2
    assert result.facts is not None
    assert result.facts["users_without_immutable_id"] == SEED_MISSING
    assert result.facts["truncated"] is False
    check = result.check("users.immutable_id")
    assert check.status == "warn"
    assert check.items == ("admin@fabrikam.com", "contractor@fabrikam.com",
                           "new.hire@fabrikam.com")


def test_a_large_domain_is_unknown_when_graph_will_not_count_missing_ids(
        tmp_path: Path, jumpcloud_file: Path) -> None:
    with Sandbox(tmp_path / "s", immutable_null=False, users=BULK) as sandbox, \
            client_for(sandbox) as client:
        result = run_preflight("fabrikam.com", read_metadata_input(jumpcloud_file),
                               client=client, paths=resolve_paths(tmp_path / "home"))
    assert result.round_trips <= 4
    assert result.facts is not None
    assert result.facts["users_in_scope"] == BULK + SEED_USERS  # still counted by Graph
    assert result.facts["users_without_immutable_id"] is None
    assert result.facts["truncated"] is True
    check = result.check("users.immutable_id")
    assert check.status == "unknown"
    assert "Graph would not count them" in check.found

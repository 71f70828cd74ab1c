"""The Sandbox object itself: lifecycle, persistence, reset, request log, control endpoints."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import requests

from sandbox import RequestRecord, Sandbox
from tests.plugins.sandbox import sandbox_session
from tests.sandbox.test_sandbox_rules import federation_body


def federate_fabrikam(sandbox: Sandbox) -> None:
    with sandbox_session(sandbox, sandbox.issue_token()) as session:
        response = session.post(f"{sandbox.graph_url}/domains/fabrikam.com/"
                                "federationConfiguration", json=federation_body())
        assert response.status_code == 201


def auth_type(sandbox: Sandbox, name: str) -> str:
    with sandbox_session(sandbox, sandbox.issue_token()) as session:
        return str(session.get(f"{sandbox.graph_url}/domains/{name}").json()[
            "authenticationType"])


def test_addresses(sandbox: Sandbox) -> None:
    assert sandbox.url.startswith("https://127.0.0.1:")
    assert sandbox.graph_url == f"{sandbox.url}/v1.0"
    assert sandbox.login_url == sandbox.url
    assert sandbox.ca_bundle.is_file()
    assert len(sandbox.tenant_id) == 36


def test_state_persists_across_instances(tmp_path: Path) -> None:
    folder = tmp_path / "shared"
    with Sandbox(folder) as first:
        tenant = first.tenant_id
        federate_fabrikam(first)
    with Sandbox(folder) as second:
        assert second.tenant_id == tenant
        assert auth_type(second, "fabrikam.com") == "Federated"
    state = json.loads((folder / "tenant.json").read_text())
    assert state["federation"]["fabrikam.com"]["issuerUri"] == "https://idp.example/entity"


def test_two_running_instances_see_each_others_changes(tmp_path: Path) -> None:
    folder = tmp_path / "shared"
    with Sandbox(folder) as first, Sandbox(folder) as second:
        assert auth_type(second, "fabrikam.com") == "Managed"
        federate_fabrikam(first)
        assert auth_type(second, "fabrikam.com") == "Federated"
        # tokens from one are good at the other (same tenant, same signing secret)
        with sandbox_session(second, first.issue_token()) as session:
            assert session.get(f"{second.graph_url}/me").status_code == 200


def test_reset_restores_the_seed(sandbox: Sandbox) -> None:
    federate_fabrikam(sandbox)
    sandbox.set_unconsented_scopes(["Domain.Read.All"])
    sandbox.reset()
    assert auth_type(sandbox, "fabrikam.com") == "Managed"
    assert "unconsentedScopes" not in sandbox.tenant_state()
    assert auth_type(sandbox, "tailspin.io") == "Federated"


def test_seed_is_deterministic(tmp_path: Path) -> None:
    with Sandbox(tmp_path / "a", seed=3) as a, Sandbox(tmp_path / "b", seed=3) as b, \
            Sandbox(tmp_path / "c", seed=4) as c:
        assert a.tenant_id == b.tenant_id != c.tenant_id
        assert a.tenant_state()["users"] == b.tenant_state()["users"]


def test_corrupt_state_file_falls_back_to_the_seed(tmp_path: Path) -> None:
    folder = tmp_path / "state"
    folder.mkdir()
    (folder / "tenant.json").write_text("{ half written")
    with Sandbox(folder) as sandbox:
        assert auth_type(sandbox, "tailspin.io") == "Federated"
    assert (folder / "tenant.json.unreadable").read_text() == "{ half written"


def test_request_log(sandbox: Sandbox, graph_session: requests.Session) -> None:
    graph_session.get(f"{sandbox.graph_url}/users", params={"$top": "3"})
    graph_session.get(f"{sandbox.graph_url}/domains/none.example")
    first, second = sandbox.request_log
    assert isinstance(first, RequestRecord)
    assert (first.method, first.path, first.status) == ("GET", "/v1.0/users?%24top=3", 200)
    assert (second.path, second.status) == ("/v1.0/domains/none.example", 404)
    assert first.at <= second.at
    assert first.duration_ms >= 0


def test_stop_leaves_no_threads_and_removes_the_ca(tmp_path: Path) -> None:
    before = set(threading.enumerate())
    sandbox = Sandbox().start()
    session = sandbox_session(sandbox, sandbox.issue_token())
    session.get(f"{sandbox.graph_url}/domains")  # leaves an idle keep-alive connection
    ca, state = sandbox.ca_bundle, sandbox.state_dir
    sandbox.stop()
    session.close()
    assert set(threading.enumerate()) <= before
    assert not ca.exists()
    assert state is not None and not state.exists()  # the temporary state folder is gone
    sandbox.stop()  # a second stop is harmless


def test_fixed_port(tmp_path: Path) -> None:
    with Sandbox(tmp_path / "s") as probe:
        port = int(probe.url.rsplit(":", 1)[1])
    with Sandbox(tmp_path / "s", port=port) as fixed:
        assert fixed.url == f"https://127.0.0.1:{port}"


def test_control_endpoints(sandbox: Sandbox) -> None:
    with sandbox_session(sandbox, control=True) as session:
        token = session.post(f"{sandbox.url}/sandbox/token",
                             json={"upn": "reader@contoso.com", "scopes": ["User.Read"]}).json()
        me = session.get(f"{sandbox.graph_url}/me",
                         headers={"Authorization": f"Bearer {token['access_token']}"})
        assert me.json()["userPrincipalName"] == "reader@contoso.com"
        assert session.post(f"{sandbox.url}/sandbox/faults",
                            json={"spec": "503:1"}).json() == {"spec": "503:1"}
        assert sandbox.faults == "503:1"
        assert session.post(f"{sandbox.url}/sandbox/faults",
                            json={"spec": "nonsense"}).status_code == 400
        assert session.post(f"{sandbox.url}/sandbox/latency", json={"ms": 5}).status_code == 200
        assert sandbox.latency_ms == 5
        assert session.post(f"{sandbox.url}/sandbox/reset").json() == {"reset": True}
        log = session.get(f"{sandbox.url}/sandbox/requests").json()["requests"]
        assert log[0]["path"] == "/sandbox/token"


def test_control_endpoints_need_the_sandboxs_own_key(sandbox: Sandbox) -> None:
    """Another local user (or a web page posting to 127.0.0.1) cannot mint tokens, inject faults
    or reset the tenant: without the key 401, with a wrong one 403, and nothing happens."""
    import stat
    import sys

    sandbox.set_faults("latency:1")
    assert sandbox.control_key_file.is_file()
    if sys.platform != "win32":
        assert stat.S_IMODE(sandbox.control_key_file.stat().st_mode) == 0o600
    before = sandbox.tenant_state()
    with sandbox_session(sandbox) as session:
        for name, body in (("token", {"upn": "breakglass@contoso.onmicrosoft.com"}),
                           ("faults", {"spec": "503:1"}), ("latency", {"ms": 5000}),
                           ("reset", None)):
            anonymous = session.post(f"{sandbox.url}/sandbox/{name}", json=body)
            assert anonymous.status_code == 401, name
            assert "access_token" not in anonymous.text
            wrong = session.post(f"{sandbox.url}/sandbox/{name}", json=body,
                                 headers={"X-Federator-Sandbox-Key": "guess"})
            assert wrong.status_code == 403, name
        assert session.get(f"{sandbox.url}/sandbox/requests").status_code == 401
        # the person-facing sign-in page stays open, as Entra's is
        assert session.get(f"{sandbox.url}/sandbox/device").status_code == 200
    assert sandbox.faults == "latency:1" and sandbox.latency_ms == 0
    assert sandbox.tenant_state() == before
    key_file = sandbox.control_key_file
    sandbox.stop()
    assert not key_file.exists()

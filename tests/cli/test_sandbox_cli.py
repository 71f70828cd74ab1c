"""``federator sandbox serve`` and ``federator sandbox reset`` as a user runs them."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from cli.main import main
from core.paths import resolve_paths
from sandbox import Sandbox
from tests.plugins.sandbox import sandbox_session
from tests.sandbox.test_sandbox_api import auth_type, federate_fabrikam

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")


def start_serve(home: Path, *extra: str) -> subprocess.Popen[str]:
    env = {**os.environ, "FEDERATOR_HOME": str(home)}
    return subprocess.Popen([sys.executable, "-m", "cli.main", "sandbox", "serve", *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                            cwd=Path(__file__).resolve().parents[2])


@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM])
def test_serve_prints_one_line_and_answers_with_its_token(
        federator_home: Path, stop_signal: signal.Signals) -> None:
    process = start_serve(federator_home, "--faults", "429:1@0.01", "--seed", "0")
    try:
        assert process.stdout is not None
        line = json.loads(process.stdout.readline())
        assert {"graph_url", "login_url", "ca_bundle", "token"} <= set(line)
        ca = Path(line["ca_bundle"])
        assert ca.is_file()
        assert ca.parent == resolve_paths(federator_home).sandbox_dir
        with requests.Session() as session:  # what curl --cacert CA -H ... does
            session.trust_env = False
            session.verify = str(ca)
            session.headers["Authorization"] = f"Bearer {line['token']}"
            assert session.get(f"{line['graph_url']}/domains").status_code == 429
            domains = session.get(f"{line['graph_url']}/domains")
            assert domains.status_code == 200
            assert "contoso.com" in {d["id"] for d in domains.json()["value"]}
    finally:
        process.send_signal(stop_signal)
        out, err = process.communicate(timeout=15)
    assert process.returncode == 0, err
    assert out == ""  # nothing after the one line
    assert "Traceback" not in err
    assert not ca.exists()


def test_serve_refuses_a_bad_fault_spec(federator_home: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sandbox", "serve", "--faults", "429:zero"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "429:zero" in err


def test_serve_refuses_a_busy_port(federator_home: Path,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    with Sandbox() as busy:
        port = busy.url.rsplit(":", 1)[1]
        assert main(["sandbox", "serve", "--port", port]) == 1
    assert "cannot listen" in capsys.readouterr().err


def test_reset_command(federator_home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = resolve_paths(federator_home).sandbox_dir
    with Sandbox(folder) as sandbox:
        federate_fabrikam(sandbox)
    assert main(["sandbox", "reset"]) == 0
    assert "reset" in capsys.readouterr().out
    with Sandbox(folder) as sandbox:
        assert auth_type(sandbox, "fabrikam.com") == "Managed"
        with sandbox_session(sandbox, sandbox.issue_token()) as session:
            assert session.get(f"{sandbox.graph_url}/domains").status_code == 200


def test_serve_names_its_control_key_and_can_decline_device_codes(federator_home: Path) -> None:
    process = start_serve(federator_home, "--decline-device-codes",
                          "--consented", "Domain.Read.All,User.Read")
    try:
        assert process.stdout is not None
        line = json.loads(process.stdout.readline())
        key = Path(line["control_key_file"]).read_text().strip()
        with requests.Session() as session:
            session.trust_env = False
            session.verify = line["ca_bundle"]
            reset = f"{line['login_url']}/sandbox/reset"
            assert session.post(reset).status_code == 401
            assert session.post(reset, headers={"X-Federator-Sandbox-Key": key}).ok
            base = f"{line['login_url']}/{line['tenant_id']}/oauth2/v2.0"
            flow = session.post(f"{base}/devicecode",
                                data={"client_id": "demo", "scope": "Domain.Read.All"}).json()
            answer = session.post(f"{base}/token", data={
                "grant_type": "urn:ietf:params:oauth:grant-type:device_code",
                "client_id": "demo", "device_code": flow["device_code"]})
            assert answer.status_code == 400
            assert answer.json()["error"] == "authorization_declined"
    finally:
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=15)
    assert process.returncode == 0, err

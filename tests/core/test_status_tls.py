"""`status` on the real-tenant path asks realm discovery with the trust its Graph calls use."""

from __future__ import annotations

import json
from typing import Any

import pytest

import cli.main as cli


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_status_asks_realm_discovery_with_the_configured_ca_bundle(
        sandbox: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    # An environment CA bundle that does not hold the sandbox's CA: the configured one must win
    # for realm discovery as it does for Graph.
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/nonexistent/ca.pem")
    code, _, err = run(capsys, "signin", "--client-id", "federator-e2e",
                       "--graph-url", sandbox.graph_url, "--login-url", sandbox.login_url,
                       "--ca-bundle", str(sandbox.ca_bundle))
    assert code == 0, err
    code, out, err = run(capsys, "status", "--domain", "tailspin.io", "--json")
    assert code == 0, err
    status = json.loads(out)
    assert status["realm"]["error"] is None
    assert status["realm"]["NameSpaceType"] == "Federated" and status["agree"] is True
    assert any("getuserrealm.srf" in r.path for r in sandbox.request_log)

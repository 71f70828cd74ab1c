"""No token ever reaches a log record or an error message: a whole run (device-code sign-in,
Graph calls under faults, forced refreshes, sign-out, CLI commands with -v) captured at DEBUG, then
searched for the actual token strings."""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path
from typing import Any

import pytest

import cli.main as cli
from core.auth import DeviceCodeFlow, open_token_cache
from core.graph import api
from core.graph.client import GraphClient, RetryPolicy
from core.graph.errors import GraphError
from session import sandbox_authenticator


def test_a_whole_run_at_debug_logs_no_token(sandbox: Any, tmp_path: Path,
                                             caplog: pytest.LogCaptureFixture,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    caplog.set_level(logging.DEBUG)
    secrets: set[str] = set()
    messages: list[str] = []

    cache_file = tmp_path / "cache.bin"
    cache, _ = open_token_cache(cache_file)
    auth = sandbox_authenticator(sandbox, token_cache=cache)
    flows: list[DeviceCodeFlow] = []
    auth.sign_in_device_code(flows.append)
    secrets.add(flows[0]._flow["device_code"])

    def remember(**kw: Any) -> str:
        token = auth.acquire_token(**kw)
        secrets.add(token)
        return token

    client = GraphClient(sandbox.graph_url, remember, verify=str(sandbox.ca_bundle),
                         trust_env=False, policy=RetryPolicy(backoff_base_s=0.01),
                         sleep=lambda s: None)
    sandbox.set_faults("429:1@0.01,503:1,drop:1,expire-token")
    api.list_domains(client)
    api.users_in_domain(client, "fabrikam.com", page_size=15)
    api.batch(client, [api.get_request("/me"), api.get_request("/organization")])
    sandbox.set_faults("drop-after:1")
    for call in (lambda: api.update_domain(client, "fabrikam.com", {"isDefault": "no"}),
                 lambda: api.get_domain(client, "nowhere.example")):
        try:
            call()
        except GraphError as exc:
            messages += [exc.message, str(exc), repr(exc), json.dumps(exc.to_json())]
    remember(force_refresh=True)
    secrets.update(e["secret"] for e in json.loads(cache.serialize())["RefreshToken"].values())
    auth.sign_out()

    # The CLI, verbose, against the sandbox (its own in-process sandbox on the home's state).
    assert cli.main(["--sandbox", "-v", "whoami"]) == 0
    assert cli.main(["--sandbox", "-v", "domains", "--json"]) == 0
    out = capsys.readouterr()

    assert len(secrets) >= 4
    assert "Authorization" not in caplog.text and "Bearer" not in caplog.text
    # no JWT at all, including the tokens the CLI's own sandbox sessions used
    assert not re.search(r"eyJ[\w-]+\.eyJ[\w-]+\.", caplog.text)
    haystacks = [caplog.text, *messages, out.out, out.err]
    for log_file in (tmp_path / "federator-home" / "logs").glob("*.log"):
        haystacks.append(log_file.read_text())
    for secret in secrets:
        for text in haystacks:
            assert secret not in text
    # sanity: the run did log the requests it made
    assert "GET /domains -> 200" in caplog.text

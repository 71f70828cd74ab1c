"""Shared sandbox fixtures: a running sandbox tenant per test and requests sessions that trust it.

``sandbox``: a ``sandbox.Sandbox`` started on an ephemeral port with its state in the test's
tmp folder, stopped after the test. ``graph_session``: a ``requests.Session`` that trusts only the
sandbox CA, ignores the environment (``REQUESTS_CA_BUNDLE`` is set on our machines, and requests
lets it override ``verify``) and sends a bearer token for ops@contoso.com. ``sandbox_session()``
builds such a session for any token. ``_quick_write_proofs`` (autouse): proving a lost write's
outcome waits fractions of a second, not Graph's real bounds (a test wanting others sets
``OperationContext.writes``).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from core.operations.writes import WritePolicy
from sandbox import Sandbox


def sandbox_session(sandbox: Sandbox, token: str | None = None, *,
                    control: bool = False) -> requests.Session:
    """A session that trusts exactly the sandbox's CA; with ``token``, sends it as a bearer;
    with ``control``, sends the sandbox's control key (read from its 0600 file, as a script
    driving ``federator sandbox serve`` would)."""
    from sandbox.server import CONTROL_KEY_HEADER

    session = requests.Session()
    session.verify = str(sandbox.ca_bundle)
    session.trust_env = False
    if token:
        session.headers["Authorization"] = f"Bearer {token}"
    if control:
        session.headers[CONTROL_KEY_HEADER] = sandbox.control_key_file.read_text().strip()
    return session


QUICK_WRITES = WritePolicy(late_write_s=0.3, answered_s=0.05, max_wait_s=2.0,
                           read_delays_s=(0.05, 0.1), attempts=3, retry_delays_s=(0.01,))


@pytest.fixture(autouse=True)
def _quick_write_proofs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("core.operations.writes.DEFAULT_POLICY", QUICK_WRITES)


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[Sandbox]:
    """A fresh seed tenant on 127.0.0.1 (state under tmp_path/sandbox-state)."""
    with Sandbox(tmp_path / "sandbox-state") as running:
        yield running


@pytest.fixture
def graph_session(sandbox: Sandbox) -> Iterator[requests.Session]:
    """A session signed in as ops@contoso.com (Federator's default scopes), trusting the sandbox."""
    session = sandbox_session(sandbox, sandbox.issue_token())
    yield session
    session.close()


def complete_authorization(sandbox: Sandbox, auth_uri: str) -> None:
    """Play the browser for msal's interactive sign-in against the sandbox: open ``auth_uri``
    (the sandbox's authorize endpoint) and POST the form it returns to msal's loopback listener.

    Use as ``app.acquire_token_interactive(scopes, auth_uri_callback=lambda uri:
    threading.Thread(target=complete_authorization, args=(sandbox, uri)).start())``.
    """
    import html
    import re

    with sandbox_session(sandbox) as session:
        page = session.get(auth_uri, timeout=10)
    action = re.search(r'action="([^"]+)"', page.text)
    if action is None:  # response_mode=query: requests already followed the redirect
        return
    fields = {html.unescape(k): html.unescape(v)
              for k, v in re.findall(r'name="([^"]+)" value="([^"]*)"', page.text)}
    with requests.Session() as plain:
        plain.trust_env = False
        plain.post(html.unescape(action.group(1)), data=fields, timeout=10)


@pytest.fixture
def quick_graph_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """The Graph client's backoff between retries of a transient failure is 10 ms, for tests
    that make every try of a read fail (the retry bounds still count attempts as in production)."""
    monkeypatch.setattr("core.graph.client.GraphClient.backoff", lambda self, attempt: 0.01)

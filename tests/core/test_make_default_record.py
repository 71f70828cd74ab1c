"""make-default records the PATCH's answer, not a later failed read."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest


def test_make_default_records_the_patch_answer_not_a_later_failed_read(
        sandbox: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The PATCH lands; every read after it fails. The journal must say the PATCH was answered
    (not that Graph refused it), and the entry stays open for reconciliation."""
    from core.graph.client import GraphClient, RetryPolicy
    from core.journal import Journal
    from core.operations import UNKNOWN, OperationContext, make_default
    from session import SandboxTokens

    sb = sandbox
    monkeypatch.setattr("core.operations.state.READ_RETRY_DELAYS_S", (0.0, 0.0))
    client = GraphClient(sb.graph_url, SandboxTokens(sb, "domainadmin@contoso.com",
                                                     extra_scopes=("Domain.ReadWrite.All",)),
                         verify=str(sb.ca_bundle), trust_env=False,
                         policy=RetryPolicy(backoff_base_s=0.01, backoff_max_s=0.05,
                                            max_total_s=10))

    def after_patch(response: Any, *args: Any, **kwargs: Any) -> None:
        if response.request.method == "PATCH":
            sb.set_faults("500:100")  # every request after the PATCH fails

    client.session.hooks["response"].append(after_patch)
    ctx = OperationContext(client, sb.tenant_id, "domainadmin@contoso.com", tmp_path / "journal")
    try:
        result = make_default(ctx, "contoso.onmicrosoft.com", confirm="contoso.onmicrosoft.com")
    finally:
        sb.set_faults(None)
        client.close()
    assert result.outcome == UNKNOWN
    [entry] = Journal(tmp_path / "journal", sb.tenant_id).entries()
    [response] = entry.responses
    assert response["method"] == "PATCH" and response["error"] is None
    assert response["status"] == 204 and response["certain"] is True
    assert entry.in_progress  # the next run re-reads the domain and closes it


# -- settings: a folder that cannot be written is a sentence, not a raw OSError ------------------

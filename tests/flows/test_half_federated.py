"""A half-federated domain that Graph will not put back (issue 10 §5): the sandbox's
``stuck-half-federated`` fault, and what Federator then says: the options that remain, in order,
never a command that would fail the same way."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cli.main import main
from core.paths import resolve_paths
from sandbox import Sandbox
from sandbox.faults import FaultPlan
from tests.plugins.sandbox import sandbox_session

OPTIONS_START = ("1. Retry later", "2. Delete the federation configuration",
                 "3. Open a Microsoft support case", "4. Last resort")


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def half_federate(sandbox: Sandbox, domain: str = "fabrikam.com") -> None:
    """What a create without a signing certificate does (reference §1.5): 500, yet the domain
    turns Federated with no readable configuration."""
    session = sandbox_session(sandbox, sandbox.issue_token())
    response = session.post(f"{sandbox.graph_url}/domains/{domain}/federationConfiguration",
                            json={"issuerUri": "https://idp.example/e",
                                  "passiveSignInUri": "https://idp.example/sso",
                                  "preferredAuthenticationProtocol": "saml"})
    assert response.status_code == 500


@pytest.fixture
def half_federated_home(federator_home: Path) -> Path:
    paths = resolve_paths(federator_home)
    paths.ensure()
    with Sandbox(paths.sandbox_dir) as sandbox:
        half_federate(sandbox)
    return federator_home


def test_fault_spec_takes_the_switch() -> None:
    assert FaultPlan("stuck-half-federated").stuck_half_federated
    assert not FaultPlan("429:1").stuck_half_federated
    assert not FaultPlan("stuck-half-federated").empty


@pytest.mark.parametrize(("faults", "status", "after"), [
    (None, 204, "Managed"), ("stuck-half-federated", 500, "Federated")])
def test_sandbox_recovery_of_a_half_federated_domain(tmp_path: Path, faults: str | None,
                                                     status: int, after: str) -> None:
    with Sandbox(tmp_path / "state", faults=faults) as sandbox:
        half_federate(sandbox)
        session = sandbox_session(sandbox, sandbox.issue_token())
        response = session.patch(f"{sandbox.graph_url}/domains/fabrikam.com",
                                 json={"authenticationType": "Managed"})
        assert response.status_code == status
        domain = session.get(f"{sandbox.graph_url}/domains/fabrikam.com").json()
        assert domain["authenticationType"] == after
        # A federated domain with a readable configuration still reverts.
        assert session.patch(f"{sandbox.graph_url}/domains/tailspin.io",
                             json={"authenticationType": "Managed"}).status_code == 204


def assert_remaining_options(text: str, *, window: bool = False) -> None:
    positions = [text.index(start) for start in OPTIONS_START]
    assert positions == sorted(positions)  # in order
    if window:  # the window names its own indicator, never a command line (issue 14)
        assert "sign-in propagation indicator" in text and "federator status" not in text
    else:
        assert "status --domain fabrikam.com`" in text  # a read; global options may come first
    assert "Remove-MgDomainFederationConfiguration -DomainId fabrikam.com" in text
    assert "Contact support" in text and "Remove domain" in text


def test_stuck_revert_gives_the_options_that_remain(
        capsys: pytest.CaptureFixture[str], half_federated_home: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FEDERATOR_SANDBOX_FAULTS", "stuck-half-federated")
    code, out, err = run_cli(capsys, "--sandbox", "revert", "--domain", "fabrikam.com",
                             "--confirm", "fabrikam.com")
    assert code == 1, err
    assert "Result: failed" in out
    assert "nothing was changed" in out
    assert "Microsoft has not confirmed" in out
    assert "What remains:" in out
    assert_remaining_options(out)
    # Never a command that would fail: no way back to the half-federated snapshot (restore
    # refuses it), no "run the revert again".
    assert "Way back:" not in out
    assert "restore" not in out
    assert "the way back is" not in out
    code, out, _ = run_cli(capsys, "--sandbox", "revert", "--domain", "fabrikam.com",
                           "--confirm", "fabrikam.com", "--json")
    body = json.loads(out)
    assert body["way_back"] == "" and body["outcome"] == "failed"
    assert [n[:len(s)] for n, s in zip(body["remaining_options"], OPTIONS_START,
                                       strict=True)] == list(OPTIONS_START)
    # The journal keeps them: history says what remains, not a way back.
    code, out, _ = run_cli(capsys, "--sandbox", "history", "--domain", "fabrikam.com")
    assert "what remains, in order:" in out
    assert_remaining_options(out)
    assert "way back:" not in out


def test_stuck_restore_gives_the_same_options(
        capsys: pytest.CaptureFixture[str], federator_home: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    # tailspin.io is reverted (its snapshot before keeps the federation), then a failed create
    # leaves it half-federated; restoring the snapshot must first clear that, and cannot.
    code, out, err = run_cli(capsys, "--sandbox", "revert", "--domain", "tailspin.io",
                             "--confirm", "tailspin.io", "--json")
    assert code == 0, err
    federated = json.loads(out)["snapshot_before"]
    with Sandbox(resolve_paths(federator_home).sandbox_dir) as sandbox:
        half_federate(sandbox, "tailspin.io")
    monkeypatch.setenv("FEDERATOR_SANDBOX_FAULTS", "stuck-half-federated")
    # The half-federated state was made outside this journal: restoring over it needs --force.
    code, out, err = run_cli(capsys, "--sandbox", "restore", federated, "--confirm",
                             "tailspin.io", "--force")
    assert code == 1, err
    assert "nothing was changed" in out
    assert "Way back:" not in out and "the way back is" not in out
    text = out.replace("tailspin.io", "fabrikam.com")
    assert_remaining_options(text)


def test_without_the_switch_the_revert_clears_it(
        capsys: pytest.CaptureFixture[str], half_federated_home: Path) -> None:
    code, out, err = run_cli(capsys, "--sandbox", "revert", "--domain", "fabrikam.com",
                             "--confirm", "fabrikam.com", "--json")
    assert code == 0, out + err
    body = json.loads(out)
    assert body["state_after"]["domain"]["authenticationType"] == "Managed"
    assert body["way_back"] == ""  # not the half-federated snapshot, which restore refuses


def test_history_page_shows_what_remains(make_window: object, qtbot: object,
                                         capsys: pytest.CaptureFixture[str],
                                         half_federated_home: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    from PySide6.QtWidgets import QLabel

    monkeypatch.setenv("FEDERATOR_SANDBOX_FAULTS", "stuck-half-federated")
    code, _, _ = run_cli(capsys, "--sandbox", "revert", "--domain", "fabrikam.com",
                         "--confirm", "fabrikam.com")
    assert code == 1
    window = make_window(sandbox=True)  # type: ignore[operator]
    window.go_to(4)
    history = window.history_view
    history.table.selectRow(0)
    assert not history.entry_card.isHidden()
    shown = "\n".join(w.text() for w in history.entry_card.findChildren(QLabel))
    assert "What remains, in order:" in shown
    assert_remaining_options(shown, window=True)


def test_window_result_gives_what_remains(make_window: object, qtbot: object,
                                          half_federated_home: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    from PySide6.QtWidgets import QLabel

    monkeypatch.setenv("FEDERATOR_SANDBOX_FAULTS", "stuck-half-federated")
    window = make_window(sandbox=True)  # type: ignore[operator]
    window.state.choose_domain("fabrikam.com")
    window.go_to(4)
    window.state.revert("fabrikam.com", confirm="fabrikam.com")
    # The result shows on History, where a revert is started.
    card = window.history_view.operation_card  # type: ignore[attr-defined]
    qtbot.waitUntil(card.isVisible, timeout=5000)
    shown = "\n".join(w.text() for w in card.findChildren(QLabel))
    assert_remaining_options(shown, window=True)
    assert "Way back" not in shown and "run the preflight again and apply" not in shown


def test_a_change_that_leaves_it_half_federated_says_the_way_back_is_unconfirmed() -> None:
    # Federator never sends a create the sandbox half-federates (it always sends a certificate),
    # so this outcome of a failed create is shown with the state it reads.
    from core.journal import Snapshot
    from core.operations.actions import _half_federated_advice
    from core.operations.model import OperationResult
    from core.operations.state import HALF_FEDERATED_NOTE

    half = Snapshot("x-after", "t", "fabrikam.com", "2026-01-01T00:00:00Z",
                    {"id": "fabrikam.com", "authenticationType": "Federated"}, None,
                    readable=False, note=HALF_FEDERATED_NOTE)
    result = OperationResult("federate", "fabrikam.com", "t", "failed", "Federating failed.",
                             changed=True, way_back="federator restore x-before --confirm "
                                                    "fabrikam.com")
    assert _half_federated_advice(result, half) == []
    assert "has not confirmed" in result.summary and result.way_back  # tried first, honestly
    stuck = OperationResult("revert", "fabrikam.com", "t", "failed", "Reverting failed.",
                            changed=False)
    assert [o[:len(s)] for o, s in zip(_half_federated_advice(stuck, half), OPTIONS_START,
                                       strict=True)] == list(OPTIONS_START)
    assert stuck.way_back == ""

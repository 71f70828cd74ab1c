"""Test hooks are for the test suite: ``FEDERATOR_TEST_KILL_AFTER`` never fires in the frozen
app or against a Microsoft cloud, and ``FEDERATOR_SELFTEST_OUT`` copies output only in a
``--self-test`` run (the frozen app's smoke test keeps working)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "packaging"))

import federator_entry  # noqa: E402

REVERT = ["revert", "--domain", "tailspin.io", "--confirm", "tailspin.io"]


def _python(code: str, home: Path, **env: str) -> subprocess.CompletedProcess[str]:
    full = dict(os.environ, FEDERATOR_HOME=str(home), **env)
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=full, capture_output=True,
                          text=True, timeout=120)


def test_the_kill_hook_is_inert_in_the_frozen_app(tmp_path: Path) -> None:
    """The packaged app (``sys.frozen``) with the variable set completes the change."""
    code = ("import sys; sys.frozen = True\n"
            "from cli.main import main\n"
            f"sys.exit(main(['--sandbox', *{REVERT!r}]))")
    result = _python(code, tmp_path / "home", FEDERATOR_TEST_KILL_AFTER="snapshot")
    assert result.returncode == 0, result.stderr
    assert "Verified" in result.stdout or "verified" in result.stdout.lower()
    history = _python("import sys; from cli.main import main; "
                      "sys.exit(main(['history', '--json']))", tmp_path / "home")
    [entry] = json.loads(history.stdout)["entries"]
    assert entry["outcome"] == "succeeded"


def test_the_kill_hook_is_inert_against_a_microsoft_cloud(tmp_path: Path) -> None:
    """A process that opened a Microsoft Graph never kills itself at a hook point."""
    code = ("from core import testhooks\n"
            "from core.operations.runner import test_kill_point\n"
            "testhooks.note_graph_target('https://127.0.0.1:9/v1.0')\n"
            "testhooks.note_graph_target('https://graph.microsoft.com/v1.0')\n"
            "test_kill_point('snapshot')\n"
            "print('still alive')")
    result = _python(code, tmp_path / "home", FEDERATOR_TEST_KILL_AFTER="snapshot")
    assert result.returncode == 0, result.stderr
    assert "still alive" in result.stdout


def test_the_kill_hook_still_serves_the_test_suite_against_the_sandbox(tmp_path: Path) -> None:
    code = ("import sys\nfrom cli.main import main\n"
            f"sys.exit(main(['--sandbox', *{REVERT!r}]))")
    result = _python(code, tmp_path / "home", FEDERATOR_TEST_KILL_AFTER="snapshot")
    assert result.returncode != 0  # killed right after the snapshot, as the tests rely on


def test_the_self_test_report_variable_acts_only_in_a_self_test_run(
        tmp_path: Path, monkeypatch: object) -> None:
    import pytest

    assert isinstance(monkeypatch, pytest.MonkeyPatch)
    report = str(tmp_path / "report.txt")
    monkeypatch.setenv("FEDERATOR_SELFTEST_OUT", report)
    assert federator_entry.selftest_report_target(["--self-test"]) == report
    assert federator_entry.selftest_report_target([]) is None
    assert federator_entry.selftest_report_target(["--sandbox"]) is None
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    assert federator_entry.selftest_report_target(["--self-test"]) == report
    assert federator_entry.selftest_report_target([]) is None

"""The change commands as a new user runs them against the sandbox, and a CLI killed mid-change."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from core.cli import main
from core.idp_sample import jumpcloud_sample

ROOT = Path(__file__).resolve().parents[1]
WARNINGS = "metadata.endpoints,domain.subdomain,users.immutable_id,users.blast_radius"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["--sandbox", *argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def metadata_files(tmp_path: Path) -> tuple[Path, Path]:
    first, _ = jumpcloud_sample("fabrikam-m365")
    second, _ = jumpcloud_sample("fabrikam-m365", org="Federator Demo (renewed)")
    a, b = tmp_path / "jumpcloud.xml", tmp_path / "jumpcloud-renewed.xml"
    a.write_bytes(first)
    b.write_bytes(second)
    return a, b


def test_new_user_walkthrough_federate_status_roll_revert_restore_history(
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
        metadata_files: tuple[Path, Path]) -> None:
    monkeypatch.setenv("FEDERATOR_SANDBOX_PROPAGATION_S", "0.5")
    first, renewed = metadata_files
    base = ["--domain", "fabrikam.com", "--confirm", "fabrikam.com"]

    code, out, err = run(capsys, "federate", "--metadata", str(first), *base)
    assert code == 1 and "users.immutable_id" in err and "Nothing was changed" in err

    code, out, _ = run(capsys, "federate", "--metadata", str(first), *base,
                       "--accept-warnings", WARNINGS)
    assert code == 0, out
    assert "Result: succeeded" in out and "Verified: fabrikam.com is Federated" in out
    assert re.search(r"Way back:\n  federator restore \w+-before --confirm fabrikam.com", out)

    code, out, _ = run(capsys, "status", "--domain", "fabrikam.com", "--wait", "--timeout", "20")
    assert code == 0
    assert "NameSpaceType Federated" in out and "sign-in already reflects Graph" in out

    code, out, _ = run(capsys, "update-certificate", "--metadata", str(renewed), *base)
    assert code == 0 and "staged as nextSigningCertificate" in out
    assert "Federator Demo (renewed)" in out.split("Certificates Entra accepts now:")[1]
    code, out, _ = run(capsys, "update-certificate", "--metadata", str(renewed), *base,
                       "--promote")
    assert code == 0 and "now the signing certificate" in out

    code, out, _ = run(capsys, "revert", "--domain", "fabrikam.com", "--confirm", "fabrikam.com")
    assert code == 0 and "43 user(s)" in out and "Temporary Access Pass" in out
    revert_before = re.search(r"snapshot before (\w+-before)", out)
    assert revert_before

    code, out, _ = run(capsys, "restore", revert_before.group(1), "--confirm", "fabrikam.com")
    assert code == 0 and "is back as snapshot" in out

    code, out, _ = run(capsys, "history", "--domain", "fabrikam.com")
    assert code == 0
    kinds = re.findall(r"^\S+Z  \w+  (\S+)", out, flags=re.M)
    assert kinds == ["federate", "stage-certificate", "promote-certificate", "revert", "restore"]
    assert out.count("way back: federator restore") == 5

    code, out, _ = run(capsys, "history", "--json")
    data = json.loads(out)
    assert [e["outcome"] for e in data["entries"]] == ["succeeded"] * 5
    assert all(e["request_ids"] for e in data["entries"])


def test_exit_codes_for_refused_and_unusable_input(capsys: pytest.CaptureFixture[str],
                                                   tmp_path: Path) -> None:
    code, _, err = run(capsys, "revert", "--domain", "tailspin.io", "--confirm", "tailspin.com")
    assert code == 1 and "does not match" in err
    code, out, err = run(capsys, "restore", "nosuch-before", "--confirm", "tailspin.io", "--json")
    assert code == 2 and json.loads(out)["error"]["code"] == "bad_input"
    bad = tmp_path / "bad.xml"
    bad.write_text("<not-metadata/>")
    code, _, err = run(capsys, "federate", "--metadata", str(bad), "--domain", "fabrikam.com",
                       "--confirm", "fabrikam.com")
    assert code == 2 and err.startswith("error: ")
    with pytest.raises(SystemExit) as info:
        main(["--sandbox", "revert", "--domain", "tailspin.io"])  # no --confirm
    assert info.value.code == 2


def test_a_failed_change_exits_1_with_the_state_left(capsys: pytest.CaptureFixture[str],
                                                     metadata_files: tuple[Path, Path]) -> None:
    code, out, _ = run(capsys, "revert", "--domain", "sales.fabrikam.com",
                       "--confirm", "sales.fabrikam.com", "--json")
    assert code == 0 and json.loads(out)["outcome"] == "no-change"  # managed: nothing to do
    code, out, _ = run(capsys, "federate", "--metadata", str(metadata_files[0]), "--domain",
                       "fabrikam.com", "--confirm", "fabrikam.com", "--accept-warnings", WARNINGS)
    assert code == 0
    # The subdomain now follows its federated root; Graph refuses to change it on its own.
    code, out, _ = run(capsys, "revert", "--domain", "sales.fabrikam.com",
                       "--confirm", "sales.fabrikam.com")
    assert code == 1
    assert "Result: failed" in out
    assert "nothing was changed: sales.fabrikam.com is as it was, Federated" in out


def test_a_read_failure_before_any_write_exits_1_and_journals_nothing(
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
        federator_home: Path) -> None:
    monkeypatch.setenv("FEDERATOR_SANDBOX_FAULTS", "500:5")
    code, _, err = run(capsys, "revert", "--domain", "tailspin.io", "--confirm", "tailspin.io")
    assert code == 1 and err.startswith("error: ")
    monkeypatch.delenv("FEDERATOR_SANDBOX_FAULTS")
    code, out, _ = run(capsys, "history")
    assert "No changes recorded" in out


def _cli(home: Path, *argv: str, kill_after: str | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, FEDERATOR_HOME=str(home))
    env.pop("FEDERATOR_TEST_KILL_AFTER", None)
    if kill_after:
        env["FEDERATOR_TEST_KILL_AFTER"] = kill_after
    return subprocess.run([sys.executable, "-m", "core.cli", "--sandbox", *argv], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=120)


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
@pytest.mark.parametrize(("point", "applied"), [("snapshot", False), ("write", True),
                                               ("verify", True)])
def test_a_cli_killed_mid_change_is_reconciled_by_the_next_run(tmp_path: Path, point: str,
                                                               applied: bool) -> None:
    home = tmp_path / "home"
    revert = ("revert", "--domain", "tailspin.io", "--confirm", "tailspin.io")
    killed = _cli(home, *revert, kill_after=point)
    assert killed.returncode == -signal.SIGKILL, killed.stderr

    history = json.loads(_cli(home, "history", "--json", "--details").stdout)
    [entry] = history["entries"]
    assert entry["outcome"] == "in-progress" and entry["snapshot_before"]

    again = _cli(home, *revert)
    assert again.returncode == 0, again.stderr
    word = "had been applied" if applied else "had not changed anything"
    assert word in again.stdout
    assert ("Nothing to change" in again.stdout) == applied

    history = json.loads(_cli(home, "history", "--json", "--details").stdout)
    entries = history["entries"]
    assert entries[0]["op"] == entry["op"] and entries[0]["outcome"] == "reconciled"
    assert entries[0]["snapshot_after"] == f"{entry['op']}-after"
    ends = [r for r in entries[0]["records"] if r["type"] == "end"]
    assert len(ends) == 1  # reconciled once, never twice
    assert len({e["op"] for e in entries}) == len(entries)
    assert history["problems"] == []

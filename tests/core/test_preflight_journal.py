"""Preflight's journal check opens the tenant's journal file as a change will, not only its
folder: a file a change cannot append to fails the check before anything is attempted."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from cli.main import main
from core.idp_sample import jumpcloud_sample
from core.journal import Journal
from core.paths import resolve_paths


def _preflight(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> dict[str, str]:
    xml, _ = jumpcloud_sample("fabrikam-m365")
    metadata = tmp_path / "idp.xml"
    metadata.write_bytes(xml)
    main(["--sandbox", "preflight", "--metadata", str(metadata), "--domain", "fabrikam.com",
          "--json"])
    out, _ = capsys.readouterr()
    [check] = [c for c in json.loads(out)["checks"] if c["id"] == "local.journal"]
    return check  # type: ignore[no-any-return]


def _journal(capsys: pytest.CaptureFixture[str]) -> Journal:
    main(["--sandbox", "whoami", "--json"])
    out, _ = capsys.readouterr()
    return Journal(resolve_paths().journal_dir, json.loads(out)["tenant_id"])


def test_a_journal_file_that_cannot_be_opened_fails_the_check(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    journal = _journal(capsys)
    check = _preflight(capsys, tmp_path)
    assert check["status"] == "pass" and journal.path.name in check["found"]
    assert not journal.path.exists()  # the probe leaves nothing behind
    journal.path.mkdir(parents=True)  # a tool put a folder where the journal file goes
    check = _preflight(capsys, tmp_path)
    assert check["status"] == "fail"
    assert journal.path.name in check["found"] and "journal file" in check["remedy"]


def test_a_file_where_the_journal_folder_goes_is_named_as_such(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    journal = _journal(capsys)
    journal.path.parent.parent.mkdir(parents=True, exist_ok=True)
    journal.path.parent.write_text("", encoding="utf-8")  # a file where the folder goes
    check = _preflight(capsys, tmp_path)
    assert check["status"] == "fail"
    assert f"{journal.path.parent} is a file, not a folder" in check["found"]
    # history says it cannot read the journal, not that no change was ever made.
    main(["--sandbox", "history"])
    _, err = capsys.readouterr()
    assert f"{journal.path.parent} is a file, not the journal folder" in err


@pytest.mark.skipif(sys.platform != "win32" and os.geteuid() == 0,
                    reason="root writes to read-only files")
def test_a_read_only_journal_file_fails_the_check(capsys: pytest.CaptureFixture[str],
                                                  tmp_path: Path) -> None:
    journal = _journal(capsys)
    journal.path.parent.mkdir(parents=True, exist_ok=True)
    journal.path.write_text("", encoding="utf-8")
    journal.path.chmod(0o444)
    try:
        check = _preflight(capsys, tmp_path)
    finally:
        journal.path.chmod(0o644)
    assert check["status"] == "fail" and journal.path.name in check["found"]

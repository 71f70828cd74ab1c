"""The window's tenant overview (issue 16): every domain with its health, a federated domain's
certificates side by side, the one-step fix behind a typed confirmation, opening on the last
report at once."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt

from cli.main import main
from tests.gui_helpers import settle

WARNINGS = "metadata.endpoints,domain.subdomain,users.immutable_id,users.blast_radius"


def _bar(view: Any, row: int) -> Any:
    """The certificate bar in ``row`` (centred in its cell)."""
    from PySide6.QtWidgets import QProgressBar

    return view.table.cellWidget(row, 4).findChild(QProgressBar)


def _federate_with_sample_idp(federator_home: Path, capsys: Any) -> None:
    idp = federator_home / "data" / "sandbox" / "idp" / "metadata.xml"
    assert main(["--sandbox", "sandbox", "idp"]) == 0
    assert main(["--sandbox", "federate", "--metadata", str(idp), "--domain", "fabrikam.com",
                 "--confirm", "fabrikam.com", "--accept-warnings", WARNINGS]) == 0
    assert main(["--sandbox", "sandbox", "idp-rotate", "--stage"]) == 0
    capsys.readouterr()


def _row(view: Any, domain: str) -> int:
    return next(r for r in range(view.table.rowCount())
                if view.table.item(r, 0).data(Qt.ItemDataRole.UserRole) == domain)


def test_overview_says_stage_it_now_and_fixes_it_after_the_typed_domain(
        make_window: Any, qtbot: Any, federator_home: Path, capsys: Any) -> None:
    _federate_with_sample_idp(federator_home, capsys)
    window = make_window(sandbox=True)
    window.go_to(5)
    settle(qtbot)
    view = window.view(5)
    assert view.report is not None and view.report["worst"] == "attention"
    # Every domain, managed ones too, with its authentication (a finding has a row of its own
    # under its domain's).
    assert len({view.table.item(r, 0).data(Qt.ItemDataRole.UserRole)
                for r in range(view.table.rowCount())}) == 6
    row = _row(view, "fabrikam.com")
    badge = view.table.cellWidget(row, 3)
    assert badge.status == "warn" and badge.word.text() == "Attention"
    assert "days left" in _bar(view, row).format()
    assert "stage it now" in view.table.item(row + 1, 0).text()  # the row under it
    assert view.table.item(_row(view, "contoso.com"), 1).text() == "Managed"

    view.table.selectRow(row)
    assert not view.fix_card.isHidden() and not view.fix_button.isEnabled()
    qtbot.keyClicks(view.fix_confirm, "fabrikam.co")
    assert not view.fix_button.isEnabled()
    qtbot.keyClicks(view.fix_confirm, "m")
    assert view.fix_button.isEnabled()
    qtbot.mouseClick(view.fix_button, Qt.MouseButton.LeftButton)
    result = window.state.last_result
    assert result is not None and result.ok and result.kind == "stage-certificate"
    settle(qtbot)
    assert view.report["worst"] == "healthy"
    row = _row(view, "fabrikam.com")
    view.table.selectRow(row)
    # Current and next side by side, and which one the IdP signs with.
    titles = [view.detail.itemAt(i).widget().title.text() for i in range(view.detail.count())]
    assert titles == ["Current signing certificate", "Next signing certificate",
                      "The IdP signs with"]


def test_overview_opens_on_the_last_report_before_refreshing(
        make_window: Any, qtbot: Any, federator_home: Path, capsys: Any) -> None:
    _federate_with_sample_idp(federator_home, capsys)
    assert main(["--sandbox", "watch"]) == 1  # keeps the last report
    capsys.readouterr()
    window = make_window(sandbox=True)
    view = window.view(5)  # built, not entered: nothing checked by the window yet
    assert view.report is not None and view.report["worst"] == "attention"
    assert "refreshing" in view.checked.text()


def test_federating_in_the_window_remembers_and_journals_the_metadata_file(
        make_window: Any, qtbot: Any, federator_home: Path, idp_file: Path) -> None:
    import json

    from core.health.sources import load_sources
    from tests.gui_helpers import federate_in_window, walk_to_review

    window = make_window(sandbox=True)
    federate_in_window(window, walk_to_review(window, qtbot, idp_file))
    tenant = window.state.session.tenant_id
    assert load_sources(window.state.paths, tenant)["fabrikam.com"].source == str(idp_file)
    journal = next((federator_home / "data" / "journal").glob("tenant-*.jsonl"))
    begin = [r for r in map(json.loads, journal.read_text().splitlines())
             if r.get("type") == "begin"][-1]
    assert begin["metadata_source"]["source"] == str(idp_file)


def test_ten_days_before_expiry_shows_attention_in_the_overview(
        make_window: Any, qtbot: Any, federator_home: Path, capsys: Any,
        monkeypatch: Any) -> None:
    import datetime as dt
    import json

    _federate_with_sample_idp(federator_home, capsys)
    assert main(["--sandbox", "watch", "--fix", "--domain", "fabrikam.com", "--confirm",
                 "fabrikam.com"]) == 0
    assert main(["--sandbox", "watch", "--domain", "fabrikam.com", "--json"]) == 0
    out = capsys.readouterr().out
    cert = json.loads(out[out.index("{"):])["domains"][0]["signing_certificate"]
    not_after = dt.datetime.fromisoformat(cert["not_after"].replace("Z", "+00:00"))
    monkeypatch.setenv("FEDERATOR_SANDBOX_NOW",
                       (not_after - dt.timedelta(days=10, hours=1)).isoformat())
    window = make_window(sandbox=True)
    window.go_to(5)
    settle(qtbot)
    view = window.view(5)
    row = _row(view, "fabrikam.com")
    assert view.table.cellWidget(row, 3).word.text() == "Attention"
    assert _bar(view, row).format() == "10 days left"
    assert "expires in 10 day(s)" in view.table.item(row + 1, 0).text()


def test_overview_promotes_on_the_admins_word_after_the_typed_domain(
        make_window: Any, qtbot: Any, federator_home: Path, capsys: Any) -> None:
    # Staged, and the IdP's metadata lists both certificates: the watch cannot tell which one
    # the IdP signs with, so only the admin's word promotes (as `watch --fix --promote`).
    import json

    _federate_with_sample_idp(federator_home, capsys)
    assert main(["--sandbox", "watch", "--fix", "--domain", "fabrikam.com", "--confirm",
                 "fabrikam.com"]) == 0
    capsys.readouterr()
    window = make_window(sandbox=True)
    window.go_to(5)
    settle(qtbot)
    view = window.view(5)
    row = _row(view, "fabrikam.com")
    assert view.table.cellWidget(row, 3).word.text() == "Healthy"
    view.table.selectRow(row)
    assert not view.fix_card.isHidden() and not view.promote_check.isHidden()
    assert not view.promote_check.isChecked()
    qtbot.keyClicks(view.fix_confirm, "fabrikam.com")
    assert not view.fix_button.isEnabled()  # nothing to fix until the admin says so
    view.promote_check.setChecked(True)
    assert view.fix_confirm.text() == ""  # a changed choice is confirmed again
    assert view.fix_text.text().startswith("Promote the IdP's new certificate")
    qtbot.keyClicks(view.fix_confirm, "fabrikam.com")
    assert view.fix_button.isEnabled()
    qtbot.mouseClick(view.fix_button, Qt.MouseButton.LeftButton)
    result = window.state.last_result
    assert result is not None and result.ok and result.kind == "promote-certificate"
    settle(qtbot)
    domain = next(d for d in view.report["domains"] if d["domain"] == "fabrikam.com")
    assert domain["state"] == "healthy" and domain["next_signing_certificate"] is None
    assert "rotation 2" in domain["signing_certificate"]["subject"]
    view.table.selectRow(_row(view, "fabrikam.com"))
    assert view.promote_check.isHidden()  # nothing staged any more
    journal = next((federator_home / "data" / "journal").glob("tenant-*.jsonl"))
    kinds = [r.get("kind") for r in map(json.loads, journal.read_text().splitlines())
             if r.get("type") == "begin"]
    assert kinds[-1] == "promote-certificate"

"""Each step view with real core objects: what an admin sees after each action."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QLabel, QToolButton

from gui import settings as gui_settings
from gui.widgets import Card
from tests.gui_helpers import settle


def texts(widget: Any) -> str:
    return "\n".join(label.text() for label in widget.findChildren(QLabel))


def card(view: Any, title_start: str) -> Card:
    return next(c for c in view.findChildren(Card)
                if c.title.text().startswith(title_start) and not c.isHidden())


def test_metadata_file_shows_idp_certificates_graph_values_and_findings(
        make_window: Any, qtbot: Any, idp_file: Path) -> None:
    window = make_window()
    view = window.metadata_view
    assert not view.empty.isHidden()
    view.open_source(str(idp_file))
    settle(qtbot)
    md = window.state.metadata
    assert view.empty.isHidden()
    assert "https://sso.jumpcloud.com/saml2/acme-demo" in texts(card(view, "Identity provider"))
    assert "Not signed" in texts(card(view, "Identity provider"))
    certs = card(view, "Certificates (1)")
    cert = md.certificates[0]
    assert f"{cert.days_left} days left" in texts(certs)
    # The SHA-256 is shown on two lines (one unbreakable word is wider than a small window).
    assert cert.sha1 in texts(certs) and cert.sha256 in texts(certs).replace("\n", "")
    copy = next(b for b in certs.findChildren(QToolButton)
                if b.accessibleName() == "Copy certificate as one line")
    qtbot.mouseClick(copy, Qt.MouseButton.LeftButton)
    assert QGuiApplication.clipboard().text() == cert.der_base64
    assert "\n" not in QGuiApplication.clipboard().text()
    graph = texts(card(view, "What Microsoft Graph will receive"))
    assert "issuerUri" in graph and "passiveSignInUri" in graph
    assert "(1,2" in graph or "characters" in graph  # the certificate is shortened on screen
    # The metadata's Graph values, as `federator inspect` shows them (core decides which).
    for name in window.state.federation.federation_json():
        assert name in graph
    assert "federatedIdpMfaBehavior" not in graph  # an option, set in the review step
    findings = texts(card(view, "Findings"))
    assert "sign-out" in findings and "What to do:" in findings
    # Remembered for next time, and offered in the recent list.
    assert gui_settings.load(window.state.paths).recent_files == [str(idp_file)]
    assert view.recent_list.count() == 1
    assert window.metadata_view.step_hint()[0] == "warn"


def test_sign_out_url_typed_when_metadata_has_none(make_window: Any, qtbot: Any,
                                                   idp_file: Path) -> None:
    window = make_window()
    view = window.metadata_view
    view.open_source(str(idp_file))
    assert window.state.federation.sign_out_uri is None
    view.sign_out_edit.setText("https://console.jumpcloud.com/logout")
    qtbot.keyClick(view.sign_out_edit, Qt.Key.Key_Return)
    settle(qtbot)
    assert window.state.federation.sign_out_uri == "https://console.jumpcloud.com/logout"
    assert "https://console.jumpcloud.com/logout" in texts(
        card(view, "What Microsoft Graph will receive"))


def test_aggregate_offers_a_picker_then_reads_the_chosen_idp(make_window: Any, qtbot: Any,
                                                             tmp_path: Path) -> None:
    from core.idp_sample import entities_aggregate, jumpcloud_sample

    docs = [jumpcloud_sample(name)[0] for name in ("alpha", "bravo", "charlie")]
    path = tmp_path / "federation-aggregate.xml"
    path.write_bytes(entities_aggregate(docs))
    window = make_window()
    view = window.metadata_view
    view.open_source(str(path))
    assert window.state.metadata is None
    assert not view.picker.isHidden()
    assert view.picker_list.count() == 3
    qtbot.keyClicks(view.picker_filter, "bravo")
    visible = [view.picker_list.item(i).text() for i in range(3)
               if not view.picker_list.item(i).isHidden()]
    assert visible == ["https://sso.jumpcloud.com/saml2/bravo"]
    view.use_picked()
    settle(qtbot)
    assert window.state.metadata.entity_id == "https://sso.jumpcloud.com/saml2/bravo"
    assert view.picker.isHidden()
    assert "3 identity providers" in texts(card(view, "Identity provider"))


def test_unusable_file_gives_a_sentence_and_details_not_a_traceback(make_window: Any,
                                                                    tmp_path: Path) -> None:
    path = tmp_path / "not-metadata.xml"
    path.write_bytes(b"\x89PNG\r\n\x1a\n this is a picture")
    window = make_window()
    view = window.metadata_view
    view.open_source(str(path))
    assert window.state.metadata is None
    assert not view.banner.isHidden()
    assert view.banner.text.text() and "Traceback" not in view.banner.text.text()
    assert "code:" in view.banner.details.text()
    assert view.banner.details.isHidden()
    view.banner.toggle.click()
    assert not view.banner.details.isHidden()


def test_domains_table_and_choice(make_window: Any) -> None:
    window = make_window(sandbox=True)
    table = window.domain_view.table
    names = [table.item(r, 0).data(Qt.ItemDataRole.UserRole) for r in range(table.rowCount())]
    assert {"contoso.com", "fabrikam.com", "tailspin.io", "example-unverified.com"} <= set(names)
    row = names.index("contoso.com")
    assert table.item(row, 2).text() == "Default"
    tailspin = names.index("tailspin.io")
    assert table.item(tailspin, 3).text() == "Federated"
    assert table.item(tailspin, 4).text().startswith("http")  # its issuer
    unverified = names.index("example-unverified.com")
    assert table.item(unverified, 1).text() == "No"
    assert not window.domain_view.next_button.isEnabled()
    table.selectRow(names.index("tailspin.io"))
    assert window.state.domain == "tailspin.io"
    assert window.domain_view.next_button.isEnabled()
    assert not window.domain_view.history_button.isHidden()  # federated: manage / revert


def test_preflight_checklist_for_the_default_domain(make_window: Any, qtbot: Any,
                                                    idp_file: Path, tmp_path: Path) -> None:
    window = make_window(sandbox=True)
    window.metadata_view.open_source(str(idp_file))
    window.state.choose_domain("contoso.com")
    window.go_to(2)
    view = window.preflight_view
    result = window.state.preflight
    assert result is not None and result.domain == "contoso.com"
    row = view.check_rows["domain.not_default"]
    assert result.check("domain.not_default").status == "fail"
    assert row.toggle.isChecked() and not row.details.isHidden()
    assert "Fail" in texts(row)  # a word, not only a colour
    assert row.action_button is not None  # core offers "make another domain the default"
    assert not view.banner.isHidden() and "failed" in view.banner.text.text()
    # Rows arrive a few per event-loop turn (the window never stalls): wait for all of them.
    qtbot.waitUntil(lambda: len(view.check_rows) == len(result.checks), timeout=5000)
    passed = next(r for r in view.check_rows.values() if r.check.status == "pass")
    assert passed.details.isHidden()
    qtbot.keyClick(passed.toggle, Qt.Key.Key_Space)
    assert not passed.details.isHidden()
    assert view.step_hint()[0] == "fail"
    report = tmp_path / "report.html"
    errors: list[Any] = []
    window.state.error.connect(lambda where, exc: errors.append((where, exc)))
    window.state.export_report(report)
    assert not errors
    assert report.is_file() and "contoso.com" in report.read_text(encoding="utf-8")


def test_history_shows_snapshots_of_a_selected_entry(make_window: Any, qtbot: Any,
                                                     idp_file: Path) -> None:
    from tests.gui.test_gui_flow import accept_and_confirm, walk_to_review

    window = make_window(sandbox=True)
    review = walk_to_review(window, qtbot, idp_file)
    accept_and_confirm(review, qtbot, "fabrikam.com")
    review.apply()
    window.go_to(4)
    history = window.history_view
    history.table.selectRow(0)
    assert not history.entry_card.isHidden()
    shown = texts(history.entry_card)
    assert "Before: Managed" in shown and "After: Federated" in shown
    assert "issuerUri" in shown


def test_make_default_fix_action_runs_core_and_shows_its_answer(
        make_window: Any, qtbot: Any, idp_file: Path) -> None:
    window = make_window(sandbox=True)
    window.metadata_view.open_source(str(idp_file))
    window.state.choose_domain("contoso.com")
    window.go_to(2)
    before = {c.id: c.status for c in window.state.preflight.checks}
    assert before["domain.not_default"] == "fail"
    view = window.preflight_view
    row = view.check_rows["domain.not_default"]
    assert row.action_button is not None and "default" in row.action_button.text()
    # The sandbox admin signed in without Domain.ReadWrite.All: the window asks for it
    # (incremental consent; the sandbox's admin consents), and the change goes through.
    window.state.make_default("contoso.onmicrosoft.com", confirm="contoso.onmicrosoft.com")
    settle(qtbot)
    default = [d["id"] for d in window.state.domains if d.get("isDefault")]
    assert default == ["contoso.onmicrosoft.com"]
    assert window.state.preflight.check("domain.not_default").status == "pass"

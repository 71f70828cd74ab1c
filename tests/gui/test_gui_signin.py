"""The "Test sign-in" window: a pilot user signed in end to end in demo mode, one without an
ImmutableID refused with AADSTS51004, and the doctor's table and verdicts for what was captured."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt

from cli.main import main
from tests.gui_helpers import settle


def _dialog(window: Any, qtbot: Any) -> Any:
    qtbot.waitUntil(lambda: window.state.session is not None, timeout=10000)
    qtbot.mouseClick(window.header.test_signin, Qt.MouseButton.LeftButton)
    dialog = window.signin_dialog
    qtbot.waitExposed(dialog)
    dialog.domain.setText("fabrikam.com")
    return dialog


def _type_and_press(qtbot: Any, field: Any, text: str, button: Any) -> None:
    """Type ``text`` into ``field`` and press ``button``, as the admin would; then let the
    dialog's work finish."""
    qtbot.keyClicks(field, text)
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    settle(qtbot)


def _rows(widget: Any) -> list[str]:
    return [widget.item(i).text() for i in range(widget.count())]


def test_pilot_signs_in_and_the_doctor_agrees(federated_home: None, make_window: Any,
                                              qtbot: Any) -> None:
    window = make_window(sandbox=True)
    dialog = _dialog(window, qtbot)
    _type_and_press(qtbot, dialog.user, "ada.albers0@fabrikam.com", dialog.run_button)
    rows = _rows(dialog.hops)
    assert len(rows) == 4 and all(r.startswith("✓  OK") for r in rows), rows
    assert "signed in" in rows[-1]
    # The response the sample IdP posted is in the paste box: the doctor judges it.
    qtbot.mouseClick(dialog.judge_button, Qt.MouseButton.LeftButton)
    settle(qtbot)
    assert dialog.verdict.text() == "Entra would accept this response."
    fields = {dialog.table.item(r, 0).text(): dialog.table.item(r, 1).text()
              for r in range(dialog.table.rowCount())}
    assert fields["Audience"] == "urn:federation:MicrosoftOnline"
    assert fields["IDPEmail"] == "ada.albers0@fabrikam.com"


def test_user_without_immutable_id_is_refused_with_the_fix(federated_home: None,
                                                           make_window: Any, qtbot: Any) -> None:
    window = make_window(sandbox=True)
    dialog = _dialog(window, qtbot)
    _type_and_press(qtbot, dialog.user, "new.hire@fabrikam.com", dialog.run_button)
    rows = _rows(dialog.hops)
    assert rows[3].startswith("✗  FAIL") and "AADSTS51004" in rows[3]
    assert any(r.startswith("i  INFO   Fix:") for r in rows)


def test_pasted_error_text_is_explained_as_plain_text(federated_home: None, make_window: Any,
                                                      qtbot: Any) -> None:
    window = make_window(sandbox=True)
    dialog = _dialog(window, qtbot)
    dialog.paste.setPlainText("Message: AADSTS50107: The requested federation realm object "
                              "'<b>https://evil.example/</b>' does not exist.")
    qtbot.mouseClick(dialog.judge_button, Qt.MouseButton.LeftButton)
    settle(qtbot)
    assert dialog.verdict.text() == "Entra would refuse it with AADSTS50107."
    assert any("'<b>https://evil.example/</b>'" in r for r in _rows(dialog.findings))


def test_unusable_paste_says_why(federated_home: None, make_window: Any, qtbot: Any) -> None:
    window = make_window(sandbox=True)
    dialog = _dialog(window, qtbot)
    dialog.paste.setPlainText("<!DOCTYPE x [<!ENTITY e SYSTEM 'file:///etc/passwd'>]><x>&e;</x>")
    qtbot.mouseClick(dialog.judge_button, Qt.MouseButton.LeftButton)
    settle(qtbot)
    assert "DOCTYPE" in dialog.verdict.text()
    assert dialog.table.rowCount() == 0


def test_pilot_search_flags_users_without_immutable_id(federated_home: None, make_window: Any,
                                                       qtbot: Any) -> None:
    window = make_window(sandbox=True)
    dialog = _dialog(window, qtbot)
    _type_and_press(qtbot, dialog.user, "new", dialog.find_button)
    rows = _rows(dialog.pilots)
    assert any("new.hire@fabrikam.com" in r and "no ImmutableID (AADSTS51004)" in r
               for r in rows), rows
    item = next(dialog.pilots.item(i) for i in range(dialog.pilots.count())
                if "new.hire" in dialog.pilots.item(i).text())
    rect = dialog.pilots.visualItemRect(item)
    qtbot.mouseClick(dialog.pilots.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert dialog.user.text() == "new.hire@fabrikam.com"


def test_window_federated_with_the_sample_idp_signs_the_pilot_in(
        make_window: Any, qtbot: Any) -> None:
    # Demo mode end to end in the window: "Use the sandbox's sample IdP" gives the sandbox's own
    # IdP, whose key then signs the test sign-in (a fresh key each time meant AADSTS500081).
    from tests.gui_helpers import federate_in_window

    window = make_window(sandbox=True)
    qtbot.waitUntil(lambda: window.state.session is not None, timeout=10000)
    window.state.load_sample_metadata()
    # The sample IdP's metadata file: a source like an admin's file (the Overview reads it).
    assert window.state.metadata_source.endswith("metadata.xml")
    window.go_to(1)
    table = window.domain_view.table
    row = next(r for r in range(table.rowCount())
               if table.item(r, 0).data(Qt.ItemDataRole.UserRole) == "fabrikam.com")
    table.selectRow(row)
    qtbot.mouseClick(window.domain_view.next_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(window.preflight_view.next_button, Qt.MouseButton.LeftButton)
    settle(qtbot)
    federate_in_window(window, window.review_view)
    dialog = _dialog(window, qtbot)
    _type_and_press(qtbot, dialog.user, "ada.albers0@fabrikam.com", dialog.run_button)
    rows = _rows(dialog.hops)
    assert len(rows) == 4 and all(r.startswith("✓  OK") for r in rows), rows


def test_window_sample_idp_is_the_one_the_sandbox_serves_and_rotates(
        make_window: Any, qtbot: Any, federator_home: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    # One sample IdP: after a staged rotation the window's demo metadata lists both certificates,
    # exactly those of the metadata served at /sandbox/idp/metadata (the same bytes as its file).
    from core.preflight.run import require_metadata

    assert main(["--sandbox", "sandbox", "idp-rotate", "--stage"]) == 0
    capsys.readouterr()
    served = federator_home / "data" / "sandbox" / "idp" / "metadata.xml"
    expected = [c.sha1 for c in require_metadata(served.read_bytes(), name="served")
                .metadata.signing_certificates]
    window = make_window(sandbox=True)
    qtbot.waitUntil(lambda: window.state.session is not None, timeout=10000)
    window.state.load_sample_metadata()
    qtbot.waitUntil(lambda: window.state.metadata is not None, timeout=10000)
    assert len(expected) == 2
    assert [c.sha1 for c in window.state.metadata.signing_certificates] == expected

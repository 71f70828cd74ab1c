"""The whole job in the window, against the sandbox tenant, as an admin would click it.

Open a metadata file, pick fabrikam.com, see the ImmutableID warning, accept it, type the domain,
apply, see Federated and its verification, revert, see Managed; and the ways it can go wrong: a
fault in the middle of the write, a lock-out check that disables Apply.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel

from tests.gui_helpers import (
    accept_and_confirm,
    settle,
    start_threaded_sandbox,
    walk_to_preflight,
    walk_to_review,
)


def test_federate_then_revert_fabrikam(make_window: Any, qtbot: Any, idp_file: Path) -> None:
    window = make_window(sandbox=True)
    assert window.header.badge.isVisible()
    assert "Contoso" in window.header.tenant.text()
    review = walk_to_review(window, qtbot, idp_file)

    # The ImmutableID warning is there, must be accepted, and Apply waits for it and the domain.
    assert "users.immutable_id" in review.warning_boxes
    immutable = review.warning_boxes["users.immutable_id"]
    assert "ImmutableID" in immutable.text()
    assert not review.apply_button.isEnabled()
    assert "warning" in review.gate_reason.text()
    for box in review.warning_boxes.values():
        box.setChecked(True)
    assert not review.apply_button.isEnabled()
    qtbot.keyClicks(review.confirm_edit, "fabrikam.co")
    assert not review.apply_button.isEnabled()
    qtbot.keyClicks(review.confirm_edit, "m")
    assert review.apply_button.isEnabled()
    assert review.apply_button.text() == "Federate fabrikam.com"

    qtbot.mouseClick(review.apply_button, Qt.MouseButton.LeftButton)
    settle(qtbot)
    result = window.state.last_result
    assert result is not None and result.ok, result and result.summary
    assert result.after.authentication_type == "Federated"
    assert review.result_card is not None and review.result_card.isVisible()
    shown = review.result_card.findChildren(QLabel)
    assert any("Federated" in label.text() for label in shown)
    steps = [review.progress_list.item(i).text() for i in range(review.progress_list.count())]
    assert any(s.startswith("Verified: fabrikam.com is") for s in steps)
    # The propagation indicator has been asked at least once.
    assert review.propagation is not None
    assert "Sign-in" in review.propagation.word.text()
    fabrikam = next(d for d in window.state.domains if d["id"] == "fabrikam.com")
    assert fabrikam["authenticationType"] == "Federated"

    # History: the entry, then the prominent revert with the password warning and the count.
    window.go_to(4)
    history = window.history_view
    settle(qtbot)
    assert history.table.rowCount() >= 1
    assert history.table.item(0, 2).text() == "Federate"
    assert history.revert_confirm is not None
    assert not history.revert_button.isEnabled()
    texts = " ".join(w.text() for w in history.domain_area.findChildren(QLabel))
    assert "users will need a cloud password" in texts
    impact = window.state.password_impact
    assert impact is not None and impact.users > 0 and str(impact.users) in texts
    qtbot.keyClicks(history.revert_confirm, "fabrikam.com")
    assert history.revert_button.isEnabled()
    qtbot.mouseClick(history.revert_button, Qt.MouseButton.LeftButton)
    settle(qtbot)
    result = window.state.last_result
    assert result.kind == "revert" and result.ok, result.summary
    assert result.after.authentication_type == "Managed"
    fabrikam = next(d for d in window.state.domains if d["id"] == "fabrikam.com")
    assert fabrikam["authenticationType"] == "Managed"
    assert history.table.rowCount() >= 2
    assert history.table.item(0, 2).text() == "Revert to managed"
    cards = [c.title.text() for c in history.domain_area.findChildren(type(history.entry_card))]
    assert any("managed" in title for title in cards)


def test_fault_mid_apply_shows_state_and_way_back(make_window: Any, qtbot: Any,
                                                  idp_file: Path) -> None:
    window = make_window(sandbox=True)
    review = walk_to_review(window, qtbot, idp_file)
    accept_and_confirm(review, qtbot, "fabrikam.com")

    def break_the_write(event: Any) -> None:
        # Right after the snapshot is journaled, every attempt of the POST fails.
        if event.step == "snapshot" and event.status == "ok":
            window.state.session.sandbox.set_faults("write:500:3")

    window.state.operation_progress.connect(break_the_write)
    qtbot.mouseClick(review.apply_button, Qt.MouseButton.LeftButton)
    settle(qtbot)
    result = window.state.last_result
    error = window.state.last_error
    assert (result is not None and not result.ok) or error is not None
    if result is not None:
        text = review.result_card.findChildren(QLabel)
        joined = " ".join(label.text() for label in text)
        from gui.widgets import StatusLabel

        assert "Not done" in review.result_card.findChildren(StatusLabel)[0].word.text()
        # Nothing landed, so there is nothing to propagate: no "not checked yet" line.
        assert review.propagation is None
        assert "propagation" not in joined
        assert "Managed" in joined  # the state the domain was left in, read back
        assert "Way back:" in joined
        assert result.after.authentication_type == "Managed"
    # The failed write is in the progress list and the way back is History.
    steps = [review.progress_list.item(i).text() for i in range(review.progress_list.count())]
    assert any("500" in s for s in steps)
    assert window.review_view.step_hint()[0] == "fail"
    window.go_to(4)
    assert window.history_view.table.rowCount() >= 1
    assert window.history_view.table.item(0, 4).text() == "failed"


def test_lockout_disables_apply_with_the_reason(make_window: Any, qtbot: Any,
                                                idp_file: Path) -> None:
    window = make_window(sandbox=True, user="admin@fabrikam.com")
    walk_to_preflight(window, qtbot, idp_file)
    # A failed check blocks the change: Next on the preflight is off (the line beside it says
    # why, tests/gui/test_gui_polish.py); the step list still opens Review, which says it too.
    assert not window.preflight_view.next_button.isEnabled()
    window.go_to(3)
    review = window.review_view
    result = window.state.preflight
    assert result.check("access.lockout").status == "fail"
    row = window.preflight_view.check_rows["access.lockout"]
    assert row.toggle.isChecked() and not row.details.isHidden()  # a failure opens by itself
    assert "Fail" in row.toggle.accessibleName()
    assert not review.apply_button.isEnabled()
    qtbot.keyClicks(review.confirm_edit, "fabrikam.com")
    assert not review.apply_button.isEnabled()
    assert "failed" in review.gate_reason.text()
    assert any(c.title in review.gate_reason.text() for c in result.failed)


def test_flow_with_the_thread_pool_never_blocks(make_window: Any, qtbot: Any,
                                                idp_file: Path) -> None:
    """The production runner: the same flow, results arriving through queued signals."""
    from gui.workers import ThreadPoolRunner

    window = make_window(runner=ThreadPoolRunner())
    state = start_threaded_sandbox(window, qtbot, idp_file)
    with qtbot.waitSignal(state.preflight_changed, timeout=15_000,
                          check_params_cb=lambda: state.preflight is not None):
        state.run_preflight()
    qtbot.waitUntil(lambda: state.preflight is not None, timeout=15_000)
    window.go_to(3)
    accept_and_confirm(window.review_view, qtbot, "fabrikam.com")
    assert window.review_view.apply_button.isEnabled()
    with qtbot.waitSignal(state.operation_finished, timeout=30_000):
        qtbot.mouseClick(window.review_view.apply_button, Qt.MouseButton.LeftButton)
        assert window.busy.isVisible() or state.last_result is not None
    assert state.last_result is not None and state.last_result.ok
    qtbot.waitUntil(lambda: not state.busy, timeout=10_000)


def test_certificate_rollover_then_restore_from_history(make_window: Any, qtbot: Any,
                                                        idp_file: Path, tmp_path: Path) -> None:
    from core.idp_sample import jumpcloud_sample

    window = make_window(sandbox=True)
    review = walk_to_review(window, qtbot, idp_file)
    accept_and_confirm(review, qtbot, "fabrikam.com")
    qtbot.mouseClick(review.apply_button, Qt.MouseButton.LeftButton)
    first = window.state.last_result
    assert first.ok
    old_cert = first.after.federation["signingCertificate"]

    # The IdP publishes new metadata (same entity, new certificate): open it, stage, promote.
    renewed = tmp_path / "JumpCloud-renewed.xml"
    renewed.write_bytes(jumpcloud_sample("acme-demo")[0])
    window.metadata_view.open_source(str(renewed))
    new_cert = window.state.metadata.certificates[0].der_base64
    assert new_cert != old_cert
    window.go_to(4)
    settle(qtbot)
    history = window.history_view
    assert not history.stage_button.isEnabled()
    qtbot.keyClicks(history.rollover_confirm, "fabrikam.com")
    assert history.stage_button.isEnabled()
    qtbot.mouseClick(history.stage_button, Qt.MouseButton.LeftButton)
    staged = window.state.last_result
    assert staged.ok, staged.summary
    assert staged.after.federation["signingCertificate"] == old_cert
    assert staged.after.federation["nextSigningCertificate"] == new_cert
    settle(qtbot)
    qtbot.keyClicks(history.rollover_confirm, "fabrikam.com")
    qtbot.mouseClick(history.promote_button, Qt.MouseButton.LeftButton)
    promoted = window.state.last_result
    assert promoted.ok, promoted.summary
    assert promoted.after.federation["signingCertificate"] == new_cert
    settle(qtbot)
    assert [history.table.item(r, 2).text() for r in range(3)] == [
        "Promote certificate", "Add next certificate", "Federate"]

    # Restore the state before the very first change: managed again.
    row = next(r for r in range(history.table.rowCount())
               if history.table.item(r, 2).text() == "Federate")
    history.table.selectRow(row)
    settle(qtbot)
    restore_before = history.restore_buttons[0]
    assert not restore_before.isEnabled()
    qtbot.keyClicks(history.restore_confirm, "fabrikam.com")
    assert restore_before.isEnabled()
    qtbot.mouseClick(restore_before, Qt.MouseButton.LeftButton)
    # It would undo the rollover made since: refused, named, and offered, never done silently.
    assert window.state.last_result is None
    assert getattr(window.state.last_error, "code", None) == "restore_would_overwrite"
    dialog = history.overwrite_dialog
    assert dialog is not None and dialog.isVisible()
    assert "would undo the promote-certificate" in dialog.text.text()
    qtbot.mouseClick(dialog.accept_button, Qt.MouseButton.LeftButton)
    restored = window.state.last_result
    assert restored.ok, restored.summary
    assert restored.kind == "restore"
    assert restored.after.authentication_type == "Managed"


def test_cancel_before_the_write_changes_nothing(make_window: Any, qtbot: Any,
                                                 idp_file: Path) -> None:
    window = make_window(sandbox=True)
    review = walk_to_review(window, qtbot, idp_file)
    accept_and_confirm(review, qtbot, "fabrikam.com")

    def cancel_early(event: Any) -> None:
        if event.step == "confirm":
            assert review.cancel_button.isEnabled()
            review.cancel()

    window.state.operation_progress.connect(cancel_early)
    qtbot.mouseClick(review.apply_button, Qt.MouseButton.LeftButton)
    settle(qtbot)
    from gui.workers import Cancelled

    assert isinstance(window.state.last_error, Cancelled)
    assert window.state.last_result is None
    fabrikam = next(d for d in window.state.domains if d["id"] == "fabrikam.com")
    assert fabrikam["authenticationType"] == "Managed"
    assert "Cancelled before anything was written" in review.banner.text.text()


def test_window_stages_a_future_next_certificate_and_refuses_to_promote_it(
        make_window: Any, qtbot: Any, tmp_path: Path) -> None:
    """The window offers the same certificates as ``update-certificate`` (one core function):
    the next certificate published 7 days ahead is staged, and not promoted before it is valid."""
    import base64
    import datetime as dt

    from core.idp_sample import build_idp_metadata, jumpcloud_certificate, jumpcloud_sample

    first, issued = jumpcloud_sample("acme-demo")
    upcoming = jumpcloud_certificate("Federator Demo (next)",
                                     now=dt.datetime.now(dt.UTC) + dt.timedelta(days=7))
    sso = "https://sso.jumpcloud.com/saml2/acme-demo"
    (tmp_path / "first.xml").write_bytes(first)
    (tmp_path / "both.xml").write_bytes(build_idp_metadata(
        sso, sso_post=sso, sso_redirect=sso, slo_redirect=None,
        signing_certs=[issued.der, upcoming.der], style="jumpcloud"))
    window = make_window(sandbox=True)
    review = walk_to_review(window, qtbot, tmp_path / "first.xml")
    accept_and_confirm(review, qtbot, "fabrikam.com")
    qtbot.mouseClick(review.apply_button, Qt.MouseButton.LeftButton)
    assert window.state.last_result.ok
    current = window.state.last_result.after.federation["signingCertificate"]

    window.metadata_view.open_source(str(tmp_path / "both.xml"))
    window.go_to(4)
    settle(qtbot)
    history = window.history_view
    qtbot.keyClicks(history.rollover_confirm, "fabrikam.com")
    qtbot.mouseClick(history.stage_button, Qt.MouseButton.LeftButton)
    staged = window.state.last_result
    assert staged is not None and staged.ok
    upcoming_b64 = base64.b64encode(upcoming.der).decode()
    assert staged.after.federation["nextSigningCertificate"] == upcoming_b64
    settle(qtbot)
    qtbot.keyClicks(history.rollover_confirm, "fabrikam.com")
    qtbot.mouseClick(history.promote_button, Qt.MouseButton.LeftButton)
    settle(qtbot)
    assert window.state.last_result is None
    assert getattr(window.state.last_error, "code", None) == "certificate_not_yet_valid"
    fabrikam = window.state.session.client.get("/domains/fabrikam.com/federationConfiguration")
    assert fabrikam["value"][0]["signingCertificate"] == current

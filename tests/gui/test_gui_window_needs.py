"""Issue 14 §3: everything a window user needs is in the window (no command lines to type,
permissions asked for instead of refused, exports, links, lists and choices on the page)."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QLabel, QPushButton

from tests.gui_helpers import settle

# What a command line for Federator looks like in text shown to a person.
COMMAND_RE = re.compile(r"\bfederator\s+(?:-|[a-z][a-z-]+\b)")


def texts(widget: Any) -> str:
    return "\n".join(label.text() for label in widget.findChildren(QLabel))


def buttons(widget: Any) -> list[str]:
    return [b.text() for b in widget.findChildren(QPushButton) if not b.isHidden()]


# -- make default: permissions checked before the offer, asked for when missing ----------------

def test_make_default_is_not_offered_to_a_role_that_cannot_do_it(
        make_window: Any, qtbot: Any, idp_file: Path) -> None:
    # Hybrid Identity Administrator may federate, not change the default domain.
    window = make_window(sandbox=True, user="hybrid@contoso.com")
    window.metadata_view.open_source(str(idp_file))
    window.state.choose_domain("contoso.com")
    window.go_to(2)
    settle(qtbot)
    row = window.preflight_view.check_rows["domain.not_default"]
    assert row.action_button is None
    row.toggle.setChecked(True)
    shown = texts(row)
    assert "Domain Name Administrator" in shown and "holds none of them" in shown
    assert "admin center" in shown
    assert not COMMAND_RE.search(shown), shown


def _not_default_row(make_window: Any, qtbot: Any, idp_file: Path) -> Any:
    """The preflight's "not the default domain" row, for contoso.com (the tenant's default)."""
    window = make_window(sandbox=True)
    window.metadata_view.open_source(str(idp_file))
    window.state.choose_domain("contoso.com")
    window.go_to(2)
    settle(qtbot)
    return window.preflight_view.check_rows["domain.not_default"]


def test_make_default_is_offered_without_a_command_line(make_window: Any, qtbot: Any,
                                                        idp_file: Path) -> None:
    row = _not_default_row(make_window, qtbot, idp_file)
    assert row.action_button is not None
    assert "Domain.ReadWrite.All" in texts(row)
    assert not COMMAND_RE.search(texts(row)), texts(row)


def test_read_only_sign_in_lacks_the_write_permission_until_apply_without_failing() -> None:
    from core.preflight.checks import run_checks
    from tests.core.test_preflight_checks import _modify

    inp = _modify(lambda t: setattr(t, "scopes", frozenset(
        {"Domain.Read.All", "User.Read.All", "RoleManagement.Read.Directory"})))
    check = next(c for c in run_checks(inp) if c.id == "access.permissions")
    assert check.status == "fail"  # a face that cannot ask for consent: still a failure
    asking = dataclasses.replace(inp, write_consent=True)
    check = next(c for c in run_checks(asking) if c.id == "access.permissions")
    assert check.status == "pass"
    assert "asked for when you apply" in check.found


# -- no command-line text in the window -----------------------------------------------------

def test_core_advice_reads_as_window_places() -> None:
    from core.window_text import for_window, has_command_line, way_back_step

    said = for_window("Wait a minute, then: federator status --domain x.com (it records what "
                      "became of it), and run the change again.")
    assert not has_command_line(said) and "propagation indicator" in said
    said = for_window("Fix them (federator preflight --metadata 'C:\\a b.xml' --domain x.com "
                      "explains each).")
    assert said == "Fix them (Run again on the Preflight step explains each)."
    assert for_window("Run: federator signin") == "Use Sign in at the top right of the window"
    step = way_back_step("federator restore 0a1b2c3d-before --confirm x.com")
    assert step is not None and step.kind == "restore"
    assert step.arguments == {"snapshot": "0a1b2c3d-before", "domain": "x.com"}


def test_result_and_history_offer_the_way_back_as_a_button_not_a_command(
        make_window: Any, qtbot: Any, idp_file: Path) -> None:
    from tests.gui_helpers import federate_in_window, walk_to_review

    window = make_window(sandbox=True)
    review = walk_to_review(window, qtbot, idp_file)
    result = federate_in_window(window, review)
    settle(qtbot)
    assert "federator restore" in result.way_back  # the CLI keeps its wording
    shown = texts(review)
    assert "Restore the state before this change" in shown
    assert not COMMAND_RE.search(shown), shown
    undo = next(b for b in review.findChildren(QPushButton)
                if b.text().startswith("Undo this change"))
    undo.click()
    settle(qtbot)
    assert window.current_step() == 4
    history = window.history_view
    entry = history.selected_entry()
    assert entry is not None and entry.op == result.op_id
    assert not history.entry_card.isHidden()
    shown = texts(history.entry_card)
    assert "Restore the state before this change" in shown
    assert not COMMAND_RE.search(shown), shown


def test_error_banner_says_where_in_the_window_not_which_command(make_window: Any,
                                                                qtbot: Any) -> None:
    from core.errors import RefusedError

    window = make_window(sandbox=True)
    view = window.preflight_view
    view.banner.show_error(RefusedError(
        "An earlier change sent a write whose outcome is not known yet.",
        remedy="Wait a minute, then: federator status --domain fabrikam.com (it records what "
               "became of it), and run the change again."))
    shown = view.banner.text.text()
    assert "propagation indicator" in shown
    assert not COMMAND_RE.search(shown), shown


# -- Review sets what the command line can -------------------------------------------------

def test_review_sets_display_name_mfa_prompt_login_and_sign_out(
        make_window: Any, qtbot: Any, idp_file: Path) -> None:
    from tests.gui_helpers import federate_in_window, walk_to_review

    window = make_window(sandbox=True)
    review = walk_to_review(window, qtbot, idp_file)
    cert = window.state.metadata.signing_certificates[0]
    assert f"SHA-1 {cert.sha1}" in texts(review)
    assert "sign-in page" in texts(review)  # each option is explained beside it
    review.display_name_edit.setText("Acme sign-in")
    review.mfa_box.setCurrentIndex(review.mfa_box.findData("enforceMfaByFederatedIdp"))
    review.prompt_box.setCurrentIndex(review.prompt_box.findData("nativeSupport"))
    review.sign_out_edit.setText("https://sso.example.net/logout")
    review.options_button.click()
    settle(qtbot)
    window.go_to(3)
    settle(qtbot)
    changes = {c.name: c.new for c in window.state.plan.changes}
    assert changes["displayName"] == "Acme sign-in"
    assert changes["federatedIdpMfaBehavior"] == "enforceMfaByFederatedIdp"
    assert changes["promptLoginBehavior"] == "nativeSupport"
    assert changes["signOutUri"] == "https://sso.example.net/logout"
    result = federate_in_window(window, window.review_view)
    federation = result.after.federation
    assert federation["displayName"] == "Acme sign-in"
    assert federation["federatedIdpMfaBehavior"] == "enforceMfaByFederatedIdp"
    assert federation["promptLoginBehavior"] == "nativeSupport"
    assert federation["signOutUri"] == "https://sso.example.net/logout"


# -- change record -------------------------------------------------------------------------

def test_change_record_exports_from_the_result_and_history(
        make_window: Any, qtbot: Any, idp_file: Path, tmp_path: Path,
        monkeypatch: Any) -> None:
    import json

    from PySide6.QtWidgets import QFileDialog

    from tests.gui_helpers import federate_in_window, walk_to_review

    window = make_window(sandbox=True)
    review = walk_to_review(window, qtbot, idp_file)
    result = federate_in_window(window, review)
    settle(qtbot)
    html_path = tmp_path / "ticket.html"
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        staticmethod(lambda *a, **k: (str(html_path), "")))
    export = next(b for b in review.findChildren(QPushButton)
                  if b.text().startswith("Export change record"))
    export.click()
    page = html_path.read_text(encoding="utf-8")
    assert "fabrikam.com" in page and "ops@contoso.com" in page
    assert result.request_ids and result.request_ids[0] in page
    assert "Before: Managed" in page and "After: Federated" in page
    assert "Read back: as planned." in page and "federator restore" in page
    json_path = tmp_path / "ticket.json"
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        staticmethod(lambda *a, **k: (str(json_path), "")))
    window.go_to(4)
    history = window.history_view
    history.table.selectRow(0)
    history.export_button.click()
    record = json.loads(json_path.read_text(encoding="utf-8"))
    assert record["op"] == result.op_id and record["domain"] == "fabrikam.com"
    assert record["tenant"] == window.state.session.tenant_id
    assert record["before"]["federation"] is None
    assert record["after"]["federation"]["issuerUri"] == window.state.metadata.entity_id
    assert record["request_ids"] == result.request_ids
    assert record["verification"]["ok"] is True
    assert record["way_back"] == result.way_back


def test_history_export_on_the_command_line(make_window: Any, qtbot: Any, idp_file: Path,
                                            tmp_path: Path, capsys: Any) -> None:
    import json

    from cli.main import main
    from tests.gui_helpers import federate_in_window, walk_to_review

    window = make_window(sandbox=True)
    result = federate_in_window(window, walk_to_review(window, qtbot, idp_file))
    out = tmp_path / "r.json"
    # FEDERATOR_HOME (the fixture's) is where the window's journal is.
    assert main(["history", "--export", str(result.op_id), "--output", str(out)]) == 0
    assert json.loads(out.read_text(encoding="utf-8"))["op"] == result.op_id


# -- Learn links, Help and About, local times ------------------------------------------------

def test_each_check_links_to_microsoft_learn(make_window: Any, qtbot: Any,
                                             idp_file: Path) -> None:
    from core.preflight.checks import CHECK_IDS, LEARN

    assert set(CHECK_IDS) - set(LEARN) == {"local.journal"}  # Federator's own: no Learn page
    assert all(url.startswith("https://learn.microsoft.com/") for url in LEARN.values())
    row = _not_default_row(make_window, qtbot, idp_file)
    assert row.learn_button is not None
    assert row.learn_button.property("learn_url") == LEARN["domain.not_default"]
    assert "Microsoft Learn" in row.learn_button.accessibleName()


def test_help_and_about_names_version_licence_and_opens_the_folders(
        make_window: Any, qtbot: Any, monkeypatch: Any) -> None:
    from PySide6.QtGui import QDesktopServices

    from core import __version__

    opened: list[str] = []
    monkeypatch.setattr(QDesktopServices, "openUrl",
                        staticmethod(lambda url: opened.append(url.toLocalFile()) or True))
    window = make_window(sandbox=True)
    window.header.help.click()
    about = window.header.about
    assert about is not None and about.isVisible()
    shown = texts(about)
    assert __version__ in shown and "MIT" in shown
    paths = window.state.paths
    assert str(paths.logs) in shown and str(paths.journal_dir) in shown
    for button in [b for b in about.findChildren(QPushButton) if b.text() == "Open folder"]:
        button.click()
    assert opened == [str(paths.logs), str(paths.journal_dir)]


def test_history_shows_local_time_with_utc_in_the_tooltip(
        make_window: Any, qtbot: Any, idp_file: Path, monkeypatch: Any) -> None:
    import time

    from tests.gui_helpers import federate_in_window, walk_to_review

    monkeypatch.setenv("TZ", "Asia/Kolkata")  # UTC+05:30, no daylight saving
    time.tzset()
    try:
        window = make_window(sandbox=True)
        result = federate_in_window(window, walk_to_review(window, qtbot, idp_file))
        window.go_to(4)
        history = window.history_view
        entry = history.entries[0]
        assert entry.op == result.op_id
        stamp = entry.started_at  # the journal's UTC, e.g. 2026-12-06T01:02:03Z
        import datetime as dt

        utc = dt.datetime.fromisoformat(stamp.replace("Z", "+00:00"))
        local = utc.astimezone(dt.timezone(dt.timedelta(hours=5, minutes=30)))
        cell = history.table.item(0, 0)
        assert cell.text() == local.strftime("%Y-%m-%d %H:%M:%S")
        assert cell.toolTip() == utc.strftime("%Y-%m-%d %H:%M:%S UTC")
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()


# -- user lists: copy and CSV ---------------------------------------------------------------

def test_user_lists_copy_and_export_as_csv(make_window: Any, qtbot: Any, idp_file: Path,
                                           tmp_path: Path) -> None:
    from PySide6.QtGui import QGuiApplication

    window = make_window(sandbox=True)
    window.metadata_view.open_source(str(idp_file))
    window.state.choose_domain("fabrikam.com")
    window.go_to(2)
    settle(qtbot)
    check = window.state.preflight.check("users.immutable_id")
    assert len(check.items) == 3
    row = window.preflight_view.check_rows["users.immutable_id"]
    row.copy_list.click()
    copied = QGuiApplication.clipboard().text().splitlines()
    assert "admin@fabrikam.com" in copied and len(copied) == 3
    assert row.copy_list.text() == "Copied"
    out = row.export_items(str(tmp_path / "missing.csv"))
    assert out is not None
    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "userPrincipalName,accountEnabled"
    assert "admin@fabrikam.com,true" in lines and len(lines) == 4
    admins = window.preflight_view.check_rows["users.blast_radius"]
    admins.copy_list.click()
    assert QGuiApplication.clipboard().text() == "admin@fabrikam.com"


def test_csv_never_holds_a_formula() -> None:
    from core.user_lists import csv_text

    text = csv_text(["userPrincipalName"], [["=HYPERLINK(\"x\")@x.com"], ["+1@x.com"]])
    assert text.splitlines()[1] == "\"'=HYPERLINK(\"\"x\"\")@x.com\""
    assert text.splitlines()[2] == "'+1@x.com"


# -- rollover: current and next side by side ------------------------------------------------

def test_rollover_shows_current_and_next_side_by_side_and_when_to_promote(
        make_window: Any, qtbot: Any, idp_file: Path, tmp_path: Path) -> None:
    from core.idp_sample import jumpcloud_sample
    from tests.gui_helpers import federate_in_window, walk_to_review

    window = make_window(sandbox=True)
    federate_in_window(window, walk_to_review(window, qtbot, idp_file))
    first = window.state.metadata.signing_certificates[0]
    window.go_to(4)
    settle(qtbot)
    history = window.history_view
    shown = texts(history.domain_area)
    assert "Current certificate" in shown and "Next certificate" in shown
    assert first.sha1 in shown and "The IdP signs with it" in shown
    assert "Nothing to roll" in history.rollover_advice.text()
    # The IdP publishes a new certificate: the advice is to stage it.
    new_file = tmp_path / "new.xml"
    new_file.write_bytes(jumpcloud_sample("acme-demo")[0])
    window.metadata_view.open_source(str(new_file))
    window.state.choose_domain("fabrikam.com")
    window.go_to(4)
    settle(qtbot)
    assert "add it as the next certificate" in history.rollover_advice.text()
    history.rollover_confirm.setText("fabrikam.com")
    history.stage_button.click()
    settle(qtbot)
    window.go_to(4)
    settle(qtbot)
    # The new metadata signs with the new certificate only: time to promote.
    assert "promote it to current" in history.rollover_advice.text()
    new = window.state.metadata.signing_certificates[0]
    shown = texts(history.domain_area)
    assert new.sha1 in shown and first.sha1 in shown  # side by side
    from core.rollover import rollover_facts

    # Staged while the IdP still signs with the current one: wait, and by when.
    config = {"signingCertificate": first.der_base64, "nextSigningCertificate": new.der_base64}
    waiting = rollover_facts("fabrikam.com", config, window.state.metadata,
                             signs_with=first.der_base64)
    assert "Promote it only once" in waiting.advice
    assert f"{first.not_after:%Y-%m-%d}" in waiting.advice


# -- domain picker flags ------------------------------------------------------------------

def test_domain_picker_flags_domains_that_cannot_be_federated(make_window: Any,
                                                             qtbot: Any) -> None:
    window = make_window(sandbox=True)
    window.go_to(1)
    view = window.domain_view
    table = view.table
    words = {table.item(r, 0).data(0x0100): table.item(r, 5).text()
             for r in range(table.rowCount())}
    assert words["fabrikam.com"] == "Yes" and words["contoso.com"] == "No"
    # The reason: whole in the tooltip (and below the table for the chosen row).
    flags = {table.item(r, 0).data(0x0100): table.item(r, 5).toolTip()
             for r in range(table.rowCount())}
    assert flags["contoso.com"].startswith("No: the default domain")
    assert flags["contoso.onmicrosoft.com"].startswith("No: the initial")
    assert flags["example-unverified.com"].startswith("No: not verified")
    assert flags["sales.fabrikam.com"] == "No: a subdomain: it follows fabrikam.com's sign-in " \
                                          "(federate fabrikam.com)"
    view.select("contoso.com")
    assert "cannot be federated as it is" in view.selection.text()


# -- restoring a federated snapshot runs the checks that apply ------------------------------

def _federate_then_revert(window: Any, qtbot: Any, idp_file: Path) -> Any:
    from tests.gui_helpers import federate_in_window, walk_to_review

    result = federate_in_window(window, walk_to_review(window, qtbot, idp_file))
    window.state.revert("fabrikam.com", confirm="fabrikam.com")
    assert window.state.last_result.ok
    return result


def test_restore_refuses_a_federation_that_would_lock_the_admin_out(
        make_window: Any, qtbot: Any, idp_file: Path, capsys: Any) -> None:
    from cli.main import main

    window = make_window(sandbox=True)
    federated = _federate_then_revert(window, qtbot, idp_file).after.id
    # admin@fabrikam.com would sign in at the IdP after the restore: locked out.
    code = main(["--sandbox", "--as", "admin@fabrikam.com", "restore", federated, "--confirm",
                 "fabrikam.com", "--force"])
    out, err = capsys.readouterr()
    assert code == 1, out + err
    assert "cannot be restored now" in out + err and "admin@fabrikam.com" in out + err
    assert "Nothing was changed" in out + err


def test_restore_refuses_an_issuer_now_used_by_another_domain(
        make_window: Any, qtbot: Any, idp_file: Path, capsys: Any) -> None:
    from cli.main import main
    from core.paths import resolve_paths
    from sandbox import Sandbox

    window = make_window(sandbox=True)
    result = _federate_then_revert(window, qtbot, idp_file)
    issuer = result.after.federation["issuerUri"]
    window.state.shutdown()
    # Meanwhile another domain took the issuer (done in the tenant, outside Federator).
    with Sandbox(resolve_paths(None).sandbox_dir) as sandbox, sandbox.store.lock:
        sandbox.store.refresh()
        sandbox.store.data["federation"]["tailspin.io"]["issuerUri"] = issuer
        sandbox.store.save()
    code = main(["--sandbox", "restore", result.after.id, "--confirm", "fabrikam.com",
                 "--force"])
    out, err = capsys.readouterr()
    assert code == 1, out + err
    assert f"its issuer {issuer} is now used by tailspin.io" in out + err


# -- demo mode: choose the sandbox user in the window ---------------------------------------

def test_demo_mode_chooses_the_sandbox_user_to_rehearse_the_lockout(
        make_window: Any, qtbot: Any, idp_file: Path) -> None:
    from sandbox.seed import SEED_ACCOUNTS, build_seed

    upns = {u["userPrincipalName"] for u in build_seed(7)["users"]}
    assert all(upn in upns for upn, _ in SEED_ACCOUNTS)
    window = make_window(sandbox=True)
    chooser = window.header.demo_user
    assert chooser.isVisible() and chooser.currentData() == "ops@contoso.com"
    at = chooser.findData("admin@fabrikam.com")
    chooser.setCurrentIndex(at)
    chooser.activated.emit(at)
    settle(qtbot)
    assert window.state.session.account.upn == "admin@fabrikam.com"
    assert "admin@fabrikam.com" in window.header.account.accessibleName()  # shown elided
    window.metadata_view.open_source(str(idp_file))
    window.state.choose_domain("fabrikam.com")
    window.go_to(2)
    settle(qtbot)
    lockout = window.state.preflight.check("access.lockout")
    assert lockout.status == "fail" and "admin@fabrikam.com" in lockout.found


def test_demo_user_chooser_is_hidden_for_a_real_tenant(make_window: Any) -> None:
    window = make_window()
    assert not window.header.demo_user.isVisible()


def test_users_needing_a_password_after_revert_export_as_csv(
        make_window: Any, qtbot: Any, idp_file: Path, tmp_path: Path) -> None:
    from tests.gui_helpers import federate_in_window, walk_to_review

    window = make_window(sandbox=True)
    federate_in_window(window, walk_to_review(window, qtbot, idp_file))
    window.go_to(4)
    settle(qtbot)
    history = window.history_view
    impact = window.state.password_impact
    assert impact is not None and impact.users == 43
    out = tmp_path / "users.csv"
    history.export_password_users(str(out))
    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "userPrincipalName,accountEnabled"
    assert len(lines) == 1 + impact.users
    assert "admin@fabrikam.com,true" in lines
    assert any(line.endswith("@sales.fabrikam.com,true") for line in lines)

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


def test_make_default_is_offered_without_a_command_line(make_window: Any, qtbot: Any,
                                                        idp_file: Path) -> None:
    window = make_window(sandbox=True)
    window.metadata_view.open_source(str(idp_file))
    window.state.choose_domain("contoso.com")
    window.go_to(2)
    settle(qtbot)
    row = window.preflight_view.check_rows["domain.not_default"]
    assert row.action_button is not None
    assert "Domain.ReadWrite.All" in texts(row)
    assert not COMMAND_RE.search(texts(row)), texts(row)


def test_read_only_sign_in_lacks_the_write_permission_until_apply_without_failing() -> None:
    from core.preflight.checks import run_checks
    from tests.test_preflight_checks import _modify

    inp = _modify(lambda t: setattr(t, "scopes", frozenset(
        {"Domain.Read.All", "User.Read.All", "RoleManagement.Read.Directory"})))
    check = next(c for c in run_checks(inp) if c.id == "access.permissions")
    assert check.status == "fail"  # a face that cannot ask for consent: still a failure
    asking = dataclasses.replace(inp, write_consent=True)
    check = next(c for c in run_checks(asking) if c.id == "access.permissions")
    assert check.status == "pass"
    assert "asked for when you apply" in check.found

"""`--domain` is read as `--confirm` is: case, a final dot and the IDN form aside."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from cli.main import main


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["--sandbox", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_a_domain_typed_with_capitals_and_a_final_dot_is_the_domain_everywhere(
        capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "revert", "--domain", "TailSpin.IO.", "--confirm", "tailspin.io")
    assert code == 0, out + err
    assert "Result: succeeded" in out
    # The way back, the journal and history all name the domain as Graph does.
    assert re.search(r"restore \w+-before --confirm tailspin.io\n", out)
    code, out, _ = run(capsys, "history", "--domain", "TAILSPIN.io.", "--json")
    [entry] = json.loads(out)["entries"]
    assert entry["domain"] == "tailspin.io" and entry["kind"] == "revert"
    code, out, _ = run(capsys, "status", "--domain", "TAILSPIN.IO.", "--json")
    assert code == 0 and json.loads(out)["domain"] == "tailspin.io"


def test_an_idn_typed_in_unicode_or_in_ascii_is_one_domain(
        capsys: pytest.CaptureFixture[str]) -> None:
    # The confirmation matches (one name in two forms); the sandbox has no such domain, and
    # says so with the name Graph uses.
    for domain, confirm in (("Bücher.example", "xn--bcher-kva.example"),
                            ("xn--bcher-kva.example", "bücher.example.")):
        code, _, err = run(capsys, "revert", "--domain", domain, "--confirm", confirm)
        assert code == 2, err
        assert "does not match" not in err
        assert "no domain 'xn--bcher-kva.example'" in err
    code, _, err = run(capsys, "revert", "--domain", "bücher.example", "--confirm",
                       "bucher.example")
    assert code == 1 and "does not match" in err


def test_a_domain_that_cannot_be_one_is_refused_before_signing_in(
        capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "revert", "--domain", "not a domain", "--confirm", "not a domain")
    assert code == 2 and "is not a domain name" in err


def test_the_window_accepts_the_confirmation_the_command_line_accepts(
        make_window: Any, qtbot: Any, idp_file: Path) -> None:
    """`fabrikam.com.` (a final dot, capitals) confirms fabrikam.com in every confirmation
    field of the window, as `--confirm` does: they compare through core.domain_names."""
    from PySide6.QtCore import Qt

    from core.domain_names import same_domain
    from tests.gui_helpers import accept_and_confirm, settle, walk_to_review

    assert same_domain("Fabrikam.COM. ", "fabrikam.com")
    assert not same_domain("fabrikam.co", "fabrikam.com")
    bot = qtbot
    window = make_window(sandbox=True)
    review = walk_to_review(window, bot, idp_file)
    accept_and_confirm(review, bot, "Fabrikam.com.")
    assert review.apply_button.isEnabled(), review.gate_reason.text()
    bot.mouseClick(review.apply_button, Qt.MouseButton.LeftButton)
    assert window.state.last_result.ok
    window.go_to(4)
    settle(bot)
    history = window.history_view
    bot.keyClicks(history.rollover_confirm, "fabrikam.com.")
    assert history.stage_button.isEnabled()
    bot.keyClicks(history.revert_confirm, "FABRIKAM.com.")
    assert history.revert_button.isEnabled()
    bot.mouseClick(history.revert_button, Qt.MouseButton.LeftButton)
    settle(bot)
    assert window.state.last_result.ok and window.state.last_result.after.authentication_type \
        == "Managed"
    history.table.selectRow(0)
    settle(bot)
    bot.keyClicks(history.restore_confirm, "fabrikam.com.")
    assert history.restore_buttons and all(b.isEnabled() for b in history.restore_buttons)

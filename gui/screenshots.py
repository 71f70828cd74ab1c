"""Regenerate the README's screenshots: every step of the window, light and dark.

    python -m gui.screenshots docs/screenshots

Drives the real window against a throw-away sandbox tenant (its own temporary Federator home, so
nothing of yours is touched), offscreen, and saves ``NN-step-light.png`` / ``-dark.png``.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

SIZE = (1280, 860)


def _settle() -> None:
    """Run queued work until the window is still: the preflight list adds its rows a few per
    event-loop turn, and wrapped labels take another turn or two to reach their full height."""
    from PySide6.QtWidgets import QApplication

    for _ in range(40):
        QApplication.processEvents()


def _shoot(window: Any, path: Path) -> None:
    _settle()
    if not window.grab().save(str(path)):
        raise SystemExit(f"could not write {path}")
    print(path)


def scenes() -> list[tuple[str, Callable[[Any], Any]]]:
    """(file stem, action bringing the window to that state), in walking order. An action that
    opens a dialog returns it: the dialog is shot instead of the window."""
    def welcome(w: Any) -> None:
        w.go_to(0)

    def metadata(w: Any) -> None:
        w.start_sandbox()
        w.metadata_view.use_sample()
        w.go_to(0)

    def domain(w: Any) -> None:
        w.state.choose_domain("fabrikam.com")
        w.go_to(1)

    def preflight(w: Any) -> None:
        w.go_to(2)

    def review(w: Any) -> None:
        w.go_to(3)
        view = w.review_view
        for box in list(view.warning_boxes.values())[:2]:
            box.setChecked(True)

    def review_options(w: Any) -> None:
        view = w.review_view
        view.display_name_edit.setText("Fabrikam")
        view.use_options()  # plans again with the name: the result below shows it
        w.go_to(3)
        for box in list(view.warning_boxes.values())[:2]:
            box.setChecked(True)
        _settle()
        _scroll_to(view.scroll_area, view.plan_cards[1])

    def applied(w: Any) -> None:
        view = w.review_view
        for box in view.warning_boxes.values():
            box.setChecked(True)
        view.confirm_edit.setText(w.state.domain)
        view.apply()
        view.scroll_area.verticalScrollBar().setValue(0)

    def test_signin(w: Any) -> Any:
        w.open_signin_dialog()
        dialog = w.signin_dialog
        dialog.user.setText("ada.albers0@fabrikam.com")
        dialog.run_test()
        dialog.run_doctor()
        return dialog

    def overview(w: Any) -> None:
        from PySide6.QtCore import Qt

        w.signin_dialog.close()
        w.go_to(5)
        view = w.view(5)
        for row in range(view.table.rowCount()):
            if view.table.item(row, 0).data(Qt.ItemDataRole.UserRole) == w.state.domain:
                view.table.selectRow(row)

    def history(w: Any) -> None:
        w.go_to(4)
        view = w.history_view
        view.table.selectRow(0)
        _settle()
        _scroll_to(view.scroll_area, view.table, above=76)  # the Journal title too

    def reverted(w: Any) -> None:
        view = w.history_view
        view.refresh_domain()
        _settle()
        assert view.revert_confirm is not None
        view.revert_confirm.setText(w.state.domain)
        view.revert(w.state.domain)
        view.scroll_area.verticalScrollBar().setValue(0)

    def blocked(w: Any) -> None:
        w.state.choose_domain("contoso.com")
        w.go_to(2)

    return [("01-welcome", welcome), ("02-metadata", metadata), ("03-domain", domain),
            ("04-preflight", preflight), ("05-review", review),
            ("06-review-options", review_options), ("07-applied", applied),
            ("08-test-signin", test_signin), ("09-overview", overview),
            ("10-history", history), ("11-reverted", reverted),
            ("12-preflight-blocked", blocked)]


def _scroll_to(area: Any, widget: Any, above: int = 8) -> None:
    """Scroll so that ``widget`` starts near the top of the page, ``above`` pixels below it."""
    top = widget.mapTo(area.widget(), widget.rect().topLeft()).y()
    area.verticalScrollBar().setValue(max(0, top - above))


def generate(outdir: Path, scheme: str, size: tuple[int, int] = SIZE) -> list[Path]:
    from core.paths import resolve_paths
    from gui import theme
    from gui.app import build_window, create_app
    from gui.workers import ImmediateRunner

    os.environ[theme.THEME_ENV] = scheme
    app = create_app()
    theme.apply_theme(app)
    written: list[Path] = []
    with tempfile.TemporaryDirectory(prefix="federator-shots-") as home:
        window = build_window(resolve_paths(home), runner=ImmediateRunner())
        window.resize(*size)
        window.show()
        try:
            for stem, action in scenes():
                shown = action(window) or window
                path = outdir / f"{stem}-{scheme}.png"
                _shoot(shown, path)
                written.append(path)
        finally:
            window.state.shutdown()
            window.close()
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m gui.screenshots",
                                     description="Write PNG screenshots of every step.")
    parser.add_argument("outdir", type=Path, help="folder for the PNG files")
    parser.add_argument("--scheme", choices=("light", "dark", "both"), default="both")
    parser.add_argument("--size", default=f"{SIZE[0]}x{SIZE[1]}", metavar="WxH",
                        help="window size (check small screens: 1024x768; and a 150%% scale "
                             "with QT_SCALE_FACTOR=1.5)")
    args = parser.parse_args(argv)
    width, _x, height = args.size.partition("x")
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    args.outdir.mkdir(parents=True, exist_ok=True)
    for scheme in (("light", "dark") if args.scheme == "both" else (args.scheme,)):
        generate(args.outdir, scheme, (int(width), int(height)))
    return 0


if __name__ == "__main__":
    sys.exit(main())

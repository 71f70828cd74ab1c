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


def scenes() -> list[tuple[str, Callable[[Any], None]]]:
    """(file stem, action bringing the window to that state), in walking order."""
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

    def applied(w: Any) -> None:
        view = w.review_view
        for box in view.warning_boxes.values():
            box.setChecked(True)
        view.confirm_edit.setText(w.state.domain)
        view.apply()
        view.scroll_area.verticalScrollBar().setValue(0)

    def history(w: Any) -> None:
        w.go_to(4)
        w.history_view.table.selectRow(0)

    def blocked(w: Any) -> None:
        w.state.choose_domain("contoso.com")
        w.go_to(2)

    return [("01-welcome", welcome), ("02-metadata", metadata), ("03-domain", domain),
            ("04-preflight", preflight), ("05-review", review), ("06-applied", applied),
            ("07-history", history), ("08-preflight-blocked", blocked)]


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
                action(window)
                path = outdir / f"{stem}-{scheme}.png"
                _shoot(window, path)
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

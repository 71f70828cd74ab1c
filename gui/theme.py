"""Look and feel: Fusion in the system's light or dark scheme, status colours and recoloured icons.

Fusion is used on every platform because it follows a dark palette (the old ``windowsvista`` style
ignores dark mode). Colours are never hard-coded in views: they ask this module, which picks the
Windows 11 semantic colours for the current scheme, and status is always shown as icon + word +
colour together, never colour alone.
"""

from __future__ import annotations

import os
import sys
from functools import cache
from pathlib import Path

from PySide6.QtCore import QByteArray, Qt
from PySide6.QtGui import QColor, QGuiApplication, QIcon, QPainter, QPalette, QPixmap
from PySide6.QtWidgets import QApplication, QStyleFactory

THEME_ENV = "FEDERATOR_THEME"  # "light" / "dark": forces a scheme (screenshots, support)

# (light, dark) pairs: Windows 11 "Fluent" semantic colours, readable on each background.
_STATUS_COLOURS: dict[str, tuple[str, str]] = {
    "pass": ("#0F7B0F", "#6CCB5F"),
    "warn": ("#9D5D00", "#FCE100"),
    "fail": ("#C42B1C", "#FF99A4"),
    "manual": ("#005FB8", "#60CDFF"),
    "info": ("#005FB8", "#60CDFF"),
    "skipped": ("#6E6E6E", "#9E9E9E"),
}
_SANDBOX_COLOURS = ("#FFB900", "#FFB900")  # amber badge, dark text on it in both schemes
STATUS_WORDS = {"pass": "Pass", "warn": "Warning", "fail": "Fail", "manual": "Manual",
                "skipped": "Skipped", "info": "Info", "error": "Error", "warning": "Warning"}
# Findings use severities; map them onto the status vocabulary so they share icons and colours.
SEVERITY_STATUS = {"error": "fail", "warning": "warn", "info": "info"}


def resources_dir() -> Path:
    """``resources/`` from a source checkout, an installed package or a PyInstaller bundle."""
    frozen_root = getattr(sys, "_MEIPASS", None)
    if frozen_root:
        return Path(frozen_root) / "resources"
    return Path(__file__).resolve().parents[1] / "resources"


def scheme() -> str:
    """``"dark"`` or ``"light"``: the forced scheme, else the system's."""
    forced = os.environ.get(THEME_ENV, "").lower()
    if forced in ("light", "dark"):
        return forced
    app = QGuiApplication.instance()
    if (isinstance(app, QGuiApplication)
            and app.styleHints().colorScheme() == Qt.ColorScheme.Dark):
        return "dark"
    return "light"


def is_dark() -> bool:
    return scheme() == "dark"


def colour(status: str) -> QColor:
    status = SEVERITY_STATUS.get(status, status)
    light, dark = _STATUS_COLOURS.get(status, _STATUS_COLOURS["skipped"])
    return QColor(dark if is_dark() else light)


def sandbox_colour() -> QColor:
    return QColor(_SANDBOX_COLOURS[1 if is_dark() else 0])


def _dark_palette() -> QPalette:
    p = QPalette()
    window, base, text = QColor("#202020"), QColor("#2B2B2B"), QColor("#F3F3F3")
    disabled = QColor("#8A8A8A")
    roles = {
        QPalette.ColorRole.Window: window, QPalette.ColorRole.WindowText: text,
        QPalette.ColorRole.Base: base, QPalette.ColorRole.AlternateBase: QColor("#323232"),
        QPalette.ColorRole.ToolTipBase: QColor("#2B2B2B"), QPalette.ColorRole.ToolTipText: text,
        QPalette.ColorRole.PlaceholderText: QColor("#9A9A9A"), QPalette.ColorRole.Text: text,
        QPalette.ColorRole.Button: QColor("#2D2D2D"), QPalette.ColorRole.ButtonText: text,
        QPalette.ColorRole.BrightText: QColor("#FF99A4"),
        QPalette.ColorRole.Light: QColor("#3A3A3A"),
        QPalette.ColorRole.Midlight: QColor("#333333"), QPalette.ColorRole.Mid: QColor("#454545"),
        QPalette.ColorRole.Dark: QColor("#151515"), QPalette.ColorRole.Shadow: QColor("#000000"),
        QPalette.ColorRole.Highlight: QColor("#3E8ED0"),
        QPalette.ColorRole.HighlightedText: QColor("#FFFFFF"),
        QPalette.ColorRole.Link: QColor("#60CDFF"),
        QPalette.ColorRole.LinkVisited: QColor("#C8A2FF"),
        QPalette.ColorRole.Accent: QColor("#3E8ED0"),
    }
    for role, value in roles.items():
        p.setColor(role, value)
    for role in (QPalette.ColorRole.WindowText, QPalette.ColorRole.Text,
                 QPalette.ColorRole.ButtonText):
        p.setColor(QPalette.ColorGroup.Disabled, role, disabled)
    return p


def _light_palette() -> QPalette:
    style = QStyleFactory.create("Fusion")
    p = style.standardPalette()
    p.setColor(QPalette.ColorRole.Window, QColor("#F3F3F3"))
    p.setColor(QPalette.ColorRole.AlternateBase, QColor("#F7F7F7"))
    p.setColor(QPalette.ColorRole.Highlight, QColor("#005FB8"))
    p.setColor(QPalette.ColorRole.Link, QColor("#005FB8"))
    p.setColor(QPalette.ColorRole.Accent, QColor("#005FB8"))
    return p


_QSS = """
QFrame#card { background: palette(base); border: 1px solid palette(mid); border-radius: 6px; }
QLabel#cardTitle { font-weight: 600; font-size: 11pt; }
QLabel#viewTitle { font-size: 16pt; font-weight: 600; }
QLabel#viewIntro { color: palette(placeholder-text); }
QLabel#muted { color: palette(placeholder-text); }
QFrame#header { background: palette(base); border-bottom: 1px solid palette(mid); }
QLabel#appTitle { font-size: 13pt; font-weight: 700; }
QLabel#sandboxBadge { background: %(sandbox)s; color: #1B1B1B; font-weight: 700;
                      border-radius: 4px; padding: 3px 10px; }
QListWidget#steps { background: palette(window); border: none;
                    border-right: 1px solid palette(mid); outline: 0; }
QListWidget#steps::item { padding: 8px 10px; border-radius: 4px; margin: 2px 6px; }
QListWidget#steps::item:selected { background: palette(highlight);
                                   color: palette(highlighted-text); }
QFrame#dropZone { border: 2px dashed palette(mid); border-radius: 8px; background: palette(base); }
QFrame#dropZone[hover="true"] { border-color: palette(highlight); }
QFrame#banner { border-radius: 6px; border: 1px solid %(fail)s; background: palette(base); }
QFrame#bannerWarn { border-radius: 6px; border: 1px solid %(warn)s; background: palette(base); }
QFrame#bannerOk { border-radius: 6px; border: 1px solid %(pass)s; background: palette(base); }
QPushButton[primary="true"] { background: palette(highlight); color: palette(highlighted-text);
                              border: 1px solid palette(highlight); border-radius: 4px;
                              padding: 6px 16px; font-weight: 600; }
QPushButton[primary="true"]:disabled { background: palette(mid); color: palette(window);
                                       border-color: palette(mid); }
QPushButton[danger="true"] { background: %(fail)s; color: %(on_fail)s; border-radius: 4px;
                             border: 1px solid %(fail)s; padding: 6px 16px; font-weight: 600; }
QPushButton[danger="true"]:disabled { background: palette(mid); color: palette(window);
                                      border-color: palette(mid); }
QPlainTextEdit#code, QTextEdit#code { font-family: "Cascadia Mono", "Consolas", "DejaVu Sans Mono",
                                      monospace; }
"""


def apply_theme(app: QApplication) -> None:
    """Fusion plus the palette and style sheet of the current scheme; call again on a change."""
    app.setStyle("Fusion")
    dark = is_dark()
    app.setPalette(_dark_palette() if dark else _light_palette())
    values = {k: colour(k).name() for k in ("fail", "warn", "pass")}
    values["sandbox"] = sandbox_colour().name()
    values["on_fail"] = "#1B1B1B" if dark else "#FFFFFF"
    app.setStyleSheet(_QSS % values)
    icon.cache_clear()


def follow_system_scheme(app: QApplication) -> None:
    """Re-theme when Windows switches between light and dark while the app runs."""
    app.styleHints().colorSchemeChanged.connect(lambda _s: apply_theme(app))


@cache
def icon(name: str, status_colour: str | None = None) -> QIcon:
    """An SVG icon from ``resources/icons`` with ``currentColor`` set for the current scheme.

    ``status_colour`` is a status name (pass/warn/...) or None for the text colour.
    """
    path = resources_dir() / "icons" / f"{name}.svg"
    try:
        svg = path.read_text(encoding="utf-8")
    except OSError:
        return QIcon()
    if status_colour is not None:
        fill = colour(status_colour).name()
    else:
        fill = "#F3F3F3" if is_dark() else "#1B1B1B"
    inner = "#1B1B1B" if (is_dark() and status_colour in ("pass", "warn", "fail", "manual", "info")
                          ) else "#ffffff"
    svg = svg.replace("currentColor", fill).replace("#ffffff", inner)
    from PySide6.QtSvg import QSvgRenderer

    renderer = QSvgRenderer(QByteArray(svg.encode("utf-8")))
    result = QIcon()
    if not renderer.isValid():
        return result
    for size in (16, 20, 24, 32, 48, 64):
        pixmap = QPixmap(size, size)
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        renderer.render(painter)
        painter.end()
        result.addPixmap(pixmap)
    return result


def status_icon(status: str) -> QIcon:
    status = SEVERITY_STATUS.get(status, status)
    return icon(f"status-{status}", status)


def app_icon() -> QIcon:
    """The packaging engineer's app icon when present; an empty icon otherwise."""
    folder = resources_dir() / "icons"
    for name in ("federator.svg", "federator.ico", "federator.png"):
        candidate = folder / name
        if candidate.is_file():
            return QIcon(str(candidate))
    return QIcon()

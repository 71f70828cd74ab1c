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

from PySide6.QtCore import QByteArray, QRect, QSize
from PySide6.QtGui import (
    QColor,
    QGuiApplication,
    QIcon,
    QIconEngine,
    QPainter,
    QPalette,
    QPixmap,
)
from PySide6.QtWidgets import QApplication

from core.check_status import STATUS_WORDS as CHECK_STATUS_WORDS

# Startup note: nothing here touches PySide6's ``Qt`` namespace before the first paint. Its ~100
# Python enums are built on first use, which costs 15 ms (a tenth of a bare Qt window's start).

THEME_ENV = "FEDERATOR_THEME"  # "light" / "dark": forces a scheme (screenshots, support)

# (light, dark) pairs: Windows 11 "Fluent" semantic colours, readable on each background.
_STATUS_COLOURS: dict[str, tuple[str, str]] = {
    "pass": ("#0F7B0F", "#6CCB5F"),
    "warn": ("#9D5D00", "#FCE100"),
    "fail": ("#C42B1C", "#FF99A4"),
    "unknown": ("#8764B8", "#D6B4FF"),
    "manual": ("#005FB8", "#60CDFF"),
    "info": ("#005FB8", "#60CDFF"),
    "skipped": ("#6E6E6E", "#9E9E9E"),
}
_SANDBOX_COLOURS = ("#FFB900", "#FFB900")  # amber badge, dark text on it in both schemes
# A check's status reads as core says (core.check_status); findings' severities and "info" too.
STATUS_WORDS = {**CHECK_STATUS_WORDS, "info": "Info", "error": "Error", "warning": "Warning"}
# Findings use severities; map them onto the status vocabulary so they share icons and colours.
SEVERITY_STATUS = {"error": "fail", "warning": "warn", "info": "info"}


def resources_dir() -> Path:
    """``resources/`` from a source checkout, an installed package or a PyInstaller bundle."""
    frozen_root = getattr(sys, "_MEIPASS", None)
    if frozen_root:
        return Path(frozen_root) / "resources"
    return Path(__file__).resolve().parents[1] / "resources"


_PERSONALIZE_KEY = "Software\\Microsoft\\Windows\\CurrentVersion\\Themes\\Personalize"
_system_scheme: str | None = None  # learnt once, then kept current by follow_system_scheme()


def scheme() -> str:
    """``"dark"`` or ``"light"``: the forced scheme, else the system's."""
    global _system_scheme
    forced = os.environ.get(THEME_ENV, "").lower()
    if forced in ("light", "dark"):
        return forced
    if _system_scheme is None:
        _system_scheme = _detect_system_scheme()
    return _system_scheme


def _detect_system_scheme() -> str:
    """The system's scheme at start, read without ``QStyleHints.colorScheme()`` (whose enum
    would build the whole ``Qt`` namespace before the first paint)."""
    if sys.platform == "win32":
        # The per-user "app mode" Windows itself (and Qt's Windows theme) reads.
        try:
            import winreg

            with winreg.OpenKey(winreg.HKEY_CURRENT_USER, _PERSONALIZE_KEY) as key:
                light, _kind = winreg.QueryValueEx(key, "AppsUseLightTheme")
            return "light" if light else "dark"
        except OSError:
            return "light"
    # Elsewhere the platform theme's palette says it (read before apply_theme sets ours).
    app = QGuiApplication.instance()
    if isinstance(app, QGuiApplication) and not app.property("federator_themed_palette"):
        window = QGuiApplication.palette().color(QPalette.ColorRole.Window)
        return "dark" if window.lightness() < 128 else "light"
    return "light"


def is_dark() -> bool:
    return scheme() == "dark"


def colour(status: str) -> QColor:
    status = SEVERITY_STATUS.get(status, status)
    light, dark = _STATUS_COLOURS.get(status, _STATUS_COLOURS["skipped"])
    return QColor(dark if is_dark() else light)


def sandbox_colour() -> QColor:
    return QColor(_SANDBOX_COLOURS[1 if is_dark() else 0])


def _palette(colours: dict[str, str], disabled_text: str,
             disabled: dict[str, str] | None = None) -> QPalette:
    p = QPalette()
    for role, value in colours.items():
        p.setColor(getattr(QPalette.ColorRole, role), QColor(value))
    for role in ("WindowText", "Text", "ButtonText"):
        p.setColor(QPalette.ColorGroup.Disabled, getattr(QPalette.ColorRole, role),
                   QColor(disabled_text))
    for role, value in (disabled or {}).items():
        p.setColor(QPalette.ColorGroup.Disabled, getattr(QPalette.ColorRole, role),
                   QColor(value))
    return p


def _dark_palette() -> QPalette:
    return _palette({
        "Window": "#202020", "WindowText": "#F3F3F3", "Base": "#2B2B2B",
        "AlternateBase": "#323232", "ToolTipBase": "#2B2B2B", "ToolTipText": "#F3F3F3",
        "PlaceholderText": "#9A9A9A", "Text": "#F3F3F3", "Button": "#2D2D2D",
        "ButtonText": "#F3F3F3", "BrightText": "#FF99A4", "Light": "#3A3A3A",
        "Midlight": "#333333", "Mid": "#454545", "Dark": "#151515", "Shadow": "#000000",
        # White on this blue is 5.6:1 (WCAG AA); the lighter #3E8ED0 was 3.5:1.
        "Highlight": "#1F6AB3", "HighlightedText": "#FFFFFF", "Link": "#60CDFF",
        "LinkVisited": "#C8A2FF", "Accent": "#1F6AB3",
    }, disabled_text="#8A8A8A")


def _light_palette() -> QPalette:
    # Fusion's own light palette with Windows 11's window grey and accent blue, written out
    # (asking a QStyle for its standardPalette() costs startup time), and muted text at 5:1.
    return _palette({
        "Window": "#F3F3F3", "WindowText": "#000000", "Base": "#FFFFFF",
        "AlternateBase": "#F7F7F7", "ToolTipBase": "#FFFFDC", "ToolTipText": "#000000",
        "PlaceholderText": "#646464", "Text": "#000000", "Button": "#EFEFEF",
        "ButtonText": "#000000", "BrightText": "#FFFFFF", "Light": "#FFFFFF",
        "Midlight": "#CACACA", "Mid": "#B8B8B8", "Dark": "#9F9F9F", "Shadow": "#767676",
        "Highlight": "#005FB8", "HighlightedText": "#FFFFFF", "Link": "#005FB8",
        "LinkVisited": "#6B2FBA", "Accent": "#005FB8",
    }, disabled_text="#BEBEBE", disabled={"Base": "#EFEFEF", "Dark": "#BEBEBE",
                                          "Shadow": "#B1B1B1", "Highlight": "#919191",
                                          "Accent": "#919191"})


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
QPushButton[primary="true"]:disabled { background: palette(midlight);
                                       color: palette(placeholder-text);
                                       border-color: palette(mid); }
QPushButton[danger="true"] { background: %(fail)s; color: %(on_fail)s; border-radius: 4px;
                             border: 1px solid %(fail)s; padding: 6px 16px; font-weight: 600; }
QPushButton[danger="true"]:disabled { background: palette(midlight);
                                      color: palette(placeholder-text);
                                      border-color: palette(mid); }
QHeaderView::section { padding: 3px 8px; }
QPushButton[link="true"] { color: palette(link); text-decoration: underline; border: none;
                           background: transparent; padding: 2px 0px; }
"""

# Keyboard focus is always visible (WCAG 2.4.7,
# https://www.w3.org/WAI/WCAG22/Understanding/focus-visible): the styled buttons lose Fusion's
# focus frame, and the step list had none.
_FOCUS_QSS = """
QPushButton[primary="true"]:focus, QPushButton[danger="true"]:focus {
    border: 2px solid palette(window-text); }
QListWidget#steps::item:focus { border: 2px solid palette(window-text); }
QPushButton[link="true"]:focus { border: 1px solid palette(window-text); }
QListWidget:focus, QTableWidget:focus, QPlainTextEdit:focus {
    border: 2px solid palette(highlight); }
QLabel#dropOverlay { border: 3px dashed palette(highlight); border-radius: 10px;
                     background: palette(base); color: palette(text); font-size: 14pt;
                     font-weight: 600; }
QPlainTextEdit#code, QTextEdit#code { font-family: "Cascadia Mono", "Consolas", "DejaVu Sans Mono",
                                      monospace; }
"""


def high_contrast() -> bool:
    """Windows' High Contrast (a contrast theme) is on: the system's colours must be used as
    they are (https://learn.microsoft.com/windows/apps/design/accessibility/high-contrast-themes).
    ``FEDERATOR_HIGH_CONTRAST=1`` forces it (tests, other platforms)."""
    forced = os.environ.get("FEDERATOR_HIGH_CONTRAST", "")
    if forced:
        return forced not in ("0", "false", "no")
    if sys.platform != "win32":
        return False
    import ctypes
    from ctypes import wintypes

    class _HighContrast(ctypes.Structure):
        _fields_ = [("cbSize", wintypes.UINT), ("dwFlags", wintypes.DWORD),
                    ("lpszDefaultScheme", wintypes.LPWSTR)]

    spi_gethighcontrast, hcf_highcontrast_on = 0x0042, 0x1
    info = _HighContrast()
    info.cbSize = ctypes.sizeof(info)
    windll = getattr(ctypes, "windll", None)
    if windll is None:
        return False
    try:
        ok = windll.user32.SystemParametersInfoW(spi_gethighcontrast, info.cbSize,
                                                 ctypes.byref(info), 0)
    except (AttributeError, OSError):
        return False
    return bool(ok) and bool(info.dwFlags & hcf_highcontrast_on)


def apply_theme(app: QApplication) -> None:
    """The palette and style sheet of the current scheme (the style, Fusion, is chosen when the
    application is created: see ``gui.app.create_app``); call again on a change. Under High
    Contrast the system's palette stays and only the layout and focus rules apply."""
    if high_contrast():
        app.setProperty("federator_themed_palette", False)  # the platform's palette, not ours
        app.setPalette(QPalette())  # an empty palette: the platform's own colours
        app.setStyleSheet(_FOCUS_QSS)
        icon.cache_clear()
        return
    dark = is_dark()
    app.setProperty("federator_themed_palette", True)
    app.setPalette(_dark_palette() if dark else _light_palette())
    values = {k: colour(k).name() for k in ("fail", "warn", "pass")}
    values["sandbox"] = sandbox_colour().name()
    values["on_fail"] = "#1B1B1B" if dark else "#FFFFFF"
    app.setStyleSheet(_QSS % values + _FOCUS_QSS)
    icon.cache_clear()


def follow_system_scheme(app: QApplication) -> None:
    """Re-theme when Windows switches between light and dark while the app runs."""
    def changed(new_scheme: object) -> None:
        from PySide6.QtCore import Qt

        global _system_scheme
        _system_scheme = "dark" if new_scheme == Qt.ColorScheme.Dark else "light"
        apply_theme(app)

    app.styleHints().colorSchemeChanged.connect(changed)


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
    inner = "#1B1B1B" if (is_dark() and status_colour in ("pass", "warn", "fail", "unknown",
                                                          "manual", "info")) else "#ffffff"
    svgs = {QIcon.Mode.Normal: svg.replace("currentColor", fill).replace("#ffffff", inner)}
    if status_colour is None:
        # Monochrome icons on a selected (highlighted) row take the highlighted-text colour.
        svgs[QIcon.Mode.Selected] = svg.replace("currentColor", "#FFFFFF")
    return QIcon(_SvgIconEngine(svgs))


class _SvgIconEngine(QIconEngine):
    """Draws a recoloured SVG at the size and mode asked for, the first time it is asked.

    Crisp at any scale, and nothing is rendered at startup for sizes no widget shows (rendering
    every size of every icon up front was a tenth of the time to the first paint).
    """

    def __init__(self, svgs: dict[QIcon.Mode, str]) -> None:
        super().__init__()
        self._svgs = svgs
        self._pixmaps: dict[tuple[int, int, QIcon.Mode], QPixmap] = {}

    def pixmap(self, size: QSize, mode: QIcon.Mode, state: QIcon.State) -> QPixmap:
        key = (size.width(), size.height(), mode)
        cached = self._pixmaps.get(key)
        if cached is not None:
            return cached
        from PySide6.QtSvg import QSvgRenderer

        svg = self._svgs.get(mode) or self._svgs[QIcon.Mode.Normal]
        pixmap = QPixmap(size)
        pixmap.fill(QColor(0, 0, 0, 0))
        renderer = QSvgRenderer(QByteArray(svg.encode("utf-8")))
        if renderer.isValid() and not size.isEmpty():
            painter = QPainter(pixmap)
            if mode == QIcon.Mode.Disabled:
                painter.setOpacity(0.45)
            renderer.render(painter)
            painter.end()
        self._pixmaps[key] = pixmap
        return pixmap

    def paint(self, painter: QPainter, rect: QRect, mode: QIcon.Mode,
              state: QIcon.State) -> None:
        ratio = painter.device().devicePixelRatioF() if painter.device() is not None else 1.0
        pixmap = QPixmap(self.pixmap(rect.size() * ratio, mode, state))  # a copy: cache stays
        pixmap.setDevicePixelRatio(ratio)
        painter.drawPixmap(rect, pixmap)

    def clone(self) -> QIconEngine:
        return _SvgIconEngine(self._svgs)

    def key(self) -> str:
        return "federator-svg"


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

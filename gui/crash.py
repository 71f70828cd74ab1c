"""The last net: an unexpected exception becomes a report file and a dialog, never a silent death.

The report holds the traceback (scrubbed of tokens by ``core.logs.scrub``), versions and platform;
no tenant data, no metadata, no tokens. The dialog says where the file is, so the admin can attach
it to a bug report.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from types import TracebackType

    from core.paths import Paths

log = logging.getLogger(__name__)


def write_crash_report(crash_dir: Path, exc_type: type[BaseException], exc: BaseException,
                       tb: TracebackType | None) -> Path:
    """Write ``crash-<UTC time>.txt`` into ``crash_dir`` and return its path."""
    import platform
    import traceback
    from datetime import UTC, datetime

    from PySide6 import __version__ as pyside_version

    from core import __version__
    from core.logs import open_private, private_folder, scrub

    private_folder(crash_dir)
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S-%f")
    path = crash_dir / f"crash-{stamp}.txt"
    lines = [
        "Federator crash report",
        f"time: {datetime.now(UTC).isoformat(timespec='seconds')}",
        f"federator: {__version__}",
        f"python: {sys.version.split()[0]}  PySide6: {pyside_version}",
        f"platform: {platform.platform()}",
        "",
        "".join(traceback.format_exception(exc_type, exc, tb)),
    ]
    with open_private(path, "w") as handle:
        handle.write(scrub("\n".join(lines)))
    return path


def install_excepthook(paths: Paths) -> None:
    """Route uncaught exceptions (including those raised in Qt slots) to a report and a dialog."""
    previous = sys.excepthook

    def hook(exc_type: type[BaseException], exc: BaseException,
             tb: TracebackType | None) -> None:
        if issubclass(exc_type, KeyboardInterrupt):
            previous(exc_type, exc, tb)
            return
        log.error("unexpected error", exc_info=(exc_type, exc, tb))
        try:
            report = write_crash_report(paths.crash_dir, exc_type, exc, tb)
        except OSError:
            report = None
        show_crash_dialog(exc, report, paths)

    sys.excepthook = hook


def show_crash_dialog(exc: BaseException, report: Path | None, paths: Paths) -> None:
    from PySide6.QtCore import QUrl
    from PySide6.QtGui import QDesktopServices
    from PySide6.QtWidgets import QApplication, QMessageBox

    from core.logs import scrub

    if QApplication.instance() is None:
        return
    box = QMessageBox()
    box.setIcon(QMessageBox.Icon.Critical)
    box.setWindowTitle("Federator: unexpected error")
    box.setText("Something went wrong inside Federator. Your tenant was not changed by this error "
                "itself; check History before trying again.")
    where = (f"A report (no passwords or tokens) was saved to:\n{report}" if report
             else f"The report could not be written; see the log in {paths.logs}.")
    box.setInformativeText(f"{type(exc).__name__}: {scrub(str(exc))[:300]}\n\n{where}")
    from gui.widgets import plain_dialog_labels

    plain_dialog_labels(box)  # the error's text may quote a server's answer
    open_button = box.addButton("Open folder", QMessageBox.ButtonRole.ActionRole)
    box.addButton(QMessageBox.StandardButton.Close)
    box.exec()
    if box.clickedButton() is open_button and report is not None:
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(report.parent)))

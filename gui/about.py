"""Help and About: the version and licence, and where Federator keeps its log and its journal,
with a button to open each folder (an admin asked for the log, or backing up the journal, should
not have to know a per-user path)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QHBoxLayout, QVBoxLayout, QWidget

from gui.widgets import label, learn_button, text_button

if TYPE_CHECKING:
    from core.paths import Paths

LICENCE = "MIT"
HELP_URL = ("https://learn.microsoft.com/entra/identity/hybrid/connect/"
            "how-to-connect-fed-saml-idp")


class AboutDialog(QDialog):
    """Version, licence, the folders of the log and the journal (each with Open folder)."""

    def __init__(self, paths: Paths, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        from core import __version__

        self.setWindowTitle("Help and About Federator")
        self.opened: list[Path] = []  # what Open folder asked the desktop to show (tests)
        layout = QVBoxLayout(self)
        layout.addWidget(label(f"Federator {__version__}", name="appTitle"))
        layout.addWidget(label(f"License: {LICENCE}. Federator federates a Microsoft 365 domain "
                               "with a SAML 2.0 identity provider, and reverts it, safely: "
                               "every change is checked first, recorded with its way back, and "
                               "read back after.", wrap=True))
        layout.addWidget(label("How to use it: open the IdP's metadata (step 1), choose the "
                               "domain (step 2), read the preflight checks (step 3), review "
                               "and apply (step 4); History (step 5) undoes any change.",
                               wrap=True))
        self.folders: dict[str, Path] = {"Log": paths.logs, "Journal": paths.journal_dir}
        for name, folder in self.folders.items():
            row = QHBoxLayout()
            row.addWidget(label(f"{name} folder: {folder}", wrap=True, selectable=True), 1)
            button = text_button("Open folder")
            button.setAccessibleName(f"Open the {name.lower()} folder")
            button.clicked.connect(lambda _c=False, f=folder: self.open_folder(f))
            row.addWidget(button)
            layout.addLayout(row)
        layout.addWidget(learn_button(HELP_URL, "federating a domain with a SAML 2.0 IdP"))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def open_folder(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.opened.append(folder)
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder)))

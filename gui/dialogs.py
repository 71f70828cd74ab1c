"""Small dialogs: connecting a real tenant for the first time; choosing to replace a federation
configuration Graph keeps refusing to update.

Sign-in needs an app (client) id: the admin's own app registration, or Microsoft Graph Command Line
Tools' public client as the documented alternative. This dialog stores that choice through
``core.config`` and offers the sandbox instead, so nobody is stuck at the first click.
"""

from __future__ import annotations

from html import escape

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from core.paths import Paths
from gui.widgets import label


class TenantSetupDialog(QDialog):
    """Asks for the app (client) id and tenant, or sends the admin to the sandbox."""

    def __init__(self, paths: Paths, parent: QWidget | None = None) -> None:
        from core.clouds import CHINA, GLOBAL, US_GOV, US_GOV_DOD
        from core.config import GRAPH_CLI_CLIENT_ID, load_tenant_config

        super().__init__(parent)
        self.paths = paths
        self.chose_sandbox = False
        self.setWindowTitle("Connect to your Microsoft 365 tenant")
        layout = QVBoxLayout(self)
        layout.addWidget(label(
            "Federator signs in with an app registration in your tenant (see the README, "
            "'Signing in to your tenant'). You can instead use Microsoft Graph Command Line "
            "Tools' public app, which Microsoft publishes for admin tools.", wrap=True))
        form = QFormLayout()
        config = load_tenant_config(paths)
        self.client_id = QLineEdit(config.client_id or "")
        self.client_id.setPlaceholderText("00000000-0000-0000-0000-000000000000")
        self.client_id.setAccessibleName("Application (client) ID")
        use_cli = QPushButton("Use Graph Command Line Tools")
        use_cli.clicked.connect(lambda: self.client_id.setText(GRAPH_CLI_CLIENT_ID))
        self.tenant = QLineEdit(config.tenant)
        self.tenant.setAccessibleName("Tenant ID or domain")
        self.cloud = QComboBox()
        for cloud in (GLOBAL, US_GOV, US_GOV_DOD, CHINA):
            self.cloud.addItem(cloud.title, cloud.name)
        self.cloud.setCurrentIndex(max(0, self.cloud.findData(config.cloud)))
        self.cloud.setAccessibleName("Cloud")
        form.addRow("Application (client) ID", self.client_id)
        form.addRow("", use_cli)
        form.addRow("Tenant (ID or domain)", self.tenant)
        form.addRow("Cloud", self.cloud)
        layout.addLayout(form)
        buttons = QDialogButtonBox()
        sandbox = buttons.addButton("Try the sandbox tenant instead",
                                    QDialogButtonBox.ButtonRole.ResetRole)
        sandbox.clicked.connect(self._sandbox)
        self.ok = buttons.addButton("Save and sign in", QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self._save)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def _sandbox(self) -> None:
        self.chose_sandbox = True
        self.reject()

    def _save(self) -> None:
        from core.config import (
            TenantConfig,
            choose_cloud,
            load_tenant_config,
            save_tenant_config,
        )

        client_id = self.client_id.text().strip()
        if not client_id:
            self.client_id.setFocus()
            return
        config: TenantConfig = load_tenant_config(self.paths)
        config.client_id = client_id
        config.tenant = self.tenant.text().strip() or "organizations"
        choose_cloud(config, str(self.cloud.currentData()))
        save_tenant_config(self.paths, config)
        self.accept()


class ChoiceDialog(QDialog):
    """A choice with consequences, stated before it is made: the text says what happens, Cancel
    is the default, and only ``accept_button`` (named for the action) accepts."""

    def __init__(self, title: str, text: str, accept_label: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setModal(True)
        layout = QVBoxLayout(self)
        # Rich text: the subclasses build it from html.escape'd parts.
        self.text = label(text, wrap=True, rich=True)
        layout.addWidget(self.text)
        buttons = QDialogButtonBox()
        self.accept_button = buttons.addButton(accept_label,
                                               QDialogButtonBox.ButtonRole.AcceptRole)
        self.cancel_button = buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.cancel_button.setDefault(True)
        self.accept_button.setAutoDefault(False)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)


class ReplaceConfigurationDialog(ChoiceDialog):
    """Graph kept refusing to update the federation configuration, and nothing changed: says
    what replacing it does (the domain is Managed in between) and lets the admin choose it."""

    def __init__(self, domain: str, parent: QWidget | None = None) -> None:
        from core.operations.actions import REPLACE_WHAT

        super().__init__("Replace the federation configuration?",
                         f"Microsoft Graph kept refusing to update the federation of "
                         f"<b>{escape(domain)}</b>; nothing was changed. "
                         f"{escape(REPLACE_WHAT)} Replace it now?",
                         "Replace the configuration", parent)
        self.replace_button = self.accept_button


class OverwriteDialog(ChoiceDialog):
    """A restore was refused because it would undo a later change: names it, and lets the admin
    restore anyway (the command line's ``--force``)."""

    def __init__(self, refusal: str, parent: QWidget | None = None) -> None:
        said = refusal.replace(" Nothing was changed.", "").strip()
        super().__init__("Undo a later change?",
                         f"{escape(said)} Nothing was changed so far. Restore anyway, undoing "
                         "that change?", "Restore anyway", parent)

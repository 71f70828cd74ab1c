"""Small dialogs: connecting a real tenant for the first time.

Sign-in needs an app (client) id: the admin's own app registration, or Microsoft Graph Command Line
Tools' public client as the documented alternative. This dialog stores that choice through
``core.config`` and offers the sandbox instead, so nobody is stuck at the first click.
"""

from __future__ import annotations

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

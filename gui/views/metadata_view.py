"""Step 1: open the IdP's metadata and see everything it says, as an admin would want to read it.

A drop zone, Open…, From URL… and recent files; a picker when the file is an aggregate of several
IdPs; then cards for the IdP, its endpoints, its certificates, the values Graph will receive, the
signature status and the findings with their remedies. All reading and judging is core's.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6 import QtCore
from PySide6.QtCore import QSize, Signal
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from core.textsafe import elide_middle
from gui import settings as gui_settings
from gui import theme
from gui.settings import GuiSettings
from gui.state import AppState
from gui.views.base import StepView
from gui.widgets import (
    MAX_LABEL_CHARS,
    USER_ROLE,
    Card,
    DropZone,
    KeyValues,
    StatusLabel,
    ValidityBar,
    clear_layout,
    copy_button,
    label,
    markup,
    plural,
    text_button,
)
from gui.workers import Task

# Absurd metadata (7,000 certificates, thousands of findings) must not freeze the window: the
# first ones are shown with a count of the rest (federator inspect and --json list them all).
MAX_CERTIFICATES_SHOWN = 20
MAX_ROWS_SHOWN = 50

GRAPH_LABELS = {
    "issuerUri": "Issuer URI",
    "passiveSignInUri": "Passive sign-in URI",
    "activeSignInUri": "Active sign-in URI",
    "signOutUri": "Sign-out URI",
    "signingCertificate": "Signing certificate",
    "nextSigningCertificate": "Next signing certificate",
    "preferredAuthenticationProtocol": "Preferred protocol",
    "displayName": "Display name",
    "federatedIdpMfaBehavior": "MFA behavior",
    "promptLoginBehavior": "Prompt-login behavior",
}


class MetadataView(StepView):
    """Open metadata and show it."""

    try_sandbox = Signal()

    def __init__(self, state: AppState, settings: GuiSettings,
                 parent: QWidget | None = None) -> None:
        super().__init__(state, "Identity provider metadata",
                         "Open the SAML 2.0 metadata your identity provider (JumpCloud, Okta, "
                         "Google, AD FS…) exports. Nothing is sent anywhere by reading it.",
                         next_label="Next: choose the domain  →", parent=parent)
        self.settings = settings
        self.pending_source: str | None = None
        self._shown_md: Any = None
        self.load_status: Any = None  # "Reading …" while a file or URL is read
        # The toolbar shown once something is loaded, and the recent-files list, are built when
        # first needed: widgets made before the first paint are styled before it too.
        self.toolbar = QHBoxLayout()
        self.content.addLayout(self.toolbar)
        self._toolbar_built = False
        self.recent_list: QListWidget | None = None

        self.empty = self._build_empty()
        self.content.addWidget(self.empty)
        self._picker: Card | None = None  # built for the first aggregate file only
        self.cards = QWidget()
        self.cards_layout = QVBoxLayout(self.cards)
        self.cards_layout.setContentsMargins(0, 0, 0, 0)
        self.cards_layout.setSpacing(12)
        self.content.addWidget(self.cards)
        self.content.addStretch(1)
        state.metadata_changed.connect(self.refresh_view)
        state.session_changed.connect(self._update_sandbox_actions)
        self.refresh_view()

    # -- building -----------------------------------------------------------------------------

    def _build_empty(self) -> QWidget:
        zone = DropZone()
        zone.dropped.connect(self.open_source)
        layout = QVBoxLayout(zone)
        layout.setContentsMargins(28, 24, 28, 24)
        layout.setSpacing(10)
        for line in (label("Drop a metadata file here", name="cardTitle"),
                     label("…or open it from disk or from your IdP's metadata URL.",
                           name="muted")):
            centred = QHBoxLayout()  # stretches either side: no Qt enum before the first paint
            centred.addStretch(1)
            centred.addWidget(line)
            centred.addStretch(1)
            layout.addLayout(centred)
        row = QHBoxLayout()
        row.addStretch(1)
        open_big = text_button("Open metadata file…", primary=True)
        open_big.clicked.connect(self.choose_file)
        url_big = text_button("From URL…")
        url_big.clicked.connect(self.choose_url)
        row.addWidget(open_big)
        row.addWidget(url_big)
        row.addStretch(1)
        layout.addLayout(row)
        self.recent_title = label("Recent files", name="muted")
        layout.addWidget(self.recent_title)
        self._empty_layout = layout
        # First start / demo: two clear ways to try the whole flow without a real tenant.
        sandbox_row = QHBoxLayout()
        sandbox_row.addStretch(1)
        self.sandbox_hint = label("New here? Walk the whole flow on a demo tenant, no Microsoft "
                                  "account needed.", name="muted")
        self.try_button = text_button("Try it on a sandbox tenant", primary=True)
        self.try_button.clicked.connect(self.try_sandbox)
        self.sample_button = text_button("Use the sandbox's sample IdP", primary=True)
        self.sample_button.setToolTip("Load a JumpCloud-style IdP that the sandbox tenant trusts")
        self.sample_button.clicked.connect(self.use_sample)
        sandbox_row.addWidget(self.sandbox_hint)
        sandbox_row.addWidget(self.try_button)
        sandbox_row.addWidget(self.sample_button)
        sandbox_row.addStretch(1)
        layout.addSpacing(8)
        layout.addLayout(sandbox_row)
        return zone

    @property
    def picker(self) -> Card:
        """The entity picker for aggregate metadata, under the drop zone."""
        if self._picker is None:
            self._picker = self._build_picker()
            self.content.insertWidget(self.content.indexOf(self.empty) + 1, self._picker)
        return self._picker

    def _build_picker(self) -> Card:
        from PySide6.QtWidgets import QLineEdit  # loaded on first use: see gui.widgets

        card = Card("This file describes several identity providers")
        card.body.addWidget(label("Pick the one you are federating with. Type to filter.",
                                  wrap=True))
        self.picker_filter = QLineEdit()
        self.picker_filter.setPlaceholderText("Filter entity IDs")
        self.picker_filter.setAccessibleName("Filter entity IDs")
        self.picker_filter.textChanged.connect(self._filter_entities)
        self.picker_filter.returnPressed.connect(self._pick_single)
        self.picker_list = QListWidget()
        self.picker_list.setAccessibleName("Identity providers in this file")
        self.picker_list.setMinimumHeight(180)
        self.picker_list.itemActivated.connect(lambda _i: self.use_picked())
        use = text_button("Use this identity provider", primary=True)
        use.clicked.connect(self.use_picked)
        card.body.addWidget(self.picker_filter)
        card.body.addWidget(self.picker_list)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(use)
        card.body.addLayout(row)
        card.hide()
        return card

    # -- actions ------------------------------------------------------------------------------

    def _ensure_toolbar(self) -> None:
        if self._toolbar_built:
            return
        self._toolbar_built = True
        from PySide6.QtWidgets import QMenu  # ~1 ms to load: not before the first paint

        from gui.elided_label import ElidedLabel

        # A long path must not make the page wider than the window: the line takes the room
        # left beside the buttons, cut in the middle with "…" (the tooltip holds it whole).
        self.source_label = ElidedLabel()
        self.source_label.setObjectName("muted")
        self.open_button = QPushButton(theme.icon("open"), "Open file…")
        self.open_button.setToolTip("Open a metadata file (Ctrl+O)")
        self.open_button.clicked.connect(self.choose_file)
        self.url_button = QPushButton("From URL…")
        self.url_button.clicked.connect(self.choose_url)
        # A push button with a menu: Fusion draws its arrow beside the text, not over it.
        self.recent_button = QPushButton("Recent files")
        self.recent_button.setAccessibleName("Recent metadata files")
        self.recent_menu = QMenu(self.recent_button)
        self.recent_button.setMenu(self.recent_menu)
        self.toolbar.addWidget(self.source_label, 1)
        self.toolbar.addWidget(self.open_button)
        self.toolbar.addWidget(self.url_button)
        self.toolbar.addWidget(self.recent_button)

    def _ensure_recent_list(self) -> QListWidget:
        if self.recent_list is None:
            self.recent_list = QListWidget()
            self.recent_list.setAccessibleName("Recent metadata files")
            self.recent_list.setMaximumHeight(150)
            # One click opens (it is a list of links, not of things to select first); Enter too.
            self.recent_list.itemClicked.connect(
                lambda item: self.open_source(item.data(USER_ROLE)))
            self.recent_list.itemActivated.connect(
                lambda item: self.open_source(item.data(USER_ROLE)))
            below_title = self._empty_layout.indexOf(self.recent_title) + 1
            self._empty_layout.insertWidget(below_title, self.recent_list)
        return self.recent_list

    def choose_file(self) -> None:
        start = str(Path(self.settings.recent_files[0]).parent) if self.settings.recent_files \
            else str(Path.home())
        from PySide6.QtWidgets import QFileDialog

        path, _ = QFileDialog.getOpenFileName(self, "Open IdP metadata", start,
                                              "SAML metadata (*.xml);;All files (*)")
        if path:
            self.open_source(str(Path(path)))  # C:/... from Qt, shown as C:\... on Windows

    def choose_url(self) -> None:
        from PySide6.QtWidgets import QInputDialog

        url, ok = QInputDialog.getText(self, "Metadata from URL",
                                       "Your IdP's metadata URL (https://…):")
        if ok and url.strip():
            self.open_source(url.strip())

    def reload(self) -> None:
        """F5: read the open file (or URL) again: the IdP may have published new metadata."""
        source = self.state.metadata_source
        if source and source == self.state.sample_metadata_source:
            self.state.load_sample_metadata()
        elif source:
            self.open_source(source)

    def use_sample(self) -> None:
        self.banner.hide()
        self.state.load_sample_metadata()

    def open_source(self, source: str, entity: str | None = None) -> Task:
        self.banner.hide()
        self.pending_source = source
        if self.load_status is None:  # made on first use: nothing reads before the first paint
            from gui.widgets import LoadStatus

            self.load_status = LoadStatus()
            self.content.insertWidget(1, self.load_status)
        self.load_status.show_loading(f"Reading {source}…")
        return self.state.load_metadata(source, entity=entity, on_error=self._load_failed)

    def _load_failed(self, error: BaseException) -> None:
        if self.load_status is not None:
            self.load_status.clear()  # the banner says why; Open, Recent and F5 try again
        code = getattr(error, "code", "")
        details = getattr(error, "details", {}) or {}
        if code == "multiple_identity_providers" and details.get("entity_ids"):
            self._show_picker([str(e) for e in details["entity_ids"]])
            return
        if self._picker is not None:
            self._picker.hide()
        self.banner.show_error(error)

    def _show_picker(self, entity_ids: list[str]) -> None:
        picker = self.picker  # builds it (and picker_list) the first time
        self.picker_list.clear()
        for entity in entity_ids:
            item = QListWidgetItem(entity)
            self.picker_list.addItem(item)
        self.picker_list.setCurrentRow(0)
        self.picker_filter.clear()
        self.empty.hide()
        # Until a choice is made, the previous IdP is not "the" metadata on screen, and Next
        # would carry it on: both wait for the pick.
        self.cards.hide()
        if self._toolbar_built:
            self.source_label.setText(f"Choose an identity provider in {self.pending_source}")
        if self.next_button is not None:
            self.next_button.setEnabled(False)
        picker.show()
        self.picker_filter.setFocus()

    def _filter_entities(self, text: str) -> None:
        needle = text.lower()
        first_visible = None
        for row in range(self.picker_list.count()):
            item = self.picker_list.item(row)
            hidden = needle not in item.text().lower()
            item.setHidden(hidden)
            if not hidden and first_visible is None:
                first_visible = row
        if first_visible is not None:
            self.picker_list.setCurrentRow(first_visible)

    def _pick_single(self) -> None:
        """Enter in the filter picks the identity provider when only one is left."""
        shown = [self.picker_list.item(r) for r in range(self.picker_list.count())
                 if not self.picker_list.item(r).isHidden()]
        if len(shown) == 1:
            self.picker_list.setCurrentItem(shown[0])
            self.use_picked()

    def use_picked(self) -> None:
        item = self.picker_list.currentItem()
        if item is not None and self.pending_source:
            self.open_source(self.pending_source, entity=item.text())

    def _update_sandbox_actions(self) -> None:
        self.try_button.setVisible(not self.state.sandbox)
        self.sandbox_hint.setVisible(not self.state.sandbox)
        self.sample_button.setVisible(self.state.sandbox)

    def _refresh_recent(self) -> None:
        has_recent = bool(self.settings.recent_files)
        if self._toolbar_built:
            self.recent_menu.clear()
            for path in self.settings.recent_files:
                action = self.recent_menu.addAction(theme.icon("file"), path)
                action.triggered.connect(lambda _c=False, p=path: self.open_source(p))
            self.recent_button.setEnabled(has_recent)
        self.recent_title.setVisible(has_recent)
        if not has_recent:
            if self.recent_list is not None:
                self.recent_list.hide()
            return
        recent_list = self._ensure_recent_list()
        recent_list.clear()
        for path in self.settings.recent_files:
            item = QListWidgetItem(theme.icon("file"), path)
            item.setData(USER_ROLE, path)
            item.setToolTip(f"Open {path}")
            recent_list.addItem(item)
        recent_list.show()

    # -- rendering ----------------------------------------------------------------------------

    def step_hint(self) -> tuple[str | None, str]:
        md = self.state.metadata
        if md is None:
            return None, "not opened yet"
        findings = list(md.findings) + list(self.state.federation_findings)
        if any(f.severity == "error" for f in findings):
            return "fail", "has errors"
        if any(f.severity == "warning" for f in findings):
            return "warn", _short_host(md.entity_id)
        return "pass", _short_host(md.entity_id)

    def refresh_view(self) -> None:
        if self.load_status is not None:
            self.load_status.clear()
        md = self.state.metadata
        source = self.state.metadata_source
        if (md is not None and source and source == self.pending_source
                and not source.lower().startswith("https://")):
            self.settings.remember_file(source)
            gui_settings.save(self.state.paths, self.settings)
        loaded = md is not None
        if loaded:
            self._ensure_toolbar()
        self._refresh_recent()
        self._update_sandbox_actions()
        clear_layout(self.cards_layout)
        self.empty.setVisible(not loaded)
        if self._picker is not None:
            self._picker.hide()
        self.cards.setVisible(loaded)
        if self._toolbar_built:
            for widget in (self.source_label, self.open_button, self.url_button,
                           self.recent_button):
                widget.setVisible(loaded)
        if self.next_button is not None:
            self.next_button.setEnabled(loaded)
        if md is None:
            self.order_tabs()
            return
        self.banner.hide()
        if md is not self._shown_md:  # a new file starts at its top, not where the last was
            self._shown_md = md
            self.scroll_area.verticalScrollBar().setValue(0)
        self.source_label.setText(f"Read from {source}")
        self.cards_layout.addWidget(self._idp_card(md))
        self.cards_layout.addWidget(self._findings_card(md))
        self.cards_layout.addWidget(self._endpoints_card(md))
        self.cards_layout.addWidget(self._certificates_card(md))
        self.cards_layout.addWidget(self._graph_card())
        self.order_tabs()

    def _idp_card(self, md: Any) -> QWidget:
        card = Card("Identity provider")
        kv = KeyValues()
        kv.add("Entity ID (issuer)", md.entity_id, mono=True,
               extra=copy_button(lambda: md.entity_id, "Copy the entity ID"))
        if md.source_name:
            # For a download: where the metadata finally came from, after any redirect.
            kv.add("Source", md.source_name + (f"\n(redirected from {md.redirected_from})"
                                               if md.redirected_from else ""), mono=True)
        if len(md.entities_in_source) > 1:
            kv.add("In this file", f"{len(md.entities_in_source)} identity providers; showing "
                                   "the one you picked")
        if md.valid_until is not None:
            kv.add("Metadata valid until", md.valid_until.strftime("%Y-%m-%d %H:%M UTC"))
        if md.name_id_formats:
            kv.add("NameID formats", "\n".join(f.rsplit(":", 1)[-1] for f in md.name_id_formats))
        card.body.addWidget(kv)
        if md.signed and md.signature_valid:
            status, word = "pass", "Signed, signature verifies"
        elif md.signed:
            status, word = "fail", "Signed, but the signature does NOT verify"
        else:
            status, word = "info", "Not signed"
        sig = QHBoxLayout()
        sig.addWidget(label("Metadata signature", name="muted"))
        sig.addWidget(StatusLabel(status, word), 1)
        card.body.addLayout(sig)
        if md.signed and md.signature_detail:
            card.body.addWidget(label(md.signature_detail, name="muted", wrap=True))
        return card

    def _endpoints_card(self, md: Any) -> QWidget:
        card = Card("Endpoints")
        kv = KeyValues()
        for endpoint in md.sso[:MAX_ROWS_SHOWN]:
            kv.add(f"Sign-in ({endpoint.binding_name})", endpoint.location, mono=True)
        if not md.sso:
            kv.add("Sign-in", "none in this metadata")
        for endpoint in md.slo[:MAX_ROWS_SHOWN]:
            kv.add(f"Sign-out ({endpoint.binding_name})", endpoint.location, mono=True)
        card.body.addWidget(kv)
        hidden = max(len(md.sso) - MAX_ROWS_SHOWN, 0) + max(len(md.slo) - MAX_ROWS_SHOWN, 0)
        if hidden:
            card.body.addWidget(label(_more(hidden, "endpoint", "endpoints"), name="muted"))
        if not md.slo:
            card.body.addWidget(label(
                "This metadata has no sign-out URL. Microsoft needs one to sign users out of the "
                "IdP; type your IdP's logout URL if it has one (optional).", wrap=True))
            from PySide6.QtWidgets import QLineEdit

            row = QHBoxLayout()
            self.sign_out_edit = QLineEdit(self.state.sign_out_override or "")
            self.sign_out_edit.setPlaceholderText("https://idp.example.com/logout")
            self.sign_out_edit.setAccessibleName("Sign-out URL")
            apply = QPushButton("Use this sign-out URL")
            apply.clicked.connect(
                lambda: self.state.set_sign_out_override(self.sign_out_edit.text().strip()))
            self.sign_out_edit.returnPressed.connect(apply.click)
            row.addWidget(self.sign_out_edit, 1)
            row.addWidget(apply)
            card.body.addLayout(row)
        return card

    def _certificates_card(self, md: Any) -> QWidget:
        certs = list(md.certificates)
        card = Card(f"Certificates ({len(certs)})")
        if not certs:
            card.body.addWidget(StatusLabel("fail", "No certificate in this metadata"))
        for index, cert in enumerate(certs[:MAX_CERTIFICATES_SHOWN]):
            if index:
                line = QFrame()
                line.setFrameShape(QFrame.Shape.HLine)
                line.setFrameShadow(QFrame.Shadow.Sunken)
                card.body.addWidget(line)
            card.body.addWidget(self._certificate_block(cert))
        if len(certs) > MAX_CERTIFICATES_SHOWN:
            card.body.addWidget(label(_more(len(certs) - MAX_CERTIFICATES_SHOWN, "certificate",
                                            "certificates"), name="muted", wrap=True))
        return card

    def _certificate_block(self, cert: Any) -> QWidget:
        block = QWidget()
        layout = QVBoxLayout(block)
        layout.setContentsMargins(0, 4, 0, 4)
        head = QHBoxLayout()
        use = cert.use or "signing and encryption"
        head.addWidget(label(markup("<b>{}</b>  ·  {}", cert.common_name, use), rich=True), 1)
        bar = ValidityBar(cert.not_before, cert.not_after)
        days = cert.days_left
        if days < 0:
            word = plural(-days, "Expired 1 day ago", "Expired {n} days ago")
        elif bar.status() == "fail":
            word = "Not yet valid"
        else:
            word = plural(days, "1 day left", "{n} days left")
        head.addWidget(StatusLabel(bar.status(), word))
        head.addWidget(copy_button(lambda: cert.der_base64,
                                   "Copy certificate as one line"))
        layout.addLayout(head)
        bar.setMinimumWidth(200)
        layout.addWidget(bar)
        kv = KeyValues()
        kv.add("Valid", f"{cert.not_before:%Y-%m-%d} to {cert.not_after:%Y-%m-%d}")
        kv.add("Key", f"{cert.key_description}, signed with {cert.signature_hash}"
               if cert.signature_hash else cert.key_description)
        kv.add("Subject", cert.subject, mono=False)
        if cert.issuer != cert.subject:
            kv.add("Issuer", cert.issuer)
        kv.add("SHA-1 thumbprint", cert.sha1, mono=True,
               extra=copy_button(lambda: cert.sha1, "Copy the SHA-1 thumbprint"))
        # 64 hex digits are one unbreakable word, wider than a small window: shown on two
        # lines (the copy button copies it whole).
        half = len(cert.sha256) // 2
        kv.add("SHA-256 thumbprint", f"{cert.sha256[:half]}\n{cert.sha256[half:]}", mono=True,
               extra=copy_button(lambda: cert.sha256, "Copy the SHA-256 thumbprint"))
        layout.addWidget(kv)
        return block

    def _graph_card(self) -> QWidget:
        from core.plan import shorten_certificate

        card = Card("What Microsoft Graph will receive")
        federation = self.state.federation
        values = federation.federation_json() if federation is not None else {}
        card.body.addWidget(label("These are the domain federation settings Federator will "
                                  "send, named as Graph names them.", name="muted", wrap=True))
        kv = KeyValues()
        for key, value in values.items():
            shown = "—" if value in (None, "") else str(value)
            text = shown
            if key in ("signingCertificate", "nextSigningCertificate") and value:
                text = shorten_certificate(shown)
            kv.add(f"{GRAPH_LABELS.get(key, key)}\n{key}", text, mono=True,
                   extra=copy_button(_constant(shown), f"Copy {key}") if value else None)
        card.body.addWidget(kv)
        return card

    def _findings_card(self, md: Any) -> QWidget:
        from core.findings import sort_findings

        findings = sort_findings(list(md.findings) + list(self.state.federation_findings))
        seen: set[tuple[str, str]] = set()
        unique = []
        for finding in findings:
            key = (finding.id, finding.message)
            if key not in seen:
                seen.add(key)
                unique.append(finding)
        errors = sum(1 for f in unique if f.severity == "error")
        warnings = sum(1 for f in unique if f.severity == "warning")
        counts = [text for count, text in (
            (errors, plural(errors, "1 error", "{n} errors")),
            (warnings, plural(warnings, "1 warning", "{n} warnings"))) if count]
        others = len(unique) - errors - warnings
        if others:
            counts.append(plural(others, "1 note", "{n} notes"))
        from core.window_text import for_window  # only with findings: not before first paint

        card = Card("Findings: {counts}".format(counts=", ".join(counts)) if unique
                    else "Findings")
        if not unique:
            card.body.addWidget(StatusLabel("pass", "Nothing to report: this metadata looks "
                                                    "complete"))
        for finding in unique[:MAX_ROWS_SHOWN]:
            row = QHBoxLayout()
            icon = label()
            icon.setPixmap(theme.status_icon(finding.severity).pixmap(QSize(18, 18)))
            icon.setAccessibleName(theme.STATUS_WORDS.get(finding.severity, finding.severity))
            icon.setFixedWidth(22)
            icon.setAlignment(QtCore.Qt.AlignmentFlag.AlignTop)
            row.addWidget(icon, 0, QtCore.Qt.AlignmentFlag.AlignTop)
            text = QVBoxLayout()
            text.setSpacing(2)
            word = theme.STATUS_WORDS.get(finding.severity, finding.severity)
            head = label(markup("<b>{}:</b> {}", word, finding.message), wrap=True,
                         selectable=True, rich=True)
            head.setAccessibleName(elide_middle(f"{word}: {finding.message}", MAX_LABEL_CHARS))
            text.addWidget(head)
            if finding.remedy:
                text.addWidget(label(f"What to do: {for_window(finding.remedy)}", name="muted",
                                     wrap=True,
                                     selectable=True))
            row.addLayout(text, 1)
            card.body.addLayout(row)
        if len(unique) > MAX_ROWS_SHOWN:
            card.body.addWidget(label(_more(len(unique) - MAX_ROWS_SHOWN, "finding", "findings"),
                                      name="muted", wrap=True))
        return card


def _constant(text: str) -> Callable[[], str]:
    return lambda: text


def _more(count: int, one: str, many: str) -> str:
    """"…and 6,980 more certificates": what a capped list leaves out, and where it all is."""
    return (f"…and {count:,} more {one if count == 1 else many}, not shown here (the "
            "metadata file holds them all).")


def _short_host(entity_id: str) -> str:
    text = entity_id.split("://", 1)[-1]
    return text[:22] + "…" if len(text) > 23 else text


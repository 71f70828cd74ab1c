"""What the window is working on, shared by every view: the one adapter between core and Qt.

``AppState`` holds the current tenant session, metadata, chosen domain, preflight results and plan,
and announces each change with a Qt signal. Its methods call core through a :class:`Runner` (so the
window never freezes and tests can run them synchronously); they hold no federation logic: every
decision is core's.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal

from core.errors import FederatorError
from gui.workers import Cancelled, Runner, Task, TaskControl

if TYPE_CHECKING:
    from core.paths import Paths
    from core.tenant import ConnectionInfo  # imported by the sign-in worker only

log = logging.getLogger(__name__)



@dataclass(eq=False)
class Operation:
    """One change the admin started, the single record every page draws its status from.

    A new operation replaces the previous one whole (its progress, result, error), so no page
    can show an old "Done" beside a new run. ``origin`` is the page that started it
    ("review" or "history"): that page shows its progress and result; the step list shows that a
    change is running whichever page is open.
    """

    name: str
    origin: str
    domain: str | None
    events: list[Any] = field(default_factory=list)
    result: Any = None
    error: BaseException | None = None
    running: bool = True

    @property
    def status(self) -> str:
        """running, pass, fail or cancelled: the one word the step list and pages use."""
        if self.running:
            return "running"
        if isinstance(self.error, Cancelled):
            return "cancelled"
        return "pass" if self.result is not None and self.result.ok else "fail"


class AppState(QObject):
    """The app's working set and the core calls that change it."""

    session_changed = Signal()
    metadata_changed = Signal()
    domains_changed = Signal()
    domain_changed = Signal()
    preflight_changed = Signal()
    plan_changed = Signal()
    history_changed = Signal()
    busy_changed = Signal(bool)
    operation_started = Signal(object)  # Operation: pages drop the previous one's leftovers
    operation_progress = Signal(object)  # core.operations.OperationEvent
    operation_cleared = Signal()  # a new plan or session: the last operation is no longer shown
    operation_finished = Signal(object, object)  # (OperationResult or None, error or None)
    propagation_changed = Signal(object)  # core.status.DomainStatus
    reconciled = Signal(object)  # list[core.operations.ReconcileResult]
    # At start: (results or None when another Federator holds the lock, how many stay open)
    startup_reconciled = Signal(object, int)
    password_impact_changed = Signal()
    show_history_requested = Signal()
    # Open Test sign-in preset for this domain (History, a change's result): the window opens it.
    signin_test_requested = Signal(str)
    error = Signal(str, object)  # (where, exception): views show it in their banner
    changes_finished = Signal()  # no change (write) is running any more: closing is safe
    message = Signal(str)  # a short status-bar note
    # Reading who is signed in and their roles: "" when done, else what is happening (Graph
    # does not answer and Federator retries: attempt n of m, next in s).
    roles_progress = Signal(str)
    # A page's read started, ended or failed: ``loads[what]`` says which ("domains",
    # "preflight"), so every page that loads shows reading, or the error with Retry.
    load_changed = Signal(str)

    def __init__(self, paths: Paths, runner: Runner, *, sandbox: bool = False,
                 sandbox_user: str | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.paths = paths
        self.runner = runner
        self.sandbox = sandbox
        self.sandbox_user = sandbox_user  # None: session's default seed user
        self.session: Any = None
        self.metadata: Any = None
        self.metadata_source: str | None = None
        # The sandbox sample IdP's metadata file once the demo opened it (F5 reads it as the
        # sample again, not as a file for the recent list).
        self.sample_metadata_source: str | None = None
        self.federation: Any = None
        self.federation_findings: list[Any] = []
        self.sign_out_override: str | None = None
        self.plan_options: Any = None  # core.plan.PlanOptions: the admin's choices in Review
        self.domains: list[Any] = []
        self.domain: str | None = None
        self.preflight: Any = None
        # The domain whose checks a change made out of date (the checks ran, then the change
        # altered what they read): step 3 says so instead of "not run yet".
        self.checks_outdated_by: str | None = None
        self.plan: Any = None
        self.accepted_warnings: set[str] = set()
        # The operation the pages show (None once a new plan or session makes it old news),
        # and the last one run (kept for the CLI-like reading of tests and benchmarks).
        self.operation: Operation | None = None
        self._last_operation: Operation | None = None
        self.password_impact: Any = None
        self.password_impact_error: tuple[str, BaseException] | None = None
        # What the start-up reconcile found: (status, text, details) for the window to show.
        self.startup_note: tuple[str, str, str] | None = None
        self.tenant_info: ConnectionInfo | None = None
        self.sandbox_latency_ms: float | None = None  # benchmarks and tests inject these
        self.sandbox_faults: str | None = None
        self.tenant_settings_error: FederatorError | None = None
        self._busy = 0
        self._changes = 0  # running writes: the window must not close under one
        self._control: TaskControl | None = None
        self._parent_window: int | None = None  # the window's handle, for the sign-in broker
        self._interactive_auth: Any = None  # the Authenticator of a browser sign-in under way
        # The last apply, ready to run again replacing the configuration if the admin chooses.
        self._replace_retry: Callable[[], Task | None] | None = None
        # The change History should show selected when it next fills its table (a button on a
        # result opens that change there: its way back is done from it).
        self.history_focus: str | None = None
        self._roles_task: Task | None = None
        self.loads: dict[str, tuple[str, BaseException | None]] = {}

    # -- plumbing ---------------------------------------------------------------------------

    @property
    def last_result(self) -> Any:
        return self._last_operation.result if self._last_operation is not None else None

    @property
    def last_error(self) -> BaseException | None:
        return self._last_operation.error if self._last_operation is not None else None

    @property
    def last_events(self) -> list[Any]:
        return self._last_operation.events if self._last_operation is not None else []

    def clear_operation(self) -> None:
        """The shown operation is over and done with (a new plan, another session): pages drop
        its result, progress and banners. A running one is never cleared."""
        if self.operation is not None and not self.operation.running:
            self.operation = None
            self.operation_cleared.emit()

    @property
    def busy(self) -> bool:
        return self._busy > 0

    @property
    def changing(self) -> bool:
        """A change (a write to the tenant and its journal entry) is running."""
        return self._changes > 0

    def run(self, fn: Callable[..., Any], *, name: str,
            on_result: Callable[[Any], None] | None = None,
            on_error: Callable[[BaseException], None] | None = None,
            on_progress: Callable[[object], None] | None = None,
            progress: bool = False, change: bool = False, load: str | None = None) -> Task:
        """Submit ``fn``; busy state is counted so the status bar can show a spinner, and
        changes (``change=True``) apart, so closing can wait for them and only them.
        ``load``: a page's read, whose phase goes to ``loads`` (its error too: the page shows
        it with Retry rather than the banner)."""
        if load is not None:
            self.loads[load] = ("loading", None)
            self.load_changed.emit(load)
            on_result = self._loaded(load, on_result)
            on_error = self._load_failed(load, on_error)
        self._busy += 1
        if self._busy == 1:
            self.busy_changed.emit(True)
        if change:
            self._changes += 1

        def finished() -> None:
            self._busy -= 1
            if self._busy == 0:
                self.busy_changed.emit(False)
            if change:
                self._changes -= 1
                if self._changes == 0:
                    self.changes_finished.emit()

        def failed(exc: BaseException) -> None:
            log.info("%s failed: %s", name, exc)
            if on_error is not None:
                on_error(exc)
            else:
                self.error.emit(name, exc)

        task = self.runner.submit(fn, name=name, on_result=on_result, on_error=failed,
                                  on_progress=on_progress, progress=progress)
        if task.done:
            finished()
        else:
            task.finished.connect(finished)
        return task

    def _loaded(self, load: str, then: Callable[[Any], None] | None) -> Callable[[Any], None]:
        def done(value: Any) -> None:
            self.loads[load] = ("done", None)
            if then is not None:
                then(value)
            self.load_changed.emit(load)
        return done

    def _load_failed(self, load: str, then: Callable[[BaseException], None] | None
                     ) -> Callable[[BaseException], None]:
        def failed(exc: BaseException) -> None:
            self.loads[load] = ("failed", exc)
            if then is not None:
                then(exc)
            self.load_changed.emit(load)
        return failed

    # -- tenant -----------------------------------------------------------------------------

    def enter_sandbox(self) -> None:
        """Demo mode: the built-in sandbox tenant, signed in as the default seed admin."""
        if self.session is not None:
            self.sign_out()
        self.sandbox = True
        self.session_changed.emit()
        self.sign_in()

    def switch_sandbox_user(self, upn: str) -> Task | None:
        """Demo mode: sign in to the sandbox as another seed user (to rehearse what each role
        may do, or the lock-out check)."""
        if not self.sandbox or (upn == self.sandbox_user and self.session is not None):
            return None
        if self.session is not None:
            self.sign_out()
        self.sandbox_user = upn
        return self.sign_in()

    def needs_tenant_setup(self) -> bool:
        """True when there is no real tenant configured (no app client id) and not in demo mode.

        A damaged settings file counts as not configured: its readable error goes to the views'
        banners (kept in ``tenant_settings_error``) and the sandbox stays offered.
        """
        if self.sandbox:
            return False
        from core.config import load_tenant_config

        try:
            configured = load_tenant_config(self.paths).configured
        except FederatorError as exc:
            self.tenant_settings_error = exc
            self.error.emit("tenant settings", exc)
            return True
        self.tenant_settings_error = None
        return not configured

    def session_options(self) -> Any:
        from core.tenant import SessionOptions

        return SessionOptions(paths=self.paths, sandbox=self.sandbox,
                              sandbox_user=self.sandbox_user if self.sandbox else None,
                              sandbox_latency_ms=self.sandbox_latency_ms,
                              sandbox_faults=self.sandbox_faults)

    def resume_session(self) -> Task | None:
        """At start, quietly reuse the remembered sign-in (token cache) of a configured tenant."""
        if self.sandbox or self.session is not None or self.needs_tenant_setup():
            return None
        return self.sign_in(interactive=False, quiet=True)

    def sign_in(self, *, parent_window: int | None = None, interactive: bool = True,
                quiet: bool = False) -> Task:
        """Open a tenant session: the sandbox at once; a real tenant from the token cache, else
        the system browser or the Windows broker (given this window's handle)."""
        options = self.session_options()
        if parent_window is not None:
            self._parent_window = parent_window

        def work(control: TaskControl) -> tuple[Any, ConnectionInfo]:
            from core.auth import SignInRequiredError
            from core.tenant import build_authenticator
            from session import open_session

            try:
                session = open_session(options)
            except SignInRequiredError:
                if not interactive:
                    raise
                from core.config import load_tenant_config

                auth, _protection = build_authenticator(self.paths,
                                                        load_tenant_config(self.paths))
                self._interactive_auth = auth  # shutdown() cancels a sign-in still waiting
                try:
                    auth.sign_in_interactive(parent_window_handle=parent_window)
                finally:
                    self._interactive_auth = None
                session = open_session(options)
            try:
                info = self._read_connection(session, control)
            except BaseException:
                session.close()
                raise
            return session, info

        def done(result: tuple[Any, ConnectionInfo]) -> None:
            old = self.session
            self.session, self.tenant_info = result
            if old is not None and old is not self.session:
                old.close()
            self.clear_operation()  # another tenant or account: the last change is not its
            self.roles_progress.emit("")
            self.session_changed.emit()
            self.refresh_domains()
            self.refresh_history()
            self.reconcile_at_start()

        def failed(exc: BaseException) -> None:
            self.roles_progress.emit("")
            if not quiet:
                self.error.emit("sign in", exc)

        self._roles_task = self.run(work, name="sign in", on_result=done, on_error=failed,
                                    on_progress=self.roles_progress.emit, progress=True)
        return self._roles_task

    def _read_connection(self, session: Any, control: TaskControl) -> ConnectionInfo:
        """Who is signed in and their roles, best effort (a role that cannot read the tenant
        still sees who is signed in where); on the worker thread. While Graph does not answer
        and the client retries, the header hears which attempt comes when; Cancel stops the
        waiting (the roles then count as unread)."""
        from core.tenant import describe_connection

        def retrying(attempt: int, attempts: int, delay: float) -> None:
            if control.cancelled:  # best effort takes this as "roles not read"
                raise FederatorError("Reading your roles was stopped.", code="roles_cancelled")
            control.report(f"Microsoft Graph did not answer: reading your roles again "
                           f"(attempt {attempt} of {attempts}, next in {delay:.0f} s)…")

        control.report("Reading your tenant and roles…")
        watch = getattr(session.client, "watch_retries", None)
        if watch is None:
            return describe_connection(session, best_effort=True)
        with watch(retrying):
            return describe_connection(session, best_effort=True)

    def refresh_roles(self) -> Task | None:
        """Retry reading the tenant's name and the admin's roles (the header's Retry)."""
        session = self.session
        if session is None:
            return None

        def work(control: TaskControl) -> ConnectionInfo:
            return self._read_connection(session, control)

        def done(info: ConnectionInfo) -> None:
            self.roles_progress.emit("")
            if session is self.session:
                self.tenant_info = info
                self.session_changed.emit()

        def failed(_exc: BaseException) -> None:
            self.roles_progress.emit("")
            self.session_changed.emit()

        self._roles_task = self.run(work, name="read roles", on_result=done, on_error=failed,
                                    on_progress=self.roles_progress.emit, progress=True)
        return self._roles_task

    def cancel_roles(self) -> None:
        """Stop retrying the roles read; the header then says they could not be read."""
        task = self._roles_task
        if task is not None and not task.done:
            task.cancel()

    def sign_out(self) -> None:
        """Forget the session; for a real tenant also remove the account and its tokens."""
        session, self.session = self.session, None
        self.tenant_info = None
        self.clear_operation()
        self.domains = []
        self.domain = None
        self._invalidate_checks()
        self.session_changed.emit()
        self.domains_changed.emit()
        self.domain_changed.emit()
        if session is None:
            return

        def work() -> None:
            try:
                auth = getattr(session, "authenticator", None)
                if auth is not None:
                    auth.sign_out(session.account.upn)
            finally:
                session.close()

        self.run(work, name="sign out")

    def refresh_domains(self) -> Task | None:
        session = self.session
        if session is None:
            return None

        def work() -> list[Any]:
            from core.domains import read_domains

            return read_domains(session.client)[1]  # with each federated domain's issuer

        def done(domains: list[Any]) -> None:
            if session is not self.session:
                return
            self.domains = domains
            self.domains_changed.emit()

        return self.run(work, name="list domains", on_result=done, on_error=lambda _e: None,
                        load="domains")

    def refresh_history(self) -> None:
        self.history_changed.emit()

    def show_change(self, op_id: str) -> None:
        """Open History on the change ``op_id`` (its snapshots, and the way back from it)."""
        self.history_focus = op_id
        self.show_history_requested.emit()
        self.history_changed.emit()

    def warm_up(self) -> None:
        """Import the core modules the steps will need, in a worker, while the admin is still
        reading the first page: the first preflight or apply then starts without a pause
        (PySide6's import hook inspects the source of every module imported after Qt)."""
        def work() -> None:
            import core.metadata.reader
            import core.operations
            import core.preflight.run
            import core.report
            import core.settings
            import core.status
            import core.tenant  # noqa: F401 - imported for the side effect of loading

        self.runner.submit(work, name="warm up", on_error=lambda _e: None)

    def shutdown(self, *, wait_ms: int = 1_000) -> None:
        """Stop the session (and the sandbox). The window calls this only when no change is
        running (it waits for ``changes_finished``), so what may still run is a read, whose
        answer nobody will see: it gets ``wait_ms`` to end, then is abandoned. A browser
        sign-in still waiting is cancelled first (it would keep the process alive, windowless,
        until its 5-minute timeout)."""
        auth = self._interactive_auth
        if auth is not None:
            auth.cancel_interactive()
        self.runner.wait_idle(wait_ms)
        session, self.session = self.session, None
        if session is not None:
            session.close()

    # -- metadata ---------------------------------------------------------------------------

    def load_metadata(self, source: str, *, entity: str | None = None,
                      on_error: Callable[[BaseException], None] | None = None) -> Task:
        """Read metadata from a path or https URL; fills ``metadata`` and ``federation``.
        Opening the same file again keeps the sign-out URL the admin typed for it."""
        keep = self.sign_out_override if source == self.metadata_source else None

        def work() -> tuple[Any, Any, list[Any]]:
            from core.preflight.run import require_metadata

            read = require_metadata(source, entity=entity)  # a path or an https:// URL
            if keep is None:
                return read.metadata, read.settings, list(read.findings)
            from core.settings import settings_from_metadata

            # The sign-out URL the admin typed for this file stays.
            federation, findings = settings_from_metadata(read.metadata,
                                                          sign_out_uri_override=keep)
            return read.metadata, federation, list(findings)

        def done(result: tuple[Any, Any, list[Any]]) -> None:
            self.metadata, self.federation, self.federation_findings = result
            self.metadata_source = source
            self.sign_out_override = keep
            self._invalidate_checks()
            self.metadata_changed.emit()

        return self.run(work, name="read metadata", on_result=done, on_error=on_error)

    def load_sample_metadata(self) -> Task:
        """Demo mode: the sandbox's sample IdP (JumpCloud-like) instead of a file."""
        def work() -> tuple[Any, Any, list[Any], str]:
            from core.preflight.run import require_metadata
            from session.signin import sample_idp_metadata_file

            # The sandbox's own sample IdP (its key kept in the sandbox folder), so that a test
            # sign-in after federating with it succeeds. Its metadata file is the source, as an
            # admin's file would be: a change records it and the health watch reads it again.
            path = sample_idp_metadata_file(self.paths)
            read = require_metadata(path.read_bytes(), name="sandbox sample IdP")
            return read.metadata, read.settings, list(read.findings), str(path)

        def done(result: tuple[Any, Any, list[Any], str]) -> None:
            self.metadata, self.federation, self.federation_findings, source = result
            self.metadata_source = self.sample_metadata_source = source
            self.sign_out_override = None
            self._invalidate_checks()
            self.metadata_changed.emit()

        return self.run(work, name="read sample metadata", on_result=done)

    def set_sign_out_override(self, uri: str | None) -> None:
        """The admin typed a sign-out URL because the metadata has none; core recomputes values."""
        from core.settings import settings_from_metadata

        if self.metadata is None:
            return
        self.sign_out_override = uri or None
        federation, findings = settings_from_metadata(
            self.metadata, sign_out_uri_override=self.sign_out_override)
        self.federation, self.federation_findings = federation, list(findings)
        self._invalidate_checks()
        self.metadata_changed.emit()

    # -- selection --------------------------------------------------------------------------

    def choose_domain(self, name: str | None) -> None:
        if name == self.domain:
            return
        self.domain = name
        self._invalidate_checks()
        self.domain_changed.emit()

    def _invalidate_checks(self, *, changed: str | None = None) -> None:
        """Forget the checks and the plan; ``changed``: the domain a change was just made to
        (the checks did run, and are now out of date)."""
        self.checks_outdated_by = changed
        self.preflight = None
        self.plan = None
        self.accepted_warnings = set()
        self.preflight_changed.emit()
        self.plan_changed.emit()

    # -- preflight and plan -----------------------------------------------------------------

    def graph_url(self) -> str:
        """The Graph root the requests go to (the sandbox's in demo mode), for display."""
        client = getattr(self.session, "client", None)
        url = getattr(client, "base_url", None) or getattr(client, "graph_url", None)
        return str(url) if url else "https://graph.microsoft.com/v1.0"

    def run_preflight(self) -> Task | None:
        """Run every check for the current metadata and domain (reads only)."""
        session, md, domain = self.session, self.metadata, self.domain
        if session is None or md is None or domain is None:
            return None
        metadata = self.metadata_input()
        sandbox = self.sandbox
        options = self.plan_options

        def work() -> Any:
            from core.preflight.run import run_preflight

            return run_preflight(domain, metadata, client=session.client, paths=self.paths,
                                 sandbox=sandbox, write_consent=True, options=options)

        def done(result: Any) -> None:
            if domain != self.domain:
                return
            self.clear_operation()  # a new plan: the previous change's outcome is old news
            self.preflight = result
            self.plan = getattr(result, "plan", None)
            self.accepted_warnings = set()
            self.preflight_changed.emit()
            self.plan_changed.emit()

        return self.run(work, name="preflight", on_result=done, on_error=lambda _e: None,
                        load="preflight")

    def set_plan_options(self, *, display_name: str | None, mfa_behavior: str | None,
                         prompt_login_behavior: str | None) -> Task | None:
        """The admin's choices in Review (core validates them; ``None``: not chosen, the
        current value is kept or the default used); the plan is made again with them."""
        from core.plan import PlanOptions

        try:
            self.plan_options = PlanOptions(
                display_name=display_name or None, federated_idp_mfa_behavior=mfa_behavior,
                prompt_login_behavior=prompt_login_behavior)
        except FederatorError as exc:
            self.error.emit("options", exc)
            return None
        self._invalidate_checks()
        return self.run_preflight()

    def metadata_input(self) -> Any:
        """What the window read, in the shape preflight takes (no second read of the file)."""
        from core.preflight.run import MetadataInput

        return MetadataInput(self.metadata_source, self.metadata, self.federation,
                             list(self.federation_findings))

    def export_report(self, path: Path) -> Task | None:
        result = self.preflight
        if result is None:
            return None

        def work() -> Path:
            from core.report import write_html_report

            return Path(write_html_report(result, path))

        return self.run(work, name="export report",
                        on_result=lambda p: self.message.emit(f"Report saved to {p}"))

    def export_change(self, op: str, path: Path) -> Task:
        """Write the change record of operation ``op`` (core.change_record: HTML, or JSON for a
        .json file) for a change ticket."""
        journal_dir = self.paths.journal_dir

        def work() -> Path:
            from core.change_record import export_change, find_entry

            return export_change(find_entry(journal_dir, op), path)

        return self.run(work, name="export change record",
                        on_result=lambda p: self.message.emit(f"Change record saved to {p}"))

    def ask_export_change(self, parent: Any, op: str, domain: str) -> None:
        """Ask where to save the change record of ``op``, then write it."""
        from PySide6.QtWidgets import QFileDialog

        default = self.paths.reports_dir / f"change-{domain}-{op}.html"
        path, _ = QFileDialog.getSaveFileName(parent, "Export the change record", str(default),
                                              "HTML page (*.html);;JSON (*.json)")
        if path:
            self.export_change(op, Path(path))

    def make_default(self, domain: str, *, confirm: str) -> Task | None:
        """The remedy for ``domain.not_default``: make ``domain`` the tenant's default (core's
        operation: journaled, verified, with its way back), then check again."""
        session = self.session
        if session is None:
            return None

        def work() -> Any:
            from core.operations import make_default
            from core.preflight.remedies import MAKE_DEFAULT_EXTRA_SCOPES

            # Changing the default domain needs Domain.ReadWrite.All beyond the federation
            # permission: asked for here (incremental consent), never refused for lack of it.
            self._enable_writes(session, extra=MAKE_DEFAULT_EXTRA_SCOPES)
            return make_default(self._operation_context(session, None), domain, confirm=confirm)

        def done(result: Any) -> None:
            from core.window_text import way_back_for_window

            if result.ok:
                self.message.emit(f"{domain} is now the default domain")
            else:
                self.error.emit("make default", FederatorError(
                    result.summary, code="make_default_failed",
                    remedy=way_back_for_window(result.way_back)))
            self.history_changed.emit()
            self.refresh_domains()
            self.run_preflight()

        return self.run(work, name="make default", on_result=done, change=True)

    # -- changes ----------------------------------------------------------------------------

    def _enable_writes(self, session: Any, *, extra: tuple[str, ...] = ()) -> None:
        """Least privilege (core decides the scopes): the permission to change federation is
        asked for at the first change; when not consented yet, the browser (or the Windows
        broker) lets the admin consent. Runs on the worker thread, like sign-in."""
        parent = self._parent_window

        def consent(auth: Any, scopes: list[str]) -> None:
            auth.sign_in_interactive(parent_window_handle=parent, scopes=scopes)

        session.enable_writes(consent, extra)

    def _operation_context(self, session: Any, control: TaskControl | None) -> Any:
        from core.operations.runner import context_from_session

        def on_event(event: Any) -> None:
            if control is None:
                return
            # Core says until when a cancel is honoured: never between write and verify.
            if control.cancelled and ctx.cancellable:
                raise Cancelled("cancelled before any change")
            control.report(event)

        ctx = context_from_session(session, self.paths, on_event)
        return ctx

    def _operation(self, name: str, call: Callable[[Any], Any], *, origin: str = "review",
                   domain: str | None = None) -> Task | None:
        session = self.session
        if session is None:
            return None
        record = Operation(name, origin, domain if domain is not None else self.domain)

        def work(control: TaskControl) -> Any:
            self._control = control
            self._enable_writes(session)
            return call(self._operation_context(session, control))

        def progress(event: object) -> None:
            record.events.append(event)
            self.operation_progress.emit(event)

        def finish(result: Any, error: BaseException | None) -> None:
            record.result, record.error, record.running = result, error, False
            if result is not None and getattr(result, "domain", None):
                record.domain = result.domain
            self.password_impact = None
            self.password_impact_error = None
            if result is not None or not isinstance(error, Cancelled):
                # The domain may have changed: check it afresh.
                self._invalidate_checks(changed=record.domain)
            self.operation_finished.emit(result, error)
            self.refresh_domains()
            self.history_changed.emit()

        self.operation = self._last_operation = record
        self.operation_started.emit(record)
        return self.run(work, name=name, on_result=lambda r: finish(r, None),
                        on_error=lambda e: finish(None, e), on_progress=progress,
                        progress=True, change=True)

    def cancel_operation(self) -> None:
        """Ask the running change to stop; honoured only before its snapshot is recorded."""
        if self._control is not None:
            self._control.cancel()

    def apply_plan(self, *, confirm: str, accepted: list[str],
                   allow_replace: bool = False) -> Task | None:
        """Federate (or update) the chosen domain as planned; progress arrives as events.
        ``allow_replace``: the admin chose, in the dialog that says what it does, to replace a
        configuration Graph keeps refusing to update."""
        domain, federation, preflight = self.domain, self.federation, self.preflight
        session = self.session
        if domain is None or federation is None or preflight is None or session is None:
            return None
        metadata, sandbox = self.metadata_input(), self.sandbox
        options = self.plan_options

        def again() -> Any:  # on the worker thread: core asks for it when the review is old
            from core.preflight.run import run_preflight

            return run_preflight(domain, metadata, client=session.client, paths=self.paths,
                                 sandbox=sandbox, write_consent=True, options=options)

        def call_with(replace: bool) -> Callable[[Any], Any]:
            def call(ctx: Any) -> Any:
                from core.health.sources import journal_facts, remember_after_change
                from core.operations import federate

                # Where the metadata came from, for the journal and the health watch.
                ctx.journal_extra.update(journal_facts(metadata.source, metadata.metadata))
                result = federate(ctx, domain, federation, confirm=confirm,
                                  preflight=preflight, accept_warnings=accepted,
                                  allow_replace=replace, rerun_preflight=again,
                                  options=options)
                remember_after_change(self.paths, session.tenant_id, domain, metadata.source,
                                      metadata.metadata, result)
                return result
            return call

        self._replace_retry = lambda: self._operation("federate", call_with(True), domain=domain)
        return self._operation("federate", call_with(allow_replace))

    def apply_replacing(self) -> Task | None:
        """The last apply again, replacing the configuration Graph kept refusing to update:
        only after the admin chose it in the dialog that says what it does."""
        retry, self._replace_retry = self._replace_retry, None
        return retry() if retry is not None else None

    def revert(self, domain: str, *, confirm: str, origin: str = "history") -> Task | None:
        def call(ctx: Any) -> Any:
            from core.operations import revert

            return revert(ctx, domain, confirm=confirm)

        return self._operation("revert", call, origin=origin, domain=domain)

    def restore(self, snapshot_id: str, *, confirm: str, force: bool = False,
                origin: str = "history") -> Task | None:
        """``force``: the admin chose, after being told, to undo a later change."""
        def call(ctx: Any) -> Any:
            from core.operations import restore

            return restore(ctx, snapshot_id, confirm=confirm, force=force)

        return self._operation("restore", call, origin=origin, domain=confirm or None)

    def update_certificate(self, domain: str, *, confirm: str, promote: bool,
                           origin: str = "history") -> Task | None:
        from core.settings import rollover_certificates

        md = self.metadata
        certificates = rollover_certificates(md) if md is not None else []

        def call(ctx: Any) -> Any:
            from core.operations import update_certificate

            return update_certificate(ctx, domain, certificates, confirm=confirm,
                                      promote=promote)

        return self._operation("update certificate", call, origin=origin, domain=domain)

    def reconcile(self) -> Task | None:
        """"Check again" after an uncertain result: core re-reads each domain whose change was
        left open and records what it finds (it takes the change lock: a change itself)."""
        session = self.session
        if session is None:
            return None

        def work() -> Any:
            from core.operations import reconcile

            return reconcile(self._operation_context(session, None))

        def done(results: Any) -> None:
            self.reconciled.emit(list(results))
            self.refresh_domains()
            self.history_changed.emit()

        return self.run(work, name="check again", on_result=done, change=True)

    def reconcile_at_start(self) -> Task | None:
        """After sign-in: if the journal holds changes a stopped Federator left unfinished,
        core re-reads their domains and records what became of them (in workers: first a look
        at the journal's index, then, only if something is open, the reconcile, which takes
        the change lock). ``startup_reconciled`` says what was found."""
        session = self.session
        if session is None:
            return None
        journal_dir = self.paths.journal_dir

        def look() -> int:
            from core.operations.startup import open_entries

            return len(open_entries(journal_dir, session.tenant_id))

        def found(count: int) -> None:
            if count and session is self.session:
                self._reconcile_open(session)

        return self.run(look, name="journal check", on_result=found, on_error=lambda _e: None)

    def _reconcile_open(self, session: Any) -> Task | None:
        journal_dir = self.paths.journal_dir

        def work() -> tuple[Any, int]:
            from core.operations.startup import open_entries, reconcile_at_start

            results = reconcile_at_start(self._operation_context(session, None))
            return results, len(open_entries(journal_dir, session.tenant_id))

        def done(answer: tuple[Any, int]) -> None:
            results, still_open = answer
            self.startup_note = startup_note(results, still_open)
            self.startup_reconciled.emit(results, still_open)
            if results:
                self.refresh_domains()
                self.history_changed.emit()

        return self.run(work, name="reconcile at start", on_result=done, change=True)

    def load_password_impact(self, domain: str) -> Task | None:
        session = self.session
        if session is None:
            return None

        def work() -> Any:
            from core.operations import password_impact

            return password_impact(session.client, domain)

        def done(impact: Any) -> None:
            self.password_impact = impact
            self.password_impact_error = None
            self.password_impact_changed.emit()

        def failed(exc: BaseException) -> None:  # the revert card says so, with Retry
            self.password_impact_error = (domain, exc)
            self.password_impact_changed.emit()

        self.password_impact_error = None
        return self.run(work, name="count users", on_result=done, on_error=failed)

    def read_rollover(self, domain: str, on_result: Callable[[Any], None]) -> Task | None:
        """The domain's current and next certificate beside the open metadata's (core.rollover)."""
        session, md, federation = self.session, self.metadata, self.federation
        if session is None:
            return None

        def work() -> Any:
            from core.rollover import read_rollover

            return read_rollover(session.client, domain, md,
                                 getattr(federation, "signing_certificate", None))

        return self.run(work, name="read certificates", on_result=on_result)

    def export_password_users(self, path: Path) -> Task | None:
        """The users who will need a cloud password after the revert, as CSV (read from Graph
        in a worker: a domain may hold many)."""
        session, impact = self.session, self.password_impact
        if session is None or impact is None:
            return None

        def work() -> Path:
            from core.report import _write
            from core.user_lists import password_users_csv

            return _write(path, password_users_csv(session.client, impact.domains_counted))

        return self.run(work, name="list users",
                        on_result=lambda p: self.message.emit(f"List saved to {p}"))

    def check_propagation(self, domain: str) -> Task | None:
        """Graph's view beside sign-in's (realm discovery), for the live indicator."""
        session = self.session
        if session is None:
            return None

        def work() -> Any:
            from core.status import StatusReader

            reader = StatusReader.for_session(session)
            try:
                return reader.read(domain)
            finally:
                reader.close()

        return self.run(work, name="propagation", on_result=self.propagation_changed.emit,
                        on_error=lambda _e: None)


def startup_note(results: list[Any] | None, still_open: int) -> tuple[str, str, str] | None:
    """What to tell the admin after the start-up reconcile: (status, sentence, details)."""
    if results is None:
        return ("info", "The journal holds a change that did not finish, and another Federator "
                        "is changing this tenant right now: it records that change's outcome.",
                "")
    if not results and not still_open:
        return None
    lines = []
    from core.window_text import for_window, way_back_for_window

    for result in results:
        back = f" Way back: {way_back_for_window(result.way_back)}" if result.way_back else ""
        lines.append(f"{for_window(result.summary)}{back}")
    parts = []
    if results:
        parts.append(f"At start, Federator re-read {len(results)} change(s) a stopped Federator "
                     "left unfinished and recorded what became of them (History shows them).")
    if still_open:
        parts.append(f"{still_open} unfinished change(s) stay unverified: the domain could not "
                     "be read now; Federator tries again at the next start or change.")
    return ("warn", " ".join(parts), "\n".join(lines))

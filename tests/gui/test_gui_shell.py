"""The app shell: workers, remembered settings, the crash report, the window's frame, self-test."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import QAbstractButton, QApplication, QLineEdit, QWidget

from core.errors import FederatorError
from core.paths import resolve_paths
from gui import settings as gui_settings
from gui.workers import Cancelled, ImmediateRunner, ThreadPoolRunner

ROOT = Path(__file__).resolve().parents[2]


# -- workers ----------------------------------------------------------------------------------

def test_thread_pool_runs_off_the_gui_thread_and_reports_back_on_it(qtbot: Any) -> None:
    runner = ThreadPoolRunner()
    seen: dict[str, Any] = {}

    def work(control: Any) -> str:
        seen["worker_thread"] = threading.current_thread()
        control.report("halfway")
        return "done"

    progress: list[object] = []

    def on_result(value: str) -> None:
        seen["result"] = value
        seen["result_thread"] = threading.current_thread()

    task = runner.submit(work, progress=True, on_result=on_result, on_progress=progress.append)
    with qtbot.waitSignal(task.finished, timeout=5000):
        pass
    assert seen["result"] == "done"
    assert seen["worker_thread"] is not threading.main_thread()
    assert seen["result_thread"] is threading.main_thread()
    assert progress == ["halfway"]
    assert runner.wait_idle(5000)


def test_errors_come_back_as_objects_never_lost(qtbot: Any) -> None:
    runner = ThreadPoolRunner()
    errors: list[BaseException] = []

    def fail() -> None:
        raise FederatorError("the tenant said no", code="refused", remedy="ask an admin")

    task = runner.submit(fail, on_error=errors.append)
    with qtbot.waitSignal(task.failed, timeout=5000):
        pass
    assert isinstance(errors[0], FederatorError) and errors[0].code == "refused"


def test_immediate_runner_is_synchronous_and_honours_cancel() -> None:
    runner = ImmediateRunner()
    results: list[object] = []
    runner.submit(lambda: 42, on_result=results.append)
    assert results == [42]

    errors: list[BaseException] = []

    def cancelled_before(control: Any) -> None:
        control.cancel()
        control.check()

    runner.submit(cancelled_before, progress=True, on_error=errors.append)
    assert isinstance(errors[0], Cancelled)


# -- settings and crash reports ---------------------------------------------------------------

def test_settings_round_trip_and_survive_a_damaged_file(federator_home: Path) -> None:
    paths = resolve_paths(federator_home)
    settings = gui_settings.load(paths)
    assert settings.recent_files == []
    for n in range(12):
        settings.remember_file(f"/tmp/idp-{n}.xml")
    settings.remember_file("/tmp/idp-3.xml")
    gui_settings.save(paths, settings)
    again = gui_settings.load(paths)
    assert again.recent_files[0] == "/tmp/idp-3.xml"
    assert len(again.recent_files) == gui_settings.MAX_RECENT
    assert again.recent_files.count("/tmp/idp-3.xml") == 1
    gui_settings.settings_path(paths).write_text("{not json", encoding="utf-8")
    assert gui_settings.load(paths).recent_files == []


def test_crash_report_names_the_error_and_holds_no_token(federator_home: Path) -> None:
    from gui.crash import write_crash_report

    token = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJvcHNAY29udG9zby5jb20ifQ.c2lnbmF0dXJlc2lnbmF0dXJl"
    try:
        raise RuntimeError(f"boom with Authorization: Bearer {token}")
    except RuntimeError as exc:
        path = write_crash_report(resolve_paths(federator_home).crash_dir, RuntimeError, exc,
                                  exc.__traceback__)
    text = path.read_text(encoding="utf-8")
    assert path.parent == resolve_paths(federator_home).crash_dir
    assert "RuntimeError" in text and "test_gui_shell.py" in text
    assert token not in text and "c2lnbmF0dXJl" not in text


# -- the window -------------------------------------------------------------------------------

def test_first_start_offers_the_sandbox_and_steps_are_reachable(make_window: Any,
                                                                qtbot: Any) -> None:
    window = make_window()
    assert not window.header.badge.isVisible()
    assert window.header.tenant.text() == "Not signed in"
    view = window.metadata_view
    assert view.try_button.isVisible() and not view.sample_button.isVisible()
    with qtbot.waitActive(window):
        window.activateWindow()
    for index in range(5):
        key = Qt.Key(Qt.Key.Key_1.value + index)
        qtbot.keyClick(window, key, Qt.KeyboardModifier.ControlModifier)
        assert window.current_step() == index
    window.steps.setFocus()
    qtbot.keyClick(window.steps, Qt.Key.Key_Up)
    assert window.current_step() == 3

    qtbot.mouseClick(view.try_button, Qt.MouseButton.LeftButton)
    assert window.state.sandbox and window.state.session is not None
    assert window.header.badge.isVisible() and "SANDBOX" in window.header.badge.text()
    # On a narrow window the line is cut with "…"; readers and the tooltip get all of it.
    assert "Hybrid Identity Administrator" in window.header.account.accessibleName()
    assert "Hybrid Identity Administrator" in window.header.account.toolTip()
    assert window.header.account.text().rstrip("…") in window.header.account.accessibleName()
    assert not view.sample_button.isHidden() and view.try_button.isHidden()
    assert window.state.domains  # the domain table filled itself
    assert gui_settings.load(window.state.paths).first_start_done


def test_every_control_without_text_has_an_accessible_name(make_window: Any, qtbot: Any,
                                                           idp_file: Path) -> None:
    window = make_window(sandbox=True)
    window.metadata_view.open_source(str(idp_file))
    window.state.choose_domain("fabrikam.com")
    window.go_to(2)
    window.go_to(3)
    window.go_to(4)
    missing = []
    for widget in window.findChildren(QWidget):
        if widget.focusPolicy() == Qt.FocusPolicy.NoFocus or widget.isHidden():
            continue
        text = widget.text() if isinstance(widget, QAbstractButton) else "x"
        if isinstance(widget, QLineEdit):
            text = ""
        if not text and not widget.accessibleName():
            missing.append(f"{type(widget).__name__} {widget.objectName()} {widget.toolTip()}")
    assert not missing, missing


def test_window_geometry_is_remembered(make_window: Any, qtbot: Any) -> None:
    window = make_window()
    window.resize(1000, 700)
    window.go_to(2)
    window.close()
    stored = gui_settings.load(window.state.paths)
    assert stored.geometry and stored.last_step == 2
    second = make_window()
    # Restored, not the 1180x780 first-start default (offscreen clamps it to its small screen).
    assert (second.width(), second.height()) != (1180, 780)


def test_dark_scheme_gives_a_dark_palette(qtbot: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from PySide6.QtGui import QPalette

    from gui import theme
    from gui.app import create_app

    monkeypatch.setenv(theme.THEME_ENV, "dark")
    app = create_app()
    theme.apply_theme(app)  # what the colorSchemeChanged signal does when Windows switches
    try:
        assert app.palette().color(QPalette.ColorRole.Window).lightness() < 80
        assert not theme.status_icon("fail").isNull()
    finally:
        monkeypatch.setenv(theme.THEME_ENV, "light")
        theme.apply_theme(app)
    assert QApplication.instance().palette().color(QPalette.ColorRole.Window).lightness() > 200


# -- entry points -----------------------------------------------------------------------------

def _env(home: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("DISPLAY", None)
    env.pop("WAYLAND_DISPLAY", None)
    env.pop("QT_QPA_PLATFORM", None)  # the self-test must choose offscreen by itself
    if sys.platform == "win32":
        # ...on Linux without a display. Windows always has a display (the CI runner's desktop
        # too), so the self-test would open a real window there: keep tests offscreen.
        env["QT_QPA_PLATFORM"] = "offscreen"
    env["FEDERATOR_HOME"] = str(home)
    return env


def test_self_test_paints_the_main_window_and_exits_zero(federator_home: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "gui", "--self-test"], cwd=ROOT,
                          env=_env(federator_home), capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "self-test ok: first paint after" in done.stdout
    assert "Traceback" not in done.stderr


def test_launch_stays_free_of_qt() -> None:
    code = ("import sys, gui.launch, gui; "
            "assert not any(m.startswith('PySide6') for m in sys.modules), 'Qt imported'")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr


FIRST_PAINT_PROBE = """
import sys
import PySide6.QtCore as QtCore
import gui.app as app
seen = {}
build = app.build_window
def probe(*args, **kwargs):
    window = build(*args, **kwargs)
    window.first_painted.connect(lambda: seen.update(
        qt_namespace="Qt" in vars(QtCore), logging="logging.handlers" in sys.modules))
    return window
app.build_window = probe
from gui.launch import main
code = main(["--self-test"])
print("probe", seen)
assert seen == {"qt_namespace": False, "logging": False}, seen
sys.exit(code)
"""


def test_first_paint_waits_for_nothing_it_does_not_show(federator_home: Path) -> None:
    # Startup budget: PySide6's ``Qt`` namespace (~100 Python enums, 15 ms) and the log file
    # set-up are only built after the window has painted (bench/startup_bench.py measures it).
    done = subprocess.run([sys.executable, "-c", FIRST_PAINT_PROBE], cwd=ROOT,
                          env=_env(federator_home), capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "self-test ok" in done.stdout


def test_first_paint_waits_for_nothing_for_a_returning_admin(federator_home: Path) -> None:
    # The second start restores the saved geometry: that path must not build the ``Qt``
    # namespace either (it did, and cost a returning admin 15 ms of every start).
    first = subprocess.run([sys.executable, "-m", "gui", "--self-test"], cwd=ROOT,
                           env=_env(federator_home), capture_output=True, text=True, timeout=60)
    assert first.returncode == 0, first.stderr
    saved = json.loads((federator_home / "config" / "gui.json").read_text(encoding="utf-8"))
    assert saved["geometry"], "the first start saved no geometry to restore"
    done = subprocess.run([sys.executable, "-c", FIRST_PAINT_PROBE], cwd=ROOT,
                          env=_env(federator_home), capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "self-test ok" in done.stdout


def test_step_icons_are_drawn_right_after_the_first_paint(qtbot: Any, federator_home: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    # Rendering the status icons' SVGs waits for the first paint; the list's text stands where
    # it will (a blank icon holds the place), and the icons follow at once.
    import gui.widgets as widgets
    from gui.app import build_window
    from gui.main_window import STEPS

    monkeypatch.setattr(widgets, "_after_paint", [])  # a fresh start: nothing has painted yet
    window = build_window(resolve_paths(federator_home), runner=ImmediateRunner())
    qtbot.addWidget(window)

    def drawn(row: int) -> bool:
        image = window.steps.item(row).icon().pixmap(QSize(18, 18)).toImage()
        return any(image.pixelColor(x, y).alpha() for x in range(18) for y in range(18))

    def sizes() -> list[QSize]:
        return [window.steps.item(row).icon().actualSize(window.steps.iconSize())
                for row in range(len(STEPS))]

    assert not any(drawn(row) for row in range(len(STEPS)))
    blank_sizes = sizes()
    window.show()
    qtbot.waitUntil(widgets.first_paint_happened, timeout=5000)
    qtbot.waitUntil(lambda: all(drawn(row) for row in range(len(STEPS))), timeout=5000)
    assert sizes() == blank_sizes == [window.steps.iconSize()] * len(STEPS)
    window.state.shutdown()


def test_tenant_setup_dialog_saves_the_app_registration(qtbot: Any,
                                                        federator_home: Path) -> None:
    from core.config import GRAPH_CLI_CLIENT_ID, load_tenant_config
    from gui.dialogs import TenantSetupDialog

    paths = resolve_paths(federator_home)
    dialog = TenantSetupDialog(paths)
    qtbot.addWidget(dialog)
    use_cli = next(b for b in dialog.findChildren(QAbstractButton)
                   if b.text() == "Use Graph Command Line Tools")
    use_cli.click()
    dialog.tenant.setText("contoso.com")
    dialog.ok.click()
    config = load_tenant_config(paths)
    assert config.client_id == GRAPH_CLI_CLIENT_ID and config.tenant == "contoso.com"
    assert config.configured

    second = TenantSetupDialog(paths)
    qtbot.addWidget(second)
    sandbox = next(b for b in second.findChildren(QAbstractButton)
                   if b.text() == "Try the sandbox tenant instead")
    sandbox.click()
    assert second.chose_sandbox


def test_a_result_of_none_arrives_as_none(qtbot: Any) -> None:
    for runner in (ImmediateRunner(), ThreadPoolRunner()):
        seen: list[object] = []
        task = runner.submit(lambda: None, on_result=seen.append)
        qtbot.waitUntil(lambda t=task: t.done, timeout=5000)
        assert seen == [None]


def test_qt_calls_keep_none_and_bools_alive(qtbot: Any) -> None:
    """PySide6-Essentials 6.12.0 on Python 3.11 dropped a reference to None/True/False on every
    void call, aborting the app after a few thousand (pyproject pins below it)."""
    from PySide6.QtWidgets import QCheckBox, QLabel

    label = QLabel()
    box = QCheckBox()
    qtbot.addWidget(label)
    qtbot.addWidget(box)
    before = [sys.getrefcount(x) for x in (None, True, False)]
    for _ in range(2_000):
        label.setText("x")
        box.setChecked(True)
        box.setChecked(False)
    after = [sys.getrefcount(x) for x in (None, True, False)]
    assert all(b - a > -100 for a, b in zip(before, after, strict=True)), (before, after)

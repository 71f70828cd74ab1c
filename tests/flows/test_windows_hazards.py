"""What Windows does differently, emulated on Linux: no console for the windowed app, the names
of the installed programs, file arguments from Explorer, backslash paths.

The frozen-app counterparts (built with PyInstaller) are in tests/flows/test_packaging.py (slow).
"""

from __future__ import annotations

import io
import re
import subprocess
import sys
from pathlib import Path

import pytest

from cli.options import parse_app_options
from core import progname
from core.shellquote import command_line

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "packaging"))
import sample_metadata  # noqa: E402

# ---------------------------------------------------------------- the windowed app: no console


@pytest.fixture
def windowed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """What the app shows in its message box (modal, so the test reads its text instead)."""
    import gui.launch

    shown: list[str] = []
    monkeypatch.setattr(gui.launch, "show_notice", shown.append)
    return shown


def _without_console(monkeypatch: pytest.MonkeyPatch) -> None:
    """Like federatorw.exe: sys.stdout and sys.stderr are None. Set in the test itself: pytest's
    output capture swaps the streams between a fixture and the test."""
    monkeypatch.setattr(sys, "stdout", None)
    monkeypatch.setattr(sys, "stderr", None)


@pytest.mark.parametrize("arguments", [
    ["inspect", "idp.xml", "--json"], ["--version"], ["--help"], ["--no-such-option"],
    ["history"]])
def test_windowed_app_sends_command_line_use_to_the_console_program(
        windowed: list[str], arguments: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    from gui.launch import main

    _without_console(monkeypatch)
    code = main(arguments)
    monkeypatch.undo()
    assert code == 2
    assert len(windowed) == 1
    assert command_line(["federator", *arguments]) in windowed[0]
    assert "console program" in windowed[0]


def test_a_file_argument_opens_the_app_with_that_file() -> None:
    for path in ("C:\\Users\\ann\\Downloads\\FederationMetadata.xml", "./idp.xml",
                 "/tmp/idp metadata.xml", "idp.xml"):
        args = parse_app_options([path])
        assert args is not None and args.open_path == path
    args = parse_app_options(["--sandbox", "C:\\idp.xml"])
    assert args is not None and args.sandbox and args.open_path == "C:\\idp.xml"
    # Commands stay commands, even when a file of that name exists.
    assert parse_app_options(["history"]) is None
    assert parse_app_options(["inspect", "idp.xml"]) is None


def test_self_test_with_a_path_opens_it_in_the_metadata_step(
        tmp_path: Path, federator_home: Path) -> None:
    metadata = sample_metadata.write_signed_sample(tmp_path / "FederationMetadata.xml")
    env = {k: v for k, v in __import__("os").environ.items()
           if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    done = subprocess.run([sys.executable, "-m", "gui", "--self-test", str(metadata)], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"self-test ok: opened {sample_metadata.ENTITY_ID}" in done.stdout


# ---------------------------------------------------------------- printed commands run as printed


@pytest.fixture
def frozen_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A frozen app in a folder that is not on the PATH (a copied folder, or a shell opened
    before the install added it): ``sys.frozen`` set, the console program beside the exe."""
    folder = tmp_path / "Program Files" / "Federator"
    folder.mkdir(parents=True)
    console = progname.console_executable(folder)
    console.write_text("#!/bin/sh\n", encoding="utf-8")
    console.chmod(0o755)
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "executable", str(folder / progname.WINDOWED_PROGRAM))
    monkeypatch.setenv("PATH", str(tmp_path / "elsewhere"))
    progname.program_name.cache_clear()
    yield console
    progname.program_name.cache_clear()


def test_printed_commands_name_the_console_program_by_path_when_the_path_lacks_it(
        frozen_copy: Path, federator_home: Path) -> None:
    from cli.commands.common import Context, report_error
    from core.errors import InputError
    from core.paths import resolve_paths

    err = io.StringIO()
    ctx = Context(paths=resolve_paths(federator_home), stdout=io.StringIO(), stderr=err)
    report_error(InputError("The tenant has no domain 'x.example'.",
                            remedy="Check the spelling; `federator domains` lists them."),
                 ctx, as_json=False)
    printed = err.getvalue()
    assert command_line([str(frozen_copy), "domains"]) in printed
    # In PowerShell a quoted program path needs the call operator to run.
    assert command_line([str(frozen_copy), "history"], "powershell").startswith("& '")


def test_printed_commands_say_federator_when_the_path_finds_it(
        frozen_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(frozen_copy.parent))
    progname.program_name.cache_clear()
    assert progname.program_name() == "federator"
    text = "Run: federator signin. Not C:\\tools\\federator x or https://h/federator y."
    assert progname.runnable(text) == text


def test_windowed_and_console_programs_differ_in_more_than_case() -> None:
    # Windows file names ignore case: Federator.exe beside federator.exe would be one file.
    sys.path.insert(0, str(ROOT / "packaging"))
    import build

    assert build.CLI_EXE.lower().startswith(progname.PROGRAM)
    assert build.GUI_EXE.lower() != build.CLI_EXE.lower()
    assert build.GUI_EXE.lower().startswith(progname.WINDOWED_PROGRAM)


# ---------------------------------------------------------------- the log beside another process


def test_the_log_keeps_going_when_windows_will_not_let_it_rotate(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
        ) -> None:
    """The window and a command line at once: Windows refuses to rename a file another process
    holds open (WinError 32), so every rotation fails."""
    import logging
    import os

    from core.logs import PrivateRotatingFileHandler, setup_logging

    def in_use(*_args: object) -> None:
        raise PermissionError(13, "The process cannot access the file because it is being used "
                                  "by another process")

    log_file = tmp_path / "logs" / "federator-cli.log"
    setup_logging(log_file)
    try:
        handler = next(h for h in logging.getLogger().handlers
                       if isinstance(h, PrivateRotatingFileHandler))
        handler.maxBytes = 2_000
        monkeypatch.setattr(os, "rename", in_use)
        monkeypatch.setattr(os, "remove", in_use)
        for n in range(200):
            logging.getLogger("federator.test").info("line %d of a busy session", n)
    finally:
        monkeypatch.undo()
        setup_logging(None)
    err = capsys.readouterr().err
    assert "Logging error" not in err and "Traceback" not in err
    text = log_file.read_text(encoding="utf-8")
    assert "line 0 of" in text and "line 199 of" in text


def test_window_and_command_line_log_to_different_files(federator_home: Path) -> None:
    from core.paths import resolve_paths

    paths = resolve_paths(federator_home)
    assert paths.log_file != paths.cli_log_file
    assert paths.log_file.parent == paths.cli_log_file.parent


# ---------------------------------------------------------------- the Windows sign-in broker


def test_a_broker_that_fails_to_start_falls_back_to_the_browser_with_a_sentence(
        sandbox: object, monkeypatch: pytest.MonkeyPatch) -> None:
    """The broker is native code (pymsalruntime) that can fail in ways msal does not translate;
    emulated here by failing every call that would go through it (a parent window handle)."""
    import re
    import threading

    import msal

    import core.auth
    from core.graph.client import make_session
    from session import sandbox_authenticator

    original = msal.PublicClientApplication.acquire_token_interactive

    def broker_fails(self: object, scopes: list[str], **kwargs: object) -> object:
        if "parent_window_handle" in kwargs:
            raise RuntimeError("pymsalruntime: MSALRuntime failed to start (0x80070005)")
        return original(self, scopes, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(msal.PublicClientApplication, "acquire_token_interactive", broker_fails)
    monkeypatch.setattr(core.auth, "broker_available", lambda: True)
    auth = sandbox_authenticator(sandbox)  # type: ignore[arg-type]
    auth._enable_broker = True
    browser = make_session(verify=str(sandbox.ca_bundle), trust_env=False)  # type: ignore[attr-defined]

    def play_browser(auth_uri: str) -> None:
        def run() -> None:
            page = browser.get(auth_uri, timeout=10).text
            action = re.search(r'action="([^"]+)"', page)
            fields = dict(re.findall(r'name="([^"]+)" value="([^"]*)"', page))
            assert action is not None
            browser.post(action.group(1).replace("&amp;", "&"), data=fields, timeout=10)
        threading.Thread(target=run, daemon=True).start()

    account = auth.sign_in_interactive(login_hint="ops@contoso.com",
                                       auth_uri_callback=play_browser, timeout_s=20)
    assert account.upn == "ops@contoso.com"
    assert auth.broker_note is not None
    assert "signing in with the browser instead" in auth.broker_note
    assert "--no-broker" in auth.broker_note


def test_signin_takes_no_broker_and_broker() -> None:
    import cli.main as cli

    parser = cli.build_parser()
    assert parser.parse_args(["signin", "--no-broker"]).broker is False
    assert parser.parse_args(["signin", "--broker"]).broker is True
    assert parser.parse_args(["signin"]).broker is None


def test_closing_the_window_cancels_a_waiting_browser_sign_in(sandbox: object) -> None:
    """The admin closes the window while the browser sign-in waits: the wait ends at once
    instead of keeping a hidden process alive for the sign-in's 300 s timeout."""
    import threading
    import time

    from core.auth import SignInError
    from session import sandbox_authenticator

    auth = sandbox_authenticator(sandbox)  # type: ignore[arg-type]
    shown = threading.Event()
    outcome: list[BaseException | object] = []

    def sign_in() -> None:
        try:
            outcome.append(auth.sign_in_interactive(
                login_hint="ops@contoso.com", auth_uri_callback=lambda _uri: shown.set(),
                timeout_s=300))
        except BaseException as exc:
            outcome.append(exc)

    worker = threading.Thread(target=sign_in, daemon=True)
    worker.start()
    assert shown.wait(10), "the sign-in never reached the browser step"
    started = time.monotonic()
    auth.cancel_interactive()
    worker.join(10)
    assert not worker.is_alive()
    assert time.monotonic() - started < 5
    assert isinstance(outcome[0], SignInError) and outcome[0].code == "signin_cancelled"


# ---------------------------------------------------------------- supported Windows versions


@pytest.mark.parametrize(("build", "server", "supported"), [
    (14393, True, False),    # Windows Server 2016: no system ICU
    (17763, True, True),     # Windows Server 2019
    (17763, False, False),   # Windows 10 1809
    (18362, False, True),    # Windows 10 1903
    (22631, False, True),    # Windows 11 23H2
])
def test_the_app_says_which_windows_it_needs(build: int, server: bool, supported: bool) -> None:
    from gui.launch import unsupported_windows

    problem = unsupported_windows(build, server=server)
    assert (problem is None) == supported
    if problem:
        assert "Windows 10 version 1903" in problem and "Server 2019" in problem
        assert str(build) in problem


# ---------------------------------------------------------------- the enterprise network


@pytest.fixture
def enterprise_ca_in_system_store(sandbox: object, monkeypatch: pytest.MonkeyPatch) -> str:
    """A CA that only the operating system's store trusts (as a TLS-inspecting proxy's CA, which
    Group Policy deploys to Windows, and which certifi's bundle lacks). On Linux the system store
    is OpenSSL's default verify paths, which SSL_CERT_FILE replaces. The sandbox's own CA plays
    that CA; its URL is what the enterprise proxy would present."""
    for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "HTTPS_PROXY", "https_proxy",
                 "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SSL_CERT_FILE", str(sandbox.ca_bundle))  # type: ignore[attr-defined]
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    return f"{sandbox.login_url}/{sandbox.tenant_id}/v2.0/.well-known/openid-configuration"  # type: ignore[attr-defined]


def test_https_to_real_services_trusts_the_system_certificate_store(
        enterprise_ca_in_system_store: str) -> None:
    import certifi
    import requests

    from core.graph.client import make_session

    url = enterprise_ca_in_system_store
    with pytest.raises(requests.exceptions.SSLError):  # certifi alone: the failure admins saw
        requests.get(url, verify=certifi.where(), timeout=10)
    with make_session() as session:  # what Graph, msal and metadata downloads use
        assert session.get(url, timeout=10).status_code == 200


def test_metadata_urls_are_fetched_with_the_system_certificate_store(
        enterprise_ca_in_system_store: str, sandbox: object) -> None:
    from core.errors import FederatorError
    from core.metadata import read_metadata

    # The sandbox serves no metadata at this address: any answer but a TLS failure proves trust.
    url = enterprise_ca_in_system_store.replace("/.well-known/openid-configuration", "")
    with pytest.raises(FederatorError) as info:
        read_metadata(url)
    assert "TLS certificate could not be verified" not in info.value.message


# ---------------------------------------------------------------- settings.json held open


def test_saving_settings_waits_for_a_moment_when_windows_refuses_the_replace(
        federator_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Windows refuses to replace a file another process has open (the window reading
    settings.json while the command line saves it; an antivirus scan): a moment later it works."""
    from core.config import TenantConfig, load_tenant_config, save_tenant_config
    from core.paths import resolve_paths

    real_replace = Path.replace
    refusals = [PermissionError(13, "Access is denied")] * 3

    def busy_then_free(self: Path, target: Path) -> Path:
        if refusals:
            raise refusals.pop()
        return real_replace(self, target)

    monkeypatch.setattr(Path, "replace", busy_then_free)
    paths = resolve_paths(federator_home)
    save_tenant_config(paths, TenantConfig(client_id="11111111-2222-3333-4444-555555555555",
                                           tenant="contoso.com"))
    assert not refusals
    assert load_tenant_config(paths).tenant == "contoso.com"


# ---------------------------------------------------------------- a closed pipe, Windows style


class _ClosedWindowsPipe:
    """stdout whose reader went away, as Windows reports it: EINVAL, not EPIPE."""

    def __init__(self, fd: int) -> None:
        self._fd = fd

    def write(self, text: str) -> int:
        raise OSError(22, "Invalid argument")

    def flush(self) -> None:
        pass

    def fileno(self) -> int:
        return self._fd


def test_a_pipe_closed_on_windows_is_quiet_not_an_unexpected_error(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    import os

    from cli.main import main

    fd = os.open(tmp_path / "stdout", os.O_WRONLY | os.O_CREAT)
    try:
        with capsys.disabled():
            err = io.StringIO()
            monkeypatch.setattr(sys, "stdout", _ClosedWindowsPipe(fd))
            monkeypatch.setattr(sys, "stderr", err)
            code = main(["inspect", str(tmp_path / "missing.xml"), "--json"])
            monkeypatch.undo()
    finally:
        os.close(fd)
    assert code == 1
    assert "unexpected" not in err.getvalue()


# ---------------------------------------------------------------- High Contrast


def test_high_contrast_mode_keeps_the_systems_colours(qapp: object,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from PySide6.QtGui import QPalette
    from PySide6.QtWidgets import QApplication

    from gui import theme

    app = QApplication.instance()
    assert isinstance(app, QApplication)
    app.setPalette(QPalette())  # the platform theme's colours
    system_window = app.palette().color(QPalette.ColorRole.Window).name()
    theme.apply_theme(app)
    assert app.palette().color(QPalette.ColorRole.Window).name() != system_window
    assert app.styleSheet()
    monkeypatch.setattr(theme, "high_contrast", lambda: True)  # what Windows reports
    try:
        theme.apply_theme(app)
        # No colour of ours: only the focus rules, drawn in the contrast theme's own colours.
        assert not re.search(r"#[0-9A-Fa-f]{3,8}\b", app.styleSheet())
        assert ":focus" in app.styleSheet()
        assert app.palette().color(QPalette.ColorRole.Window).name() == system_window
    finally:
        monkeypatch.undo()
        theme.apply_theme(app)

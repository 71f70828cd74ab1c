"""Foundation: the import contracts hold, the CLI runs without Qt, paths follow the home."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from core.paths import resolve_paths

ROOT = Path(__file__).resolve().parents[2]


def test_the_import_contracts_hold() -> None:
    """The layers (faces over session over sandbox over core), core without Qt, requests and
    msal only where they are owned, no cycles: pyproject.toml's [tool.importlinter], imports
    inside functions included. .ci/run runs it too."""
    lint = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_cli_subcommand_does_not_load_qt(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from gui.launch import main\n"
        "try:\n"
        "    main(['--help'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "assert not any(m.startswith('PySide6') for m in sys.modules), 'Qt was imported'\n"
        "print('no-qt')\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "no-qt" in result.stdout


def test_home_moves_every_folder(tmp_path: Path) -> None:
    paths = resolve_paths(tmp_path / "h")
    for folder in (paths.config, paths.data, paths.logs, paths.cache, paths.journal_dir,
                   paths.sandbox_dir):
        assert str(folder).startswith(str((tmp_path / "h").resolve()))


def test_default_paths_are_per_user_platform_folders(monkeypatch) -> None:
    monkeypatch.delenv("FEDERATOR_HOME", raising=False)
    paths = resolve_paths(None)
    assert "Federator" in str(paths.config)
    assert paths.config != paths.logs


def test_no_display_is_a_readable_error_not_a_qt_abort(monkeypatch) -> None:
    """`federator` on a Linux box without a display says so instead of Qt aborting."""
    if not sys.platform.startswith("linux"):
        import pytest

        pytest.skip("only Linux can lack a display")
    env = {k: v for k, v in __import__("os").environ.items()
           if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    result = subprocess.run([sys.executable, "-m", "gui"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert result.stderr.startswith("error: no graphical display")
    assert "federator --help" in result.stderr

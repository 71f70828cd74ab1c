"""Foundation: core never imports Qt, the CLI runs without Qt, paths follow the home."""

from __future__ import annotations

import pkgutil
import subprocess
import sys
from pathlib import Path

import core
from core.paths import resolve_paths

ROOT = Path(__file__).resolve().parents[1]


def _core_modules() -> list[str]:
    return sorted(m.name for m in pkgutil.walk_packages(core.__path__, "core.")
                  if not m.name.endswith("__main__"))


def test_every_core_module_imports_with_pyside6_unimportable() -> None:
    code = (
        "import sys, importlib\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in ('PySide6', 'shiboken6', 'gui'):\n"
        "            raise ImportError('blocked: ' + name)\n"
        "sys.meta_path.insert(0, Block())\n"
        f"for m in {_core_modules()!r}:\n"
        "    importlib.import_module(m)\n"
        "print('ok', len(sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ok")


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

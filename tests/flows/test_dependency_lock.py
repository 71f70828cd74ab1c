"""Dependencies: floors that leave out known-vulnerable releases, and a release build that installs
exactly the pinned, hashed packages of packaging/requirements-lock.txt."""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

import pytest
from packaging.markers import default_environment
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[2]
LOCK = ROOT / "packaging" / "requirements-lock.txt"
sys.path.insert(0, str(ROOT / "packaging"))
import build  # noqa: E402

# The first release of each that Federator accepts; the one before it must be refused.
FLOORS = {"urllib3": ("2.6.3", "2.6.2"), "requests": ("2.32.4", "2.32.3"),
          "lxml": ("6.1.0", "6.0.4"), "cryptography": ("44.0.1", "44.0.0"),
          "signxml": ("4.0.4", "4.0.3")}
# The lock is for the release platform: Windows x64, CPython 3.11.
WINDOWS = {**default_environment(), "sys_platform": "win32", "platform_system": "Windows",
           "os_name": "nt", "python_version": "3.11", "python_full_version": "3.11.9",
           "platform_machine": "AMD64"}


def _requirements(extra: str | None = None) -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    lines = project["dependencies"] if extra is None else project["optional-dependencies"][extra]
    return [Requirement(line) for line in lines]


@pytest.mark.parametrize("name", list(FLOORS))
def test_floors_leave_out_known_vulnerable_releases(name: str) -> None:
    floor, below = FLOORS[name]
    requirement = next(r for r in _requirements() if r.name == name)
    assert requirement.specifier.contains(floor)
    assert not requirement.specifier.contains(below)


def test_the_lock_pins_every_release_dependency_with_hashes() -> None:
    text = LOCK.read_text(encoding="utf-8")
    pins = build.locked_versions(LOCK)
    for requirement in [*_requirements(), *_requirements("packaging")]:
        if requirement.marker is not None and not requirement.marker.evaluate(WINDOWS):
            continue
        name = build._canonical(requirement.name)
        assert name in pins, f"{name} is not in the lock"
        assert requirement.specifier.contains(pins[name]), (name, pins[name])
    # Every pinned package carries at least one SHA-256 hash (pip --require-hashes needs it).
    entries = re.split(r"\n(?=[A-Za-z0-9])", text[text.index("\n" + next(iter(pins))) + 1:])
    for entry in entries:
        if "==" in entry.split("\n", 1)[0]:
            assert re.search(r"--hash=sha256:[0-9a-f]{64}", entry), entry.split("\n", 1)[0]
    assert len(entries) == len(pins)


def test_the_build_refuses_packages_that_differ_from_the_lock(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    lock = tmp_path / "requirements-lock.txt"
    lock.write_text("requests==0.0.1 \\\n    --hash=sha256:" + "0" * 64 + "\n"
                    "not-a-real-package-federator==1.0 \\\n    --hash=sha256:" + "1" * 64 + "\n",
                    encoding="utf-8")
    monkeypatch.setattr(build, "LOCK", lock)
    monkeypatch.setattr(build, "build_onedir", lambda *a, **k: pytest.fail("built anyway"))
    code = build.main(["--check-lock", "--skip-msi", "--dist", str(tmp_path / "dist"),
                       "--work", str(tmp_path / "work")])
    err = capsys.readouterr().err
    assert code == 1
    assert "the lock pins 0.0.1" in err
    assert "not-a-real-package-federator 1.0 is not installed" in err


def test_the_windows_workflow_installs_the_lock_with_hashes_before_building() -> None:
    workflow = (ROOT / ".github" / "workflows" / "windows.yml").read_text(encoding="utf-8")
    install = workflow.index("pip install --require-hashes -r packaging/requirements-lock.txt")
    assert install < workflow.index("python packaging/build.py")
    # The build step checks the lock itself (the default on Windows): nothing disables it.
    assert "--no-lock-check" not in workflow

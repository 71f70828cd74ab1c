"""Test set-up: Qt offscreen, every test in its own Federator home, shared fixtures via plugins."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

pytest_plugins: list[str] = ["tests.plugins.sandbox", "tests.plugins.windows_clock",
                             "tests.gui_helpers"]

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
CORPUS = SHARED / "corpus"


@pytest.fixture(autouse=True)
def federator_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Each test gets an empty Federator home, so nothing touches the real per-user folders."""
    home = tmp_path / "federator-home"
    monkeypatch.setenv("FEDERATOR_HOME", str(home))
    yield home


@pytest.fixture
def corpus_dir() -> Path:
    """The shared IdP metadata corpus; tests using it skip with a reason where it is absent."""
    if not CORPUS.is_dir():
        pytest.skip(f"IdP metadata corpus not found at {CORPUS} (it lives in ../shared/corpus)")
    return CORPUS

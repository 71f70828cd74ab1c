"""The desktop app's own remembered state: window geometry, recent metadata files, first start.

Kept in a small JSON file beside core's ``settings.json`` (``gui.json`` in the config folder), so it
is an ordinary per-user file rather than the registry, follows ``--home``/``FEDERATOR_HOME``, and
never holds anything secret.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from core.paths import Paths

log = logging.getLogger(__name__)

MAX_RECENT = 8


@dataclass(kw_only=True)
class GuiSettings:
    """What the window remembers between runs."""

    geometry: str = ""  # base64 of QWidget.saveGeometry()
    splitter: str = ""
    recent_files: list[str] = field(default_factory=list)
    first_start_done: bool = False
    last_step: int = 0

    def as_dict(self) -> dict[str, object]:
        """The JSON-ready form ``save`` writes and ``load`` reads back."""
        return {"geometry": self.geometry, "splitter": self.splitter,
                "recent_files": list(self.recent_files),
                "first_start_done": self.first_start_done, "last_step": self.last_step}

    def remember_file(self, path: str) -> None:
        entries = [p for p in self.recent_files if p != path]
        self.recent_files = [path, *entries][:MAX_RECENT]


def settings_path(paths: Paths) -> Path:
    return paths.config / "gui.json"


def load(paths: Paths) -> GuiSettings:
    """Read the settings; a missing or damaged file gives the defaults (and a log line)."""
    try:
        text = settings_path(paths).read_text(encoding="utf-8")
    except FileNotFoundError:  # the first start: no need to load json before the first paint
        return GuiSettings()
    except OSError as exc:
        log.warning("ignoring unreadable %s: %s", settings_path(paths), exc)
        return GuiSettings()
    import json

    try:
        raw = json.loads(text)
    except ValueError as exc:
        log.warning("ignoring unreadable %s: %s", settings_path(paths), exc)
        return GuiSettings()
    if not isinstance(raw, dict):
        return GuiSettings()
    defaults = GuiSettings().as_dict()
    known: dict[str, Any] = {k: raw[k] for k in defaults if k in raw
                             and isinstance(raw[k], type(defaults[k]))}
    result = GuiSettings(**known)
    result.recent_files = [p for p in result.recent_files if isinstance(p, str)][:MAX_RECENT]
    return result


def save(paths: Paths, settings: GuiSettings) -> None:
    """Write atomically (temp file + rename) so a crash never leaves half a file."""
    import json

    from core.atomic_write import write_atomic

    target = settings_path(paths)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(target, json.dumps(settings.as_dict(), indent=2).encode("utf-8"))
    except OSError as exc:
        log.warning("could not save %s: %s", target, exc)

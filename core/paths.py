"""The one place that knows where Federator keeps its files.

Per-user folders from platformdirs by default; ``FEDERATOR_HOME`` (or the CLI's global ``--home``)
moves every one of them under a single folder, which is what tests and portable installs use.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

APP_NAME = "Federator"
APP_AUTHOR = "Federator"
HOME_ENV = "FEDERATOR_HOME"


@dataclass(frozen=True)
class Paths:
    """Where settings, logs, the journal, the token cache and the sandbox state live."""

    config: Path
    data: Path
    logs: Path
    cache: Path

    @property
    def settings_file(self) -> Path:
        return self.config / "settings.json"

    @property
    def log_file(self) -> Path:
        """The desktop app's log."""
        return self.logs / "federator.log"

    @property
    def cli_log_file(self) -> Path:
        """The command line's log: apart from the window's, so that running both at once does
        not leave two processes holding one file (which Windows then cannot rotate)."""
        return self.logs / "federator-cli.log"

    @property
    def journal_dir(self) -> Path:
        return self.data / "journal"

    @property
    def sandbox_dir(self) -> Path:
        return self.data / "sandbox"

    @property
    def token_cache_file(self) -> Path:
        return self.cache / "msal_token_cache.bin"

    @property
    def reports_dir(self) -> Path:
        return self.data / "reports"

    @property
    def crash_dir(self) -> Path:
        return self.logs / "crash"

    def ensure(self) -> Paths:
        """Create the folders (owner-only where the platform honours modes)."""
        from core.logs import private_folder

        for folder in (self.config, self.data, self.logs, self.cache):
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        private_folder(self.logs)  # tightened even when it already existed wider
        return self


def resolve_paths(home: str | os.PathLike[str] | None = None) -> Paths:
    """Paths for ``home`` if given, else ``$FEDERATOR_HOME``, else the per-user platform folders."""
    chosen = home if home is not None else os.environ.get(HOME_ENV) or None
    if chosen is not None:
        root = Path(chosen).expanduser().resolve()
        return Paths(config=root / "config", data=root / "data", logs=root / "logs",
                     cache=root / "cache")
    import platformdirs

    dirs = platformdirs.PlatformDirs(APP_NAME, APP_AUTHOR, roaming=False)
    return Paths(
        config=Path(dirs.user_config_dir),
        data=Path(dirs.user_data_dir),
        logs=Path(dirs.user_log_dir),
        cache=Path(dirs.user_cache_dir),
    )


def replace_file(source: Path, target: Path, *, attempts: int = 20, pause_s: float = 0.05) -> None:
    """``source.replace(target)``, retried for about a second while Windows refuses it.

    On Windows the rename fails with "access denied" while another process has ``target`` open
    without delete sharing: the other face of Federator reading settings.json, an antivirus
    scanner or a backup agent, each for a moment (https://learn.microsoft.com/windows/win32/api/
    winbase/nf-winbase-movefileexw). Only PermissionError is retried; anything else, and the last
    refusal, is raised."""
    import time

    for attempt in range(attempts):
        try:
            source.replace(target)
            return
        except PermissionError:
            if attempt == attempts - 1:
                raise
            time.sleep(pause_s)

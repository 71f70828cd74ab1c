"""Saving the tenant settings where nothing can be written is a sentence, not a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest


def test_saving_the_tenant_settings_where_nothing_can_be_written_is_a_federator_error(
        tmp_path: Path) -> None:
    from core.config import TenantConfig, save_tenant_config
    from core.errors import FederatorError
    from core.paths import Paths

    if not Path("/proc/self").is_dir():
        pytest.skip("needs Linux /proc: a folder that exists, reads as empty, and takes no file")
    paths = Paths(Path("/proc"), tmp_path / "data", tmp_path / "logs", tmp_path / "cache")
    with pytest.raises(FederatorError) as info:
        save_tenant_config(paths, TenantConfig(client_id="x"))
    assert info.value.code == "settings_unwritable"
    assert "cannot save its settings in /proc/settings.json" in info.value.message


# -- browser sign-in: a network failure is a sentence, not a raw requests exception --------------

"""Which real tenant Federator signs in to: app (client) id, tenant, cloud. Kept in settings.json.

Until a client id is configured, there is no real tenant and the sandbox tenant is the default
(demo mode). The values live under the ``"tenant"`` key of ``Paths.settings_file``; other keys of
that file belong to other parts of the app and are preserved on save.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from core.atomic_write import write_atomic
from core.errors import FederatorError
from core.paths import Paths

SECTION = "tenant"
# Microsoft Graph Command Line Tools (Graph PowerShell's default public client, Microsoft Graph
# CLI's DefaultAppId, microsoftgraph/msgraph-cli-core):
# the documented alternative for admins who cannot register their own app.
GRAPH_CLI_CLIENT_ID = "14d82eec-204b-4c2f-b7e8-296a70dab67e"


@dataclass
class TenantConfig:
    """The real tenant's sign-in settings.

    ``tenant`` is a tenant id or a verified domain (``organizations`` lets the account decide);
    ``legacy_scopes`` asks for ``Directory.AccessAsUser.All`` instead of the October 2025
    ``Domain-InternalFederation.ReadWrite.All`` (for tenants that have not consented to it yet);
    ``use_broker`` lets Windows sign in through the Web Account Manager when it is available.
    ``graph_url``/``login_url``/``ca_bundle`` replace the cloud's endpoints with custom ones
    trusted through that CA bundle (a sandbox from ``federator sandbox serve``); unset for real
    tenants.
    """

    client_id: str | None = None
    tenant: str = "organizations"
    cloud: str = "global"
    legacy_scopes: bool = False
    use_broker: bool = True
    graph_url: str | None = None
    login_url: str | None = None
    ca_bundle: str | None = None

    @property
    def custom_endpoints(self) -> bool:
        return bool(self.graph_url and self.login_url)

    @property
    def configured(self) -> bool:
        """True when a real tenant is set up (otherwise the sandbox is the default)."""
        return bool(self.client_id)


def choose_cloud(config: TenantConfig, name: str) -> None:
    """Point ``config`` at Microsoft cloud ``name``, dropping any custom endpoints and their CA
    bundle (so choosing a cloud can never keep tokens flowing to a host typed in earlier).
    ``federator signin --cloud`` and the window's tenant dialog both call this."""
    from core.clouds import get_cloud

    config.cloud = get_cloud(name).name
    config.graph_url = config.login_url = config.ca_bundle = None


def set_custom_endpoints(config: TenantConfig, graph_url: str, login_url: str,
                         ca_bundle: str | None) -> None:
    """Use custom Graph and sign-in roots (a sandbox from ``federator sandbox serve``, or a
    Microsoft cloud's own hosts); refused unless :func:`core.clouds.check_endpoints` allows
    them, before anything is saved or sent."""
    from core.clouds import check_ca_bundle

    check_ca_bundle(graph_url, login_url, ca_bundle)  # checks the endpoints too
    config.graph_url, config.login_url = graph_url, login_url
    config.ca_bundle = ca_bundle


def _read_settings(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise FederatorError(f"cannot read the settings file {path}: {exc}",
                             code="settings_unreadable",
                             remedy="Fix or delete the file, then run the command again.") from exc
    return data if isinstance(data, dict) else {}


def load_tenant_config(paths: Paths) -> TenantConfig:
    """The configured tenant, or defaults (not configured) when there is none."""
    section = _read_settings(paths.settings_file).get(SECTION)
    if not isinstance(section, dict):
        return TenantConfig()
    known = {f.name for f in fields(TenantConfig)}
    values = {k: v for k, v in section.items() if k in known}
    config = TenantConfig(**values)
    config.client_id = str(config.client_id).strip() if config.client_id else None
    config.tenant = str(config.tenant or "organizations").strip()
    return config


def save_tenant_config(paths: Paths, config: TenantConfig) -> None:
    """Write ``config`` under the ``tenant`` key, keeping every other key, atomically."""
    path = paths.settings_file
    settings = _read_settings(path)
    settings[SECTION] = asdict(config)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, (json.dumps(settings, indent=2) + "\n").encode("utf-8"))
    except OSError as exc:
        raise _unwritable(path, exc) from exc


def _unwritable(path: Path, exc: OSError) -> FederatorError:
    """A settings file that cannot be written, said as a sentence (never a raw OSError)."""
    return FederatorError(
        f"Federator cannot save its settings in {path} ({exc.strerror or type(exc).__name__}).",
        code="settings_unwritable",
        remedy="Free disk space or fix the folder's permissions, or use --home with a writable "
               "folder.")

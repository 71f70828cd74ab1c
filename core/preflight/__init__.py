"""Preflight: everything an admin should know before federating a domain, checked in one go.

Why a package: gathering tenant data (``gather``, the only part that talks to Graph), the checks
(``checks``, pure functions over gathered data, no HTTP) and the orchestration (``run``) change for
different reasons and are tested differently.

Two entry points, one engine: :func:`core.preflight.run.run_preflight` (domain, metadata input,
Graph client, paths) is the engine the GUI calls; :func:`run_preflight` here is the front door
for code holding a ``TenantSession`` (the CLI's change commands).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from core.preflight.model import (
    STATUSES,
    CheckAction,
    CheckResult,
    PreflightResult,
    Status,
    TenantSnapshot,
)

if TYPE_CHECKING:
    from core.metadata import IdpMetadata
    from core.paths import Paths
    from core.plan import PlanOptions
    from core.preflight.run import MetadataInput

__all__ = ["STATUSES", "CheckAction", "CheckResult", "PreflightResult", "Status",
           "TenantSnapshot", "run_preflight"]


def run_preflight(session: Any, domain: str, *, metadata: IdpMetadata | MetadataInput,
                  options: PlanOptions | None = None, metadata_source: str | None = None,
                  paths: Paths | None = None) -> PreflightResult:
    """Every check for ``domain`` on ``session``'s tenant (a ``core.tenant.TenantSession``).

    ``metadata`` is what was read (``IdpMetadata``; the settings are derived here) or a ready
    ``MetadataInput``. ``paths`` defaults to ``resolve_paths()`` (for the journal probe).
    """
    from core.paths import resolve_paths
    from core.preflight import run

    if not isinstance(metadata, run.MetadataInput):
        from core.settings import settings_from_metadata

        settings, findings = settings_from_metadata(metadata)
        metadata = run.MetadataInput(metadata_source or metadata.source_name, metadata, settings,
                                     findings)
    return run.run_preflight(domain, metadata, client=session.client,
                             paths=paths or resolve_paths(), options=options,
                             sandbox=bool(getattr(session, "is_sandbox", False)))

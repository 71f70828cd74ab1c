"""Preflight: everything an admin should know before federating a domain, checked in one go.

Why a package: gathering tenant data (``gather``, the only part that talks to Graph), the checks
(``checks``, pure functions over gathered data, no HTTP) and the orchestration (``run``) change for
different reasons and are tested differently.

One entry point: :func:`core.preflight.run.run_preflight` (domain, metadata input, Graph client,
paths), which the CLI and the window both call.
"""

from __future__ import annotations

from core.preflight.model import (
    STATUSES,
    CheckAction,
    CheckResult,
    PreflightResult,
    Status,
    TenantSnapshot,
)

__all__ = ["STATUSES", "CheckAction", "CheckResult", "PreflightResult", "Status",
           "TenantSnapshot"]

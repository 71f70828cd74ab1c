"""The changes: federate, update the signing certificate, revert to managed, restore, and make
a domain the default (the remedy preflight offers for ``domain.not_default``).

Each is one module (``change_*``) over the same pipeline (``core.operations.pipeline``): confirm ->
lock -> reconcile -> read the domain -> plan -> record the snapshot -> write -> read back and
verify -> record. This module gathers them for the code that imports them from here.
"""

from __future__ import annotations

from core.operations.change_certificate import (
    promote_certificate,
    stage_certificate,
    update_certificate,
)
from core.operations.change_federate import federate
from core.operations.change_make_default import make_default
from core.operations.change_restore import check_not_overwriting, check_restorable, restore
from core.operations.change_revert import revert
from core.operations.pipeline import (
    PREFLIGHT_FRESH,
    PREFLIGHT_MAX_AGE,
    PROPAGATION_NOTE,
    REPLACE_NEVER_IN_ROLLOVER,
    REPLACE_OFFER,
    REPLACE_WHAT,
    Prepared,
    ReplaceRefusedError,
    _half_federated_advice,
    check_preflight,
    fresh_preflight,
    reconcile,
    show_password_impact,
)

__all__ = [
    "PREFLIGHT_FRESH", "PREFLIGHT_MAX_AGE", "PROPAGATION_NOTE", "REPLACE_NEVER_IN_ROLLOVER",
    "REPLACE_OFFER", "REPLACE_WHAT", "Prepared", "ReplaceRefusedError", "_half_federated_advice",
    "check_not_overwriting", "check_preflight", "check_restorable", "federate",
    "fresh_preflight", "make_default", "promote_certificate", "reconcile", "restore", "revert",
    "show_password_impact", "stage_certificate", "update_certificate",
]

"""The kinds of change, as the journal records them, and what a person calls each.

Why a module of its own, outside ``core.operations``: the window's history names entries
without importing the whole operations package, and the CLI, the window and the journal must
agree on one word per kind.
"""

from __future__ import annotations

# Kinds of change, as the journal records them, and what a person calls each. Older journals
# hold "update", "certificate_update" and "make_default": they keep their words.
KIND_FEDERATE = "federate"
KIND_REVERT = "revert"
KIND_RESTORE = "restore"
KIND_STAGE_CERTIFICATE = "stage-certificate"
KIND_PROMOTE_CERTIFICATE = "promote-certificate"
KIND_MAKE_DEFAULT = "make-default"
KIND_TITLES = {
    KIND_FEDERATE: "Federate", "update": "Update federation", KIND_REVERT: "Revert to managed",
    KIND_RESTORE: "Restore", "certificate_update": "Update certificate",
    KIND_STAGE_CERTIFICATE: "Add next certificate",
    KIND_PROMOTE_CERTIFICATE: "Promote certificate", "make_default": "Make default",
    KIND_MAKE_DEFAULT: "Make default",
}


def kind_title(kind: str) -> str:
    """A journal entry's kind as a person reads it (``stage-certificate``: Add next certificate);
    an unknown kind (a newer journal) as it is."""
    return KIND_TITLES.get(kind, kind)

"""A check's status and how it reads: one word per status for the terminal, the report and the
window.

Why a module of its own: the window's theme needs the words at start-up, without importing the
preflight package; the CLI, the HTML report and every widget show the same word for a status.
"""

from __future__ import annotations

from typing import Literal

# ``unknown``: Federator could not read what the check needs (Graph refused or failed a read);
# like a warning, it blocks a change until the admin accepts it by id.
Status = Literal["pass", "warn", "fail", "unknown", "manual", "skipped"]
STATUSES: tuple[Status, ...] = ("fail", "warn", "unknown", "manual", "pass", "skipped")
# Statuses a change needs the admin to accept, check by check, before it goes ahead.
TO_ACCEPT: tuple[Status, ...] = ("warn", "unknown")

# How each status reads on a plain terminal and in reports: a marker that survives without colour.
STATUS_MARKERS: dict[str, str] = {
    "pass": "[ OK ]", "warn": "[WARN]", "fail": "[FAIL]", "unknown": "[UNREAD]",
    "manual": "[MANUAL]", "skipped": "[SKIP]",
}
STATUS_WORDS: dict[str, str] = {
    "pass": "Pass", "warn": "Warning", "fail": "Fail", "unknown": "Unknown (not read)",
    "manual": "Check by hand", "skipped": "Skipped",
}

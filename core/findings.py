"""One shared shape for "something a careful admin should know": metadata, certificate and preflight
checks all report ``Finding`` objects, so the CLI, the GUI and reports show them the same way.

A finding never stops anything by itself: the caller decides what an ``error`` finding blocks.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning", "info"]

SEVERITY_ORDER: dict[str, int] = {"error": 0, "warning": 1, "info": 2}


@dataclass(frozen=True)
class Finding:
    """One observation with a stable machine ``id`` (tests, JSON, suppressions rely on it).

    ``message`` says what is wrong in plain words; ``remedy`` says what the admin can do, or is
    ``None`` when there is nothing to do (an ``info`` finding).
    """

    id: str
    severity: Severity
    message: str
    remedy: str | None = None

    def to_json(self) -> dict[str, str | None]:
        return {"id": self.id, "severity": self.severity, "message": self.message,
                "remedy": self.remedy}


def sort_findings(findings: Iterable[Finding]) -> list[Finding]:
    """Errors first, then warnings, then information; stable within a severity."""
    return sorted(findings, key=lambda f: SEVERITY_ORDER.get(f.severity, 3))


def merge_findings(*groups: Iterable[Finding]) -> list[Finding]:
    """Several checks' findings as one sorted list, each (id, message) once."""
    seen: set[tuple[str, str]] = set()
    merged: list[Finding] = []
    for group in groups:
        for finding in group:
            key = (finding.id, finding.message)
            if key not in seen:
                seen.add(key)
                merged.append(finding)
    return sort_findings(merged)


def has_errors(findings: Iterable[Finding]) -> bool:
    return any(f.severity == "error" for f in findings)

"""A test sign-in's record: each hop of the round trip with its verdict, for the CLI and window.

Realm discovery -> Entra's request to the IdP -> the IdP's response -> Entra's verdict at
login.srf. ``TripResult.to_json`` is ``federator test-signin --json``'s shape.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from core.findings import Finding

HopState = Literal["ok", "fail", "skipped"]


@dataclass(frozen=True)
class Hop:
    name: str  # "realm discovery", "authentication request", "IdP response", "Entra verdict"
    state: HopState
    detail: str

    def to_json(self) -> dict[str, str]:
        return {"name": self.name, "state": self.state, "detail": self.detail}


@dataclass
class TripResult:
    ok: bool
    aadsts: str | None
    hops: list[Hop] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    saml_response: str | None = None  # base64, so the doctor can be run on it

    def to_json(self) -> dict[str, Any]:
        return {"ok": self.ok, "aadsts": self.aadsts,
                "hops": [h.to_json() for h in self.hops],
                "findings": [f.to_json() for f in self.findings]}

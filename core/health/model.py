"""What a health watch reports: findings, each domain's state, the worst, and the exit code.

States, in the order a scheduler cares about them: ``healthy`` (exit 0), ``attention`` (1: act
this week), ``unknown`` (3: could not check, e.g. the network or the sign-in), ``broken`` (2:
sign-ins fail or are about to). The worst domain decides the report's state; ``broken`` outranks
``unknown`` so a domain that is known to be failing is never hidden behind one that could not be
read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

HEALTHY = "healthy"
ATTENTION = "attention"
BROKEN = "broken"
UNKNOWN = "unknown"
INFO = "info"  # a finding severity only: worth saying, changes no state

_RANK = {HEALTHY: 0, INFO: 0, ATTENTION: 1, UNKNOWN: 2, BROKEN: 3}
EXIT_CODES = {HEALTHY: 0, ATTENTION: 1, BROKEN: 2, UNKNOWN: 3}

# Fix kinds: each is an existing operation with plan, typed confirmation, snapshot, read-back and
# journal (``core.operations``); ``update-settings`` is a federate of the changed values, which
# runs the preflight first.
FIX_STAGE = "stage-certificate"
FIX_PROMOTE = "promote-certificate"
FIX_UPDATE = "update-settings"

# How close to expiry a certificate needs attention, and when it counts as broken (days).
ATTENTION_DAYS = 30
BROKEN_DAYS = 7


def worst(states: list[str]) -> str:
    """The most serious of ``states`` (``healthy`` when there are none or only ``info``)."""
    top = max(states, key=lambda s: _RANK.get(s, 0), default=HEALTHY)
    return HEALTHY if _RANK.get(top, 0) == 0 else top


@dataclass(frozen=True)
class HealthFinding:
    """One thing the watch noticed about a domain, with what to do and, when Federator can do it
    in one safe step, which operation (``fix``)."""

    id: str
    severity: str  # info | attention | broken | unknown
    message: str
    remedy: str = ""
    fix: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "severity": self.severity, "message": self.message,
                "remedy": self.remedy, "fix": self.fix}


@dataclass(frozen=True)
class CertificateView:
    """A certificate the tenant holds for the domain, judged at the watch's clock."""

    slot: str  # signingCertificate | nextSigningCertificate
    subject: str
    sha1: str
    sha256: str
    not_after: str
    days_left: int | None
    in_idp_metadata: bool | None  # None: the IdP's metadata was not read
    readable: bool = True

    def to_json(self) -> dict[str, Any]:
        return {"slot": self.slot, "subject": self.subject, "sha1": self.sha1,
                "sha256": self.sha256, "not_after": self.not_after,
                "days_left": self.days_left, "in_idp_metadata": self.in_idp_metadata,
                "readable": self.readable}


@dataclass
class DomainHealth:
    """One domain's verdict: its state (the worst of its findings) and everything shown."""

    domain: str
    authentication: str
    findings: list[HealthFinding] = field(default_factory=list)
    signing_certificate: CertificateView | None = None
    next_signing_certificate: CertificateView | None = None
    source: str | None = None
    issuer: str | None = None
    idp_entity_id: str | None = None
    idp_signing_sha256: list[str] = field(default_factory=list)

    @property
    def state(self) -> str:
        if self.authentication.lower() != "federated":
            return HEALTHY
        return worst([f.severity for f in self.findings]) if self.findings else HEALTHY

    @property
    def fix(self) -> HealthFinding | None:
        """The finding whose fix comes first (the most serious one that has a fix)."""
        fixable = [f for f in self.findings if f.fix]
        return max(fixable, key=lambda f: _RANK.get(f.severity, 0)) if fixable else None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> DomainHealth:
        """The verdict as ``to_json`` wrote it: the window shows reports as JSON (its last one
        is kept on disk) and decides a fix from them with ``core.health.fix.fix_for``."""
        def cert(value: Any) -> CertificateView | None:
            if not isinstance(value, dict):
                return None
            days = value.get("days_left")
            listed = value.get("in_idp_metadata")
            return CertificateView(
                str(value.get("slot") or ""), str(value.get("subject") or ""),
                str(value.get("sha1") or ""), str(value.get("sha256") or ""),
                str(value.get("not_after") or ""), days if isinstance(days, int) else None,
                listed if isinstance(listed, bool) else None, bool(value.get("readable", True)))

        findings = [HealthFinding(str(f.get("id") or ""), str(f.get("severity") or INFO),
                                  str(f.get("message") or ""), str(f.get("remedy") or ""),
                                  str(f["fix"]) if f.get("fix") else None)
                    for f in data.get("findings") or [] if isinstance(f, dict)]

        def text(key: str) -> str | None:
            value = data.get(key)
            return str(value) if value else None

        return cls(str(data.get("domain") or ""), str(data.get("authentication") or ""),
                   findings, cert(data.get("signing_certificate")),
                   cert(data.get("next_signing_certificate")), text("source"), text("issuer"),
                   text("idp_entity_id"))

    def to_json(self) -> dict[str, Any]:
        return {
            "domain": self.domain,
            "authentication": self.authentication,
            "state": self.state,
            "findings": [f.to_json() for f in self.findings],
            "signing_certificate": (self.signing_certificate.to_json()
                                    if self.signing_certificate else None),
            "next_signing_certificate": (self.next_signing_certificate.to_json()
                                         if self.next_signing_certificate else None),
            "source": self.source,
            "issuer": self.issuer,
            "idp_entity_id": self.idp_entity_id,
        }


@dataclass
class WatchReport:
    """Every watched domain and the worst state among them (``unknown`` with ``error`` when the
    tenant itself could not be read)."""

    domains: list[DomainHealth] = field(default_factory=list)
    checked_at: str = ""
    error: str | None = None
    graph_requests: int = 0
    metadata_fetches: int = 0

    @property
    def worst(self) -> str:
        if self.error:
            return UNKNOWN
        return worst([d.state for d in self.domains])

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.worst]

    def to_json(self) -> dict[str, Any]:
        return {"domains": [d.to_json() for d in self.domains], "worst": self.worst,
                "checked_at": self.checked_at, "error": self.error}

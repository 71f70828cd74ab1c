"""The one safe step that fixes a watch finding: an existing journaled operation, never a write
of its own.

Staging the IdP's new certificate and promoting it are ``core.operations.update_certificate``
(plan, typed confirmation, change lock, snapshot, write, read-back, journal); changed URLs or
issuer are a federate of the IdP's values, which runs the preflight first, so the watch names
that command instead of running it. The command line and the window both call this.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from core.health.model import FIX_PROMOTE, FIX_STAGE, INFO, DomainHealth, HealthFinding


@dataclass(frozen=True)
class HealthFix:
    """What ``apply_fix`` will do for a domain, in words the admin confirms."""

    domain: str
    finding: HealthFinding
    promote: bool
    source: str

    @property
    def title(self) -> str:
        what = ("Promote the IdP's new certificate to signing certificate" if self.promote
                else "Stage the IdP's new certificate as next signing certificate")
        return f"{what} of {self.domain}"

    def describe(self) -> str:
        return (f"{self.title} (update-certificate{' --promote' if self.promote else ''}, "
                f"metadata from {self.source}).")


def fix_for(health: DomainHealth, *, promote: bool = False) -> HealthFix | None:
    """The fix Federator can make itself for ``health``'s most serious finding, or ``None``
    (nothing to fix, no metadata source, or a fix that is its own command: the remedy says).

    ``promote``: the admin says the IdP now signs with the staged next certificate (its
    metadata may still list both), so promoting it is the fix."""
    if promote and health.next_signing_certificate is not None and health.source:
        said = HealthFinding("admin_says_promote", INFO,
                             "The admin says the IdP signs with the staged next certificate.",
                             fix=FIX_PROMOTE)
        return HealthFix(health.domain, said, True, health.source)
    finding = health.fix
    if finding is None or finding.fix not in (FIX_STAGE, FIX_PROMOTE) or not health.source:
        return None
    return HealthFix(health.domain, finding, finding.fix == FIX_PROMOTE, health.source)


def apply_fix(ctx: Any, fix: HealthFix, metadata: Any, *, confirm: str | None) -> Any:
    """Run the fix as ``update_certificate`` with the IdP's current certificates (``metadata``
    read from ``fix.source`` just now); returns its ``OperationResult``."""
    from core.operations import update_certificate

    certificates = [c.der_base64 for c in metadata.signing_certificates]
    return update_certificate(ctx, fix.domain, certificates, confirm=confirm,
                              promote=fix.promote, metadata_source=fix.source)

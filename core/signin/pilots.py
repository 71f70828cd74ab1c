"""Choosing a pilot user for a test sign-in: the domain's users matching a name or UPN, with
those who cannot sign in through the IdP flagged (no ImmutableID: Entra answers AADSTS51004;
disabled: AADSTS50057)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from core.graph.client import GraphClient


@dataclass(frozen=True)
class Pilot:
    upn: str
    display_name: str
    immutable_id: str | None
    enabled: bool

    @property
    def flag(self) -> str | None:
        """Why this user cannot sign in through the IdP, or None."""
        if not self.immutable_id:
            return "no ImmutableID (AADSTS51004)"
        if not self.enabled:
            return "disabled (AADSTS50057)"
        return None


def find_pilots(client: GraphClient, domain: str, text: str = "", *,
                limit: int = 50) -> list[Pilot]:
    """Users of ``domain`` whose display name or UPN contains ``text`` (case-insensitive), the
    ones who can sign in first, at most ``limit``."""
    from core.graph import api

    wanted = text.strip().lower()
    found: list[Pilot] = []
    for user in api.users_in_domain(client, domain, count=False).users:
        upn = str(user.get("userPrincipalName") or "")
        name = str(user.get("displayName") or "")
        if wanted and wanted not in upn.lower() and wanted not in name.lower():
            continue
        found.append(Pilot(upn, name, user.get("onPremisesImmutableId"),
                           bool(user.get("accountEnabled", True))))
    found.sort(key=lambda p: (p.flag is not None, p.upn.lower()))
    return found[:limit]

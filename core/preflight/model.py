"""The shapes preflight results take: one :class:`CheckResult` per check, one
:class:`PreflightResult` per run.

Why they exist: the CLI, the GUI, the JSON output and the HTML report all show the same results,
so a check's outcome is data (status, what was found, why it matters, the remedy, optionally an
action Federator can take), never text formatted for one screen.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from core.plan import Plan

# Re-exported: a result's status reads the same everywhere (core.check_status).
from core.check_status import STATUS_MARKERS as STATUS_MARKERS
from core.check_status import STATUS_WORDS as STATUS_WORDS
from core.check_status import STATUSES as STATUSES
from core.check_status import TO_ACCEPT as TO_ACCEPT
from core.check_status import Status as Status


@dataclass(frozen=True)
class CheckAction:
    """Something Federator can do to fix a failed check (the GUI shows it as a button).

    ``kind`` is stable (``make_default``); ``command`` is the CLI line that does it.
    """

    kind: str
    label: str
    command: str
    arguments: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "label": self.label, "command": self.command,
                "arguments": dict(self.arguments)}


@dataclass(frozen=True)
class CheckResult:
    """One check's outcome.

    ``found`` is what Federator saw (names, counts) in a sentence or two; ``items`` lists names
    when there are many (users without an ImmutableID); ``why`` says why it matters; ``remedy``
    is the exact portal step or command, ``None`` when there is nothing to do.
    """

    id: str
    title: str
    status: Status
    found: str
    why: str
    remedy: str | None = None
    action: CheckAction | None = None
    items: tuple[str, ...] = ()
    learn: str | None = None  # the Microsoft Learn page behind the check and its remedy

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "status": self.status, "found": self.found,
                "why": self.why, "remedy": self.remedy,
                "action": self.action.to_json() if self.action else None,
                "items": list(self.items), "learn": self.learn}


@dataclass
class PreflightResult:
    """A whole preflight run: every check, the context an auditor needs, and the plan."""

    domain: str
    checks: list[CheckResult]
    started_at: dt.datetime
    metadata_source: str | None = None
    entity_id: str | None = None
    tenant_name: str | None = None
    tenant_id: str | None = None
    signed_in_as: str | None = None
    sandbox: bool = False
    round_trips: int = 0
    elapsed_s: float = 0.0
    plan: Plan | None = None
    plan_error: str | None = None
    facts: dict[str, Any] | None = None  # the figures the checks judged by (see facts_of)

    @property
    def to_accept(self) -> list[CheckResult]:
        """Checks the admin must accept by id before a change: warnings and unknowns."""
        return [c for c in self.checks if c.status in TO_ACCEPT]

    @property
    def failed(self) -> list[CheckResult]:
        return [c for c in self.checks if c.status == "fail"]

    @property
    def ok(self) -> bool:
        """True when no check failed (warnings and manual checks still need reading)."""
        return not self.failed

    def count(self, status: Status) -> int:
        return sum(1 for c in self.checks if c.status == status)

    def check(self, check_id: str) -> CheckResult:
        """The result of ``check_id`` (KeyError when the run has none)."""
        for c in self.checks:
            if c.id == check_id:
                return c
        raise KeyError(check_id)

    def summary(self) -> dict[str, int]:
        return {s: self.count(s) for s in STATUSES}

    def to_json(self) -> dict[str, Any]:
        return {
            "domain": self.domain,
            "ok": self.ok,
            # Same names as ``whoami --json`` and ``domains --json``.
            "tenant_id": self.tenant_id,
            "tenant_name": self.tenant_name,
            "sandbox": self.sandbox,
            "signed_in_as": self.signed_in_as,
            "when": self.started_at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "metadata": {"source": self.metadata_source, "entity_id": self.entity_id},
            "round_trips": self.round_trips,
            "elapsed_s": round(self.elapsed_s, 3),
            "summary": self.summary(),
            "checks": [c.to_json() for c in self.checks],
            "facts": self.facts,
            "plan": self.plan.to_json() if self.plan else None,
            "plan_error": self.plan_error,
        }


@dataclass
class TenantSnapshot:
    """Everything preflight knows about the tenant, gathered once (see ``core.preflight.gather``).

    Each part is ``None`` when it could not be read; ``errors`` then says why, keyed by part
    (``domains``, ``organization``, ``me``, ``roles``, ``users``, ``global_admins``,
    ``federation:<domain>``). ``federation`` maps a domain to its federation configuration, or to
    ``None`` when Graph says it has none; it holds the target and every federated domain.
    ``user_facts`` are the users of the target domain and of its subdomains as Graph counted them
    (what ``gather`` fills); ``users``, a plain list of those users, serves snapshots built by
    hand (tests) and is counted by :meth:`facts` when there are no ``user_facts``.
    ``global_admins`` are the principals holding Global Administrator (user objects with
    ``userPrincipalName``, ``accountEnabled``, ``onPremisesSyncEnabled``, ``userType``; other
    principal kinds keep their ``@odata.type``). ``scopes`` and ``token_roles`` come from the
    access token's ``scp`` and ``wids`` claims (decoded, never verified, never logged).
    """

    target: str
    domains: list[dict[str, Any]] | None = None
    organization: dict[str, Any] | None = None
    me: dict[str, Any] | None = None
    my_roles: list[dict[str, Any]] | None = None
    users: list[dict[str, Any]] | None = None
    global_admins: list[dict[str, Any]] | None = None
    federation: dict[str, dict[str, Any] | None] = field(default_factory=dict)
    scopes: frozenset[str] | None = None
    token_roles: frozenset[str] | None = None
    errors: dict[str, str] = field(default_factory=dict)
    round_trips: int = 0
    user_facts: UserFacts | None = None

    def facts(self) -> UserFacts | None:
        """The users figures: counted by Graph (``user_facts``) or, for a snapshot built from a
        list of ``users``, counted from it; None when neither could be read."""
        if self.user_facts is not None:
            return self.user_facts
        if self.users is None:
            return None
        return UserFacts.from_users(self.users, (self.target, *self.subdomains_of(self.target)))

    def domain(self, name: str) -> dict[str, Any] | None:
        """The domain object named ``name`` (case-insensitive), if the tenant has it."""
        wanted = name.lower()
        return next((d for d in self.domains or [] if str(d.get("id", "")).lower() == wanted),
                    None)

    def subdomains_of(self, name: str) -> list[str]:
        """Names of the tenant's domains below ``name`` (sales.fabrikam.com for fabrikam.com)."""
        suffix = "." + name.lower()
        return sorted(str(d["id"]) for d in self.domains or []
                      if str(d.get("id", "")).lower().endswith(suffix))

    def parent_of(self, name: str) -> str | None:
        """The nearest tenant domain that ``name`` is a subdomain of, if any."""
        parts = name.lower().split(".")
        for i in range(1, len(parts) - 1):
            found = self.domain(".".join(parts[i:]))
            if found is not None:
                return str(found["id"])
        return None

    @property
    def tenant_name(self) -> str | None:
        return str(self.organization.get("displayName")) if self.organization else None

    @property
    def tenant_id(self) -> str | None:
        return str(self.organization.get("id")) if self.organization else None

    @property
    def signed_in_as(self) -> str | None:
        return str(self.me.get("userPrincipalName")) if self.me else None


SAMPLE_SIZE = 50  # users without an ImmutableID listed by name (the count is always whole)


@dataclass
class UserFacts:
    """The users of the target domain and its subdomains, as Graph counted them.

    Counts are ``None`` when Graph did not give them; ``unread`` then says, in plain words, what
    could not be read and why. ``missing_sample`` lists some of the users without an ImmutableID
    (``userPrincipalName``, ``accountEnabled``), at most :data:`SAMPLE_SIZE` per domain.
    """

    domains: tuple[str, ...]
    in_scope: int | None = None
    without_immutable_id: int | None = None
    enabled: int | None = None
    missing_sample: list[dict[str, Any]] = field(default_factory=list)
    unread: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return not self.unread and None not in (self.in_scope, self.without_immutable_id,
                                                self.enabled)

    @classmethod
    def from_users(cls, users: list[dict[str, Any]], domains: tuple[str, ...]) -> UserFacts:
        missing = [u for u in users if not u.get("onPremisesImmutableId")]
        return cls(domains=domains, in_scope=len(users), without_immutable_id=len(missing),
                   enabled=sum(1 for u in users if u.get("accountEnabled", True)),
                   missing_sample=missing)

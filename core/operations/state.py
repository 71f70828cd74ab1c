"""Reading a domain's state from Graph into a journal snapshot, and comparing states.

Why separate: every operation reads the domain before (the snapshot), after every write (the
verification) and after every failure (to report the exact state left, half-federated included),
and reconciliation compares what it reads with what an interrupted change intended. One reader and
one comparison rule serve them all.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from core.errors import InputError
from core.graph import api
from core.graph.client import GraphClient
from core.graph.errors import (
    AuthenticationError,
    GraphConnectionError,
    GraphError,
    NotFoundError,
    PermissionDeniedError,
    ServerError,
    ThrottledError,
)
from core.journal import Snapshot, now_iso
from core.operations.model import AcceptedCertificate, PasswordImpact
from core.plan import FEDERATION_PROPERTIES, DomainState, PropertyChange

HALF_FEDERATED_NOTE = ("half-federated: Graph says the domain is Federated but shows no "
                       "readable federation configuration")
INHERITED_NOTE = "a subdomain: it follows its root domain's federation"
DOMAIN_FIELDS = ("id", "authenticationType", "isDefault", "isInitial", "isRoot", "isVerified",
                 "isAdminManaged")


READ_ATTEMPTS = 3
READ_RETRY_DELAYS_S = (0.5, 1.5)


def read_snapshot(client: GraphClient, tenant: str, domain: str, snapshot_id: str) -> Snapshot:
    """The domain and its federation configuration as Graph reports them now.

    A Federated domain that Graph says has no configuration (404 or an empty list) is recorded
    with ``readable=False``: the documented half-federated state (API-02). Server errors,
    throttling and network failures say nothing about the domain: the read is tried again
    (:data:`READ_ATTEMPTS` times in all, because a read after a write decides whether a change
    is reported done) and then raised, like sign-in failures.
    """
    for delay in (*READ_RETRY_DELAYS_S[:READ_ATTEMPTS - 1], None):
        try:
            return _read_snapshot_once(client, tenant, domain, snapshot_id)
        except (ServerError, GraphConnectionError, ThrottledError):
            if delay is None:
                raise
            time.sleep(delay)  # a short backoff between reads; Graph's 5xx are often transient
    raise AssertionError("unreachable")


def _read_snapshot_once(client: GraphClient, tenant: str, domain: str,
                        snapshot_id: str) -> Snapshot:
    try:
        dom = dict(api.get_domain(client, domain))
    except NotFoundError as exc:
        raise InputError(f"The tenant has no domain {domain!r}.", code="unknown_domain",
                         remedy="Check the spelling; `federator domains` lists the tenant's "
                                "domains.") from exc
    fed: dict[str, Any] | None = None
    readable = True
    note = ""
    federated = str(dom.get("authenticationType", "")).lower() == "federated"
    try:
        found = api.find_federation_configuration(client, domain)
        fed = dict(found) if found else None
    except (ThrottledError, AuthenticationError, PermissionDeniedError, GraphConnectionError,
            ServerError):
        raise
    except GraphError as exc:
        if not federated:
            raise
        note = f"{HALF_FEDERATED_NOTE} (reading it gave {exc.status or 'no answer'})"
        readable = False
    if federated and fed is None and dom.get("isRoot") is False and dom.get("isVerified"):
        # A subdomain follows its root domain's federation and has no configuration of its own.
        readable = True
        note = INHERITED_NOTE
    elif federated and fed is None and readable:
        readable = False
        note = HALF_FEDERATED_NOTE
    kept = {k: dom.get(k) for k in DOMAIN_FIELDS if k in dom}
    return Snapshot(id=snapshot_id, tenant=tenant, domain_name=domain, taken_at=now_iso(),
                    domain=kept, federation=fed, readable=readable, note=note)


def domain_state(snapshot: Snapshot) -> DomainState:
    """The plan's view of a snapshot."""
    return DomainState.from_graph(snapshot.domain, snapshot.federation)


def writable(federation: dict[str, Any] | None) -> dict[str, Any]:
    """The writable ``internalDomainFederation`` properties (what a restore sends back)."""
    if not federation:
        return {}
    return {k: federation.get(k) for k in FEDERATION_PROPERTIES}


@dataclass(frozen=True)
class Target:
    """What a change intends: the authentication type, property values when federated, and
    domain properties it sets (``{"isDefault": True}`` for make-default)."""

    authentication_type: str
    federation: dict[str, Any] | None
    domain: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        data = {"authenticationType": self.authentication_type, "federation": self.federation}
        if self.domain:
            data["domain"] = self.domain
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> Target | None:
        if not isinstance(data, dict):
            return None
        fed = data.get("federation")
        dom = data.get("domain")
        return cls(str(data.get("authenticationType", "")),
                   dict(fed) if isinstance(fed, dict) else None,
                   dict(dom) if isinstance(dom, dict) else None)


def differences(snapshot: Snapshot, target: Target) -> list[str]:
    """What differs between ``snapshot`` and ``target`` (empty: the target is reached)."""
    found: list[str] = []
    if snapshot.authentication_type.lower() != target.authentication_type.lower():
        found.append(f"authenticationType is {snapshot.authentication_type}, "
                     f"expected {target.authentication_type}")
    for name, wanted in (target.domain or {}).items():
        if snapshot.domain.get(name) != wanted:
            found.append(f"{name} is {snapshot.domain.get(name)}, expected {wanted}")
    if target.federation is None:
        if snapshot.federation is not None:
            found.append("a federation configuration still exists")
        return found
    if snapshot.federation is None:
        found.append("no federation configuration can be read")
        return found
    for name, wanted in target.federation.items():
        if PropertyChange(name, snapshot.federation.get(name), wanted).changed:
            found.append(f"{name} differs")
    return found


def snapshot_target(b: Snapshot) -> Target:
    """The state ``b`` records, as a target to compare a read with."""
    return Target(b.authentication_type, writable(b.federation) if b.federation else None,
                  {"isDefault": b.domain.get("isDefault")} if "isDefault" in b.domain else None)


def same_state(a: Snapshot, b: Snapshot) -> bool:
    """True when two snapshots describe the same sign-in state (ids and timestamps aside)."""
    if a.readable != b.readable:
        return False
    return not differences(a, snapshot_target(b))


def describe(snapshot: Snapshot) -> str:
    """One line a person reads: ``Federated (issuer https://..., sign-in https://...)``."""
    if not snapshot.readable:
        return f"Federated, but {snapshot.note.removeprefix('half-federated: ')} (half-federated)"
    auth = snapshot.authentication_type
    if snapshot.note == INHERITED_NOTE:
        return f"{auth} ({INHERITED_NOTE})"
    if snapshot.federation:
        from core.textsafe import one_line

        # Graph's values are outside text: one value, one line (a line break is shown, not
        # obeyed, wherever this line is printed).
        fed = {k: one_line(str(v)) for k, v in snapshot.federation.items()
               if k in ("displayName", "issuerUri", "passiveSignInUri") and v}
        shown = f', shown to users as "{fed["displayName"]}"' if fed.get("displayName") else ""
        return (f"{auth} with the IdP {fed.get('issuerUri')} "
                f"(sign-in {fed.get('passiveSignInUri')}{shown})")
    return f"{auth} (cloud sign-in, no federation configuration)" if auth == "Managed" else auth


def accepted_certificates(snapshot: Snapshot | None) -> list[AcceptedCertificate]:
    """The certificates Entra accepts for the domain's sign-ins, per slot."""
    from core.certificates import read_certificate

    if snapshot is None or not snapshot.federation:
        return []
    found: list[AcceptedCertificate] = []
    for slot in ("signingCertificate", "nextSigningCertificate"):
        text = snapshot.federation.get(slot)
        if not text:
            continue
        try:
            info, _ = read_certificate(str(text))
        except InputError:
            found.append(AcceptedCertificate(slot, "?", "?", "?", None, readable=False))
            continue
        found.append(AcceptedCertificate(
            slot, info.subject, info.sha1, info.not_after.strftime("%Y-%m-%d"), info.days_left))
    return found


PASSWORD_OPTIONS = (
    "Reset their passwords in bulk with temporary passwords they must change at first sign-in "
    "(Microsoft 365 admin center > Users > Reset password; needs User or Authentication "
    "Administrator).",
    "Issue each user a Temporary Access Pass so they can set a password or passwordless method "
    "(needs Authentication Administrator and UserAuthenticationMethod.ReadWrite.All).",
    "Users already registered for self-service password reset can set their own at "
    "https://aka.ms/sspr.",
    "If the directory is synchronized from Active Directory, turn on password hash sync in "
    "Entra Connect before reverting: users then keep their AD password.",
)


def password_impact(client: GraphClient, domain: str) -> PasswordImpact:
    """How many users lose federated sign-in (the domain and the subdomains that follow it).

    Counted by Graph (``api.users_query``), never by listing users: one ``$batch`` reads the
    domains, the organization and the domain's count; a second, only when subdomains follow
    the domain, counts theirs. GraphError when a count cannot be read."""
    from core.graph.client import BatchRequest

    first = client.batch([BatchRequest("GET", "/domains"),
                          BatchRequest("GET", "/organization?$select=id,onPremisesSyncEnabled"),
                          api.users_query(domain)])
    total = api.counted(first[2])
    domains = [domain]
    body = first[0].body if first[0].ok and isinstance(first[0].body, dict) else {}
    # Counting subdomains is a courtesy (a domain list Graph did not give is skipped); the
    # domain itself is always counted. Paged domain lists are rare: the first page is read.
    for d in body.get("value", []):
        name = str(d.get("id", "")) if isinstance(d, dict) else ""
        if name.lower().endswith("." + domain.lower()) and not d.get("isRoot", True):
            domains.append(name)
    if len(domains) > 1:
        total += sum(api.counted(r) for r in client.batch([api.users_query(d)
                                                           for d in domains[1:]]))
    synced: bool | None = None
    org = first[1].body if first[1].ok and isinstance(first[1].body, dict) else {}
    items = [v for v in org.get("value", []) if isinstance(v, dict)]
    if items:
        synced = bool(items[0].get("onPremisesSyncEnabled"))
    return PasswordImpact(domain=domain, users=total, domains_counted=tuple(domains),
                          directory_synced=synced, options=PASSWORD_OPTIONS)

"""Is the domain federated? Graph's answer beside the sign-in service's (home realm discovery).

Why both: Graph changes at once, but sign-in (what users meet) follows minutes to hours later
(https://learn.microsoft.com/entra/identity/hybrid/connect/how-to-connect-fed-saml-idp, POST-01,
REV-04). ``getuserrealm.srf`` is what Microsoft's sign-in page asks, so
when its ``NameSpaceType`` (and, federated, its ``AuthURL``) agrees with Graph, the change has
reached users. :func:`wait_until_agree` polls with backoff, bounded by a timeout, reporting each
look as an event.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from core import urlparts
from core.errors import FederatorError
from core.graph.client import GraphClient, make_session
from core.journal import Snapshot, now_iso
from core.operations.model import (
    FAILED,
    INFO,
    OK,
    STEP_WAIT,
    EventCallback,
    OperationEvent,
)
from core.operations.state import describe, read_snapshot


@dataclass(frozen=True)
class RealmView:
    """What home realm discovery says about a domain (``NameSpaceType``: Managed, Federated,
    Unknown; ``?`` when it could not be asked)."""

    namespace_type: str
    auth_url: str | None = None
    brand: str | None = None
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"NameSpaceType": self.namespace_type, "AuthURL": self.auth_url,
                "FederationBrandName": self.brand, "error": self.error}


@dataclass(frozen=True)
class DomainStatus:
    """Graph's view and realm discovery's view of one domain at one moment."""

    domain: str
    graph: Snapshot
    realm: RealmView
    checked_at: str

    @property
    def graph_type(self) -> str:
        return self.graph.authentication_type

    @property
    def unverified(self) -> bool:
        """Graph says the domain is not verified: sign-in rightly does not know it (``Unknown``),
        so there is nothing to propagate."""
        return self.graph.domain.get("isVerified") is False

    @property
    def disagreement(self) -> str | None:
        """Why the two views differ, or None when sign-in already reflects Graph."""
        if self.realm.error:
            return f"realm discovery could not be asked ({self.realm.error})"
        graph, realm = self.graph_type, self.realm.namespace_type
        if self.unverified and realm.lower() == "unknown":
            return None
        if graph.lower() != realm.lower():
            return f"Graph says {graph}, sign-in still says {realm}"
        if graph.lower() == "federated" and self.graph.federation:
            passive = str(self.graph.federation.get("passiveSignInUri") or "")
            if passive and not _same_endpoint(self.realm.auth_url or "", passive):
                return (f"sign-in still sends users to {self.realm.auth_url or '(nothing)'}, "
                        f"Graph says {passive}")
        return None

    @property
    def agree(self) -> bool:
        return self.disagreement is None

    def to_json(self) -> dict[str, Any]:
        fed = self.graph.federation or {}
        return {
            "domain": self.domain, "checked_at": self.checked_at, "agree": self.agree,
            "disagreement": self.disagreement,
            "graph": {"authenticationType": self.graph_type, "readable": self.graph.readable,
                      "note": self.graph.note or None, "isDefault": self.graph.domain.get(
                          "isDefault"), "isRoot": self.graph.domain.get("isRoot"),
                      "federation": {k: fed.get(k) for k in (
                          "displayName", "issuerUri", "passiveSignInUri", "signOutUri",
                          "preferredAuthenticationProtocol", "federatedIdpMfaBehavior")}
                      if fed else None},
            "realm": self.realm.to_json(),
            "propagated": None if self.realm.error or self.unverified else self.agree,
            "summary": describe(self.graph),
        }


def _same_endpoint(auth_url: str, passive: str) -> bool:
    """AuthURL is the passive sign-in URL with query parameters appended (getuserrealm.srf,
    undocumented; as MSAL and public tools read it)."""
    a, p = urlparts.split(auth_url), urlparts.split(passive)
    if a is None or p is None:  # malformed text from outside: only an exact match counts
        return auth_url == passive
    return (a.scheme.lower(), a.netloc.lower(), a.path.rstrip("/")) == \
        (p.scheme.lower(), p.netloc.lower(), p.path.rstrip("/"))


class StatusReader:
    """Reads both views of a domain: Graph through the session's client, realm discovery on the
    cloud's (or sandbox's) login host."""

    def __init__(self, client: GraphClient, tenant_id: str, login_url: str, *,
                 verify: bool | str = True, trust_env: bool = True,
                 timeout_s: float = 15.0) -> None:
        self.client = client
        self.tenant_id = tenant_id
        self.login_url = login_url.rstrip("/")
        self.timeout_s = timeout_s
        self._http = make_session(verify=verify, trust_env=trust_env)

    @classmethod
    def for_session(cls, session: Any) -> StatusReader:
        """From a ``core.tenant.TenantSession``: its login host (the sandbox's, the custom
        endpoints' or the cloud's), trusted exactly as its Graph client is (a configured CA
        bundle with the environment ignored, or the environment's trust for Microsoft)."""
        sandbox = getattr(session, "sandbox", None)
        if sandbox is not None:
            return cls(session.client, session.tenant_id, sandbox.login_url,
                       verify=str(sandbox.ca_bundle), trust_env=False)
        graph_http = session.client.session  # the requests session Graph calls go through
        return cls(session.client, session.tenant_id, session.cloud.login_url,
                   verify=graph_http.verify, trust_env=graph_http.trust_env)

    def close(self) -> None:
        self._http.close()

    def realm(self, domain: str) -> RealmView:
        """``GET {login}/getuserrealm.srf?login=probe@{domain}&json=1`` (getuserrealm.srf,
        undocumented; as MSAL and public tools read it)."""
        import requests

        try:
            resp = self._http.get(f"{self.login_url}/getuserrealm.srf",
                                  params={"login": f"federator-probe@{domain}", "json": "1"},
                                  timeout=self.timeout_s)
            body = resp.json() if resp.content else {}
        except (requests.RequestException, ValueError) as exc:
            return RealmView("?", error=type(exc).__name__)
        if resp.status_code != 200 or not isinstance(body, dict):
            return RealmView("?", error=f"HTTP {resp.status_code}")
        auth = body.get("AuthURL")
        brand = body.get("FederationBrandName")
        return RealmView(str(body.get("NameSpaceType") or "Unknown"),
                         auth_url=str(auth) if auth else None,
                         brand=str(brand) if brand else None)

    def read(self, domain: str) -> DomainStatus:
        graph = read_snapshot(self.client, self.tenant_id, domain, "status")
        return DomainStatus(domain=domain, graph=graph, realm=self.realm(domain),
                            checked_at=now_iso())


PROPAGATION_DELAY = "Microsoft takes up to 2 hours (24 for a converted domain)"


def describe_status(status: DomainStatus) -> list[str]:
    """The status as lines for a terminal: the two views, then whether sign-in has caught up."""
    lines = [f"{status.domain}"]
    lines.append(f"  Graph (the setting):        {describe(status.graph)}")
    realm = status.realm
    if realm.error:
        lines.append(f"  Sign-in (realm discovery):  could not be asked ({realm.error})")
    else:
        from core.textsafe import one_line

        extra = f", AuthURL {one_line(realm.auth_url)}" if realm.auth_url else ""
        lines.append(f"  Sign-in (realm discovery):  NameSpaceType {realm.namespace_type}{extra}")
    if status.unverified and status.agree:
        lines.append("  Propagated:                 does not apply: the domain is not verified, "
                     "so sign-in does not know it (verify it in the Microsoft 365 admin center)")
    elif status.agree:
        lines.append("  Propagated:                 yes, sign-in already reflects Graph")
    elif realm.error:
        lines.append("  Propagated:                 unknown, sign-in could not be asked")
    else:
        lines.append(f"  Propagated:                 NOT YET: {status.disagreement}. "
                     f"{PROPAGATION_DELAY}.")
    return lines


def wait_until_agree(read: Callable[[], DomainStatus], *, timeout_s: float,
                     on_event: EventCallback | None = None,
                     sleep: Callable[[float], None] = time.sleep,
                     clock: Callable[[], float] = time.monotonic,
                     first_delay_s: float = 1.0, max_delay_s: float = 60.0) -> DomainStatus:
    """Poll ``read`` with exponential backoff (x1.5, capped) until both views agree or
    ``timeout_s`` passes; returns the last status either way."""
    def emit(status: str, message: str, **detail: Any) -> None:
        if on_event is not None:
            on_event(OperationEvent(STEP_WAIT, status, message, detail))

    start = clock()
    delay = first_delay_s
    attempt = 0
    while True:
        attempt += 1
        try:
            current = read()
        except FederatorError as exc:
            emit(INFO, f"Look {attempt}: could not read ({exc.message}); trying again")
            current = None
        elapsed = clock() - start
        if current is not None and current.agree:
            emit(OK, f"After {elapsed:.0f} s: sign-in agrees with Graph "
                     f"({current.graph_type})", elapsed_s=elapsed, attempts=attempt)
            return current
        remaining = timeout_s - elapsed
        if remaining <= 0:
            why = current.disagreement if current is not None else "could not read"
            emit(FAILED, f"Gave up after {elapsed:.0f} s: {why}", elapsed_s=elapsed,
                 attempts=attempt)
            if current is None:
                return read()
            return current
        wait = min(delay, remaining)
        why = current.disagreement if current is not None else "could not read"
        emit(INFO, f"After {elapsed:.0f} s: {why}; looking again in {wait:.1f} s",
             elapsed_s=elapsed, attempts=attempt, next_in_s=wait)
        sleep(wait)
        delay = min(delay * 1.5, max_delay_s)

"""Every preflight check in every status it can take, over constructed data (no network).

The tenant comes from the sandbox's seed state (the same data the sandbox serves), turned into a
``TenantSnapshot`` directly, so these tests are fast and the sandbox tests only need to prove the
gathering and the scenarios end to end.
"""

from __future__ import annotations

import copy
import datetime as dt
import functools
from collections.abc import Callable
from typing import Any

import pytest

from core.errors import InputError
from core.metadata import read_metadata
from core.preflight.checks import (
    CHECK_IDS,
    CHECKS,
    JournalProbe,
    PreflightInput,
    issuer_problems,
    run_checks,
)
from core.preflight.model import TenantSnapshot
from core.settings import FederationSettings, settings_from_metadata
from sandbox.seed import GLOBAL_ADMIN, ROLE_NAMES, TAILSPIN_ISSUER, build_seed
from tests import factories as f

ISSUE_IDS = {
    "metadata.readable", "metadata.issuer", "metadata.endpoints", "cert.valid", "cert.expiry",
    "cert.strength", "domain.exists", "domain.verified", "domain.not_initial",
    "domain.not_default", "domain.subdomain", "domain.current_state", "tenant.issuer_unique",
    "tenant.dirsync", "access.permissions", "access.role", "access.lockout",
    "users.immutable_id", "users.blast_radius", "exchange.modern_auth", "local.journal",
}
ENTITY = "https://sso.jumpcloud.com/saml2/fabrikam"
SSO = "https://sso.jumpcloud.com/saml2/fabrikam"
SLO = "https://console.jumpcloud.com/userconsole/"
SCOPES = frozenset({"Domain-InternalFederation.ReadWrite.All", "Domain.Read.All",
                    "User.Read.All", "RoleManagement.Read.Directory", "Organization.Read.All",
                    "User.Read"})


@functools.lru_cache(maxsize=1)
def _seed() -> dict[str, Any]:
    return build_seed(0)


def snapshot(target: str, *, me: str = "ops@contoso.com",
             change: Callable[[dict[str, Any]], None] | None = None) -> TenantSnapshot:
    """What ``gather_tenant`` would return for ``target`` on the seed tenant."""
    seed = copy.deepcopy(_seed())
    if change:
        change(seed)
    by_id = {u["id"]: u for u in seed["users"]}
    user = next(u for u in seed["users"] if u["userPrincipalName"] == me)
    roles = [a["roleDefinitionId"] for a in seed["roleAssignments"]
             if a["principalId"] == user["id"]]
    target = target.lower()
    users = [u for u in seed["users"]
             if u["userPrincipalName"].split("@")[1] in (target,)
             or u["userPrincipalName"].split("@")[1].endswith("." + target)]
    admins = [{"@odata.type": "#microsoft.graph.user", **by_id[a["principalId"]]}
              for a in seed["roleAssignments"] if a["roleDefinitionId"] == GLOBAL_ADMIN]
    federation = {d: cfg for d, cfg in seed["federation"].items()}
    if target not in federation:
        federation[target] = None
    return TenantSnapshot(
        target=target, domains=seed["domains"], organization=seed["organization"],
        me={"id": user["id"], "userPrincipalName": me},
        my_roles=[{"@odata.type": "#microsoft.graph.directoryRole", "roleTemplateId": r,
                   "displayName": ROLE_NAMES[r]} for r in roles],
        users=users, global_admins=admins, federation=federation, scopes=SCOPES,
        token_roles=frozenset(roles), round_trips=2)


def md_input(xml: bytes | None = None, **kwargs: Any) -> dict[str, Any]:
    """metadata + settings keyword arguments for PreflightInput."""
    if xml is None:
        xml = f.metadata(ENTITY, sso_post=SSO, sso_redirect=SSO, slo_redirect=SLO, **kwargs)
    md = read_metadata(xml)
    settings, findings = settings_from_metadata(md)
    return {"metadata": md, "settings": settings, "settings_findings": findings}


def make(domain: str = "fabrikam.com", *, md: dict[str, Any] | None = None,
         tenant: TenantSnapshot | str | None = "seed", journal: JournalProbe | None = None,
         **tenant_kw: Any) -> PreflightInput:
    snap = snapshot(domain, **tenant_kw) if tenant == "seed" else tenant
    assert not isinstance(snap, str)
    return PreflightInput(domain=domain, **(md if md is not None else md_input()),
                          tenant=snap, journal=journal or JournalProbe("/j", True),
                          tenant_error=None if snap else "Not signed in.")


def status(check_id: str, inp: PreflightInput) -> str:
    result = next(c for c in run_checks(inp) if c.id == check_id)
    assert result.found and result.why and result.title
    if result.status in ("fail", "warn", "unknown", "manual"):
        assert result.remedy, f"{check_id} {result.status} must say what to do"
    return result.status


def _modify(fn: Callable[[TenantSnapshot], None], domain: str = "fabrikam.com",
            **kw: Any) -> PreflightInput:
    inp = make(domain, **kw)
    assert inp.tenant is not None
    fn(inp.tenant)
    return inp


def _set(snap_attr: str, value: Any) -> Callable[[TenantSnapshot], None]:
    def apply(t: TenantSnapshot) -> None:
        setattr(t, snap_attr, value)
        t.errors[snap_attr.replace("my_roles", "roles")] = "Microsoft refused (HTTP 403)"
    return apply


def _disable_breakglass(seed: dict[str, Any]) -> None:
    for u in seed["users"]:
        if u["userPrincipalName"].startswith("breakglass@"):
            u["accountEnabled"] = False


def _dirsync_on(seed: dict[str, Any]) -> None:
    seed["organization"]["onPremisesSyncEnabled"] = True


def _tailspin_half(t: TenantSnapshot) -> None:
    t.federation["tailspin.io"] = None


def _tailspin_unreadable(t: TenantSnapshot) -> None:
    del t.federation["tailspin.io"]
    t.errors["federation:tailspin.io"] = "Microsoft refused (HTTP 403)"


def _no_metadata() -> dict[str, Any]:
    return {"metadata": None, "metadata_error": InputError("The file is not XML.",
                                                         remedy="Export it again.")}


def _tailspin_identical() -> PreflightInput:
    seed = _seed()
    current = seed["federation"]["tailspin.io"]
    settings = FederationSettings.from_graph_json(current)
    inp = make("tailspin.io", md=md_input())
    inp.settings = settings
    from core.plan import PlanOptions

    inp.options = PlanOptions(display_name=current["displayName"],
                              prompt_login_behavior=current["promptLoginBehavior"])
    return inp


# (check id, expected status, builder). Each builder makes one situation an admin can meet.
CASES: list[tuple[str, str, Callable[[], PreflightInput]]] = [
    ("metadata.readable", "pass", lambda: make()),
    ("metadata.readable", "warn", lambda: make(md=md_input(
        valid_until=dt.datetime.now(dt.UTC) - dt.timedelta(days=3)))),
    ("metadata.readable", "fail", lambda: make(md=_no_metadata())),
    ("metadata.issuer", "pass", lambda: make()),
    ("metadata.issuer", "fail", lambda: make(md=md_input(
        f.metadata("JumpCloud", sso_post=SSO, slo_redirect=SLO)))),
    ("metadata.issuer", "fail", lambda: make(md=md_input(
        f.metadata("urn:federation:MicrosoftOnline", sso_post=SSO, slo_redirect=SLO)))),
    ("metadata.issuer", "warn", lambda: make(md=md_input(
        f.metadata("http://www.okta.com/exk123", sso_post=SSO, slo_redirect=SLO)))),
    ("metadata.issuer", "skipped", lambda: make(md=_no_metadata())),
    ("metadata.endpoints", "pass", lambda: make()),
    ("metadata.endpoints", "warn", lambda: make(md=md_input(
        f.metadata(ENTITY, sso_post=SSO, slo_redirect=None)))),
    ("metadata.endpoints", "warn", lambda: make(md=md_input(
        f.metadata(ENTITY, sso_post=None, sso_redirect=SSO, slo_redirect=SLO)))),
    ("metadata.endpoints", "fail", lambda: make(md=md_input(
        f.metadata(ENTITY, sso_post="http://sso.jumpcloud.com/x", slo_redirect=SLO)))),
    ("metadata.endpoints", "skipped", lambda: make(md=_no_metadata())),
    ("cert.valid", "pass", lambda: make()),
    ("cert.valid", "fail", lambda: make(md=md_input(signing=[f.expired().der]))),
    ("cert.valid", "skipped", lambda: make(md=_no_metadata())),
    ("cert.expiry", "pass", lambda: make()),
    ("cert.expiry", "warn", lambda: make(md=md_input(signing=[f.expiring_soon().der]))),
    ("cert.expiry", "skipped", lambda: make(md=md_input(signing=[f.expired().der]))),
    ("cert.strength", "pass", lambda: make()),
    ("cert.strength", "fail", lambda: make(md=md_input(signing=[f.cert(size=1024).der]))),
    ("cert.strength", "warn", lambda: make(md=md_input(signing=[f.sha1_cert()]))),
    ("cert.strength", "skipped", lambda: make(md=md_input(signing=[f.not_yet_valid().der]))),
    ("domain.exists", "pass", lambda: make()),
    ("domain.exists", "fail", lambda: make("nowhere.example")),
    # Domains unreadable (a Graph error): not "ready"; what depends on them is skipped.
    ("domain.exists", "fail", lambda: _modify(_set("domains", None))),
    ("domain.verified", "skipped", lambda: _modify(_set("domains", None))),
    ("domain.exists", "skipped", lambda: make(tenant=None)),
    ("domain.verified", "pass", lambda: make()),
    ("domain.verified", "fail", lambda: make("example-unverified.com")),
    ("domain.verified", "skipped", lambda: make("nowhere.example")),
    ("domain.not_initial", "pass", lambda: make()),
    ("domain.not_initial", "fail", lambda: make("contoso.onmicrosoft.com")),
    ("domain.not_initial", "skipped", lambda: make(tenant=None)),
    ("domain.not_default", "pass", lambda: make()),
    ("domain.not_default", "fail", lambda: make("contoso.com")),
    ("domain.not_default", "skipped", lambda: make("nowhere.example")),
    ("domain.subdomain", "pass", lambda: make("tailspin.io")),
    ("domain.subdomain", "warn", lambda: make("fabrikam.com")),
    ("domain.subdomain", "fail", lambda: make("sales.fabrikam.com")),
    ("domain.subdomain", "skipped", lambda: make("example-unverified.com")),
    ("domain.current_state", "pass", lambda: make()),
    ("domain.current_state", "pass", _tailspin_identical),
    ("domain.current_state", "warn", lambda: make("tailspin.io")),
    ("domain.current_state", "fail", lambda: _modify(_tailspin_half, "tailspin.io")),
    ("domain.current_state", "unknown", lambda: _modify(_tailspin_unreadable, "tailspin.io")),
    ("domain.current_state", "skipped", lambda: make("nowhere.example")),
    ("tenant.issuer_unique", "pass", lambda: make()),
    ("tenant.issuer_unique", "fail", lambda: make(md=md_input(
        f.metadata(TAILSPIN_ISSUER, sso_post=SSO, slo_redirect=SLO)))),
    ("tenant.issuer_unique", "unknown", lambda: _modify(_tailspin_unreadable)),
    ("tenant.issuer_unique", "skipped", lambda: make(md=_no_metadata())),
    ("tenant.dirsync", "pass", lambda: make()),
    ("tenant.dirsync", "warn", lambda: make(change=_dirsync_on)),
    ("tenant.dirsync", "unknown", lambda: _modify(_set("organization", None))),
    ("tenant.dirsync", "skipped", lambda: make(tenant=None)),
    ("access.permissions", "pass", lambda: make()),
    ("access.permissions", "fail", lambda: _modify(
        lambda t: setattr(t, "scopes", frozenset({"Domain.Read.All", "User.Read.All"})))),
    ("access.permissions", "warn", lambda: _modify(
        lambda t: setattr(t, "scopes", frozenset({"Domain.ReadWrite.All", "User.Read.All"})))),
    ("access.permissions", "warn", lambda: _modify(
        lambda t: setattr(t, "scopes", frozenset({"Domain-InternalFederation.ReadWrite.All",
                                                  "Domain.Read.All"})))),
    ("access.permissions", "manual", lambda: _modify(lambda t: setattr(t, "scopes", None))),
    ("access.permissions", "skipped", lambda: make(tenant=None)),
    ("access.role", "pass", lambda: make()),
    ("access.role", "fail", lambda: make(me="reader@contoso.com")),
    ("access.role", "unknown", lambda: _modify(
        lambda t: (setattr(t, "my_roles", None), setattr(t, "token_roles", None)))),
    ("access.role", "skipped", lambda: make(tenant=None)),
    # Whoever federates must be able to come back: the revert's documented roles differ.
    ("access.can_revert", "pass", lambda: make()),  # ops@: also External IdP Administrator
    ("access.can_revert", "pass", lambda: make(me="extidp@contoso.com")),
    ("access.can_revert", "pass", lambda: make(me="domainadmin@contoso.com")),
    ("access.can_revert", "warn", lambda: make(me="hybrid@contoso.com")),
    ("access.can_revert", "fail", lambda: make(me="reader@contoso.com")),
    ("access.can_revert", "fail", lambda: _modify(
        lambda t: setattr(t, "scopes", frozenset({"Domain.ReadWrite.All", "User.Read.All"})))),
    ("access.can_revert", "unknown", lambda: _modify(
        lambda t: (setattr(t, "my_roles", None), setattr(t, "token_roles", None)))),
    ("access.can_revert", "skipped", lambda: make(tenant=None)),
    ("access.lockout", "pass", lambda: make()),
    ("access.lockout", "fail", lambda: make(me="admin@fabrikam.com")),
    ("access.lockout", "fail", lambda: make(change=_disable_breakglass)),
    ("access.lockout", "unknown", lambda: _modify(_set("global_admins", None))),
    ("access.lockout", "skipped", lambda: make(tenant=None)),
    ("users.immutable_id", "pass", lambda: make("tailspin.io")),
    ("users.immutable_id", "warn", lambda: make()),
    ("users.immutable_id", "unknown", lambda: _modify(_set("users", None))),
    ("users.immutable_id", "skipped", lambda: make("nowhere.example")),
    ("users.blast_radius", "pass", lambda: make("tailspin.io")),
    ("users.blast_radius", "warn", lambda: make()),
    ("users.blast_radius", "unknown", lambda: _modify(_set("users", None))),
    ("users.blast_radius", "skipped", lambda: make(tenant=None)),
    ("exchange.modern_auth", "manual", lambda: make()),
    ("local.journal", "pass", lambda: make()),
    ("local.journal", "fail", lambda: make(journal=JournalProbe("/j", False, "Permission denied"))),
    ("local.journal", "skipped", lambda: PreflightInput(domain="fabrikam.com")),
]

# Every status each check can take; each must be reached by a case above.
EXPECTED: dict[str, set[str]] = {
    "metadata.readable": {"pass", "warn", "fail"},
    "metadata.issuer": {"pass", "warn", "fail", "skipped"},
    "metadata.endpoints": {"pass", "warn", "fail", "skipped"},
    "cert.valid": {"pass", "fail", "skipped"},
    "cert.expiry": {"pass", "warn", "skipped"},
    "cert.strength": {"pass", "warn", "fail", "skipped"},
    "domain.exists": {"pass", "fail", "skipped"},
    "domain.verified": {"pass", "fail", "skipped"},
    "domain.not_initial": {"pass", "fail", "skipped"},
    "domain.not_default": {"pass", "fail", "skipped"},
    "domain.subdomain": {"pass", "warn", "fail", "skipped"},
    "domain.current_state": {"pass", "warn", "fail", "unknown", "skipped"},
    "tenant.issuer_unique": {"pass", "fail", "unknown", "skipped"},
    "tenant.dirsync": {"pass", "warn", "unknown", "skipped"},
    "access.permissions": {"pass", "warn", "fail", "manual", "skipped"},
    "access.role": {"pass", "fail", "unknown", "skipped"},
    "access.can_revert": {"pass", "warn", "fail", "unknown", "skipped"},
    "access.lockout": {"pass", "fail", "unknown", "skipped"},
    "users.immutable_id": {"pass", "warn", "unknown", "skipped"},
    "users.blast_radius": {"pass", "warn", "unknown", "skipped"},
    "exchange.modern_auth": {"manual"},
    "local.journal": {"pass", "fail", "skipped"},
}


@pytest.mark.parametrize(("check_id", "expected", "build"), CASES,
                         ids=[f"{c}-{s}-{i}" for i, (c, s, _) in enumerate(CASES)])
def test_check_status(check_id: str, expected: str, build: Callable[[], PreflightInput]) -> None:
    assert status(check_id, build()) == expected


def test_every_status_of_every_check_is_covered() -> None:
    reached: dict[str, set[str]] = {}
    for check_id, expected, _ in CASES:
        reached.setdefault(check_id, set()).add(expected)
    assert reached == EXPECTED
    assert set(EXPECTED) == set(CHECK_IDS) >= ISSUE_IDS
    assert len(CHECKS) == len(CHECK_IDS)


def test_default_domain_offers_the_make_default_action() -> None:
    result = next(c for c in run_checks(make("contoso.com")) if c.id == "domain.not_default")
    assert result.action is not None
    assert result.action.kind == "make_default"
    assert result.action.arguments == {"domain": "contoso.onmicrosoft.com"}
    assert result.action.command == ("federator make-default contoso.onmicrosoft.com "
                                     "--confirm contoso.onmicrosoft.com")


def test_immutable_id_lists_the_three_users_who_cannot_sign_in() -> None:
    result = next(c for c in run_checks(make()) if c.id == "users.immutable_id")
    assert result.items == ("admin@fabrikam.com", "contractor@fabrikam.com",
                            "new.hire@fabrikam.com")
    assert "3 of 43 users" in result.found
    assert "sales.fabrikam.com" in result.found


def test_immutable_id_missing_for_every_user_is_a_failure() -> None:
    # Issue 14: when no user has an ImmutableID, nobody could sign in: the domain cannot be
    # used, a failure (a warning when only some lack one).
    result = next(c for c in run_checks(make("contoso.onmicrosoft.com"))
                  if c.id == "users.immutable_id")
    assert result.status == "fail"
    assert result.found.startswith("The only user in contoso.onmicrosoft.com has no "
                                   "ImmutableID: once federated, no one")
    assert result.items


def test_immutable_id_missing_for_some_users_is_a_warning() -> None:
    result = next(c for c in run_checks(make()) if c.id == "users.immutable_id")
    assert result.status == "warn"


def test_issuer_clash_names_the_other_domain() -> None:
    inp = make(md=md_input(f.metadata(TAILSPIN_ISSUER, sso_post=SSO, slo_redirect=SLO)))
    result = next(c for c in run_checks(inp) if c.id == "tenant.issuer_unique")
    assert result.items == ("tailspin.io",)
    assert "tailspin.io" in result.found


def test_lockout_names_breakglass_and_blames_own_account() -> None:
    ok = next(c for c in run_checks(make()) if c.id == "access.lockout")
    assert ok.items == ("breakglass@contoso.onmicrosoft.com",)
    locked = next(c for c in run_checks(make(me="admin@fabrikam.com"))
                  if c.id == "access.lockout")
    assert "admin@fabrikam.com" in locked.found


def test_current_state_shows_current_and_new_values() -> None:
    result = next(c for c in run_checks(make("tailspin.io")) if c.id == "domain.current_state")
    assert any(i.startswith(f"issuerUri: {TAILSPIN_ISSUER} -> {ENTITY}") for i in result.items)
    assert "PATCH" in result.found


@pytest.mark.parametrize(("issuer", "fails", "warns"), [
    ("https://sso.jumpcloud.com/saml2/x", 0, 0),
    ("urn:uri:fabrikam.com", 0, 0),
    ("JumpCloud", 1, 0),
    ("urn:uri:o365", 1, 0),
    ("https://idp.example.com/entity", 1, 0),
    ("http://1idp.fabrikam.com/", 0, 2),
    (" https://x.fabrikam.com", 1, 0),
    ("", 1, 0),
])
def test_issuer_rules(issuer: str, fails: int, warns: int) -> None:
    got_fails, got_warns = issuer_problems(issuer)
    assert (len(got_fails), len(got_warns)) == (fails, warns)


def test_checks_are_pure_and_run_without_a_tenant() -> None:
    # Checks are pure: the same input gives the same results, and they run without a tenant.
    inp = make()
    assert [c.to_json() for c in run_checks(inp)] == [c.to_json() for c in run_checks(inp)]
    offline = make(tenant=None)
    statuses = {c.id: c.status for c in run_checks(offline)}
    assert statuses["domain.exists"] == "skipped"
    assert statuses["metadata.readable"] == "pass"

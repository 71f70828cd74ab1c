"""Operations against the sandbox: every change from every state, with the journal leading back."""

from __future__ import annotations

import base64
import datetime as dt
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from core.errors import RefusedError
from core.graph.client import GraphClient, RetryPolicy
from core.journal import JournalLockedError, read_all
from core.metadata import read_metadata
from core.operations import (
    NO_CHANGE,
    SUCCEEDED,
    ConfirmationError,
    OperationContext,
    OperationEvent,
    PreflightRefusedError,
    federate,
    make_default,
    reconcile,
    restore,
    revert,
    update_certificate,
)
from core.operations.state import writable
from core.operations.writes import WritePolicy
from core.preflight import CheckResult, PreflightResult
from core.settings import FederationSettings, settings_from_metadata
from sandbox import Sandbox
from session import SandboxTokens
from tests import factories
from tests.operation_driver import OperationDriver

CERT = factories.cert()  # one certificate for every "same settings" comparison
FAST = RetryPolicy(backoff_base_s=0.01, backoff_max_s=0.05, max_total_s=10)


@dataclass
class Env(OperationDriver):
    """A sandbox tenant, a client on it, an operation context recording every event."""

    sandbox: Sandbox
    client: GraphClient
    ctx: OperationContext
    events: list[OperationEvent] = field(default_factory=list)
    hooks: list[Callable[[OperationEvent], None]] = field(default_factory=list)
    baseline: int = 0  # journal entries made while setting up a test


@pytest.fixture(autouse=True)
def _quick_read_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """Re-reads after a transient Graph error wait 0.5 s then 1.5 s; tests need not."""
    monkeypatch.setattr("core.operations.state.READ_RETRY_DELAYS_S", (0.01, 0.01))


@pytest.fixture
def env(sandbox: Sandbox, tmp_path: Path) -> Iterator[Env]:
    client = GraphClient(sandbox.graph_url, SandboxTokens(sandbox, "ops@contoso.com"),
                         verify=str(sandbox.ca_bundle), trust_env=False, policy=FAST)
    holder: list[Env] = []

    def on_event(event: OperationEvent) -> None:
        holder[0].events.append(event)
        for hook in list(holder[0].hooks):
            hook(event)

    ctx = OperationContext(client, sandbox.tenant_id, "ops@contoso.com", tmp_path / "journal",
                           on_event=on_event)
    holder.append(Env(sandbox, client, ctx))
    yield holder[0]
    client.close()


def _settings(entity: str = factories.ENTITY, cert_der: bytes | None = None) -> FederationSettings:
    xml = factories.metadata(entity, signing=[cert_der or CERT.der])
    settings, _ = settings_from_metadata(read_metadata(xml))
    return settings


def _preflight(domain: str, *statuses: tuple[str, str]) -> PreflightResult:
    checks = [CheckResult(cid, cid, status, "found", "why")  # type: ignore[arg-type]
              for cid, status in statuses]
    return PreflightResult(domain=domain,
                           checks=checks or [CheckResult("ok", "ok", "pass", "", "")],
                           started_at=dt.datetime.now(dt.UTC))


def _federate(env: Env, domain: str = "fabrikam.com", **kw: Any) -> Any:
    settings = kw.pop("settings", None) or _settings()
    return federate(env.ctx, domain, settings, confirm=kw.pop("confirm", domain),
                    preflight=kw.pop("preflight", _preflight(domain)), **kw)


def _b64(der: bytes) -> str:
    return base64.b64encode(der).decode()


def _make_half_federated(env: Env, domain: str = "fabrikam.com") -> None:
    """The documented failure (API-02): a create without certificate answers 500 yet flips the
    domain Federated with no readable configuration."""
    from core.graph.errors import UncertainWriteError

    with pytest.raises(UncertainWriteError):
        env.client.request("POST", f"/domains/{domain}/federationConfiguration",
                           json={"issuerUri": "https://half.example.com", "passiveSignInUri":
                                 "https://half.example.com/sso",
                                 "preferredAuthenticationProtocol": "saml"})
    assert not env.state(domain).readable


def _assert_journal_leads_back(env: Env) -> None:
    """Every entry is closed exactly once, and the last one's recorded state is the real one."""
    contents = env.journal.read()
    assert contents.problems == []
    for entry in contents.entries:
        types = [r["type"] for r in entry.records]
        assert types.count("begin") == 1 and types.count("end") == 1, types
        assert entry.snapshot_before is not None
        if entry.end and entry.end.get("changed"):
            assert entry.way_back
    ops = [e.op for e in contents.entries]
    assert len(ops) == len(set(ops))


# -- federate -------------------------------------------------------------------------------------

def test_federate_a_managed_domain_posts_verifies_and_journals(env: Env) -> None:
    result = _federate(env)
    assert result.outcome == SUCCEEDED and result.changed
    assert env.writes() == ["POST /v1.0/domains/fabrikam.com/federationConfiguration"]
    after = env.state("fabrikam.com")
    assert after.authentication_type == "Federated"
    assert after.federation["issuerUri"] == factories.ENTITY
    [entry] = env.journal.entries()
    assert entry.kind == "federate" and entry.who == "ops@contoso.com"
    assert entry.snapshot_before.authentication_type == "Managed"
    assert entry.snapshot_after.authentication_type == "Federated"
    assert entry.request_ids and entry.request_ids == result.request_ids
    assert entry.verification["ok"] is True
    assert result.way_back == f"federator restore {entry.op}-before --confirm fabrikam.com"
    steps = [e.step for e in env.events if e.status == "ok"]
    assert steps.index("snapshot") < steps.index("write") < steps.index("verify") \
        < steps.index("record")


def test_the_snapshot_and_the_request_are_on_disk_before_the_write_is_sent(env: Env) -> None:
    seen: list[list[str]] = []

    def read_journal_from_disk() -> None:
        lines = env.journal.path.read_text(encoding="utf-8").splitlines()
        seen.append([json.loads(line)["type"] for line in lines])

    env.on("write", "started", read_journal_from_disk)
    _federate(env)
    assert seen == [["begin", "request"]]
    begin = env.journal.entries()[0].records[0]
    assert begin["snapshot"]["domain"]["authenticationType"] == "Managed"
    assert begin["target"]["authenticationType"] == "Federated"


def test_a_callback_can_cancel_before_the_snapshot_but_not_after(env: Env) -> None:
    class Cancelled(Exception):
        pass

    def cancel() -> None:
        raise Cancelled

    env.on("plan", "ok", cancel)
    with pytest.raises(Cancelled):
        _federate(env)
    assert env.writes() == [] and env.journal.entries() == []

    env.hooks.clear()
    env.on("write", "ok", cancel)  # a GUI bug after the write must not lose the outcome
    cancellable: dict[str, bool] = {}
    env.hooks.append(lambda e: cancellable.setdefault(e.step, env.ctx.cancellable))
    result = _federate(env)
    assert result.outcome == SUCCEEDED
    # What the window asks before honouring its Cancel button: every step before the snapshot.
    assert {s for s, yes in cancellable.items() if yes} >= {"confirm", "lock", "read", "plan"}
    assert not any(cancellable[s] for s in ("snapshot", "write", "verify", "record"))
    [entry] = env.journal.entries()
    assert entry.outcome == SUCCEEDED and not entry.in_progress


def test_a_failed_preflight_check_refuses_before_anything_is_sent(env: Env) -> None:
    with pytest.raises(PreflightRefusedError) as info:
        _federate(env, preflight=_preflight("fabrikam.com", ("domain.not_default", "fail")))
    assert "domain.not_default" in info.value.message
    assert env.writes() == [] and env.journal.entries() == []


def test_warnings_must_be_accepted_by_id(env: Env) -> None:
    pf = _preflight("fabrikam.com", ("users.immutable_id", "warn"), ("tenant.dirsync", "warn"))
    with pytest.raises(PreflightRefusedError) as info:
        _federate(env, preflight=pf, accept_warnings=["tenant.dirsync"])
    assert info.value.details["unaccepted_warnings"] == ["users.immutable_id"]
    assert env.writes() == []
    result = _federate(env, preflight=pf, accept_warnings=["tenant.dirsync", "users.immutable_id"])
    assert result.outcome == SUCCEEDED


def test_a_preflight_for_another_domain_is_refused(env: Env) -> None:
    with pytest.raises(PreflightRefusedError):
        _federate(env, preflight=_preflight("contoso.com"))


def test_the_typed_confirmation_must_match(env: Env) -> None:
    with pytest.raises(ConfirmationError):
        _federate(env, confirm="fabrikam.co")
    assert env.writes() == [] and env.journal.entries() == []


def test_federating_an_already_federated_domain_patches_only_what_differs(env: Env) -> None:
    _federate(env)
    sso_changed = factories.metadata(sso_post="https://idp.example.com/saml/sso2",
                                     signing=[CERT.der])
    settings, _ = settings_from_metadata(read_metadata(sso_changed))
    result = _federate(env, settings=settings)
    assert result.outcome == SUCCEEDED
    patch = env.journal.entries()[-1].requests
    assert [r["method"] for r in patch] == ["PATCH"]
    assert set(patch[0]["body"]) == {"passiveSignInUri", "activeSignInUri"}
    assert env.state("fabrikam.com").federation["passiveSignInUri"].endswith("sso2")


def test_same_settings_again_changes_nothing_and_journals_nothing(env: Env) -> None:
    _federate(env)
    result = _federate(env)
    assert result.outcome == NO_CHANGE and result.changed is False
    assert len(env.journal.entries()) == 1


def _fault_sends(env: Env, *nths: int, fault: str = "500") -> None:
    """Inject ``fault`` into the ``n``-th write sent, for each ``n`` in ``nths``."""
    for nth in nths:
        env.on_nth(nth, "write", "started", lambda: env.sandbox.set_faults(fault))


PATCH_REFUSED = (1, 2, 3)  # every attempt of the PATCH (WritePolicy.attempts) gets a 500


def test_a_transient_500_on_an_update_is_retried_not_replaced(env: Env) -> None:
    _federate(env)
    settings = _settings(cert_der=factories.cert("other.example.com", slot=3).der)
    _fault_sends(env, 1)
    result = _federate(env, settings=settings)
    assert result.outcome == SUCCEEDED
    assert [r["method"] for r in env.journal.entries()[-1].requests] == ["PATCH", "PATCH"]
    assert not any(w.startswith("DELETE") for w in env.writes())  # never Managed in between
    assert env.state("fabrikam.com").federation["signingCertificate"] == \
        settings.signing_certificate
    _assert_journal_leads_back(env)


def test_an_update_graph_keeps_refusing_is_not_replaced_unless_the_admin_chooses_it(
        env: Env) -> None:
    first = _federate(env)
    settings = _settings(cert_der=factories.cert("other.example.com", slot=3).der)
    _fault_sends(env, *PATCH_REFUSED)
    result = _federate(env, settings=settings)
    assert result.outcome == "failed" and result.changed is False and result.way_back == ""
    assert result.replace_possible and result.to_json()["replace_possible"] is True
    assert "--allow-replace" in result.summary and "Managed" in result.summary
    assert [r["method"] for r in env.journal.entries()[-1].requests] == ["PATCH"] * 3
    assert writable(env.state("fabrikam.com").federation) == writable(first.after.federation)
    _assert_journal_leads_back(env)


def test_a_refused_patch_is_replaced_when_the_admin_chose_it(env: Env) -> None:
    _federate(env)
    settings = _settings(cert_der=factories.cert("other.example.com", slot=3).der)
    _fault_sends(env, *PATCH_REFUSED)
    result = _federate(env, settings=settings, allow_replace=True)
    assert result.outcome == SUCCEEDED
    methods = [r["method"] for r in env.journal.entries()[-1].requests]
    assert methods == ["PATCH"] * 3 + ["DELETE", "POST"]
    after = env.state("fabrikam.com")
    assert after.authentication_type == "Federated"
    assert after.federation["signingCertificate"] == settings.signing_certificate
    _assert_journal_leads_back(env)


def test_a_rollover_step_is_never_replaced(env: Env) -> None:
    new = factories.cert("next.example.com", slot=4)
    _fault_sends(env, *PATCH_REFUSED)
    result = update_certificate(env.ctx, "tailspin.io", _b64(new.der), confirm="tailspin.io")
    assert result.outcome == "failed" and result.changed is False
    assert not result.replace_possible
    assert "never replaces the configuration during a certificate rollover" in result.summary
    assert [r["method"] for r in env.journal.entries()[-1].requests] == ["PATCH"] * 3
    assert env.state("tailspin.io").authentication_type == "Federated"
    _assert_journal_leads_back(env)


def test_a_recreate_that_does_not_take_puts_the_previous_configuration_back(env: Env) -> None:
    first = _federate(env)
    settings = _settings(cert_der=factories.cert("other.example.com", slot=3).der)
    _fault_sends(env, *PATCH_REFUSED, 5, 6, 7)  # the PATCH, and the re-create each time
    result = _federate(env, settings=settings, allow_replace=True)
    assert result.outcome == "failed" and result.changed is False
    assert "deleted and created again" in result.summary  # not "nothing was changed"
    methods = [r["method"] for r in env.journal.entries()[-1].requests]
    assert methods == ["PATCH"] * 3 + ["DELETE"] + ["POST"] * 3 + ["POST"]
    assert writable(env.state("fabrikam.com").federation) == writable(first.after.federation)
    _assert_journal_leads_back(env)


def test_when_even_the_put_back_fails_the_way_back_restores_the_configuration(env: Env) -> None:
    first = _federate(env)
    settings = _settings(cert_der=factories.cert("other.example.com", slot=3).der)
    # The PATCH, the re-create and the put-back all get a 500 at every attempt.
    _fault_sends(env, *PATCH_REFUSED, 5, 6, 7, 8, 9, 10)
    result = _federate(env, settings=settings, allow_replace=True)
    assert result.outcome == "failed" and result.changed is True
    assert env.state("fabrikam.com").authentication_type == "Managed"
    assert result.way_back == f"federator restore {result.before.id} --confirm fabrikam.com"
    back = restore(env.ctx, result.before.id, confirm="fabrikam.com")
    assert back.outcome == SUCCEEDED
    assert writable(env.state("fabrikam.com").federation) == writable(first.after.federation)
    _assert_journal_leads_back(env)


def test_a_dropped_update_is_sent_again_not_replaced(env: Env) -> None:
    """A connection drop is not Graph refusing the update: deleting the configuration for it
    would risk an outage for nothing."""
    _federate(env)
    settings = _settings(cert_der=factories.cert("other.example.com", slot=3).der)
    env.on_nth(1, "write", "started", lambda: env.sandbox.set_faults("drop"))
    result = _federate(env, settings=settings)
    assert result.outcome == SUCCEEDED
    assert [r["method"] for r in env.journal.entries()[-1].requests] == ["PATCH", "PATCH"]
    assert env.state("fabrikam.com").federation["signingCertificate"] == \
        settings.signing_certificate
    _assert_journal_leads_back(env)


def test_a_recreate_whose_answer_is_lost_is_verified_by_reading_back(env: Env) -> None:
    _federate(env)
    settings = _settings(cert_der=factories.cert("other.example.com", slot=3).der)
    _fault_sends(env, *PATCH_REFUSED)
    _fault_sends(env, 5, fault="drop-after")
    result = _federate(env, settings=settings, allow_replace=True)
    assert result.outcome == SUCCEEDED
    assert [r["method"] for r in env.journal.entries()[-1].requests] == \
        ["PATCH"] * 3 + ["DELETE", "POST"]
    _assert_journal_leads_back(env)


def test_a_refused_recreate_puts_the_previous_configuration_back(env: Env) -> None:
    first = _federate(env)
    settings = _settings(cert_der=factories.cert("other.example.com", slot=3).der)
    _fault_sends(env, *PATCH_REFUSED)
    _fault_sends(env, 5, fault="429:5@0.01")  # the re-create is throttled past the budget
    result = _federate(env, settings=settings, allow_replace=True)
    assert result.outcome == "failed" and result.changed is False
    methods = [r["method"] for r in env.journal.entries()[-1].requests]
    assert methods == ["PATCH"] * 3 + ["DELETE", "POST", "POST"]
    assert writable(env.state("fabrikam.com").federation) == writable(first.after.federation)
    _assert_journal_leads_back(env)


@pytest.mark.parametrize(("domain", "why"), [
    ("contoso.com", "default"),
    ("sales.fabrikam.com", "subdomain"),
    ("contoso.onmicrosoft.com", "initial"),
])
def test_graph_refusals_leave_the_domain_unchanged_and_say_so(env: Env, domain: str,
                                                               why: str) -> None:
    before = env.state(domain)
    result = _federate(env, domain)
    assert result.outcome == "failed" and result.changed is False
    assert "nothing was changed" in result.summary
    assert env.state(domain).authentication_type == before.authentication_type
    [entry] = env.journal.entries()
    assert entry.outcome == "failed" and entry.end["error"]["status"] == 400
    _assert_journal_leads_back(env)


def test_an_issuer_used_by_another_domain_is_refused_by_graph(env: Env) -> None:
    from sandbox.seed import TAILSPIN_ISSUER

    result = _federate(env, settings=_settings(entity=TAILSPIN_ISSUER))
    assert result.outcome == "failed" and result.changed is False
    assert "issuer" in result.summary.lower()
    assert env.state("fabrikam.com").authentication_type == "Managed"


def test_half_federated_domain_is_refused_with_the_way_out(env: Env) -> None:
    _make_half_federated(env)
    with pytest.raises(RefusedError) as info:
        _federate(env)
    assert info.value.code == "half_federated" and "revert" in (info.value.remedy or "")
    with pytest.raises(RefusedError):
        update_certificate(env.ctx, "fabrikam.com", _b64(factories.cert().der),
                           confirm="fabrikam.com")


def test_a_write_that_leaves_the_domain_half_federated_says_so_and_how_out(env: Env) -> None:
    # Another admin's failed create lands between our snapshot and our write.
    env.on("write", "started", lambda: _make_half_federated(env))
    result = _federate(env)
    assert result.outcome == "failed" and result.changed is True
    assert result.after is not None and result.after.readable is False
    assert "half-federated" in result.summary
    # The way back is one command that works from the half-federated state.
    assert result.way_back == f"federator restore {result.before.id} --confirm fabrikam.com"
    entry = env.journal.entries()[-1]
    assert entry.snapshot_after.readable is False and entry.way_back == result.way_back
    back = restore(env.ctx, result.before.id, confirm="fabrikam.com")
    assert back.outcome == SUCCEEDED
    after = env.state("fabrikam.com")
    assert after.authentication_type == "Managed" and after.readable


# -- revert ---------------------------------------------------------------------------------------

def test_revert_counts_users_patches_managed_and_verifies_the_configuration_is_gone(
        env: Env) -> None:
    result = revert(env.ctx, "tailspin.io", confirm="tailspin.io")
    assert result.outcome == SUCCEEDED
    assert env.writes() == ["PATCH /v1.0/domains/tailspin.io"]
    assert result.password_impact is not None and result.password_impact.users == 5
    assert len(result.password_impact.options) >= 3
    after = env.state("tailspin.io")
    assert after.authentication_type == "Managed" and after.federation is None
    users_event = next(e for e in env.events if e.step == "users" and e.status == "warning")
    assert "5 users in" in users_event.message


def test_revert_of_a_managed_domain_changes_nothing(env: Env) -> None:
    result = revert(env.ctx, "fabrikam.com", confirm="fabrikam.com")
    assert result.outcome == NO_CHANGE and env.writes() == []


def test_revert_clears_a_half_federated_domain(env: Env) -> None:
    _make_half_federated(env)
    result = revert(env.ctx, "fabrikam.com", confirm="fabrikam.com")
    assert result.outcome == SUCCEEDED
    assert env.state("fabrikam.com").authentication_type == "Managed"
    assert env.journal.entries()[-1].snapshot_before.readable is False


def test_revert_of_a_subdomain_is_refused_before_anything_is_sent(env: Env) -> None:
    """A subdomain follows its root (reference §3.2): Federator says so and sends nothing,
    instead of a PATCH Graph refuses and a warning about passwords that will not change."""
    _federate(env)
    writes_before = env.writes()
    with pytest.raises(RefusedError) as info:
        revert(env.ctx, "sales.fabrikam.com", confirm="sales.fabrikam.com")
    assert info.value.code == "subdomain_follows_root"
    assert "Revert the root domain" in (info.value.remedy or "")
    assert env.writes() == writes_before
    assert not any(e.step == "users" and e.status == "warning" for e in env.events)
    assert env.state("sales.fabrikam.com").authentication_type == "Federated"  # follows root


# -- certificate ----------------------------------------------------------------------------------

def test_certificate_rollover_stages_then_promotes_showing_accepted_certificates(env: Env) -> None:
    old = factories.cert("old-signing.example.com", slot=4)
    new = factories.cert("new-signing.example.com", slot=5)
    _federate(env, settings=_settings(cert_der=old.der))
    staged = update_certificate(env.ctx, "fabrikam.com", [_b64(new.der), _b64(old.der)],
                                confirm="fabrikam.com")
    assert staged.outcome == SUCCEEDED
    assert [c.slot for c in staged.certificates_before] == ["signingCertificate"]
    assert [(c.slot, "new-signing" in c.subject) for c in staged.certificates_after] == \
        [("signingCertificate", False), ("nextSigningCertificate", True)]
    fed = env.state("fabrikam.com").federation
    assert fed["signingCertificate"] == _b64(old.der)
    assert fed["nextSigningCertificate"] == _b64(new.der)

    with pytest.raises(RefusedError):  # staging the current one is pointless
        update_certificate(env.ctx, "fabrikam.com", _b64(old.der), confirm="fabrikam.com")

    promoted = update_certificate(env.ctx, "fabrikam.com", _b64(new.der),
                                  confirm="fabrikam.com", promote=True)
    assert promoted.outcome == SUCCEEDED
    assert [c.slot for c in promoted.certificates_after] == ["signingCertificate"]
    fed = env.state("fabrikam.com").federation
    assert fed["signingCertificate"] == _b64(new.der) and not fed["nextSigningCertificate"]
    again = update_certificate(env.ctx, "fabrikam.com", _b64(new.der), confirm="fabrikam.com",
                               promote=True)
    assert again.outcome == NO_CHANGE


def test_the_newest_certificate_of_the_metadata_is_the_one_staged(env: Env) -> None:
    current, following = factories.rollover_pair()
    _federate(env, settings=_settings(cert_der=current.der))
    result = update_certificate(env.ctx, "fabrikam.com", [_b64(current.der), _b64(following.der)],
                                confirm="fabrikam.com")
    assert result.outcome == SUCCEEDED
    assert env.state("fabrikam.com").federation["nextSigningCertificate"] == _b64(following.der)


def test_a_not_yet_valid_certificate_is_staged_but_never_promoted(env: Env) -> None:
    current, future = factories.cert("current.example.com"), factories.not_yet_valid()
    _federate(env, settings=_settings(cert_der=current.der))
    both = [_b64(current.der), _b64(future.der)]
    staged = update_certificate(env.ctx, "fabrikam.com", both, confirm="fabrikam.com")
    assert staged.outcome == SUCCEEDED
    assert env.state("fabrikam.com").federation["nextSigningCertificate"] == _b64(future.der)
    with pytest.raises(RefusedError) as info:
        update_certificate(env.ctx, "fabrikam.com", both, confirm="fabrikam.com", promote=True)
    assert info.value.code == "certificate_not_yet_valid"
    assert env.state("fabrikam.com").federation["signingCertificate"] == _b64(current.der)


def test_stage_and_promote_are_the_two_halves_of_a_rollover(env: Env) -> None:
    from core.operations import promote_certificate, stage_certificate

    old = factories.cert("old-signing.example.com", slot=4)
    new = factories.cert("new-signing.example.com", slot=5)
    _federate(env, settings=_settings(cert_der=old.der))
    both = [_b64(new.der), _b64(old.der)]
    assert stage_certificate(env.ctx, "fabrikam.com", both,
                             confirm="fabrikam.com").kind == "stage-certificate"
    assert env.state("fabrikam.com").federation["nextSigningCertificate"] == _b64(new.der)
    assert promote_certificate(env.ctx, "fabrikam.com", both,
                               confirm="fabrikam.com").kind == "promote-certificate"
    assert env.state("fabrikam.com").federation["signingCertificate"] == _b64(new.der)


def test_certificate_update_of_a_managed_domain_is_refused(env: Env) -> None:
    with pytest.raises(RefusedError):
        update_certificate(env.ctx, "fabrikam.com", _b64(factories.cert().der),
                           confirm="fabrikam.com")
    assert env.writes() == []


# -- restore --------------------------------------------------------------------------------------

def test_federate_revert_restore_returns_an_identical_configuration(env: Env) -> None:
    _federate(env)
    first = writable(env.state("fabrikam.com").federation)
    reverted = revert(env.ctx, "fabrikam.com", confirm="fabrikam.com")
    restored = restore(env.ctx, reverted.before.id, confirm="fabrikam.com")
    assert restored.outcome == SUCCEEDED
    assert writable(env.state("fabrikam.com").federation) == first
    # ...and restoring the very first snapshot puts it back to managed.
    first_entry = env.journal.entries()[0]
    back = restore(env.ctx, first_entry.snapshot_before.id, confirm="fabrikam.com")
    assert back.outcome == SUCCEEDED
    assert env.state("fabrikam.com").authentication_type == "Managed"
    _assert_journal_leads_back(env)


def test_restore_of_a_federated_snapshot_over_different_settings_patches(env: Env) -> None:
    first = _federate(env)
    second = _federate(env, settings=_settings(entity="https://idp.example.com/other"))
    with pytest.raises(RefusedError) as info:  # it would undo the second federate
        restore(env.ctx, first.after.id, confirm="fabrikam.com")
    assert info.value.code == "restore_would_overwrite"
    assert f"would undo the federate {second.op_id} made by ops@contoso.com" in \
        info.value.message
    assert "--force" in (info.value.remedy or "")
    assert env.state("fabrikam.com").federation["issuerUri"] == "https://idp.example.com/other"
    restored = restore(env.ctx, first.after.id, confirm="fabrikam.com", force=True)
    assert restored.outcome == SUCCEEDED
    assert env.state("fabrikam.com").federation["issuerUri"] == factories.ENTITY


def test_restore_over_a_half_federated_domain_clears_it_then_recreates(env: Env) -> None:
    federated = _federate(env)
    revert(env.ctx, "fabrikam.com", confirm="fabrikam.com")
    _make_half_federated(env)  # outside Federator: restoring undoes it, so it takes --force
    result = restore(env.ctx, federated.after.id, confirm="fabrikam.com", force=True)
    assert result.outcome == SUCCEEDED
    assert [r["method"] for r in env.journal.entries()[-1].requests] == ["PATCH", "POST"]
    assert env.state("fabrikam.com").federation["issuerUri"] == factories.ENTITY


def test_restore_needs_the_snapshot_domain_typed(env: Env) -> None:
    result = _federate(env)
    with pytest.raises(ConfirmationError):
        restore(env.ctx, result.before.id, confirm="tailspin.io")


# -- faults at every step -------------------------------------------------------------------------

FAULTS = ["429:2@0.01", "503:1@0.01", "drop", "drop-after", "500", "expire-token", "late:1@0.2",
          "write:500:3"]
STEPS = [("read", "started"), ("write", "started"), ("verify", "started")]


def _setup_and_run(env: Env, kind: str, fault: str, step: tuple[str, str]) -> tuple[str, Any]:
    """Bring the tenant to the state ``kind`` starts from, then run it with ``fault`` injected
    when the operation reaches ``step``. Returns the domain and the result."""
    if kind == "federate":
        domain, run = "fabrikam.com", lambda: _federate(env)
    elif kind == "revert":
        domain, run = "tailspin.io", lambda: revert(env.ctx, "tailspin.io", confirm="tailspin.io")
    elif kind == "stage-certificate":
        domain = "tailspin.io"
        run = lambda: update_certificate(env.ctx, domain, _b64(CERT.der),  # noqa: E731
                                         confirm=domain)
    else:  # restore tailspin.io's federation after a revert
        domain = "tailspin.io"
        snapshot = revert(env.ctx, domain, confirm=domain).before.id
        env.sandbox.request_log.clear()
        run = lambda: restore(env.ctx, snapshot, confirm=domain)  # noqa: E731
    env.baseline = len(env.journal.entries())
    env.on(*step, lambda: env.sandbox.set_faults(fault))
    try:
        return domain, run()
    finally:
        env.sandbox.set_faults(None)


EXPECTED = {"federate": "Federated", "revert": "Managed", "stage-certificate": "Federated",
            "restore": "Federated"}


@pytest.mark.parametrize("fault", FAULTS)
@pytest.mark.parametrize("step", STEPS, ids=[s for s, _ in STEPS])
@pytest.mark.parametrize("kind", list(EXPECTED))
def test_no_injected_fault_leaves_a_change_without_a_journal_entry_that_leads_back(
        env: Env, fault: str, step: tuple[str, str], kind: str) -> None:
    from core.graph.errors import GraphError

    try:
        domain, result = _setup_and_run(env, kind, fault, step)
    except RefusedError:
        pytest.fail("a transient fault must not refuse the operation")
    except GraphError:  # a read failed before the snapshot: nothing may have been sent
        assert step[0] == "read" and env.writes() == []
        assert len(env.journal.entries()) == env.baseline
        return
    actual = env.state(domain)
    entries = env.journal.entries()
    assert len(entries) == env.baseline + 1
    entry = entries[-1]
    if result.outcome == "unknown":
        assert entry.in_progress  # left open for reconciliation, never silently closed
        [rec] = reconcile(env.ctx)
        assert rec.op == entry.op
        entry = env.journal.entries()[-1]
    assert not entry.in_progress
    recorded = entry.snapshot_after
    assert recorded is not None
    assert recorded.authentication_type == actual.authentication_type
    assert writable(recorded.federation) == writable(actual.federation)
    if result.outcome == SUCCEEDED:
        assert actual.authentication_type == EXPECTED[kind]
    else:
        assert result.outcome in ("failed", "unknown")
        if result.changed:
            assert "restore" in result.way_back or "revert" in result.way_back
    _assert_journal_leads_back(env)


def test_dropped_post_is_never_repeated_blindly(env: Env) -> None:
    env.on("write", "started", lambda: env.sandbox.set_faults("drop-after"))
    result = _federate(env)
    assert result.outcome == SUCCEEDED  # the re-read found the change applied
    assert env.writes().count("POST /v1.0/domains/fabrikam.com/federationConfiguration") == 1


# -- lock and reconciliation ----------------------------------------------------------------------

def test_a_held_tenant_lock_refuses_a_second_change(env: Env) -> None:
    with env.journal.writing("someone else"), pytest.raises(JournalLockedError):
        revert(env.ctx, "tailspin.io", confirm="tailspin.io")
    assert env.writes() == []


def test_no_change_is_attempted_when_the_journal_cannot_be_written(env: Env,
                                                                    tmp_path: Path) -> None:
    from core.journal import JournalError

    blocker = tmp_path / "blocked"
    blocker.write_text("not a folder")
    env.ctx.journal_dir = blocker
    with pytest.raises(JournalError) as info:
        revert(env.ctx, "tailspin.io", confirm="tailspin.io")
    assert "it is a file, not a folder" in info.value.message
    assert "nothing was changed" in info.value.message
    assert env.writes() == []
    assert env.state("tailspin.io").authentication_type == "Federated"


def test_an_open_entry_is_reconciled_before_the_next_change(env: Env) -> None:
    before = env.state("tailspin.io")
    with env.journal.writing("crashed run") as w:
        w.begin(kind="revert", domain="tailspin.io", who="ops@contoso.com",
                snapshot=before, op="deadbeef",
                target={"authenticationType": "Managed", "federation": None})
    # The crashed run's write did land:
    env.client.request("PATCH", "/domains/tailspin.io", json={"authenticationType": "Managed"})
    result = _federate(env)
    assert [r.op for r in result.reconciled] == ["deadbeef"]
    assert "had been applied" in result.reconciled[0].summary
    entry = env.journal.entries()[0]
    assert entry.outcome == "reconciled" and entry.snapshot_after.authentication_type == "Managed"
    assert entry.way_back == "federator restore " + before.id + " --confirm tailspin.io"
    assert read_all(env.ctx.journal_dir).problems == []
    _assert_journal_leads_back(env)


# -- make-default (preflight's remedy for domain.not_default) -------------------------------------

@pytest.fixture
def domain_admin(env: Env) -> Iterator[OperationContext]:
    """A context signed in as the Domain Name Administrator, who may change the default domain."""
    client = GraphClient(env.sandbox.graph_url,
                         SandboxTokens(env.sandbox, "domainadmin@contoso.com",
                                       extra_scopes=("Domain.ReadWrite.All",)),
                         verify=str(env.sandbox.ca_bundle), trust_env=False, policy=FAST)
    yield OperationContext(client, env.sandbox.tenant_id, "domainadmin@contoso.com",
                           env.ctx.journal_dir, on_event=env.ctx.on_event)
    client.close()


def test_make_default_is_journaled_and_its_way_back_is_the_previous_default(
        env: Env, domain_admin: OperationContext) -> None:
    assert env.state("contoso.com").domain["isDefault"] is True
    result = make_default(domain_admin, "contoso.onmicrosoft.com",
                          confirm="contoso.onmicrosoft.com")
    assert result.outcome == SUCCEEDED and result.changed
    assert env.state("contoso.onmicrosoft.com").domain["isDefault"] is True
    assert "default domain" in result.summary
    assert result.way_back == "federator make-default contoso.com --confirm contoso.com"
    [entry] = env.journal.entries()
    assert entry.kind == "make-default" and entry.way_back == result.way_back
    assert [r["method"] for r in entry.requests] == ["PATCH"]
    assert entry.verification["ok"] is True
    # The way back, run as written, puts the previous default back (journaled too).
    back = make_default(domain_admin, "contoso.com", confirm="contoso.com")
    assert back.outcome == SUCCEEDED
    assert env.state("contoso.com").domain["isDefault"] is True
    assert back.way_back == ("federator make-default contoso.onmicrosoft.com "
                             "--confirm contoso.onmicrosoft.com")
    # Restoring its snapshot is not how to undo it, and says which command is.
    with pytest.raises(RefusedError) as info:
        restore(env.ctx, entry.snapshot_before.id, confirm="contoso.onmicrosoft.com")
    assert "make-default contoso.com" in (info.value.remedy or "")
    _assert_journal_leads_back(env)


def test_make_default_of_the_default_domain_changes_nothing(
        env: Env, domain_admin: OperationContext) -> None:
    result = make_default(domain_admin, "contoso.com", confirm="contoso.com")
    assert result.outcome == NO_CHANGE and env.writes() == []
    assert "already the default" in result.summary
    assert env.journal.entries() == []


def test_make_default_without_the_role_is_refused_recorded_and_changes_nothing(env: Env) -> None:
    with pytest.raises(ConfirmationError):
        make_default(env.ctx, "contoso.onmicrosoft.com", confirm="contoso.com")
    with pytest.raises(RefusedError) as info:  # ops@contoso.com: Hybrid Identity Administrator
        make_default(env.ctx, "contoso.onmicrosoft.com", confirm="contoso.onmicrosoft.com")
    assert info.value.code in ("make_default_needs_role", "make_default_needs_permission")
    assert env.writes() == []
    assert env.state("contoso.com").domain["isDefault"] is True
    [entry] = env.journal.entries()
    assert entry.outcome == "failed" and entry.end["changed"] is False
    assert "nothing was changed" in entry.summary
    _assert_journal_leads_back(env)


def test_make_default_whose_answer_is_lost_is_verified_by_reading_back(
        env: Env, domain_admin: OperationContext) -> None:
    env.on("write", "started", lambda: env.sandbox.set_faults("drop-after"))
    result = make_default(domain_admin, "contoso.onmicrosoft.com",
                          confirm="contoso.onmicrosoft.com")
    env.sandbox.set_faults(None)
    assert result.outcome == SUCCEEDED
    assert env.state("contoso.onmicrosoft.com").domain["isDefault"] is True
    assert env.journal.entries()[-1].way_back == \
        "federator make-default contoso.com --confirm contoso.com"
    _assert_journal_leads_back(env)


def test_make_default_of_a_federated_domain_is_refused_before_anything_is_recorded(
        env: Env, domain_admin: OperationContext) -> None:
    with pytest.raises(RefusedError) as info:
        make_default(domain_admin, "tailspin.io", confirm="tailspin.io")
    assert info.value.code == "federated_default"
    assert env.writes() == [] and env.journal.entries() == []


def test_an_interrupted_make_default_is_reconciled_with_its_own_way_back(
        env: Env, domain_admin: OperationContext) -> None:
    before = env.state("contoso.onmicrosoft.com")
    with env.journal.writing("crashed run") as w:  # a run that died after its PATCH was sent
        w.begin(kind="make-default", domain="contoso.onmicrosoft.com",
                who="domainadmin@contoso.com", snapshot=before, op="c0ffee00",
                target={"authenticationType": "Managed", "federation": None,
                        "domain": {"isDefault": True}},
                way_back="federator make-default contoso.com --confirm contoso.com")
    domain_admin.client.request("PATCH", "/domains/contoso.onmicrosoft.com",
                                json={"isDefault": True})
    [rec] = reconcile(env.ctx)
    assert rec.op == "c0ffee00" and rec.changed is True and "had been applied" in rec.summary
    assert rec.way_back == "federator make-default contoso.com --confirm contoso.com"
    assert env.journal.entries()[0].way_back == rec.way_back


def test_a_user_count_that_fails_does_not_block_the_revert(env: Env) -> None:
    # The batch that counts the users gets a 500 on every attempt.
    env.on("users", "started", lambda: env.sandbox.set_faults("500:10"))
    result = revert(env.ctx, "tailspin.io", confirm="tailspin.io")
    assert result.outcome == SUCCEEDED and result.password_impact is None
    assert env.state("tailspin.io").authentication_type == "Managed"
    warning = next(e for e in env.events if e.step == "users" and e.status == "warning")
    assert "Could not count the users of tailspin.io" in warning.message
    assert "will need a cloud password" in warning.message


def test_a_write_that_times_out_is_not_sent_again_while_graph_is_still_applying_it(
        env: Env) -> None:
    """No answer in time does not mean no effect: Federator re-reads for a while before it
    concludes the write did not land, so a slow PATCH is never sent twice."""
    env.ctx.writes = WritePolicy(late_write_s=1.5, max_wait_s=3.0, read_delays_s=(0.1,))
    env.client.policy = RetryPolicy(backoff_base_s=0.01, backoff_max_s=0.05, max_total_s=10,
                                    read_timeout_s=0.3)
    env.on("write", "started", lambda: env.sandbox.set_faults("slow:1@1.0"))
    result = revert(env.ctx, "tailspin.io", confirm="tailspin.io")
    assert result.outcome == SUCCEEDED
    sent = [e.message for e in env.events if e.step == "write" and e.status == "started"]
    assert sent == ["Sending PATCH /domains/tailspin.io"]
    assert env.state("tailspin.io").authentication_type == "Managed"
    assert any("still applying" in e.message for e in env.events)


def test_a_replace_put_back_after_the_recreate_failed_does_not_say_nothing_changed(
        env: Env) -> None:
    """The configuration was deleted (the domain Managed), the re-create refused, the previous
    one created again: the domain reads as before, but the result must not claim "nothing was
    changed" (users could not sign in meanwhile, and the configuration has a new id)."""
    first = _federate(env)
    settings = _settings(cert_der=factories.cert("other.example.com", slot=3).der)
    # PATCH x3 refused, DELETE passes (4th), POST x3 refused (5-7), the put-back POST passes.
    _fault_sends(env, *PATCH_REFUSED, 5, 6, 7)
    result = _federate(env, settings=settings, allow_replace=True)
    methods = [r["method"] for r in env.journal.entries()[-1].requests]
    assert methods == ["PATCH"] * 3 + ["DELETE"] + ["POST"] * 4
    after = env.state("fabrikam.com")
    assert writable(after.federation) == writable(first.after.federation)
    assert result.outcome == "failed"
    assert "nothing was changed" not in result.summary
    assert "Managed in between" in result.summary
    recorded = env.journal.entries()[-1]
    assert "nothing was changed" not in json.dumps(recorded.__dict__, default=str)

"""A write whose answer is lost is uncertain until Graph proves otherwise; nobody else's change is
undone by surprise (issue 10, sections 1, 2 and 6), against the sandbox.

The sandbox's ``late:N@S`` fault closes the connection without an answer and applies the request
S seconds later: a write that lands after Federator gave up on it. The proving bounds
(``OperationContext.writes``) are set per test, so nothing here sleeps longer than the scenario.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from core.errors import RefusedError
from core.graph.client import GraphClient, RetryPolicy
from core.metadata import read_metadata
from core.operations import (
    SUCCEEDED,
    UNKNOWN,
    OperationContext,
    OperationEvent,
    federate,
    make_default,
    reconcile,
    restore,
    revert,
)
from core.operations.writes import WritePolicy
from core.preflight import CheckResult, PreflightResult
from core.settings import settings_from_metadata
from sandbox import Sandbox
from session import SandboxTokens
from tests import factories
from tests.operation_driver import OperationDriver

FAST = RetryPolicy(backoff_base_s=0.01, backoff_max_s=0.05, max_total_s=10)
# Proving waits: a lost write that has not shown 0.8 s after its attempt ended is taken as not
# applied; re-reading stops after 2 s.
PROVE = WritePolicy(late_write_s=0.8, answered_s=0.05, max_wait_s=2.0, read_delays_s=(0.1,),
                    attempts=3, retry_delays_s=(0.01,))


@dataclasses.dataclass
class Admin(OperationDriver):
    """One Federator home (its own journal) signed in to the sandbox tenant as ``upn``."""

    sandbox: Sandbox
    ctx: OperationContext
    events: list[OperationEvent]
    hooks: list[Callable[[OperationEvent], None]]


@pytest.fixture
def admins(sandbox: Sandbox, tmp_path: Path) -> Iterator[Callable[..., Admin]]:
    clients: list[GraphClient] = []

    def make(upn: str = "ops@contoso.com", home: str = "home", *,
             scopes: tuple[str, ...] = ()) -> Admin:
        client = GraphClient(sandbox.graph_url, SandboxTokens(sandbox, upn, extra_scopes=scopes),
                             verify=str(sandbox.ca_bundle), trust_env=False, policy=FAST)
        clients.append(client)
        events: list[OperationEvent] = []
        hooks: list[Callable[[OperationEvent], None]] = []

        def on_event(event: OperationEvent) -> None:
            events.append(event)
            for hook in list(hooks):
                hook(event)

        ctx = OperationContext(client, sandbox.tenant_id, upn, tmp_path / home / "journal",
                               on_event=on_event, writes=PROVE)
        return Admin(sandbox, ctx, events, hooks)

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def ops(admins: Callable[..., Admin]) -> Admin:
    return admins()


@pytest.fixture
def domain_admin(admins: Callable[..., Admin]) -> Admin:
    return admins("domainadmin@contoso.com", scopes=("Domain.ReadWrite.All",))


def _settings(entity: str = factories.ENTITY, der: bytes | None = None) -> Any:
    xml = factories.metadata(entity, signing=[der or factories.cert().der])
    settings, _ = settings_from_metadata(read_metadata(xml))
    return settings


def _preflight(domain: str, age: dt.timedelta = dt.timedelta()) -> PreflightResult:
    return PreflightResult(domain=domain, checks=[CheckResult("ok", "ok", "pass", "", "")],
                           started_at=dt.datetime.now(dt.UTC) - age)


def _federate(admin: Admin, domain: str = "fabrikam.com", **kw: Any) -> Any:
    return federate(admin.ctx, domain, kw.pop("settings", None) or _settings(), confirm=domain,
                    preflight=kw.pop("preflight", None) or _preflight(domain), **kw)


def _wait_for(predicate: Callable[[], bool], timeout_s: float = 5.0) -> None:
    """Poll ``predicate`` until true, up to a deadline (the late write lands in the sandbox)."""
    import time

    deadline = time.monotonic() + timeout_s
    while not predicate():
        assert time.monotonic() < deadline, "the late write never landed"
        time.sleep(0.05)


# -- 1. a write whose answer is lost ---------------------------------------------------------------

def test_a_make_default_that_lands_after_its_answer_was_lost_is_proven_applied(
        domain_admin: Admin) -> None:
    """Its answer dropped, the PATCH lands 0.4 s later: one read at once would have recorded
    "failed, nothing changed, no way back"; re-reading within the bound proves it applied."""
    domain_admin.on_nth(1, "write", "started",
                        lambda: domain_admin.sandbox.set_faults("late:1@0.4"))
    result = make_default(domain_admin.ctx, "contoso.onmicrosoft.com",
                          confirm="contoso.onmicrosoft.com")
    assert result.outcome == SUCCEEDED, result.summary
    assert domain_admin.state("contoso.onmicrosoft.com").domain["isDefault"] is True
    assert domain_admin.writes().count("PATCH /v1.0/domains/contoso.onmicrosoft.com") == 1
    assert result.way_back == "federator make-default contoso.com --confirm contoso.com"
    [entry] = domain_admin.journal.entries()
    assert entry.outcome == "succeeded" and entry.way_back == result.way_back


def test_a_make_default_that_lands_after_the_bounded_wait_is_unknown_then_reconciled(
        domain_admin: Admin) -> None:
    domain_admin.ctx.writes = dataclasses.replace(PROVE, late_write_s=5.0, max_wait_s=0.4)
    domain_admin.on_nth(1, "write", "started",
                        lambda: domain_admin.sandbox.set_faults("late:1@1.0"))
    result = make_default(domain_admin.ctx, "contoso.onmicrosoft.com",
                          confirm="contoso.onmicrosoft.com")
    assert result.outcome == UNKNOWN, result.summary
    assert "outcome is unknown" in result.summary and "still read as before" in result.summary
    assert result.way_back == "federator make-default contoso.com --confirm contoso.com"
    [entry] = domain_admin.journal.entries()
    assert entry.in_progress  # never closed as "nothing changed"
    # Before it lands, the next start does not close it: the write could still land.
    [pending] = reconcile(domain_admin.ctx)
    assert pending.still_open and "could still land" in pending.summary
    assert domain_admin.journal.entries()[0].in_progress
    _wait_for(lambda: domain_admin.state("contoso.onmicrosoft.com").domain["isDefault"] is True)
    [rec] = reconcile(domain_admin.ctx)
    assert rec.changed is True and "had been applied" in rec.summary
    assert rec.way_back == "federator make-default contoso.com --confirm contoso.com"
    assert domain_admin.journal.entries()[0].outcome == "reconciled"


def test_a_delete_inside_a_replace_that_lands_late_is_followed_by_the_recreate(
        ops: Admin) -> None:
    """The replace the admin chose: its DELETE's answer is lost and it lands 0.4 s later. One
    read at once saw the configuration still there and recorded "nothing was changed", leaving
    the domain Managed a moment later; proving it applied lets the re-create follow."""
    _federate(ops)
    settings = _settings(der=factories.cert("other.example.com", slot=3).der)
    for nth in (1, 2, 3):  # every attempt of the PATCH gets a 500
        ops.on_nth(nth, "write", "started", lambda: ops.sandbox.set_faults("500"))
    ops.on_nth(4, "write", "started", lambda: ops.sandbox.set_faults("late:1@0.4"))  # DELETE
    result = _federate(ops, settings=settings, allow_replace=True)
    assert result.outcome == SUCCEEDED, result.summary
    assert [r["method"] for r in ops.journal.entries()[-1].requests] == \
        ["PATCH"] * 3 + ["DELETE", "POST"]
    after = ops.state("fabrikam.com")
    assert after.authentication_type == "Federated"
    assert after.federation is not None
    assert after.federation["signingCertificate"] == settings.signing_certificate


def test_a_revert_whose_write_lands_late_is_proven_not_sent_twice(ops: Admin) -> None:
    ops.on_nth(1, "write", "started", lambda: ops.sandbox.set_faults("late:1@0.3"))
    result = revert(ops.ctx, "tailspin.io", confirm="tailspin.io")
    assert result.outcome == SUCCEEDED, result.summary
    assert ops.writes().count("PATCH /v1.0/domains/tailspin.io") == 1
    assert ops.state("tailspin.io").authentication_type == "Managed"


# -- a write landing after the proof horizon ------------------------------------------------------
# The horizon (``late_write_s``) passes, the write is taken as not applied; it then lands late.

def _configured(admin: Admin, domain: str = "fabrikam.com") -> Callable[[], None]:
    """A hook that holds the change until the late POST has created the configuration."""
    return lambda: _wait_for(lambda: admin.state(domain).federation is not None)


def _steps(admin: Admin, name: str) -> list[dict[str, Any]]:
    return [r for e in admin.journal.entries() for r in e.records
            if r.get("type") == "step" and r.get("step") == name]


def test_a_write_landing_after_the_horizon_but_before_the_resend_is_not_sent_again(
        ops: Admin) -> None:
    """The POST's answer is lost; it has not shown by the horizon, so it is taken as not applied;
    it lands before the resend. The re-read before the resend sees it: recorded as applied late,
    with the time read, and not sent a second time (which would meet "already has Federation
    Configuration set")."""
    ops.ctx.writes = dataclasses.replace(PROVE, late_write_s=0.1, max_wait_s=5.0)
    ops.on_nth(1, "write", "started", lambda: ops.sandbox.set_faults("late:1@0.5"))
    ops.on_nth(2, "write", "warning", _configured(ops))  # "sending it again in ..."
    result = _federate(ops)
    assert result.outcome == SUCCEEDED, result.summary
    assert ops.writes().count("POST /v1.0/domains/fabrikam.com/federationConfiguration") == 1
    assert "landed late" in result.summary and "It was not sent again" in result.summary
    assert " UTC " in result.summary  # when it was read
    [late] = _steps(ops, "applied-late")
    assert late["read_at"] == late["state"]["taken_at"] and "landed late" in late["message"]
    assert _steps(ops, "resent") == [] and "taken as not applied" not in result.summary
    [entry] = ops.journal.entries()
    assert entry.outcome == "succeeded" and "landed late" in entry.summary


def test_a_resend_that_meets_already_exists_is_judged_by_reading_not_failed(
        ops: Admin) -> None:
    """The late POST lands while its resend is on its way: Graph answers the resend 409 ("Domain
    already has Federation Configuration set"). That is not a failure: re-read, the domain holds
    what was intended, recorded as the earlier attempt landing late."""
    ops.ctx.writes = dataclasses.replace(PROVE, late_write_s=0.1, max_wait_s=5.0)
    ops.on_nth(1, "write", "started", lambda: ops.sandbox.set_faults("late:1@0.5"))
    ops.on_nth(2, "write", "started", _configured(ops))  # the resend waits for the landing
    result = _federate(ops)
    assert result.outcome == SUCCEEDED, result.summary
    assert ops.writes().count("POST /v1.0/domains/fabrikam.com/federationConfiguration") == 2
    assert "Graph refused the resend" in result.summary and "landed late" in result.summary
    assert "failed" not in result.summary
    [late] = _steps(ops, "applied-late")
    assert "409" in late["message"] and late["read_at"]
    [entry] = ops.journal.entries()
    assert entry.outcome == "succeeded" and entry.end is not None and "error" not in entry.end
    fed = ops.state("fabrikam.com").federation
    assert fed is not None and fed["issuerUri"] == factories.ENTITY


def test_a_make_default_resent_after_the_horizon_says_so_in_result_and_journal(
        domain_admin: Admin) -> None:
    """Taken as not applied and sent again: the result and the journal say what was read and
    when, and that a late landing would carry the same values."""
    domain_admin.ctx.writes = dataclasses.replace(PROVE, late_write_s=0.1, max_wait_s=5.0)
    domain_admin.on_nth(1, "write", "started",
                        lambda: domain_admin.sandbox.set_faults("drop:1"))
    result = make_default(domain_admin.ctx, "contoso.onmicrosoft.com",
                          confirm="contoso.onmicrosoft.com")
    assert result.outcome == SUCCEEDED, result.summary
    assert domain_admin.writes().count("PATCH /v1.0/domains/contoso.onmicrosoft.com") == 2
    assert "taken as not applied and sent again" in result.summary
    assert "same values" in result.summary and " UTC" in result.summary
    [resent] = _steps(domain_admin, "resent")
    assert resent["read_at"] and resent["state"]["domain"]["isDefault"] is False
    assert "and again at" in resent["message"]  # re-read once more just before the resend


# -- reconciling never writes false history -------------------------------------------------------

def test_reconciling_an_untouched_entry_records_what_was_read_and_when(ops: Admin) -> None:
    before = ops.state("tailspin.io")
    with ops.journal.writing("crashed run") as w:
        w.begin(kind="revert", domain="tailspin.io", who="ops@contoso.com", snapshot=before,
                op="0ddba11", target={"authenticationType": "Managed", "federation": None})
    [rec] = reconcile(ops.ctx)
    assert "had not changed anything" not in rec.summary
    assert "the domain matched the snapshot taken before the change" in rec.summary
    assert before.id in rec.summary and " UTC" in rec.summary
    entry = ops.journal.entries()[0]
    assert entry.outcome == "reconciled" and entry.end is not None
    assert entry.end["read_at"] == entry.snapshot_after.taken_at  # type: ignore[union-attr]


# -- 6. nobody else's change is undone by surprise -------------------------------------------------

def test_a_second_federator_home_does_not_overwrite_the_first_admins_change(
        admins: Callable[..., Admin]) -> None:
    """Two homes (two journals, two locks) on one tenant: B plans from Managed; while it
    prepares, A federates. B re-reads before writing, refuses, and names what changed."""
    a, b = admins(home="alice"), admins(home="bob")
    won: list[Any] = []
    b.on_nth(1, "plan", "ok", lambda: won.append(_federate(a)))
    with pytest.raises(RefusedError) as info:
        _federate(b, settings=_settings(entity="https://idp.example.com/bob"))
    assert won and won[0].outcome == SUCCEEDED
    assert info.value.code == "changed_meanwhile"
    assert "was changed by someone else" in info.value.message
    assert "authenticationType is Federated, expected Managed" in info.value.message
    fed = a.state("fabrikam.com").federation
    assert fed is not None and fed["issuerUri"] == factories.ENTITY  # A's change stands
    [entry] = b.journal.entries()
    assert entry.outcome == "failed" and entry.end is not None
    assert entry.end["changed"] is False and entry.way_back == ""  # no way back undoing A
    assert b.writes().count("POST /v1.0/domains/fabrikam.com/federationConfiguration") == 1



def test_a_refused_change_records_the_domain_as_it_read_it_not_as_before(
        admins: Callable[..., Admin]) -> None:
    """B's entry must not say the domain was left Managed (its snapshot before) when B's own
    re-read found A's federation: the journal records what was read when B refused."""
    a, b = admins(home="alice"), admins(home="bob")
    b.on_nth(1, "plan", "ok", lambda: _federate(a))
    with pytest.raises(RefusedError):
        _federate(b, settings=_settings(entity="https://idp.example.com/bob"))
    [entry] = b.journal.entries()
    assert entry.snapshot_before is not None
    assert entry.snapshot_before.authentication_type == "Managed"
    after = entry.snapshot_after
    assert after is not None and after.authentication_type == "Federated"
    assert after.federation is not None and after.federation["issuerUri"] == factories.ENTITY



def test_restore_does_not_blame_a_refused_change_for_what_someone_else_did(
        admins: Callable[..., Admin]) -> None:
    """B federated, then B's second change was refused because A changed the domain. Restoring
    B's first snapshot names a change outside B's journal, not B's refused one (it changed
    nothing, though it records the state A left)."""
    a, b = admins(home="alice"), admins(home="bob")
    first = _federate(b)
    b.on_nth(1, "plan", "ok", lambda: _federate(
        a, settings=_settings(entity="https://idp.example.com/alice")))
    with pytest.raises(RefusedError):
        _federate(b, settings=_settings(entity="https://idp.example.com/bob"))
    refused = b.journal.entries()[-1]
    with pytest.raises(RefusedError) as info:
        restore(b.ctx, first.before.id, confirm="fabrikam.com")
    assert info.value.code == "restore_would_overwrite"
    assert refused.op not in info.value.message
    assert "a change not in this journal" in info.value.message


def test_restore_refuses_a_snapshot_whose_certificate_has_expired(ops: Admin) -> None:
    live = ops.state("tailspin.io")
    assert live.federation is not None
    old = {**live.federation,
           "signingCertificate": base64.b64encode(factories.expired().der).decode()}
    snap = dataclasses.replace(live, id="5eed0000-before", federation=old)
    with ops.journal.writing("an old change") as w:
        entry = w.begin(kind="federate", domain="tailspin.io", who="ops@contoso.com",
                        snapshot=snap, op="5eed0000")
        entry.end("succeeded", summary="", way_back="", snapshot=live, changed=True)
    with pytest.raises(RefusedError) as info:
        restore(ops.ctx, "5eed0000-before", confirm="tailspin.io", force=True)
    assert info.value.code == "snapshot_would_not_work"
    assert "expired on" in info.value.message and "Nothing was changed" in info.value.message
    assert ops.writes() == []


def test_an_apply_whose_preflight_is_old_reruns_it_first(ops: Admin) -> None:
    ran: list[PreflightResult] = []

    def again() -> PreflightResult:
        ran.append(_preflight("fabrikam.com"))
        return ran[-1]

    result = _federate(ops, preflight=_preflight("fabrikam.com", dt.timedelta(minutes=10)),
                       rerun_preflight=again)
    assert result.outcome == SUCCEEDED and len(ran) == 1
    assert any("10 minutes old" in e.message for e in ops.events)


def test_an_old_preflight_that_cannot_be_rerun_is_refused(ops: Admin) -> None:
    from core.operations import PreflightRefusedError

    with pytest.raises(PreflightRefusedError) as info:
        _federate(ops, preflight=_preflight("fabrikam.com", dt.timedelta(minutes=10)))
    assert "minutes old" in info.value.message
    assert ops.writes() == []


def test_a_rerun_preflight_that_now_fails_refuses_the_apply(ops: Admin) -> None:
    from core.operations import PreflightRefusedError

    def again() -> PreflightResult:
        failed = CheckResult("domain.state", "state", "fail", "now federated", "why")
        return PreflightResult(domain="fabrikam.com", checks=[failed],
                               started_at=dt.datetime.now(dt.UTC))

    with pytest.raises(PreflightRefusedError) as info:
        _federate(ops, preflight=_preflight("fabrikam.com", dt.timedelta(minutes=10)),
                  rerun_preflight=again)
    assert "domain.state" in info.value.message
    assert ops.writes() == []


# -- the command line ------------------------------------------------------------------------------

def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    from cli.main import main

    code = main(["--sandbox", *argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def two_metadata(tmp_path: Path) -> tuple[Path, Path]:
    from core.idp_sample import jumpcloud_sample

    first, _ = jumpcloud_sample("fabrikam-m365")
    second, _ = jumpcloud_sample("fabrikam-m365", org="Federator Demo (renewed)")
    a, b = tmp_path / "first.xml", tmp_path / "second.xml"
    a.write_bytes(first)
    b.write_bytes(second)
    return a, b


CLI_WARNINGS = ("metadata.endpoints,domain.subdomain,users.immutable_id,users.blast_radius,"
                "domain.current_state")


def test_cli_replaces_a_refused_update_only_with_allow_replace(
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
        two_metadata: tuple[Path, Path]) -> None:
    first, second = two_metadata
    base = ["--domain", "fabrikam.com", "--confirm", "fabrikam.com",
            "--accept-warnings", CLI_WARNINGS]
    code, out, _ = _cli(capsys, "federate", "--metadata", str(first), *base)
    assert code == 0, out
    monkeypatch.setenv("FEDERATOR_SANDBOX_FAULTS", "write:500:3")  # every attempt of the PATCH
    code, out, _ = _cli(capsys, "federate", "--metadata", str(second), *base)
    assert code == 1 and "Result: failed" in out
    assert "nothing was changed" in out and "--allow-replace" in out
    assert "Sending DELETE" not in out
    code, out, _ = _cli(capsys, "federate", "--metadata", str(second), *base, "--allow-replace")
    assert code == 0, out
    assert "replacing the configuration as you chose" in out
    assert out.index("Sending DELETE") < out.index("Verified: fabrikam.com is Federated")


def test_cli_restore_names_the_change_it_would_undo_and_takes_force(
        capsys: pytest.CaptureFixture[str], two_metadata: tuple[Path, Path]) -> None:
    import re

    first, second = two_metadata
    base = ["--domain", "fabrikam.com", "--confirm", "fabrikam.com",
            "--accept-warnings", CLI_WARNINGS]
    code, out, _ = _cli(capsys, "federate", "--metadata", str(first), *base)
    assert code == 0, out
    snapshot = re.search(r"snapshot before \S+, after (\w+-after)", out)
    assert snapshot
    code, out, _ = _cli(capsys, "federate", "--metadata", str(second), *base)
    assert code == 0, out
    op = re.search(r"Journal entry (\w+):", out)
    assert op
    code, out, err = _cli(capsys, "restore", snapshot.group(1), "--confirm", "fabrikam.com")
    assert code == 1
    assert f"would undo the federate {op.group(1)} made by ops@contoso.com" in err
    assert "--force" in err
    code, out, _ = _cli(capsys, "restore", snapshot.group(1), "--confirm", "fabrikam.com",
                        "--force")
    assert code == 0 and "is back as snapshot" in out


def test_a_check_read_that_fails_before_the_first_write_sends_nothing_and_says_so(
        ops: Admin, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("core.operations.state.READ_RETRY_DELAYS_S", (0.01, 0.01))
    # Every attempt of the read just before the write fails (3 reads x 5 client attempts).
    ops.on_nth(1, "snapshot", "ok", lambda: ops.sandbox.set_faults("500:15@0.01"))
    result = revert(ops.ctx, "tailspin.io", confirm="tailspin.io")
    assert result.outcome == "failed" and result.changed is False and result.way_back == ""
    assert "stopped before anything was sent" in result.summary
    assert ops.writes() == []
    [entry] = ops.journal.entries()
    assert not entry.in_progress and entry.requests == []


# -- a revert's way back that restore would refuse -------------------------------------------------

def test_a_revert_whose_snapshot_restore_would_refuse_names_the_real_way_back(
        ops: Admin) -> None:
    """The domain was federated with a certificate that has since expired: restoring the
    pre-revert snapshot would be refused, so the result and the journal say so and name
    federating again, not a restore that fails."""
    from core.window_text import has_command_line, way_back_for_window, way_back_step

    expired = base64.b64encode(factories.expired().der).decode()
    _federate(ops, settings=dataclasses.replace(_settings(), signing_certificate=expired))
    result = revert(ops.ctx, "fabrikam.com", confirm="fabrikam.com")
    assert result.outcome == SUCCEEDED, result.summary
    assert result.way_back.startswith("Federate fabrikam.com again with the IdP's current "
                                      "metadata: federator federate --metadata SOURCE")
    assert "would be refused" in result.way_back and "expired on" in result.way_back
    assert "federator restore" not in result.way_back
    assert result.notes[0].startswith("The way back is not a restore")
    entry = ops.journal.entries()[-1]
    assert entry.kind == "revert" and entry.way_back == result.way_back
    begin = next(r for r in entry.records if r.get("type") == "begin")
    assert begin["way_back"] == result.way_back and "expired on" in begin["way_back_note"]
    # The window offers no "Undo this change" button that would be refused.
    assert way_back_step(result.way_back) is None
    assert "Undo" not in way_back_for_window(result.way_back)
    assert not has_command_line(way_back_for_window(result.way_back))


def test_a_revert_whose_way_back_expires_soon_says_until_when(ops: Admin) -> None:
    soon = factories.cert("soon.example.com", days=6)  # valid from a day ago: 5 days left
    _federate(ops, settings=_settings(der=soon.der))
    result = revert(ops.ctx, "fabrikam.com", confirm="fabrikam.com")
    assert result.outcome == SUCCEEDED, result.summary
    assert result.way_back.startswith("federator restore ")  # it still works today
    assert result.notes[0].startswith("The way back, restoring snapshot ")
    assert "works only until" in result.notes[0] and "federator federate" in result.notes[0]


def test_cli_revert_says_until_when_its_way_back_works(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    xml = factories.metadata("https://sso.jumpcloud.com/saml2/fabrikam-soon",
                             signing=[factories.cert("soon.example.com", days=6).der])
    source = tmp_path / "soon.xml"
    source.write_bytes(xml)
    code, out, _ = _cli(capsys, "federate", "--metadata", str(source), "--domain",
                        "fabrikam.com", "--confirm", "fabrikam.com", "--accept-warnings",
                        CLI_WARNINGS + ",cert.expiry")
    assert code == 0, out
    code, out, _ = _cli(capsys, "revert", "--domain", "fabrikam.com", "--confirm",
                        "fabrikam.com")
    assert code == 0, out
    assert "works only until" in out
    assert "--sandbox federate --metadata SOURCE --domain fabrikam.com" in out
    code, out, _ = _cli(capsys, "history")
    assert code == 0


def test_cli_federate_whose_post_lands_after_the_horizon_says_so_and_sends_it_once(
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
        two_metadata: tuple[Path, Path]) -> None:
    """Through the CLI with the sandbox's ``write:late`` fault: the POST lands 0.5 s after its
    answer was lost, past the (shortened) 0.2 s horizon and before the resend 1.5 s later. The
    output and ``history`` say it landed late and was sent once."""
    monkeypatch.setattr("core.operations.writes.DEFAULT_POLICY", WritePolicy(
        late_write_s=0.2, answered_s=0.05, max_wait_s=5.0, read_delays_s=(0.05,), attempts=3,
        retry_delays_s=(1.5,)))
    monkeypatch.setenv("FEDERATOR_SANDBOX_FAULTS", "write:late:1@0.5")
    code, out, _ = _cli(capsys, "federate", "--metadata", str(two_metadata[0]), "--domain",
                        "fabrikam.com", "--confirm", "fabrikam.com", "--accept-warnings",
                        CLI_WARNINGS)
    assert code == 0, out
    assert "Result: succeeded" in out and "landed late" in out
    assert "It was not sent again" in out and " UTC " in out
    monkeypatch.delenv("FEDERATOR_SANDBOX_FAULTS")
    code, hist, _ = _cli(capsys, "history")
    assert code == 0
    assert "sent: POST /domains/fabrikam.com/federationConfiguration\n" in hist
    assert "landed late" in hist

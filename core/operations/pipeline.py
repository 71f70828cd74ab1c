"""The pipeline every change goes through, and what the kinds of change share.

``_change`` is the state machine: confirm -> lock -> reconcile -> read the domain -> plan
(``core.plan``) -> record the snapshot -> write (``core.operations.writes``) -> read back and
verify -> record. A kind of change (``change_*`` modules) only says how it plans
(a ``Prepared``) and what it shows. Failures: a write that fails or whose effect is uncertain is
followed by a re-read of the domain, and the exact state found (half-federated included) is
recorded with the way back. If even the re-read fails, the journal entry stays open and the next
run reconciles it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Collection
from contextlib import suppress
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from core.change_kinds import KIND_MAKE_DEFAULT
from core.errors import FederatorError, RefusedError
from core.graph.errors import (
    AuthenticationError,
    GraphConnectionError,
    GraphError,
    PermissionDeniedError,
    ThrottledError,
    UncertainWriteError,
)
from core.journal import (
    OUTCOME_FAILED,
    OUTCOME_SUCCEEDED,
    Snapshot,
    new_id,
)
from core.operations import half_federated
from core.operations.model import (
    FAILED,
    FAILED_OUTCOME,
    INFO,
    NO_CHANGE,
    OK,
    STARTED,
    STEP_CERTIFICATES,
    STEP_LOCK,
    STEP_PLAN,
    STEP_PREFLIGHT,
    STEP_READ,
    STEP_RECORD,
    STEP_SNAPSHOT,
    STEP_USERS,
    STEP_VERIFY,
    STEP_WRITE,
    SUCCEEDED,
    UNKNOWN,
    WARNING,
    AcceptedCertificate,
    OperationResult,
    PasswordImpact,
    PreflightRefusedError,
    ReconcileResult,
)
from core.operations.runner import (
    OperationContext,
    Run,
    quote_arg,
    reconcile_open_entries,
    report_journal_problems,
    restore_command,
    take_lock,
    test_kill_point,
)
from core.operations.state import (
    INHERITED_NOTE,
    PASSWORD_OPTIONS,
    Target,
    accepted_certificates,
    describe,
    differences,
    password_impact,
    same_state,
    writable,
)
from core.operations.way_back import way_back_to
from core.operations.writes import (
    NotAppliedError,
    UnprovenWriteError,
    when,
    write,
)
from core.plan import (
    ODATA_TYPE,
    Plan,
    PlannedRequest,
)

if TYPE_CHECKING:
    from core.preflight import PreflightResult


PREFLIGHT_MAX_AGE = dt.timedelta(minutes=30)


# Older than this, what preflight judged by (the domain, users, roles) is read again before
# anything is written: the admin may have read the review for a while, and others change tenants.
PREFLIGHT_FRESH = dt.timedelta(minutes=5)


PROPAGATION_NOTE = ("Sign-in follows Graph with a delay (up to 2 hours; 24 hours for a converted "
                    "domain): `federator status --domain {domain} --wait` shows when it has.")


@dataclass
class Prepared:
    """What a change will do, decided after reading the domain (``plans`` run in order)."""

    plans: list[Plan]
    target: Target
    summary: str
    notes: list[str] = field(default_factory=list)
    password_impact: PasswordImpact | None = None
    done: str = ""   # the success sentence, when the kind's default does not fit
    way_back: str | None = None  # when restoring the snapshot is not what undoes the change
    # Why the way back is not the usual restore, or until when that restore works (journaled).
    way_back_note: str = ""
    unchanged: str = ""  # what to say when nothing needs sending, when the default does not fit
    unchanged_notes: list[str] = field(default_factory=list)
    # Sends the plans' requests itself (each recorded first) instead of the generic sender.
    apply: Callable[[Run], None] | None = None
    # The state each plan leaves, when a change has several (else ``target`` for all).
    plan_targets: list[Target] | None = None
    # A configuration PATCH Graph keeps failing may be replaced (delete, then re-create): only
    # when the admin chose it, and never during a certificate rollover.
    allow_replace: bool = False
    rollover: bool = False

    @property
    def is_noop(self) -> bool:
        return all(p.is_noop for p in self.plans)


Preparer = Callable[[Run, Snapshot], Prepared]


def reconcile(ctx: OperationContext) -> list[ReconcileResult]:
    """Close entries a killed Federator left open, by re-reading the tenant (takes the lock)."""
    with take_lock(ctx, "reconcile") as writer:
        ctx.emit(STEP_LOCK, OK, "Holding the tenant's change lock")
        report_journal_problems(ctx, writer)
        return reconcile_open_entries(ctx, writer)


def fresh_preflight(ctx: OperationContext, domain: str, result: PreflightResult,
                    rerun: Callable[[], PreflightResult] | None) -> PreflightResult:
    """``result`` if recent; else a new run (what it judged by is read again)."""
    started = result.started_at
    if started.tzinfo is None:
        started = started.replace(tzinfo=dt.UTC)
    age = dt.datetime.now(dt.UTC) - started
    if age <= PREFLIGHT_FRESH:
        return result
    minutes = int(age.total_seconds() // 60)
    if rerun is None:
        raise PreflightRefusedError(
            f"The preflight is {minutes} minutes old: the domain, its users and roles it judged "
            f"by may have changed since. Nothing was changed.",
            remedy=f"Run it again (federator preflight {_preflight_inputs(result, domain)}), "
                   "then apply.")
    ctx.emit(STEP_PREFLIGHT, STARTED, f"The preflight is {minutes} minutes old; running it "
                                      "again to re-read what it judged by")
    return rerun()


def check_preflight(ctx: OperationContext, domain: str, result: PreflightResult,
                    accept_warnings: Collection[str]) -> None:
    """Refuse unless ``result`` is this domain's recent preflight with no failure and every
    warning accepted by id."""
    if result.domain.lower() != domain.lower():
        raise PreflightRefusedError(f"The preflight given was run for {result.domain}, "
                                    f"not {domain}.", remedy="Run the preflight for this domain.")
    started = result.started_at
    if started.tzinfo is None:
        started = started.replace(tzinfo=dt.UTC)
    if dt.datetime.now(dt.UTC) - started > PREFLIGHT_MAX_AGE:
        raise PreflightRefusedError("The preflight is more than 30 minutes old.",
                                    remedy="Run it again.")
    failed = [c.id for c in result.checks if c.status == "fail"]
    if failed:
        ctx.emit(STEP_PREFLIGHT, FAILED, f"Preflight failed: {', '.join(failed)}", failed=failed)
        raise PreflightRefusedError(
            f"Federator will not federate {domain} while preflight checks fail: "
            f"{', '.join(failed)}. Nothing was changed.",
            remedy=f"Fix them (federator preflight {_preflight_inputs(result, domain)} "
                   "explains each).",
            details={"failed": failed})
    accepted = {a.strip() for a in accept_warnings}
    # A check Federator could not read (unknown) is accepted like a warning, never assumed fine.
    unaccepted = [c.id for c in result.to_accept if c.id not in accepted]
    if unaccepted:
        unread = [c for c in result.checks if c.status == "unknown" and c.id in unaccepted]
        ctx.emit(STEP_PREFLIGHT, FAILED,
                 f"Preflight warnings not accepted: {', '.join(unaccepted)}",
                 unaccepted=unaccepted)
        what = "".join(f" {c.id} could not be checked: {c.found}" for c in unread)
        raise PreflightRefusedError(
            f"Preflight warnings need to be accepted by id before federating {domain}: "
            f"{', '.join(unaccepted)}.{what} Nothing was changed.",
            remedy=(f"Read them (federator preflight {_preflight_inputs(result, domain)} "
                    "explains each), then run the same federate command with "
                    f"--accept-warnings {','.join(unaccepted)}"),
            details={"unaccepted_warnings": unaccepted,
                     "unknown": [c.id for c in unread]})
    warned = [c.id for c in result.to_accept]
    message = "Preflight passed" + (f" (warnings accepted: {', '.join(warned)})" if warned else "")
    ctx.emit(STEP_PREFLIGHT, OK, message, accepted=warned)


def _preflight_inputs(result: PreflightResult, domain: str) -> str:
    source = getattr(result, "metadata_source", None)
    where = f"--metadata {quote_arg(str(source))} " if source else "--metadata SOURCE "
    return f"{where}--domain {domain}"


def show_password_impact(ctx: OperationContext, domain: str) -> PasswordImpact | None:
    """Count (and say) who will need a cloud password. A count that fails does not stop the
    revert: it is the way back from a federation, and must stay available."""
    ctx.emit(STEP_USERS, STARTED, f"Counting the users of {domain} who will need a cloud password")
    try:
        impact = password_impact(ctx.client, domain)
    except (AuthenticationError, ThrottledError, GraphConnectionError):
        raise  # the revert itself would fail the same way
    except GraphError as exc:
        ctx.emit(STEP_USERS, WARNING,
                 f"Could not count the users of {domain} ({exc.message}). Every user who signs "
                 "in through the IdP today will need a cloud password after the revert: reset "
                 "passwords, issue Temporary Access Passes, or use self-service password reset.",
                 options=list(PASSWORD_OPTIONS))
        return None
    where = ", ".join(impact.domains_counted)
    sync = {True: " The directory is synchronized: users with password hash sync keep their "
                  "password.", False: "", None: ""}[impact.directory_synced]
    ctx.emit(STEP_USERS, WARNING,
             f"{impact.users} {'user' if impact.users == 1 else 'users'} in {where} sign in "
             f"through the IdP today and will need a cloud password after the revert.{sync}",
             users=impact.users, options=list(impact.options))
    return impact


def _show_certificates(ctx: OperationContext, snapshot: Snapshot | None,
                       heading: str) -> list[AcceptedCertificate]:
    certs = accepted_certificates(snapshot)
    if certs:
        lines = "".join(f"\n        {c.describe()}" for c in certs)
        ctx.emit(STEP_CERTIFICATES, INFO, f"{heading}:{lines}",
                 certificates=[c.to_json() for c in certs])
    return certs


def _change(ctx: OperationContext, kind: str, domain: str, prepare: Preparer, *,
            show_certificates: bool = False, restoring: str | None = None) -> OperationResult:
    """The state machine, from the lock to the recorded outcome (the caller has checked the
    typed confirmation)."""
    with take_lock(ctx, f"{kind} {domain}") as writer:
        ctx.emit(STEP_LOCK, OK, "Holding the tenant's change lock (no other Federator can "
                                "change it meanwhile)")
        problems = report_journal_problems(ctx, writer)
        reconciled = reconcile_open_entries(ctx, writer)
        waiting = [r for r in reconciled if r.still_open and r.domain.lower() == domain.lower()]
        if waiting:
            raise RefusedError(
                f"An earlier {waiting[0].kind} of {domain} ({waiting[0].op}) sent a write whose "
                "outcome is not known yet and that could still land; Federator will not change "
                f"{domain} until it is known. Nothing was changed.",
                code="earlier_write_in_flight",
                remedy=f"Wait a minute, then: federator status --domain {domain} (it records "
                       "what became of it), and run the change again.")
        op = new_id()
        run = Run(ctx=ctx, writer=writer, kind=kind, domain=domain)
        ctx.emit(STEP_READ, STARTED, f"Reading {domain} from Microsoft Graph")
        before = run.read(f"{op}-before")
        ctx.emit(STEP_READ, OK, f"Before the change: {domain} is {describe(before)}",
                 state=before.to_json())
        prepared = prepare(run, before)
        plan_json: dict[str, Any] = {"plans": [p.to_json() for p in prepared.plans]}
        result = OperationResult(kind=kind, domain=domain, tenant=ctx.tenant_id,
                                 outcome=NO_CHANGE, summary="", before=before,
                                 plan=plan_json, notes=prepared.notes,
                                 password_impact=prepared.password_impact,
                                 journal_problems=problems, reconciled=reconciled)
        if show_certificates:
            result.certificates_before = accepted_certificates(before)
        if prepared.is_noop:
            result.summary = prepared.unchanged or (
                f"Nothing to change: {domain} already is as asked ({describe(before)}).")
            result.after = before
            result.changed = False
            result.notes = prepared.unchanged_notes  # the plan's are about a change not made
            ctx.emit(STEP_PLAN, OK, result.summary)
            return result
        requests = [r for p in prepared.plans for r in p.requests]
        ctx.emit(STEP_PLAN, OK, (f"{prepared.summary}; 1 request to send" if len(requests) == 1
                  else f"{prepared.summary}; {len(requests)} requests to send"),
                 requests=[f"{r.method} {r.path}" for r in requests])

        ctx.recording = True
        try:
            return _write_and_verify(ctx, run, result, prepared, op, plan_json, restoring,
                                     show_certificates)
        finally:
            ctx.recording = False
            result.journal_failed = writer.failed is not None
            result.rescue_file = str(writer.rescue_path) if writer.rescue_path else None


def _write_and_verify(ctx: OperationContext, run: Run, result: OperationResult,
                      prepared: Prepared, op: str, plan_json: dict[str, Any],
                      restoring: str | None, show_certificates: bool) -> OperationResult:
    """From the journaled snapshot to the recorded outcome (no callback can interrupt it)."""
    domain, kind, before = run.domain, run.kind, result.before
    assert before is not None
    way_back = prepared.way_back
    if way_back is None:
        # Restore's own rule says whether restoring ``before`` will work (an expired signing
        # certificate, say); if not, the way back named is federating again.
        sentence, prepared.way_back_note = way_back_to(before)
        way_back = sentence or restore_command(before.id, domain)
        if prepared.way_back_note:
            prepared.notes.insert(0, prepared.way_back_note)
    run.entry = run.writer.begin(kind=kind, domain=domain, who=ctx.who, snapshot=before,
                                 plan=plan_json, summary=prepared.summary, op=op,
                                 target=prepared.target.to_json(), restoring=restoring,
                                 way_back=way_back, **ctx.journal_extra,
                                 **({"way_back_note": prepared.way_back_note}
                                    if prepared.way_back_note else {}))
    result.op_id = op
    ctx.emit(STEP_SNAPSHOT, OK, f"Snapshot {before.id} recorded in the journal"
             + (f": the way back is `{way_back}`" if way_back else ""), snapshot=before.id)
    test_kill_point("snapshot")

    try:
        if prepared.apply is not None:
            prepared.apply(run)
        else:
            _send_plans(run, prepared, before)
    except UnprovenWriteError as exc:
        return _unknown(run, result, exc, way_back)
    except GraphError as exc:
        if not run.sent:  # the read before the first write failed: nothing was sent
            return _nothing_sent(run, result, exc)
        return _after_failure(run, result, prepared.target, exc, way_back)
    except RefusedError as exc:
        if run.sent:  # refused midway (the domain changed under a multi-request change)
            return _after_failure(run, result, prepared.target, exc, way_back)
        # Refused before anything was sent (changed meanwhile; make-default's role check).
        _record_refusal(run, result, exc)
        raise

    ctx.emit(STEP_VERIFY, STARTED, f"Reading {domain} back to verify")
    try:
        after = run.read(f"{op}-after")
    except (GraphError, FederatorError) as exc:
        return _unknown(run, result, exc, way_back, accepted=True)
    diffs = differences(after, prepared.target)
    run.entry.verify(not diffs, differences=diffs, state=after)
    test_kill_point("verify")
    result.after = after
    result.changed = not same_state(after, before)
    result.request_ids = list(run.request_ids)
    if show_certificates:
        result.certificates_after = accepted_certificates(after)
    if diffs:
        ctx.emit(STEP_VERIFY, FAILED, f"Read back differs from the plan: {'; '.join(diffs)}",
                 differences=diffs)
        result.outcome = FAILED_OUTCOME
        result.summary = (f"Graph accepted the change, but reading {domain} back shows "
                          f"{'; '.join(diffs)}. {domain} is {describe(after)}.")
        result.way_back = way_back
        run.entry.end(OUTCOME_FAILED, summary=result.summary, way_back=way_back,
                      snapshot=after, changed=result.changed)
        ctx.emit(STEP_RECORD, OK, run.recorded(op))
        return result
    ctx.emit(STEP_VERIFY, OK, f"Verified: {domain} is {describe(after)}",
             state=after.to_json())
    if show_certificates:
        _show_certificates(ctx, after, "Entra accepts now")
    result.outcome = SUCCEEDED
    result.summary = _with_proofs(run, _success_summary(kind, domain, after, prepared))
    result.way_back = way_back
    result.notes = list(prepared.notes)
    if kind != KIND_MAKE_DEFAULT:  # sign-in is what takes time to follow
        result.notes.append(PROPAGATION_NOTE.format(domain=domain))
    run.entry.end(OUTCOME_SUCCEEDED, summary=result.summary, way_back=way_back,
                  snapshot=after, changed=result.changed, request_ids=run.request_ids)
    ctx.emit(STEP_RECORD, OK, run.recorded(op), op=op)
    return result


def _doing(kind: str, domain: str) -> str:
    """The change as the subject of a sentence: ``Reverting contoso.com``."""
    return {"federate": f"Federating {domain}", "revert": f"Reverting {domain}",
            "restore": f"Restoring {domain}",
            "stage-certificate": f"Staging the new certificate of {domain}",
            "promote-certificate": f"Promoting the new certificate of {domain}",
            KIND_MAKE_DEFAULT: f"Making {domain} the default domain"}.get(kind, f"{kind} {domain}")


def _record_refusal(run: Run, result: OperationResult, exc: RefusedError) -> None:
    """Close the entry of a change refused before it took effect (then the caller raises)."""
    assert run.entry is not None and result.before is not None
    reason = exc.message.replace(" Nothing was changed.", "").strip()
    summary = f"{_doing(run.kind, run.domain)} was refused; nothing was changed. {reason}"
    # Refused because someone else changed the domain: the state it was left in is what the
    # re-read found, not the snapshot taken before (the journal never claims a state not read).
    now = exc.details.get("now")
    left = (dataclasses.replace(Snapshot.from_json(now), id=f"{result.op_id}-after")
            if isinstance(now, dict) else result.before)
    run.entry.end(OUTCOME_FAILED, summary=summary, way_back="", snapshot=left,
                  changed=False, error=exc.to_json())
    run.ctx.emit(STEP_RECORD, OK, run.recorded(result.op_id))


def _nothing_sent(run: Run, result: OperationResult, exc: GraphError) -> OperationResult:
    """The change stopped before its first request left (the check read failed): the domain
    was not touched by it, so the entry is closed as such, with no way back needed."""
    assert run.entry is not None and result.before is not None
    result.outcome = FAILED_OUTCOME
    result.changed = False
    result.way_back = ""
    result.summary = (f"{_doing(run.kind, run.domain)} stopped before anything was sent; nothing "
                      f"was changed. {exc.message}")
    result.summary = " ".join(filter(None, [result.summary, try_again_later(run.ctx, exc)]))
    run.entry.end(OUTCOME_FAILED, summary=result.summary, way_back="", snapshot=result.before,
                  changed=False, error=exc.to_json())
    run.ctx.emit(STEP_WRITE, FAILED, f"Could not read {run.domain} before writing: "
                                     f"{exc.message}")
    run.ctx.emit(STEP_RECORD, OK, f"Recorded in the journal as {result.op_id}")
    return result


def _success_summary(kind: str, domain: str, after: Snapshot, prepared: Prepared) -> str:
    if kind == KIND_MAKE_DEFAULT:
        return (f"{domain} is now the tenant's default domain. Only the suffix offered for new "
                "users changed; existing users, addresses and mail flow are as before.")
    if kind == "revert":
        return (f"{domain} is back to managed (cloud) sign-in; its federation configuration is "
                "gone.")
    if kind == "stage-certificate":
        return ("The new certificate is staged as nextSigningCertificate: Entra accepts both the "
                "current and the new certificate until you promote it.")
    if kind == "promote-certificate":
        return f"The new certificate is now the signing certificate of {domain}."
    if prepared.done:
        return f"{prepared.done}{describe(after)}."
    return f"{domain} is now {describe(after)}."


def _config_path(domain: str) -> str:
    return f"/domains/{quote(domain, safe='')}/federationConfiguration"


def _send_plans(run: Run, prepared: Prepared, before: Snapshot) -> None:
    """Send every request of the plans in order, each through the one write path; each is
    checked against the state the previous one left (the first against ``before``)."""
    state: Snapshot | Target = before
    for index, plan in enumerate(prepared.plans):
        expect = (prepared.plan_targets[index] if prepared.plan_targets
                  else prepared.target)
        for request in plan.requests:
            _send_planned(run, request, state, expect, prepared)
        state = expect


def _send_planned(run: Run, request: PlannedRequest, state: Snapshot | Target, expect: Target,
                  prepared: Prepared) -> None:
    """One planned request. A configuration PATCH Graph kept failing (every attempt proven not
    applied) may be replaced by delete and re-create (Graph's documented unexplained refusal,
    #3626), but the domain is Managed in between: only when the admin chose it, never in a
    rollover."""
    try:
        write(run, request, before=state, expect=expect)
    except NotAppliedError as exc:
        is_config_patch = (request.method == "PATCH" and "/federationConfiguration/" in
                           request.path and isinstance(state, Snapshot)
                           and state.federation is not None and expect.federation is not None)
        if not is_config_patch:
            raise
        if prepared.rollover:
            raise ReplaceRefusedError(exc, REPLACE_NEVER_IN_ROLLOVER) from exc
        if not prepared.allow_replace:
            raise ReplaceRefusedError(exc, REPLACE_OFFER, possible=True) from exc
        assert isinstance(state, Snapshot)
        _replace_configuration(run, state, expect)


REPLACE_WHAT = ("Replacing the configuration deletes it and creates it again at once: in between "
                "the domain is Managed (users sign in with cloud passwords, and federated-only "
                "users cannot sign in), and if the re-create fails too it stays Managed until "
                "the way back is run.")


REPLACE_OFFER = (f"{REPLACE_WHAT} Federator does that only if you choose it: run the same "
                 "command again with --allow-replace (in the window, confirm it when asked).")


REPLACE_NEVER_IN_ROLLOVER = ("Federator never replaces the configuration during a certificate "
                             "rollover: it would take the domain through Managed, the downtime "
                             "the rollover exists to avoid. Try the step again later.")


class ReplaceRefusedError(GraphError):
    """A configuration PATCH Graph keeps failing, not replaced (not chosen, or in a rollover)."""

    code = "graph_update_not_applied"

    def __init__(self, cause: NotAppliedError, why: str, *, possible: bool = False) -> None:
        super().__init__(status=cause.status, graph_code=cause.graph_code,
                         raw_message=cause.raw_message, request_id=cause.request_id,
                         date=cause.date, method=cause.method, path=cause.path,
                         explanation=f"{cause.explanation} {why}")
        self.possible = possible


def _config_body(values: dict[str, Any]) -> dict[str, Any]:
    body: dict[str, Any] = {"@odata.type": ODATA_TYPE}
    body.update({k: v for k, v in values.items() if v is not None})
    return body


def _replace_configuration(run: Run, before: Snapshot, target: Target) -> None:
    """Delete the configuration and create the target one at once (the admin chose it); if the
    create does not take, put the previous configuration back. Each request goes through the one
    write path, so a lost answer is proven before the next is sent."""
    assert before.federation is not None and target.federation is not None
    run.ctx.emit(STEP_WRITE, WARNING, "Graph kept refusing the update; replacing the "
                                      "configuration as you chose (delete, then re-create at "
                                      "once: the domain is Managed in between)")
    path = _config_path(run.domain)
    config_id = str(before.federation.get("id") or "")
    managed = Target("Managed", None)
    write(run, PlannedRequest("DELETE", f"{path}/{quote(config_id, safe='')}"),
          before=before, expect=managed)
    failure: GraphError
    try:
        write(run, PlannedRequest("POST", path, _config_body(target.federation)),
              before=managed, expect=target)
        return
    except UnprovenWriteError:
        raise  # unknown: nothing more is sent
    except UncertainWriteError:
        raise  # a third state (half-federated?): the failure handler reports it
    except GraphError as exc:
        failure = exc
    run.ctx.emit(STEP_WRITE, WARNING, "The re-create did not take; putting the previous "
                                      "configuration back")
    previous = Target("Federated", writable(before.federation))
    with suppress(GraphError):  # the failure handler re-reads and reports the state left
        write(run, PlannedRequest("POST", path, _config_body(writable(before.federation))),
              before=managed, expect=previous)
    raise failure


def _after_failure(run: Run, result: OperationResult, target: Target,
                   exc: GraphError | RefusedError, way_back: str) -> OperationResult:
    ctx = run.ctx
    entry = run.entry
    assert entry is not None and result.before is not None and result.op_id is not None
    said = exc.explanation if isinstance(exc, GraphError) else exc.message
    ctx.emit(STEP_VERIFY, STARTED, f"The write failed ({said}); re-reading "
                                   f"{run.domain} to find out exactly what state it is in")
    try:
        after = run.read(f"{result.op_id}-after")
    except (GraphError, FederatorError) as read_exc:
        return _unknown(run, result, read_exc, way_back)
    result.after = after
    result.request_ids = list(run.request_ids)
    result.changed = not same_state(after, result.before)
    diffs = differences(after, target)
    if not diffs:
        # The write landed though its answer was lost or an error came back: verified now.
        entry.verify(True, differences=[], state=after)
        result.outcome = SUCCEEDED
        result.summary = _with_proofs(run, f"Graph's answer was lost or an error ({said}), "
                                           f"but reading back shows the change applied: "
                                           f"{run.domain} is {describe(after)}.")
        result.way_back = way_back
        entry.end(OUTCOME_SUCCEEDED, summary=result.summary, way_back=way_back, snapshot=after,
                  changed=result.changed, note="verified after an uncertain answer")
        ctx.emit(STEP_VERIFY, OK, result.summary)
        ctx.emit(STEP_RECORD, OK, run.recorded(result.op_id))
        return result
    entry.verify(False, differences=diffs, state=after)
    result.outcome = FAILED_OUTCOME
    if result.changed:
        # Restoring also clears a half-federated state first, so it is the way back in all cases.
        result.way_back = way_back
        state = f"{run.domain} was changed and is now {describe(after)}"
    elif _recreated(result.before, after):
        # A replace whose re-create failed, the previous configuration created again: it reads
        # as before, but users could not sign in at the IdP meanwhile.
        result.way_back = ""
        state = (f"{run.domain} is back as it was, {describe(after)}, but its federation "
                 "configuration was deleted and created again: the domain was Managed in "
                 "between")
    else:
        result.way_back = ""
        state = f"nothing was changed: {run.domain} is as it was, {describe(after)}"
    result.summary = _with_proofs(
        run, f"{_doing(run.kind, run.domain)} failed: {_failure(exc)} State: {state}.")
    if not result.changed and not _recreated(result.before, after):
        result.summary = " ".join(filter(None, [result.summary, try_again_later(run.ctx, exc)]))
    result.replace_possible = (isinstance(exc, ReplaceRefusedError) and exc.possible
                               and not result.changed)
    remaining = _half_federated_advice(result, after)
    entry.end(OUTCOME_FAILED, summary=result.summary, way_back=result.way_back, snapshot=after,
              changed=result.changed, error=exc.to_json(),
              **({"remaining_options": remaining} if remaining else {}))
    ctx.emit(STEP_VERIFY, FAILED, f"{run.domain} is {describe(after)}", state=after.to_json())
    ctx.emit(STEP_RECORD, OK, run.recorded(result.op_id))
    return result


def _with_proofs(run: Run, summary: str) -> str:
    """``summary`` followed by what re-reading proved about writes whose answer was lost (when
    each was read and what it showed), so the printed outcome and the journal say it."""
    return " ".join([summary, *run.proofs])


def _recreated(before: Snapshot, after: Snapshot) -> bool:
    """True when the federation configuration read now is another object than the one before
    (Graph gives a created configuration a new id)."""
    old = (before.federation or {}).get("id")
    new = (after.federation or {}).get("id")
    return bool(old and new and old != new)


def _half_federated_advice(result: OperationResult, after: Snapshot) -> list[str]:
    """A failure that leaves the domain half-federated: say that the way back is unconfirmed
    (the change made it so), or, when the write meant to clear it failed, give the options that
    remain instead of a command that would fail again. Returns those options."""
    if after.readable or after.note == INHERITED_NOTE:
        return []
    if result.changed:
        result.summary += " " + half_federated.UNCONFIRMED_WAY_BACK
        return []
    result.summary += " " + half_federated.recovery_failed(result.domain)
    result.way_back = ""
    result.remaining = half_federated.remaining_options(result.domain)
    return list(result.remaining)


def try_again_later(ctx: OperationContext, exc: GraphError | RefusedError) -> str:
    """What to do after a change that failed for a passing fault of Microsoft's service (HTTP 429,
    5xx, no answer) and was proven to have applied nothing: nothing to undo, wait and run the
    same change again (the command, when the face knows it). Empty for other failures, whose
    remedy is another (a role, the metadata) or offered already (``ReplaceRefusedError``).
    Graph's throttling and service-unavailable answers are transient by definition
    (https://learn.microsoft.com/graph/throttling, https://learn.microsoft.com/graph/errors)."""
    if not isinstance(exc, GraphError) or isinstance(exc, ReplaceRefusedError):
        return ""
    if exc.status is not None and exc.status != 429 and exc.status < 500:
        return ""
    again = (f"run the same command again: {ctx.again}" if ctx.again
             else "make the same change again")
    return ("Nothing was applied, so there is nothing to undo. Microsoft Graph failed for a "
            "while: if it lasts, check Microsoft 365 service health (admin center > Health) "
            f"and quote the request-ids to Microsoft support. In a few minutes, {again}")


def _failure(exc: GraphError | RefusedError) -> str:
    """What went wrong, once the re-read has told what happened (so no "it is not known")."""
    if isinstance(exc, UncertainWriteError):
        said = f" ({exc.graph_code}: {exc.raw_message})" if exc.raw_message else ""
        return f"{exc.method} {exc.path}: {exc.reason}{said}."
    if isinstance(exc, PermissionDeniedError) and exc.remedy:
        return f"{exc.message} {exc.remedy}"  # which roles this write takes (core.roles)
    return exc.message


def _unknown(run: Run, result: OperationResult, exc: FederatorError, way_back: str, *,
             accepted: bool = False) -> OperationResult:
    """The outcome is not proven (the domain could not be read after a write, or a write whose
    answer was lost neither showed nor could be ruled out in the bounded wait): leave the entry
    open for the next start to reconcile, and give the way back."""
    result.outcome = UNKNOWN
    result.request_ids = list(run.request_ids)
    if isinstance(exc, UnprovenWriteError):
        last = exc.last
        seen = (f" At {when(last.taken_at)} {run.domain} still read as before the change: "
                f"{describe(last)}." if last is not None else "")
        result.summary = (f"{_doing(run.kind, run.domain)}: the outcome is unknown. "
                          f"{exc.method} {exc.path} got no usable answer ({exc.cause.reason}) "
                          f"and, within the wait, neither showed nor could a late landing be "
                          f"ruled out.{seen}")
        if last is not None and run.entry is not None:
            run.entry.step("unproven", result.summary, state=last.to_json())
    else:
        what = ("Graph accepted the change, but Federator could not read it back" if accepted
                else "The write failed and Federator could not read the domain afterwards")
        result.summary = (f"{what} ({exc.message}): whether {run.domain} is as planned is not "
                          "verified.")
    result.summary = _with_proofs(run, result.summary)
    result.summary += (" The journal entry stays open: the next Federator start (any change, "
                       f"`federator status --domain {run.domain}`, or the window) re-reads the "
                       "domain and records what it finds. If the change did land, the way back "
                       "is below.")
    result.way_back = way_back  # a no-op if nothing changed: it re-reads first
    run.ctx.emit(STEP_VERIFY, FAILED, f"Not proven: {exc.message}")
    return result


def _no_way_back_to_half(before: Snapshot) -> str | None:
    """No way back (``""``) from a change that starts half-federated: restoring that snapshot
    is refused (the state cannot be re-created, nor is it wanted); ``None``: the usual one."""
    return "" if not before.readable and before.note != INHERITED_NOTE else None

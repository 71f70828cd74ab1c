"""The four changes: federate, update the signing certificate, revert to managed, restore.

Each is the same state machine (``_change``): confirm -> lock -> reconcile -> read the domain ->
plan (``core.plan``: one way to build each change) -> record the snapshot -> write -> read back
and verify -> record. They differ only in how they plan and what they show (certificates Entra
accepts; users who will need a password).

Failures: a write that fails or whose effect is uncertain is followed by a re-read of the domain,
and the exact state found (half-federated included) is recorded with the way back. If even the
re-read fails, the journal entry stays open and the next run reconciles it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from core.errors import FederatorError, InputError, RefusedError
from core.graph.errors import (
    AuthenticationError,
    ConflictError,
    GraphConnectionError,
    GraphError,
    PermissionDeniedError,
    ServerError,
    ThrottledError,
    UncertainWriteError,
)
from core.journal import (
    OUTCOME_FAILED,
    OUTCOME_SUCCEEDED,
    Snapshot,
    find_snapshot,
    new_id,
)
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
    check_confirmation,
    reconcile_open_entries,
    report_journal_problems,
    take_lock,
    test_kill_point,
)
from core.operations.state import (
    Target,
    accepted_certificates,
    describe,
    differences,
    domain_state,
    password_impact,
    same_state,
    writable,
)
from core.plan import (
    DEFAULT_MFA_BEHAVIOR,
    DEFAULT_PROMPT_LOGIN_BEHAVIOR,
    ODATA_TYPE,
    Plan,
    PlannedRequest,
    PlanOptions,
    build_certificate_update_plan,
    build_plan,
    build_revert_plan,
    normalize_certificate,
)
from core.settings import MFA_BEHAVIORS, PROMPT_LOGIN_BEHAVIORS

if TYPE_CHECKING:
    from core.plan import GraphSettings
    from core.preflight import PreflightResult

PREFLIGHT_MAX_AGE = dt.timedelta(minutes=30)
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

    @property
    def is_noop(self) -> bool:
        return all(p.is_noop for p in self.plans)


Preparer = Callable[[Run, Snapshot], Prepared]


# ---------------------------------------------------------------------------------------------
# Public operations


def federate(ctx: OperationContext, domain: str, settings: GraphSettings | dict[str, Any], *,
             confirm: str | None, preflight: PreflightResult,
             accept_warnings: Collection[str] = (),
             options: PlanOptions | None = None) -> OperationResult:
    """Federate ``domain`` (POST when managed; PATCH of the differing values when federated,
    falling back to delete-and-recreate if Graph refuses the PATCH).

    ``preflight`` must be a run for this domain, recent, with no failed check and every warning
    listed in ``accept_warnings`` (by check id); otherwise :class:`PreflightRefusedError`.
    """
    check_preflight(ctx, domain, preflight, accept_warnings)

    def prepare(run: Run, before: Snapshot) -> Prepared:
        plan = build_plan(domain, settings, domain_state(before), options)
        target = Target("Federated", {c.name: c.new for c in plan.changes})
        what = "Update the federation of" if before.federation else "Federate"
        return Prepared([plan], target, f"{what} {domain}", notes=list(plan.notes))

    return _change(ctx, "federate", domain, confirm, prepare)


def update_certificate(ctx: OperationContext, domain: str, certificates: str | Sequence[str], *,
                       confirm: str | None, promote: bool = False) -> OperationResult:
    """Roll the IdP signing certificate without downtime.

    ``certificates``: the IdP's signing certificate(s) from its new metadata (base64 DER, any
    order); the new one is the most recently issued that Entra does not already use as
    ``signingCertificate``.
    Without ``promote``: add it as ``nextSigningCertificate`` (Entra then accepts the current and
    the new one, so the IdP can switch whenever it likes). With ``promote`` (the IdP now signs
    with the new one): make it ``signingCertificate`` and clear the next slot.
    """
    given = [certificates] if isinstance(certificates, str) else list(certificates)
    candidates = _newest_first([normalize_certificate(c) for c in given
                                if c and normalize_certificate(c)])
    if not candidates:
        raise InputError("The metadata gives no usable signing certificate.",
                         code="no_certificate",
                         remedy="Check it with `federator inspect`; the IdP must publish its "
                                "new signing certificate.")

    def prepare(run: Run, before: Snapshot) -> Prepared:
        state = domain_state(before)
        if before.federation is None:
            raise RefusedError(
                f"{domain} has no readable federation configuration, so it has no certificate to "
                "roll.", code="not_federated",
                remedy=f"Federate it first (federator federate --domain {domain} ...).")
        current = normalize_certificate(str(before.federation.get("signingCertificate") or ""))
        staged = normalize_certificate(str(before.federation.get("nextSigningCertificate") or ""))
        new = next((c for c in candidates if c != current), None)
        _show_certificates(run.ctx, before, "Entra accepts before the change")
        notes: list[str] = []
        if promote:
            if new is None:
                plan = build_certificate_update_plan(domain, state, current)
                summary = f"The IdP's certificate is already the signing certificate of {domain}"
            else:
                plan = build_certificate_update_plan(domain, state, new)
                summary = f"Promote the new certificate to signing certificate of {domain}"
                if staged != new:
                    notes.append("This certificate was not staged as next first: sign-ins signed "
                                 "with the old certificate fail from now on.")
        else:
            if new is None:
                raise RefusedError(
                    f"Entra already uses the IdP's certificate as the signing certificate of "
                    f"{domain}; there is nothing new to stage.",
                    code="certificate_already_current",
                    remedy="Give the IdP's new metadata (with its new certificate).")
            plan = build_certificate_update_plan(domain, state, current, new)
            summary = f"Stage the new certificate as next signing certificate of {domain}"
            notes.append("When the IdP signs with the new certificate, promote it: federator "
                         f"update-certificate --domain {domain} --metadata SOURCE --promote "
                         f"--confirm {domain}")
        target = Target("Federated", {**writable(before.federation),
                                      **{c.name: c.new for c in plan.changes}})
        return Prepared([plan], target, summary, notes=notes + list(plan.notes))

    kind = "promote-certificate" if promote else "stage-certificate"
    return _change(ctx, kind, domain, confirm, prepare, show_certificates=True)


def revert(ctx: OperationContext, domain: str, *, confirm: str | None) -> OperationResult:
    """Back to managed sign-in: ``PATCH authenticationType=Managed``, then check the
    configuration is gone. Counts first the users who will need a cloud password (REV-01)."""

    def prepare(run: Run, before: Snapshot) -> Prepared:
        plan = build_revert_plan(domain, domain_state(before))
        impact = None
        if not plan.is_noop:
            impact = show_password_impact(run.ctx, domain)
        return Prepared([plan], Target("Managed", None),
                        f"Revert {domain} to managed (cloud) sign-in", notes=list(plan.notes),
                        password_impact=impact)

    return _change(ctx, "revert", domain, confirm, prepare)


def restore(ctx: OperationContext, snapshot_id: str, *, confirm: str | None) -> OperationResult:
    """Put a domain back as a journal snapshot recorded it (federated with its settings, or
    managed). A half-federated current state is first reverted, then re-created."""
    snap, _entry = find_snapshot(ctx.journal_dir, snapshot_id)
    if snap.tenant and snap.tenant != ctx.tenant_id:
        raise RefusedError(f"Snapshot {snap.id} belongs to another tenant ({snap.tenant}).",
                           code="snapshot_other_tenant",
                           remedy="Sign in to that tenant to restore it.")
    if not snap.readable:
        raise RefusedError(
            f"Snapshot {snap.id} recorded {snap.domain_name} half-federated, a state that cannot "
            "be re-created.", code="snapshot_not_restorable",
            remedy="Restore an earlier snapshot (see federator history).")
    domain = snap.domain_name

    def prepare(run: Run, before: Snapshot) -> Prepared:
        state = domain_state(before)
        summary = f"Restore {domain} to snapshot {snap.id} ({describe(snap)})"
        done = f"{domain} is back as snapshot {snap.id} recorded it: "
        if snap.federation is None or snap.authentication_type.lower() != "federated":
            return Prepared([build_revert_plan(domain, state)], Target("Managed", None), summary,
                            done=done)
        desired = writable(snap.federation)
        options = _options_from(desired)
        plans: list[Plan] = []
        if state.is_federated and state.federation is None:
            plans.append(build_revert_plan(domain, state))  # half-federated: clear it first
            state = domain_state(Snapshot(before.id, before.tenant, domain, before.taken_at,
                                          {**before.domain, "authenticationType": "Managed"},
                                          None))
        plan = build_plan(domain, desired, state, options)
        plans.append(plan)
        return Prepared(plans, Target("Federated", {c.name: c.new for c in plan.changes}),
                        summary, done=done)

    return _change(ctx, "restore", domain, confirm, prepare, restoring=snap.id)


def reconcile(ctx: OperationContext) -> list[ReconcileResult]:
    """Close entries a killed Federator left open, by re-reading the tenant (takes the lock)."""
    with take_lock(ctx, "reconcile") as writer:
        ctx.emit(STEP_LOCK, OK, "Holding the tenant's change lock")
        report_journal_problems(ctx, writer)
        return reconcile_open_entries(ctx, writer)


# ---------------------------------------------------------------------------------------------
# Checks and displays shared by the operations


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
            remedy=f"Fix them (federator preflight --domain {domain} explains each).",
            details={"failed": failed})
    accepted = {a.strip() for a in accept_warnings}
    unaccepted = [c.id for c in result.checks if c.status == "warn" and c.id not in accepted]
    if unaccepted:
        ctx.emit(STEP_PREFLIGHT, FAILED, f"Warnings not accepted: {', '.join(unaccepted)}",
                 unaccepted=unaccepted)
        raise PreflightRefusedError(
            f"Preflight warnings need to be accepted by id before federating {domain}: "
            f"{', '.join(unaccepted)}. Nothing was changed.",
            remedy=f"Read them, then add --accept-warnings {','.join(unaccepted)}",
            details={"unaccepted_warnings": unaccepted})
    warned = [c.id for c in result.checks if c.status == "warn"]
    message = "Preflight passed" + (f" (warnings accepted: {', '.join(warned)})" if warned else "")
    ctx.emit(STEP_PREFLIGHT, OK, message, accepted=warned)


def show_password_impact(ctx: OperationContext, domain: str) -> PasswordImpact:
    ctx.emit(STEP_USERS, STARTED, f"Counting the users of {domain} who will need a cloud password")
    impact = password_impact(ctx.client, domain)
    where = ", ".join(impact.domains_counted)
    sync = {True: " The directory is synchronised: users with password hash sync keep their "
                  "password.", False: "", None: ""}[impact.directory_synced]
    ctx.emit(STEP_USERS, WARNING,
             f"{impact.users} user(s) in {where} sign in through the IdP today and will need a "
             f"cloud password after the revert.{sync}", users=impact.users,
             options=list(impact.options))
    return impact


def _show_certificates(ctx: OperationContext, snapshot: Snapshot | None,
                       heading: str) -> list[AcceptedCertificate]:
    certs = accepted_certificates(snapshot)
    if certs:
        lines = "".join(f"\n        {c.describe()}" for c in certs)
        ctx.emit(STEP_CERTIFICATES, INFO, f"{heading}:{lines}",
                 certificates=[c.to_json() for c in certs])
    return certs


def _newest_first(certificates: list[str]) -> list[str]:
    """Certificates ordered by when they became valid, newest first (unreadable ones last)."""
    from core.certificates import read_certificate

    def start(text: str) -> float:
        try:
            return read_certificate(text)[0].not_before.timestamp()
        except InputError:
            return float("-inf")

    unique = list(dict.fromkeys(certificates))
    return sorted(unique, key=start, reverse=True)


def _options_from(values: dict[str, Any]) -> PlanOptions:
    """The plan options that reproduce recorded values exactly."""
    mfa = values.get("federatedIdpMfaBehavior")
    prompt = values.get("promptLoginBehavior")
    return PlanOptions(
        display_name=values.get("displayName") or None,
        federated_idp_mfa_behavior=mfa if mfa in MFA_BEHAVIORS else DEFAULT_MFA_BEHAVIOR,
        prompt_login_behavior=(prompt if prompt in PROMPT_LOGIN_BEHAVIORS
                               else DEFAULT_PROMPT_LOGIN_BEHAVIOR))


# ---------------------------------------------------------------------------------------------
# The state machine


def _change(ctx: OperationContext, kind: str, domain: str, confirm: str | None,
            prepare: Preparer, *, show_certificates: bool = False,
            restoring: str | None = None) -> OperationResult:
    check_confirmation(domain, confirm, ctx)
    with take_lock(ctx, f"{kind} {domain}") as writer:
        ctx.emit(STEP_LOCK, OK, "Holding the tenant's change lock (no other Federator can "
                                "change it meanwhile)")
        problems = report_journal_problems(ctx, writer)
        reconciled = reconcile_open_entries(ctx, writer)
        op = new_id()
        run = Run(ctx=ctx, writer=writer, kind=kind, domain=domain)
        ctx.emit(STEP_READ, STARTED, f"Reading {domain} from Microsoft Graph")
        before = run.read(f"{op}-before")
        ctx.emit(STEP_READ, OK, f"{domain} is {describe(before)}", state=before.to_json())
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
            result.summary = (f"Nothing to change: {domain} already is "
                              f"{describe(before)}.")
            result.after = before
            result.changed = False
            ctx.emit(STEP_PLAN, OK, result.summary)
            return result
        requests = [r for p in prepared.plans for r in p.requests]
        ctx.emit(STEP_PLAN, OK, f"{prepared.summary}: {len(requests)} request(s) to send",
                 requests=[f"{r.method} {r.path}" for r in requests])

        ctx.recording = True
        try:
            return _write_and_verify(ctx, run, result, prepared, op, plan_json, restoring,
                                     show_certificates)
        finally:
            ctx.recording = False


def _write_and_verify(ctx: OperationContext, run: Run, result: OperationResult,
                      prepared: Prepared, op: str, plan_json: dict[str, Any],
                      restoring: str | None, show_certificates: bool) -> OperationResult:
    """From the journaled snapshot to the recorded outcome (no callback can interrupt it)."""
    domain, kind, before = run.domain, run.kind, result.before
    assert before is not None
    run.entry = run.writer.begin(kind=kind, domain=domain, who=ctx.who, snapshot=before,
                                 plan=plan_json, summary=prepared.summary, op=op,
                                 target=prepared.target.to_json(), restoring=restoring)
    result.op_id = op
    way_back = f"federator restore {before.id} --confirm {domain}"
    ctx.emit(STEP_SNAPSHOT, OK, f"Snapshot {before.id} recorded in the journal: the way back "
                                f"is `{way_back}`", snapshot=before.id)
    test_kill_point("snapshot")

    try:
        for request in (r for p in prepared.plans for r in p.requests):
            _send_with_fallback(run, request, before, prepared.target)
    except GraphError as exc:
        return _after_failure(run, result, prepared.target, exc, way_back)

    ctx.emit(STEP_VERIFY, STARTED, f"Reading {domain} back to verify")
    try:
        after = run.read(f"{op}-after")
    except (GraphError, FederatorError) as exc:
        return _unknown(run, result, exc, way_back)
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
        ctx.emit(STEP_RECORD, OK, "Recorded in the journal")
        return result
    ctx.emit(STEP_VERIFY, OK, f"Verified: {domain} is {describe(after)}",
             state=after.to_json())
    if show_certificates:
        _show_certificates(ctx, after, "Entra accepts now")
    result.outcome = SUCCEEDED
    result.summary = _success_summary(kind, domain, after, prepared)
    result.way_back = way_back
    result.notes = [*prepared.notes, PROPAGATION_NOTE.format(domain=domain)]
    run.entry.end(OUTCOME_SUCCEEDED, summary=result.summary, way_back=way_back,
                  snapshot=after, changed=result.changed, request_ids=run.request_ids)
    ctx.emit(STEP_RECORD, OK, f"Recorded in the journal as {op}", op=op)
    return result


def _success_summary(kind: str, domain: str, after: Snapshot, prepared: Prepared) -> str:
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


def _send_with_fallback(run: Run, request: PlannedRequest, before: Snapshot,
                        target: Target) -> None:
    """Send ``request``; if Graph refuses a PATCH of the configuration, delete and re-create it
    in the same operation (and put the old one back if the re-create is refused)."""
    is_config_patch = (request.method == "PATCH" and "/federationConfiguration/" in request.path
                       and before.federation is not None and target.federation is not None)
    try:
        run.send(request)
        return
    except (PermissionDeniedError, ConflictError, ThrottledError, AuthenticationError,
            GraphConnectionError):
        raise
    except UncertainWriteError:
        if not is_config_patch:
            raise
        now = run.read(f"{new_id()}-check")
        if not differences(now, target):
            return  # the PATCH landed although its answer was lost
        if not same_state(now, before):
            raise
    except ServerError:  # Graph's documented unexplained refusal (#3626); a 400 is not retried
        if not is_config_patch:
            raise
    assert before.federation is not None and target.federation is not None
    run.ctx.emit(STEP_WRITE, WARNING, "Graph refused the update; replacing the configuration "
                                      "instead (delete and re-create, at once)")
    config_id = str(before.federation.get("id") or "")
    path = _config_path(run.domain)
    run.send(PlannedRequest("DELETE", f"{path}/{quote(config_id, safe='')}"))
    body: dict[str, Any] = {"@odata.type": ODATA_TYPE}
    body.update({k: v for k, v in target.federation.items() if v is not None})
    try:
        run.send(PlannedRequest("POST", path, body))
    except UncertainWriteError:
        raise
    except GraphError:
        old: dict[str, Any] = {"@odata.type": ODATA_TYPE}
        old.update({k: v for k, v in writable(before.federation).items() if v is not None})
        run.ctx.emit(STEP_WRITE, WARNING, "The re-create was refused; putting the previous "
                                          "configuration back")
        with suppress(GraphError):  # the failure handler re-reads and reports the state left
            run.send(PlannedRequest("POST", path, old))
        raise


def _after_failure(run: Run, result: OperationResult, target: Target, exc: GraphError,
                   way_back: str) -> OperationResult:
    ctx = run.ctx
    entry = run.entry
    assert entry is not None and result.before is not None and result.op_id is not None
    ctx.emit(STEP_VERIFY, STARTED, f"The write failed ({exc.explanation}); re-reading "
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
        result.summary = (f"Graph's answer was lost or an error ({exc.explanation}), but "
                          f"reading back shows the change applied: {run.domain} is "
                          f"{describe(after)}.")
        result.way_back = way_back
        entry.end(OUTCOME_SUCCEEDED, summary=result.summary, way_back=way_back, snapshot=after,
                  changed=result.changed, note="verified after an uncertain answer")
        ctx.emit(STEP_VERIFY, OK, result.summary)
        ctx.emit(STEP_RECORD, OK, f"Recorded in the journal as {result.op_id}")
        return result
    entry.verify(False, differences=diffs, state=after)
    result.outcome = FAILED_OUTCOME
    if result.changed:
        result.way_back = way_back
        if not after.readable:
            result.way_back = (f"federator revert --domain {run.domain} --confirm {run.domain} "
                               f"(then, if wanted, {way_back})")
        state = f"{run.domain} was changed and is now {describe(after)}"
    else:
        result.way_back = ""
        state = f"nothing was changed: {run.domain} is as it was, {describe(after)}"
    result.summary = f"The {run.kind} failed: {exc.message} State: {state}."
    entry.end(OUTCOME_FAILED, summary=result.summary, way_back=result.way_back, snapshot=after,
              changed=result.changed, error=exc.to_json())
    ctx.emit(STEP_VERIFY, FAILED, f"{run.domain} is {describe(after)}", state=after.to_json())
    ctx.emit(STEP_RECORD, OK, f"Recorded in the journal as {result.op_id}")
    return result


def _unknown(run: Run, result: OperationResult, exc: FederatorError,
             way_back: str) -> OperationResult:
    """The domain could not be read after a write: leave the entry open for reconciliation."""
    result.outcome = UNKNOWN
    result.request_ids = list(run.request_ids)
    result.summary = (f"Federator could not read {run.domain} after writing ({exc.message}), so "
                      "its state is unknown. The journal entry stays open: the next Federator run "
                      "re-reads the domain and records what it finds.")
    result.way_back = f"federator status --domain {run.domain}; if it changed: {way_back}"
    run.ctx.emit(STEP_VERIFY, FAILED, result.summary)
    return result


__all__ = ["federate", "reconcile", "restore", "revert", "update_certificate"]

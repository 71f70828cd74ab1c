"""Restore a domain as a journal snapshot recorded it, and the checks that keep a restore from
undoing a later change by surprise."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from core.change_kinds import KIND_MAKE_DEFAULT
from core.errors import RefusedError
from core.journal import (
    Snapshot,
    find_snapshot,
)
from core.operations.model import (
    OperationResult,
)
from core.operations.pipeline import (
    Prepared,
    _change,
    _no_way_back_to_half,
)
from core.operations.runner import (
    OperationContext,
    Run,
    check_confirmation,
)
from core.operations.state import (
    Target,
    describe,
    domain_state,
    same_state,
    writable,
)
from core.operations.way_back import federate_again, restore_problems
from core.operations.writes import (
    unmet,
)
from core.plan import (
    DEFAULT_MFA_BEHAVIOR,
    DEFAULT_PROMPT_LOGIN_BEHAVIOR,
    Plan,
    PlanOptions,
    build_plan,
    build_revert_plan,
)
from core.settings import MFA_BEHAVIORS, PROMPT_LOGIN_BEHAVIORS

if TYPE_CHECKING:
    pass


def restore(ctx: OperationContext, snapshot_id: str, *, confirm: str | None,
            force: bool = False, allow_replace: bool = False) -> OperationResult:
    """Put a domain back as a journal snapshot recorded it (federated with its settings, or
    managed). A half-federated current state is first reverted, then re-created.

    Refused when the domain is no longer as the snapshot's journal entry left it (someone changed
    it since: restoring would undo that change), unless ``force``; and when the recorded
    federation would not work now (an expired signing certificate, an unusable issuer or sign-in
    URL). ``allow_replace`` as for :func:`federate`."""
    snap, entry = find_snapshot(ctx.journal_dir, snapshot_id)
    check_confirmation(snap.domain_name, confirm, ctx)
    if entry.kind == KIND_MAKE_DEFAULT:
        raise RefusedError(
            f"Snapshot {snap.id} was taken when {snap.domain_name} was made the default domain; "
            "restoring sign-in settings does not undo that. Nothing was changed.",
            code="snapshot_not_restorable",
            remedy=f"The way back of that change: {entry.way_back or 'see federator history'}")
    if snap.tenant and snap.tenant != ctx.tenant_id:
        raise RefusedError(f"Snapshot {snap.id} belongs to another tenant ({snap.tenant}).",
                           code="snapshot_other_tenant",
                           remedy="Sign in to that tenant to restore it.")
    if not snap.readable:
        raise RefusedError(
            f"Snapshot {snap.id} recorded {snap.domain_name} half-federated, a state that cannot "
            "be re-created.", code="snapshot_not_restorable",
            remedy="Restore an earlier snapshot (see federator history).")
    check_restorable(snap)
    domain = snap.domain_name

    def prepare(run: Run, before: Snapshot) -> Prepared:
        if not force:
            # Read after the lock and reconciliation: the entry may have been closed just now.
            check_not_overwriting(ctx, snap, before)
        state = domain_state(before)
        summary = f"Restore {domain} as snapshot {snap.id} recorded it: {describe(snap)}"
        done = f"{domain} is back as snapshot {snap.id} recorded it: "
        unchanged = (f"Nothing to change: {domain} already is as snapshot {snap.id} recorded "
                     f"it: {describe(before)}.")
        if snap.federation is None or snap.authentication_type.lower() != "federated":
            return Prepared([build_revert_plan(domain, state)], Target("Managed", None), summary,
                            done=done, unchanged=unchanged,
                            way_back=_no_way_back_to_half(before))
        if not (state.is_federated and state.federation is not None
                and str(state.federation.get("issuerUri") or "")
                == str(snap.federation.get("issuerUri") or "")):
            # Federating again: the tenant checks that apply to this snapshot, as preflight
            # makes them before a federation (no change without them).
            check_restore_in_tenant(run.ctx.client, snap)
        targets: list[Target] = []
        desired = writable(snap.federation)
        options = _options_from(desired)
        plans: list[Plan] = []
        if state.is_federated and state.federation is None:
            plans.append(build_revert_plan(domain, state))  # half-federated: clear it first
            targets.append(Target("Managed", None))
            state = domain_state(Snapshot(before.id, before.tenant, domain, before.taken_at,
                                          {**before.domain, "authenticationType": "Managed"},
                                          None))
        plan = build_plan(domain, desired, state, options)
        plans.append(plan)
        target = Target("Federated", {c.name: c.new for c in plan.changes})
        return Prepared(plans, target, summary, done=done, unchanged=unchanged,
                        plan_targets=[*targets, target], allow_replace=allow_replace,
                        way_back=_no_way_back_to_half(before))

    return _change(ctx, "restore", domain, prepare, restoring=snap.id)


def check_restorable(snap: Snapshot) -> None:
    """Refuse to restore a federation that could not work now: the checks preflight makes of
    metadata, made of the recorded values (issuer, sign-in URL, signing certificate)."""
    problems = restore_problems(snap)
    if problems:
        raise RefusedError(
            f"Snapshot {snap.id} records a federation of {snap.domain_name} that would not work "
            f"now: {'; '.join(problems)}. Nothing was changed.",
            code="snapshot_would_not_work",
            remedy=f"Federate {snap.domain_name} with the IdP's current metadata instead: "
                   f"{federate_again(snap.domain_name)}",
            details={"problems": problems})




def check_restore_in_tenant(client: Any, snap: Snapshot) -> None:
    """Refuse to re-federate a domain from a snapshot when the tenant now forbids it: its issuer
    is used by another domain (Microsoft allows an issuer on one domain only), or federating
    would lock the admins out (the signed-in account in the domain, or no break-glass Global
    Administrator outside it). Reads the tenant as preflight does (one or two round trips)."""
    from core.preflight.checks import PreflightInput, check_access_lockout, issuer_clashes
    from core.preflight.gather import gather_tenant

    domain = snap.domain_name
    issuer = str((snap.federation or {}).get("issuerUri") or "")
    tenant = gather_tenant(client, domain)
    problems: list[str] = []
    remedies: list[str] = []
    clashes = issuer_clashes(tenant, domain, issuer)
    if clashes:
        problems.append(f"its issuer {issuer} is now used by " + ", ".join(clashes)
                        + " (Microsoft allows an issuer on one domain only)")
        remedies.append(f"Give {domain} its own application and issuer in the IdP and federate "
                        "it with that metadata.")
    lockout = check_access_lockout(PreflightInput(domain=domain, tenant=tenant))
    if lockout.status == "fail":
        problems.append(lockout.found.rstrip("."))
        if lockout.remedy:
            remedies.append(lockout.remedy)
    if problems:
        raise RefusedError(
            f"Snapshot {snap.id} cannot be restored now: {'; '.join(problems)}. Nothing was "
            "changed.", code="snapshot_would_not_work", remedy=" ".join(remedies),
            details={"problems": problems})


def check_not_overwriting(ctx: OperationContext, snap: Snapshot, now: Snapshot) -> None:
    """Refuse a restore that would undo a change made after the snapshot's own change, naming
    it: the domain must still be as that journal entry left it."""
    _, entry = find_snapshot(ctx.journal_dir, snap.id)
    left = entry.snapshot_after
    if left is None or entry.in_progress or same_state(now, left):
        return
    entries = ctx.journal.entries(domain=snap.domain_name)
    ops = [e.op for e in entries]
    after_it = entries[ops.index(entry.op) + 1:] if entry.op in ops else []  # journal order
    # A change that changed nothing (refused: it records the state someone else left) is not
    # the change a restore would undo.
    later = [e for e in after_it
             if e.snapshot_after is not None and not same_state(e.snapshot_after, left)
             and (e.end or {}).get("changed") is not False]
    if later:
        last = later[-1]
        change = (f"the {last.kind} {last.op} made by {last.who} at {last.started_at} "
                  f"(\"{last.summary}\")")
    else:
        change = ("a change not in this journal (another admin, another Federator, the admin "
                  "center or PowerShell)")
    found = "; ".join(unmet(now, left))
    raise RefusedError(
        f"{snap.domain_name} is no longer as change {entry.op} left it ({found}): it is now "
        f"{describe(now)}. Restoring snapshot {snap.id} would undo {change}. Nothing was "
        "changed.", code="restore_would_overwrite",
        remedy=f"If undoing it is what you want: federator restore {snap.id} --confirm "
               f"{snap.domain_name} --force",
        details={"differences": unmet(now, left)})


def _options_from(values: dict[str, Any]) -> PlanOptions:
    """The plan options that reproduce recorded values exactly."""
    mfa = values.get("federatedIdpMfaBehavior")
    prompt = values.get("promptLoginBehavior")
    return PlanOptions(
        display_name=values.get("displayName") or None,
        federated_idp_mfa_behavior=mfa if mfa in MFA_BEHAVIORS else DEFAULT_MFA_BEHAVIOR,
        prompt_login_behavior=(prompt if prompt in PROMPT_LOGIN_BEHAVIORS
                               else DEFAULT_PROMPT_LOGIN_BEHAVIOR))

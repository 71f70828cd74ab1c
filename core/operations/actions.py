"""The changes: federate, update the signing certificate, revert to managed, restore, and make
a domain the default (the remedy preflight offers for ``domain.not_default``).

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

from core.change_kinds import KIND_MAKE_DEFAULT
from core.errors import FederatorError, InputError, RefusedError
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
    find_snapshot,
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
    check_confirmation,
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
    domain_state,
    password_impact,
    same_state,
    writable,
)
from core.operations.writes import (
    NotAppliedError,
    UnprovenWriteError,
    unmet,
    when,
    write,
)
from core.plan import (
    DEFAULT_MFA_BEHAVIOR,
    DEFAULT_PROMPT_LOGIN_BEHAVIOR,
    ODATA_TYPE,
    Plan,
    PlannedRequest,
    PlanOptions,
    build_certificate_update_plan,
    build_make_default_plan,
    build_plan,
    build_revert_plan,
    normalize_certificate,
)
from core.settings import MFA_BEHAVIORS, PROMPT_LOGIN_BEHAVIORS
from core.shellquote import command_line

if TYPE_CHECKING:
    from core.plan import GraphSettings
    from core.preflight import PreflightResult

PREFLIGHT_MAX_AGE = dt.timedelta(minutes=30)
# Older than this, what preflight judged by (the domain, users, roles) is read again before
# anything is written: the admin may have read the review for a while, and others change tenants.
PREFLIGHT_FRESH = dt.timedelta(minutes=5)
MAKE_DEFAULT = KIND_MAKE_DEFAULT  # the journal's kind for make_default
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


# ---------------------------------------------------------------------------------------------
# Public operations


def federate(ctx: OperationContext, domain: str, settings: GraphSettings | dict[str, Any], *,
             confirm: str | None, preflight: PreflightResult,
             accept_warnings: Collection[str] = (),
             options: PlanOptions | None = None,
             allow_replace: bool = False,
             rerun_preflight: Callable[[], PreflightResult] | None = None) -> OperationResult:
    """Federate ``domain`` (POST when managed; PATCH of the differing values when federated).

    A PATCH Graph keeps failing (after the retries of every write) is replaced by delete and
    re-create only with ``allow_replace`` (the admin chose it, knowing the domain is Managed in
    between); otherwise the result says nothing changed and that the choice exists
    (``result.replace_possible``).

    ``preflight`` must be a run for this domain, recent, with no failed check and every warning
    listed in ``accept_warnings`` (by check id); otherwise :class:`PreflightRefusedError`. One
    older than :data:`PREFLIGHT_FRESH` is run again first through ``rerun_preflight`` (refused
    when there is none), and that fresh run is what is judged.
    """
    check_confirmation(domain, confirm, ctx)
    preflight = fresh_preflight(ctx, domain, preflight, rerun_preflight)
    check_preflight(ctx, domain, preflight, accept_warnings)

    def prepare(run: Run, before: Snapshot) -> Prepared:
        plan = build_plan(domain, settings, domain_state(before), options)
        target = Target("Federated", {c.name: c.new for c in plan.changes})
        what = "Update the federation of" if before.federation else "Federate"
        return Prepared([plan], target, f"{what} {domain}", notes=list(plan.notes),
                        unchanged=f"Nothing to change: {domain} is already federated with "
                                  f"these settings: {describe(before)}.",
                        allow_replace=allow_replace)

    return _change(ctx, "federate", domain, prepare)


def update_certificate(ctx: OperationContext, domain: str, certificates: str | Sequence[str], *,
                       confirm: str | None, promote: bool = False,
                       metadata_source: str | None = None) -> OperationResult:
    """Roll the IdP signing certificate without downtime.

    ``certificates``: the IdP's signing certificate(s) from its new metadata (base64 DER, any
    order); the new one is the most recently issued that Entra does not already use as
    ``signingCertificate``.
    Without ``promote``: add it as ``nextSigningCertificate`` (Entra then accepts the current and
    the new one, so the IdP can switch whenever it likes). With ``promote`` (the IdP now signs
    with the new one): make it ``signingCertificate`` and clear the next slot.
    ``metadata_source`` (the file or URL the certificates came from) makes the promote command
    shown after staging one that can be pasted as it is.
    """
    check_confirmation(domain, confirm, ctx)
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
                remedy=f"Federate it first: federator federate --metadata SOURCE --domain "
                       f"{domain} --confirm {domain}")
        current = normalize_certificate(str(before.federation.get("signingCertificate") or ""))
        staged = normalize_certificate(str(before.federation.get("nextSigningCertificate") or ""))
        new = next((c for c in candidates if c != current), None)
        _show_certificates(run.ctx, before, "Entra accepts before the change")
        notes: list[str] = []
        if promote:
            if new is None and staged and staged not in candidates:
                staged_cert = next((c for c in accepted_certificates(before)
                                    if c.slot == "nextSigningCertificate"), None)
                which = (f" ({staged_cert.subject}, SHA-1 {staged_cert.sha1})"
                         if staged_cert and staged_cert.readable else "")
                raise RefusedError(
                    f"This metadata only has the certificate {domain} already signs with, not "
                    f"the staged next certificate{which}; nothing was changed.",
                    code="certificate_not_in_metadata",
                    remedy="Promote with the IdP's new metadata, the one that has the new "
                           "certificate, once the IdP signs with it.")
            starts = _valid_from(new) if new is not None else None
            if starts is not None and starts > dt.datetime.now(dt.UTC):
                # Promoting it now would leave Entra accepting only a certificate the IdP
                # cannot sign with before its start date: every sign-in would fail until then.
                raise RefusedError(
                    f"The IdP's new certificate is not valid before {starts:%Y-%m-%d %H:%M} UTC, "
                    "so it cannot be the signing certificate yet; nothing was changed.",
                    code="certificate_not_yet_valid",
                    remedy="Stage it as next certificate now (update-certificate without "
                           "--promote) and promote it once the IdP signs with it.")
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
            notes.append(promote_note)
        target = Target("Federated", {**writable(before.federation),
                                      **{c.name: c.new for c in plan.changes}})
        prepared = Prepared([plan], target, summary, notes=notes + list(plan.notes),
                            rollover=True)
        if promote:
            prepared.unchanged = (f"Nothing to change: the IdP's certificate already is the "
                                  f"signing certificate of {domain}.")
        else:
            prepared.unchanged = (f"Nothing to change: the IdP's new certificate is already "
                                  f"staged as next signing certificate of {domain}; Entra "
                                  "accepts it and the current one.")
            prepared.unchanged_notes = [promote_note]
        return prepared

    source = quote_arg(metadata_source) if metadata_source else "NEW_METADATA"
    promote_note = ("When the IdP signs with the new certificate, promote it: federator "
                    f"update-certificate --metadata {source} --domain {domain} --promote "
                    f"--confirm {domain}")
    kind = "promote-certificate" if promote else "stage-certificate"
    return _change(ctx, kind, domain, prepare, show_certificates=True)


def revert(ctx: OperationContext, domain: str, *, confirm: str | None) -> OperationResult:
    """Back to managed sign-in: ``PATCH authenticationType=Managed``, then check the
    configuration is gone. Counts first the users who will need a cloud password (REV-01)."""
    check_confirmation(domain, confirm, ctx)

    def prepare(run: Run, before: Snapshot) -> Prepared:
        if before.note == INHERITED_NOTE:
            # Graph refuses it
            # (https://learn.microsoft.com/entra/identity/users/domains-verify-custom-subdomain):
            # the subdomain's sign-in is its root's.
            raise RefusedError(
                f"{domain} is a subdomain: it follows its root domain's federation and has no "
                "setting of its own to revert. Nothing was changed.",
                code="subdomain_follows_root",
                remedy="Revert the root domain (its subdomains follow it), or promote "
                       f"{domain} to a root domain first (Microsoft Graph: POST "
                       f"/domains/{domain}/promote).")
        plan = build_revert_plan(domain, domain_state(before))
        impact = None
        if not plan.is_noop:
            impact = show_password_impact(run.ctx, domain)
        return Prepared([plan], Target("Managed", None),
                        f"Revert {domain} to managed (cloud) sign-in", notes=list(plan.notes),
                        password_impact=impact, way_back=_no_way_back_to_half(before),
                        unchanged=f"Nothing to change: {domain} already uses managed (cloud) "
                                  "sign-in.")

    return _change(ctx, "revert", domain, prepare)


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
    if entry.kind == MAKE_DEFAULT:
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
    from core.certificates import read_certificate
    from core.preflight.checks import issuer_problems

    if snap.federation is None or snap.authentication_type.lower() != "federated":
        return
    fed = snap.federation
    problems: list[str] = []
    fails, _ = issuer_problems(str(fed.get("issuerUri") or ""))
    # The guess that an issuer was copied from a guide does not apply to one this tenant used.
    problems += [f"issuer: {f.rstrip('.')}" for f in fails if "placeholder" not in f]
    sign_in = str(fed.get("passiveSignInUri") or "")
    if not sign_in.lower().startswith("https://"):
        problems.append(f"the sign-in URL {sign_in or '(none)'} does not use HTTPS")
    cert_text = str(fed.get("signingCertificate") or "")
    now = dt.datetime.now(dt.UTC)
    try:
        info, _ = read_certificate(cert_text)
    except InputError:
        problems.append("its signing certificate cannot be read")
    else:
        if not info.is_valid_at(now):
            when = "expired on" if info.not_after < now else "is not valid before"
            date = (info.not_after if info.not_after < now else info.not_before)
            problems.append(f"its signing certificate ({info.subject}, SHA-1 {info.sha1}) "
                            f"{when} {date:%Y-%m-%d}: no user could sign in")
    if problems:
        raise RefusedError(
            f"Snapshot {snap.id} records a federation of {snap.domain_name} that would not work "
            f"now: {'; '.join(problems)}. Nothing was changed.",
            code="snapshot_would_not_work",
            remedy=f"Federate {snap.domain_name} with the IdP's current metadata instead: "
                   f"federator federate --metadata SOURCE --domain {snap.domain_name} "
                   f"--confirm {snap.domain_name}",
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
    later = [e for e in after_it
             if e.snapshot_after is not None and not same_state(e.snapshot_after, left)]
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
def _no_way_back_to_half(before: Snapshot) -> str | None:
    """No way back (``""``) from a change that starts half-federated: restoring that snapshot
    is refused (the state cannot be re-created, nor is it wanted); ``None``: the usual one."""
    return "" if not before.readable and before.note != INHERITED_NOTE else None


def make_default(ctx: OperationContext, domain: str, *, confirm: str | None) -> OperationResult:
    """Make ``domain`` the tenant's default domain (``PATCH /domains/{d}`` ``isDefault``), the
    remedy for preflight's ``domain.not_default``: a default domain cannot be federated.

    Journaled like every change; its way back is making the previous default domain the default
    again. ``core.preflight.remedies.check_make_default`` refuses, before sending, when the
    token shows the permission or role missing (that refusal is recorded, then raised).
    """
    check_confirmation(domain, confirm, ctx)

    def prepare(run: Run, before: Snapshot) -> Prepared:
        from core.graph import api

        plan = build_make_default_plan(domain, domain_state(before))
        previous = next((str(d.get("id")) for d in api.list_domains(run.client)
                         if d.get("isDefault")), None)
        way_back = ""
        if previous and previous.lower() != domain.lower():
            way_back = command_line(["federator", "make-default", previous, "--confirm", previous])
        was = f" (the default now is {previous})" if previous and way_back else ""
        target = Target(before.authentication_type, None, {"isDefault": True})
        return Prepared([plan], target,
                        f"Make {domain} the default domain{was}", notes=list(plan.notes),
                        way_back=way_back,
                        apply=lambda r: _apply_make_default(r, plan, before, target),
                        unchanged=f"Nothing to change: {domain} is already the default domain.")

    return _change(ctx, MAKE_DEFAULT, domain, prepare)


def _apply_make_default(run: Run, plan: Plan, before: Snapshot, target: Target) -> None:
    """The remedy's PATCH, sent like every write: recorded before it goes, its answer after.

    The permission and role check comes first: a refusal there sends nothing, so nothing is
    recorded as sent. Graph's own 403 becomes the remedy's refusal (what it takes, and the way
    by hand). The read back is the operation's verification, so a failure to read cannot be
    recorded as the PATCH's answer."""
    from core.preflight.remedies import check_make_default, make_default_denied

    check_make_default(run.client, run.domain)
    for request in plan.requests:
        try:
            write(run, request, before=before, expect=target)
        except PermissionDeniedError:
            raise make_default_denied(run.domain) from None


def reconcile(ctx: OperationContext) -> list[ReconcileResult]:
    """Close entries a killed Federator left open, by re-reading the tenant (takes the lock)."""
    with take_lock(ctx, "reconcile") as writer:
        ctx.emit(STEP_LOCK, OK, "Holding the tenant's change lock")
        report_journal_problems(ctx, writer)
        return reconcile_open_entries(ctx, writer)


# ---------------------------------------------------------------------------------------------
# Checks and displays shared by the operations


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
        ctx.emit(STEP_PREFLIGHT, FAILED, f"Warnings not accepted: {', '.join(unaccepted)}",
                 unaccepted=unaccepted)
        what = "".join(f" {c.id} could not be checked: {c.found}" for c in unread)
        raise PreflightRefusedError(
            f"Preflight warnings need to be accepted by id before federating {domain}: "
            f"{', '.join(unaccepted)}.{what} Nothing was changed.",
            remedy=f"Read them, then add --accept-warnings {','.join(unaccepted)}",
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


def _valid_from(text: str) -> dt.datetime | None:
    """When a base64 DER certificate becomes valid (None when unreadable)."""
    from core.certificates import read_certificate

    try:
        return read_certificate(text)[0].not_before
    except InputError:
        return None


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
    way_back = (restore_command(before.id, domain) if prepared.way_back is None
                else prepared.way_back)
    run.entry = run.writer.begin(kind=kind, domain=domain, who=ctx.who, snapshot=before,
                                 plan=plan_json, summary=prepared.summary, op=op,
                                 target=prepared.target.to_json(), restoring=restoring,
                                 way_back=way_back)
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
    result.summary = _success_summary(kind, domain, after, prepared)
    result.way_back = way_back
    result.notes = list(prepared.notes)
    if kind != MAKE_DEFAULT:  # sign-in is what takes time to follow
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
            MAKE_DEFAULT: f"Making {domain} the default domain"}.get(kind, f"{kind} {domain}")


def _record_refusal(run: Run, result: OperationResult, exc: RefusedError) -> None:
    """Close the entry of a change refused before it took effect (then the caller raises)."""
    assert run.entry is not None and result.before is not None
    reason = exc.message.replace(" Nothing was changed.", "").strip()
    summary = f"{_doing(run.kind, run.domain)} was refused; nothing was changed. {reason}"
    run.entry.end(OUTCOME_FAILED, summary=summary, way_back="", snapshot=result.before,
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
    run.entry.end(OUTCOME_FAILED, summary=result.summary, way_back="", snapshot=result.before,
                  changed=False, error=exc.to_json())
    run.ctx.emit(STEP_WRITE, FAILED, f"Could not read {run.domain} before writing: "
                                     f"{exc.message}")
    run.ctx.emit(STEP_RECORD, OK, f"Recorded in the journal as {result.op_id}")
    return result


def _success_summary(kind: str, domain: str, after: Snapshot, prepared: Prepared) -> str:
    if kind == MAKE_DEFAULT:
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
        result.summary = (f"Graph's answer was lost or an error ({said}), but "
                          f"reading back shows the change applied: {run.domain} is "
                          f"{describe(after)}.")
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
    else:
        result.way_back = ""
        state = f"nothing was changed: {run.domain} is as it was, {describe(after)}"
    result.summary = f"{_doing(run.kind, run.domain)} failed: {_failure(exc)} State: {state}."
    result.replace_possible = (isinstance(exc, ReplaceRefusedError) and exc.possible
                               and not result.changed)
    remaining = _half_federated_advice(result, after)
    entry.end(OUTCOME_FAILED, summary=result.summary, way_back=result.way_back, snapshot=after,
              changed=result.changed, error=exc.to_json(),
              **({"remaining_options": remaining} if remaining else {}))
    ctx.emit(STEP_VERIFY, FAILED, f"{run.domain} is {describe(after)}", state=after.to_json())
    ctx.emit(STEP_RECORD, OK, run.recorded(result.op_id))
    return result


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
    result.summary += (" The journal entry stays open: the next Federator start (any change, "
                       f"`federator status --domain {run.domain}`, or the window) re-reads the "
                       "domain and records what it finds. If the change did land, the way back "
                       "is below.")
    result.way_back = way_back  # a no-op if nothing changed: it re-reads first
    run.ctx.emit(STEP_VERIFY, FAILED, f"Not proven: {exc.message}")
    return result


__all__ = ["federate", "make_default", "reconcile", "restore", "revert", "update_certificate"]

"""``federator federate | update-certificate | revert | restore | history | status``.

The commands that change a tenant (and the two that show what happened): each prints the
operation's progress step by step, then the state the domain was left in and the way back.
Exit 0 on success, 1 when refused or failed (state and way back printed), 2 on unusable input.
"""

from __future__ import annotations

import argparse
from contextlib import suppress
from typing import TYPE_CHECKING, Any

from core.commands.common import EXIT_FAILED, EXIT_OK, Context

if TYPE_CHECKING:
    from core.operations import OperationEvent, OperationResult
    from core.tenant import TenantSession

_MARKS = {"started": "  ...", "ok": "  ok ", "warning": "  !! ", "failed": "  XX ", "info": "   - "}


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser(
        "federate", help="federate a domain with a SAML 2.0 IdP (snapshot, write, verify, journal)",
        description="Federate DOMAIN with the IdP described by SOURCE. Refused while a preflight "
                    "check fails; warnings must be accepted by id. A snapshot is journaled "
                    "first, so `federator restore` can always put the domain back.")
    p.add_argument("--metadata", required=True, metavar="SOURCE",
                   help="IdP metadata file or https:// URL")
    p.add_argument("--domain", required=True, help="the domain to federate")
    p.add_argument("--confirm", required=True, metavar="DOMAIN",
                   help="type the domain again to confirm the change")
    p.add_argument("--accept-warnings", metavar="IDS", default="",
                   help="comma-separated preflight warning ids you accept")
    p.add_argument("--entity", help="entity ID when the metadata holds several IdPs")
    p.add_argument("--display-name", help="name shown for the IdP (default: the domain)")
    p.add_argument("--mfa-behavior", dest="mfa_behavior",
                   help="federatedIdpMfaBehavior (default acceptIfMfaDoneByFederatedIdp)")
    p.add_argument("--prompt-login-behavior",
                   help="promptLoginBehavior (default translateToFreshPasswordAuthentication)")
    p.add_argument("--json", action="store_true", help="one JSON object on stdout")
    p.set_defaults(handler=handle_federate)

    p = subparsers.add_parser(
        "update-certificate", help="roll the IdP signing certificate without downtime",
        description="Stage the IdP's new certificate as nextSigningCertificate (Entra then "
                    "accepts old and new); once the IdP signs with it, run again with --promote.")
    p.add_argument("--metadata", required=True, metavar="SOURCE",
                   help="the IdP's new metadata (file or https:// URL)")
    p.add_argument("--domain", required=True)
    p.add_argument("--confirm", required=True, metavar="DOMAIN")
    p.add_argument("--promote", action="store_true",
                   help="the IdP now signs with the new certificate: make it the signing one")
    p.add_argument("--entity", help="entity ID when the metadata holds several IdPs")
    p.add_argument("--json", action="store_true", help="one JSON object on stdout")
    p.set_defaults(handler=handle_update_certificate)

    p = subparsers.add_parser(
        "revert", help="put a domain back to managed (cloud password) sign-in",
        description="PATCH the domain to Managed and verify its federation configuration is "
                    "gone. Shows first how many users will need a cloud password.")
    p.add_argument("--domain", required=True)
    p.add_argument("--confirm", required=True, metavar="DOMAIN")
    p.add_argument("--json", action="store_true", help="one JSON object on stdout")
    p.set_defaults(handler=handle_revert)

    p = subparsers.add_parser(
        "restore", help="put a domain back as a journal snapshot recorded it",
        description="Re-apply SNAPSHOT_ID from `federator history`: federated with the recorded "
                    "settings, or managed.")
    p.add_argument("snapshot_id", metavar="SNAPSHOT_ID")
    p.add_argument("--confirm", required=True, metavar="DOMAIN")
    p.add_argument("--json", action="store_true", help="one JSON object on stdout")
    p.set_defaults(handler=handle_restore)

    p = subparsers.add_parser(
        "history", help="every change Federator made, with its snapshots and way back",
        description="Read the journal (works offline, without signing in).")
    p.add_argument("--domain")
    p.add_argument("--json", action="store_true", help="one JSON object on stdout")
    p.add_argument("--details", action="store_true", help="show every record of every entry")
    p.set_defaults(handler=handle_history)

    p = subparsers.add_parser(
        "status", help="Graph's view of a domain beside what sign-in (realm discovery) says",
        description="Compare Graph's authenticationType and configuration with home realm "
                    "discovery; --wait polls with backoff until they agree.")
    p.add_argument("--domain", required=True)
    p.add_argument("--wait", action="store_true", help="poll until sign-in agrees with Graph")
    p.add_argument("--timeout", type=float, default=7200.0, metavar="S",
                   help="with --wait: give up after S seconds (default 7200)")
    p.add_argument("--json", action="store_true", help="one JSON object on stdout")
    p.set_defaults(handler=handle_status)


# -- shared ---------------------------------------------------------------------------------------

def _printer(ctx: Context, as_json: bool) -> Any:
    def on_event(event: OperationEvent) -> None:
        line = f"{_MARKS.get(event.status, '   ')} {event.message}"
        if as_json:
            ctx.stderr.write(line + "\n")
        else:
            ctx.print(line)
        (ctx.stderr if as_json else ctx.stdout).flush()
    return on_event


def _operation_context(session: TenantSession, ctx: Context, as_json: bool) -> Any:
    from core.operations.runner import context_from_session

    return context_from_session(session, ctx.paths, _printer(ctx, as_json))


def _header(ctx: Context, session: TenantSession, title: str, as_json: bool) -> None:
    if as_json:
        return
    where = "sandbox tenant" if session.sandbox is not None else "tenant"
    ctx.print(f"{title}  ({where} {session.tenant_id}, signed in as {session.account.upn})")


def _report(ctx: Context, result: OperationResult, as_json: bool) -> int:
    if as_json:
        ctx.emit_json(result.to_json())
        return EXIT_OK if result.ok else EXIT_FAILED
    ctx.print("")
    ctx.print(f"Result: {result.outcome}")
    ctx.print(f"  {result.summary}")
    if result.certificates_after:
        ctx.print("  Certificates Entra accepts now:")
        for cert in result.certificates_after:
            ctx.print(f"    {cert.describe()}")
    if result.op_id:
        before = result.before.id if result.before else "-"
        after = result.after.id if result.after else "-"
        ctx.print(f"  Journal entry {result.op_id}: snapshot before {before}, after {after}")
    if result.request_ids:
        ctx.print(f"  Graph request-ids: {', '.join(result.request_ids)}")
    impact = result.password_impact
    if impact is not None and impact.users:
        ctx.print(f"  {impact.users} user(s) now need a cloud password. Options:")
        for n, option in enumerate(impact.options, 1):
            ctx.print(f"    {n}. {option}")
    if result.way_back:
        ctx.print("Way back:")
        ctx.print(f"  {result.way_back}")
    if result.notes and result.ok:
        ctx.print("Notes:")
        for note in result.notes:
            ctx.print(f"  - {note}")
    return EXIT_OK if result.ok else EXIT_FAILED


def _read_metadata(source: str, entity: str | None) -> Any:
    """The metadata and the settings derived from it (unusable metadata: exit 2)."""
    from core.errors import InputError
    from core.preflight.run import read_metadata_input

    metadata = read_metadata_input(source, entity=entity)
    if metadata.error is not None:
        raise metadata.error
    if metadata.metadata is None or metadata.settings is None:
        raise InputError(f"The metadata {source} could not be read.")
    return metadata


# -- federate -------------------------------------------------------------------------------------

def handle_federate(args: argparse.Namespace, ctx: Context) -> int:
    from core.operations import federate
    from core.plan import DEFAULT_MFA_BEHAVIOR, DEFAULT_PROMPT_LOGIN_BEHAVIOR, PlanOptions
    from core.tenant import open_session

    options = PlanOptions(display_name=args.display_name,
                          federated_idp_mfa_behavior=args.mfa_behavior or DEFAULT_MFA_BEHAVIOR,
                          prompt_login_behavior=(args.prompt_login_behavior
                                                 or DEFAULT_PROMPT_LOGIN_BEHAVIOR))
    metadata = _read_metadata(args.metadata, args.entity)
    accepted = [a for a in (x.strip() for x in args.accept_warnings.split(",")) if a]
    with open_session(ctx) as session:
        _header(ctx, session, f"Federate {args.domain} with {metadata.metadata.entity_id}",
                args.json)
        op_ctx = _operation_context(session, ctx, args.json)
        preflight = _run_preflight(session, ctx, args, metadata, options, op_ctx)
        result = federate(op_ctx, args.domain, metadata.settings, confirm=args.confirm,
                          preflight=preflight, accept_warnings=accepted, options=options)
        return _report(ctx, result, args.json)


def _run_preflight(session: TenantSession, ctx: Context, args: argparse.Namespace,
                   metadata: Any, options: Any, op_ctx: Any) -> Any:
    """Run every preflight check for the domain and show the ones that need attention."""
    from core.operations.model import INFO, STARTED, STEP_PREFLIGHT
    from core.preflight.run import run_preflight

    op_ctx.emit(STEP_PREFLIGHT, STARTED, f"Running the preflight checks for {args.domain}")
    result = run_preflight(args.domain, metadata, client=session.client, paths=ctx.paths,
                           options=options, sandbox=session.sandbox is not None)
    for check in result.checks:
        if check.status in ("fail", "warn"):
            op_ctx.emit(STEP_PREFLIGHT, INFO,
                        f"{check.status.upper()} {check.id}: {check.found}"
                        + (f" Remedy: {check.remedy}" if check.remedy else ""))
    return result


# -- update-certificate ---------------------------------------------------------------------------

def handle_update_certificate(args: argparse.Namespace, ctx: Context) -> int:
    from core.operations import update_certificate
    from core.tenant import open_session

    metadata = _read_metadata(args.metadata, args.entity)
    md, settings = metadata.metadata, metadata.settings
    certificates = [c for c in (settings.next_signing_certificate, settings.signing_certificate)
                    if c]
    with open_session(ctx) as session:
        step = "Promote" if args.promote else "Stage"
        _header(ctx, session, f"{step} {md.entity_id}'s new certificate for {args.domain}",
                args.json)
        result = update_certificate(_operation_context(session, ctx, args.json), args.domain,
                                    certificates, confirm=args.confirm, promote=args.promote)
        return _report(ctx, result, args.json)


# -- revert / restore -----------------------------------------------------------------------------

def handle_revert(args: argparse.Namespace, ctx: Context) -> int:
    from core.operations import revert
    from core.tenant import open_session

    with open_session(ctx) as session:
        _header(ctx, session, f"Revert {args.domain} to managed sign-in", args.json)
        result = revert(_operation_context(session, ctx, args.json), args.domain,
                        confirm=args.confirm)
        return _report(ctx, result, args.json)


def handle_restore(args: argparse.Namespace, ctx: Context) -> int:
    from core.operations import restore
    from core.tenant import open_session

    with open_session(ctx) as session:
        _header(ctx, session, f"Restore snapshot {args.snapshot_id}", args.json)
        result = restore(_operation_context(session, ctx, args.json), args.snapshot_id,
                         confirm=args.confirm)
        return _report(ctx, result, args.json)


# -- history --------------------------------------------------------------------------------------

def handle_history(args: argparse.Namespace, ctx: Context) -> int:
    from core.journal import read_all

    contents = read_all(ctx.paths.journal_dir, domain=args.domain)
    if args.json:
        ctx.emit_json({"entries": [e.to_json() for e in contents.entries] if args.details else
                       [{k: v for k, v in e.to_json().items() if k != "records"}
                        for e in contents.entries],
                       "problems": [str(p) for p in contents.problems]})
        return EXIT_OK
    for problem in contents.problems:
        ctx.stderr.write(f"warning: journal: {problem}\n")
    if not contents.entries:
        where = f" for {args.domain}" if args.domain else ""
        ctx.print(f"No changes recorded{where} (journal: {ctx.paths.journal_dir}).")
        return EXIT_OK
    several_tenants = len({e.tenant for e in contents.entries}) > 1
    for entry in contents.entries:
        before = entry.snapshot_before
        after = entry.snapshot_after
        ctx.print(f"{entry.started_at}  {entry.op}  {entry.kind:<19} {entry.domain:<22} "
                  f"{entry.outcome}")
        where = f" in tenant {entry.tenant}" if several_tenants else ""
        ctx.print(f"    by {entry.who}{where}; {entry.summary}")
        snaps = f"snapshot before {before.id if before else '-'}"
        if before is not None:
            snaps += f" ({before.authentication_type})"
        if after is not None:
            snaps += f", after {after.id} ({after.authentication_type})"
        ctx.print(f"    {snaps}")
        sent = ", ".join(f"{r.get('method')} {r.get('path')}" for r in entry.requests)
        if sent:
            ctx.print(f"    sent: {sent}")
        if entry.request_ids:
            ctx.print(f"    request-ids: {', '.join(entry.request_ids)}")
        if entry.in_progress:
            ctx.print("    in progress: the process stopped mid-change; the next change or "
                      "`federator status` re-reads the domain and records the outcome")
        elif entry.way_back:
            ctx.print(f"    way back: {entry.way_back}")
        if args.details:
            for record in entry.records:
                ctx.print(f"      {record.get('at')} {record.get('type')}"
                          f" {record.get('step') or record.get('method') or ''}"
                          f" {record.get('path') or record.get('outcome') or ''}")
    return EXIT_OK


# -- status ---------------------------------------------------------------------------------------

def handle_status(args: argparse.Namespace, ctx: Context) -> int:
    from core.journal import JournalLockedError
    from core.operations import reconcile
    from core.status import StatusReader, describe_status, wait_until_agree
    from core.tenant import open_session

    with open_session(ctx) as session:
        op_ctx = _operation_context(session, ctx, args.json)
        # A killed change is reconciled at the next start, this one included; if another
        # Federator holds the lock, it reconciles by itself.
        if _has_open_entries(ctx, session):
            with suppress(JournalLockedError):
                reconcile(op_ctx)
        reader = StatusReader.for_session(session)
        try:
            status = reader.read(args.domain)
            if args.wait and not status.agree:
                if not args.json:
                    for line in describe_status(status):
                        ctx.print(line)
                    ctx.print("Waiting for sign-in to agree with Graph "
                              f"(up to {args.timeout:.0f} s):")
                status = wait_until_agree(lambda: reader.read(args.domain),
                                          timeout_s=args.timeout,
                                          on_event=_printer(ctx, args.json))
        finally:
            reader.close()
    if args.json:
        ctx.emit_json(status.to_json())
    else:
        if args.wait:
            ctx.print("")
        for line in describe_status(status):
            ctx.print(line)
    return EXIT_OK if (status.agree or not args.wait) else EXIT_FAILED


def _has_open_entries(ctx: Context, session: TenantSession) -> bool:
    from core.journal import Journal

    return any(e.in_progress for e in Journal(ctx.paths.journal_dir, session.tenant_id).entries())

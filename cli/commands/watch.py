"""``federator watch``: the health of every federated domain, built to be scheduled.

Read-only unless ``--fix`` (one existing journaled operation, after the typed confirmation) or
``--set-source`` (records where a domain's metadata comes from). Exit codes a scheduler or a
monitoring system can read: 0 healthy, 1 attention, 2 broken, 3 could not check (network,
sign-in: a run never opens a browser or waits for a device code; an expired sign-in is exit 3
with a sentence). The worst domain decides.
"""

from __future__ import annotations

import argparse
import logging
import sys
from typing import TYPE_CHECKING, Any

from cli.commands.common import EXIT_OK, Context
from core.errors import FederatorError

if TYPE_CHECKING:
    from core.health.model import DomainHealth, WatchReport
    from core.tenant import TenantSession

log = logging.getLogger(__name__)
EXIT_UNKNOWN = 3
_MARK = {"healthy": "OK  ", "attention": "WARN", "broken": "FAIL", "unknown": "??  ",
         "info": "info"}


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser(
        "watch", help="check every federated domain against its IdP's current metadata",
        description="Read the tenant's federated domains (read-only) and each IdP's current "
                    "metadata (--metadata, or the source Federator remembered), and report "
                    "certificate expiry, certificates the IdP publishes that the tenant lacks, "
                    "a rotated IdP, changed URLs or issuer, and realm discovery. Exit 0 healthy, "
                    "1 attention, 2 broken, 3 could not check; the worst domain decides. Never "
                    "prompts for a sign-in: safe to schedule.")
    which = p.add_mutually_exclusive_group()
    which.add_argument("--domain", help="watch this domain only")
    which.add_argument("--all", action="store_true", help="every federated domain (default)")
    p.add_argument("--metadata", metavar="SOURCE",
                   help="read the IdP's metadata from this file or https:// URL instead of the "
                        "remembered source")
    p.add_argument("--set-source", metavar="SOURCE",
                   help="with --domain: remember where the domain's IdP metadata comes from "
                        "(a file or https:// URL)")
    p.add_argument("--fix", action="store_true",
                   help="with --domain: apply the fix of the domain's most serious finding, "
                        "as the same journaled operation as update-certificate (plan, typed "
                        "confirmation, snapshot, read-back)")
    p.add_argument("--promote", action="store_true",
                   help="with --fix: the IdP now signs with the staged next certificate "
                        "(even if its metadata still lists both): promote it")
    p.add_argument("--confirm", metavar="DOMAIN",
                   help="with --fix: type the domain to confirm (asked for when omitted on a "
                        "terminal)")
    p.add_argument("--json", action="store_true", help="one JSON object on stdout")
    p.set_defaults(handler=handle_watch)


def handle_watch(args: argparse.Namespace, ctx: Context) -> int:
    from core.errors import InputError
    from core.preflight.run import normalize_domain

    if (args.set_source or args.fix) and not args.domain:
        raise InputError("--set-source and --fix need --domain.", code="needs_domain",
                         remedy="federator watch --domain DOMAIN --fix")
    if args.promote and not args.fix:
        raise InputError("--promote goes with --fix.", remedy="federator watch --domain DOMAIN "
                                                              "--fix --promote")
    if args.set_source and args.fix:
        raise InputError("Use --set-source and --fix one at a time.")
    if args.domain:
        args.domain = normalize_domain(args.domain)
    if args.set_source:
        return _set_source(args, ctx)
    try:
        session = _open(ctx)
    except FederatorError as exc:
        return _could_not_check(ctx, exc, args.json)
    with session:
        try:
            report = watch_session(session, ctx, only=args.domain, metadata=args.metadata)
        except FederatorError as exc:
            return _could_not_check(ctx, exc, args.json)
        except Exception as exc:  # a scheduler must read "could not check", not "attention"
            log.exception("the watch failed")
            return _could_not_check(ctx, FederatorError(
                f"an unexpected error ({type(exc).__name__}); details are in the log"),
                args.json)
        if args.fix:
            return _fix(args, ctx, session, report)
    _show(ctx, report, args.json)
    return report.exit_code


def _open(ctx: Context) -> TenantSession:
    from session import open_session

    return open_session(ctx)


def watch_session(session: TenantSession, ctx: Context, *, only: str | None,
                  metadata: str | None) -> WatchReport:
    from core.health.gather import watch_tenant
    from session import judgement_now, metadata_loader

    now = judgement_now(session)
    return watch_tenant(session, ctx.paths, now=now, load_metadata=metadata_loader(session, now),
                        only=only, metadata_override=metadata)


def _could_not_check(ctx: Context, exc: FederatorError, as_json: bool) -> int:
    line = exc.message.strip()
    if exc.remedy:
        line = f"{line.rstrip('.')}. {exc.remedy.strip()}"
    ctx.error(f"could not check: {line}")
    if as_json:
        ctx.emit_json({"domains": [], "worst": "unknown", "error": exc.to_json()})
    return EXIT_UNKNOWN


def describe_domain(health: DomainHealth) -> list[str]:
    """One line for the domain, then its findings (what the command prints)."""
    cert = health.signing_certificate
    days = (f"certificate {cert.days_left} days left" if cert and cert.days_left is not None
            else "no readable certificate" if cert else "")
    staged = ", next staged" if health.next_signing_certificate else ""
    idp = f", IdP {health.idp_entity_id or health.issuer}" if (health.idp_entity_id
                                                               or health.issuer) else ""
    head = f"{_MARK[health.state]} {health.domain:<24} {health.state:<9} {days}{staged}{idp}"
    lines = [head.rstrip()]
    for finding in health.findings:
        lines.append(f"     {_MARK.get(finding.severity, '    ')} {finding.id}: {finding.message}")
        if finding.remedy:
            lines.append(f"          {finding.remedy}")
    return lines


def _show(ctx: Context, report: WatchReport, as_json: bool) -> None:
    if as_json:
        ctx.emit_json(report.to_json())
        return
    if not report.domains:
        ctx.print("No federated domains to watch.")
    for health in report.domains:
        for line in describe_domain(health):
            ctx.print(line)
    ctx.print(f"Worst: {report.worst} (checked {report.checked_at})")


def _set_source(args: argparse.Namespace, ctx: Context) -> int:
    from core.health.sources import certificate_facts, check_source, remember_source

    source = check_source(args.set_source)
    try:
        session = _open(ctx)
    except FederatorError as exc:
        return _could_not_check(ctx, exc, args.json)
    with session:
        from session import judgement_now, metadata_loader

        metadata = metadata_loader(session, judgement_now(session))(source)
        entry = remember_source(ctx.paths, session.tenant_id, args.domain, source,
                                by="set-source", certificates=certificate_facts(metadata))
    if args.json:
        ctx.emit_json({"domain": args.domain, **entry.to_json()})
    else:
        ctx.print(f"Federator will read the IdP metadata of {args.domain} from {source} "
                  f"(IdP {metadata.entity_id}).")
    return EXIT_OK


def _fix(args: argparse.Namespace, ctx: Context, session: TenantSession,
         report: WatchReport) -> int:
    from cli.commands.changes import _operation_context, _report, enable_writes
    from core.health.fix import apply_fix, fix_for
    from core.operations import require_confirmation
    from session import judgement_now, metadata_loader

    health = report.domains[0]
    if not args.json:
        for line in describe_domain(health):
            ctx.print(line)
    fix = fix_for(health, promote=args.promote)
    if fix is None:
        if args.json:
            ctx.emit_json(report.to_json())
        elif health.fix is not None:
            ctx.print(f"The fix for {health.fix.id} is its own change: "
                      f"{health.fix.remedy}")
        else:
            ctx.print(f"Nothing Federator can fix for {args.domain}.")
        return report.exit_code
    if not args.json:
        ctx.print(f"Fix: {fix.describe()}")
    confirm = args.confirm if args.confirm is not None else _ask(ctx, args.domain)
    require_confirmation(args.domain, confirm)
    metadata = metadata_loader(session, judgement_now(session))(fix.source)
    enable_writes(ctx, session)
    from core.health.sources import journal_facts

    op_ctx = _operation_context(session, ctx, args.json, args)
    op_ctx.journal_extra.update(journal_facts(fix.source, metadata))
    result = apply_fix(op_ctx, fix, metadata, confirm=confirm)
    _remember(ctx, session.tenant_id, args.domain, fix.source, metadata, result)
    return _report(ctx, result, args.json)


def _remember(ctx: Context, tenant: str, domain: str, source: str | None, metadata: Any,
              result: Any) -> None:
    from core.health.sources import remember_after_change

    problem = remember_after_change(ctx.paths, tenant, domain, source, metadata, result)
    if problem:
        ctx.note(f"warning: {problem}")


def _ask(ctx: Context, domain: str) -> str:
    from core.errors import InputError

    if not sys.stdin.isatty():
        raise InputError("--fix changes the tenant: confirm by typing the domain.",
                         code="confirmation_required",
                         remedy=f"Add --confirm {domain}")
    ctx.stdout.write(f"Type {domain} to apply this change: ")
    ctx.stdout.flush()
    return sys.stdin.readline().strip()

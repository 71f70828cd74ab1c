"""``federator federate | update-certificate | revert | restore | history | status``.

The commands that change a tenant (and the two that show what happened): each prints the
operation's progress step by step, then the state the domain was left in and the way back.
Exit 0 on success, 1 when refused or failed (state and way back printed), 2 on unusable input.
"""

from __future__ import annotations

import argparse
import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from cli.commands.arguments import add_plan_options, add_sign_out_option, options_from
from cli.commands.common import EXIT_FAILED, EXIT_OK, Context, Handler
from core.errors import InputError
from core.progname import runnable
from core.textsafe import for_terminal

if TYPE_CHECKING:
    from core.operations import OperationEvent, OperationResult
    from core.tenant import TenantSession

_MARKS = {"started": "  ...", "ok": "  ok ", "warning": "  !! ", "failed": "  XX ", "info": "   - "}


def _change_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser], name: str,
                   help_text: str, description: str, *, metadata: str | None = None,
                   domain: bool = True) -> argparse.ArgumentParser:
    """A parser for a command that changes the tenant: the arguments they all share."""
    p = subparsers.add_parser(name, help=help_text, description=description)
    if metadata:
        p.add_argument("--metadata", required=True, metavar="SOURCE", help=metadata)
    if domain:
        p.add_argument("--domain", required=True, help="the domain to change")
    p.add_argument("--confirm", required=True, metavar="DOMAIN",
                   help="type the domain again to confirm the change")
    if metadata:
        p.add_argument("--entity", help="entity ID when the metadata holds several IdPs")
    p.add_argument("--json", action="store_true", help="one JSON object on stdout")
    return p


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = _change_parser(
        subparsers, "federate",
        "federate a domain with a SAML 2.0 IdP (snapshot, write, verify, journal)",
        "Federate DOMAIN with the IdP described by SOURCE. Refused while a preflight check "
        "fails; warnings must be accepted by id. A snapshot is journaled first, so "
        "`federator restore` can always put the domain back.",
        metadata="IdP metadata file or https:// URL")
    p.add_argument("--accept-warnings", metavar="IDS", default="",
                   help="comma-separated preflight warning ids you accept")
    _add_allow_replace(p)
    add_plan_options(p)
    add_sign_out_option(p)
    p.set_defaults(handler=_pasteable(handle_federate))

    p = _change_parser(
        subparsers, "update-certificate", "roll the IdP signing certificate without downtime",
        "Stage the IdP's new certificate as nextSigningCertificate (Entra then accepts old and "
        "new); once the IdP signs with it, run again with --promote.",
        metadata="the IdP's new metadata (file or https:// URL)")
    p.add_argument("--promote", action="store_true",
                   help="the IdP now signs with the new certificate: make it the signing one")
    p.set_defaults(handler=_pasteable(handle_update_certificate))

    p = _change_parser(
        subparsers, "revert", "put a domain back to managed (cloud password) sign-in",
        "PATCH the domain to Managed and verify its federation configuration is gone. Shows "
        "first how many users will need a cloud password.")
    p.set_defaults(handler=_pasteable(handle_revert))

    p = _change_parser(
        subparsers, "restore", "put a domain back as a journal snapshot recorded it",
        "Re-apply SNAPSHOT_ID from `federator history`: federated with the recorded settings, "
        "or managed. The domain is the snapshot's; type it for --confirm.", domain=False)
    p.add_argument("snapshot_id", metavar="SNAPSHOT_ID")
    p.add_argument("--force", action="store_true",
                   help="restore even though the domain was changed after the snapshot's "
                        "change (that later change is undone; it is named without --force)")
    _add_allow_replace(p)
    p.set_defaults(handler=_pasteable(handle_restore))

    p = subparsers.add_parser(
        "history", help="every change Federator made, with its snapshots and way back",
        description="Read the journal (works offline, without signing in).")
    p.add_argument("--domain")
    p.add_argument("--json", action="store_true", help="one JSON object on stdout")
    p.add_argument("--details", action="store_true", help="show every record of every entry")
    p.add_argument("--export", metavar="OP",
                   help="write the change record of operation OP (tenant, domain, who, when, "
                        "before and after, requests and request ids, verification, way back) "
                        "to --output, for a change ticket")
    p.add_argument("--output", metavar="FILE",
                   help="with --export: the file to write (.json for JSON, else HTML)")
    p.set_defaults(handler=_pasteable(handle_history))

    p = subparsers.add_parser(
        "status", help="Graph's view of a domain beside what sign-in (realm discovery) says",
        description="Compare Graph's authenticationType and configuration with home realm "
                    "discovery; --wait polls with backoff until they agree. Exit 0 when read "
                    "(even if sign-in has not caught up yet); with --wait, 1 if they still "
                    "disagree at the timeout. Like the commands that change a tenant, it first "
                    "re-reads and records any change a stopped Federator left unfinished.")
    p.add_argument("--domain", required=True)
    p.add_argument("--wait", action="store_true", help="poll until sign-in agrees with Graph")
    p.add_argument("--timeout", type=float, default=7200.0, metavar="S",
                   help="with --wait: give up after S seconds (default 7200)")
    p.add_argument("--json", action="store_true", help="one JSON object on stdout")
    p.set_defaults(handler=_pasteable(handle_status))


def _add_allow_replace(p: argparse.ArgumentParser) -> None:
    p.add_argument("--allow-replace", action="store_true",
                   help="if Graph keeps refusing to update the federation configuration, "
                        "replace it (delete, then re-create at once): the domain is Managed "
                        "in between, and stays Managed if the re-create fails")


# -- shared ---------------------------------------------------------------------------------------

def _print(ctx: Context, text: str = "") -> None:
    ctx.print(text)


def _pasteable(handler: Handler) -> Handler:
    """``handler``, with Ctrl+C answered with how to find out what an interrupted change did
    (the commands printed carry this run's global options: ``core.progname.run_options``)."""
    @functools.wraps(handler)
    def run(args: argparse.Namespace, ctx: Context) -> int:
        try:
            return handler(args, ctx)
        except KeyboardInterrupt:
            domain = getattr(args, "domain", None)
            look = (f"federator status --domain {domain}" if domain else "federator history")
            ctx.note("Interrupted. If a change had started, its journal entry stays open until "
                     f"`{look}` (or the next change) re-reads the domain and records what "
                     "became of it.")
            raise
    return run


def _printer(ctx: Context, as_json: bool) -> Any:
    def on_event(event: OperationEvent) -> None:
        lines = [runnable(f"{_MARKS.get(event.status, '   ')} {event.message}")]
        # Before a revert: the ways to give users a cloud password, numbered (REV-01).
        lines += [f"        {n}. {option}"
                  for n, option in enumerate(event.detail.get("options") or (), 1)]
        out = ctx.stderr if as_json else ctx.stdout
        # Like ctx.print: Federator's own line breaks kept, every other control made visible.
        out.write(for_terminal("\n".join(lines)) + "\n")
        out.flush()
    return on_event


def _operation_context(session: TenantSession, ctx: Context, as_json: bool,
                       args: argparse.Namespace | None = None) -> Any:
    from core.operations.runner import context_from_session
    from core.shellquote import command_line

    op_ctx = context_from_session(session, ctx.paths, _printer(ctx, as_json))
    words = getattr(args, "invocation", None)
    if words:  # a failed change that applied nothing names the same command to run again
        op_ctx.again = command_line(["federator", *words])
    return op_ctx


def _header(ctx: Context, session: TenantSession, title: str, as_json: bool) -> None:
    if as_json:
        return
    where = "sandbox tenant" if session.sandbox is not None else "tenant"
    _print(ctx, f"{title}  ({where} {session.tenant_id}, signed in as {session.account.upn})")


def _report(ctx: Context, result: OperationResult, as_json: bool) -> int:
    if result.journal_failed and result.before is not None:
        # The journal could not record the change: the snapshot must not depend on it alone.
        import json

        kept = (f"also kept in {result.rescue_file}" if result.rescue_file else
                "not saved to any file: copy it from here")
        ctx.stderr.write(f"The journal could not be written. The snapshot taken before the "
                         f"change ({kept}), in full:\n"
                         + json.dumps(result.before.to_json(), indent=2) + "\n")
        ctx.stderr.flush()
    if as_json:
        ctx.emit_json(result.to_json())
        return EXIT_OK if result.ok else EXIT_FAILED
    _print(ctx, "")
    _print(ctx, f"Result: {result.outcome}")
    _print(ctx, f"  {result.summary}")
    if result.certificates_after:
        _print(ctx, "  Certificates Entra accepts now:")
        for cert in result.certificates_after:
            _print(ctx, f"    {cert.describe()}")
    if result.op_id:
        before = result.before.id if result.before else "-"
        after = result.after.id if result.after else "-"
        _print(ctx, f"  Journal entry {result.op_id}: snapshot before {before}, after {after}")
    if result.request_ids:
        _print(ctx, f"  Graph request-ids: {', '.join(result.request_ids)}")
    impact = result.password_impact
    if impact is not None and impact.users and result.changed:
        _print(ctx, f"  {impact.users} user(s) now need a cloud password (the ways to give them "
                    "one are listed above).")
    if result.way_back:
        _print(ctx, "Way back:")
        _print(ctx, f"  {result.way_back}")
    if result.journal_problems:
        _print(ctx, "Journal:")
        for problem in result.journal_problems:
            _print(ctx, f"  !! {problem}")
    if result.notes and result.ok:
        _print(ctx, "Notes:")
        for note in result.notes:
            _print(ctx, f"  - {note}")
    if result.remaining:  # no way back works (half-federated): the options, numbered in order
        _print(ctx, "What remains:")
        for option in result.remaining:
            _print(ctx, f"  {option}")
    return EXIT_OK if result.ok else EXIT_FAILED


def _domain(text: str) -> str:
    """``--domain`` read as ``--confirm`` is (case, final dot, IDN), or exit 2 when it is not a
    domain name: the name Graph, the journal and the way back then all use."""
    from core.preflight.run import normalize_domain

    return normalize_domain(text)


# -- federate -------------------------------------------------------------------------------------

def handle_federate(args: argparse.Namespace, ctx: Context) -> int:
    from core.operations import federate, require_confirmation
    from core.preflight.run import require_metadata
    from session import open_session

    args.domain = _domain(args.domain)
    require_confirmation(args.domain, args.confirm)
    options = options_from(args)
    metadata = require_metadata(args.metadata, entity=args.entity,
                                sign_out_uri=args.sign_out_url)
    accepted = [a for a in (x.strip() for x in args.accept_warnings.split(",")) if a]
    with open_session(ctx) as session:
        _header(ctx, session, f"Federate {args.domain} with {metadata.metadata.entity_id}",
                args.json)
        # Before the preflight: its permission check then sees the token the change will use
        # (an admin who consents now passes it).
        enable_writes(ctx, session)
        op_ctx = _operation_context(session, ctx, args.json, args)
        preflight = _run_preflight(session, ctx, args, metadata, options, op_ctx)
        op_ctx.journal_extra.update(_metadata_facts(args.metadata, metadata.metadata))
        result = federate(op_ctx, args.domain, metadata.settings, confirm=args.confirm,
                          preflight=preflight, accept_warnings=accepted, options=options,
                          allow_replace=args.allow_replace)
        _remember_source(ctx, result, args.metadata, metadata.metadata)
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
        if check.status in ("fail", "warn", "unknown"):
            op_ctx.emit(STEP_PREFLIGHT, INFO,
                        f"{check.status.upper()} {check.id}: {check.found}"
                        + (f" Remedy: {check.remedy}" if check.remedy else ""))
    return result


# -- update-certificate ---------------------------------------------------------------------------

def handle_update_certificate(args: argparse.Namespace, ctx: Context) -> int:
    from core.operations import require_confirmation, update_certificate
    from core.preflight.run import require_metadata
    from core.settings import rollover_certificates

    args.domain = _domain(args.domain)
    require_confirmation(args.domain, args.confirm)
    metadata = require_metadata(args.metadata, entity=args.entity)
    md = metadata.metadata
    certificates = rollover_certificates(md)
    step = "Promote the IdP's new signing certificate" if args.promote else \
        "Stage the IdP's new signing certificate"

    def change(op_ctx: Any) -> OperationResult:
        op_ctx.journal_extra.update(_metadata_facts(args.metadata, md))
        result = update_certificate(op_ctx, args.domain, certificates, confirm=args.confirm,
                                    promote=args.promote, metadata_source=args.metadata)
        _remember_source(ctx, result, args.metadata, md)
        return result

    return run_change(ctx, args, f"{step} for {args.domain} (IdP {md.entity_id})", change)


def _metadata_facts(source: str, metadata: Any) -> dict[str, Any]:
    from core.health.sources import journal_facts

    return journal_facts(source, metadata)


def _remember_source(ctx: Context, result: OperationResult, source: str, metadata: Any) -> None:
    """The watch's memory of where this domain's metadata comes from (issue 16)."""
    from core.health.sources import remember_after_change

    problem = remember_after_change(ctx.paths, result.tenant, result.domain, source, metadata,
                                    result)
    if problem:
        ctx.note(f"warning: {problem}")


# -- revert / restore -----------------------------------------------------------------------------

def handle_revert(args: argparse.Namespace, ctx: Context) -> int:
    from core.operations import require_confirmation, revert

    args.domain = _domain(args.domain)
    require_confirmation(args.domain, args.confirm)
    return run_change(ctx, args, f"Revert {args.domain} to managed sign-in",
                       lambda op_ctx: revert(op_ctx, args.domain, confirm=args.confirm))


def handle_restore(args: argparse.Namespace, ctx: Context) -> int:
    from core.journal import find_snapshot
    from core.operations import require_confirmation, restore

    # Both checks read only the local journal: a wrong id or domain costs no sign-in.
    snapshot, _ = find_snapshot(ctx.paths.journal_dir, args.snapshot_id)
    require_confirmation(snapshot.domain_name, args.confirm)
    return run_change(ctx, args, f"Restore {snapshot.domain_name} as snapshot {snapshot.id} "
                                  f"recorded it ({snapshot.taken_at})",
                       lambda op_ctx: restore(op_ctx, snapshot.id, confirm=args.confirm,
                                              force=args.force,
                                              allow_replace=args.allow_replace))


def run_change(ctx: Context, args: argparse.Namespace, title: str,
               change: Callable[[Any], OperationResult], *,
               session_options: Any = None) -> int:
    """Sign in, show what is being done, run ``change`` (given an ``OperationContext`` that
    prints progress) and print its result, state left and way back; the exit code.

    For every command that changes the tenant (``make-default`` too: pass its
    ``SessionOptions``); ``args.json`` selects JSON output."""
    from session import open_session

    with open_session(session_options or ctx) as session:
        _header(ctx, session, title, args.json)
        enable_writes(ctx, session)
        return _report(ctx, change(_operation_context(session, ctx, args.json, args)),
                       args.json)


def enable_writes(ctx: Context, session: TenantSession) -> None:
    """Least privilege: the permission to change federation is asked for here, at the change,
    not at sign-in; when it is not consented yet, a device-code sign-in lets the admin consent."""
    from core.auth import READ_PERMISSIONS

    def consent(auth: Any, scopes: list[str]) -> None:
        names = [s.rsplit("/", 1)[-1] for s in scopes]
        ctx.stderr.write("This change needs a permission Federator's sign-in does not hold yet: "
                         + ", ".join(n for n in names if n not in READ_PERMISSIONS)
                         + ". Sign in again to consent to it.\n")

        def show(flow: Any) -> None:
            ctx.stderr.write(flow.message + "\n")
            ctx.stderr.flush()

        auth.sign_in_device_code(show, scopes=scopes)

    session.enable_writes(consent)


# -- history --------------------------------------------------------------------------------------

def handle_history(args: argparse.Namespace, ctx: Context) -> int:
    from core.journal_index import read_history

    if args.domain:
        args.domain = _domain(args.domain)
    if args.export:
        from core.change_record import export_change, find_entry

        if not args.output:
            raise InputError("--export needs --output FILE.", code="bad_option",
                             remedy="Give the file to write: .json for JSON, else HTML.")
        written = export_change(find_entry(ctx.paths.journal_dir, args.export), args.output)
        ctx.print(f"Change record written to {written}")
        return EXIT_OK
    # Through the index: a line per change without parsing every record (``--details`` reads
    # the records it shows).
    contents = read_history(ctx.paths.journal_dir, domain=args.domain)
    if args.json:
        ctx.emit_json({"entries": [e.to_json(records=args.details) for e in contents.entries],
                       "problems": [str(p) for p in contents.problems]})
        return EXIT_OK
    shown: list[str] = []

    # This command prints thousands of lines: one write at the end.
    def _print(_ctx: Context, text: str = "") -> None:
        shown.append(text)

    for problem in contents.problems:
        ctx.note(f"warning: journal: {problem}")
    if not contents.entries:
        where = f" for {args.domain}" if args.domain else ""
        ctx.print(f"No changes recorded{where} (journal: {ctx.paths.journal_dir}).")
        return EXIT_OK
    several_tenants = len({e.tenant for e in contents.entries}) > 1
    for entry in contents.entries:
        before = entry.before_ref
        after = entry.after_ref
        _print(ctx, f"{entry.started_at}  {entry.op}  {entry.kind:<19} {entry.domain:<22} "
                  f"{entry.outcome}")
        where = f" in tenant {entry.tenant}" if several_tenants else ""
        _print(ctx, f"    by {entry.who}{where}; {entry.summary}")
        snaps = f"snapshot before {before[0] if before else '-'}"
        if before is not None:
            snaps += f" ({before[1]})"
        if after is not None:
            snaps += f", after {after[0]} ({after[1]})"
        _print(ctx, f"    {snaps}")
        sent = ", ".join(f"{r.get('method')} {r.get('path')}" for r in entry.sent)
        if sent:
            _print(ctx, f"    sent: {sent}")
        if entry.request_ids:
            _print(ctx, f"    request-ids: {', '.join(entry.request_ids)}")
        if entry.in_progress:
            _print(ctx, "    unfinished: not verified (the Federator making it stopped, or "
                        "could not prove what its write did); this reads the domain and "
                        "records what it finds:")
            _print(ctx, f"      federator status --domain {entry.domain}")
        elif entry.way_back:
            _print(ctx, f"    way back: {entry.way_back}")
        remaining = (entry.end or {}).get("remaining_options")
        if isinstance(remaining, list) and remaining:  # no way back works: what remains
            _print(ctx, "    what remains, in order:")
            for option in remaining:
                _print(ctx, f"      {option}")
        if args.details:
            for record in entry.records:
                _print(ctx, f"      {record.get('at')} {record.get('type')}"
                          f" {record.get('step') or record.get('method') or ''}"
                          f" {record.get('path') or record.get('outcome') or ''}")
    ctx.print("\n".join(shown))
    return EXIT_OK


# -- status ---------------------------------------------------------------------------------------

def handle_status(args: argparse.Namespace, ctx: Context) -> int:
    from core.status import StatusReader, describe_status, wait_until_agree
    from session import open_session

    args.domain = _domain(args.domain)
    with open_session(ctx) as session:
        reconciled = _reconcile_at_start(ctx, session, args.json)
        reader = StatusReader.for_session(session)
        try:
            status = reader.read(args.domain)
            if args.wait and not status.agree:
                if not args.json:
                    for line in describe_status(status):
                        _print(ctx, line)
                    _print(ctx, "Waiting for sign-in to agree with Graph "
                              f"(up to {args.timeout:.0f} s):")
                status = wait_until_agree(lambda: reader.read(args.domain),
                                          timeout_s=args.timeout,
                                          on_event=_printer(ctx, args.json))
        finally:
            reader.close()
    if args.json:
        ctx.emit_json({**status.to_json(), "reconciled": [r.to_json() for r in reconciled]})
    else:
        if args.wait:
            _print(ctx, "")
        for line in describe_status(status):
            _print(ctx, line)
        if not status.agree and not args.wait and not status.realm.error:
            _print(ctx, f"  To wait for it: federator status --domain {args.domain} --wait")
    return EXIT_OK if (status.agree or not args.wait) else EXIT_FAILED


def _reconcile_at_start(ctx: Context, session: TenantSession, as_json: bool) -> list[Any]:
    """Close the journal entries a killed Federator left open (issue 5: "reconciled at the next
    start"), saying so: which change, what became of it, and its way back."""
    from core.journal import JournalLockedError
    from core.operations import reconcile

    if not _has_open_entries(ctx, session):
        return []
    if not as_json:
        _print(ctx, "The journal has a change that did not finish; re-reading the tenant to "
                    "record what became of it:")
    try:
        results = reconcile(_operation_context(session, ctx, as_json))
    except JournalLockedError:
        if not as_json:
            _print(ctx, "  Another Federator is making that change right now; it records the "
                        "outcome itself.")
        return []
    if not as_json:
        for result in results:
            if result.way_back:
                _print(ctx, f"  Way back for {result.op}: {result.way_back}")
        _print(ctx, "")
    return results


def _has_open_entries(ctx: Context, session: TenantSession) -> bool:
    from core.operations.startup import open_entries

    return bool(open_entries(ctx.paths.journal_dir, session.tenant_id))

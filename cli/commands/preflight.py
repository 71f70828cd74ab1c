"""``federator preflight`` and ``federator plan``: know everything before changing anything, and
see the exact change (reads only; ``make-default``, the one fix Federator makes itself, is in
``cli.commands.make_default``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import textwrap
from typing import TYPE_CHECKING

from cli.commands.arguments import add_plan_options, add_sign_out_option, options_from
from cli.commands.common import EXIT_FAILED, EXIT_OK, Context
from core.errors import InputError

if TYPE_CHECKING:
    from core.preflight.model import CheckResult, PreflightResult

WIDTH = 100
MAX_ITEMS_SHOWN = 12


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser(
        "preflight", help="check everything before federating a domain (reads only)",
        description="Read the IdP metadata and the tenant, and check every known cause of a "
                    "failed or dangerous federation. Changes nothing. Exit 0 when no check "
                    "fails, 1 when one does, 2 when the input cannot be used.")
    p.add_argument("--metadata", required=True, metavar="SOURCE",
                   help="IdP metadata file or https:// URL")
    p.add_argument("--domain", required=True, help="the domain to federate")
    p.add_argument("--entity", help="entity ID when the metadata holds several IdPs")
    add_sign_out_option(p)
    p.add_argument("--report", metavar="FILE.html",
                   help="also write a self-contained HTML report (for a change ticket); "
                        "a name ending in .json writes the JSON instead")
    add_plan_options(p)
    p.add_argument("--json", action="store_true", help="one JSON object on stdout")
    p.set_defaults(handler=handle_preflight)

    p = subparsers.add_parser(
        "plan", help="show the exact change: values, Graph requests, PowerShell (reads only)",
        description="Current and new value of every federation property, the HTTP requests "
                    "Federator would send and the equivalent Microsoft Graph PowerShell.")
    p.add_argument("--metadata", required=True, metavar="SOURCE",
                   help="IdP metadata file or https:// URL")
    p.add_argument("--domain", required=True, help="the domain to federate")
    p.add_argument("--entity", help="entity ID when the metadata holds several IdPs")
    add_sign_out_option(p)
    add_plan_options(p)
    p.add_argument("--json", action="store_true", help="one JSON object on stdout")
    p.set_defaults(handler=handle_plan)


def _quote(value: str) -> str:
    """A command-line argument as an admin can paste it into this machine's shell."""
    from core.shellquote import quote_for_shell

    return quote_for_shell(value)


def same_inputs(args: argparse.Namespace, domain: str) -> str:
    """``--metadata ... --domain ...`` plus every option given: to suggest the next command."""
    parts = ["--metadata", _quote(args.metadata), "--domain", _quote(domain)]
    for flag, value in (("--entity", args.entity), ("--display-name", args.display_name),
                        ("--mfa-behavior", args.mfa_behavior),
                        ("--prompt-login-behavior", args.prompt_login_behavior)):
        if value:
            parts += [flag, _quote(value)]
    return " ".join(parts)


# -- preflight ------------------------------------------------------------------------------

def handle_preflight(args: argparse.Namespace, ctx: Context) -> int:
    from core.preflight.run import normalize_domain, require_metadata, run_preflight
    from session import open_session

    domain = normalize_domain(args.domain)
    options = options_from(args)
    if args.report:  # refuse an unwritable report path before reading anything
        from core.report import check_report_path

        check_report_path(args.report)
    metadata = require_metadata(args.metadata, entity=args.entity,
                                sign_out_uri=args.sign_out_url)
    with open_session(ctx) as session:
        result = run_preflight(domain, metadata, client=session.client, paths=ctx.paths,
                               options=options, sandbox=session.is_sandbox)
        graph_url = session.client.graph_url
    report_path = None
    if args.report:
        from core.report import write_html_report, write_json_report

        if args.report.lower().endswith(".json"):
            report_path = write_json_report(result, args.report)
        else:  # a sandbox's loopback address means nothing in a change ticket: show Graph's
            report_path = write_html_report(
                result, args.report, graph_url=None if result.sandbox else graph_url)
    if args.json:
        from core.report import report_json

        body = report_json(result)
        if report_path is not None:
            body["report"] = str(report_path)
        ctx.emit_json(body)
    else:
        # The commands it suggests (plan, make-default) carry this run's --home/--sandbox/--as
        # (core.progname.run_options).
        ctx.print(format_result(result, graph_url=graph_url, metadata_arg=args.metadata,
                                plan_args=same_inputs(args, result.domain)))
        if report_path is not None:
            ctx.print(f"Report written to {report_path}")
    return EXIT_OK if result.ok else EXIT_FAILED


def _wrap(text: str, indent: str) -> list[str]:
    lines: list[str] = []
    for para in text.splitlines() or [""]:
        lines += textwrap.wrap(para, WIDTH, initial_indent=indent, subsequent_indent=indent,
                               break_on_hyphens=False, break_long_words=False) or [indent]
    return lines


def format_check(c: CheckResult) -> list[str]:
    """One check as plain text: marker, title and id; then what, why and what to do."""
    from core.preflight.model import STATUS_MARKERS

    marker = STATUS_MARKERS[c.status].ljust(8)
    lines = [f"{marker} {c.title}  ({c.id})"]
    pad = " " * 9
    lines += _wrap(c.found, pad)
    if c.items:
        shown = list(c.items[:MAX_ITEMS_SHOWN])
        for item in shown:
            wrapped = _wrap(item, pad + "    ")
            wrapped[0] = pad + "  - " + wrapped[0][len(pad) + 4:]
            lines += wrapped
        if len(c.items) > len(shown):
            lines.append(f"{pad}  ... and {len(c.items) - len(shown)} more (see --json or "
                         "--report)")
    if c.status not in ("pass", "skipped"):
        lines += _wrap("Why it matters: " + c.why, pad)
    if c.remedy and c.status not in ("pass", "skipped"):
        head, _, rest = c.remedy.partition("\n")
        lines += _wrap("What to do: " + head, pad)
        lines += [pad + "    " + ln for ln in rest.splitlines()]
    if c.action is not None and c.action.command not in (c.remedy or ""):
        lines.append(f"{pad}Federator can do it: {c.action.command}")
    return lines


def format_result(result: PreflightResult, *, graph_url: str, metadata_arg: str,
                  plan_args: str | None = None) -> str:
    """The whole preflight as plain, readable text for a terminal. ``plan_args`` are the
    arguments to suggest for ``federator plan`` (default: the metadata and the domain)."""
    when = result.started_at.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    tenant = (result.tenant_name or "(not read)") + (f" ({result.tenant_id})"
                                                     if result.tenant_id else "")
    if result.sandbox:
        tenant += "  [sandbox tenant, demo mode]"
    out = [f"Preflight: federating {result.domain}", "",
           f"  Tenant:        {tenant}",
           f"  Signed in as:  {result.signed_in_as or '(unknown)'}",
           f"  IdP metadata:  {result.metadata_source}"
           + (f" (entity {result.entity_id})" if result.entity_id else ""),
           f"  Checked:       {when}, {result.round_trips} Graph round "
           f"trip{'s' * (result.round_trips != 1)}, "
           f"{result.elapsed_s:.2f} s", ""]
    for c in result.checks:
        out += format_check(c)
        out.append("")
    counts = result.summary()
    from core.preflight.checks import plural

    tally = (f"{counts['fail']} failed, {plural(counts['warn'], 'warning')}, "
             + (f"{counts['unknown']} not read, " if counts['unknown'] else "")
             + f"{counts['manual']} to check by hand, {counts['pass']} passed, "
             f"{counts['skipped']} skipped")
    if result.ok:
        out += _wrap(f"Result: READY, no check failed ({tally}). Read the warnings and the "
                     "checks to do by hand before you federate.", "")
        to_read = [c.id for c in result.checks if c.status in ("warn", "unknown", "manual")]
        if to_read:
            out += _wrap("To read: " + ", ".join(to_read) + ".", "")
        unread = [c.id for c in result.checks if c.status == "unknown"]
        if unread:
            out += _wrap("Federator could not read what " + ", ".join(unread) + " need"
                         + "s" * (len(unread) == 1) + " (see above): federating needs them "
                         "accepted like warnings, with --accept-warnings.", "")
    else:
        failed = ", ".join(c.id for c in result.failed)
        out += _wrap(f"Result: NOT READY ({tally}). Fix {failed} first. Nothing was changed.",
                     "")
    out.append("")
    if result.plan is not None:
        plan = result.plan
        if plan.is_noop:
            out.append("The change: none, the domain already has these settings.")
        for r in plan.requests:
            values = [k for k in (r.body or {}) if not k.startswith("@")]
            out.append(f"The change: {r.method} {r.url(graph_url)} with "
                       f"{len(values)} properties.")
        plan_args = plan_args or (f"--metadata {_quote(metadata_arg)} "
                                  f"--domain {_quote(result.domain)}")
        out.append(f"See every value and the PowerShell equivalent: federator plan {plan_args}")
    elif result.plan_error:
        out.append(result.plan_error)
    # One value, one line: a newline inside a value from outside is shown, not obeyed.
    from core.textsafe import one_line

    return "\n".join(one_line(line) for line in out)


# -- plan -----------------------------------------------------------------------------------

def handle_plan(args: argparse.Namespace, ctx: Context) -> int:
    from core.graph import api
    from core.graph.errors import NotFoundError
    from core.plan import DomainState, build_plan, format_plan
    from core.preflight.run import normalize_domain, require_metadata
    from session import open_session

    domain = normalize_domain(args.domain)
    options = options_from(args)
    metadata = require_metadata(args.metadata, entity=args.entity,
                                sign_out_uri=args.sign_out_url)
    with open_session(ctx) as session:
        try:
            dom = api.get_domain(session.client, domain)
        except NotFoundError:
            raise InputError(f"{domain} is not a domain of this tenant.", code="domain_not_found",
                             remedy="Check the spelling (federator domains lists them).") from None
        config = (api.find_federation_configuration(session.client, domain)
                  if str(dom.get("authenticationType", "")).lower() == "federated" else None)
        plan = build_plan(domain, metadata.settings, DomainState.from_graph(dict(dom), config),
                          options)
        graph_url = session.client.graph_url
    if args.json:
        ctx.emit_json(plan.to_json())
    else:
        ctx.print(format_plan(plan, graph_url=graph_url))
        ctx.print("")
        ctx.print(f"Nothing was changed. Check it first: federator preflight "
                  f"{same_inputs(args, domain)}")
    return EXIT_OK

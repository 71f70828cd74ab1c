"""``federator make-default``: the remedy for preflight's ``domain.not_default`` (the default domain
cannot be federated), a tenant change like the others (``cli.commands.changes.run_change``).
"""

from __future__ import annotations

import argparse
from dataclasses import replace

from cli.commands.common import Context


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser(
        "make-default", help="make a verified managed domain the tenant's default domain",
        description="The remedy for preflight's domain.not_default: the default domain cannot be "
                    "federated, so make another one (usually the .onmicrosoft.com domain) the "
                    "default first. Only the suffix offered for new users changes.")
    p.add_argument("domain", metavar="DOMAIN", help="the domain to make the default")
    p.add_argument("--confirm", required=True, metavar="DOMAIN",
                   help="type the domain again to confirm the change")
    p.add_argument("--json", action="store_true", help="one JSON object on stdout")
    p.set_defaults(handler=handle_make_default)


def handle_make_default(args: argparse.Namespace, ctx: Context) -> int:
    """A tenant change like any other: confirmed, snapshotted, verified and journaled."""
    from cli.commands.changes import run_change
    from core.operations import make_default, require_confirmation
    from core.preflight.remedies import MAKE_DEFAULT_EXTRA_SCOPES
    from core.preflight.run import normalize_domain
    from core.tenant import SessionOptions

    domain = normalize_domain(args.domain)
    require_confirmation(domain, args.confirm)
    # The sandbox consents to Domain.ReadWrite.All for this one action (as an admin would when
    # asked); with a real tenant make_default checks the token and explains how to get it.
    options = replace(SessionOptions.from_context(ctx), extra_scopes=MAKE_DEFAULT_EXTRA_SCOPES)
    return run_change(ctx, args, f"Make {domain} the default domain",
                      lambda op: make_default(op, domain, confirm=args.confirm),
                      session_options=options)

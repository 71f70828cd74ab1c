"""``federator inspect``: read IdP metadata and show what it says."""

from __future__ import annotations

import argparse

from core.commands.common import Context


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser("inspect", help="read IdP metadata and show what Graph will receive")
    p.add_argument("source", help="metadata file path or https:// URL")
    p.add_argument("--entity", help="entity ID to use when the file holds several IdPs")
    p.add_argument("--json", action="store_true", help="one JSON object on stdout")
    p.set_defaults(handler=handle)


def handle(args: argparse.Namespace, ctx: Context) -> int:
    ctx.error("inspect is not implemented yet")
    return 2

"""``federator signin``, ``signout``, ``whoami``, ``domains``: who we are and what the tenant has.

All four go through ``core.tenant`` (the one seam to a tenant), so ``--sandbox`` / ``--as UPN`` and
the ``FEDERATOR_SANDBOX_*`` fault variables work for them like for every other command.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from cli.commands.common import EXIT_OK, Context


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser(
        "signin", help="sign in to your tenant (device code by default; --browser for a browser)",
        description="Sign in to a Microsoft 365 tenant and remember the app, tenant and cloud. "
                    "See the README, 'Signing in to your tenant', for the app registration.")
    p.add_argument("--client-id", metavar="ID",
                   help="application (client) ID of your app registration (or Microsoft Graph "
                        "Command Line Tools' 14d82eec-204b-4c2f-b7e8-296a70dab67e)")
    p.add_argument("--tenant", metavar="TENANT",
                   help="tenant ID or a verified domain (default: organizations)")
    p.add_argument("--cloud", choices=["global", "usgov", "usgovdod", "china"],
                   help="Microsoft cloud the tenant lives in (default: global)")
    how = p.add_mutually_exclusive_group()
    how.add_argument("--browser", action="store_true",
                     help="sign in with the system browser (or the Windows broker)")
    how.add_argument("--device-code", action="store_true",
                     help="sign in with a code entered on any device (the default)")
    broker = p.add_mutually_exclusive_group()
    broker.add_argument("--no-broker", dest="broker", action="store_false", default=None,
                        help="never use the Windows sign-in broker (Web Account Manager): the "
                             "browser instead; remembered in settings.json (use_broker)")
    broker.add_argument("--broker", dest="broker", action="store_true",
                        help="use the Windows sign-in broker again where available (the default)")
    p.add_argument("--legacy-scopes", action="store_true",
                   help="ask for Directory.AccessAsUser.All instead of "
                        "Domain-InternalFederation.ReadWrite.All (older tenants)")
    p.add_argument("--graph-url", metavar="URL",
                   help="custom Graph root instead of the cloud's, e.g. a sandbox from "
                        "'federator sandbox serve' (with --login-url and --ca-bundle)")
    p.add_argument("--login-url", metavar="URL", help="custom login root (with --graph-url)")
    p.add_argument("--ca-bundle", metavar="PEM", help="CA bundle that custom endpoints use")
    p.add_argument("--json", action="store_true", help="one JSON object on stdout")
    p.set_defaults(handler=handle_signin)

    p = subparsers.add_parser("signout", help="sign out and remove the cached tokens")
    p.add_argument("--json", action="store_true", help="one JSON object on stdout")
    p.set_defaults(handler=handle_signout)

    p = subparsers.add_parser("whoami", help="show the signed-in account, tenant and roles")
    p.add_argument("--json", action="store_true", help="one JSON object on stdout")
    p.set_defaults(handler=handle_whoami)

    p = subparsers.add_parser("domains", help="list the tenant's domains and how they sign in")
    p.add_argument("--json", action="store_true", help="one JSON object on stdout")
    p.set_defaults(handler=handle_domains)


def _note_default_sandbox(ctx: Context) -> None:
    ctx.stderr.write("note: no tenant is configured, so this is the sandbox tenant (demo mode); "
                     "to use your own: federator signin --client-id ID --tenant TENANT\n")


# -- signin / signout ---------------------------------------------------------------------------

def handle_signin(args: argparse.Namespace, ctx: Context) -> int:
    from core.auth import SignInRequiredError
    from core.config import (
        choose_cloud,
        load_tenant_config,
        save_tenant_config,
        set_custom_endpoints,
    )
    from core.errors import InputError
    from core.tenant import build_authenticator
    from session import open_session

    if ctx.sandbox:
        with open_session(ctx) as session:
            return _report_signed_in(ctx, args, session.account.upn, session.tenant_id,
                                     sandbox=True)
    config = load_tenant_config(ctx.paths)
    if args.client_id:
        config.client_id = args.client_id.strip()
    if args.tenant:
        config.tenant = args.tenant.strip()
    if args.cloud:
        choose_cloud(config, args.cloud)
    if args.graph_url or args.login_url or args.ca_bundle:
        if not (args.graph_url and args.login_url):
            raise InputError("--graph-url and --login-url go together.", code="bad_endpoint")
        set_custom_endpoints(config, args.graph_url, args.login_url,
                             str(Path(args.ca_bundle).resolve()) if args.ca_bundle else None)
    if args.legacy_scopes:
        config.legacy_scopes = True
    if getattr(args, "broker", None) is not None:
        config.use_broker = bool(args.broker)
    if not config.client_id:
        raise InputError(
            "No application (client) ID is configured.",
            code="no_client_id",
            remedy="Register an app in your tenant (README, 'Signing in to your tenant') and run "
                   "federator signin --client-id ID --tenant TENANT (ID: its application ID; "
                   "TENANT: your tenant's ID or domain). Or use Microsoft Graph Command Line "
                   "Tools: --client-id 14d82eec-204b-4c2f-b7e8-296a70dab67e.")
    auth, protection = build_authenticator(ctx.paths, config)
    if protection.warning:
        ctx.note(f"warning: {protection.warning}")
    if args.browser:
        account = auth.sign_in_interactive()
        if auth.broker_note:
            ctx.note(f"note: {auth.broker_note}")
    else:
        def show(flow: Any) -> None:
            ctx.note(flow.message)
            ctx.stderr.flush()
        account = auth.sign_in_device_code(show)
    save_tenant_config(ctx.paths, config)
    try:  # prove the cache serves it back (a broken keyring would fail here, not later)
        auth.acquire_token(upn=account.upn)
    except SignInRequiredError:
        ctx.stderr.write("warning: the sign-in worked but the token cache did not keep it\n")
    return _report_signed_in(ctx, args, account.upn, account.tenant_id or "", sandbox=False)


def _report_signed_in(ctx: Context, args: argparse.Namespace, upn: str, tenant_id: str, *,
                      sandbox: bool) -> int:
    if args.json:
        ctx.emit_json({"signed_in": True, "upn": upn, "tenant_id": tenant_id, "sandbox": sandbox})
    elif sandbox:
        ctx.print(f"Sandbox tenant: signed in as {upn} (sandbox sessions sign in by themselves; "
                  "--as UPN picks another seed user).")
    else:
        ctx.print(f"Signed in as {upn} (tenant {tenant_id}).")
    return EXIT_OK


def handle_signout(args: argparse.Namespace, ctx: Context) -> int:
    from core.config import load_tenant_config
    from core.tenant import build_authenticator

    removed: list[str] = []
    config = load_tenant_config(ctx.paths)
    if not ctx.sandbox and config.configured:
        auth, _ = build_authenticator(ctx.paths, config)
        removed = auth.sign_out()
    on_sandbox = ctx.sandbox or not config.configured
    if args.json:
        ctx.emit_json({"signed_out": removed, "sandbox": on_sandbox})
    elif on_sandbox:
        ctx.print("The sandbox tenant keeps no sign-in; nothing to sign out.")
    elif removed:
        ctx.print(f"Signed out {', '.join(removed)}; their cached tokens are removed.")
    else:
        ctx.print("Nobody was signed in.")
    return EXIT_OK


# -- whoami -------------------------------------------------------------------------------------

def handle_whoami(args: argparse.Namespace, ctx: Context) -> int:
    from core.tenant import describe_connection
    from session import open_session

    with open_session(ctx) as session:
        if session.sandbox_is_default:
            _note_default_sandbox(ctx)
        connection = describe_connection(session)
        cloud_title = session.cloud.title
    tenant_name, roles = connection.tenant_name, list(connection.roles)
    info = {
        "upn": connection.upn,
        "display_name": connection.display_name,
        "object_id": connection.object_id,
        "tenant_id": connection.tenant_id,
        "tenant_name": tenant_name,
        "roles": roles,
        "cloud": connection.cloud,
        "sandbox": connection.sandbox,
    }
    if args.json:
        ctx.emit_json(info)
        return EXIT_OK
    who = str(info["upn"])
    if info["display_name"]:
        who = f"{info['display_name']} <{who}>"
    ctx.print(f"Signed in as  {who}")
    suffix = " [sandbox]" if info["sandbox"] else ""
    ctx.print(f"Tenant        {tenant_name} ({info['tenant_id']}){suffix}")
    ctx.print(f"Roles         {', '.join(roles) if roles else '(no directory role)'}")
    if not info["sandbox"]:
        ctx.print(f"Cloud         {cloud_title}")
    return EXIT_OK


# -- domains ------------------------------------------------------------------------------------

UNREADABLE = "(your role cannot read it)"


def domain_rows(session: Any) -> tuple[str, list[dict[str, Any]]]:
    """(tenant name, one row per domain) for the table and ``--json``."""
    from core.domains import federation_blocker, read_domains

    tenant_name, domains = read_domains(session.client, fallback_name=session.tenant_id)
    rows = []
    for d in domains:
        rows.append({
            "name": str(d.get("id")),
            "verified": bool(d.get("isVerified")),
            "default": bool(d.get("isDefault")),
            "initial": bool(d.get("isInitial")),
            "root": bool(d.get("isRoot")),
            "authenticationType": d.get("authenticationType"),
            "issuerUri": d.get("issuerUri"),
            # Why it cannot be federated as it is (None: nothing in the list stops it).
            "cannotFederate": federation_blocker(d, domains),
        })
        for key in ("issuerUriUnreadable", "inheritsFrom"):
            if key in d:
                rows[-1][key] = d[key]
    return tenant_name, rows


def format_table(headers: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h)
              for i, h in enumerate(headers)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
              for r in rows]
    return lines


def handle_domains(args: argparse.Namespace, ctx: Context) -> int:
    from session import open_session

    with open_session(ctx) as session:
        if session.sandbox_is_default:
            _note_default_sandbox(ctx)
        tenant_name, rows = domain_rows(session)
        tenant_id, is_sandbox = session.tenant_id, session.is_sandbox
    if args.json:
        ctx.emit_json({"tenant_id": tenant_id, "tenant_name": tenant_name,
                       "sandbox": is_sandbox, "domains": rows})
        return EXIT_OK

    def yn(value: bool) -> str:
        return "yes" if value else "no"

    table = []
    for r in rows:
        issuer = r["issuerUri"] or ""
        if r.get("issuerUriUnreadable"):
            issuer = UNREADABLE
        elif r.get("inheritsFrom"):
            issuer = f"(follows {r['inheritsFrom']}) {issuer}".rstrip()
        elif r["authenticationType"] == "Federated" and not r["issuerUri"]:
            issuer = "(no readable federation configuration)"
        table.append([r["name"], yn(r["verified"]), yn(r["default"]), yn(r["initial"]),
                      yn(r["root"]), str(r["authenticationType"] or "?"), issuer])
    ctx.print(f"{tenant_name} ({tenant_id}){' [sandbox]' if is_sandbox else ''}")
    ctx.print()
    for line in format_table(["DOMAIN", "VERIFIED", "DEFAULT", "INITIAL", "ROOT",
                              "AUTHENTICATION", "ISSUER URI"], table):
        ctx.print(line)
    return EXIT_OK

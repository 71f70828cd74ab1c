"""``federator sandbox serve|reset``: run the sandbox tenant for scripts and curl, or reset it.

``serve`` prints one JSON line ``{"graph_url", "login_url", "ca_bundle", "token", "tenant_id",
"control_key_file"}`` (the token is a ready bearer token for ops@contoso.com; the key file, 0600,
holds the credential the ``/sandbox/...`` control endpoints require) and serves until Ctrl+C or
SIGTERM. The state lives in Federator's home folder (``Paths.sandbox_dir``), shared with
``--sandbox`` runs.
"""

from __future__ import annotations

import argparse
import json
import signal
import threading
from types import FrameType
from typing import Any

from cli.commands.common import EXIT_OK, Context
from core.errors import FederatorError, InputError


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser("sandbox", help="run or reset the built-in sandbox tenant")
    sub = p.add_subparsers(dest="sandbox_command", metavar="ACTION", required=True)
    serve = sub.add_parser(
        "serve", help="serve the sandbox tenant on 127.0.0.1 until interrupted",
        description="Serve the sandbox tenant (Graph + login on one HTTPS port). Prints one JSON "
                    "line with graph_url, login_url, ca_bundle and a bearer token for "
                    "ops@contoso.com, e.g. for curl --cacert CA -H 'Authorization: Bearer TOKEN' "
                    "GRAPH_URL/domains.")
    serve.add_argument("--port", type=int, default=0, help="TCP port (default: any free port)")
    serve.add_argument("--latency", type=float, default=0.0, metavar="MS",
                       help="delay every request by MS milliseconds")
    serve.add_argument("--faults", metavar="SPEC",
                       help="inject faults, e.g. 429:3@1.5,503:0.1,drop:2,expire-token "
                            "(grammar in the README)")
    serve.add_argument("--propagation", type=float, default=0.0, metavar="SECONDS",
                       help="how long home realm discovery lags behind changes")
    serve.add_argument("--seed", type=int, default=0,
                       help="seed for a new or reset tenant and for random faults")
    serve.add_argument("--consented", metavar="PERMISSIONS",
                       help="comma-separated delegated permissions the tenant's admin has "
                            "consented for every client (tokens carry these; a sign-in asking for "
                            "more consents to it), e.g. Domain.Read.All,User.Read.All to rehearse "
                            "consent at the first change")
    serve.add_argument("--decline-device-codes", action="store_true",
                       help="answer every device-code sign-in with authorization_declined")
    serve.add_argument("--users", type=int, default=None, metavar="N",
                       help="hold N more deterministic users in fabrikam.com, for large-tenant "
                            "runs (default: FEDERATOR_SANDBOX_USERS, else as the state has)")
    serve.add_argument("--roles", choices=("documented", "definitions"), default=None,
                       help="which role lists decide who may write: Microsoft's API pages "
                            "(documented, the default) or the role definitions, which allow "
                            "more (default: FEDERATOR_SANDBOX_ROLES, else documented)")
    serve.add_argument("--signin-rules", choices=("strict", "lenient"), default=None,
                       help="how login.srf reads what Microsoft leaves open: strict (no clock "
                            "skew, IDPEmail required; the default) or lenient (5 minutes, "
                            "IDPEmail not enforced) (default: FEDERATOR_SANDBOX_SIGNIN)")
    serve.set_defaults(handler=handle_serve)
    reset = sub.add_parser("reset", help="put the sandbox tenant back to its seed state")
    reset.add_argument("--seed", type=int, default=0, help="seed of the new state")
    reset.set_defaults(handler=handle_reset)
    meta = sub.add_parser("idp-metadata",
                          help="print the sandbox's sample IdP metadata (the file and URL "
                               "`federator sandbox idp` shows; its keys stay in the sandbox)")
    meta.set_defaults(handler=handle_idp_metadata)
    answer = sub.add_parser("idp-response",
                            help="print a base64 SAML response as the sample IdP would post it")
    answer.add_argument("--user", required=True, metavar="UPN", help="a sandbox user")
    answer.add_argument("--defect", metavar="NAME",
                        help="one defect on purpose: wrong-issuer, wrong-key, tampered, expired, "
                             "wrong-audience, nameid-not-immutableid, no-idpemail, unsigned")
    answer.add_argument("--domain", metavar="D",
                        help="issue as the IdP federated with D (its issuerUri)")
    answer.set_defaults(handler=handle_idp_response)
    rotate = sub.add_parser(
        "idp-rotate", help="rotate the sample IdP's signing certificate, as real IdPs do",
        description="--stage (the default) publishes a new certificate beside the current one "
                    "in the sample IdP's metadata; --switch signs with the newest and drops the "
                    "others. The metadata is served at https://127.0.0.1:PORT/sandbox/idp/"
                    "metadata on the sandbox and written to a file (printed). "
                    "FEDERATOR_SANDBOX_NOW sets the clock new certificates start from.")
    how = rotate.add_mutually_exclusive_group()
    how.add_argument("--stage", action="store_true", help="publish a new certificate beside")
    how.add_argument("--switch", action="store_true", help="drop all but the newest")
    rotate.set_defaults(handler=handle_idp_rotate)
    idp = sub.add_parser("idp", help="show the sample IdP's metadata file and certificates")
    idp.set_defaults(handler=handle_idp)


def handle_serve(args: argparse.Namespace, ctx: Context) -> int:
    import os

    from core.roles import rule_set
    from sandbox import Sandbox
    from session import ENV_ROLES

    if not 0 <= args.port <= 65535:
        raise InputError(f"--port {args.port} is not a TCP port", remedy="Use 1-65535, or 0.")
    if args.latency < 0 or args.propagation < 0:
        raise InputError("--latency and --propagation cannot be negative")
    if args.users is not None and args.users < 0:
        raise InputError("--users cannot be negative")
    from session import sandbox_immutable_null, sandbox_signin_rules, sandbox_users

    users = args.users if args.users is not None else sandbox_users()
    roles = (rule_set(args.roles, source="--roles") if args.roles
             else rule_set(os.environ.get(ENV_ROLES), source=ENV_ROLES))
    ctx.paths.ensure()
    sandbox = Sandbox(ctx.paths.sandbox_dir, seed=args.seed, latency_ms=args.latency,
                      faults=args.faults, propagation_s=args.propagation, port=args.port,
                      users=users, immutable_null=sandbox_immutable_null(), roles=roles,
                      signin_rules=args.signin_rules or sandbox_signin_rules())
    try:
        sandbox.start()
    except OSError as exc:
        raise FederatorError(
            f"the sandbox cannot listen on 127.0.0.1:{args.port} ({exc.strerror})",
            code="sandbox_port",
            remedy="Choose another --port, or leave it out for a free one.") from exc
    if args.consented is not None:
        sandbox.set_consented_scopes([p.strip() for p in args.consented.split(",") if p.strip()])
    sandbox.decline_device_codes = bool(args.decline_device_codes)
    stopping = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stopping.set()

    previous = signal.signal(signal.SIGTERM, on_signal)
    try:
        line = {"graph_url": sandbox.graph_url, "login_url": sandbox.login_url,
                "ca_bundle": str(sandbox.ca_bundle), "token": sandbox.issue_token(),
                "tenant_id": sandbox.tenant_id,
                "control_key_file": str(sandbox.control_key_file)}
        ctx.stdout.write(json.dumps(line) + "\n")
        ctx.stdout.flush()
        ctx.stderr.write(f"Sandbox tenant \"Contoso (sandbox)\" on {sandbox.url} "
                         f"(state in {ctx.paths.sandbox_dir}). Press Ctrl+C to stop.\n")
        ctx.stderr.flush()
        # A timed wait so Ctrl+C is noticed promptly on Windows too.
        while not stopping.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        # A second Ctrl+C while stopping must not turn into a traceback.
        previous_int = signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, previous)
        sandbox.stop()
        signal.signal(signal.SIGINT, previous_int)
    ctx.stderr.write("Sandbox stopped.\n")
    return EXIT_OK


def handle_reset(args: argparse.Namespace, ctx: Context) -> int:
    from sandbox.state import TenantStore

    ctx.paths.ensure()
    TenantStore(ctx.paths.sandbox_dir, seed=args.seed).reset()
    ctx.print(f"Sandbox tenant reset to its seed state (Contoso (sandbox)) in "
              f"{ctx.paths.sandbox_dir}.")
    return EXIT_OK


def handle_idp_metadata(args: argparse.Namespace, ctx: Context) -> int:
    from session.signin import sample_idp_metadata

    ctx.stdout.write(sample_idp_metadata(ctx.paths).decode("utf-8"))
    return EXIT_OK


def handle_idp_response(args: argparse.Namespace, ctx: Context) -> int:
    from dataclasses import replace

    from session import open_session
    from session.signin import sample_idp_response

    with open_session(replace(ctx, sandbox=True)) as session:
        value = sample_idp_response(session, args.user.strip(), defect=args.defect,
                                    domain=args.domain)
    ctx.stdout.write(value + "\n")
    return EXIT_OK


def _sample_idp(ctx: Context) -> Any:
    from sandbox.sample_idp import SampleIdp

    ctx.paths.ensure()
    return SampleIdp.of(ctx.paths.sandbox_dir)


def _show_idp(ctx: Context, idp: Any) -> None:
    from core.certificates import CertificateInfo
    from session import SANDBOX_IDP_PATH, sandbox_now

    now = sandbox_now()
    ctx.print(f"Sample IdP metadata: {idp.metadata_file}")
    ctx.print(f"  also served at https://127.0.0.1:PORT{SANDBOX_IDP_PATH} by the sandbox "
              "(federator sandbox serve prints the port)")
    ctx.print("  signing certificates it publishes:")
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding

    for cert in idp.certificates():
        der = x509.load_pem_x509_certificate(cert["cert_pem"].encode()).public_bytes(Encoding.DER)
        info = CertificateInfo.from_der(der, now=now)
        ctx.print(f"    {info.subject} (SHA-1 {info.sha1}, valid until "
                  f"{info.not_after:%Y-%m-%d}, {info.days_left} days left)")


def handle_idp(args: argparse.Namespace, ctx: Context) -> int:
    from session import sandbox_now

    idp = _sample_idp(ctx).ensure(sandbox_now())
    _show_idp(ctx, idp)
    return EXIT_OK


def handle_idp_rotate(args: argparse.Namespace, ctx: Context) -> int:
    from session import sandbox_now

    idp = _sample_idp(ctx).ensure(sandbox_now())
    if args.switch:
        idp.switch(sandbox_now())
        ctx.print("The sample IdP now signs with its newest certificate and no longer publishes "
                  "the older one(s).")
    else:
        idp.stage(sandbox_now())
        ctx.print("The sample IdP publishes a new certificate beside the current one (it still "
                  "signs with the current one).")
    _show_idp(ctx, idp)
    return EXIT_OK

"""``federator test-signin`` and ``federator doctor``: prove the federated sign-in works.

``test-signin`` runs the whole round trip in the sandbox (realm discovery, Entra's request, the
sample IdP's response, Entra's verdict) and prints each hop; against a real tenant it prints the
steps to test by hand. ``doctor`` judges a captured SAML response (file, ``-`` for stdin, or the
pasted base64 itself; a HAR or SAML-tracer export too) and/or explains an AADSTS error text,
against the tenant's live configuration (read-only). Exit codes: 0 Entra would accept, 1 it
would not, 2 unusable input.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from cli.commands.common import EXIT_FAILED, EXIT_OK, Context
from core.errors import InputError

_ICON = {"ok": "[ok]  ", "fail": "[FAIL]", "skipped": "[--]  "}


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    t = subparsers.add_parser(
        "test-signin", help="test a federated sign-in (end to end in the sandbox)",
        description="In the sandbox: realm discovery, Entra's request, the sample IdP's answer "
                    "and Entra's verdict, hop by hop (exit 0 signed in, 1 refused). Against a "
                    "real tenant: the steps to test by hand and what the IdP must send.")
    t.add_argument("--domain", required=True, help="the federated domain")
    t.add_argument("--user", required=True, metavar="UPN", help="the pilot user")
    t.add_argument("--defect", metavar="NAME",
                   help="sandbox only: make the sample IdP answer with one defect (wrong-issuer, "
                        "wrong-key, tampered, expired, wrong-audience, nameid-not-immutableid, "
                        "no-idpemail, unsigned)")
    t.add_argument("--json", action="store_true", help="one JSON object on stdout")
    t.set_defaults(handler=handle_test_signin)

    d = subparsers.add_parser(
        "doctor", help="explain a failed federated sign-in (SAML response and/or AADSTS error)",
        description="Judge a captured SAML response as Entra ID does, against the tenant's "
                    "federation configuration (read-only), and/or explain an AADSTS error "
                    "text. Exit 0 Entra would accept it, 1 it would not, 2 unusable input.")
    d.add_argument("--saml-response", metavar="FILE|-",
                   help="the response: a file (base64, XML, a POST body, a HAR or SAML-tracer "
                        "export), - for stdin, or the base64 itself")
    d.add_argument("--error", metavar="TEXT", help="the error text from Microsoft's page")
    d.add_argument("--domain", help="the domain the sign-in was for")
    d.add_argument("--user", metavar="UPN", help="the user who tried to sign in")
    d.add_argument("--json", action="store_true", help="one JSON object on stdout")
    d.set_defaults(handler=handle_doctor)


def handle_test_signin(args: argparse.Namespace, ctx: Context) -> int:
    from core.domain_names import same_domain
    from session import open_session
    from session.signin import lookup_user, run_test_signin

    upn = args.user.strip()
    if not same_domain(upn.rpartition("@")[2], args.domain):
        raise InputError(f"{upn} is not a user of {args.domain}",
                         remedy="Pick a user whose UPN ends with @" + args.domain + ".")
    with open_session(ctx) as session:
        if not session.is_sandbox:
            return _manual(args, ctx, session, upn, lookup_user(session, upn))
        result = run_test_signin(session, upn, defect=args.defect)
    if args.json:
        ctx.emit_json(result.to_json())
        return EXIT_OK if result.ok else EXIT_FAILED
    for hop in result.hops:
        ctx.print(f"{_ICON[hop.state]} {hop.name}: {hop.detail}")
    if result.ok:
        ctx.print(f"{upn} would be signed in.")
        return EXIT_OK
    from core.signin.codes import explain

    entry = explain(result.aadsts) if result.aadsts else None
    errors = [f for f in result.findings if f.severity == "error"]
    if entry is not None:
        ctx.print(f"Entra answers {entry.code} ({entry.name}).")
    for finding in errors or result.findings:
        ctx.print(f"  {finding.message}")
        if finding.remedy:
            ctx.print(f"  Fix: {finding.remedy}")
    return EXIT_FAILED


def _manual(args: argparse.Namespace, ctx: Context, session: object, upn: str,
            user: object) -> int:
    from core.graph import api
    from core.signin.judge import DirectoryUser
    from core.signin.manual import manual_steps
    from core.tenant import TenantSession

    assert isinstance(session, TenantSession)
    config = api.find_federation_configuration(session.client, args.domain) or {}
    steps = manual_steps(args.domain, user if isinstance(user, DirectoryUser) else None,
                         passive_sign_in_uri=config.get("passiveSignInUri"),
                         issuer_uri=config.get("issuerUri"))
    if args.json:
        ctx.emit_json({"ok": None, "aadsts": None, "hops": [], "findings": [],
                       "manual_steps": steps})
        return EXIT_OK
    ctx.print("Federator cannot sign in as a real user: test it by hand.")
    for number, step in enumerate(steps, 1):
        ctx.print(f"{number}. {step}")
    return EXIT_OK


def _read_response(value: str) -> bytes:
    if value == "-":
        return sys.stdin.buffer.read(10 * 1024 * 1024 + 1)
    path = Path(value)
    try:
        is_file = path.is_file()
    except (OSError, ValueError):
        is_file = False
    if is_file:
        from core.signin.decode import MAX_INPUT_BYTES

        if path.stat().st_size > MAX_INPUT_BYTES:
            raise InputError(f"{path} is larger than 10 MB; a SAML response is a few kilobytes.",
                             code="signin_too_large")
        try:
            return path.read_bytes()
        except OSError as exc:
            raise InputError(f"Cannot read {path}: {exc.strerror or exc}.") from exc
    if len(value) > 200 or value.lstrip().startswith("<"):
        return value.encode("utf-8")  # the pasted base64 (or XML) itself
    raise InputError(f"No file at {path.absolute()}.",
                     remedy="Give the file with the captured response, - for stdin, or paste "
                            "the base64 value.")


def handle_doctor(args: argparse.Namespace, ctx: Context) -> int:
    from core.signin.codes import explain
    from session import open_session
    from session.signin import run_doctor

    if args.saml_response is None and args.error is None:
        raise InputError("Give --saml-response, --error, or both.",
                         remedy="e.g. federator doctor --saml-response response.txt")
    response = _read_response(args.saml_response) if args.saml_response else None
    with open_session(ctx) as session:
        report = run_doctor(session, response, args.error, upn=args.user, domain=args.domain)
    if args.json:
        ctx.emit_json(report.to_json())
        return EXIT_OK if report.ok else EXIT_FAILED
    if report.facts is not None:
        ctx.print("The response:")
        for label, value in report.facts.rows():
            ctx.print(f"  {label + ':':<26}{value}")
        ctx.print()
    for finding, code in zip(report.findings, report.finding_codes, strict=True):
        tag = {"error": "FAIL", "warning": "WARN", "info": "info"}[finding.severity]
        ctx.print(f"[{tag}] {finding.message}" + (f" ({code})" if code else ""))
        if finding.remedy:
            ctx.print(f"       Fix: {finding.remedy}")
    if report.ok:
        ctx.print("Verdict: Entra would accept this response." if report.facts is not None
                  else "Verdict: nothing to fix was found.")
        return EXIT_OK
    entry = explain(report.predicted_error) if report.predicted_error else None
    ctx.print("Verdict: Entra would refuse it" + (
        f" with {entry.code} ({entry.name})." if entry else "."))
    return EXIT_FAILED

"""Every PowerShell text Federator generates, built from hostile values, for PowerShell's own
parser to check (the Windows workflow runs ``packaging/ps_parse_check.ps1`` on this output).

Each case is ``{"name", "text", "commands", "values"}``: the generated text, the command names
it must parse to (nothing more: an injected ``Start-Process`` would be one more) and the
argument values that must come back from the parser exactly as given.

    python packaging/ps_parse_check.py cases.json
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script from a checkout
    sys.path.insert(0, str(ROOT))

# Values an attacker may put in metadata, a file name or a Graph answer.
HOSTILE_VALUES: tuple[str, ...] = (
    "https://sso.example.com/saml/x",
    "O'Brien IdP",
    "'",
    "''",
    "x\u2019 $(Start-Process calc) \u2019",
    "\u2018; Start-Process calc; \u2018",
    "\u201a$(Start-Process calc)\u201b",
    "\u201b\u201b\u2018\u2019'",
    "idp$(Start-Process calc).xml",
    "$env:USERPROFILE",
    "`$(Start-Process calc)`",
    "x`",
    "\"$(Start-Process calc)\"",
    "\u201c$(Start-Process calc)\u201d\u201e",
    "a\nStart-Process calc\nb",
    "line\r\nStart-Process calc",
    "\x1b[2J\x1b[1;1Hforged",
    "\x00\x07\x7f\x85\x9b",
    "right\u202eto\u2066left\u2069",
    "sep\u2028arator\u2029",
    "a; Start-Process calc",
    "a & Start-Process calc",
    "a | Start-Process calc",
    "@(Start-Process calc)",
    "--% Start-Process calc",
    "-Confirm:$false",
    "# comment",
    "<# block #>",
    "{ Start-Process calc }",
    "C:\\Users\\Admin Name\\Downloads\\IdP metadata (2).xml",
    "\u00e9\u00e8 \u4e2d\u6587 \U0001f600",
    "",
)


def _connect_and_cmdlet(text: str) -> list[str]:
    """The command names in one generated script (the first word of each command line)."""
    names = []
    for line in text.splitlines():
        if line and not line.startswith(" "):
            names.append(line.split(" ", 1)[0])
    return names


def cases() -> list[dict[str, Any]]:
    """Every generated PowerShell text, with hostile values in every place one can go."""
    from core.plan import (
        DomainState,
        PlanOptions,
        build_certificate_update_plan,
        build_make_default_plan,
        build_plan,
        build_revert_plan,
    )
    from core.settings import FederationSettings
    from core.shellquote import command_line

    out: list[dict[str, Any]] = []
    managed = DomainState("fabrikam.com", "Managed", is_root=True, is_verified=True)
    current = {"id": "cfg-1", "displayName": "Old", "issuerUri": "https://old.example.org/idp",
               "passiveSignInUri": "https://old.example.org/sso", "activeSignInUri": None,
               "signOutUri": "https://old.example.org/slo", "signingCertificate": "QUJD",
               "nextSigningCertificate": None, "preferredAuthenticationProtocol": "saml",
               "promptLoginBehavior": None, "isSignedAuthenticationRequestRequired": False,
               "federatedIdpMfaBehavior": "acceptIfMfaDoneByFederatedIdp",
               "metadataExchangeUri": None}
    federated = DomainState.from_graph(
        {"id": "tailspin.io", "authenticationType": "Federated", "isVerified": True,
         "isRoot": True}, current)
    for n, value in enumerate(HOSTILE_VALUES):
        if not value:
            continue
        settings = FederationSettings(issuer_uri=value, passive_sign_in_uri=value,
                                      active_sign_in_uri=value, sign_out_uri=value,
                                      signing_certificate="QUJD")
        plans = {
            "federate": build_plan("fabrikam.com", settings, managed,
                                   PlanOptions(display_name=value)),
            "update": build_plan("tailspin.io", settings, federated,
                                 PlanOptions(display_name=value)),
            # signOutUri cleared: the body goes in -BodyParameter @{ ... }
            "update-clear": build_plan(
                "tailspin.io", FederationSettings(issuer_uri=value, passive_sign_in_uri=value,
                                                  active_sign_in_uri=None, sign_out_uri=None,
                                                  signing_certificate="QUJD"),
                federated, PlanOptions(display_name=value)),
        }
        for kind, plan in plans.items():
            text = "\n".join(plan.powershell)
            out.append({"name": f"plan-{kind}-{n}", "text": text,
                        "commands": _connect_and_cmdlet(text), "values": [value]})
        for args in (["federator", "inspect", value],
                     ["federator", "restore", f"{value}-before", "--confirm", value],
                     ["federator", "plan", "--metadata", value, "--domain", "fabrikam.com"]):
            text = command_line(args, "powershell")
            out.append({"name": f"command-{args[1]}-{n}", "text": text,
                        "commands": ["federator"],
                        "values": [a for a in args[2:] if a not in ("--confirm", "--metadata",
                                                                    "--domain")]})
    for kind, plan in {"revert": build_revert_plan("tailspin.io", federated),
                       "certificate": build_certificate_update_plan(
                           "tailspin.io", federated, "QUJE", "QUJG"),
                       "make-default": build_make_default_plan("fabrikam.com", managed)}.items():
        text = "\n".join(plan.powershell)
        out.append({"name": f"plan-{kind}", "text": text,
                    "commands": _connect_and_cmdlet(text), "values": [plan.domain]})
    return out


def main(argv: list[str]) -> int:
    data = json.dumps(cases(), ensure_ascii=True, indent=1)
    if argv:
        Path(argv[0]).write_text(data + "\n", encoding="utf-8")
    else:
        sys.stdout.write(data + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

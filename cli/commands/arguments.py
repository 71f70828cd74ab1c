"""Arguments several commands share: the plan options (preflight, plan, federate).

Why a module of its own: the change commands and the read-only ones both use them; living in one
command's module, they made the two import each other.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from core.plan import PlanOptions


def add_sign_out_option(p: argparse.ArgumentParser) -> None:
    """--sign-out-url: what the desktop app's Sign-out URL field gives, for metadata without a
    sign-out (SingleLogoutService) URL (core.settings.settings_from_metadata uses it)."""
    p.add_argument("--sign-out-url", metavar="URL",
                   help="the sign-out URL to send when the metadata has none (e.g. the IdP's "
                        "user portal); the desktop app's Sign-out URL field")


def add_plan_options(p: argparse.ArgumentParser) -> None:
    """--display-name, --mfa-behavior, --prompt-login-behavior: for every command that plans a
    federation (read back with :func:`options_from`)."""
    p.add_argument("--display-name",
                   help="name shown for the IdP (default: kept when the domain is already "
                        "federated, else the domain name)")
    p.add_argument("--mfa-behavior", dest="mfa_behavior",
                   help="federatedIdpMfaBehavior (default: kept when the domain is already "
                        "federated, else acceptIfMfaDoneByFederatedIdp: Microsoft accepts the "
                        "IdP's MFA, and asks for its own when the IdP did none)")
    p.add_argument("--prompt-login-behavior",
                   help="promptLoginBehavior (default: kept when the domain is already "
                        "federated, else translateToFreshPasswordAuthentication, what Microsoft "
                        "does when it is empty)")


def options_from(args: argparse.Namespace) -> PlanOptions:
    """The admin's choices; an option left out is ``None`` (keep current / stated default)."""
    from core.plan import PlanOptions

    return PlanOptions(display_name=args.display_name,
                       federated_idp_mfa_behavior=args.mfa_behavior or None,
                       prompt_login_behavior=args.prompt_login_behavior or None)

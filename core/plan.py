"""The change plan: exactly what Federator will send to Microsoft Graph, before it sends anything.

Why it exists: an admin must be able to audit a change (or run it by hand) before it happens. A
:class:`Plan` holds, for one domain, the current and new value of every federation property, the
HTTP requests that will be sent (method, path, body) and the equivalent Microsoft Graph PowerShell
commands
(https://learn.microsoft.com/powershell/module/microsoft.graph.identity.directorymanagement/new-mgdomainfederationconfiguration).
Operations execute ``Plan.requests`` as they are; nothing else decides
what is written.

Plans are pure: built from the desired settings and the domain's current state, no network. One
builder per kind of change:

* :func:`build_plan`: federate a managed domain (``POST .../federationConfiguration``, which also
  turns the domain ``Federated``), or update a federated one in place (``PATCH`` of the properties
  that differ; never revert-then-federate, which would leave users without passwords in between).
* :func:`build_certificate_update_plan`: swap or stage the signing certificate (``PATCH``).
* :func:`build_revert_plan`: back to managed sign-in (``PATCH /domains/{d}``
  ``authenticationType=Managed``, Microsoft's migration guide; this removes the configuration).
* :func:`build_make_default_plan`: make a domain the tenant default (``PATCH`` ``isDefault``), the
  remedy for preflight's ``domain.not_default``.

Certificates are carried in full everywhere (requests, JSON, PowerShell); only
:func:`format_plan` / :func:`shorten_certificate` shorten them, for the screen.
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol
from urllib.parse import quote

from core.errors import InputError, RefusedError
from core.settings import MFA_BEHAVIORS, PROMPT_LOGIN_BEHAVIORS

ODATA_TYPE = "#microsoft.graph.internalDomainFederation"

# Every writable internalDomainFederation property, in the order admins read them (https://learn.microsoft.com/graph/api/resources/internaldomainfederation).
FEDERATION_PROPERTIES: tuple[str, ...] = (
    "displayName",
    "issuerUri",
    "passiveSignInUri",
    "activeSignInUri",
    "signOutUri",
    "metadataExchangeUri",
    "signingCertificate",
    "nextSigningCertificate",
    "preferredAuthenticationProtocol",
    "federatedIdpMfaBehavior",
    "promptLoginBehavior",
    "isSignedAuthenticationRequestRequired",
)
CERTIFICATE_PROPERTIES = frozenset({"signingCertificate", "nextSigningCertificate"})

DEFAULT_MFA_BEHAVIOR = "acceptIfMfaDoneByFederatedIdp"
DEFAULT_PROMPT_LOGIN_BEHAVIOR = "translateToFreshPasswordAuthentication"

# Why the defaults are what they are; shown next to the plan so the choice is never silent.
OPTION_EXPLANATIONS: dict[str, str] = {
    "displayName": "the name of the IdP users may see on Microsoft's sign-in page; defaults to "
                   "the domain name, as JumpCloud's instructions set FederationBrandName.",
    "federatedIdpMfaBehavior": "the default, acceptIfMfaDoneByFederatedIdp, accepts MFA done at "
                               "the IdP and has Microsoft ask for its own MFA only when the IdP "
                               "did none (Microsoft's own default). Once set it cannot be "
                               "cleared, only changed to another value.",
    "promptLoginBehavior": "the default, translateToFreshPasswordAuthentication, is what "
                           "Microsoft does when the value is empty, so behavior stays as "
                           "Microsoft documents it; choose nativeSupport if the IdP handles a "
                           "forced re-authentication itself.",
}

# What each value does, for a choice shown to a person (Microsoft Graph's internalDomainFederation
# resource: https://learn.microsoft.com/graph/api/resources/internaldomainfederation).
OPTION_VALUE_WORDS: dict[str, str] = {
    "acceptIfMfaDoneByFederatedIdp": "Accept MFA done at the IdP; if it did none, Microsoft asks "
                                     "for its own",
    "enforceMfaByFederatedIdp": "Always send users to the IdP for MFA",
    "rejectMfaByFederatedIdp": "Always do Microsoft's own MFA, ignoring the IdP's",
    "translateToFreshPasswordAuthentication": "Ask the IdP for a fresh password sign-in "
                                              "(Microsoft's default)",
    "nativeSupport": "Pass prompt=login to the IdP as it is (the IdP supports it)",
    "disabled": "Send only a request for fresh sign-in (wfresh=0)",
}
SIGN_OUT_EXPLANATION = ("where Microsoft sends users when they sign out, so they are signed out "
                        "at the IdP too (signOutUri); the IdP's single logout URL.")

GRAPH_SCOPES_FOR_POWERSHELL = '"Domain-InternalFederation.ReadWrite.All","Domain.Read.All"'


class PlanAction(StrEnum):
    """What kind of change a plan makes."""

    FEDERATE = "federate"
    UPDATE = "update"
    CERTIFICATE_UPDATE = "certificate_update"
    REVERT = "revert"
    MAKE_DEFAULT = "make_default"


class GraphSettings(Protocol):
    """What a plan needs of ``core.settings.FederationSettings``: its Graph JSON."""

    def to_graph_json(self) -> dict[str, Any]: ...


@dataclass(frozen=True)
class PlanOptions:
    """The admin's choices that metadata cannot supply.

    ``None`` means "not chosen": when the domain is already federated the current value is kept
    (an update never changes what the admin did not ask to change); for a new federation
    ``display_name`` becomes the domain name and the two behaviours get their stated defaults
    (:data:`DEFAULT_MFA_BEHAVIOR`, :data:`DEFAULT_PROMPT_LOGIN_BEHAVIOR`).
    """

    display_name: str | None = None
    federated_idp_mfa_behavior: str | None = None
    prompt_login_behavior: str | None = None

    def __post_init__(self) -> None:
        if (self.federated_idp_mfa_behavior is not None
                and self.federated_idp_mfa_behavior not in MFA_BEHAVIORS):
            raise InputError(
                f"'{self.federated_idp_mfa_behavior}' is not a federatedIdpMfaBehavior value.",
                code="bad_option", remedy="Use one of: " + ", ".join(MFA_BEHAVIORS) + ".")
        if (self.prompt_login_behavior is not None
                and self.prompt_login_behavior not in PROMPT_LOGIN_BEHAVIORS):
            raise InputError(
                f"'{self.prompt_login_behavior}' is not a promptLoginBehavior value.",
                code="bad_option", remedy="Use one of: " + ", ".join(PROMPT_LOGIN_BEHAVIORS) + ".")
        if self.display_name is not None and not self.display_name.strip():
            raise InputError("The display name is empty.", code="bad_option",
                             remedy="Give a name, or leave it out to use the domain name.")

    def chosen(self) -> dict[str, str | None]:
        """The options by Graph property name (``None``: not chosen)."""
        return {"displayName": self.display_name,
                "federatedIdpMfaBehavior": self.federated_idp_mfa_behavior,
                "promptLoginBehavior": self.prompt_login_behavior}


@dataclass(frozen=True)
class DomainState:
    """A domain as Graph reports it now, plus its federation configuration when it has one.

    ``federation`` is the current ``internalDomainFederation`` JSON (Graph property names) or
    ``None`` when the domain has no configuration.
    """

    name: str
    authentication_type: str = "Managed"
    is_default: bool = False
    is_initial: bool = False
    is_verified: bool = True
    is_root: bool = True
    federation_id: str | None = None
    federation: Mapping[str, Any] | None = None

    @property
    def is_federated(self) -> bool:
        return self.authentication_type.lower() == "federated"

    @classmethod
    def from_graph(cls, domain: Mapping[str, Any],
                   federation: Mapping[str, Any] | None = None) -> DomainState:
        """From a ``GET /domains/{d}`` body and, optionally, one federationConfiguration item."""
        return cls(
            name=str(domain.get("id", "")),
            authentication_type=str(domain.get("authenticationType") or "Managed"),
            is_default=bool(domain.get("isDefault")),
            is_initial=bool(domain.get("isInitial")),
            is_verified=bool(domain.get("isVerified")),
            is_root=bool(domain.get("isRoot")),
            federation_id=(str(federation["id"]) if federation and federation.get("id")
                           else None),
            federation=dict(federation) if federation else None,
        )

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "authenticationType": self.authentication_type,
                "isDefault": self.is_default, "isInitial": self.is_initial,
                "isVerified": self.is_verified, "isRoot": self.is_root,
                "federationId": self.federation_id,
                "federation": dict(self.federation) if self.federation else None}


@dataclass(frozen=True)
class PropertyChange:
    """One property's current and new value; ``changed`` says whether the plan writes it."""

    name: str
    current: Any
    new: Any
    written: bool | None = None  # whether the plan sends it; None: derived from current vs new

    @property
    def changed(self) -> bool:
        if self.written is not None:
            return self.written
        return not _same(self.name, self.current, self.new)

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "current": self.current, "new": self.new,
                "changed": self.changed}


@dataclass(frozen=True)
class PlannedRequest:
    """One Graph request: ``path`` is relative to the API version root (``/domains/...``)."""

    method: str
    path: str
    body: dict[str, Any] | None = None

    def url(self, graph_url: str) -> str:
        return graph_url.rstrip("/") + self.path

    def to_json(self) -> dict[str, Any]:
        return {"method": self.method, "path": self.path, "body": self.body}


@dataclass(frozen=True)
class Plan:
    """The exact change for one domain: property diff, requests in order, PowerShell equivalent."""

    action: PlanAction
    domain: str
    changes: list[PropertyChange]
    requests: list[PlannedRequest]
    powershell: list[str]
    notes: list[str] = field(default_factory=list)

    @property
    def is_noop(self) -> bool:
        """True when the tenant already holds every value: nothing would be sent."""
        return not self.requests

    @property
    def changed(self) -> list[PropertyChange]:
        return [c for c in self.changes if c.changed]

    @property
    def title(self) -> str:
        """The plan in a few words (``Revert contoso.com to managed sign-in``): the CLI's and
        the window's heading."""
        return {
            PlanAction.FEDERATE: f"Federate {self.domain}",
            PlanAction.UPDATE: f"Update the federation of {self.domain}",
            PlanAction.CERTIFICATE_UPDATE: f"Update the signing certificate of {self.domain}",
            PlanAction.REVERT: f"Revert {self.domain} to managed sign-in",
            PlanAction.MAKE_DEFAULT: f"Make {self.domain} the default domain",
        }.get(self.action, f"{self.action} {self.domain}")

    def to_json(self) -> dict[str, Any]:
        """Full values (certificates included): this is what an auditor or an operation needs."""
        return {"action": str(self.action), "domain": self.domain,
                "changes": [c.to_json() for c in self.changes],
                "requests": [r.to_json() for r in self.requests],
                "powershell": list(self.powershell), "notes": list(self.notes),
                "noop": self.is_noop}


# ---------------------------------------------------------------------------------------------
# Builders


def build_plan(domain: str, desired: GraphSettings | Mapping[str, Any], current: DomainState,
               options: PlanOptions | None = None) -> Plan:
    """Federate ``domain`` with ``desired`` settings, or update its federation in place.

    Managed domain: one ``POST`` with every value. Federated domain: one ``PATCH`` of the values
    that differ (none when already identical). Raises :class:`RefusedError` when the domain is
    federated but Graph shows no configuration to update (a half-federated domain, API-02).
    """
    options = options or PlanOptions()
    keep = current.federation if current.is_federated else None
    target = desired_values(domain, desired, options, current=keep)
    notes = _option_notes(options, target, updating=keep is not None)
    base = _config_path(domain)
    if not current.is_federated or current.federation is None:
        if current.is_federated:
            raise RefusedError(
                f"{domain} is federated but Microsoft Graph shows no federation configuration "
                "to update.",
                code="half_federated",
                remedy="This happens after a failed create. Revert the domain to managed "
                       f"(federator revert --domain {domain} --confirm {domain}) and federate "
                       "it again.")
        changes = [PropertyChange(name, None, target.get(name), target.get(name) is not None)
                   for name in FEDERATION_PROPERTIES]
        body: dict[str, Any] = {"@odata.type": ODATA_TYPE}
        body.update({k: v for k, v in target.items() if v is not None})
        requests = [PlannedRequest("POST", base, body)]
        powershell = [_connect_line(), _ps_command(
            "New-MgDomainFederationConfiguration", [("DomainId", domain)],
            {k: v for k, v in target.items() if v is not None})]
        notes.insert(0, f"Creating the federation configuration turns {domain} to federated "
                        "sign-in for every user in it (and in its subdomains).")
        return Plan(PlanAction.FEDERATE, domain, changes, requests, powershell, notes)

    cur = dict(current.federation)
    changes = [PropertyChange(name, cur.get(name), target.get(name))
               for name in FEDERATION_PROPERTIES]
    return _patch_plan(PlanAction.UPDATE, domain, current, changes, notes)


def build_certificate_update_plan(domain: str, current: DomainState, signing_certificate: str,
                                  next_signing_certificate: str | None = None) -> Plan:
    """Put ``signing_certificate`` (base64 DER) in place, optionally staging a next one.

    ``next_signing_certificate=None`` leaves ``nextSigningCertificate`` as it is, unless it equals
    the new signing certificate (then it is cleared: the rollover it staged is complete).
    """
    if not current.is_federated or current.federation is None:
        raise RefusedError(f"{domain} is not federated, so it has no certificate to update.",
                           code="not_federated",
                           remedy=f"Federate it first (federator federate --domain {domain} ...).")
    cur = dict(current.federation)
    signing = normalize_certificate(signing_certificate)
    nxt: Any = cur.get("nextSigningCertificate")
    if next_signing_certificate is not None:
        nxt = normalize_certificate(next_signing_certificate)
    elif nxt and _same("nextSigningCertificate", nxt, signing):
        nxt = None
    changes = [PropertyChange("signingCertificate", cur.get("signingCertificate"), signing),
               PropertyChange("nextSigningCertificate", cur.get("nextSigningCertificate"), nxt)]
    notes = ["Users signing in while Microsoft applies the change may see a failed sign-in if the "
             "IdP already signs with a certificate Microsoft does not yet trust."]
    return _patch_plan(PlanAction.CERTIFICATE_UPDATE, domain, current, changes, notes)


def build_revert_plan(domain: str, current: DomainState) -> Plan:
    """Back to managed (cloud) sign-in: ``PATCH /domains/{d}`` ``authenticationType=Managed``."""
    if not current.is_federated:
        return Plan(PlanAction.REVERT, domain,
                    [PropertyChange("authenticationType", current.authentication_type, "Managed")],
                    [], [], [f"{domain} already uses managed sign-in: nothing to do."])
    changes = [PropertyChange("authenticationType", current.authentication_type, "Managed")]
    if current.federation is not None:
        cur = dict(current.federation)
        changes += [PropertyChange(name, cur.get(name), None) for name in FEDERATION_PROPERTIES
                    if cur.get(name) is not None]
    requests = [PlannedRequest("PATCH", _domain_path(domain), {"authenticationType": "Managed"})]
    powershell = [_connect_line(), _ps_command("Update-MgDomain", [("DomainId", domain)],
                                               {"authenticationType": "Managed"})]
    notes = [f"Microsoft removes the federation configuration of {domain}; keep the snapshot to "
             "federate again later.",
             "Users in the domain have no usable cloud password afterwards: set or reset "
             "passwords before they need to sign in.",
             "Microsoft says the switch can take up to two hours to apply."]
    return Plan(PlanAction.REVERT, domain, changes, requests, powershell, notes)


def build_make_default_plan(domain: str, current: DomainState) -> Plan:
    """Make ``domain`` the tenant's default domain (``PATCH /domains/{d}`` ``isDefault=true``)."""
    if not current.is_verified:
        raise RefusedError(f"{domain} is not verified, so it cannot be the default domain.",
                           code="not_verified",
                           remedy="Verify it in the Microsoft 365 admin center first.")
    if current.is_federated:
        raise RefusedError(f"{domain} uses federated sign-in; Microsoft only lets a managed "
                           "domain be the default.", code="federated_default",
                           remedy="Choose a managed domain, such as the initial "
                                  ".onmicrosoft.com domain.")
    changes = [PropertyChange("isDefault", current.is_default, True)]
    if current.is_default:
        return Plan(PlanAction.MAKE_DEFAULT, domain, changes, [], [],
                    [f"{domain} is already the default domain: nothing to do."])
    requests = [PlannedRequest("PATCH", _domain_path(domain), {"isDefault": True})]
    # This PATCH needs Domain.ReadWrite.All, not the federation permission (https://learn.microsoft.com/graph/permissions-reference).
    powershell = [_connect_line('"Domain.ReadWrite.All"'),
                  _ps_command("Update-MgDomain", [("DomainId", domain)], {"isDefault": True})]
    notes = ["The default domain is only the suffix offered for new users and the fallback for "
             "some services; existing users, their addresses and mail flow do not change."]
    return Plan(PlanAction.MAKE_DEFAULT, domain, changes, requests, powershell, notes)


def desired_values(domain: str, desired: GraphSettings | Mapping[str, Any],
                   options: PlanOptions, *, current: Mapping[str, Any] | None = None
                   ) -> dict[str, Any]:
    """Graph values to write: the metadata's settings plus the admin's options, certificates
    normalized (base64 DER, no armour or whitespace).

    ``current`` is the domain's federation configuration when it has one: an option the admin
    did not choose then keeps its current value instead of taking the new-federation default.
    """
    raw = dict(desired) if isinstance(desired, Mapping) else dict(desired.to_graph_json())
    values: dict[str, Any] = {name: raw.get(name) for name in FEDERATION_PROPERTIES}
    defaults = {"displayName": domain, "federatedIdpMfaBehavior": DEFAULT_MFA_BEHAVIOR,
                "promptLoginBehavior": DEFAULT_PROMPT_LOGIN_BEHAVIOR}
    for name, value in options.chosen().items():
        if value is not None:
            values[name] = value
        elif current is not None:
            values[name] = current.get(name)
        else:
            values[name] = defaults[name]
    if values["preferredAuthenticationProtocol"] is None:
        values["preferredAuthenticationProtocol"] = "saml"  # must be explicit (https://learn.microsoft.com/graph/api/domain-post-federationconfiguration)
    if values["isSignedAuthenticationRequestRequired"] is None:
        values["isSignedAuthenticationRequestRequired"] = False
    for name in CERTIFICATE_PROPERTIES:
        if values.get(name):
            values[name] = normalize_certificate(str(values[name]))
    missing = [label for key, label in (("issuerUri", "issuer"),
                                        ("passiveSignInUri", "sign-in URL"),
                                        ("signingCertificate", "valid signing certificate"))
               if not values.get(key)]
    if missing:
        raise InputError("The metadata gives no " + " and no ".join(missing)
                         + ", which Microsoft needs.",
                         code="incomplete_settings",
                         remedy="Check the metadata with 'federator inspect'.")
    return values


# ---------------------------------------------------------------------------------------------
# Display


def shorten_certificate(value: str, keep: int = 24) -> str:
    """``MIIC8DCCAdigAwIBAgIQ…(1,016 characters)…Q5c=``: recognisable on screen, never used for
    sending. The CLI and the window both show certificates this way."""
    if len(value) <= 2 * keep:
        return value
    return f"{value[:keep]}…({len(value):,} characters)…{value[-(keep // 2):]}"


def display_value(name: str, value: Any) -> str:
    """A property value as text for the screen (certificates shortened)."""
    if value is None:
        return "(not set)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if name in CERTIFICATE_PROPERTIES and isinstance(value, str):
        return shorten_certificate(value)
    if name == "signingCertificateUpdateStatus" and isinstance(value, Mapping):
        # Graph's signingCertificateUpdateStatus: the last automatic certificate update's
        # result and when it ran (https://learn.microsoft.com/graph/api/resources/
        # signingcertificateupdatestatus).
        result = str(value.get("certificateUpdateResult") or "not reported")
        ran = str(value.get("lastRunDateTime") or "")
        return f"{result} (last run {ran[:19].replace('T', ' ')} UTC)" if ran else result
    if isinstance(value, Mapping):  # words, never a Python dict
        return ", ".join(f"{key}: {display_value(str(key), item)}"
                         for key, item in value.items()) or "(empty)"
    return str(value)


def display_body(body: Mapping[str, Any] | None) -> str:
    """A request body as JSON text with certificates shortened."""
    if body is None:
        return ""
    shown = {k: (shorten_certificate(v) if k in CERTIFICATE_PROPERTIES and isinstance(v, str)
                 else v) for k, v in body.items()}
    return json.dumps(shown, indent=2, ensure_ascii=False)


def display_powershell(command: str) -> str:
    """A PowerShell command with certificate arguments shortened (for the screen)."""
    out = []
    for line in command.splitlines():
        for flag in ("-SigningCertificate '", "-NextSigningCertificate '"):
            at = line.find(flag)
            if at >= 0:
                start = at + len(flag)
                end = line.find("'", start)
                if end > start:
                    line = line[:start] + shorten_certificate(line[start:end]) + line[end:]
        out.append(line)
    return "\n".join(out)


def format_plan(plan: Plan, *, graph_url: str = "https://graph.microsoft.com/v1.0") -> str:
    """The plan as plain text for a terminal; certificates shortened."""
    lines = [f"Plan: {plan.title}", ""]
    if plan.is_noop:
        lines += ["Nothing to change: the tenant already has these values.", ""]
    lines.append("Properties (current -> new):")
    width = max((len(c.name) for c in plan.changes), default=0)
    for c in plan.changes:
        mark = "*" if c.changed else " "
        cur, new = display_value(c.name, c.current), display_value(c.name, c.new)
        text = f"{cur} -> {new}" if c.changed else f"{new} (unchanged)"
        lines.append(f"  {mark} {c.name.ljust(width)}  {text}")
    if plan.requests:
        lines += ["", "Requests Federator will send:"]
        for r in plan.requests:
            lines.append(f"  {r.method} {r.url(graph_url)}")
            lines += ["    " + ln for ln in display_body(r.body).split("\n")]
    if plan.powershell:
        lines += ["", "The same change in Microsoft Graph PowerShell:"]
        for cmd in plan.powershell:
            lines += ["  " + ln for ln in display_powershell(cmd).split("\n")]
    if any(c.name in CERTIFICATE_PROPERTIES and c.changed for c in plan.changes):
        lines += ["", "Certificates are shortened on screen; --json shows them in full."]
    if plan.notes:
        lines += ["", "Notes:"]
        for note in plan.notes:
            lines += textwrap.wrap(note, 100, initial_indent="  - ", subsequent_indent="    ",
                                   break_on_hyphens=False)
    # One value, one line: a newline inside a value from outside is shown, not obeyed.
    from core.textsafe import one_line

    return "\n".join(one_line(line) for line in lines)


# ---------------------------------------------------------------------------------------------
# Helpers


def normalize_certificate(value: str) -> str:
    """Base64 text without PEM armour or whitespace (what Graph expects, https://learn.microsoft.com/graph/api/resources/internaldomainfederation)."""
    text = value.replace("-----BEGIN CERTIFICATE-----", "").replace("-----END CERTIFICATE-----", "")
    return "".join(text.split())


def _same(name: str, a: Any, b: Any) -> bool:
    if name in CERTIFICATE_PROPERTIES:
        return normalize_certificate(a or "") == normalize_certificate(b or "")
    if a in ("", None) and b in ("", None):
        return True
    if name == "promptLoginBehavior":
        # Empty means translateToFreshPasswordAuthentication to Microsoft (https://learn.microsoft.com/graph/api/resources/internaldomainfederation).
        a = a or DEFAULT_PROMPT_LOGIN_BEHAVIOR
        b = b or DEFAULT_PROMPT_LOGIN_BEHAVIOR
    return bool(a == b)


def _patch_plan(action: PlanAction, domain: str, current: DomainState,
                changes: list[PropertyChange], notes: list[str]) -> Plan:
    changed = {c.name: c.new for c in changes if c.changed}
    if not changed:
        return Plan(action, domain, changes, [], [],
                    [*notes, f"{domain} already has these values: nothing to send."])
    fed_id = current.federation_id or ""
    path = f"{_config_path(domain)}/{quote(fed_id, safe='')}"
    requests = [PlannedRequest("PATCH", path, changed)]
    powershell = [_connect_line(), _ps_command(
        "Update-MgDomainFederationConfiguration",
        [("DomainId", domain), ("InternalDomainFederationId", fed_id)], changed)]
    return Plan(action, domain, changes, requests, powershell, notes)


def _option_notes(options: PlanOptions, target: Mapping[str, Any], *,
                  updating: bool) -> list[str]:
    notes = []
    for name, chosen in options.chosen().items():
        value = target.get(name)
        if chosen is None and updating:
            shown = "(not set)" if value is None else value
            notes.append(f"{name} = {shown}: kept as it is now, because no other value was "
                         "chosen.")
        else:
            notes.append(f"{name} = {value}: {OPTION_EXPLANATIONS[name]}")
    return notes


def _domain_path(domain: str) -> str:
    return f"/domains/{quote(domain, safe='')}"


def _config_path(domain: str) -> str:
    return f"{_domain_path(domain)}/federationConfiguration"


def _connect_line(scopes: str = GRAPH_SCOPES_FOR_POWERSHELL) -> str:
    return f"Connect-MgGraph -Scopes {scopes}"


def _ps_quote(value: Any) -> str:
    # One quoting rule for every PowerShell text Federator emits (all five single quotes,
    # control characters): core.shellquote.
    from core.shellquote import ps_quote

    return ps_quote(value)


def _ps_command(cmdlet: str, keys: Iterable[tuple[str, str]], values: Mapping[str, Any]) -> str:
    """One cmdlet call, one parameter per line. Values to clear (``None``) cannot be passed as
    parameters (the SDK drops them), so then the whole body goes in ``-BodyParameter``."""
    parts = [f"{cmdlet}" + "".join(f" -{k} {_ps_quote(v)}" for k, v in keys)]
    if any(v is None for v in values.values()):
        inner = "; ".join(f"{k} = {_ps_quote(v)}" for k, v in values.items())
        parts.append(f"-BodyParameter @{{ {inner} }}")
    else:
        for name, value in values.items():
            param = name[0].upper() + name[1:]
            if isinstance(value, bool):
                parts.append(f"-{param}:{_ps_quote(value)}")
            else:
                parts.append(f"-{param} {_ps_quote(value)}")
    return " `\n  ".join(parts)

"""A certificate rollover at a glance: the certificate Entra holds as current and as next, side by
side, which one the IdP's metadata signs with, and what to do now (stage, wait, promote).

Why it exists: a rollover is two changes hours or weeks apart (add the new certificate as next,
then promote it once the IdP signs with it); promoting too early locks every user out, too late
and the old certificate expires. The window shows this beside the rollover buttons; the facts
are decided here, once. Entra accepts sign-ins signed with either certificate
(https://learn.microsoft.com/graph/api/resources/internaldomainfederation, signingCertificate and
nextSigningCertificate).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from core.certificates import CertificateInfo
from core.errors import InputError
from core.plan import normalize_certificate

if TYPE_CHECKING:
    from core.graph.client import GraphClient
    from core.metadata.model import IdpMetadata

SLOTS = (("signingCertificate", "Current"), ("nextSigningCertificate", "Next"))


@dataclass(frozen=True)
class RolloverSlot:
    """One slot of the domain's configuration: what Entra holds there, and whether the IdP's
    metadata (open in the window) publishes it and signs with it."""

    slot: str            # Graph's property name
    title: str           # "Current" or "Next"
    certificate: CertificateInfo | None
    unreadable: bool = False
    in_metadata: bool = False
    idp_signs: bool = False


@dataclass(frozen=True)
class Rollover:
    domain: str
    slots: tuple[RolloverSlot, ...]
    advice: str
    can_stage: bool
    can_promote: bool


def _info(text: Any) -> tuple[CertificateInfo | None, bool]:
    from core.certificates import read_certificate

    if not text:
        return None, False
    try:
        return read_certificate(str(text))[0], False
    except InputError:
        return None, True


def rollover_facts(domain: str, configuration: dict[str, Any] | None,
                   metadata: IdpMetadata | None, signs_with: str | None = None) -> Rollover:
    """The rollover of ``domain`` from its configuration (as Graph gives it) and the metadata.

    ``signs_with``: the certificate (base64) the metadata's settings sign with (the chosen
    signing certificate); by default the metadata's first valid signing certificate."""
    published = {normalize_certificate(c.der_base64)
                 for c in (metadata.signing_certificates if metadata is not None else [])}
    if signs_with is None and metadata is not None:
        import datetime as dt

        now = dt.datetime.now(dt.UTC)
        valid = [c for c in metadata.signing_certificates if c.is_valid_at(now)]
        signs_with = valid[0].der_base64 if valid else None
    signing = normalize_certificate(signs_with) if signs_with else None
    slots = []
    for slot, title in SLOTS:
        raw = normalize_certificate(str((configuration or {}).get(slot) or ""))
        info, unreadable = _info(raw)
        slots.append(RolloverSlot(slot, title, info, unreadable, bool(raw) and raw in published,
                                  bool(raw) and raw == signing))
    current, nxt = slots
    new_in_metadata = [c for c in published if c not in {
        normalize_certificate(str((configuration or {}).get(s) or "")) for s, _ in SLOTS}]
    if metadata is None:
        advice = ("Open the IdP's current metadata in step 1: Federator compares its "
                  "certificates with these.")
    elif nxt.certificate is not None and nxt.idp_signs:
        advice = ("The IdP signs with the next certificate now: promote it to current (step 2 "
                  "below). Entra keeps accepting both until then.")
    elif nxt.certificate is not None:
        advice = ("The next certificate is staged; the IdP still signs with the current one. "
                  "Promote it only once the IdP signs with the next one (open its metadata "
                  "again then), and before the current one expires"
                  + (f" on {current.certificate.not_after:%Y-%m-%d}."
                     if current.certificate is not None else "."))
    elif new_in_metadata:
        advice = ("The metadata publishes a certificate Entra does not hold yet: add it as "
                  "the next certificate (step 1 below), then switch the IdP to it.")
    else:
        advice = ("Nothing to roll: Entra holds the certificate the metadata publishes. When "
                  "the IdP publishes a new one, open its metadata again.")
    return Rollover(domain, (current, nxt), advice,
                    can_stage=metadata is not None and bool(new_in_metadata),
                    can_promote=nxt.certificate is not None and metadata is not None)


def read_rollover(client: GraphClient, domain: str, metadata: IdpMetadata | None,
                  signs_with: str | None = None) -> Rollover:
    """Read the domain's configuration (one request) and lay out its rollover."""
    from core.graph import api

    config = api.find_federation_configuration(client, domain)
    return rollover_facts(domain, dict(config) if config else None, metadata, signs_with)

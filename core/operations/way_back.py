"""Which way back a change offers: restoring the snapshot taken before it, unless restore would
refuse that snapshot.

Why a module of its own: restore refuses a federated snapshot that would not work now (an expired
signing certificate, an unusable issuer or sign-in URL), and every change offers "restore the
snapshot before" as its way back. One rule (:func:`restore_problems`) decides both, so no change
prints a way back that restore then refuses (a revert of a domain whose certificate expired, a
rollover away from an expiring certificate).
"""

from __future__ import annotations

import datetime as dt

from core.errors import InputError
from core.journal import Snapshot

# The "binding" a recorded URL is named with in the metadata checks' findings.
_RECORDED = "as recorded"

# A way back that stops working this soon is named with its end date up front.
WAY_BACK_SOON = dt.timedelta(days=14)


def federate_again(domain: str) -> str:
    """The command that federates ``domain`` afresh (SOURCE: the IdP's metadata URL or file)."""
    return f"federator federate --metadata SOURCE --domain {domain} --confirm {domain}"


def way_back_to(snap: Snapshot, *, now: dt.datetime | None = None) -> tuple[str | None, str]:
    """The way back to ``snap`` after a change, judged by the rule restore applies
    (:func:`restore_problems`), so a change never offers a restore that restore will refuse.

    Returns ``(way_back, note)``: ``way_back`` None means the usual ``restore`` of the snapshot;
    otherwise it is the way back that works (federate again with fresh metadata). ``note`` says
    up front why, or until when the restore works (a signing certificate expiring within
    :data:`WAY_BACK_SOON`); empty when there is nothing to say."""
    from core.certificates import read_certificate

    if snap.federation is None or snap.authentication_type.lower() != "federated":
        return None, ""
    now = now or dt.datetime.now(dt.UTC)
    domain = snap.domain_name
    problems = restore_problems(snap, now=now)
    if problems:
        way_back = (f"Federate {domain} again with the IdP's current metadata: "
                    f"{federate_again(domain)} (restoring snapshot {snap.id} would be refused: "
                    f"{'; '.join(problems)})")
        return way_back, (f"The way back is not a restore: snapshot {snap.id} records a "
                          f"federation that would not work now ({'; '.join(problems)}), and "
                          "restore refuses it. To federate again, use the IdP's current "
                          f"metadata: {federate_again(domain)}")
    try:
        info, _ = read_certificate(str(snap.federation.get("signingCertificate") or ""))
    except InputError:
        return None, ""
    if info.not_after - now <= WAY_BACK_SOON:
        days = max(0, (info.not_after - now).days)
        return None, (f"The way back, restoring snapshot {snap.id}, works only until "
                      f"{info.not_after:%Y-%m-%d %H:%M} UTC ({days} days): the signing "
                      f"certificate it records ({info.subject}) expires then, and restore "
                      "refuses an expired one. After that, federate again with the IdP's "
                      f"current metadata: {federate_again(domain)}")
    return None, ""


def restore_problems(snap: Snapshot, *, now: dt.datetime | None = None) -> list[str]:
    """Why restoring ``snap`` would be refused now (empty: it would not): the checks preflight
    makes of metadata, made of the recorded values. The one rule for restore and for the way back
    other changes offer (:func:`way_back_to`).

    A journal is a file in the admin's home that anyone with write access to it can edit, so
    its values are judged as metadata is: the same functions refuse characters that hide or
    forge text and sign-in hosts no tenant should send its users to (loopback, link-local,
    look-alike names)."""
    from core.certificates import read_certificate
    from core.metadata.checks import host_findings, unsafe_character_findings
    from core.metadata.model import Endpoint
    from core.preflight.checks import issuer_problems

    if snap.federation is None or snap.authentication_type.lower() != "federated":
        return []
    fed = snap.federation
    problems: list[str] = []
    fails, _ = issuer_problems(str(fed.get("issuerUri") or ""))
    # The guess that an issuer was copied from a guide does not apply to one this tenant used.
    problems += [f"issuer: {f.rstrip('.')}" for f in fails if "placeholder" not in f]
    sign_in = str(fed.get("passiveSignInUri") or "")
    if not sign_in.lower().startswith("https://"):
        problems.append(f"the sign-in URL {sign_in or '(none)'} does not use HTTPS")
    sign_out = str(fed.get("signOutUri") or "")
    sso = [Endpoint(_RECORDED, sign_in)] if sign_in else []
    slo = [Endpoint(_RECORDED, sign_out)] if sign_out else []
    # Only what metadata is refused for: a private-network host is a warning the admin accepted
    # when this federation was made.
    problems += [_fragment(f.message) for f in (
        unsafe_character_findings(str(fed.get("issuerUri") or ""), sso, slo)
        + host_findings(sso, slo)) if f.severity == "error"]
    cert_text = str(fed.get("signingCertificate") or "")
    now = now or dt.datetime.now(dt.UTC)
    try:
        info, _ = read_certificate(cert_text)
    except InputError:
        problems.append("its signing certificate cannot be read")
    else:
        if not info.is_valid_at(now):
            when = "expired on" if info.not_after < now else "is not valid before"
            date = (info.not_after if info.not_after < now else info.not_before)
            problems.append(f"its signing certificate ({info.subject}, SHA-1 {info.sha1}) "
                            f"{when} {date:%Y-%m-%d}: no user could sign in")
    return problems


def _fragment(message: str) -> str:
    """A finding's sentence as one of the ``;``-joined reasons restore gives."""
    return message[:1].lower() + message[1:].rstrip(".")

"""Roll the IdP's signing certificate without downtime: stage the new one as next, then promote
it (``stage_certificate``, ``promote_certificate``; both are ``update_certificate``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING

from core.errors import InputError, RefusedError
from core.journal import (
    Snapshot,
)
from core.operations.model import (
    OperationResult,
)
from core.operations.pipeline import (
    Prepared,
    _change,
    _show_certificates,
)
from core.operations.runner import (
    OperationContext,
    Run,
    check_confirmation,
    quote_arg,
)
from core.operations.state import (
    Target,
    accepted_certificates,
    domain_state,
    writable,
)
from core.plan import (
    build_certificate_update_plan,
    normalize_certificate,
)

if TYPE_CHECKING:
    pass


def update_certificate(ctx: OperationContext, domain: str, certificates: str | Sequence[str], *,
                       confirm: str | None, promote: bool = False,
                       metadata_source: str | None = None) -> OperationResult:
    """Roll the IdP signing certificate without downtime.

    ``certificates``: the IdP's signing certificate(s) from its new metadata (base64 DER, any
    order); the new one is the most recently issued that Entra does not already use as
    ``signingCertificate``.
    Without ``promote``: add it as ``nextSigningCertificate`` (Entra then accepts the current and
    the new one, so the IdP can switch whenever it likes). With ``promote`` (the IdP now signs
    with the new one): make it ``signingCertificate`` and clear the next slot.
    ``metadata_source`` (the file or URL the certificates came from) makes the promote command
    shown after staging one that can be pasted as it is.
    """
    check_confirmation(domain, confirm, ctx)
    given = [certificates] if isinstance(certificates, str) else list(certificates)
    candidates = _newest_first([normalize_certificate(c) for c in given
                                if c and normalize_certificate(c)])
    if not candidates:
        raise InputError("The metadata gives no usable signing certificate.",
                         code="no_certificate",
                         remedy="Check it with `federator inspect`; the IdP must publish its "
                                "new signing certificate.")

    def prepare(run: Run, before: Snapshot) -> Prepared:
        state = domain_state(before)
        if before.federation is None:
            raise RefusedError(
                f"{domain} has no readable federation configuration, so it has no certificate to "
                "roll.", code="not_federated",
                remedy=f"Federate it first: federator federate --metadata SOURCE --domain "
                       f"{domain} --confirm {domain}")
        current = normalize_certificate(str(before.federation.get("signingCertificate") or ""))
        staged = normalize_certificate(str(before.federation.get("nextSigningCertificate") or ""))
        new = next((c for c in candidates if c != current), None)
        _show_certificates(run.ctx, before, "Entra accepts before the change")
        notes: list[str] = []
        if promote:
            if new is None and staged and staged not in candidates:
                staged_cert = next((c for c in accepted_certificates(before)
                                    if c.slot == "nextSigningCertificate"), None)
                which = (f" ({staged_cert.subject}, SHA-1 {staged_cert.sha1})"
                         if staged_cert and staged_cert.readable else "")
                raise RefusedError(
                    f"This metadata only has the certificate {domain} already signs with, not "
                    f"the staged next certificate{which}; nothing was changed.",
                    code="certificate_not_in_metadata",
                    remedy="Promote with the IdP's new metadata, the one that has the new "
                           "certificate, once the IdP signs with it.")
            starts = _valid_from(new) if new is not None else None
            if starts is not None and starts > dt.datetime.now(dt.UTC):
                # Promoting it now would leave Entra accepting only a certificate the IdP
                # cannot sign with before its start date: every sign-in would fail until then.
                raise RefusedError(
                    f"The IdP's new certificate is not valid before {starts:%Y-%m-%d %H:%M} UTC, "
                    "so it cannot be the signing certificate yet; nothing was changed.",
                    code="certificate_not_yet_valid",
                    remedy="Stage it as next certificate now (update-certificate without "
                           "--promote) and promote it once the IdP signs with it.")
            if new is None:
                plan = build_certificate_update_plan(domain, state, current)
                summary = f"The IdP's certificate is already the signing certificate of {domain}"
            else:
                plan = build_certificate_update_plan(domain, state, new)
                summary = f"Promote the new certificate to signing certificate of {domain}"
                if staged != new:
                    notes.append("This certificate was not staged as next first: sign-ins signed "
                                 "with the old certificate fail from now on.")
        else:
            if new is None:
                raise RefusedError(
                    f"Entra already uses the IdP's certificate as the signing certificate of "
                    f"{domain}; there is nothing new to stage.",
                    code="certificate_already_current",
                    remedy="Give the IdP's new metadata (with its new certificate).")
            plan = build_certificate_update_plan(domain, state, current, new)
            summary = f"Stage the new certificate as next signing certificate of {domain}"
            notes.append(promote_note)
        target = Target("Federated", {**writable(before.federation),
                                      **{c.name: c.new for c in plan.changes}})
        prepared = Prepared([plan], target, summary, notes=notes + list(plan.notes),
                            rollover=True)
        if promote:
            prepared.unchanged = (f"Nothing to change: the IdP's certificate already is the "
                                  f"signing certificate of {domain}.")
        else:
            prepared.unchanged = (f"Nothing to change: the IdP's new certificate is already "
                                  f"staged as next signing certificate of {domain}; Entra "
                                  "accepts it and the current one.")
            prepared.unchanged_notes = [promote_note]
        return prepared

    source = quote_arg(metadata_source) if metadata_source else "NEW_METADATA"
    promote_note = ("When the IdP signs with the new certificate, promote it: federator "
                    f"update-certificate --metadata {source} --domain {domain} --promote "
                    f"--confirm {domain}")
    kind = "promote-certificate" if promote else "stage-certificate"
    return _change(ctx, kind, domain, prepare, show_certificates=True)


def _valid_from(text: str) -> dt.datetime | None:
    """When a base64 DER certificate becomes valid (None when unreadable)."""
    from core.certificates import read_certificate

    try:
        return read_certificate(text)[0].not_before
    except InputError:
        return None


def _newest_first(certificates: list[str]) -> list[str]:
    """Certificates ordered by when they became valid, newest first (unreadable ones last)."""
    from core.certificates import read_certificate

    def start(text: str) -> float:
        try:
            return read_certificate(text)[0].not_before.timestamp()
        except InputError:
            return float("-inf")

    unique = list(dict.fromkeys(certificates))
    return sorted(unique, key=start, reverse=True)


def stage_certificate(ctx: OperationContext, domain: str, certificates: str | Sequence[str], *,
                      confirm: str | None, metadata_source: str | None = None
                      ) -> OperationResult:
    """Stage the IdP's new certificate as ``nextSigningCertificate`` (Entra then accepts the
    current one and the new one): :func:`update_certificate` without ``promote``."""
    return update_certificate(ctx, domain, certificates, confirm=confirm, promote=False,
                              metadata_source=metadata_source)


def promote_certificate(ctx: OperationContext, domain: str, certificates: str | Sequence[str], *,
                        confirm: str | None, metadata_source: str | None = None
                        ) -> OperationResult:
    """Make the IdP's new certificate the ``signingCertificate`` once the IdP signs with it:
    :func:`update_certificate` with ``promote``."""
    return update_certificate(ctx, domain, certificates, confirm=confirm, promote=True,
                              metadata_source=metadata_source)

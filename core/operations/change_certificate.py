"""Roll the IdP's signing certificate without downtime: stage the new one as next
(:func:`stage_certificate`), then promote it once the IdP signs with it
(:func:`promote_certificate`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from core.change_kinds import KIND_PROMOTE_CERTIFICATE, KIND_STAGE_CERTIFICATE
from core.errors import InputError, RefusedError
from core.journal import Snapshot
from core.operations.model import STEP_CERTIFICATES, WARNING, OperationResult
from core.operations.pipeline import Prepared, _change, _show_certificates
from core.operations.runner import OperationContext, Run, check_confirmation, quote_arg
from core.operations.state import Target, accepted_certificates, domain_state, writable
from core.plan import DomainState, Plan, build_certificate_update_plan, normalize_certificate


def update_certificate(ctx: OperationContext, domain: str, certificates: str | Sequence[str], *,
                       confirm: str | None, promote: bool = False,
                       metadata_source: str | None = None) -> OperationResult:
    """Roll the IdP signing certificate without downtime: :func:`promote_certificate` with
    ``promote``, else :func:`stage_certificate`.

    ``certificates``: the IdP's signing certificate(s) from its new metadata (base64 DER, any
    order); the new one is the most recently issued that Entra does not already use as
    ``signingCertificate``. ``metadata_source`` (the file or URL the certificates came from)
    makes the promote command shown after staging one that can be pasted as it is.
    """
    change = promote_certificate if promote else stage_certificate
    return change(ctx, domain, certificates, confirm=confirm, metadata_source=metadata_source)


def stage_certificate(ctx: OperationContext, domain: str, certificates: str | Sequence[str], *,
                      confirm: str | None, metadata_source: str | None = None
                      ) -> OperationResult:
    """Add the new certificate as ``nextSigningCertificate``: Entra then accepts the current one
    and the new one, so the IdP can switch whenever it likes."""
    check_confirmation(domain, confirm, ctx)
    candidates = _candidates(certificates)
    source = quote_arg(metadata_source) if metadata_source else "NEW_METADATA"
    promote_note = ("When the IdP signs with the new certificate, promote it: federator "
                    f"update-certificate --metadata {source} --domain {domain} --promote "
                    f"--confirm {domain}")

    def prepare(run: Run, before: Snapshot) -> Prepared:
        state, current, _staged, new = _read_slots(run, before, domain, candidates)
        if new is None:
            raise RefusedError(
                f"Entra already uses the IdP's certificate as the signing certificate of "
                f"{domain}; there is nothing new to stage.",
                code="certificate_already_current",
                remedy="Give the IdP's new metadata (with its new certificate).")
        plan = build_certificate_update_plan(domain, state, current, new)
        prepared = _prepared(before, plan,
                             f"Stage the new certificate as next signing certificate of {domain}",
                             [promote_note])
        prepared.unchanged = (f"Nothing to change: the IdP's new certificate is already "
                              f"staged as next signing certificate of {domain}; Entra "
                              "accepts it and the current one.")
        prepared.unchanged_notes = [promote_note]
        return prepared

    return _change(ctx, KIND_STAGE_CERTIFICATE, domain, prepare, show_certificates=True)


def promote_certificate(ctx: OperationContext, domain: str, certificates: str | Sequence[str], *,
                        confirm: str | None, metadata_source: str | None = None
                        ) -> OperationResult:
    """Make the new certificate ``signingCertificate`` and clear the next slot, once the IdP
    signs with it. ``metadata_source`` is accepted for symmetry with staging."""
    check_confirmation(domain, confirm, ctx)
    candidates = _candidates(certificates)

    def prepare(run: Run, before: Snapshot) -> Prepared:
        state, current, staged, new = _read_slots(run, before, domain, candidates)
        notes: list[str] = []
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
            elif current and current in candidates:
                # The metadata cannot say which certificate the IdP signs with; while it still
                # publishes the one being replaced, the IdP may well still sign with it.
                old = next((c for c in accepted_certificates(before)
                            if c.slot == "signingCertificate" and c.readable), None)
                which = f" ({old.subject}, SHA-1 {old.sha1})" if old else ""
                caution = (
                    f"The IdP's metadata still lists the certificate this replaces{which}: if "
                    f"the IdP still signs with it, every sign-in to {domain} fails once the "
                    f"new one is promoted (AADSTS500081). Test a sign-in right after, as a "
                    f"user of the domain (UPN): federator test-signin --domain {domain} --user "
                    "UPN. If it fails, the way back puts that certificate back.")
                # Said before the write too: the notes come only with the result.
                run.ctx.emit(STEP_CERTIFICATES, WARNING, caution)
                notes.append(caution)
        prepared = _prepared(before, plan, summary, notes)
        prepared.unchanged = (f"Nothing to change: the IdP's certificate already is the "
                              f"signing certificate of {domain}.")
        return prepared

    return _change(ctx, KIND_PROMOTE_CERTIFICATE, domain, prepare, show_certificates=True)


def _candidates(certificates: str | Sequence[str]) -> list[str]:
    """The metadata's certificates, newest first; refused when none is usable."""
    given = [certificates] if isinstance(certificates, str) else list(certificates)
    candidates = _newest_first([normalize_certificate(c) for c in given
                                if c and normalize_certificate(c)])
    if not candidates:
        raise InputError("The metadata gives no usable signing certificate.",
                         code="no_certificate",
                         remedy="Check it with `federator inspect`; the IdP must publish its "
                                "new signing certificate.")
    return candidates


def _read_slots(run: Run, before: Snapshot, domain: str, candidates: list[str]
                ) -> tuple[DomainState, str, str, str | None]:
    """(domain state, current signing certificate, staged next one, the new one or None),
    after showing the certificates Entra accepts; refused when the domain is not federated."""
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
    return state, current, staged, new


def _prepared(before: Snapshot, plan: Plan, summary: str, notes: list[str]) -> Prepared:
    """The rollover's change: the configuration as it is, with the plan's certificates."""
    assert before.federation is not None  # _read_slots refused otherwise
    target = Target("Federated", {**writable(before.federation),
                                  **{c.name: c.new for c in plan.changes}})
    return Prepared([plan], target, summary, notes=notes + list(plan.notes), rollover=True)


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

"""Running a preflight: read the metadata, gather the tenant once, probe the journal folder, run
every check and build the plan.

Why separate from the checks: this is the only place with side effects (Graph, the file system,
the clock); the CLI and the GUI both call :func:`run_preflight` and show the same
:class:`PreflightResult`.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.errors import FederatorError, InputError
from core.findings import Finding
from core.paths import Paths
from core.plan import DomainState, Plan, PlanOptions, build_plan
from core.preflight.checks import JournalProbe, PreflightInput, run_checks
from core.preflight.model import PreflightResult, TenantSnapshot

if TYPE_CHECKING:
    from core.graph.client import GraphClient
    from core.metadata import IdpMetadata
    from core.settings import FederationSettings

log = logging.getLogger(__name__)

_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}$")


def normalize_domain(text: str) -> str:
    """A domain name as Graph names it (lower case, no final dot, an IDN in its ``xn--`` form:
    ``core.domain_names``); InputError when it cannot be one."""
    from core.domain_names import ascii_form

    try:
        name = ascii_form(text)
    except (ValueError, UnicodeError):  # not a valid internationalised name
        name = ""
    if not _DOMAIN.match(name):
        raise InputError(f"'{text}' is not a domain name.", code="bad_domain",
                         remedy="Give the domain as it appears in the admin center, for example "
                                "fabrikam.com.")
    return name


def probe_journal(paths: Paths, tenant_id: str | None = None) -> JournalProbe:
    """Whether Federator can create, write and remove a file in its journal folder, and, once
    the tenant is known, open that tenant's journal file and lock as a change will."""
    folder = paths.journal_dir
    if tenant_id:
        from core.journal import Journal

        journal = Journal(folder, tenant_id)
        why = journal.cannot_write()
        if why is not None:
            return JournalProbe(str(journal.path), False, why)
    probe = folder / f".preflight-probe-{secrets.token_hex(4)}"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with probe.open("w", encoding="utf-8") as fh:
            fh.write("probe\n")
            fh.flush()
        probe.unlink()
    except OSError as exc:
        return JournalProbe(str(folder), False, exc.strerror or type(exc).__name__)
    if tenant_id:
        return JournalProbe(str(Journal(folder, tenant_id).path), True)
    return JournalProbe(str(folder), True)


@dataclass
class MetadataInput:
    """The metadata side of a preflight: what was read, or why it could not be."""

    source: str | None
    metadata: IdpMetadata | None = None
    settings: FederationSettings | None = None
    findings: list[Finding] = field(default_factory=list)
    error: FederatorError | None = None


@dataclass
class UsableMetadata(MetadataInput):
    """Metadata that could be read, with its settings (what :func:`require_metadata` returns)."""

    metadata: IdpMetadata
    settings: FederationSettings


def read_metadata_input(source: str | Path | bytes, *, entity: str | None = None,
                        sign_out_uri: str | None = None, signer_certificate: bytes | None = None,
                        now: dt.datetime | None = None, name: str | None = None
                        ) -> MetadataInput:
    """Read ``source`` (a path, an ``https://`` URL, or the XML itself, then shown as ``name``)
    and derive the settings. Unreadable metadata becomes ``error`` (the ``metadata.readable``
    check reports it); :func:`require_metadata` raises it instead."""
    from core.metadata import MetadataError, read_metadata
    from core.settings import settings_from_metadata

    shown = name or ("metadata" if isinstance(source, bytes) else str(source))
    try:
        md = read_metadata(source, entity=entity, signer_certificate=signer_certificate,
                           now=now)
    except MetadataError as exc:
        return MetadataInput(shown, error=exc)
    settings, findings = settings_from_metadata(md, sign_out_uri_override=sign_out_uri, now=now)
    return MetadataInput(shown, md, settings, findings)


def require_metadata(source: str | Path | bytes, *, entity: str | None = None,
                     signer_certificate: bytes | None = None, name: str | None = None,
                     sign_out_uri: str | None = None) -> UsableMetadata:
    """How every command and the window read metadata: :func:`read_metadata_input`, raising its
    error (an ``InputError``: the CLI exits 2, the window says why) when it is unusable."""
    metadata = read_metadata_input(source, entity=entity, signer_certificate=signer_certificate,
                                   name=name, sign_out_uri=sign_out_uri)
    if metadata.error is not None:
        raise metadata.error
    assert metadata.metadata is not None and metadata.settings is not None  # read, or error
    return UsableMetadata(metadata.source, metadata.metadata, metadata.settings,
                          metadata.findings)


def run_preflight(domain: str, metadata: MetadataInput, *, client: GraphClient | None,
                  paths: Paths, options: PlanOptions | None = None,
                  now: dt.datetime | None = None, tenant_error: str | None = None,
                  sandbox: bool = False, write_consent: bool = False) -> PreflightResult:
    """Every check for federating ``domain`` with ``metadata``; ``client`` ``None`` runs only
    the checks that need no tenant (the others are ``skipped`` with ``tenant_error``).
    ``write_consent``: the caller asks for the write permission at the change (the window's
    consent step), so a token without it yet is no failure."""
    from core.preflight.gather import gather_tenant

    domain = normalize_domain(domain)
    options = options or PlanOptions()
    started = now or dt.datetime.now(dt.UTC)
    clock = time.perf_counter()
    snapshot: TenantSnapshot | None = None
    if client is not None:
        snapshot = gather_tenant(client, domain)
    inp = PreflightInput(
        domain=domain, metadata=metadata.metadata, metadata_error=metadata.error,
        settings=metadata.settings, settings_findings=metadata.findings, tenant=snapshot,
        tenant_error=tenant_error or (None if client else "Federator was not signed in."),
        journal=probe_journal(paths, snapshot.tenant_id if snapshot else None),
        options=options, now=started, write_consent=write_consent)
    checks = run_checks(inp)
    result = PreflightResult(
        domain=domain, checks=checks, started_at=started, metadata_source=metadata.source,
        entity_id=metadata.metadata.entity_id if metadata.metadata else None,
        tenant_name=snapshot.tenant_name if snapshot else None,
        tenant_id=snapshot.tenant_id if snapshot else None,
        signed_in_as=snapshot.signed_in_as if snapshot else None, sandbox=sandbox,
        round_trips=snapshot.round_trips if snapshot else 0)
    result.facts = facts_of(snapshot, domain) if snapshot else None
    result.plan, result.plan_error = plan_for(domain, inp, options)
    result.elapsed_s = time.perf_counter() - clock
    return result


def facts_of(snapshot: TenantSnapshot, domain: str) -> dict[str, Any]:
    """The figures the user and lock-out checks judged by (``preflight --json``'s ``facts``);
    a figure Graph did not give is ``null`` and ``truncated`` is then true."""
    from core.preflight.checks import admins_in_scope

    facts = snapshot.facts()
    admins = admins_in_scope(snapshot, domain)
    complete = facts is not None and facts.complete
    return {
        "users_in_scope": facts.in_scope if facts else None,
        "users_without_immutable_id": facts.without_immutable_id if facts else None,
        "users_enabled": facts.enabled if facts else None,
        "global_admins_in_scope": admins,
        "truncated": not complete or admins is None,
        "unread": sorted({*(facts.unread if facts else []),
                          *(f"{k}: {v}" for k, v in snapshot.errors.items()
                            if k != "users" or facts is None)}),
    }


def domain_state(snapshot: TenantSnapshot, domain: str) -> DomainState | None:
    """The target's :class:`DomainState` from gathered data (None when the tenant lacks it)."""
    dom = snapshot.domain(domain)
    if dom is None:
        return None
    return DomainState.from_graph(dom, snapshot.federation.get(str(dom["id"]).lower()))


def plan_for(domain: str, inp: PreflightInput,
             options: PlanOptions) -> tuple[Plan | None, str | None]:
    """The plan when it can be built, else why not (for the report)."""
    if inp.settings is None:
        return None, "There is no plan: the metadata could not be read."
    if inp.tenant is None:
        return None, "There is no plan: Federator did not read the tenant."
    state = domain_state(inp.tenant, domain)
    if state is None:
        return None, f"There is no plan: {domain} is not a domain of this tenant."
    try:
        return build_plan(domain, inp.settings, state, options), None
    except FederatorError as exc:
        return None, f"There is no plan: {exc.message}" + (f" {exc.remedy}" if exc.remedy
                                                           else "")

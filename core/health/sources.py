"""Where each federated domain's IdP metadata comes from, remembered per user and tenant.

Recorded when Federator federates a domain or updates its certificate, and settable later
(``federator watch --domain D --set-source SOURCE``, or the window): the watch re-reads the
IdP's metadata from here. One JSON file per tenant in the per-user data folder
(``data/health/sources-<tenant>.json``), replaced atomically (a crash leaves the old file or the
new one, never half of one) and owner-only on POSIX: it names the tenant's domains and IdPs.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.errors import InputError
from core.paths import Paths

VERSION = 1


@dataclass(frozen=True)
class RememberedSource:
    """A domain's metadata source and the IdP certificates it held when it was recorded."""

    source: str
    recorded_at: str
    recorded_by: str  # federate | update-certificate | set-source
    certificates: list[dict[str, Any]] = field(default_factory=list)  # sha1, sha256, not_after

    def to_json(self) -> dict[str, Any]:
        return {"source": self.source, "recorded_at": self.recorded_at,
                "recorded_by": self.recorded_by, "certificates": self.certificates}


def sources_file(paths: Paths, tenant: str) -> Path:
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", tenant) or "tenant"
    return paths.data / "health" / f"sources-{safe}.json"


def check_source(text: str) -> str:
    """An https URL as typed, or a file path made absolute (a scheduled run starts elsewhere);
    anything else is refused with a reason."""
    value = text.strip()
    if not value:
        raise InputError("The metadata source is empty.", code="bad_source",
                         remedy="Give the IdP's https:// metadata URL or a metadata file.")
    if re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://", value):
        from core.metadata.fetch import check_url

        check_url(value)
        return value
    path = Path(value).expanduser()
    if not path.is_file():
        raise InputError(f"No metadata file at {value}.", code="bad_source",
                         remedy="Give an existing file or an https:// URL.")
    return str(path.resolve())


def load_sources(paths: Paths, tenant: str) -> dict[str, RememberedSource]:
    """Every remembered source of ``tenant`` by domain (lower case); empty when none yet. A
    damaged file is treated as empty (the next write replaces it) rather than stopping a watch."""
    try:
        data = json.loads(sources_file(paths, tenant).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    found: dict[str, RememberedSource] = {}
    domains = data.get("domains") if isinstance(data, dict) else None
    for name, item in (domains or {}).items():
        if isinstance(item, dict) and isinstance(item.get("source"), str):
            certs = item.get("certificates")
            found[str(name).lower()] = RememberedSource(
                source=item["source"], recorded_at=str(item.get("recorded_at") or ""),
                recorded_by=str(item.get("recorded_by") or ""),
                certificates=[c for c in certs if isinstance(c, dict)]
                if isinstance(certs, list) else [])
    return found


def remember_source(paths: Paths, tenant: str, domain: str, source: str, *, by: str,
                    certificates: list[dict[str, Any]] | None = None,
                    at: str | None = None) -> RememberedSource:
    """Record (or replace) ``domain``'s source; written atomically, owner-only."""
    from core.journal import now_iso

    entry = RememberedSource(source=source, recorded_at=at or now_iso(), recorded_by=by,
                             certificates=list(certificates or []))
    known = load_sources(paths, tenant)
    known[domain.lower()] = entry
    _write(sources_file(paths, tenant),
           {"version": VERSION, "tenant": tenant,
            "domains": {name: known[name].to_json() for name in sorted(known)}})
    return entry


def certificate_facts(metadata: Any) -> list[dict[str, Any]]:
    """Thumbprints and validity of the IdP's signing certificates (``IdpMetadata``)."""
    return [{"sha1": c.sha1, "sha256": c.sha256, "subject": c.subject,
             "not_before": c.not_before.strftime("%Y-%m-%dT%H:%M:%SZ"),
             "not_after": c.not_after.strftime("%Y-%m-%dT%H:%M:%SZ")}
            for c in metadata.signing_certificates]


def _write(path: Path, payload: dict[str, Any]) -> None:
    from core.logs import open_private, private_folder

    private_folder(path.parent)
    temp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    try:
        with open_private(temp, "w") as handle:
            json.dump(payload, handle, indent=2, ensure_ascii=False)
            handle.flush()
            os.fsync(handle.fileno())
        temp.replace(path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            temp.unlink()


def usable_source(source: str | None) -> str | None:
    """``source`` as the watch can read it again later: an https URL as given, an existing file
    made absolute; ``None`` for anything else (the window's built-in sample, bytes)."""
    if not source:
        return None
    if source.lower().startswith("https://"):
        return source
    path = Path(source).expanduser()
    return str(path.resolve()) if path.is_file() else None


def remember_after_change(paths: Paths, tenant: str, domain: str, source: str | None,
                          metadata: Any, result: Any) -> str | None:
    """After a federate or certificate update that succeeded: remember the metadata source it
    used (a file path made absolute), so the watch reads it next time. Never fails the change:
    returns a warning when the record cannot be written, else ``None``."""
    value = usable_source(source)
    if value is None or not getattr(result, "ok", False) or metadata is None:
        return None
    try:
        remember_source(paths, tenant, domain, value, by=str(getattr(result, "kind", "change")),
                        certificates=certificate_facts(metadata))
    except OSError as exc:
        return f"could not remember the metadata source of {domain}: {exc}"
    return None


def _last_report_file(paths: Paths, tenant: str) -> Path:
    return sources_file(paths, tenant).with_name(
        sources_file(paths, tenant).name.replace("sources-", "last-watch-"))


def save_last_report(paths: Paths, tenant: str, report: dict[str, Any]) -> None:
    """The last watch's report (its JSON), so the window's overview opens on it at once."""
    _write(_last_report_file(paths, tenant), report)


def load_last_report(paths: Paths, tenant: str) -> dict[str, Any] | None:
    try:
        data = json.loads(_last_report_file(paths, tenant).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and isinstance(data.get("domains"), list) else None


def journal_facts(source: str | None, metadata: Any) -> dict[str, Any]:
    """What a federate or certificate update records in its journal entry about the metadata
    it used: the source (a file path made absolute) and the certificates' thumbprints and
    validity (``OperationContext.journal_extra``)."""
    value = usable_source(source)
    if value is None or metadata is None:
        return {}
    return {"metadata_source": {"source": value,
                                "entity_id": getattr(metadata, "entity_id", None),
                                "certificates": certificate_facts(metadata)}}

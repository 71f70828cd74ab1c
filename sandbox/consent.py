"""Which delegated permissions each app registration holds in the sandbox tenant, and a log of
every token the sandbox issues (what was asked for, what was granted), so a test can prove
Federator asks only for what a command needs.

Entra's rule the sandbox follows: an access token carries the delegated permissions consented
for that client (and user), not only those the request named; a request that names a permission
not consented yet needs the user (or an admin) to consent, which an interactive sign-in (browser,
device code) offers and a refresh-token request cannot: that one fails with AADSTS65001
(https://learn.microsoft.com/entra/identity-platform/consent-types-developer,
https://learn.microsoft.com/entra/identity-platform/permissions-consent-overview).

The consented set is a sandbox setting kept with the tenant (``consentedScopes``: client id ->
permissions, ``"*"`` for every client), by default Federator's documented permissions plus
``User.Read``: what an admin grants once when registering Federator. ``unconsentedScopes`` (the
tenant cannot consent them at all) is subtracted from it.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from sandbox.state import TenantStore
from sandbox.tokens import DEFAULT_SCOPES, RESERVED_SCOPES, short_scope

ANY_CLIENT = "*"
TOKEN_LOG_FILE = "token-log.jsonl"  # noqa: S105 (a file name)
TOKEN_LOG_LIMIT = 20_000  # lines; the older half is dropped beyond it (a long ``serve``)


def requested_permissions(scopes: Iterable[str]) -> list[str]:
    """Graph permissions named by a request, short form, without OIDC's reserved scopes."""
    out: list[str] = []
    for scope in scopes:
        if scope in RESERVED_SCOPES:
            continue
        name = short_scope(scope)
        if name not in out:
            out.append(name)
    return out


def unconsentable(store: TenantStore) -> set[str]:
    """Permissions this tenant cannot consent (``Sandbox.set_unconsented_scopes``)."""
    return {short_scope(s) for s in store.data.get("unconsentedScopes") or ()}


def consented(store: TenantStore, client_id: str) -> list[str]:
    """The permissions consented for ``client_id`` (call with ``store.lock`` held)."""
    table = store.data.get("consentedScopes") or {}
    chosen = table.get(client_id)
    if chosen is None:
        chosen = table.get(ANY_CLIENT)
    if chosen is None:
        chosen = DEFAULT_SCOPES
    blocked = unconsentable(store)
    return [s for s in dict.fromkeys(short_scope(x) for x in chosen) if s not in blocked]


def set_consented(store: TenantStore, scopes: Sequence[str], client_id: str = ANY_CLIENT) -> None:
    """Replace the consented set of ``client_id`` (``"*"``: every client without its own)."""
    with store.transaction():
        table = dict(store.data.get("consentedScopes") or {})
        table[client_id] = [short_scope(s) for s in scopes]
        store.data["consentedScopes"] = table
        store.save()


def add_consent(store: TenantStore, client_id: str, permissions: Sequence[str]) -> None:
    """What the admin's "Accept" on a consent prompt does: the permissions join the client's set."""
    with store.transaction():
        current = consented(store, client_id)
        missing = [p for p in permissions if p not in current]
        if not missing:
            return
        table = dict(store.data.get("consentedScopes") or {})
        table[client_id] = [*current, *missing]
        store.data["consentedScopes"] = table
        store.save()


class TokenLog:
    """Every token the sandbox issued or refused, one JSON line each, beside the tenant state (so
    a CLI run's tokens can be read after its in-process sandbox stopped). No token values."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / TOKEN_LOG_FILE

    def record(self, *, grant: str, client_id: str, upn: str, requested: Sequence[str],
               granted: Sequence[str], error: str | None = None) -> None:
        line = json.dumps({"at": time.time(), "grant": grant, "client_id": client_id,
                           "upn": upn, "requested": list(requested), "granted": list(granted),
                           "error": error}, separators=(",", ":"))
        with contextlib.suppress(OSError):
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            try:
                os.write(fd, (line + "\n").encode("utf-8"))
            finally:
                os.close(fd)
            self._trim()

    def _trim(self) -> None:
        if self.path.stat().st_size < TOKEN_LOG_LIMIT * 200:
            return
        lines = self.path.read_text(encoding="utf-8").splitlines()
        if len(lines) > TOKEN_LOG_LIMIT:
            # newline="\n": on Windows text mode would write CRLF, mixing line endings with
            # the LF lines record() appends.
            self.path.write_text("\n".join(lines[len(lines) // 2:]) + "\n", encoding="utf-8",
                                 newline="\n")

    def entries(self) -> list[dict[str, Any]]:
        try:
            text = self.path.read_text(encoding="utf-8")
        except OSError:
            return []
        out = []
        for line in text.splitlines():
            with contextlib.suppress(ValueError):
                item = json.loads(line)
                if isinstance(item, dict):
                    out.append(item)
        return out

"""A change record for the change ticket: one journal entry, in JSON and in a standalone HTML page.

Why it exists: an admin who federates or reverts a domain usually owes a change ticket its
evidence: which tenant and domain, who, when, the state before and after, the requests sent with
Microsoft's request ids (what Microsoft support asks for), whether the result was read back and
verified, and the way back. The journal holds all of it; this module lays it out, once, for the
window's Export buttons (on a result and on any History row) and ``federator history --export``.

Everything shown comes from the journal and from Graph, so it is data: escaped in HTML, never
interpreted. Secrets never reach the journal, so they cannot reach a record.
"""

from __future__ import annotations

import json
from html import escape
from pathlib import Path
from typing import Any

from core import __version__
from core.errors import InputError
from core.journal import JournalEntry, Snapshot
from core.plan import display_value
from core.report import _CSS, _write, check_report_path

FORMATS = ("html", "json")


def find_entry(journal_dir: Path, op: str) -> JournalEntry:
    """The journal entry of operation ``op`` (InputError when the journal has none)."""
    from core.journal_index import read_history

    for entry in read_history(journal_dir).entries:
        if entry.op == op:
            return entry
    raise InputError(f"The journal has no change with the id {op}.", code="change_not_found",
                     remedy="The History list shows every change and its id.")


def change_record(entry: JournalEntry) -> dict[str, Any]:
    """The record of one change, as JSON-ready data."""
    end = entry.end or {}
    verify = entry.verification
    return {
        "format": "federator-change-record/1",
        "generated_by": f"Federator {__version__}",
        "op": entry.op,
        "kind": entry.kind,
        "tenant": entry.tenant,
        "domain": entry.domain,
        "who": entry.who,
        "started_at": entry.started_at,
        "finished_at": entry.finished_at,
        "outcome": entry.outcome,
        "summary": entry.summary,
        "changed": end.get("changed"),
        "before": _snap(entry.snapshot_before),
        "after": _snap(entry.snapshot_after),
        "requests": [{"method": r.get("method"), "path": r.get("path"), "at": r.get("at"),
                      "body": r.get("body")} for r in entry.requests],
        "responses": [{"method": r.get("method"), "path": r.get("path"),
                       "status": r.get("status"), "request_id": r.get("request_id"),
                       "error": r.get("error"), "certain": r.get("certain", True)}
                      for r in entry.responses],
        "request_ids": entry.request_ids,
        "verification": ({"ok": verify.get("ok"), "differences": verify.get("differences", []),
                          "at": verify.get("at")} if verify else None),
        "way_back": entry.way_back,
        "remaining_options": end.get("remaining_options") or [],
    }


def _snap(snap: Snapshot | None) -> dict[str, Any] | None:
    return snap.to_json() if snap is not None else None


def render_html(record: dict[str, Any]) -> str:
    """The record as one standalone page (inline CSS, no scripts, nothing fetched)."""
    def row(key: str, value: Any) -> str:
        return f"<tr><th>{escape(key)}</th><td>{escape(_plain(value))}</td></tr>"

    facts = "".join(row(k, v) for k, v in (
        ("Tenant", record["tenant"]), ("Domain", record["domain"]),
        ("Change", record["kind"]), ("Who", record["who"]),
        ("Started (UTC)", record["started_at"]), ("Finished (UTC)", record["finished_at"]),
        ("Outcome", record["outcome"]), ("Summary", record["summary"]),
        ("Operation id", record["op"])))
    states = "".join(_state_html(title, record[key])
                     for title, key in (("Before", "before"), ("After", "after")))
    sent = "".join(
        f"<pre>{escape(_plain(r['method']))} {escape(_plain(r['path']))}"
        + (f"\n{escape(json.dumps(r['body'], indent=2, ensure_ascii=False))}"
           if r.get("body") is not None else "") + "</pre>" for r in record["requests"])
    answers = "".join(
        "<tr>" + "".join(f"<td>{escape(_plain(r.get(k)))}</td>"
                         for k in ("method", "path", "status", "request_id", "error"))
        + "</tr>" for r in record["responses"])
    verify = record["verification"]
    verified = ("Not read back." if verify is None else
                "Read back: as planned." if verify.get("ok") else
                "Read back: differs from the plan: " + "; ".join(map(str, verify["differences"])))
    way_back = record["way_back"] or "None recorded."
    remaining = "".join(f"<li>{escape(_plain(o))}</li>" for o in record["remaining_options"])
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Change record: {escape(record['kind'])} {escape(record['domain'])}</title>
<style>{_CSS}</style></head>
<body><main>
<h1>Change record: {escape(record['kind'])} {escape(record['domain'])}</h1>
<table class="facts">{facts}</table>
<h2>State before and after</h2>
{states or '<p>No snapshot was recorded.</p>'}
<h2>Requests sent to Microsoft Graph</h2>
{sent or '<p>No request was sent.</p>'}
<h2>Microsoft's answers (request ids for Microsoft support)</h2>
<table class="checks"><tr><th>Method</th><th>Path</th><th>Status</th><th>Request id</th>
<th>Error</th></tr>{answers}</table>
<h2>Verification</h2>
<p>{escape(verified)}</p>
<h2>Way back</h2>
<p>{escape(way_back)}</p>
{f'<ul>{remaining}</ul>' if remaining else ''}
<footer>Generated by {escape(record['generated_by'])} from its journal. It holds no secrets:
access tokens are never written to the journal.</footer>
</main></body></html>
"""


def _state_html(title: str, snap: dict[str, Any] | None) -> str:
    if snap is None:
        return ""
    rows = "".join(f"<tr><th>{escape(str(k))}</th><td>{escape(display_value(str(k), v))}</td>"
                   "</tr>" for k, v in (snap.get("federation") or {}).items()
                   if not str(k).startswith("@") and v not in (None, ""))
    state = Snapshot.from_json(snap)
    return (f"<h3>{escape(title)}: {escape(state.authentication_type)} "
            f"(snapshot {escape(state.id)}, taken {escape(state.taken_at)})</h3>"
            f"<table class=\"facts\">{rows}</table>")


def _plain(value: Any) -> str:
    return "" if value is None else str(value)


def export_change(entry: JournalEntry, path: str | Path, fmt: str | None = None) -> Path:
    """Write the record of ``entry`` to ``path``, as HTML or JSON (``fmt``, else by the file's
    suffix: ``.json`` is JSON, anything else HTML). Returns the path written."""
    target = check_report_path(path)
    fmt = fmt or ("json" if target.suffix.lower() == ".json" else "html")
    if fmt not in FORMATS:
        raise InputError(f"'{fmt}' is not a change record format.", code="bad_option",
                         remedy="Use html or json.")
    record = change_record(entry)
    if fmt == "json":
        return _write(target, json.dumps(record, indent=2, ensure_ascii=False, default=str)
                      + "\n")
    return _write(target, render_html(record))

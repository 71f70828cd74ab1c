"""Preflight results and the plan as one self-contained HTML file, or as JSON: for a change ticket.

Why it exists: a change board wants to see, before approving, which tenant and domain, who ran the
checks and when, every check with its outcome, and the exact change. The HTML has no external
resources (inline CSS, no scripts, no fonts or images to fetch) so it opens anywhere and can be
attached as is. Status is shown as a symbol, a word and a colour, so it reads in greyscale too.
Nothing secret can reach a report: it is built only from :class:`PreflightResult`, which holds no
tokens.
"""

from __future__ import annotations

import datetime as dt
import json
from html import escape
from pathlib import Path
from typing import Any

from core import __version__
from core.errors import FederatorError, InputError
from core.plan import Plan, PlanAction, display_body, display_powershell, display_value
from core.preflight.model import STATUS_WORDS, CheckResult, PreflightResult

STATUS_SYMBOLS: dict[str, str] = {
    "pass": "\u2714", "warn": "\u26a0", "fail": "\u2716", "unknown": "\u2298", "manual": "?",
    "skipped": "\u2013",
}
_GROUPS = (("metadata", "IdP metadata"), ("cert", "Signing certificate"), ("domain", "Domain"),
           ("tenant", "Tenant"), ("access", "Access and lock-out"), ("users", "Users"),
           ("exchange", "Exchange Online"), ("local", "This computer"))

_CSS = """
:root { --pass:#1a7f37; --warn:#9a6700; --fail:#cf222e; --unknown:#8250df; --manual:#0969da;
        --skipped:#6e7781;
        --ink:#1f2328; --muted:#59636e; --line:#d1d9e0; --soft:#f6f8fa; }
* { box-sizing: border-box; }
body { font: 14px/1.5 "Segoe UI", system-ui, -apple-system, Roboto, Arial, sans-serif;
       color: var(--ink); margin: 0; background: #fff; }
main { max-width: 1080px; margin: 0 auto; padding: 28px 32px 48px; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 17px; margin: 28px 0 8px;
     border-bottom: 1px solid var(--line); padding-bottom: 4px; }
h3 { font-size: 14px; margin: 18px 0 6px; color: var(--muted); text-transform: uppercase;
     letter-spacing: .04em; }
.sub { color: var(--muted); margin: 0 0 16px; }
table { border-collapse: collapse; width: 100%; }
table.checks { table-layout: fixed; }
th, td { text-align: left; vertical-align: top; padding: 6px 8px;
         border-bottom: 1px solid var(--line); }
th { background: var(--soft); font-weight: 600; }
table.facts th { width: 190px; background: none; color: var(--muted); font-weight: 500; }
.verdict { border-radius: 6px; padding: 12px 16px; margin: 16px 0; font-weight: 600;
           border: 1px solid; }
.verdict.fail { background: #ffebe9; border-color: #ff8182; color: #82071e; }
.verdict.ok { background: #dafbe1; border-color: #4ac26b; color: #0f5323; }
.counts span { display: inline-block; margin-right: 14px; }
.badge { display: inline-block; white-space: nowrap; font-weight: 600; border-radius: 12px;
         padding: 1px 9px; font-size: 12.5px; border: 1px solid currentColor; }
.badge.pass { color: var(--pass); background: #dafbe1; }
.badge.warn { color: var(--warn); background: #fff8c5; }
.badge.fail { color: var(--fail); background: #ffebe9; }
.badge.unknown { color: var(--unknown); background: #fbefff; }
.badge.manual { color: var(--manual); background: #ddf4ff; }
.badge.skipped { color: var(--skipped); background: var(--soft); }
.checks col.status { width: 150px; } .checks col.check { width: 240px; }
.id { color: var(--muted); font-size: 12px;
  font-family: Consolas, "Cascadia Mono", Menlo, monospace; }
.why { color: var(--muted); } .remedy { margin-top: 4px; } .remedy b { color: var(--ink); }
ul.attention { list-style: none; padding-left: 0; margin: 4px 0; }
ul.attention li { margin: 3px 0; }
ul.items { margin: 4px 0 0; padding-left: 18px; columns: 2; font-size: 13px; }
pre { background: var(--soft); border: 1px solid var(--line); border-radius: 6px; padding: 10px;
      overflow-x: auto; font: 12.5px/1.45 Consolas, "Cascadia Mono", Menlo, monospace;
      white-space: pre-wrap; word-break: break-all; }
tr.changed td { background: #fff8c5; }
table.plan td { overflow-wrap: anywhere; }
table.plan td:first-child code { white-space: nowrap; word-break: normal; }
table.plan td:last-child { white-space: nowrap; overflow-wrap: normal; }
code { font: 12.5px Consolas, "Cascadia Mono", Menlo, monospace; word-break: break-all; }
.sandbox { background: #ddf4ff; border: 1px solid #54aeff; border-radius: 6px; padding: 8px 12px; }
footer { margin-top: 36px; color: var(--muted); font-size: 12px; }
@media print { main { padding: 0; } details { display: block; } }
"""


def report_json(result: PreflightResult) -> dict[str, Any]:
    """The JSON form: ``PreflightResult.to_json()`` plus what produced it."""
    body = result.to_json()
    body["generator"] = f"Federator {__version__}"
    return body


def write_html_report(result: PreflightResult, path: str | Path, *,
                      graph_url: str | None = None) -> Path:
    """Write the self-contained HTML report to ``path``; returns the path written.

    ``graph_url`` is the tenant's Graph root (national clouds differ); default: global Graph."""
    html = render_html(result, graph_url=graph_url) if graph_url else render_html(result)
    return _write(Path(path).expanduser(), html)


def write_json_report(result: PreflightResult, path: str | Path) -> Path:
    """Write the JSON report (:func:`report_json`) to ``path``; returns the path written."""
    text = json.dumps(report_json(result), indent=2, ensure_ascii=False, default=str)
    return _write(Path(path).expanduser(), text + "\n")


def check_report_path(path: str | Path) -> Path:
    """Refuse, before any work, a report path that cannot be written (``InputError``, exit 2):
    creates its folder when missing. Returns the path as it will be written."""
    import os

    target = Path(path).expanduser()
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"Cannot create the folder for the report, {target.parent}: "
                         f"{exc.strerror or exc}.", code="report_not_writable",
                         remedy="Choose a folder you can write to.") from None
    if target.is_dir() or not os.access(target.parent, os.W_OK) or (
            target.exists() and not os.access(target, os.W_OK)):
        raise InputError(f"Cannot write the report to {target}.", code="report_not_writable",
                         remedy="Choose a file name in a folder you can write to.")
    return target


def _write(target: Path, text: str) -> Path:
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise FederatorError(f"Could not write the report to {target}: "
                             f"{exc.strerror or exc}.", code="report_not_written",
                             remedy="Choose a folder you can write to.") from None
    return target


def _badge(status: str) -> str:
    return (f'<span class="badge {escape(status)}">{STATUS_SYMBOLS.get(status, "")} '
            f'{escape(STATUS_WORDS.get(status, status))}</span>')


def _text(value: str) -> str:
    return escape(value).replace("\n", "<br>")


def _check_row(c: CheckResult) -> str:
    remedy = ""
    if c.remedy:
        if "\n" in c.remedy:
            head, _, code = c.remedy.partition("\n")
            remedy = (f'<div class="remedy"><b>What to do:</b> {_text(head)}'
                      f"<pre>{escape(code)}</pre></div>")
        else:
            remedy = f'<div class="remedy"><b>What to do:</b> {_text(c.remedy)}</div>'
    items = ""
    if c.items:
        items = '<ul class="items">' + "".join(f"<li>{escape(i)}</li>" for i in c.items) + "</ul>"
    return (f'<tr><td class="status">{_badge(c.status)}</td>'
            f'<td class="check">{escape(c.title)}<div class="id">{escape(c.id)}</div></td>'
            f"<td>{_text(c.found)}{items}<div class=\"why\">Why it matters: {_text(c.why)}</div>"
            f"{remedy}{_learn(c)}</td></tr>")


def _learn(c: CheckResult) -> str:
    if not c.learn:
        return ""
    return (f'<div class="why">Learn more: <a href="{escape(c.learn)}">'
            f"{escape(c.learn)}</a></div>")


def _plan_html(plan: Plan, graph_url: str) -> str:
    verb = {PlanAction.FEDERATE: "Federate (create the federation configuration)",
            PlanAction.UPDATE: "Update the federation configuration in place",
            PlanAction.CERTIFICATE_UPDATE: "Update the signing certificate",
            PlanAction.REVERT: "Revert to managed sign-in",
            PlanAction.MAKE_DEFAULT: "Make the domain the default"}[plan.action]
    rows = "".join(
        f'<tr class="{"changed" if c.changed else ""}"><td><code>{escape(c.name)}</code></td>'
        f"<td>{escape(display_value(c.name, c.current))}</td>"
        f"<td>{escape(display_value(c.name, c.new))}</td>"
        f"<td>{'changes' if c.changed else 'unchanged'}</td></tr>" for c in plan.changes)
    out = [f"<p><b>{escape(verb)}</b> for <b>{escape(plan.domain)}</b>."
           + (" Nothing would change." if plan.is_noop else "") + "</p>",
           "<h3>Properties</h3><table class=\"plan\"><tr><th>Property</th><th>Current</th>"
           "<th>New</th>"
           f"<th></th></tr>{rows}</table>"]
    if plan.requests:
        out.append("<h3>Requests Federator will send</h3>")
        for r in plan.requests:
            out.append(f"<pre>{escape(r.method)} {escape(r.url(graph_url))}\n"
                       f"{escape(display_body(r.body))}</pre>")
        out.append("<details><summary>Full request bodies (certificates in full)</summary>"
                   + "".join(f"<pre>{escape(json.dumps(r.body, indent=2))}</pre>"
                             for r in plan.requests if r.body) + "</details>")
    if plan.powershell:
        out.append("<h3>The same change in Microsoft Graph PowerShell</h3>")
        out.append("<pre>" + escape("\n".join(display_powershell(c) for c in plan.powershell))
                   + "</pre>")
    if plan.notes:
        out.append("<h3>Notes</h3><ul>" + "".join(f"<li>{escape(n)}</li>" for n in plan.notes)
                   + "</ul>")
    return "\n".join(out)


def render_html(result: PreflightResult, *,
                graph_url: str = "https://graph.microsoft.com/v1.0") -> str:
    """The whole report as one HTML document (no external resources)."""
    when = result.started_at.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    failed = result.failed
    if failed:
        verdict = (f'<div class="verdict fail">{STATUS_SYMBOLS["fail"]} Not ready: '
                   f"{len(failed)} check(s) failed. Do not federate {escape(result.domain)} "
                   "until they pass.</div>")
    else:
        verdict = (f'<div class="verdict ok">{STATUS_SYMBOLS["pass"]} No check failed. Read the '
                   "warnings and the checks to do by hand before approving the change.</div>")
        unread = [c.id for c in result.checks if c.status == "unknown"]
        if unread:
            verdict += ("<p><b>Not read:</b> Federator could not read what "
                        + escape(", ".join(unread)) + " need; federating needs them accepted "
                        "by id, like warnings.</p>")
    attention = [c for c in result.checks if c.status in ("fail", "warn", "unknown", "manual")]
    if attention:
        order = {"fail": 0, "warn": 1, "unknown": 2, "manual": 3}
        verdict += ('<p><b>Needs attention:</b></p><ul class="attention">' + "".join(
            f"<li>{_badge(c.status)} {escape(c.title)} <span class=\"id\">{escape(c.id)}</span>"
            "</li>" for c in sorted(attention, key=lambda c: order[c.status])) + "</ul>")
    counts = "".join(f"<span>{_badge(s)} {result.count(s)}</span>"
                     for s in ("fail", "warn", "unknown", "manual", "pass", "skipped"))
    facts = [
        ("Tenant", f"{result.tenant_name or 'not read'}"
                   + (f" ({result.tenant_id})" if result.tenant_id else "")),
        ("Domain", result.domain),
        ("Checked by", result.signed_in_as or "not signed in"),
        ("When", when),
        ("IdP metadata", (result.metadata_source or "none")
         + (f" (entity {result.entity_id})" if result.entity_id else "")),
        ("Graph round trips", f"{result.round_trips} in {result.elapsed_s:.2f} s"),
    ]
    fact_rows = "".join(f"<tr><th>{escape(k)}</th><td>{escape(v)}</td></tr>" for k, v in facts)
    sandbox = ('<p class="sandbox">This report was made against the built-in <b>sandbox '
               "tenant</b> (demo mode), not a real Microsoft 365 tenant.</p>"
               if result.sandbox else "")
    sections = []
    for prefix, title in _GROUPS:
        group = [c for c in result.checks if c.id.split(".", 1)[0] == prefix]
        if not group:
            continue
        sections.append(f"<h3>{escape(title)}</h3><table class=\"checks\"><col class=\"status\">"
                        "<col class=\"check\"><col><tr><th>Status</th><th>Check</th>"
                        "<th>What Federator found</th></tr>"
                        + "".join(_check_row(c) for c in group) + "</table>")
    plan = (_plan_html(result.plan, graph_url) if result.plan else
            f"<p>{escape(result.plan_error or 'No plan.')}</p>")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Federation preflight: {escape(result.domain)} ({escape(when)})</title>
<style>{_CSS}</style></head>
<body><main>
<h1>Federation preflight: {escape(result.domain)}</h1>
<p class="sub">What Federator checked before federating this domain with a SAML 2.0 identity
provider, and the exact change it would make.</p>
{sandbox}
<table class="facts">{fact_rows}</table>
{verdict}
<p class="counts">{counts}</p>
<h2>Checks</h2>
{"".join(sections)}
<h2>The change</h2>
{plan}
<footer>Generated by Federator {escape(__version__)} on {escape(when)}. This report holds no
secrets: access tokens are never written to it. Certificates are public and shown shortened
except in the full request bodies.</footer>
</main></body></html>
"""

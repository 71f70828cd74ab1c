"""The change-ticket report: self-contained HTML (and JSON) with every check and the plan."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest

from core.errors import FederatorError
from core.preflight.checks import CHECK_IDS, run_checks
from core.preflight.model import CheckResult, PreflightResult
from core.preflight.run import plan_for
from core.report import render_html, report_json, write_html_report, write_json_report
from tests.core.test_preflight_checks import make

WHEN = dt.datetime(2026, 11, 29, 9, 30, tzinfo=dt.UTC)


def result_for(domain: str = "fabrikam.com", **kw: object) -> PreflightResult:
    inp = make(domain, **kw)  # type: ignore[arg-type]
    assert inp.tenant is not None
    result = PreflightResult(domain=domain, checks=run_checks(inp), started_at=WHEN,
                             metadata_source="jumpcloud.xml", entity_id="https://sso.example",
                             tenant_name="Contoso (sandbox)", tenant_id="tid-1",
                             signed_in_as=inp.tenant.signed_in_as, sandbox=True, round_trips=2,
                             elapsed_s=0.4)
    result.plan, result.plan_error = plan_for(domain, inp, inp.options)
    return result


def test_html_is_self_contained_and_names_tenant_domain_who_when() -> None:
    html = render_html(result_for())
    assert html.startswith("<!DOCTYPE html>")
    assert not re.search(r"<script|<link|<img|<iframe|src=|@import|url\(", html)
    for text in ("Contoso (sandbox)", "tid-1", "fabrikam.com", "ops@contoso.com",
                 "2026-11-29 09:30:00 UTC", "jumpcloud.xml", "sandbox tenant"):
        assert text in html
    for check_id in CHECK_IDS:
        assert check_id in html


def test_every_status_shows_a_symbol_a_word_and_a_colour_class() -> None:
    html = render_html(result_for("contoso.com"))  # has fail, warn, manual and pass
    assert "Not ready: " in html
    for status, word in (("fail", "Fail"), ("warn", "Warning"), ("manual", "Check by hand"),
                         ("pass", "Pass")):
        assert re.search(rf'<span class="badge {status}">[^<]+ {word}</span>', html), status


def test_plan_is_in_the_report_with_certificates_shortened_outside_the_full_bodies() -> None:
    result = result_for()
    assert result.plan is not None
    html = render_html(result)
    cert = (result.plan.requests[0].body or {})["signingCertificate"]
    assert "POST https://graph.microsoft.com/v1.0/domains/fabrikam.com/federationConfiguration" \
        in html
    assert "New-MgDomainFederationConfiguration" in html
    head, _, full = html.partition("Full request bodies")
    assert cert not in head  # shortened in tables and on screen
    assert cert in full      # and complete for the auditor


def test_text_from_the_tenant_is_escaped() -> None:
    result = result_for()
    result.checks.append(CheckResult("domain.exists", "x", "fail", "<script>alert(1)</script>",
                                     "why", None))
    html = render_html(result)
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;" in html


def test_reports_are_written_as_html_and_json(tmp_path: Path) -> None:
    result = result_for()
    html_path = write_html_report(result, tmp_path / "out" / "r.html")
    assert html_path.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    body = json.loads(write_json_report(result, tmp_path / "r.json").read_text(encoding="utf-8"))
    assert body == json.loads(json.dumps(report_json(result)))
    assert body["round_trips"] == 2
    # The tenant under the same key names as whoami --json and domains --json.
    assert (body["tenant_id"], body["tenant_name"], body["sandbox"]) == (
        "tid-1", "Contoso (sandbox)", True)
    assert body["summary"]["warn"] >= 1
    assert {c["id"] for c in body["checks"]} == set(CHECK_IDS)
    assert body["plan"]["requests"][0]["method"] == "POST"


def test_unwritable_report_path_is_a_plain_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(FederatorError) as info:
        write_html_report(result_for(), blocker / "r.html")
    assert info.value.code == "report_not_written"


def test_report_shows_the_tenant_cloud_graph_address(tmp_path: Path) -> None:
    path = write_html_report(result_for(), tmp_path / "r.html",
                             graph_url="https://graph.microsoft.us/v1.0")
    html = path.read_text(encoding="utf-8")
    assert "POST https://graph.microsoft.us/v1.0/domains/fabrikam.com/federationConfiguration" \
        in html
    default = write_html_report(result_for(), tmp_path / "d.html").read_text(encoding="utf-8")
    assert "POST https://graph.microsoft.com/v1.0/domains/fabrikam.com/" in default

"""The sign-in doctor: a captured SAML response and/or an AADSTS message, explained.

The response is judged by ``core.signin.judge`` exactly as the sandbox's login.srf judges it,
with the strict reading where Microsoft is silent. A capture is usually pasted minutes or days
after the sign-in: its validity window is then judged as of its IssueInstant (when the IdP
posted it), and the doctor says so; a response issued in the future is judged now, so that an
IdP clock running ahead shows.

What the doctor keeps: nothing. The response (names, e-mail addresses, ImmutableIDs) is read
in memory, shown to the admin, never logged nor written.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from core.findings import Finding
from core.signin import codes
from core.signin.decode import decode
from core.signin.judge import DirectoryUser, Realm, UserLookup, Verdict, judge
from core.signin.response import ResponseFacts, parse, parse_time, read_facts, sha1_hex

CAPTURE_AGE = dt.timedelta(minutes=5)


@dataclass
class DoctorReport:
    ok: bool
    predicted_error: str | None
    findings: list[Finding] = field(default_factory=list)
    finding_codes: list[str | None] = field(default_factory=list)
    facts: ResponseFacts | None = None
    error_text: codes.ErrorText | None = None
    verdict: Verdict | None = None

    def add(self, finding: Finding, code: str | None = None) -> None:
        self.findings.append(finding)
        self.finding_codes.append(code)

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "verdict": "ok" if self.ok else "fail", "predicted_error": self.predicted_error,
            "findings": [f.to_json() | {"aadsts": c}
                         for f, c in zip(self.findings, self.finding_codes, strict=True)],
            "response": self.facts.to_json() if self.facts else None}
        if self.error_text is not None:
            body["error_text"] = {"code": self.error_text.code,
                                  "correlation_id": self.error_text.correlation_id,
                                  "timestamp": self.error_text.timestamp}
        return body


def diagnose(response: bytes | str | None, error_text: str | None, realms: Sequence[Realm],
             find_user: UserLookup | None, *, now: dt.datetime,
             expected: DirectoryUser | None = None,
             domain: str | None = None) -> DoctorReport:
    """The doctor's report (``InputError`` when the response is unusable). ``domain`` is the
    domain the admin says the sign-in was for."""
    report = DoctorReport(ok=True, predicted_error=None)
    if domain is not None and not any(r.domain == domain.lower() for r in realms):
        report.add(Finding("domain_not_federated", "warning",
                           f"{domain} is not federated in this tenant (or has no issuerUri): "
                           "Entra asks its users for a cloud password, not the IdP.",
                           "Federate the domain first, or check the domain name."))
    if response is not None:
        parsed = parse(decode(response).xml)
        at = now
        issued = parse_time(read_facts(parsed.root, parsed.assertion).issue_instant)
        if issued is not None and issued < now - CAPTURE_AGE:
            at = issued
            report.add(Finding(
                "judged_at_issue", "info",
                f"The response was issued at {issued:%Y-%m-%d %H:%M:%SZ}, more than 5 minutes "
                "ago: its validity was judged as of then (when the IdP posted it)."))
        verdict = judge(parsed, realms, find_user, now=at, expected=expected)
        if domain is not None and verdict.realm is not None and verdict.realm != domain.lower():
            # Entra finds the realm by issuer only and does not check that the user belongs
            # to it (https://aadinternals.com/post/aad-deepdive/).
            verdict.findings.append(Finding(
                "issuer_other_domain", "warning",
                f"The response's issuer is {verdict.realm}'s, not {domain}'s: Entra accepts it "
                "as long as the ImmutableID matches, but the IdP is set up for another domain.",
                f"If {domain} has its own IdP application, check that the right one answered."))
            verdict.codes.append(None)
        report.verdict = verdict
        report.facts = verdict.facts
        for finding, code in zip(verdict.findings, verdict.codes, strict=True):
            report.add(finding, code)
        report.ok = verdict.ok
        report.predicted_error = verdict.aadsts
    if error_text is not None:
        parsed_text = codes.parse_error_text(error_text)
        report.error_text = parsed_text
        _explain(report, parsed_text, realms, find_user)
        if response is None:
            report.ok = parsed_text.code is None
            report.predicted_error = parsed_text.code
    return report


def _explain(report: DoctorReport, text: codes.ErrorText, realms: Sequence[Realm],
             find_user: UserLookup | None) -> None:
    if text.code is None:
        report.add(Finding("error_text_no_code", "warning",
                           "The error text holds no AADSTS code (office.com sometimes hides it).",
                           "Sign in at https://portal.azure.com or myapps.microsoft.com in a "
                           "private window to see the full error page with its code."))
        return
    entry = text.known
    where = ""
    if text.correlation_id:
        where = f" (correlation id {text.correlation_id}" + (
            f", {text.timestamp})" if text.timestamp else ")")
    if entry is None:
        report.add(Finding("error_code_unknown", "warning",
                           f"{text.code}{where} is not an error Federator knows for federated "
                           "sign-in.",
                           f"Look it up at https://login.microsoftonline.com/error?code="
                           f"{text.code.removeprefix('AADSTS')}."), text.code)
        return
    if not entry.federation_leg:
        report.add(Finding("error_not_federation", "info",
                           f"{entry.code} ({entry.name}){where}: {entry.meaning}", entry.fix),
                   entry.code)
        return
    report.add(Finding("error_explained", "error",
                       f"{entry.code} ({entry.name}){where}: {entry.meaning}", entry.fix),
               entry.code)
    quoted = text.quoted[0] if text.quoted else None
    if entry.code in ("AADSTS50107", "AADSTS500083") and quoted:
        exact = [r for r in realms if r.issuer_uri == quoted]
        near = [r for r in realms if r.issuer_uri.rstrip("/").lower() ==
                quoted.rstrip("/").lower()]
        if exact:
            report.add(Finding("issuer_matches_now", "info",
                               f"The issuer '{quoted}' now matches {exact[0].domain}'s "
                               "issuerUri: if the domain was federated minutes ago, Entra may "
                               "still be catching up (about 30 minutes)."))
        elif near:
            report.add(Finding("issuer_near_match", "error",
                               f"The issuer '{quoted}' differs from {near[0].domain}'s issuerUri "
                               f"'{near[0].issuer_uri}' only in case or a trailing slash.",
                               "Make them byte-equal."), entry.code)
        else:
            known = ", ".join(f"{r.domain}: {r.issuer_uri}" for r in realms) or "none"
            report.add(Finding("issuer_no_match", "error",
                               f"No federated domain has the issuerUri '{quoted}' (federated "
                               f"domains: {known}).", entry.fix), entry.code)
    if entry.code == "AADSTS51004" and quoted and find_user is not None:
        user = find_user(quoted)
        if user is None:
            report.add(Finding("name_id_no_user", "error",
                               f"No user has the ImmutableID '{quoted}' now.", entry.fix),
                       entry.code)
        else:
            report.add(Finding("name_id_user_now", "info",
                               f"{user.upn} has the ImmutableID '{quoted}' now: the error "
                               "predates a fix, or the value was changed since."))
    if entry.code in ("AADSTS500081", "AADSTS5000811"):
        for realm in realms:
            shown = ", ".join(sha1_hex(c.der) for c in realm.certificates) or "none"
            report.add(Finding("configured_certificates", "info",
                               f"{realm.domain} accepts certificates with SHA-1 {shown}: compare "
                               "with the IdP's current signing certificate."))

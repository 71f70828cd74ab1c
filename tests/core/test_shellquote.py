"""Pasted commands never run what a hostile value says: PowerShell and POSIX sh quoting of every
command and PowerShell text Federator shows (the Windows workflow checks the same texts with
PowerShell's own parser: packaging/ps_parse_check.ps1)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from core.plan import DomainState, PlanOptions, build_plan, display_powershell, format_plan
from core.settings import FederationSettings
from core.shellquote import command_line, ps_quote, quote_for_shell

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "packaging"))
import ps_parse_check  # noqa: E402

HOSTILE = [v for v in ps_parse_check.HOSTILE_VALUES if v]
SINGLE_QUOTES = "'\u2018\u2019\u201a\u201b"  # PowerShell's IsSingleQuote
DOUBLE_QUOTES = '"\u201c\u201d\u201e'


class PsModel:
    """Just enough of PowerShell's tokenizer to read what Federator generates, with the rules
    that matter for safety: a single-quoted string ends at any of the five single-quote
    characters, two in a row stand for the second. Anything else (``$``, ``(`` outside the
    ``[char]`` form, ``;``, ``&``, ``|``, a newline that is not a continuation) is an error: in
    real PowerShell it would be code."""

    def __init__(self, text: str) -> None:
        self.text, self.i = text, 0
        self.commands: list[str] = []
        self.values: list[str] = []

    def parse(self) -> PsModel:
        while self.i < len(self.text):
            self.skip_blank()
            if self.i >= len(self.text):
                break
            self.commands.append(self.bare())
            while True:
                self.skip_blank()
                if self.i >= len(self.text) or self.text[self.i] == "\n":
                    self.i += 1
                    break
                self.argument()
        return self

    def skip_blank(self) -> None:
        while self.i < len(self.text):
            if self.text[self.i] == " ":
                self.i += 1
            elif self.text.startswith("`\n", self.i):  # line continuation
                self.i += 2
            else:
                break

    def bare(self) -> str:
        m = re.compile(r"[A-Za-z0-9_./\\:-]+").match(self.text, self.i)
        assert m, f"code at {self.text[self.i:self.i + 20]!r}"
        self.i = m.end()
        return m.group()

    def single_quoted(self) -> str:
        assert self.text[self.i] in SINGLE_QUOTES
        self.i += 1
        out = []
        while True:
            assert self.i < len(self.text), "unterminated string"
            ch = self.text[self.i]
            if ch in SINGLE_QUOTES:
                nxt = self.text[self.i + 1:self.i + 2]
                if nxt and nxt in SINGLE_QUOTES:
                    out.append(nxt)
                    self.i += 2
                    continue
                self.i += 1
                return "".join(out)
            out.append(ch)
            self.i += 1

    def expression(self) -> str | None:
        t = self.text
        if t[self.i] in SINGLE_QUOTES:
            return self.single_quoted()
        for const in ("$true", "$false", "$null"):
            if t.startswith(const, self.i) and not t[self.i + len(const):][:1].isalnum():
                self.i += len(const)
                return None
        if t.startswith("([string]", self.i):
            self.i += len("([string]")
            parts = []
            while True:
                m = re.compile(r"\[char\]0x([0-9A-F]{4})").match(t, self.i)
                if m:
                    parts.append(chr(int(m.group(1), 16)))
                    self.i = m.end()
                else:
                    parts.append(self.single_quoted())
                if t.startswith(" + ", self.i):
                    self.i += 3
                    continue
                assert t[self.i] == ")", f"code at {t[self.i:self.i + 20]!r}"
                self.i += 1
                return "".join(parts)
        if t[self.i] in DOUBLE_QUOTES:  # only constant scope lists: no $ and no backtick
            end = t.index('"', self.i + 1)
            assert not set(t[self.i:end]) & set("$`\u201c\u201d\u201e"), "expandable string"
            self.i = end + 1
            return None
        return self.bare()

    def argument(self) -> None:
        t = self.text
        if t[self.i] == "-" and re.compile(r"-[A-Za-z]").match(t, self.i):
            name = self.bare()
            if ":" in name:  # -Switch:$true
                self.i -= len(name) - name.index(":") - 1
                assert self.expression() is None
            return
        if t.startswith("@{ ", self.i):
            self.i += 3
            while not t.startswith("}", self.i):
                self.bare()
                assert t.startswith(" = ", self.i)
                self.i += 3
                value = self.expression()
                if value is not None:
                    self.values.append(value)
                if t.startswith("; ", self.i):
                    self.i += 2
                elif t.startswith(" }", self.i):
                    self.i += 1
            self.i += 1
            return
        value = self.expression()
        if value is not None:
            self.values.append(value)
        while t.startswith(",", self.i):  # "a","b"
            self.i += 1
            self.expression()


def ps_values(text: str) -> PsModel:
    return PsModel(text).parse()


@pytest.mark.parametrize("value", HOSTILE)
def test_ps_quote_gives_back_every_hostile_value_and_nothing_else(value: str) -> None:
    model = ps_values(f"Set-Thing -Value {ps_quote(value)}")
    assert model.commands == ["Set-Thing"]
    assert model.values == [value]


def test_ps_quote_exact_forms() -> None:
    assert ps_quote("O'Brien") == "'O''Brien'"
    # All five single quotes are doubled: ’ would otherwise end the string.
    assert ps_quote("x\u2019 $(Start-Process calc) \u2019") == \
        "'x\u2019\u2019 $(Start-Process calc) \u2019\u2019'"
    assert ps_quote("\u2018\u201a\u201b'") == "'\u2018\u2018\u201a\u201a\u201b\u201b'''"
    # Control characters never appear raw: a pasted command holds no newline or ESC.
    assert ps_quote("a\nb") == "([string]'a' + [char]0x000A + 'b')"
    assert ps_quote("\x1b[2J") == "([string][char]0x001B + '[2J')"
    assert ps_quote("\u202e") == "([string][char]0x202E)"
    assert ps_quote(True) == "$true" and ps_quote(None) == "$null" and ps_quote("") == "''"


@pytest.mark.parametrize("value", HOSTILE)
def test_plan_powershell_carries_hostile_metadata_values_as_data(value: str) -> None:
    settings = FederationSettings(issuer_uri=value, passive_sign_in_uri=value,
                                  active_sign_in_uri=value, sign_out_uri=value,
                                  signing_certificate="QUJD")
    managed = DomainState("fabrikam.com", "Managed", is_root=True, is_verified=True)
    plan = build_plan("fabrikam.com", settings, managed, PlanOptions(display_name=value))
    text = "\n".join(plan.powershell)
    model = ps_values(text)
    assert model.commands == ["Connect-MgGraph", "New-MgDomainFederationConfiguration"]
    assert model.values.count(value) == 5  # display name, issuer, three URLs
    # What the screen and the terminal show is the same quoting.
    assert ps_values("\n".join(display_powershell(c) for c in plan.powershell)).commands == \
        model.commands
    assert ps_quote(value) in format_plan(plan)


@pytest.mark.parametrize("value", HOSTILE)
def test_powershell_commands_quote_every_argument(value: str) -> None:
    line = command_line(["federator", "inspect", value, "--entity", value], "powershell")
    model = ps_values(line)
    assert model.commands == ["federator"]
    assert model.values == ["inspect", value, "--entity", value]


def test_suggested_commands_never_use_double_quotes() -> None:
    name = "idp$(Start-Process calc).xml"
    assert quote_for_shell(name, "powershell") == "'idp$(Start-Process calc).xml'"
    assert quote_for_shell(name, "posix") == "'idp$(Start-Process calc).xml'"
    assert quote_for_shell("fabrikam.com", "posix") == "fabrikam.com"
    assert quote_for_shell("fabrikam.com", "powershell") == "fabrikam.com"
    assert command_line(["federator", "restore", "a1-before", "--confirm", "x.io"],
                        "powershell") == "federator restore a1-before --confirm x.io"


@pytest.mark.skipif(os.name == "nt" or shutil.which("sh") is None, reason="needs a POSIX sh")
def test_posix_quoting_round_trips_through_sh() -> None:
    values = [v for v in HOSTILE if "\x00" not in v]  # argv cannot hold NUL
    script = "printf '%s\\0' " + command_line(values, "posix")
    done = subprocess.run(["sh", "-c", script], capture_output=True, check=True, timeout=30)
    assert done.stdout.decode("utf-8", "surrogateescape").split("\0")[:-1] == values


def test_the_generated_cases_cover_every_powershell_text_and_read_back(tmp_path: Path) -> None:
    assert ps_parse_check.main([str(tmp_path / "cases.json")]) == 0
    import json

    cases: list[dict[str, Any]] = json.loads((tmp_path / "cases.json").read_text("utf-8"))
    names = {c["name"] for c in cases}
    kinds = {n.rsplit("-", 1)[0] for n in names}
    assert {"plan-federate", "plan-update", "plan-update-clear", "command-inspect",
            "command-restore", "command-plan"} <= kinds
    assert {"plan-revert", "plan-certificate", "plan-make-default"} <= names
    for case in cases:
        model = ps_values(case["text"])
        assert model.commands == case["commands"], case["name"]
        for value in case["values"]:
            assert value in model.values, (case["name"], value)


def test_html_report_and_terminal_plan_show_the_same_safe_powershell() -> None:
    import html

    from core.report import _plan_html

    value = "x\u2019 $(Start-Process calc) \u2019\nPlan: forged"
    settings = FederationSettings(issuer_uri=value, passive_sign_in_uri=value,
                                  active_sign_in_uri=value, sign_out_uri=None,
                                  signing_certificate="QUJD")
    managed = DomainState("fabrikam.com", "Managed", is_root=True, is_verified=True)
    plan = build_plan("fabrikam.com", settings, managed)
    report = _plan_html(plan, "https://graph.microsoft.com/v1.0")
    assert html.escape(f"-IssuerUri {ps_quote(value)}") in report
    text = format_plan(plan)
    assert f"-IssuerUri {ps_quote(value)}" in text
    # A newline inside a value is shown, never obeyed: no forged line in the terminal text.
    assert "Plan: forged" not in [line.strip() for line in text.splitlines()]

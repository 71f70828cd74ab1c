"""`--domain` is read as `--confirm` is: case, a final dot and the IDN form aside."""

from __future__ import annotations

import json
import re

import pytest

from cli.main import main


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["--sandbox", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_a_domain_typed_with_capitals_and_a_final_dot_is_the_domain_everywhere(
        capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "revert", "--domain", "TailSpin.IO.", "--confirm", "tailspin.io")
    assert code == 0, out + err
    assert "Result: succeeded" in out
    # The way back, the journal and history all name the domain as Graph does.
    assert re.search(r"restore \w+-before --confirm tailspin.io\n", out)
    code, out, _ = run(capsys, "history", "--domain", "TAILSPIN.io.", "--json")
    [entry] = json.loads(out)["entries"]
    assert entry["domain"] == "tailspin.io" and entry["kind"] == "revert"
    code, out, _ = run(capsys, "status", "--domain", "TAILSPIN.IO.", "--json")
    assert code == 0 and json.loads(out)["domain"] == "tailspin.io"


def test_an_idn_typed_in_unicode_or_in_ascii_is_one_domain(
        capsys: pytest.CaptureFixture[str]) -> None:
    # The confirmation matches (one name in two forms); the sandbox has no such domain, and
    # says so with the name Graph uses.
    for domain, confirm in (("Bücher.example", "xn--bcher-kva.example"),
                            ("xn--bcher-kva.example", "bücher.example.")):
        code, _, err = run(capsys, "revert", "--domain", domain, "--confirm", confirm)
        assert code == 2, err
        assert "does not match" not in err
        assert "no domain 'xn--bcher-kva.example'" in err
    code, _, err = run(capsys, "revert", "--domain", "bücher.example", "--confirm",
                       "bucher.example")
    assert code == 1 and "does not match" in err


def test_a_domain_that_cannot_be_one_is_refused_before_signing_in(
        capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "revert", "--domain", "not a domain", "--confirm", "not a domain")
    assert code == 2 and "is not a domain name" in err

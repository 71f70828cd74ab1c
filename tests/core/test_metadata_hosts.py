"""Sign-in and sign-out URL hosts no tenant should send its users to (hostile metadata): the
user's own machine, link-local and private addresses, bare intranet names, look-alike names in
mixed scripts. Findings in the reader, refusals in preflight, lines in ``inspect``."""

from __future__ import annotations

from pathlib import Path

import pytest

from cli.main import main
from core.metadata import read_metadata
from core.preflight.checks import PreflightInput, check_metadata_readable
from tests import factories as f

ENTITY = "https://sso.jumpcloud.com/saml2/fabrikam"


def _md(sso: str, slo: str | None = "https://sso.jumpcloud.com/saml2/logout") -> object:
    return read_metadata(f.metadata(ENTITY, sso_post=sso, sso_redirect=None, slo_redirect=slo))


def _host_findings(md: object) -> list[tuple[str, str]]:
    return [(x.id, x.severity) for x in md.findings  # type: ignore[attr-defined]
            if x.id.startswith("url_host_")]


@pytest.mark.parametrize("host", [
    "127.0.0.1", "127.8.9.10", "[::1]", "localhost", "idp.localhost", "169.254.169.254",
    "[fe80::1]", "[::ffff:127.0.0.1]", "2130706433", "0x7f.1",
    # Browsers map a host by UTS #46 before they use it: full-width digits and letters, circled
    # digits and the ideographic full stop are these same hosts.
    "\uff11\uff12\uff17.\uff10.\uff10.\uff11", "127\u30020\u30020\u30021",
    "\u2460\u2461\u2466.0.0.1", "idp.\uff4c\uff4f\uff43\uff41\uff4c\uff48\uff4f\uff53\uff54",
    "\uff11\uff16\uff19\uff0e\uff12\uff15\uff14\uff0e\uff11\uff16\uff19\uff0e\uff12\uff15\uff14"])
def test_a_sign_in_url_on_the_users_machine_or_link_local_is_an_error(host: str) -> None:
    md = _md(f"https://{host}/saml2/sso")
    assert _host_findings(md) == [("url_host_local", "error")]


def test_a_full_width_host_is_named_as_written_and_as_a_browser_reads_it() -> None:
    md = _md("https://\uff11\uff12\uff17.\uff10.\uff10.\uff11/saml2/sso")
    [finding] = [x for x in md.findings if x.id == "url_host_local"]  # type: ignore[attr-defined]
    assert "(read as 127.0.0.1) is the user's own computer" in finding.message


@pytest.mark.parametrize("host", ["10.0.0.5", "172.16.4.4", "172.31.255.1", "192.168.1.10",
                                  "[fd12:3456::1]", "sso", "adfs", "adfs.corp.local",
                                  "sso.home.arpa", "idp.corp.internal"])
def test_a_sign_in_url_on_a_private_network_or_bare_name_is_a_warning(host: str) -> None:
    md = _md(f"https://{host}/adfs/ls/")
    assert _host_findings(md) == [("url_host_private", "warning")]


@pytest.mark.parametrize("host", [
    "sso.jump\u0441loud.com",           # Cyrillic es among Latin letters
    "sso.xn--jumploud-ich.com",          # the same name as punycode
    "\u0440aypal.example.net"])         # Cyrillic er
def test_a_host_mixing_scripts_is_a_lookalike_error(host: str) -> None:
    md = _md(f"https://{host}/saml2/fabrikam")
    [finding] = [x for x in md.findings if x.id == "url_host_lookalike"]  # type: ignore[attr-defined]
    assert finding.severity == "error" and "Cyrillic and Latin" in finding.message
    assert "\\u0441" in finding.message or "\\u0440" in finding.message  # shown, not rendered


@pytest.mark.parametrize("host", [
    "\u0430\u0440\u0440\u04cf\u0435.com",        # "apple" in Cyrillic letters only
    "xn--80ak6aa92e.com",                          # the same name as punycode
    "\u0455\u0455\u043e.jumpcloud.com"])           # "sso" in Cyrillic letters only
def test_a_label_of_cyrillic_letters_that_look_latin_is_a_lookalike_error(host: str) -> None:
    md = _md(f"https://{host}/saml2/fabrikam")
    [finding] = [x for x in md.findings if x.id == "url_host_lookalike"]  # type: ignore[attr-defined]
    assert finding.severity == "error" and "look like Latin ones" in finding.message


@pytest.mark.parametrize("host", ["sso.jumpcloud.com", "8.8.8.8", "b\u00fccher.example.de",
                                  "\u043f\u0440\u0438\u043c\u0435\u0440.\u0440\u0444",
                                  "\u043c\u043e\u0441\u043a\u0432\u0430.com",
                                  "xn--mnchen-3ya.de", "\u65e5\u672c\u8a9e.jp",
                                  "login.\u30c6\u30b9\u30c8abc.jp"])
def test_ordinary_public_hosts_get_no_host_finding(host: str) -> None:
    assert _host_findings(_md(f"https://{host}/saml2/x")) == []


def test_a_loopback_sign_out_url_is_only_a_warning() -> None:
    md = _md("https://sso.jumpcloud.com/saml2/fabrikam", slo="https://127.0.0.1/logout")
    assert _host_findings(md) == [("url_host_local", "warning")]


def _readable(md: object) -> str:
    return check_metadata_readable(PreflightInput(domain="fabrikam.com",
                                                  metadata=md)).status  # type: ignore[arg-type]


def test_preflight_refuses_local_and_lookalike_sign_in_hosts_and_warns_on_private() -> None:
    assert _readable(_md("https://169.254.169.254/latest/meta-data")) == "fail"
    assert _readable(_md("https://sso.jump\u0441loud.com/saml2/fabrikam")) == "fail"
    assert _readable(_md("https://192.168.1.10/adfs/ls/")) == "warn"
    assert _readable(_md("https://sso.jumpcloud.com/saml2/fabrikam",
                         slo="https://localhost/logout")) == "warn"


def test_inspect_shows_the_host_findings(capsys: pytest.CaptureFixture[str],
                                         tmp_path: Path) -> None:
    path = tmp_path / "hostile.xml"
    path.write_bytes(f.metadata(ENTITY, sso_post="https://sso.jump\u0441loud.com/saml2/x",
                                sso_redirect="https://10.1.2.3/saml2/x", slo_redirect=None))
    code = main(["inspect", str(path)])
    out, _ = capsys.readouterr()
    assert code == 0
    assert "mixes Cyrillic and Latin letters" in out and "jump\\u0441loud" in out
    assert "10.1.2.3 is a private-network" in out


@pytest.mark.parametrize("host", ["100.64.0.1", "100.100.100.100", "100.127.255.254",
                                  "[::ffff:100.64.1.2]"])
def test_a_carrier_grade_nat_sign_in_host_is_a_private_network_warning(host: str) -> None:
    """100.64.0.0/10 is shared address space (RFC 6598), not routed on the Internet, though
    Python's ipaddress does not count it private."""
    md = _md(f"https://{host}/saml2/sso")
    [finding] = [x for x in md.findings  # type: ignore[attr-defined]
                 if x.id.startswith("url_host_")]
    assert (finding.id, finding.severity) == ("url_host_private", "warning")
    assert "RFC 6598" in finding.message


@pytest.mark.parametrize("host", ["100.63.255.255", "100.128.0.1"])
def test_addresses_beside_the_shared_space_are_public(host: str) -> None:
    assert _host_findings(_md(f"https://{host}/saml2/x")) == []

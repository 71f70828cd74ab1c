"""Commands the CLI suggests work when pasted: a placeholder is one plain word (SOURCE, UPN,
CLOUD), never ``URL|FILE`` or ``<upn>``, whose ``|``, ``<`` and ``>`` a shell (cmd, PowerShell,
bash) reads as a pipe or a redirection."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cli.main import main
from core.idp_sample import jumpcloud_sample

# Where a suggested command starts: Federator's own, and the Graph PowerShell ones it names.
_COMMAND = re.compile(r"\b(?:federator|Update-MgUser|Get-MgDomainFederationConfiguration)\s")
_METACHARACTERS = set("|<>&;")


def unquoted_metacharacters(text: str) -> list[str]:
    """Each suggested command in ``text`` holding a shell metacharacter outside quotes. A command
    runs to the end of its sentence (". "), an aside (" (") or the line."""
    bad = []
    for line in text.splitlines():
        for start in _COMMAND.finditer(line):
            command = re.split(r"\.\s|\.$| \(", line[start.start():], maxsplit=1)[0]
            quote = ""
            for ch in command:
                if quote:
                    quote = "" if ch == quote else quote
                elif ch in "'\"":
                    quote = ch
                elif ch in _METACHARACTERS:
                    bad.append(command)
                    break
    return bad


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    main(list(argv))
    out, err = capsys.readouterr()
    return " ".join(out.split()) + "\n" + " ".join(err.split())


def test_the_helper_finds_a_placeholder_that_pipes() -> None:
    assert unquoted_metacharacters("Tell it: federator watch --set-source URL|FILE") != []
    assert unquoted_metacharacters("Run Update-MgUser -UserId <upn> -X 'a|b'.") != []
    assert unquoted_metacharacters("Run Get-MgUser -Filter 'a|b' (UPN: a | b).") == []


def test_watch_suggests_set_source_with_a_plain_placeholder(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    # tailspin.io was federated outside Federator: no source is known.
    said = run(capsys, "--sandbox", "watch", "--domain", "tailspin.io")
    assert "--set-source SOURCE" in said and "SOURCE: the IdP metadata's https:// URL or file" \
        in said
    assert unquoted_metacharacters(said) == []
    copy = tmp_path / "idp.xml"
    copy.write_bytes(jumpcloud_sample("tailspin")[0])
    run(capsys, "--sandbox", "watch", "--domain", "tailspin.io", "--set-source", str(copy))
    copy.unlink()  # the source can no longer be read
    said = run(capsys, "--sandbox", "watch", "--domain", "tailspin.io")
    assert "metadata_unreadable" in said and "--set-source SOURCE" in said
    assert unquoted_metacharacters(said) == []
    with pytest.raises(SystemExit):
        main(["watch", "--help"])
    assert "--set-source SOURCE" in capsys.readouterr().out


def test_preflight_suggests_update_mguser_with_plain_placeholders(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    metadata = tmp_path / "jumpcloud.xml"
    metadata.write_bytes(jumpcloud_sample("fabrikam-m365")[0])
    said = run(capsys, "--sandbox", "preflight", "--metadata", str(metadata),
               "--domain", "fabrikam.com")
    assert "Update-MgUser -UserId UPN -OnPremisesImmutableId 'VALUE'" in said
    assert unquoted_metacharacters(said) == []


def test_an_untrusted_endpoint_names_the_clouds_with_a_plain_placeholder(
        capsys: pytest.CaptureFixture[str]) -> None:
    said = run(capsys, "signin", "--client-id", "demo", "--graph-url",
               "https://graph.attacker.example/v1.0", "--login-url",
               "https://login.attacker.example")
    assert "--cloud CLOUD, where CLOUD is global, usgov, usgovdod or china" in said
    assert unquoted_metacharacters(said) == []


def test_signin_without_a_client_id_suggests_a_command_that_ends_where_it_should(
        capsys: pytest.CaptureFixture[str]) -> None:
    said = run(capsys, "signin")
    assert " signin --client-id ID --tenant TENANT (ID:" in said
    assert unquoted_metacharacters(said) == []

"""The change commands as a new user runs them against the sandbox, and a CLI killed mid-change."""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from cli.main import main
from core.idp_sample import jumpcloud_sample
from tests.cli.test_suggested_commands_paste import unquoted_metacharacters

ROOT = Path(__file__).resolve().parents[2]
WARNINGS = "metadata.endpoints,domain.subdomain,users.immutable_id,users.blast_radius"


def run(capsys: pytest.CaptureFixture[str], *argv: str,
        home: Path | None = None) -> tuple[int, str, str]:
    """``federator [--home HOME] --sandbox ARGV`` in this process: exit code, stdout, stderr."""
    code = main([*(["--home", str(home)] if home else []), "--sandbox", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def pasted(home: Path) -> str:
    """How a command printed by a sandbox run whose home is ``home`` (``--home`` or
    FEDERATOR_HOME, as every test has) starts."""
    return f"federator --home {home} --sandbox"


@pytest.fixture
def metadata_files(tmp_path: Path) -> tuple[Path, Path]:
    first, _ = jumpcloud_sample("fabrikam-m365")
    second, _ = jumpcloud_sample("fabrikam-m365", org="Federator Demo (renewed)")
    a, b = tmp_path / "jumpcloud.xml", tmp_path / "jumpcloud-renewed.xml"
    a.write_bytes(first)
    b.write_bytes(second)
    return a, b


def test_new_user_walkthrough_federate_status_roll_revert_restore_history(
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
        metadata_files: tuple[Path, Path], federator_home: Path) -> None:
    monkeypatch.setenv("FEDERATOR_SANDBOX_PROPAGATION_S", "0.5")
    first, renewed = metadata_files
    base = ["--domain", "fabrikam.com", "--confirm", "fabrikam.com"]

    code, out, err = run(capsys, "federate", "--metadata", str(first), *base)
    assert code == 1 and "users.immutable_id" in err and "Nothing was changed" in err
    # It names the command that explains the warnings, runnable as printed.
    assert (f"Read them ({pasted(federator_home)} preflight --metadata {first} --domain "
            "fabrikam.com explains each), then run the same federate command with "
            f"--accept-warnings {WARNINGS}") in " ".join(err.split())

    code, out, _ = run(capsys, "federate", "--metadata", str(first), *base,
                       "--accept-warnings", WARNINGS)
    assert code == 0, out
    assert "Result: succeeded" in out and "Verified: fabrikam.com is Federated" in out
    # Commands shown carry this run's global options, so they work when pasted.
    assert re.search(r"Way back:\n  " + re.escape(pasted(federator_home))
                     + r" restore \w+-before --confirm "
                     r"fabrikam.com", out)

    code, out, _ = run(capsys, "status", "--domain", "fabrikam.com", "--wait", "--timeout", "20")
    assert code == 0
    assert "NameSpaceType Federated" in out and "sign-in already reflects Graph" in out

    code, out, _ = run(capsys, "update-certificate", "--metadata", str(renewed), *base)
    assert code == 0 and "staged as nextSigningCertificate" in out
    assert "Federator Demo (renewed)" in out.split("Certificates Entra accepts now:")[1]
    code, out, _ = run(capsys, "update-certificate", "--metadata", str(renewed), *base,
                       "--promote")
    assert code == 0 and "now the signing certificate" in out

    code, out, _ = run(capsys, "revert", "--domain", "fabrikam.com", "--confirm", "fabrikam.com")
    assert code == 0 and "43 users in" in out and "Temporary Access Pass" in out
    # The ways to give users a password are shown before the change is sent (REV-01).
    assert out.index("Temporary Access Pass") < out.index("Sending PATCH")
    revert_before = re.search(r"snapshot before (\w+-before)", out)
    assert revert_before

    code, out, _ = run(capsys, "restore", revert_before.group(1), "--confirm", "fabrikam.com")
    assert code == 0 and "is back as snapshot" in out

    code, out, _ = run(capsys, "history", "--domain", "fabrikam.com")
    assert code == 0
    kinds = re.findall(r"^\S+Z  \w+  (\S+)", out, flags=re.M)
    assert kinds == ["federate", "stage-certificate", "promote-certificate", "revert", "restore"]
    assert out.count(f"way back: {pasted(federator_home)} restore") == 5

    code, out, _ = run(capsys, "history", "--json")
    data = json.loads(out)
    assert [e["outcome"] for e in data["entries"]] == ["succeeded"] * 5
    assert all(e["request_ids"] for e in data["entries"])


def test_exit_codes_for_refused_and_unusable_input(capsys: pytest.CaptureFixture[str],
                                                   tmp_path: Path) -> None:
    code, _, err = run(capsys, "revert", "--domain", "tailspin.io", "--confirm", "tailspin.com")
    assert code == 1 and "does not match" in err
    code, out, err = run(capsys, "restore", "nosuch-before", "--confirm", "tailspin.io", "--json")
    assert code == 2 and json.loads(out)["error"]["code"] == "bad_input"
    bad = tmp_path / "bad.xml"
    bad.write_text("<not-metadata/>")
    code, _, err = run(capsys, "federate", "--metadata", str(bad), "--domain", "fabrikam.com",
                       "--confirm", "fabrikam.com")
    assert code == 2 and err.startswith("error: ")
    with pytest.raises(SystemExit) as info:
        main(["--sandbox", "revert", "--domain", "tailspin.io"])  # no --confirm
    assert info.value.code == 2


def test_a_refused_change_exits_1_saying_nothing_changed(capsys: pytest.CaptureFixture[str],
                                                         metadata_files: tuple[Path, Path]) -> None:
    code, out, _ = run(capsys, "revert", "--domain", "sales.fabrikam.com",
                       "--confirm", "sales.fabrikam.com", "--json")
    assert code == 0 and json.loads(out)["outcome"] == "no-change"  # managed: nothing to do
    code, out, _ = run(capsys, "federate", "--metadata", str(metadata_files[0]), "--domain",
                       "fabrikam.com", "--confirm", "fabrikam.com", "--accept-warnings", WARNINGS)
    assert code == 0
    # The subdomain now follows its federated root; Graph would refuse to change it on its own,
    # so Federator refuses first and says what to do instead.
    code, out, err = run(capsys, "revert", "--domain", "sales.fabrikam.com",
                         "--confirm", "sales.fabrikam.com")
    assert code == 1
    assert "Nothing was changed" in err and "Revert the root domain" in err
    assert "Sending PATCH" not in out


def test_a_read_failure_before_any_write_exits_1_and_journals_nothing(
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
        federator_home: Path) -> None:
    monkeypatch.setenv("FEDERATOR_SANDBOX_FAULTS", "500:1.0@0.01")
    code, _, err = run(capsys, "revert", "--domain", "tailspin.io", "--confirm", "tailspin.io")
    assert code == 1 and err.startswith("error: ")
    monkeypatch.delenv("FEDERATOR_SANDBOX_FAULTS")
    code, out, _ = run(capsys, "history")
    assert "No changes recorded" in out


def _cli(home: Path, *argv: str, kill_after: str | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, FEDERATOR_HOME=str(home))
    env.pop("FEDERATOR_TEST_KILL_AFTER", None)
    if kill_after:
        env["FEDERATOR_TEST_KILL_AFTER"] = kill_after
    return subprocess.run([sys.executable, "-m", "cli.main", "--sandbox", *argv], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=120)


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
@pytest.mark.parametrize(("point", "applied"), [("snapshot", False), ("write", True),
                                               ("verify", True)])
def test_a_cli_killed_mid_change_is_reconciled_by_the_next_run(tmp_path: Path, point: str,
                                                               applied: bool) -> None:
    home = tmp_path / "home"
    revert = ("revert", "--domain", "tailspin.io", "--confirm", "tailspin.io")
    killed = _cli(home, *revert, kill_after=point)
    assert killed.returncode == -signal.SIGKILL, killed.stderr

    history = json.loads(_cli(home, "history", "--json", "--details").stdout)
    [entry] = history["entries"]
    assert entry["outcome"] == "in-progress" and entry["snapshot_before"]

    again = _cli(home, *revert)
    assert again.returncode == 0, again.stderr
    word = ("had been applied" if applied
            else "the domain matched the snapshot taken before the change")
    assert word in again.stdout
    assert ("Nothing to change" in again.stdout) == applied

    history = json.loads(_cli(home, "history", "--json", "--details").stdout)
    entries = history["entries"]
    assert entries[0]["op"] == entry["op"] and entries[0]["outcome"] == "reconciled"
    assert entries[0]["snapshot_after"] == f"{entry['op']}-after"
    ends = [r for r in entries[0]["records"] if r["type"] == "end"]
    assert len(ends) == 1  # reconciled once, never twice
    assert len({e["op"] for e in entries}) == len(entries)
    assert history["problems"] == []


# -- what a new user meets besides the happy path -------------------------------------------------

def test_a_wrong_confirmation_is_refused_before_signing_in_or_running_the_preflight(
        capsys: pytest.CaptureFixture[str], metadata_files: tuple[Path, Path]) -> None:
    code, out, err = run(capsys, "federate", "--metadata", str(metadata_files[0]),
                         "--domain", "fabrikam.com", "--confirm", "fabrikam.co")
    assert code == 1 and out == ""  # no header: nobody signed in, no preflight ran
    assert "does not match" in err and "--confirm fabrikam.com" in err
    code, out, err = run(capsys, "update-certificate", "--metadata", str(metadata_files[1]),
                         "--domain", "fabrikam.com", "--confirm", "tailspin.io", "--promote")
    assert code == 1 and out == "" and "does not match" in err


def test_restore_checks_the_snapshot_and_its_domain_before_signing_in(
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
        federator_home: Path) -> None:
    code, out, err = run(capsys, "restore", "0badc0de-before", "--confirm", "tailspin.io")
    assert code == 2 and out == "" and "No snapshot '0badc0de-before'" in err
    assert f"{pasted(federator_home)} history" in err  # the remedy works when pasted
    code, out, _ = run(capsys, "revert", "--domain", "tailspin.io", "--confirm", "tailspin.io")
    snapshot = re.search(r"snapshot before (\w+-before)", out)
    assert code == 0 and snapshot
    monkeypatch.setenv("FEDERATOR_SANDBOX_FAULTS", "503:50")  # a sign-in would fail loudly
    code, out, err = run(capsys, "restore", snapshot.group(1), "--confirm", "fabrikam.com")
    assert code == 1 and out == "" and "--confirm tailspin.io" in err


def test_commands_shown_carry_the_home_folder_so_they_work_when_pasted(
        capsys: pytest.CaptureFixture[str], tmp_path: Path,
        metadata_files: tuple[Path, Path]) -> None:
    home = tmp_path / "my home"
    code, out, _ = run(capsys, "revert", "--domain", "tailspin.io", "--confirm", "tailspin.io",
                       home=home)
    assert code == 0
    way_back = out.split("Way back:\n  ", 1)[1].splitlines()[0]
    # Single quotes: nothing in the path expands when pasted (shlex.quote on POSIX).
    assert way_back.startswith(f"federator --home '{home}' --sandbox restore ")
    # Pasting it (as argv) restores the domain from that home's journal.
    argv = shlex.split(way_back)[1:]
    code = main(argv)
    assert code == 0 and "is back as snapshot" in capsys.readouterr().out


def test_the_journal_probe_uses_the_home_given_on_the_command_line(
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
        metadata_files: tuple[Path, Path]) -> None:
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("FEDERATOR_HOME points at a file: no journal can be written there")
    monkeypatch.setenv("FEDERATOR_HOME", str(blocked))
    code, out, err = run(capsys, "federate", "--metadata", str(metadata_files[0]),
                         "--domain", "fabrikam.com", "--confirm", "fabrikam.com",
                         "--accept-warnings", WARNINGS, home=tmp_path / "home")
    assert code == 0, err
    assert "local.journal" not in out + err and "Result: succeeded" in out


def test_certificate_roll_messages_name_the_real_metadata_and_the_staged_certificate(
        capsys: pytest.CaptureFixture[str], metadata_files: tuple[Path, Path],
        federator_home: Path) -> None:
    first, renewed = metadata_files
    base = ["--domain", "fabrikam.com", "--confirm", "fabrikam.com"]
    assert run(capsys, "federate", "--metadata", str(first), *base,
               "--accept-warnings", WARNINGS)[0] == 0
    code, out, _ = run(capsys, "update-certificate", "--metadata", str(renewed), *base)
    assert code == 0
    assert (f"promote it: {pasted(federator_home)} update-certificate --metadata {renewed} "
            "--domain fabrikam.com --promote --confirm fabrikam.com") in out
    code, out, _ = run(capsys, "update-certificate", "--metadata", str(renewed), *base)
    assert code == 0 and "already staged as next signing certificate" in out
    assert "--promote" in out
    # Promoting with the old metadata would keep the old certificate: refused, and said why.
    code, out, err = run(capsys, "update-certificate", "--metadata", str(first), *base,
                         "--promote")
    assert code == 1 and "not the staged next certificate" in err
    assert "Federator Demo (renewed)" in err


def test_a_failed_preflight_names_the_command_that_explains_it(
        capsys: pytest.CaptureFixture[str], metadata_files: tuple[Path, Path],
        federator_home: Path) -> None:
    code, _, err = run(capsys, "federate", "--metadata", str(metadata_files[0]),
                       "--domain", "contoso.com", "--confirm", "contoso.com")
    assert code == 1
    assert (f"{pasted(federator_home)} preflight --metadata {metadata_files[0]} "
            "--domain contoso.com") in err


def test_status_says_plainly_when_sign_in_has_not_caught_up(
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
        federator_home: Path) -> None:
    monkeypatch.setenv("FEDERATOR_SANDBOX_PROPAGATION_S", "3600")
    assert run(capsys, "revert", "--domain", "tailspin.io", "--confirm", "tailspin.io")[0] == 0
    code, out, _ = run(capsys, "status", "--domain", "tailspin.io")
    assert code == 0  # read fine; not propagated yet is a fact, not a failure
    assert "NOT YET: Graph says Managed, sign-in still says Federated" in out
    assert (f"To wait for it: {pasted(federator_home)} status --domain tailspin.io --wait"
            in out)
    code, out, _ = run(capsys, "status", "--domain", "tailspin.io", "--json")
    assert code == 0 and json.loads(out)["propagated"] is False
    code, out, _ = run(capsys, "status", "--domain", "tailspin.io", "--wait", "--timeout", "0.2")
    assert code == 1 and "Gave up" in out


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_status_records_what_became_of_a_killed_change_and_says_so(tmp_path: Path) -> None:
    home = tmp_path / "home"
    killed = _cli(home, "revert", "--domain", "tailspin.io", "--confirm", "tailspin.io",
                  kill_after="write")
    assert killed.returncode == -signal.SIGKILL
    history = _cli(home, "history").stdout
    assert "unfinished" in history
    assert f"{pasted(home)} status --domain tailspin.io" in history
    status = _cli(home, "status", "--domain", "tailspin.io")
    assert status.returncode == 0, status.stderr
    assert "did not finish" in status.stdout and "had been applied" in status.stdout
    assert re.search(r"Way back for \w+: " + re.escape(pasted(home)) + r" restore \w+-before "
                     r"--confirm tailspin.io", status.stdout)
    data = json.loads(_cli(home, "status", "--domain", "tailspin.io", "--json").stdout)
    assert data["reconciled"] == []  # recorded once, by the run before
    [entry] = json.loads(_cli(home, "history", "--json").stdout)["entries"]
    assert entry["outcome"] == "reconciled"


def test_a_second_federator_is_refused_while_one_is_changing_the_tenant(tmp_path: Path) -> None:
    from core.journal import Journal
    from core.paths import resolve_paths

    home = tmp_path / "home"
    tenant = json.loads(_cli(home, "domains", "--json").stdout)["tenant_id"]
    journal = Journal(resolve_paths(home).journal_dir, tenant)
    with journal.writing("revert tailspin.io"):  # this process is "the first Federator"
        second = _cli(home, "revert", "--domain", "tailspin.io", "--confirm", "tailspin.io")
    assert second.returncode == 1
    assert "Another Federator is changing this tenant right now" in second.stderr
    assert "doing: revert tailspin.io" in second.stderr and "Traceback" not in second.stderr
    status = json.loads(_cli(home, "status", "--domain", "tailspin.io", "--json").stdout)
    assert status["graph"]["authenticationType"] == "Federated"  # nothing was changed
    assert json.loads(_cli(home, "history", "--json").stdout)["entries"] == []


def test_an_unknown_domain_is_unusable_input_with_a_remedy_that_helps(
        capsys: pytest.CaptureFixture[str], federator_home: Path) -> None:
    code, out, err = run(capsys, "status", "--domain", "fabrikam.co")
    assert code == 2 and out == ""
    assert "no domain 'fabrikam.co'" in err
    assert f"`{pasted(federator_home)} domains` lists" in err
    code, _, err = run(capsys, "revert", "--domain", "fabrikam.co", "--confirm", "fabrikam.co")
    assert code == 2 and "no domain 'fabrikam.co'" in err
    assert run(capsys, "history", "--json")[1].count('"op"') == 0  # nothing journaled


@pytest.mark.skipif(sys.platform == "win32", reason="sends SIGINT to a child process")
def test_ctrl_c_mid_change_says_how_to_find_out_what_it_did(tmp_path: Path) -> None:
    home = tmp_path / "home"
    env = dict(os.environ, FEDERATOR_HOME=str(home), FEDERATOR_SANDBOX_LATENCY_MS="300")
    env.pop("FEDERATOR_TEST_KILL_AFTER", None)
    child = subprocess.Popen(
        [sys.executable, "-m", "cli.main", "--sandbox", "revert", "--domain", "tailspin.io",
         "--confirm", "tailspin.io"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True)
    assert child.stdout is not None
    for line in child.stdout:  # wait for the write to be on its way, then press Ctrl+C
        if "Sending PATCH" in line:
            child.send_signal(signal.SIGINT)
            break
    _, err = child.communicate(timeout=60)
    assert child.returncode == 130, err
    assert "journal entry stays open" in err
    assert f"`{pasted(home)} status --domain tailspin.io`" in err
    assert "Traceback" not in err
    after = _cli(home, "status", "--domain", "tailspin.io")
    assert after.returncode == 0 and "record what became of it" in after.stdout
    [entry] = json.loads(_cli(home, "history", "--json").stdout)["entries"]
    assert entry["outcome"] in ("reconciled", "succeeded", "in-progress")
    if entry["outcome"] == "in-progress":  # the PATCH had left, unanswered: it could still land
        assert "could still land" in after.stdout


def test_commands_preflight_and_plan_suggest_carry_the_global_options(
        capsys: pytest.CaptureFixture[str], tmp_path: Path,
        metadata_files: tuple[Path, Path]) -> None:
    """preflight suggests ``federator plan`` and ``make-default``, plan suggests ``federator
    preflight``: pasted, each must reach the same home and the same (sandbox) tenant."""
    home = tmp_path / "my home"
    meta = str(metadata_files[0])
    prefix = f"federator --home '{home}' --sandbox --as ops@contoso.com "
    _, out, _ = run(capsys, "--as", "ops@contoso.com", "preflight", "--metadata", meta,
                    "--domain", "contoso.com", home=home)
    assert out.count("federator ") == 2
    assert (prefix + "plan ") in out and (prefix + "make-default ") in out
    code, out, _ = run(capsys, "--as", "ops@contoso.com", "plan", "--metadata", meta,
                       "--domain", "fabrikam.com", home=home)
    check_first = out.split("Check it first: ", 1)[1].splitlines()[0]
    assert code == 0 and check_first.startswith(prefix + "preflight ")
    # Pasted as printed, it runs against the same tenant and home.
    assert main(shlex.split(check_first)[1:]) == 0
    assert "Preflight: federating fabrikam.com" in capsys.readouterr().out


def test_update_certificate_stages_the_next_certificate_published_before_it_is_valid(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """A planned rollover: the IdP publishes its current certificate and the next one, valid
    in 7 days. The command stages the next one (as the window does), and refuses to promote it
    before it is valid."""
    import datetime as dt

    from core.idp_sample import build_idp_metadata, jumpcloud_certificate

    first, issued = jumpcloud_sample("fabrikam-m365")
    upcoming = jumpcloud_certificate("Federator Demo (next)",
                                     now=dt.datetime.now(dt.UTC) + dt.timedelta(days=7))
    sso = "https://sso.jumpcloud.com/saml2/fabrikam-m365"
    both = build_idp_metadata(sso, sso_post=sso, sso_redirect=sso, slo_redirect=None,
                              signing_certs=[issued.der, upcoming.der], style="jumpcloud")
    (tmp_path / "first.xml").write_bytes(first)
    (tmp_path / "both.xml").write_bytes(both)
    base = ["--domain", "fabrikam.com", "--confirm", "fabrikam.com"]
    code, out, _ = run(capsys, "federate", "--metadata", str(tmp_path / "first.xml"), *base,
                       "--accept-warnings", WARNINGS)
    assert code == 0, out

    code, out, err = run(capsys, "update-certificate", "--metadata", str(tmp_path / "both.xml"),
                         *base)
    assert code == 0, out + err
    assert "staged as nextSigningCertificate" in out
    assert "Federator Demo (next)" in out.split("Certificates Entra accepts now:")[1]

    code, out, err = run(capsys, "update-certificate", "--metadata", str(tmp_path / "both.xml"),
                         *base, "--promote")
    assert code != 0 and "not valid before" in err



def test_promoting_while_the_idp_still_lists_the_old_certificate_says_to_test_a_sign_in(
        capsys: pytest.CaptureFixture[str], federator_home: Path) -> None:
    # The sample IdP publishes a new certificate beside the one it signs with (a staged
    # rotation): promoting now takes the certificate it signs with away from Entra.
    assert run(capsys, "sandbox", "idp")[0] == 0
    idp_metadata = federator_home / "data" / "sandbox" / "idp" / "metadata.xml"
    base = ["--metadata", str(idp_metadata), "--domain", "fabrikam.com",
            "--confirm", "fabrikam.com"]
    assert run(capsys, "federate", *base, "--accept-warnings", WARNINGS)[0] == 0
    assert run(capsys, "sandbox", "idp-rotate")[0] == 0
    assert run(capsys, "update-certificate", *base)[0] == 0
    code, out, _ = run(capsys, "update-certificate", *base, "--promote")
    assert code == 0 and "now the signing certificate" in out
    # Said before the PATCH is sent, and again with the result.
    assert (out.index("still lists the certificate this replaces")
            < out.index("Sending PATCH"))
    notes = out.split("Notes:")[1]
    assert "The IdP's metadata still lists the certificate this replaces" in notes
    assert "AADSTS500081" in notes
    assert (f"{pasted(federator_home)} test-signin --domain fabrikam.com --user UPN"
            in " ".join(notes.split()))
    assert unquoted_metacharacters(" ".join(notes.split())) == []  # pasted as printed
    # It is what the sandbox's sign-in shows: the IdP still signs with the old key.
    code, out, _ = run(capsys, "test-signin", "--domain", "fabrikam.com",
                       "--user", "admin@fabrikam.com")
    assert code == 1 and "AADSTS500081" in out
    # Its fix names the command that stages the IdP's certificate again, for this domain.
    assert (f"{pasted(federator_home)} update-certificate --metadata IDP_METADATA "
            "--domain fabrikam.com --confirm fabrikam.com") in out


def test_restore_refuses_a_snapshot_whose_journal_was_edited_to_a_loopback_sign_in_host(
        capsys: pytest.CaptureFixture[str], metadata_files: tuple[Path, Path],
        federator_home: Path) -> None:
    """Someone with write access to the admin's home edits the journal: the recorded sign-in URL
    now names the admin's own machine. Restore judges it as metadata is judged, and refuses."""
    first, _ = metadata_files
    code, out, _ = run(capsys, "federate", "--metadata", str(first), "--domain", "fabrikam.com",
                       "--confirm", "fabrikam.com", "--accept-warnings", WARNINGS)
    assert code == 0, out
    after = re.search(r"snapshot before \S+, after (\w+-after)", out)
    assert after
    [journal] = list(federator_home.rglob("tenant-*.jsonl"))
    text = journal.read_text(encoding="utf-8")
    edited = re.sub(r'("passiveSignInUri":\s*)"[^"]+"', r'\1"https://127.0.0.1/saml/sso"', text)
    assert edited != text
    journal.write_text(edited, encoding="utf-8")
    code, out, err = run(capsys, "restore", after.group(1), "--confirm", "fabrikam.com",
                         "--force")
    assert code == 1
    said = " ".join(err.split())
    assert "would not work now" in said and "127.0.0.1 is the user's own computer" in said
    assert "Nothing was changed" in said and "federate --metadata SOURCE" in said


def test_a_change_microsoft_never_applied_says_to_run_the_same_command_again_later(
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
        metadata_files: tuple[Path, Path], federator_home: Path) -> None:
    """Every attempt of the write got 503 and re-reading proved none landed: the result says
    there is nothing to undo and names the very command to run again later, as typed."""
    first, _ = metadata_files
    federate = ["federate", "--metadata", str(first), "--domain", "fabrikam.com",
                "--confirm", "fabrikam.com", "--accept-warnings", WARNINGS]
    monkeypatch.setenv("FEDERATOR_SANDBOX_FAULTS", "write:503:10")
    code, out, _ = run(capsys, *federate)
    said = " ".join(out.split())
    assert code == 1 and "Result: failed" in out and "nothing was changed" in said
    assert "Nothing was applied, so there is nothing to undo" in said
    assert (f"In a few minutes, run the same command again: "
            f"{pasted(federator_home)} {shlex.join(federate)} Journal entry") in said
    monkeypatch.delenv("FEDERATOR_SANDBOX_FAULTS")
    code, out, _ = run(capsys, *federate)
    assert code == 0, out
    before = re.search(r"snapshot before (\w+-before)", out)
    assert before
    monkeypatch.setenv("FEDERATOR_SANDBOX_FAULTS", "write:503:10")
    restore = ["restore", before.group(1), "--confirm", "fabrikam.com", "--force"]
    code, out, _ = run(capsys, *restore)
    said = " ".join(out.split())
    assert code == 1 and "nothing was changed" in said
    assert (f"In a few minutes, run the same command again: "
            f"{pasted(federator_home)} {shlex.join(restore)} Journal entry") in said

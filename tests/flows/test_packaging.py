"""Packaging: the frozen app starts, its console twin runs commands, the MSI compiles and installs.

The slow tests build the real Linux onedir once per run (about 15 s) with packaging/build.py, the
same code the Windows job uses, then run the frozen executables the way an admin or CI would.
Commands other engineers are still building (``inspect``, ``--sandbox domains``) are also run
from source: when they fail from source too the test skips with the reason; when they work from
source but not frozen it fails, because that is a packaging bug (a missing hidden import or data
file). Wine tests install and uninstall the MSI silently and skip where Wine is absent.
"""

from __future__ import annotations

import ast
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "packaging"))
import build  # noqa: E402
import sample_metadata  # noqa: E402
import version_info  # noqa: E402

UPGRADE_CODE = "7CF0D210-3C40-4501-B5FE-9397304E6878"
WIXL = shutil.which("wixl")
MSIINFO = shutil.which("msiinfo")
WINE = shutil.which("wine") or shutil.which("wine64")
needs_wixl = pytest.mark.skipif(WIXL is None or MSIINFO is None,
                                reason="wixl/msitools missing (apt-get install wixl msitools)")
needs_wine = pytest.mark.skipif(WINE is None, reason="wine not installed (apt-get install wine)")


# ---------------------------------------------------------------- helpers


def _files(folder: Path) -> list[Path]:
    """Files as an MSI carries them: a symlink (PyInstaller makes some on Linux) is a copy."""
    return [p for p in folder.rglob("*") if p.is_file()]


def _msi_table(msi: Path, table: str) -> list[list[str]]:
    # cwd: exporting a table with a binary column (Icon) writes Table/Key files into it.
    out = subprocess.run([str(MSIINFO), "export", str(msi), table], capture_output=True,
                         text=True, check=True, timeout=60, cwd=msi.parent).stdout
    return [line.split("\t") for line in out.splitlines()[3:] if line]  # 3 header lines


def _stub_onedir(folder: Path) -> Path:
    """A tiny stand-in for the onedir: the two executables plus a nested library folder."""
    onedir = folder / "Federator"
    (onedir / "_internal" / "lib").mkdir(parents=True)
    (onedir / build.GUI_EXE).write_bytes(b"gui stand-in")
    (onedir / build.CLI_EXE).write_bytes(b"cli stand-in")
    (onedir / "_internal" / "lib" / "payload.txt").write_text("payload", encoding="utf-8")
    (onedir / "_internal" / "base_library.zip").write_bytes(b"zip stand-in")
    return onedir


def _run(cmd: list[str], timeout: float = 120, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    result: subprocess.CompletedProcess[str] = subprocess.run(
        cmd, capture_output=True, text=True, timeout=timeout, check=False, **kwargs)
    return result


# ---------------------------------------------------------------- fast: the pieces


def test_windows_version_is_four_numbers_from_the_project_version() -> None:
    assert version_info.windows_version("1.2.3") == (1, 2, 3, 0)
    assert version_info.windows_version("0.4.0rc2") == (0, 4, 0, 0)
    assert version_info.windows_version("2") == (2, 0, 0, 0)
    with pytest.raises(SystemExit):
        version_info.windows_version("70000.0.0")


def test_version_file_names_the_exe_product_and_version() -> None:
    version = version_info.project_version()
    text = version_info.version_file_text("federator-cli", "Federator command line")
    tree = ast.parse(text, mode="eval")  # PyInstaller evaluates this text on Windows
    strings = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "StringStruct":
            key, value = (ast.literal_eval(arg) for arg in node.args)
            strings[key] = value
    assert strings["OriginalFilename"] == "federator-cli.exe"
    assert strings["ProductName"] == "Federator"
    assert strings["ProductVersion"] == strings["FileVersion"] == version
    assert f"filevers={version_info.windows_version(version)!r}" in text


def test_app_icon_ico_holds_every_size_windows_asks_for() -> None:
    data = (ROOT / "resources" / "icons" / "federator.ico").read_bytes()
    reserved, kind, count = struct.unpack_from("<HHH", data)
    assert (reserved, kind) == (0, 1)
    sizes = set()
    for i in range(count):
        width, _h, _c, _r, _planes, bits, length, offset = struct.unpack_from(
            "<BBBBHHII", data, 6 + 16 * i)
        assert bits == 32 and offset + length <= len(data)
        sizes.add(width or 256)
    assert {16, 24, 32, 48, 256} <= sizes
    assert (ROOT / "resources" / "icons" / "federator.svg").is_file()


def test_icon_helper_renders_the_committed_ico_from_the_svg(tmp_path: Path) -> None:
    # A subprocess: the helper makes its own QGuiApplication, which must not be this test run's.
    result = _run([sys.executable, str(ROOT / "packaging" / "make_icons.py"), "--out",
                   str(tmp_path)], env=dict(os.environ, QT_QPA_PLATFORM="offscreen"))
    assert result.returncode == 0, result.stderr[-2000:]
    fresh = (tmp_path / "federator.ico").read_bytes()
    assert fresh[:6] == (ROOT / "resources" / "icons" / "federator.ico").read_bytes()[:6]
    assert (tmp_path / "federator.png").read_bytes().startswith(b"\x89PNG")


def test_file_fragment_lists_every_file_but_the_two_exes_with_unique_ids(tmp_path: Path) -> None:
    onedir = _stub_onedir(tmp_path)
    fragment = tmp_path / "appfiles.wxs"
    assert build.write_files_fragment(onedir, fragment) == 2
    ns = {"w": "http://schemas.microsoft.com/wix/2006/wi"}
    tree = ElementTree.parse(fragment)
    names = {f.get("Name") for f in tree.iterfind(".//w:File", ns)}
    assert names == {"payload.txt", "base_library.zip"}  # federator.wxs declares the two exes
    for tag in ("Directory", "Component", "File"):
        ids = [e.get("Id") for e in tree.iterfind(f".//w:{tag}", ns)]
        assert len(ids) == len(set(ids)), f"duplicate {tag} ids"
    components = {e.get("Id") for e in tree.iterfind(".//w:Component", ns)}
    assert {e.get("Id") for e in tree.iterfind(".//w:ComponentRef", ns)} == components
    # Ids come from the path, so a rebuild keeps them (and an upgrade replaces files in place).
    again = tmp_path / "again.wxs"
    build.write_files_fragment(onedir, again)
    assert again.read_text(encoding="utf-8") == fragment.read_text(encoding="utf-8")


def test_file_fragment_refuses_an_empty_folder(tmp_path: Path) -> None:
    (tmp_path / "Federator").mkdir()
    with pytest.raises(build.BuildError, match="no files"):
        build.write_files_fragment(tmp_path / "Federator", tmp_path / "appfiles.wxs")


@needs_wixl
def test_wxs_compiles_to_a_per_user_msi_with_arp_entry_and_shortcut(tmp_path: Path) -> None:
    onedir = _stub_onedir(tmp_path)
    msi = build.build_msi(onedir, tmp_path, tmp_path / "work", version="1.2.3")
    assert msi.name == "Federator-1.2.3.msi"
    props = {row[0]: row[1] for row in _msi_table(msi, "Property")}
    assert props["ProductName"] == "Federator"
    assert props["ProductVersion"] == "1.2.3"
    assert props["Manufacturer"] == "Federator"
    assert props["UpgradeCode"] == "{" + UPGRADE_CODE + "}"
    assert props["ALLUSERS"] == "2" and props["MSIINSTALLPERUSER"] == "1"  # per-user default
    assert props["ARPPRODUCTICON"] == "FederatorIcon.ico"
    assert props["ARPHELPLINK"].startswith("https://")
    files = {row[2].split("|")[-1] for row in _msi_table(msi, "File")}
    assert files == {build.GUI_EXE, build.CLI_EXE, "payload.txt", "base_library.zip"}
    shortcuts = _msi_table(msi, "Shortcut")
    assert [row[2].split("|")[-1] for row in shortcuts] == ["Federator"]
    assert _msi_table(msi, "Upgrade"), "MajorUpgrade rows missing"
    assert [row[0] for row in _msi_table(msi, "Icon")] == ["FederatorIcon.ico"]


# ---------------------------------------------------------------- slow: the real frozen app


@pytest.fixture(scope="module")
def onedir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("PyInstaller", reason="PyInstaller missing (it is in the test extra)")
    tmp = tmp_path_factory.mktemp("freeze")
    return build.build_onedir(tmp / "dist", tmp / "work")


def _frozen(onedir: Path, exe: str, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    full_env = dict(os.environ, QT_QPA_PLATFORM="offscreen", **env)
    return _run([str(onedir / exe), *args], env=full_env)


def _from_source(*args: str) -> subprocess.CompletedProcess[str]:
    return _run([sys.executable, "-m", "gui.launch", *args], cwd=ROOT)


def _frozen_or_skip(onedir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The frozen CLI's result; skip if the command fails from source too (not built yet)."""
    frozen = _frozen(onedir, build.CLI_EXE, *args)
    if frozen.returncode != 0:
        source = _from_source(*args)
        if source.returncode != 0:
            pytest.skip(f"`federator {' '.join(args)}` fails from source too (exit "
                        f"{source.returncode}: {(source.stderr or source.stdout).strip()[-300:]})")
        pytest.fail(f"`federator {' '.join(args)}` works from source but the frozen CLI exits "
                    f"{frozen.returncode}: {frozen.stderr.strip()[-1000:]}")
    return frozen


@pytest.mark.slow
def test_onedir_holds_both_executables_and_the_resources(onedir: Path) -> None:
    for exe in (build.GUI_EXE, build.CLI_EXE):
        assert os.access(onedir / exe, os.X_OK)
    internal = onedir / "_internal"
    assert (internal / "resources" / "icons" / "federator.svg").is_file()
    assert not list(internal.rglob("translations/*.qm")), "Qt translations should be trimmed"
    assert list(internal.rglob("*qoffscreen*")), "the offscreen platform plugin is needed"
    assert list(internal.rglob("*qsvg*")), "the SVG icon plugin is needed"
    dangling = [p for p in onedir.rglob("*") if p.is_symlink() and not p.exists()]
    assert not dangling
    # onedir, not onefile: the libraries sit beside the exes instead of being unpacked per start.
    assert (internal / "base_library.zip").is_file()
    assert (onedir / build.GUI_EXE).stat().st_size < 20_000_000


@pytest.mark.slow
def test_frozen_app_passes_its_self_test_offscreen(onedir: Path, tmp_path: Path) -> None:
    report = tmp_path / "selftest.txt"
    result = _frozen(onedir, build.GUI_EXE, "--self-test", FEDERATOR_SELFTEST_OUT=str(report))
    assert result.returncode == 0, result.stderr[-2000:]
    if not build.IS_WINDOWS:  # a windowed Windows exe has no stdout at all
        assert "self-test ok" in result.stdout
    # ...which is why the same line must reach the report file.
    assert "self-test ok" in report.read_text(encoding="utf-8")
    assert "Traceback" not in result.stderr


@pytest.mark.slow
def test_frozen_cli_reports_the_project_version(onedir: Path) -> None:
    result = _frozen(onedir, build.CLI_EXE, "--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"federator {version_info.project_version()}"


@pytest.mark.slow
def test_frozen_cli_inspects_metadata_as_json(onedir: Path, tmp_path: Path) -> None:
    metadata = sample_metadata.write_sample(tmp_path / "idp.xml")
    result = _frozen_or_skip(onedir, "inspect", str(metadata), "--json")
    payload = json.loads(result.stdout)
    assert isinstance(payload, dict) and "error" not in payload
    assert sample_metadata.ENTITY_ID in result.stdout  # e.g. payload["entity_id"]
    # The signing certificate was parsed: cryptography's native code made it into the bundle.
    assert len(payload.get("certificates", [None])) == 1


@pytest.mark.slow
def test_frozen_cli_lists_the_sandbox_tenants_domains(onedir: Path) -> None:
    result = _frozen_or_skip(onedir, "--sandbox", "domains")
    assert "contoso.com" in result.stdout
    assert "fabrikam.com" in result.stdout


# ---------------------------------------------------------------- slow: the Windows hazards, frozen


@pytest.mark.slow
def test_frozen_cli_finds_signed_metadata_valid(onedir: Path, tmp_path: Path) -> None:
    # AD FS always signs its metadata; signxml checks it against schema files it loads at run
    # time, which the bundle lacked: every signed file was reported INVALID.
    metadata = sample_metadata.write_signed_sample(tmp_path / "adfs.xml")
    result = _frozen(onedir, build.CLI_EXE, "inspect", str(metadata))
    assert result.returncode == 0, result.stderr[-2000:]
    assert "Signature          valid" in result.stdout, result.stdout
    payload = json.loads(_frozen(onedir, build.CLI_EXE, "inspect", str(metadata), "--json").stdout)
    assert payload["signature_valid"] is True


def _no_console() -> None:
    """In the child, before the app starts: no stdout and no stderr, like a windowed Windows exe
    (Python then sets sys.stdout and sys.stderr to None)."""
    os.close(1)
    os.close(2)


# On Windows the windowed exe has no console by itself (and there is no preexec_fn).
NO_CONSOLE = _no_console if os.name == "posix" else None


@pytest.mark.slow
def test_frozen_windowed_app_opens_a_file_argument_with_no_console(
        onedir: Path, tmp_path: Path) -> None:
    # Explorer starts `federatorw.exe C:\path\idp.xml` for a file dropped on it or opened with
    # it; --self-test PATH opens it offscreen and reports the entity ID.
    metadata = sample_metadata.write_signed_sample(tmp_path / "dropped idp.xml")
    report = tmp_path / "selftest.txt"
    env = dict(os.environ, FEDERATOR_SELFTEST_OUT=str(report), FEDERATOR_HOME=str(tmp_path / "h"))
    env.pop("QT_QPA_PLATFORM", None)
    result = subprocess.run([str(onedir / build.GUI_EXE), "--self-test", str(metadata)],
                            env=env, preexec_fn=NO_CONSOLE, timeout=120, check=False)
    text = report.read_text(encoding="utf-8")
    assert result.returncode == 0, text
    assert f"self-test ok: opened {sample_metadata.ENTITY_ID}" in text


@pytest.mark.slow
def test_frozen_windowed_app_reports_a_startup_failure_instead_of_hanging(
        onedir: Path, tmp_path: Path) -> None:
    # A file that is not metadata: the self-test fails with a reason, fast, and no dialog.
    bad = tmp_path / "not-metadata.xml"
    bad.write_text("<html/>", encoding="utf-8")
    report = tmp_path / "selftest.txt"
    env = dict(os.environ, FEDERATOR_SELFTEST_OUT=str(report), FEDERATOR_HOME=str(tmp_path / "h"))
    result = subprocess.run([str(onedir / build.GUI_EXE), "--self-test", str(bad)],
                            env=env, preexec_fn=NO_CONSOLE, timeout=60, check=False)
    assert result.returncode != 0
    assert "self-test failed: could not open" in report.read_text(encoding="utf-8")


def _cp1252_locale(tmp_path: Path) -> dict[str, str]:
    """Environment for a console whose encoding is Windows-1252, as on a Western Windows."""
    if not sys.platform.startswith("linux"):
        pytest.skip("glibc locales emulate the cp1252 console; on Windows it is the real one")
    (tmp_path / "loc").mkdir()
    localedef = shutil.which("localedef")
    if localedef is None:
        pytest.skip("localedef missing: cannot make a cp1252 locale")
    made = subprocess.run([localedef, "-i", "en_US", "-f", "CP1252",
                           str(tmp_path / "loc" / "en_US.CP1252")],
                          capture_output=True, timeout=120, check=False)
    if not (tmp_path / "loc" / "en_US.CP1252").is_dir():
        pytest.skip(f"localedef could not make a cp1252 locale: {made.stderr[-300:]!r}")
    return {"LOCPATH": str(tmp_path / "loc"), "LC_ALL": "en_US.CP1252"}


@pytest.mark.slow
def test_frozen_cli_writes_utf8_json_to_a_pipe_on_a_cp1252_system(
        onedir: Path, tmp_path: Path) -> None:
    env = dict(os.environ, **_cp1252_locale(tmp_path))
    probe = subprocess.run([sys.executable, "-c", "import sys; print(sys.stdout.encoding)"],
                           env=env, capture_output=True, text=True, check=True)
    assert probe.stdout.strip() == "cp1252"  # the hazard is real here: Python follows the locale
    entity = "https://idp.example/東京/Zürich"
    metadata = sample_metadata.write_sample(tmp_path / "idp.xml", entity)
    result = subprocess.run([str(onedir / build.CLI_EXE), "inspect", str(metadata), "--json"],
                            env=env, capture_output=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    assert json.loads(result.stdout.decode("utf-8"))["entity_id"] == entity


_PRINTED_COMMAND = re.compile(r"(?:^|[\s`(])((?:/[^\s`]*/)?federator)(?= [a-z-])")


@pytest.mark.slow
@pytest.mark.skipif(os.name != "posix", reason="reads POSIX paths out of the output")
@pytest.mark.parametrize("on_path", [True, False], ids=["on-PATH", "not-on-PATH"])
def test_every_command_the_frozen_cli_prints_runs_as_printed(
        onedir: Path, tmp_path: Path, on_path: bool) -> None:
    # The MSI puts the console program on the PATH; a copied folder (or a shell opened before the
    # install) does not have it there, and the printed commands then name it by its full path.
    search = os.pathsep.join(([str(onedir)] if on_path else []) + ["/usr/bin", "/bin"])
    env = dict(os.environ, PATH=search, QT_QPA_PLATFORM="offscreen")
    outputs = []
    for args in (["--sandbox", "status", "--domain", "nosuch.example"],
                 ["--sandbox", "revert", "--domain", "nosuch.example", "--confirm",
                  "nosuch.example"]):
        result = _run([str(onedir / build.CLI_EXE), "--home", str(tmp_path / "h"), *args], env=env)
        outputs.append(result.stdout + result.stderr)
    programs = [m for text in outputs for m in _PRINTED_COMMAND.findall(text)]
    assert programs, outputs
    for program in programs:
        found = shutil.which(program, path=search)
        assert found is not None, f"{program!r} does not run as printed: {outputs}"
        assert os.path.samefile(found, onedir / build.CLI_EXE)


# ---------------------------------------------------------------- slow: installer, Wine


@pytest.fixture(scope="module")
def msi(onedir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    if WIXL is None or MSIINFO is None:
        pytest.skip("wixl/msitools not installed (apt-get install wixl msitools)")
    tmp = tmp_path_factory.mktemp("msi")
    return build.build_msi(onedir, tmp, tmp / "work")


@pytest.mark.slow
def test_msi_carries_every_file_of_the_onedir(onedir: Path, msi: Path) -> None:
    assert msi.name == f"Federator-{version_info.project_version()}.msi"
    assert len(_msi_table(msi, "File")) == len(_files(onedir))


@pytest.fixture(scope="module")
def wine_prefix(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    if WINE is None:
        pytest.skip("wine not installed (apt-get install wine)")
    prefix = tmp_path_factory.mktemp("wine")
    env = dict(os.environ, WINEPREFIX=str(prefix), WINEDEBUG="-all", WINEDLLOVERRIDES="mshtml=")
    env.pop("DISPLAY", None)
    # A persistent wineserver keeps Wine's background services up between commands, so each
    # msiexec starts in well under a second instead of booting them again.
    _wine(env, "wineboot", "--init", timeout=180)
    subprocess.run(["wineserver", "-p"], env=env, check=False, timeout=30)
    yield env
    subprocess.run(["wineserver", "-k"], env=env, check=False, timeout=30)


def _wine(env: dict[str, str], *args: str, timeout: float = 300, check: bool = True) -> str:
    """Run a Wine command; its stdout. Output goes through a file, not a pipe: Wine's background
    services inherit the handles, and a pipe would stay open until they exit."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        result = subprocess.run([str(WINE), *args], env=env, stdout=out, stderr=err,
                                stdin=subprocess.DEVNULL, timeout=timeout, check=False)
        out.seek(0)
        err.seek(0)
        stdout = out.read().decode("utf-8", "replace")
        stderr = err.read().decode("utf-8", "replace")
    assert result.returncode == 0 or not check, (
        f"wine {' '.join(args)} exited {result.returncode}: {stderr}")
    return stdout


def _msiexec(env: dict[str, str], *args: str) -> None:
    # Wine's msiexec finishes a /qn install (no custom actions here) before it exits.
    _wine(env, "msiexec", *args)


def _arp_listing(env: dict[str, str]) -> str:
    """Both Add/Remove Programs hives (Wine 8 writes a per-user install's entry under HKLM)."""
    return "".join(_wine(env, "reg", "query",
                         rf"{hive}\Software\Microsoft\Windows\CurrentVersion\Uninstall", "/s",
                         check=False)  # exit 1 when the hive has no such key
                   for hive in ("HKLM", "HKCU"))


def _installed_dir(prefix: Path) -> Path | None:
    # Windows puts a per-user install under %LOCALAPPDATA%\Programs; Wine 8 uses Program Files.
    for candidate in [*prefix.glob("drive_c/users/*/AppData/Local/Programs/Federator"),
                      prefix / "drive_c" / "Program Files" / "Federator"]:
        if candidate.is_dir():
            return candidate
    return None


def _shortcuts(prefix: Path) -> list[Path]:
    return [*prefix.glob("drive_c/users/*/AppData/Roaming/Microsoft/Windows/Start Menu/Programs/"
                         "Federator.lnk"),
            *prefix.glob("drive_c/ProgramData/Microsoft/Windows/Start Menu/Programs/Federator.lnk")]


@pytest.mark.slow
@needs_wine
def test_msi_installs_and_uninstalls_silently_leaving_the_journal(
        onedir: Path, msi: Path, wine_prefix: dict[str, str]) -> None:
    prefix = Path(wine_prefix["WINEPREFIX"])
    _msiexec(wine_prefix, "/i", str(msi), "/qn")
    installed = _installed_dir(prefix)
    assert installed is not None, "no Federator folder after a silent install"
    assert (installed / build.GUI_EXE).is_file() and (installed / build.CLI_EXE).is_file()
    assert len(_files(installed)) == len(_files(onedir))
    assert len(_shortcuts(prefix)) == 1
    arp = _arp_listing(wine_prefix)
    assert "Federator" in arp and version_info.project_version() in arp

    # The app keeps the journal in the user's profile (core/paths.py); uninstall must leave it.
    users = sorted(prefix.glob("drive_c/users/*/AppData/Local"))
    users = [u for u in users if u.parent.parent.name != "Public"]
    journal = users[0] / "Federator" / "Federator" / "journal" / "2026-11.jsonl"
    journal.parent.mkdir(parents=True)
    journal.write_text('{"op": "federate"}\n', encoding="utf-8")

    _msiexec(wine_prefix, "/x", str(msi), "/qn")
    left = _installed_dir(prefix)
    assert left is None or not _files(left), "files left behind by the uninstall"
    assert _shortcuts(prefix) == []
    assert journal.read_text(encoding="utf-8") == '{"op": "federate"}\n'


@needs_wixl
@needs_wine
@pytest.mark.slow
def test_newer_msi_replaces_the_older_install(tmp_path: Path,
                                              wine_prefix: dict[str, str]) -> None:
    prefix = Path(wine_prefix["WINEPREFIX"])
    onedir = _stub_onedir(tmp_path)
    old = build.build_msi(onedir, tmp_path / "old", tmp_path / "w1", version="250.0.1")
    (onedir / "_internal" / "lib" / "payload.txt").write_text("payload v2", encoding="utf-8")
    new = build.build_msi(onedir, tmp_path / "new", tmp_path / "w2", version="250.0.2")
    _msiexec(wine_prefix, "/i", str(old), "/qn")
    _msiexec(wine_prefix, "/i", str(new), "/qn")
    installed = _installed_dir(prefix)
    assert installed is not None
    assert (installed / "_internal" / "lib" / "payload.txt").read_text() == "payload v2"
    listing = _arp_listing(wine_prefix)
    assert "250.0.2" in listing and "250.0.1" not in listing  # one product, the newer one
    _msiexec(wine_prefix, "/x", str(new), "/qn")
    assert _shortcuts(prefix) == []


def test_the_unused_software_opengl_is_left_out_of_the_windows_bundle() -> None:
    import trim

    dropped: dict[str, tuple[int, int]] = {}
    toc = [("PySide6\\opengl32sw.dll", "C:\\x\\opengl32sw.dll", "BINARY"),
           ("PySide6\\Qt6Widgets.dll", "C:\\x\\Qt6Widgets.dll", "BINARY")]
    assert [e[0] for e in trim.trimmed(toc, dropped)] == ["PySide6\\Qt6Widgets.dll"]
    assert dropped["software opengl"][0] == 1

"""Build Federator for the platform this runs on: the onedir app, then its MSI installer.

    python packaging/build.py                 # dist/Federator/ + dist/Federator-<version>.msi
    python packaging/build.py --skip-msi      # only the onedir (e.g. to sign the exes first)
    python packaging/build.py --msi-only      # only the MSI, from an existing dist/Federator/
    python packaging/build.py --install-locked  # first pip install the lock file, with hashes

What is frozen into a release is pinned: ``packaging/requirements-lock.txt`` lists every package
(runtime and PyInstaller) for Windows x64 / Python 3.11 with its version and SHA-256 hashes. On
Windows the build refuses to run when the installed packages differ from the lock
(``--no-lock-check`` for a throw-away build). Regenerate the lock after changing dependencies:

    uv pip compile pyproject.toml --extra packaging --python-platform x86_64-pc-windows-msvc \
        --python-version 3.11 --generate-hashes -o packaging/requirements-lock.txt

On Windows the MSI is the real installer, built with the WiX 3 toolset (candle/light on PATH or
under %WIX%). On Linux the onedir holds Linux binaries and the MSI is built with msitools' wixl: it
proves ``federator.wxs`` compiles and lets the test suite install and uninstall it under Wine.

Why one script: the same steps must run the same way on a developer's machine, in Linux CI
(tests/flows/test_packaging.py) and on the Windows runner (.github/workflows/windows.yml).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from xml.sax.saxutils import quoteattr

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
from version_info import project_version  # noqa: E402

IS_WINDOWS = sys.platform == "win32"
EXE_SUFFIX = ".exe" if IS_WINDOWS else ""
# The names are decided in core/progname.py (why: the console program is what every printed
# command names; the windowed one cannot be Federator.exe beside it, Windows names ignore case).
GUI_EXE = f"federatorw{EXE_SUFFIX}"
CLI_EXE = f"federator{EXE_SUFFIX}"
SVG = ROOT / "resources" / "icons" / "federator.svg"
LOCK = HERE / "requirements-lock.txt"
ICO = ROOT / "resources" / "icons" / "federator.ico"


class BuildError(Exception):
    """A build step failed; the message says which and what to do."""


def _run(cmd: list[str], **kwargs: object) -> None:
    print("+ " + " ".join(str(c) for c in cmd), flush=True)
    result = subprocess.run(cmd, check=False, **kwargs)  # type: ignore[call-overload]
    if result.returncode != 0:
        raise BuildError(f"{Path(cmd[0]).name} failed with exit code {result.returncode}")


def _canonical(name: str) -> str:
    """A distribution name the way PEP 503 compares them (lower case, ``-`` for ``_`` and ``.``)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def locked_versions(lock: Path | None = None) -> dict[str, str]:
    """``{name: version}`` of every ``name==version`` line in ``lock`` (names canonical)."""
    pins: dict[str, str] = {}
    for line in (lock or LOCK).read_text(encoding="utf-8").splitlines():
        match = re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)", line)
        if match:
            pins[_canonical(match.group(1))] = match.group(2)
    return pins


def lock_drift(lock: Path | None = None) -> list[str]:
    """What differs between the lock and this interpreter's installed packages, in words."""
    from importlib.metadata import PackageNotFoundError, version

    problems = []
    for name, wanted in sorted(locked_versions(lock).items()):
        try:
            installed = version(name)
        except PackageNotFoundError:
            problems.append(f"{name} {wanted} is not installed")
            continue
        if installed != wanted:
            problems.append(f"{name} {installed} is installed, the lock pins {wanted}")
    return problems


def install_locked(lock: Path | None = None) -> None:
    """pip install exactly the lock, refusing any file whose hash is not listed in it."""
    _run([sys.executable, "-m", "pip", "install", "--require-hashes", "-r", str(lock or LOCK)])


def check_lock(lock: Path | None = None) -> None:
    problems = lock_drift(lock)
    if problems:
        raise BuildError(
            f"the installed packages differ from {(lock or LOCK).name}: " + "; ".join(problems[:5])
            + (f" (and {len(problems) - 5} more)" if len(problems) > 5 else "")
            + ". Run with --install-locked, or --no-lock-check for a build that is not a release")


def ensure_icons() -> Path:
    """Regenerate the committed .ico when it is missing or older than the SVG it comes from."""
    if not ICO.is_file() or ICO.stat().st_mtime < SVG.stat().st_mtime:
        _run([sys.executable, str(HERE / "make_icons.py")])
    return ICO


def build_onedir(dist: Path, work: Path, *, trim: bool = True) -> Path:
    """Run PyInstaller on federator.spec; return the onedir folder (``dist/Federator``)."""
    ensure_icons()
    env = dict(os.environ)
    if not trim:
        env["FEDERATOR_NO_TRIM"] = "1"
    # No --clean: it empties PyInstaller's shared cache, which would race with a build running in
    # parallel (tests, bench); PyInstaller rebuilds whatever changed in ``work`` by itself.
    _run([sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN",
          "--distpath", str(dist), "--workpath", str(work), str(HERE / "federator.spec")],
         env=env)
    onedir = dist / "Federator"
    for exe in (GUI_EXE, CLI_EXE):
        if not (onedir / exe).is_file():
            raise BuildError(f"PyInstaller did not produce {onedir / exe}")
    return onedir


def _wix_id(prefix: str, relpath: str) -> str:
    # Stable, unique and within WiX's 72-character identifier limit, whatever the file name.
    return prefix + hashlib.sha1(relpath.encode("utf-8")).hexdigest()[:20]


def write_files_fragment(onedir: Path, out: Path, relative_to: Path | None = None) -> int:
    """Write the WiX fragment (ComponentGroup ``AppFiles``) for every onedir file but the two exes.

    Our own generator instead of heat/wixl-heat: one code path for WiX 3 and wixl, no silent empty
    group when a prefix is wrong, and component ids derived from the path so they stay stable
    between builds. ``relative_to`` writes source paths relative to that folder (for wixl).
    Returns the number of files listed.
    """
    lines = ['<?xml version="1.0" encoding="utf-8"?>',
             '<Wix xmlns="http://schemas.microsoft.com/wix/2006/wi">', "  <Fragment>"]
    components: list[str] = []

    def source(path: Path) -> str:
        return os.path.relpath(path, relative_to) if relative_to is not None else str(path)

    def walk(folder: Path, depth: int) -> None:
        pad = "  " * depth
        for entry in sorted(folder.iterdir(), key=lambda p: p.name):
            rel = entry.relative_to(onedir).as_posix()
            if entry.is_dir():
                lines.append(f"{pad}<Directory Id={quoteattr(_wix_id('d', rel))} "
                             f"Name={quoteattr(entry.name)}>")
                walk(entry, depth + 1)
                lines.append(f"{pad}</Directory>")
            elif entry.is_file() and rel not in (GUI_EXE, CLI_EXE):
                cid = _wix_id("c", rel)
                components.append(cid)
                lines.append(f'{pad}<Component Id="{cid}" Guid="*" Win64="yes">')
                lines.append(f"{pad}  <File Id={quoteattr(_wix_id('f', rel))} "
                             f"Name={quoteattr(entry.name)} "
                             f"Source={quoteattr(source(entry))} KeyPath=\"yes\"/>")
                lines.append(f"{pad}</Component>")

    lines.append('    <DirectoryRef Id="APPLICATIONFOLDER">')
    walk(onedir, 3)
    lines.append("    </DirectoryRef>")
    lines.append('    <ComponentGroup Id="AppFiles">')
    lines.extend(f'      <ComponentRef Id="{cid}"/>' for cid in components)
    lines += ["    </ComponentGroup>", "  </Fragment>", "</Wix>", ""]
    if not components:
        raise BuildError(f"no files found under {onedir}: build the onedir first")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines), encoding="utf-8")
    return len(components)


def _find_wix3_tool(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    wix = os.environ.get("WIX")  # set by the WiX 3 installer, e.g. C:\Program Files (x86)\WiX...
    if wix and (Path(wix) / "bin" / f"{name}.exe").is_file():
        return str(Path(wix) / "bin" / f"{name}.exe")
    raise BuildError(f"WiX 3 '{name}' not found: install the WiX Toolset 3.14 "
                     "(choco install wixtoolset) or put its bin folder on PATH")


def build_msi(onedir: Path, out_dir: Path, work: Path, version: str | None = None) -> Path:
    """Build ``Federator-<version>.msi`` from the onedir with WiX 3 (Windows) or wixl (Linux).

    ``version`` defaults to the project's; tests pass others to exercise upgrades.
    """
    version = version or project_version()
    msi = out_dir / f"Federator-{version}.msi"
    out_dir.mkdir(parents=True, exist_ok=True)
    work.mkdir(parents=True, exist_ok=True)
    fragment = work / "appfiles.wxs"
    # wixl cannot open absolute source paths (a GLib assertion fails), so for wixl every path is
    # written relative to the folder it runs in; WiX 3 gets absolute paths.
    base = None if IS_WINDOWS else work
    count = write_files_fragment(onedir, fragment, relative_to=base)
    print(f"installer payload: {count + 2} files from {onedir}")
    defines = {"Version": version, "GuiExe": GUI_EXE, "CliExe": CLI_EXE,
               "SourceDir": str(onedir), "IconFile": str(ensure_icons())}
    if base is not None:
        for key in ("SourceDir", "IconFile"):
            defines[key] = os.path.relpath(defines[key], base)
    # What only WiX 3 compiles (PATH entry, closing the running app, the dialogs):
    # federator_wixl.wxs is an empty stand-in for the Linux test MSI.
    extras = HERE / ("federator_wix3.wxs" if IS_WINDOWS else "federator_wixl.wxs")
    sources = [str(HERE / "federator.wxs"), str(fragment), str(extras)]
    if IS_WINDOWS:
        candle, light = _find_wix3_tool("candle"), _find_wix3_tool("light")
        defines["LicenseRtf"] = str(HERE / "license.rtf")
        extensions = ["-ext", "WixUIExtension", "-ext", "WixUtilExtension"]
        _run([candle, "-nologo", "-arch", "x64", *extensions, "-out", str(work) + os.sep,
              *[f"-d{k}={v}" for k, v in defines.items()], *sources])
        objects = [str(work / (Path(s).stem + ".wixobj")) for s in sources]
        _run([light, "-nologo", "-spdb", *extensions, "-cultures:en-us", "-out", str(msi),
              *objects])
    else:
        wixl = shutil.which("wixl")
        if wixl is None:
            raise BuildError("wixl not found: apt-get install wixl msitools")
        _run([wixl, "-a", "x64", "-o", str(msi),
              *[a for k, v in defines.items() for a in ("-D", f"{k}={v}")], *sources], cwd=base)
    if not msi.is_file():
        raise BuildError(f"the MSI was not written to {msi}")
    return msi


def folder_size(folder: Path) -> int:
    """Bytes in the files under ``folder``; symlinks (PyInstaller makes some) count once."""
    return sum(p.lstat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dist", type=Path, default=ROOT / "dist", help="output folder")
    parser.add_argument("--work", type=Path, default=ROOT / "build", help="scratch folder")
    parser.add_argument("--skip-msi", action="store_true", help="build only the onedir")
    parser.add_argument("--msi-only", action="store_true",
                        help="build only the MSI, from an existing onedir in --dist")
    parser.add_argument("--no-trim", action="store_true",
                        help="keep every Qt file PyInstaller collects (to measure the trimming)")
    parser.add_argument("--install-locked", action="store_true",
                        help=f"first pip install {LOCK.name} (hashes required)")
    lock = parser.add_mutually_exclusive_group()
    lock.add_argument("--check-lock", action="store_true", default=None,
                      help=f"refuse to build unless the installed packages match {LOCK.name} "
                           "(the default on Windows, which the lock is for)")
    lock.add_argument("--no-lock-check", dest="check_lock", action="store_false",
                      help="build with whatever is installed (not for a release)")
    args = parser.parse_args(argv)
    dist, work = args.dist.resolve(), args.work.resolve()
    try:
        started = time.perf_counter()
        if args.install_locked:
            install_locked()
        if not args.msi_only and (IS_WINDOWS if args.check_lock is None else args.check_lock):
            check_lock()
        if args.msi_only:
            onedir = dist / "Federator"
            if not (onedir / GUI_EXE).is_file():
                raise BuildError(f"{onedir / GUI_EXE} not found: run without --msi-only first")
        else:
            onedir = build_onedir(dist, work, trim=not args.no_trim)
            print(f"onedir: {onedir} ({folder_size(onedir) / 1e6:.1f} MB) "
                  f"in {time.perf_counter() - started:.1f} s")
        if not args.skip_msi:
            msi = build_msi(onedir, dist, work / "msi")
            print(f"installer: {msi} ({msi.stat().st_size / 1e6:.1f} MB)")
    except BuildError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

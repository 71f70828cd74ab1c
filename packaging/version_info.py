"""The project version, read once for every packaging artefact, and the Windows version resource.

Why: the exe's version resource, the MSI's ProductVersion and the installer's file name must all
say the same version as ``pyproject.toml`` and ``core.__version__``. This module reads both, refuses
to build when they disagree, and turns the version into what Windows wants (four 16-bit numbers).
Imported by ``federator.spec`` and ``build.py``; ``python packaging/version_info.py`` prints it.
"""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PRODUCT = "Federator"
PUBLISHER = "Federator"
DESCRIPTION = "Federate a Microsoft 365 domain with a SAML 2.0 identity provider"
HELP_URL = "https://github.com/federator/federator"


def project_version(root: Path = ROOT) -> str:
    """``pyproject.toml``'s version; a clear error if ``core.__version__`` says otherwise."""
    with (root / "pyproject.toml").open("rb") as fh:
        version = str(tomllib.load(fh)["project"]["version"])
    init = (root / "core" / "__init__.py").read_text(encoding="utf-8")
    match = re.search(r'^__version__\s*=\s*["\']([^"\']+)["\']', init, re.MULTILINE)
    if match is None or match.group(1) != version:
        found = match.group(1) if match else "nothing"
        raise SystemExit(f"error: pyproject.toml says version {version} but core/__init__.py "
                         f"says {found}; make them agree before building")
    return version


def windows_version(version: str) -> tuple[int, int, int, int]:
    """``1.2.3`` / ``1.2.3rc1`` -> (1, 2, 3, 0): the numeric part, padded to four fields.

    MSI ProductVersion uses only the first three fields for upgrades, so a release must bump one
    of those; the fourth stays 0.
    """
    numbers = [int(n) for n in re.findall(r"\d+", version.split("+")[0])[:3]]
    numbers += [0] * (4 - len(numbers))
    if any(n > 65535 for n in numbers) or numbers[0] > 255:
        raise SystemExit(f"error: version {version} does not fit a Windows version resource")
    return numbers[0], numbers[1], numbers[2], numbers[3]


def version_file_text(exe_name: str, description: str, version: str | None = None) -> str:
    """PyInstaller's version-file text for one exe (Explorer's Properties > Details tab).

    Text rather than a ``VSVersionInfo`` object because PyInstaller's classes import ``pefile``,
    which is installed only on Windows; the text is read by PyInstaller on Windows and ignored
    elsewhere.
    """
    version = version or project_version()
    numbers = windows_version(version)
    strings = {
        "CompanyName": PUBLISHER,
        "FileDescription": description,
        "FileVersion": version,
        "InternalName": exe_name,
        "LegalCopyright": f"Copyright (c) {PUBLISHER} contributors. MIT licence.",
        "OriginalFilename": f"{exe_name}.exe",
        "ProductName": PRODUCT,
        "ProductVersion": version,
    }
    table = ",\n".join(f"          StringStruct({k!r}, {v!r})" for k, v in strings.items())
    return (
        "VSVersionInfo(\n"
        f"  ffi=FixedFileInfo(filevers={numbers!r}, prodvers={numbers!r}, mask=0x3f, flags=0x0,\n"
        "                    OS=0x40004, fileType=0x1, subtype=0x0, date=(0, 0)),\n"
        "  kids=[\n"
        "    StringFileInfo([\n"
        "      StringTable('040904B0', [\n"
        f"{table}])]),\n"
        "    VarFileInfo([VarStruct('Translation', [1033, 1200])])\n"
        "  ]\n"
        ")\n"
    )


def write_version_file(exe_name: str, description: str, out_dir: Path) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"version_{exe_name}.txt"
    path.write_text(version_file_text(exe_name, description), encoding="utf-8")
    return path


if __name__ == "__main__":
    print(project_version())
    sys.exit(0)

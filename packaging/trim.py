"""What the PyInstaller build leaves out, and why, with what each item saves (measured).

Kept apart from ``federator.spec`` so the benchmark (bench/bundle_bench.py) builds its PySide6
hello world with exactly the same trimming, which keeps the size comparison fair.

Measured on Linux x86_64 (PySide6-Essentials 6.12.0, PyInstaller 6.22.3) by building the app with
``FEDERATOR_NO_TRIM=1`` and without (``build.py --no-trim``); the build prints what each rule
removed. Onedir untrimmed 214.8 MB, trimmed 202.8 MB: 12.0 MB less, 9.1 MB of it from DROP_RULES
and 2.9 MB from EXCLUDES; the later multiprocessing and doctest/pdb excludes took it to 200.7 MB
(bench/bundle_bench.py: 202.1 -> 201.6 -> 200.6 MB, the bytecode being in both exes). Windows
figures are the sizes of the same files in the PySide6-Essentials 6.12.0 win_amd64 wheel
(PyInstaller cannot build for Windows here); the Windows job's bench step prints the real Windows
bundle size.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable

# Python modules the app never imports. Qt binding modules are collected only when something
# imports them; listing them here also stops an accidental import from dragging a Qt library in.
EXCLUDES = [
    # Imported by nothing we ship but pulled in by PySide6's package hook; core uses requests.
    # Saves Linux 1.7 MB (QtNetwork.abi3.so 1.25, tls plugins 0.46, networkinformation 0.19),
    # Windows 1.8 MB (QtNetwork.pyd 1.04, tls 0.67, networkinformation 0.08).
    # libQt6Network itself stays: libQt6Gui's platform plugins link it.
    "PySide6.QtNetwork",
    # QtGui's binding references QtDBus on Linux; the app never talks D-Bus. Saves Linux 0.33 MB
    # (the libQt6DBus library stays: libQt6Gui links it); not shipped on Windows.
    "PySide6.QtDBus",
    # Never imported today; listed so nobody adds 1-15 MB by accident (QtQml/QtQuick alone ~15 MB).
    "PySide6.QtQml", "PySide6.QtQuick", "PySide6.QtQuickWidgets", "PySide6.QtOpenGL",
    "PySide6.QtOpenGLWidgets", "PySide6.QtPrintSupport", "PySide6.QtSql", "PySide6.QtTest",
    "PySide6.QtDesigner", "PySide6.QtHelp", "PySide6.QtUiTools", "PySide6.QtXml",
    "PySide6.QtConcurrent",
    # Stdlib parts no code path uses; together 0.3 MB of bytecode in each of the two exes.
    "tkinter", "_tkinter", "unittest", "pydoc", "pydoc_data",
    # Only concurrent.futures.process imports it, and nothing we ship starts processes. Bundled,
    # it makes PyInstaller add its multiprocessing runtime hook, which imports multiprocessing,
    # socket, pickle and subprocess on every start before any of our code runs: ~8 ms of the
    # frozen app's startup (measured on Linux, bench/bundle_bench.py); 0.5 MB.
    "multiprocessing",
    # Pulled in only by lxml.doctestcompare (a test helper nothing imports): doctest -> pdb ->
    # runpy -> pkgutil, and a bundled pkgutil brings PyInstaller's pkgutil runtime hook, which
    # imports it on every start (~1 ms); 1.0 MB.
    "doctest", "pdb",
]

_SEP = r"[/\\]"
_QT = rf"PySide6{_SEP}(?:Qt{_SEP})?"

# Files PyInstaller's Qt hooks collect that the app does not use: rule name -> path regex.
DROP_RULES = {
    # Qt's own UI strings (OK/Cancel... in 30 languages). Federator's UI is English-only, so with
    # them dialogs would be half translated. Linux 99 files 7.0 MB; Windows 33 qtbase_*.qm 6.0 MB.
    "qt translations": rf"{_QT}translations{_SEP}",
    # Platform plugins nobody on a desktop uses (framebuffer, VNC, minimal, EGL full-screen,
    # Vulkan display). Kept: xcb and wayland (Linux desktops), windows, offscreen (self-test, CI).
    # Linux 6 files 0.9 MB; Windows qdirect2d + qminimal 1.1 MB.
    "unused platform plugins": rf"{_QT}plugins{_SEP}platforms{_SEP}"
                               r"(?:lib)?q(?:eglfs|linuxfb|minimal|minimalegl|vnc|vkkhrdisplay|"
                               r"direct2d)\w*\.(?:so|dll)$",
    # Embedded-Linux EGL device and touch-input plugins. Linux 8 files 0.7 MB; Windows 0.1 MB.
    "embedded-linux plugins": rf"{_QT}plugins{_SEP}(?:egldeviceintegrations|generic){_SEP}",
    # Libraries only those plugins load. Linux 2 files 0.5 MB.
    "embedded-linux libraries": rf"{_QT}lib{_SEP}libQt6(?:EglFSDeviceIntegration|"
                                r"EglFsKmsSupport|EglFsKmsGbmSupport)\.so",
    # Qt's software OpenGL (Mesa llvmpipe; Windows, 20.6 MB, the biggest single file). Qt loads
    # it only for OpenGL rendering (Qt Quick, QOpenGLWidget) on a machine without a usable GPU
    # driver (https://doc.qt.io/qt-6/windows-graphics.html); Federator is Qt Widgets only, drawn
    # by the raster engine, which needs no OpenGL, also in GPU-less VMs and RDP sessions.
    "software opengl": rf"{_QT}(?:bin{_SEP})?opengl32sw\.dll$",
}
# Deliberately KEPT:
# - imageformats and iconengines (qsvg): the app's icons are SVG.
# - platformthemes and platforminputcontexts: native file dialogs and input methods.
# - styles (qmodernwindowsstyle.dll): the Windows 11 look.

_COMPILED = {name: re.compile(rx) for name, rx in DROP_RULES.items()}


def trimmed(toc: Iterable[tuple[str, str, str]],
            dropped: dict[str, tuple[int, int]]) -> list[tuple[str, str, str]]:
    """``toc`` minus what DROP_RULES match; adds (files, bytes) per rule to ``dropped``."""
    kept = []
    for entry in toc:
        dest, src = entry[0], entry[1]
        # A SYMLINK entry's source is the link target: drop the link with the file it points to.
        paths = (dest, src) if entry[2] == "SYMLINK" else (dest,)
        rule = next((name for name, rx in _COMPILED.items()
                     if any(rx.search(p) for p in paths)), None)
        if rule is None:
            kept.append(entry)
            continue
        size = os.path.getsize(src) if entry[2] != "SYMLINK" and os.path.isfile(src) else 0
        count, total = dropped.get(rule, (0, 0))
        dropped[rule] = (count + 1, total + size)
    return kept


def enabled() -> bool:
    """False when ``FEDERATOR_NO_TRIM`` is set: build everything (to measure, or to debug)."""
    return os.environ.get("FEDERATOR_NO_TRIM", "") in ("", "0")


def report(dropped: dict[str, tuple[int, int]]) -> None:
    for rule, (count, size) in sorted(dropped.items()):
        print(f"trimmed {rule}: {count} files, {size / 1e6:.1f} MB")

"""Frozen bundle size and start-up of Federator against a frozen PySide6 hello world.

Both are built in the same run, with the same PyInstaller, the same onedir/windowed/no-UPX options
and the same trimming (packaging/trim.py), so the ratios show what Federator itself adds on top of
"any Qt Widgets app". Targets: size <= 1.3x, start-up <= 1.3x.

Start-up is measured as in bench/startup_bench.py: wall time from spawning the executable to its
main window's first paint, which each child reports as an epoch timestamp printed from the event
loop turn after the paint (``FEDERATOR_PAINT_STAMP=1`` makes Federator's ``--self-test`` print it;
the hello world prints its own the same way). Offscreen, median of ``--runs`` runs after two
warm-up runs, alternating the two so both see the same machine state. The time until the process
has exited (paint plus tear-down) is printed too, for information: it is not what a user waits for.

    python bench/bundle_bench.py [--runs 10] [--work DIR] [--check]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "packaging"))
import build  # noqa: E402

SIZE_TARGET = 1.3
STARTUP_TARGET = 1.3

HELLO = textwrap.dedent('''
    import os
    import sys
    import time
    from PySide6.QtCore import QEvent, QObject, QTimer
    from PySide6.QtWidgets import QApplication, QLabel, QMainWindow

    def painted():
        # Into the file the benchmark names, as Federator's entry script does: a windowed
        # Windows exe has no stdout.
        with open(os.environ["FEDERATOR_SELFTEST_OUT"], "a", encoding="utf-8") as out:
            out.write(f"paint-epoch {time.time():.6f}\\n")
        QApplication.instance().quit()

    class FirstPaint(QObject):
        def eventFilter(self, watched, event):
            if event.type() == QEvent.Type.Paint:
                watched.removeEventFilter(self)
                QTimer.singleShot(0, painted)
            return False

    app = QApplication(sys.argv[:1])
    window = QMainWindow()
    window.setWindowTitle("Hello")
    label = QLabel("Hello, PySide6")
    window.setCentralWidget(label)
    watcher = FirstPaint()
    label.installEventFilter(watcher)
    window.resize(900, 600)
    window.show()
    sys.exit(app.exec())
''')

HELLO_SPEC = textwrap.dedent('''
    import sys
    sys.path.insert(0, {packaging!r})
    import trim
    a = Analysis([{script!r}], excludes=trim.EXCLUDES)
    dropped = {{}}
    a.binaries = trim.trimmed(a.binaries, dropped)
    a.datas = trim.trimmed(a.datas, dropped)
    pyz = PYZ(a.pure)
    exe = EXE(pyz, a.scripts, [], exclude_binaries=True, name="hello", console=False,
              strip=False, upx=False)
    coll = COLLECT(exe, a.binaries, a.datas, strip=False, upx=False, name="hello")
''')


def build_hello(work: Path) -> Path:
    src = work / "hello-src"
    src.mkdir(parents=True, exist_ok=True)
    script = src / "hello.py"
    script.write_text(HELLO, encoding="utf-8")
    spec = src / "hello.spec"
    spec.write_text(HELLO_SPEC.format(packaging=str(ROOT / "packaging"), script=str(script)),
                    encoding="utf-8")
    subprocess.run([sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level",
                    "WARN", "--distpath", str(work / "hello-dist"), "--workpath",
                    str(work / "hello-build"), str(spec)], check=True)
    return work / "hello-dist" / "hello"


def _launch(cmd: list[str], env: dict[str, str], report: Path) -> tuple[float, float]:
    """(seconds to the first paint, seconds to the exit) of one launch of ``cmd``.

    Both executables write their paint stamp to the file ``FEDERATOR_SELFTEST_OUT`` names
    (Federator through packaging/federator_entry.py): windowed exes have no stdout on Windows.
    """
    report.unlink(missing_ok=True)
    started = time.time()
    result = subprocess.run(cmd, env={**env, "FEDERATOR_SELFTEST_OUT": str(report)},
                            capture_output=True, text=True, timeout=120, check=False)
    exited = time.time()
    if result.returncode != 0:
        raise SystemExit(f"error: {cmd[0]} exited {result.returncode}: {result.stderr[-500:]}")
    text = report.read_text(encoding="utf-8") if report.is_file() else ""
    stamps = [line.split()[1] for line in text.splitlines() if line.startswith("paint-epoch ")]
    if not stamps:
        raise SystemExit(f"error: {cmd[0]} wrote no paint-epoch line:\n{text[-500:]}")
    return float(stamps[0]) - started, exited - started


def time_runs(commands: list[list[str]], env: dict[str, str], runs: int,
              report: Path) -> list[tuple[list[float], list[float]]]:
    """Per command, (paint times, exit times) in seconds of ``runs`` launches, alternating the
    commands, after two untimed warm-ups of each."""
    results: list[tuple[list[float], list[float]]] = [([], []) for _ in commands]
    for i in range(runs + 2):
        for cmd, (paints, exits) in zip(commands, results, strict=True):
            paint, exit_ = _launch(cmd, env, report)
            if i >= 2:
                paints.append(paint)
                exits.append(exit_)
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--work", type=Path, help="build folder (default: a temporary one)")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="federator-bench-") as tmp:
        work = (args.work or Path(tmp)).resolve()
        started = time.perf_counter()
        app_dir = build.build_onedir(work / "app-dist", work / "app-build")
        app_build_s = time.perf_counter() - started
        started = time.perf_counter()
        hello_dir = build_hello(work)
        hello_build_s = time.perf_counter() - started

        env = dict(os.environ, QT_QPA_PLATFORM="offscreen", FEDERATOR_PAINT_STAMP="1",
                   FEDERATOR_HOME=str(work / "federator-home"))
        hello_exe = hello_dir / f"hello{build.EXE_SUFFIX}"
        (app_times, app_exits), (hello_times, hello_exits) = time_runs(
            [[str(app_dir / build.GUI_EXE), "--self-test"], [str(hello_exe)]], env, args.runs,
            work / "paint-stamp.txt")

        app_size, hello_size = build.folder_size(app_dir), build.folder_size(hello_dir)
        app_ms = statistics.median(app_times) * 1000
        hello_ms = statistics.median(hello_times) * 1000
        size_ratio, startup_ratio = app_size / hello_size, app_ms / hello_ms
        files = (sum(1 for p in app_dir.rglob("*") if p.is_file()),
                 sum(1 for p in hello_dir.rglob("*") if p.is_file()))
        print()
        print(f"{'':26}{'Federator':>12}{'hello world':>14}{'ratio':>8}{'target':>8}")
        print(f"{'onedir size (MB)':26}{app_size / 1e6:12.1f}{hello_size / 1e6:14.1f}"
              f"{size_ratio:8.2f}{SIZE_TARGET:8.2f}")
        print(f"{'files':26}{files[0]:12d}{files[1]:14d}")
        print(f"{'first paint, median (ms)':26}{app_ms:12.0f}{hello_ms:14.0f}"
              f"{startup_ratio:8.2f}{STARTUP_TARGET:8.2f}")
        print(f"{'first paint min-max (ms)':26}"
              f"{min(app_times) * 1000:6.0f}-{max(app_times) * 1000:<5.0f}"
              f"{min(hello_times) * 1000:8.0f}-{max(hello_times) * 1000:<5.0f}")
        app_exit_ms = statistics.median(app_exits) * 1000
        hello_exit_ms = statistics.median(hello_exits) * 1000
        print(f"{'to exit, median (ms)':26}{app_exit_ms:12.0f}{hello_exit_ms:14.0f}"
              f"{app_exit_ms / hello_exit_ms:8.2f}{'(info)':>8}")
        print(f"{'build time (s)':26}{app_build_s:12.1f}{hello_build_s:14.1f}")
        print(f"({args.runs} runs each, {sys.platform}, QT_QPA_PLATFORM=offscreen)")
        missed = size_ratio > SIZE_TARGET or startup_ratio > STARTUP_TARGET
        print("targets: " + ("MISSED" if missed else "met"))
        return 1 if (missed and args.check) else 0


if __name__ == "__main__":
    sys.exit(main())

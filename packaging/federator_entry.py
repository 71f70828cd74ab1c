"""The frozen app's entry script: ``gui.launch.main`` plus a self-test report for windowed exes.

Why it exists: PyInstaller's windowed ``federatorw.exe`` has no console, so on Windows anything the
app prints (including ``--self-test``'s "self-test ok: ..." line) goes nowhere. When
``FEDERATOR_SELFTEST_OUT`` names a file, stdout is also appended to it, so CI and support can read
the result of ``federatorw.exe --self-test`` from the file as well as from the exit code. Only in a
``--self-test`` run (``core.testhooks`` decides): otherwise the variable is ignored.
"""

from __future__ import annotations

import sys
from typing import TextIO

SELFTEST_OUT_ENV = "FEDERATOR_SELFTEST_OUT"


def selftest_report_target(argv: list[str]) -> str | None:
    """The file to copy stdout to: ``FEDERATOR_SELFTEST_OUT``, in a ``--self-test`` run only."""
    from core.testhooks import selftest_output

    return selftest_output(argv)


class _Tee:
    """A write-only text stream that copies to the real stdout (when there is one) and a file."""

    def __init__(self, primary: TextIO | None, copy: TextIO) -> None:
        self._primary = primary
        self._copy = copy

    def write(self, text: str) -> int:
        if self._primary is not None:
            self._primary.write(text)
        self._copy.write(text)
        return len(text)

    def flush(self) -> None:
        if self._primary is not None:
            self._primary.flush()
        self._copy.flush()

    def isatty(self) -> bool:
        return False


def main() -> int:
    target = selftest_report_target(sys.argv[1:])
    if target:
        copy = open(target, "a", encoding="utf-8", buffering=1)  # noqa: SIM115 (lives until exit)
        sys.stdout = _Tee(sys.stdout, copy)
    try:
        from gui.launch import main as launch_main

        code = launch_main()
    except BaseException:
        if not target:
            raise  # a person started it: the crash dialog (or PyInstaller's box) says what failed
        # A self-test run (CI, support) fails fast with the traceback in its report: the error
        # box a windowed exe would show waits for a click, so `Start-Process -Wait` would hang.
        import traceback

        sys.stdout.write("self-test failed: " + traceback.format_exc())
        code = 70
    if sys.stdout is not None:
        sys.stdout.flush()
    return code


if __name__ == "__main__":
    sys.exit(main())

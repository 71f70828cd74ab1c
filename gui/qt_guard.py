"""Keep Python alive despite a PySide6 reference-count bug on Python 3.11.

PySide6 6.12 (an abi3 wheel written for Python >= 3.12, where ``None``, ``True`` and ``False`` are
immortal) returns those singletons without taking a reference. On Python 3.11 every void Qt call
(``label.setText(...)``, ``processEvents()``...) and every ``signal.emit()`` therefore drops one
reference; after a few thousand, CPython aborts with "none_dealloc" / "bool_dealloc" (measured
here: ``QLabel.setText`` loses one reference to ``None`` per call). Until the wheel is fixed or
the app requires Python 3.12, this module adds references (raising ``ob_refcnt`` directly, under
the GIL, never giving them back: the lost ones are never given back either) and tops them up on a
timer.
"""

from __future__ import annotations

import sys
from typing import Any

HEADROOM = 50_000_000  # spare references per singleton (a count, it costs no memory)
CHECK_MS = 1000  # even a GUI thread spinning processEvents() makes ~1e5 void calls a second



def needed() -> bool:
    return sys.version_info < (3, 12) and sys.implementation.name == "cpython"


def top_up() -> None:
    """Bring the reference counts of None, True and False back to at least HEADROOM."""
    if not needed():
        return
    import ctypes

    for obj in (None, True, False):
        missing = HEADROOM - sys.getrefcount(obj)
        if missing > 0:
            # ob_refcnt is the first field of every CPython object (Include/object.h).
            ctypes.c_ssize_t.from_address(id(obj)).value += missing


def install(app: Any) -> None:
    """Top up now and every second for as long as ``app`` runs."""
    top_up()
    if not needed() or getattr(app, "_federator_guard", None) is not None:
        return
    from PySide6.QtCore import QTimer

    timer = QTimer(app)
    timer.setInterval(CHECK_MS)
    timer.timeout.connect(top_up)
    timer.start()
    app._federator_guard = timer

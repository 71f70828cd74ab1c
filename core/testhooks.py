"""Whether test hooks may act: one decision for every hook Federator reads from the environment.

Why it exists: ``FEDERATOR_TEST_KILL_AFTER`` makes a change kill its own process mid-write and
``FEDERATOR_SELFTEST_OUT`` copies the app's output to a file. Both are for the test suite and CI;
an environment variable left set (or planted) must not make the installed app kill itself in the
middle of a change to a real tenant, or copy its output somewhere. So a hook acts only:

* in a self-test run (``--self-test``: the frozen app's smoke test, a test mode), for the
  self-test's own report; or
* from source (not the frozen app: PyInstaller sets ``sys.frozen``), when every Graph this process
  opened is on this machine (the sandbox or a test double), never a Microsoft cloud.

Otherwise the hook is ignored, with a warning in the log.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from urllib.parse import urlsplit

log = logging.getLogger(__name__)

KILL_AFTER_ENV = "FEDERATOR_TEST_KILL_AFTER"
SELFTEST_OUT_ENV = "FEDERATOR_SELFTEST_OUT"

_lock = threading.Lock()
_targets: set[str] = set()  # "loopback" / "remote": the Graph roots this process opened


def is_frozen() -> bool:
    """True in the packaged app (PyInstaller sets ``sys.frozen``)."""
    return bool(getattr(sys, "frozen", False))


def note_graph_target(graph_url: str) -> None:
    """Record that this process talks to ``graph_url`` (``core.tenant`` calls it per session)."""
    from core.clouds import is_loopback_host

    try:
        host = urlsplit(graph_url).hostname or ""
    except ValueError:
        host = ""
    with _lock:
        _targets.add("loopback" if host and is_loopback_host(host) else "remote")


def hooks_enabled(*, self_test: bool = False) -> bool:
    """THE rule (module docstring): True in a self-test run, or from source when every Graph
    opened so far is on this machine."""
    if self_test:
        return True
    if is_frozen():
        return False
    with _lock:
        return _targets == {"loopback"}


def hook_value(name: str, *, self_test: bool = False) -> str | None:
    """The value of test hook ``name`` when hooks may act, else None (a set but ignored hook is
    logged, so support can see why it did nothing)."""
    value = os.environ.get(name)
    if not value:
        return None
    if not hooks_enabled(self_test=self_test):
        log.warning("%s is set but ignored: test hooks act only in the test suite against the "
                    "sandbox (or in a --self-test run)", name)
        return None
    return value


def selftest_output(argv: list[str]) -> str | None:
    """``FEDERATOR_SELFTEST_OUT``: the file a ``--self-test`` run copies its output to; in any
    other run (frozen or not, sandbox or not) the variable is ignored."""
    if "--self-test" not in argv:
        if os.environ.get(SELFTEST_OUT_ENV):
            log.warning("%s is set but ignored: it acts only in a --self-test run",
                        SELFTEST_OUT_ENV)
        return None
    return hook_value(SELFTEST_OUT_ENV, self_test=True)

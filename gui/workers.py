"""Run core calls off the GUI thread, and give tests a synchronous stand-in.

Every network or file operation the window starts goes through a :class:`Runner`. The real one,
:class:`ThreadPoolRunner`, runs the callable on a ``QThreadPool`` and brings its result, error or
progress events back to the GUI thread as Qt signals (queued through a relay object that lives in
the GUI thread). :class:`ImmediateRunner` runs the callable at once on the caller's thread and
emits the same signals, so view tests are deterministic without waiting (Picard's
``FakeThreadPool`` idea).

Callbacks are given to :meth:`Runner.submit` so they are connected before the work starts: with the
immediate runner the signals fire inside ``submit``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any, Protocol

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot

log = logging.getLogger(__name__)

ProgressFn = Callable[[object], None]


class Cancelled(Exception):
    """Raised inside a task's callable (via :meth:`TaskControl.check`) when the user cancelled."""


class TaskControl:
    """What a callable submitted with ``progress=True`` receives: report progress, honour cancel.

    Cancellation is cooperative: the callable calls :meth:`check` only where stopping is safe,
    never between a write and its verification.
    """

    def __init__(self, emit: ProgressFn) -> None:
        self._emit = emit
        self._cancel = threading.Event()

    def report(self, event: object) -> None:
        self._emit(event)

    def cancel(self) -> None:
        self._cancel.set()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def check(self) -> None:
        if self._cancel.is_set():
            raise Cancelled("cancelled")


class Task(QObject):
    """One submitted call. Its signals always arrive on the GUI thread."""

    succeeded = Signal(object)
    failed = Signal(object)
    progress = Signal(object)
    finished = Signal()

    def __init__(self, name: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.name = name
        self.control = TaskControl(self._post_progress)
        self.done = False
        self.result: object = None
        self.error: BaseException | None = None
        self._relay = _Relay()
        self._relay.progress.connect(self._on_progress)
        self._relay.result.connect(self._on_result)
        self._relay.error.connect(self._on_error)

    def cancel(self) -> None:
        self.control.cancel()

    def _post_progress(self, event: object) -> None:
        self._relay.progress.emit(_Box(event))

    @Slot(object)
    def _on_progress(self, box: _Box) -> None:
        self.progress.emit(box.value)

    @Slot(object)
    def _on_result(self, box: _Box) -> None:
        self.done = True
        self.result = box.value
        self.succeeded.emit(box.value)
        self.finished.emit()

    @Slot(object)
    def _on_error(self, box: _Box) -> None:
        self.done = True
        error = box.value
        self.error = error if isinstance(error, BaseException) else RuntimeError(str(error))
        self.failed.emit(self.error)
        self.finished.emit()


class _Box:
    """Carries a value through the cross-thread relay, so whatever a worker returns (``None``,
    a tuple, an exception) crosses as one plain Python object that Qt never converts."""

    __slots__ = ("value",)

    def __init__(self, value: object) -> None:
        self.value = value


class _Relay(QObject):
    """Lives in the GUI thread; the worker emits on it so Qt queues the call across threads."""

    progress = Signal(object)
    result = Signal(object)
    error = Signal(object)


def _call(fn: Callable[..., Any], task: Task, with_progress: bool) -> None:
    try:
        value = fn(task.control) if with_progress else fn()
    except BaseException as exc:  # every failure goes back to the GUI thread, never lost
        if not isinstance(exc, Cancelled):
            log.debug("task %s failed", task.name, exc_info=True)
        task._relay.error.emit(_Box(exc))
    else:
        task._relay.result.emit(_Box(value))


class Runner(Protocol):
    """Starts core calls; views depend on this interface only."""

    def submit(self, fn: Callable[..., Any], *, name: str = "",
               on_result: Callable[[Any], None] | None = None,
               on_error: Callable[[BaseException], None] | None = None,
               on_progress: Callable[[object], None] | None = None,
               progress: bool = False) -> Task: ...

    def wait_idle(self, timeout_ms: int = ...) -> bool: ...


def _make_task(name: str, on_result: Callable[[Any], None] | None,
               on_error: Callable[[BaseException], None] | None,
               on_progress: Callable[[object], None] | None) -> Task:
    task = Task(name)
    if on_progress is not None:
        task.progress.connect(on_progress)
    if on_result is not None:
        task.succeeded.connect(on_result)
    if on_error is not None:
        task.failed.connect(on_error)
    return task


class _Job(QRunnable):
    def __init__(self, fn: Callable[..., Any], task: Task, with_progress: bool) -> None:
        super().__init__()
        self.setAutoDelete(True)
        self._fn = fn
        self._task = task
        self._with_progress = with_progress

    def run(self) -> None:
        _call(self._fn, self._task, self._with_progress)


class ThreadPoolRunner:
    """The production runner: a private ``QThreadPool`` (a few threads are plenty here)."""

    def __init__(self, max_threads: int = 4) -> None:
        self.pool = QThreadPool()
        self.pool.setMaxThreadCount(max_threads)
        self._live: set[Task] = set()

    def submit(self, fn: Callable[..., Any], *, name: str = "",
               on_result: Callable[[Any], None] | None = None,
               on_error: Callable[[BaseException], None] | None = None,
               on_progress: Callable[[object], None] | None = None,
               progress: bool = False) -> Task:
        task = _make_task(name or getattr(fn, "__name__", "task"), on_result, on_error,
                          on_progress)
        self._live.add(task)  # keep the QObject alive until its signals have been delivered
        task.finished.connect(lambda: self._live.discard(task))
        self.pool.start(_Job(fn, task, progress))
        return task

    @property
    def busy(self) -> bool:
        return bool(self._live)

    def wait_idle(self, timeout_ms: int = 30_000) -> bool:
        """Block until the pool's threads are done (used at shutdown, and by benchmarks)."""
        return bool(self.pool.waitForDone(timeout_ms))


class ImmediateRunner:
    """Test seam: runs the callable synchronously inside :meth:`submit`."""

    def __init__(self) -> None:
        self.submitted: list[str] = []

    def submit(self, fn: Callable[..., Any], *, name: str = "",
               on_result: Callable[[Any], None] | None = None,
               on_error: Callable[[BaseException], None] | None = None,
               on_progress: Callable[[object], None] | None = None,
               progress: bool = False) -> Task:
        task = _make_task(name or getattr(fn, "__name__", "task"), on_result, on_error,
                          on_progress)
        self.submitted.append(task.name)
        _call(fn, task, progress)
        return task

    @property
    def busy(self) -> bool:
        return False

    def wait_idle(self, timeout_ms: int = 0) -> bool:
        return True

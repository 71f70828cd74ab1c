"""The one path every write to a tenant goes through, and the rule for a write whose answer is lost.

Why a module of its own: federate, the certificate rollover, revert, restore, make-default and each
request of a configuration replacement all send their requests through :func:`write`, so one rule
decides, for all of them, what a timeout, a dropped connection or a 5xx means.

The rule. Before a request is sent, the domain is read again and compared with the state the plan
was built from (or, for the second request of a change, the state the first one left): if someone
else changed it meanwhile, the write is refused and the difference named
(:class:`ConcurrentChangeError`). After a write whose answer is lost or a 5xx, the domain is read
again and again until the outcome is *proven*:

* applied: the domain reads as the request intends, so it landed;
* not applied: the domain still reads as before *and* the request can no longer land (below);
* something else: the domain reads neither way; the failure handler records what it found.

If none is proven within :attr:`WritePolicy.max_wait_s` the outcome is unknown
(:class:`UnprovenWriteError`): the journal entry stays open with the way back, and the next start
reconciles it. A write proven not applied is sent again like any transient failure (bounded, with
backoff: Graph documents 5xx as transient, https://learn.microsoft.com/en-us/graph/errors), and
after the last attempt :class:`NotAppliedError` says so; nothing is escalated silently.

"No longer able to land" cannot be asked of Graph: it has no way to look up a request in flight
and no idempotency key or ETag on ``domain`` or ``internalDomainFederation``. Federator's choice:
a request that has not shown in the domain :attr:`WritePolicy.late_write_s` seconds after its
attempt ended (the client gave up waiting, or the connection dropped) is taken as not applied. The
client had already waited its read timeout for the answer, so the server had that long plus
``late_write_s`` to finish; a write landing later still is implausible, and if the wait is cut
short by ``max_wait_s`` the outcome stays unknown rather than guessed. A 5xx *answer* means the
server finished with the request; what may lag is the directory's replication to the replica we
read from, so the horizon there is the shorter :attr:`WritePolicy.answered_s`.

A write may still land after that horizon (a tester made the sandbox apply one 75 s late). So the
rule has two more parts, the same for every kind of write:

* before any resend, the domain is read again; if it already holds exactly what the request
  intends, the earlier attempt landed late: it is recorded as applied (what was read and when), and
  nothing is sent again;
* a resend Graph refuses with a 4xx (409 "already has Federation Configuration set" when the late
  POST landed first, 404 when a late DELETE did) is not a failure by itself: the domain is read
  again and judged; if it holds what was intended, the earlier attempt landed, recorded as such.

Every proof (applied although the answer was lost, applied late, not applied and sent again) is a
step of the journal entry with the state read and its time, and a sentence of the change's result
(:attr:`Run.proofs`), so the journal and the printed outcome tell what was read and when. What no
read can prevent: an attempt landing after its resend carries the same values again (idempotent
for a PATCH; a second POST of a configuration is refused by Graph, as a domain has one), and the
resend's sentence says so.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from core.errors import RefusedError
from core.graph.errors import GraphError, UncertainWriteError
from core.journal import Snapshot, new_id
from core.operations.model import INFO, STEP_WRITE, WARNING
from core.operations.state import Target, describe, differences, snapshot_target

if TYPE_CHECKING:
    from core.operations.runner import Run
    from core.plan import PlannedRequest


@dataclass(frozen=True)
class WritePolicy:
    """The bounds of proving a write's outcome and of retrying it (tests shorten them)."""

    late_write_s: float = 45.0   # unanswered: after this long without showing, it did not land
    answered_s: float = 10.0     # answered 5xx: the replication lag to wait out
    max_wait_s: float = 60.0     # re-read at most this long; then the outcome is unknown
    read_delays_s: tuple[float, ...] = (1.0, 2.0, 4.0, 8.0)  # between re-reads (last repeats)
    attempts: int = 3            # sends of a request proven not applied, in all
    retry_delays_s: tuple[float, ...] = (2.0, 6.0)  # before the 2nd, 3rd... send
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep


DEFAULT_POLICY = WritePolicy()


def default_policy() -> WritePolicy:
    """The policy of a new operation context (looked up at call time, so tests can set it)."""
    return DEFAULT_POLICY


State = Snapshot | Target


class ConcurrentChangeError(RefusedError):
    """The domain changed between the read the plan was built from and the write."""

    code = "changed_meanwhile"


class UnprovenWriteError(GraphError):
    """Re-reading for the whole bounded wait proved neither that a write landed nor that it
    cannot land any more: its outcome is unknown."""

    code = "graph_write_unproven"

    def __init__(self, cause: UncertainWriteError, waited_s: float, last: Snapshot | None) -> None:
        super().__init__(
            status=cause.status, graph_code=cause.graph_code, raw_message=cause.raw_message,
            request_id=cause.request_id, date=cause.date, method=cause.method, path=cause.path,
            explanation=f"It is not known whether Microsoft applied the change ({cause.reason}; "
                        f"after {waited_s:.0f} s of re-reading, it has not shown, and a late "
                        "write cannot be ruled out yet).",
            remedy="The journal entry stays open: the next Federator start re-reads the domain "
                   "and records what became of it.")
        self.cause = cause
        self.last = last


class NotAppliedError(GraphError):
    """Every attempt of a write failed and re-reading proved none of them landed."""

    code = "graph_write_not_applied"

    def __init__(self, cause: UncertainWriteError, attempts: int) -> None:
        super().__init__(
            status=cause.status, graph_code=cause.graph_code, raw_message=cause.raw_message,
            request_id=cause.request_id, date=cause.date, method=cause.method, path=cause.path,
            explanation=f"Microsoft did not apply it ({cause.reason}, {attempts} attempt(s); "
                        "re-reading proved none landed).")
        self.cause = cause
        self.attempts = attempts


def unmet(now: Snapshot, state: State) -> list[str]:
    """What differs between ``now`` and ``state`` (a snapshot, or a state a request intends)."""
    if isinstance(state, Snapshot):
        found = [] if now.readable == state.readable else [
            "its federation configuration is " + ("readable" if now.readable else
                                                   "unreadable (half-federated)")]
        return found + differences(now, snapshot_target(state))
    return differences(now, state)


def write(run: Run, request: PlannedRequest, *, before: State, expect: Target,
          check_first: bool = True) -> Snapshot | None:
    """Send ``request`` and make sure of its effect; the one way a change writes.

    ``before`` is the state the request is planned from (checked first: see the module
    docstring), ``expect`` the state it intends. Returns the state read when the outcome had to be
    proven (None when Graph answered success; the caller reads back). Raises
    :class:`ConcurrentChangeError`, :class:`UnprovenWriteError`, :class:`NotAppliedError`, the
    :class:`UncertainWriteError` itself when the domain was found in some third state, or the
    Graph error of a refusal (4xx: Graph's answer, not retried)."""
    policy = run.ctx.writes
    if check_first:
        check_unchanged(run, before)
    shown = f"{request.method} {request.path}"
    lost: UncertainWriteError | None = None  # the last attempt whose answer was lost
    horizon_read: Snapshot | None = None  # the read that took it as not applied
    for attempt in range(1, policy.attempts + 1):
        if lost is not None and horizon_read is not None:
            # Before a resend: the earlier attempt may have landed after the horizon.
            now = run.read(f"{new_id()}-check")
            if not differences(now, expect):
                return landed(run, shown, now, "applied-late",
                              f"At {when(now.taken_at)} {run.domain} read as {shown} intends, "
                              f"before it was sent again: the attempt whose answer was lost "
                              f"({lost.reason}) landed late. It was not sent again.")
            if unmet(now, before):
                raise lost  # a third state: the failure handler records it with the way back
            record(run, "resent",
                   f"At {when(horizon_read.taken_at)} {run.domain} still read as before "
                   f"{shown}, {now_after(horizon_read, lost)}, and again at "
                   f"{when(now.taken_at)}: taken as not applied and sent again (attempt "
                   f"{attempt} of {policy.attempts}). Should the lost attempt still land, it "
                   "carries the same values.", now)
        try:
            run.send(request)
            return None
        except UncertainWriteError as exc:
            lost = exc
            now = prove(run, exc, before, expect)
            if not differences(now, expect):
                return landed(run, shown, now, "applied",
                              f"At {when(now.taken_at)} {run.domain} read as {shown} intends: "
                              f"it was applied although its answer was lost ({exc.reason}).")
            if unmet(now, before):
                raise  # a third state: the failure handler records it with the way back
            if attempt == policy.attempts:
                raise NotAppliedError(exc, attempt) from exc
            delays = policy.retry_delays_s or (0.0,)
            delay = delays[min(attempt - 1, len(delays) - 1)]
            horizon_read = now
            run.ctx.emit(STEP_WRITE, WARNING,
                         f"Reading back proves {shown} did not take effect ({exc.reason}); "
                         f"sending it again in {delay:g} s (attempt {attempt + 1} of "
                         f"{policy.attempts})", state=now.to_json())
            policy.sleep(delay)
        except GraphError as exc:
            # A resend refused (409 "already exists" after a late POST, 404 after a late
            # DELETE...): judge by what the domain holds, not by the refusal.
            if lost is None or exc.status is None or exc.status in (401, 403, 429) \
                    or exc.status >= 500:
                raise
            now = run.read(f"{new_id()}-check")
            if differences(now, expect):
                raise
            return landed(run, shown, now, "applied-late",
                          f"Graph refused the resend of {shown} ({exc.status}: "
                          f"{exc.raw_message or exc.message}); at {when(now.taken_at)} "
                          f"{run.domain} read as it intends: the attempt whose answer was lost "
                          f"({lost.reason}) had landed late.")
    raise AssertionError("unreachable")


def landed(run: Run, shown: str, now: Snapshot, step: str, proof: str) -> Snapshot:
    """Record that ``shown`` is proven applied by the read ``now`` (journal step, event, and a
    sentence of the result) and return ``now``."""
    record(run, step, proof, now)
    run.ctx.emit(STEP_WRITE, INFO, proof, state=now.to_json())
    return now


def record(run: Run, step: str, proof: str, now: Snapshot) -> None:
    """A proof about a write, in the journal entry (with the state read) and in ``run.proofs``."""
    run.proofs.append(proof)
    if run.entry is not None:
        run.entry.step(step, proof, state=now.to_json(), read_at=now.taken_at)


def now_after(now: Snapshot, exc: UncertainWriteError) -> str:
    """How the read ``now`` stands to the attempt that failed, in words."""
    return ("past the time a write whose answer was lost could still land" if exc.status is None
            else "past the time Graph's replicas take to agree after an error answer")


def check_unchanged(run: Run, state: State) -> Snapshot:
    """Re-read the domain; refuse if it no longer is ``state`` (what the plan was built from)."""
    now = run.read(f"{new_id()}-check")
    found = unmet(now, state)
    if found:
        since = (f" since Federator read it at {when(state.taken_at)}"
                 if isinstance(state, Snapshot) else " during this change")
        raise ConcurrentChangeError(
            f"{run.domain} was changed by someone else{since}: {'; '.join(found)}. It is now "
            f"{describe(now)}. Federator will not overwrite a change it did not plan from.",
            remedy="Look at what changed (federator status, federator history, the other "
                   "admin), then run the change again: it plans from the domain as it is now.",
            details={"differences": found, "now": now.to_json()})
    return now


def prove(run: Run, exc: UncertainWriteError, before: State, expect: Target) -> Snapshot:
    """Re-read until the request is proven applied, not applied, or neither (see the module
    docstring); :class:`UnprovenWriteError` when the bounded wait ends first."""
    policy = run.ctx.writes
    ended = policy.clock()
    horizon = ended + (policy.answered_s if exc.status is not None else policy.late_write_s)
    deadline = ended + policy.max_wait_s
    delays = policy.read_delays_s or (1.0,)
    last: Snapshot | None = None
    for n in range(10_000):
        try:
            last = run.read(f"{new_id()}-check")
        except GraphError:
            last = None  # a failed read proves nothing; keep trying within the bound
        now = policy.clock()
        if last is not None and (not differences(last, expect) or unmet(last, before)
                                 or now >= horizon):
            return last
        if now >= deadline:
            break
        delay = min(delays[min(n, len(delays) - 1)], max(0.0, deadline - now),
                    max(0.0, horizon - now) + 0.001)
        run.ctx.emit(STEP_WRITE, INFO,
                     f"{exc.method} {exc.path}: {exc.reason}; the domain reads as before so far. "
                     f"Reading again in {delay:.3g} s in case Microsoft is still applying it")
        policy.sleep(delay)
    raise UnprovenWriteError(exc, policy.clock() - ended, last)


def when(iso: str) -> str:
    """``2026-12-06T10:42:05Z`` as ``2026-12-06 10:42:05 UTC`` (the journal's times are UTC)."""
    if len(iso) >= 19 and iso[10] == "T":
        return f"{iso[:10]} {iso[11:19]} UTC"
    return iso

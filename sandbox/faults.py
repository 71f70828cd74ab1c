"""Fault injection for the sandbox: a small SPEC language, deterministic for a given seed.

Clients prove their retry, backoff and re-read logic against these faults, so the behaviour is
exact and documented here (and in the README, "Sandbox tenant and fault injection").

SPEC grammar (items separated by commas; whitespace anywhere is ignored, case too)::

    SPEC        := ITEM ("," ITEM)*
    ITEM        := ["item:" | "write:"] FAULT ["/" PATH] | "latency:" MS | "expire-token"
                 | "stuck-half-federated"
    FAULT       := KIND [":" AMOUNT] ["@" RETRY_AFTER]
    KIND        := "429" | "500" | "502" | "503" | "504" | "drop" | "drop-after" | "slow"
                 | "late"
    AMOUNT      := N    integer >= 1: the next N matching requests get the fault (default 1)
                 | P    decimal with a "." and 0 < P <= 1: each matching request gets the fault
                        with probability P, drawn from random.Random(seed) (so a given seed and
                        request sequence always gives the same faults)
    RETRY_AFTER := seconds, integer or decimal ("2", "0.05"); sent verbatim as ``Retry-After``.
                   Without "@" no Retry-After header is sent (to exercise exponential backoff).
                   For ``slow`` and ``late`` it is the delay instead, and required.

What each kind does:

* ``429`` / ``500`` / ``502`` / ``503`` / ``504``: the request is answered with that status and a
  Graph error body (``TooManyRequests`` / ``Please retry again later.`` for 429,
  ``serviceNotAvailable``, ``UnknownError``... for the others) without being processed.
* ``drop``: the request is read, NOT processed, and the connection is closed with no response
  (the client sees a connection reset / "remote end closed connection").
* ``drop-after``: the request IS processed (a write takes effect), then the connection is closed
  with no response: the case where a client must re-read instead of repeating a write.
* ``slow``: the request waits ``@S`` seconds, then is processed and answered normally (a client
  whose read timeout is shorter gives up; the server still processes it, like Graph would).
* ``late``: the connection is closed at once with no response, and the request is processed
  ``@S`` seconds later (a write that lands after the client has given up on it, as a Graph
  write whose answer was lost may: the case where one re-read is not proof).
* ``/PATH`` suffix: the fault applies only to requests whose path (after ``/v1.0``) starts with
  ``/PATH``, ignoring case: ``item:500:2/users`` fails the next two ``/users`` items of a batch
  (a first try and its retry) and nothing else.
* ``item:`` prefix: applies to the individual requests inside a ``POST /$batch`` (the batch itself
  answers 200 and the item carries the status, ``Retry-After`` in the item's ``headers``).
  ``drop``/``drop-after``/``slow``/``late`` cannot be item faults. Without the prefix a fault
  applies to top-level Graph requests, including the ``$batch`` envelope.
* ``write:`` prefix: applies to top-level writes only (POST, PATCH, DELETE other than the
  ``$batch`` envelope); reads pass untouched and do not use the count up. To fail every attempt
  of one write while the client's re-reads still see the tenant.
* ``latency:MS``: every request (Graph and login) is delayed by MS milliseconds (added to the
  sandbox's base latency).
* ``expire-token``: every access token issued before the plan was installed is from now on
  rejected with 401 ``InvalidAuthenticationToken`` ("Lifetime validation failed, the token is
  expired."); tokens issued afterwards (e.g. by a refresh) work.

* ``stuck-half-federated``: a half-federated domain (Federated with no readable configuration,
  what a create without a certificate leaves) can no longer be put back: ``PATCH /domains/{d}``
  ``authenticationType=Managed`` answers 500 and changes nothing. Microsoft has not confirmed
  that this PATCH clears the state; the one public report (microsoft-graph-docs-contrib issue
  1389) says the domain could not be managed through Graph at all. Without this item the PATCH
  clears it.

Only Graph requests (``/v1.0/...``) receive status and drop faults; login, home realm discovery and
the ``/sandbox/`` control endpoints only see latency. Items are evaluated in SPEC order for each
request; the first that fires wins; a count is used up only when its item fires; probabilities are
drawn only for items that are evaluated. Example: ``429:3@1.5,503:0.1,drop:2,expire-token``:
the next 3 Graph requests get 429 with ``Retry-After: 1.5``; after that each gets 503 with
probability 0.1, and the first two not given a 503 are dropped; tokens issued so far are expired.

Order within one request: latency first, then the fault decision, then authentication (a faulted
request is answered 429/5xx even without a valid token, as Graph's front door throttles before
it authenticates), then the Graph rules. Each ``Sandbox.set_faults`` call starts a new plan:
counts afresh, random draws from the seed again. With parallel clients the k-th request to
arrive gets the k-th draw, so the number of faults over a run is the same, their order is not.
"""

from __future__ import annotations

import random
import re
import threading
from dataclasses import dataclass

from core.errors import InputError

STATUS_KINDS = frozenset({"429", "500", "502", "503", "504"})
DROP_KINDS = frozenset({"drop", "drop-after"})
SLOW = "slow"
LATE = "late"
_NUMBER = re.compile(r"^\d+(\.\d+)?$")


class FaultSpecError(InputError):
    """A fault SPEC that does not follow the grammar."""

    code = "bad_fault_spec"

    def __init__(self, message: str) -> None:
        super().__init__(message, remedy="Example of a valid SPEC: 429:3@1.5,503:0.1,drop:2,"
                                         "expire-token (see the README, 'fault injection').")


@dataclass(frozen=True)
class Fault:
    """What happens to one request: a status with optional ``Retry-After``, or a drop."""

    kind: str
    retry_after: str | None = None

    @property
    def status(self) -> int | None:
        return int(self.kind) if self.kind in STATUS_KINDS else None

    @property
    def delay_s(self) -> float:
        """For ``slow`` and ``late``: how long the request waits before being processed."""
        return float(self.retry_after or 0) if self.kind in (SLOW, LATE) else 0.0


@dataclass
class _Rule:
    kind: str
    remaining: int | None
    share: float | None
    retry_after: str | None
    items: bool
    writes: bool = False
    path: str | None = None


class FaultPlan:
    """A parsed SPEC plus its counters and seeded random source; thread-safe."""

    def __init__(self, spec: str | None = None, *, seed: int = 0) -> None:
        self.spec = spec or ""
        self.latency_ms = 0.0
        self.expire_tokens = False
        self.stuck_half_federated = False
        self._rules: list[_Rule] = []
        self._random = random.Random(seed)  # noqa: S311 - reproducible, not secret
        self._lock = threading.Lock()
        for raw in "".join(self.spec.split()).split(","):
            if raw:
                self._parse_item(raw)
        # Installed now: ``expire-token`` expires every token issued before this instant.
        from sandbox.tokens import stamp_ns

        self.installed_ns = stamp_ns()

    def _parse_item(self, raw: str) -> None:
        text = raw.lower()
        if text == "expire-token":
            self.expire_tokens = True
            return
        if text == "stuck-half-federated":
            self.stuck_half_federated = True
            return
        if text.startswith("latency:"):
            value = text.removeprefix("latency:")
            if not _NUMBER.match(value):
                raise FaultSpecError(f"latency needs milliseconds, as in latency:200 (got {raw!r})")
            self.latency_ms += float(value)
            return
        items = text.startswith("item:")
        text = text.removeprefix("item:")
        writes = text.startswith("write:")
        text = text.removeprefix("write:")
        text, slash, path = text.partition("/")
        only = "/" + path.strip("/") if slash else None
        retry_after: str | None = None
        if "@" in text:
            text, retry_after = text.split("@", 1)
            if not _NUMBER.match(retry_after):
                raise FaultSpecError(f"Retry-After must be seconds, as in 429:3@1.5 (got {raw!r})")
        kind, _, amount = text.partition(":")
        if kind not in STATUS_KINDS | DROP_KINDS | {SLOW, LATE}:
            raise FaultSpecError(
                f"unknown fault {kind!r} in {raw!r}: use 429, 500, 502, 503, 504, drop, "
                "drop-after, slow, late, latency:MS, stuck-half-federated or expire-token")
        if items and kind not in STATUS_KINDS:
            raise FaultSpecError(f"{raw!r}: only status faults apply inside a $batch")
        if kind in (SLOW, LATE) and retry_after is None:
            raise FaultSpecError(f"{raw!r}: {kind} needs its delay in seconds, as in {kind}:1@3")
        if retry_after is not None and kind in DROP_KINDS:
            raise FaultSpecError(f"{raw!r}: a dropped connection has no Retry-After")
        remaining: int | None = 1
        share: float | None = None
        if amount:
            if not _NUMBER.match(amount):
                raise FaultSpecError(f"{raw!r}: the amount must be a count (3) or a share (0.25)")
            if "." in amount:
                share = float(amount)
                remaining = None
                if not 0 < share <= 1:
                    raise FaultSpecError(f"{raw!r}: a share must be above 0 and at most 1")
            else:
                remaining = int(amount)
                if remaining < 1:
                    raise FaultSpecError(f"{raw!r}: a count must be at least 1")
        self._rules.append(_Rule(kind, remaining, share, retry_after, items, writes, only))

    def next_fault(self, *, batch_item: bool = False, write: bool = False,
                   path: str = "") -> Fault | None:
        """The fault for the next Graph request (or ``$batch`` item) to ``path`` (relative to
        the version root), consuming counts."""
        wanted = "/" + path.lower().lstrip("/")
        with self._lock:
            for rule in self._rules:
                if rule.items != batch_item or (rule.writes and not write):
                    continue
                if rule.path is not None and not (wanted == rule.path
                                                   or wanted.startswith(rule.path + "/")
                                                   or wanted.startswith(rule.path + "?")):
                    continue
                if rule.remaining is not None:
                    if rule.remaining <= 0:
                        continue
                    rule.remaining -= 1
                    return Fault(rule.kind, rule.retry_after)
                if rule.share is not None and self._random.random() < rule.share:
                    return Fault(rule.kind, rule.retry_after)
        return None

    @property
    def empty(self) -> bool:
        return (not self._rules and not self.latency_ms and not self.expire_tokens
                and not self.stuck_half_federated)

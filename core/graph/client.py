"""The one HTTP client Federator talks to Microsoft Graph (or the sandbox) through.

Why it is more than ``requests.get``: Graph throttles (429 with ``Retry-After``, sometimes
fractional), has transient 503/504s, and the calls Federator makes change how a whole tenant signs
in. So this client

* retries 429 honouring ``Retry-After`` (else exponential backoff with jitter), and for reads
  every transient server error (500, 502, 503, 504: Graph documents them as transient and to be
  retried with backoff, https://learn.microsoft.com/en-us/graph/errors), connection failures and
  timeouts; every retry loop is bounded in attempts *and* time;
* never blindly repeats a write that may have reached the server. A POST/PATCH/DELETE whose
  connection dropped after sending, that timed out, or that got a 5xx which does not say whether
  the backend acted raises :class:`UncertainWriteError`; the caller re-reads the tenant instead.
  Writes ARE retried when the server clearly refused them before acting: a 429 (Graph throttles
  at its front door, before the request is processed, https://learn.microsoft.com/graph/throttling),
  a 503 that carries
  ``Retry-After`` (the service explicitly deferred the request), a 401
  ``InvalidAuthenticationToken`` (authentication precedes any processing), and a connection that
  could not be opened at all;
* asks the token provider for a token on every request (so a refreshed token is picked up) and,
  on a 401 ``InvalidAuthenticationToken``, forces one refresh and tries once more;
* puts a timeout on every call, follows ``@odata.nextLink`` pages, and runs ``$batch`` in chunks
  of 20 with per-item status and per-item 429 retries;
* keeps tokens out of logs and exceptions: the Authorization header is built per request and never
  logged; only method, path, status, timing and request-id are.

``sleep`` and ``clock`` are injectable so tests can record the waits the client asked for.
"""

from __future__ import annotations

import email.utils
import logging
import random
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urlsplit

from core import __version__, urlparts
from core.graph.errors import (
    NO_ANSWER_IN_TIME,
    GraphConnectionError,
    GraphError,
    ThrottledError,
    UncertainWriteError,
    error_from_response,
)

if TYPE_CHECKING:
    import requests

log = logging.getLogger(__name__)

READ_METHODS = frozenset({"GET", "HEAD"})
BATCH_LIMIT = 20  # Graph's documented maximum per $batch (https://learn.microsoft.com/graph/json-batching)
MAX_PAGES = 1000  # a bound on paging, so a looping nextLink cannot hang us
# Server errors that say nothing lasting about the request (501 Not Implemented and 505 do):
# a read answered so is asked again, with backoff, within the retry bounds.
TRANSIENT_SERVER_STATUSES = frozenset({500, 502, 503, 504})


class TokenProvider(Protocol):
    """Returns a bearer token; ``force_refresh`` asks for a new one (the old was refused)."""

    def __call__(self, *, force_refresh: bool = False) -> str: ...


@dataclass(frozen=True)
class RetryPolicy:
    """Bounds of the retry loops. Every request stops after ``max_attempts`` tries or
    ``max_total_s`` seconds (waits included), whichever comes first."""

    max_attempts: int = 5
    max_total_s: float = 60.0
    backoff_base_s: float = 0.5
    backoff_max_s: float = 10.0
    connect_timeout_s: float = 10.0
    read_timeout_s: float = 60.0


@dataclass
class GraphResponse:
    """A successful answer: status, headers (case-insensitive lookups via ``header``), JSON body."""

    status: int
    headers: dict[str, str]
    body: Any

    def header(self, name: str) -> str | None:
        lowered = name.lower()
        for key, value in self.headers.items():
            if key.lower() == lowered:
                return value
        return None

    @property
    def request_id(self) -> str | None:
        return self.header("request-id")


@dataclass(frozen=True)
class BatchRequest:
    """One request inside a ``$batch``: ``url`` is relative to the version root (``/domains``)."""

    method: str
    url: str
    body: Any = None
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass
class BatchResult:
    """One item's answer in a ``$batch``; ``raise_for_status`` turns a failure into a GraphError."""

    request: BatchRequest
    status: int
    headers: dict[str, str]
    body: Any

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def error(self) -> GraphError | None:
        if self.ok:
            return None
        return error_from_response(self.status, self.body, self.headers,
                                   method=self.request.method, path=self.request.url)

    def raise_for_status(self) -> None:
        err = self.error()
        if err is not None:
            raise err


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: integer or fractional seconds (Graph
    sends e.g. ``2.128``), or an HTTP date. None when absent or unreadable."""
    if value is None:
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError):
            return None
        seconds = when.timestamp() - (now if now is not None else time.time())
    if seconds != seconds:  # NaN
        return None
    return max(0.0, seconds)


class _Retry(Exception):
    """Internal: this attempt failed in a way that may be retried after ``delay`` (or backoff)."""

    def __init__(self, error: GraphError, delay: float | None) -> None:
        super().__init__(error.message)
        self.error = error
        self.delay = delay


class GraphClient:
    """Talks to one Graph root (``https://graph.microsoft.com/v1.0`` or the sandbox's).

    ``verify``/``trust_env`` configure TLS trust: against Microsoft keep the defaults (corporate
    proxies and CA bundles live in the environment); against the sandbox pass its CA bundle and
    ``trust_env=False``, because ``REQUESTS_CA_BUNDLE`` in the environment would otherwise override
    ``verify`` (feasibility.md addendum).
    """

    def __init__(self, graph_url: str, token_provider: TokenProvider, *,
                 verify: bool | str = True, trust_env: bool = True,
                 policy: RetryPolicy | None = None,
                 sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.monotonic,
                 rng: random.Random | None = None,
                 session: requests.Session | None = None) -> None:
        self.graph_url = graph_url.rstrip("/")
        parts = urlsplit(self.graph_url)
        self._origin = f"{parts.scheme}://{parts.netloc}"
        self._token_provider = token_provider
        self.policy = policy or RetryPolicy()
        self._sleep = sleep
        self._clock = clock
        self._rng = rng or random.Random()  # noqa: S311 (jitter, not crypto)
        self._verify = verify
        self._trust_env = trust_env
        self._session = session
        # The desktop app's worker threads share one client: create the session once.
        self._session_lock = threading.Lock()
        # Who wants to hear about retries on this thread (a window saying "retrying"); per
        # thread, because the app's workers share this client.
        self._retry_watch = threading.local()

    # -- plumbing ---------------------------------------------------------------------------

    @property
    def session(self) -> requests.Session:
        with self._session_lock:
            if self._session is None:
                self._session = make_session(verify=self._verify, trust_env=self._trust_env)
            return self._session

    def close(self) -> None:
        with self._session_lock:
            if self._session is not None:
                self._session.close()
                self._session = None

    def __enter__(self) -> GraphClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _url(self, path: str) -> str:
        if path.startswith(("https://", "http://")):
            # Only ever send our token to the Graph host we were configured for.
            if not (path == self._origin or path.startswith(self._origin + "/")):
                parts = urlparts.split(path)
                raise GraphError(status=None, explanation="Graph returned a link to another host; "
                                 "Federator does not follow it.",
                                 path=parts.netloc if parts else "(a malformed link)")
            return path
        return f"{self.graph_url}/{path.lstrip('/')}"

    def _display_path(self, url: str) -> str:
        """The URL without scheme/host/version root, for logs and error messages."""
        if url.startswith(self.graph_url):
            return url[len(self.graph_url):] or "/"
        parts = urlparts.split(url)
        return parts.path if parts else url

    def backoff(self, attempt: int) -> float:
        """Exponential backoff with "equal jitter": half fixed, half random (attempt >= 1)."""
        ceiling = min(self.policy.backoff_max_s,
                      self.policy.backoff_base_s * (2 ** (attempt - 1)))
        return float(ceiling / 2 + self._rng.uniform(0, ceiling / 2))

    @contextmanager
    def watch_retries(self, callback: Callable[[int, int, float], None]) -> Iterator[None]:
        """While inside, every retry this thread's requests make first calls
        ``callback(next_attempt, max_attempts, delay_s)``; the callback may raise to stop
        waiting (a cancelled read)."""
        previous = getattr(self._retry_watch, "callback", None)
        self._retry_watch.callback = callback
        try:
            yield
        finally:
            self._retry_watch.callback = previous

    # -- requests ---------------------------------------------------------------------------

    def request(self, method: str, path: str, *, params: Mapping[str, str] | None = None,
                json: Any = None, headers: Mapping[str, str] | None = None,
                read_only: bool | None = None) -> GraphResponse:
        """Send one request with the retry rules above; return the answer or raise GraphError.

        ``read_only`` overrides the method's own nature (a ``$batch`` POST of GETs is a read).
        """
        method = method.upper()
        url = self._url(path)
        is_read = (method in READ_METHODS) if read_only is None else read_only
        shown = self._display_path(url)
        start = self._clock()
        deadline = start + self.policy.max_total_s
        attempt = 0
        refreshed = False
        while True:
            attempt += 1
            try:
                return self._attempt(method, url, shown, params=params, json=json,
                                     headers=headers, is_read=is_read, deadline=deadline)
            except _Unauthenticated as unauth:
                if refreshed:
                    raise unauth.error from None
                refreshed = True
                log.info("%s %s: token refused, refreshing it once", method, shown)
                self._token_provider(force_refresh=True)
                attempt -= 1  # a refresh is not a retry of a failing service
                continue
            except _Retry as retry:
                err = retry.error
                if attempt >= self.policy.max_attempts:
                    log.warning("%s %s: giving up after %d attempts (%s)", method, shown,
                                attempt, err.explanation)
                    raise err from None
                delay = retry.delay if retry.delay is not None else self.backoff(attempt)
                remaining = deadline - self._clock()
                if delay > remaining:
                    log.warning("%s %s: giving up, a %.3g s wait would exceed the %.3g s budget",
                                method, shown, delay, self.policy.max_total_s)
                    if retry.delay is not None:
                        err.remedy = (f"Microsoft asked to wait {retry.delay:.3g} seconds; "
                                      "try again after that.")
                    raise err from None
                log.info("%s %s: %s; retry %d/%d in %.3g s", method, shown,
                         err.status or getattr(err, "reason", "failed"), attempt + 1,
                         self.policy.max_attempts, delay)
                watcher = getattr(self._retry_watch, "callback", None)
                if watcher is not None:
                    watcher(attempt + 1, self.policy.max_attempts, delay)
                self._sleep(delay)

    def _attempt(self, method: str, url: str, shown: str, *, params: Mapping[str, str] | None,
                 json: Any, headers: Mapping[str, str] | None, is_read: bool,
                 deadline: float) -> GraphResponse:
        import requests

        token = self._token_provider()
        sent_headers = {
            "Accept": "application/json",
            "User-Agent": f"Federator/{__version__}",
            "client-request-id": str(uuid.uuid4()),
        }
        if headers:
            sent_headers.update(headers)
        sent_headers["Authorization"] = f"Bearer {token}"
        read_timeout = self.policy.read_timeout_s
        if is_read:  # keep reads inside the request's total budget
            read_timeout = max(0.05, min(read_timeout, deadline - self._clock()))
        began = time.perf_counter()
        try:
            resp = self.session.request(
                method, url, params=params, json=json, headers=sent_headers,
                timeout=(self.policy.connect_timeout_s, read_timeout), allow_redirects=False)
        except requests.exceptions.SSLError as exc:
            # A certificate problem does not fix itself; say so at once.
            raise GraphConnectionError(method=method, path=shown,
                                       reason=f"TLS failure: {_short(exc)}") from None
        except (requests.exceptions.ConnectTimeout, requests.exceptions.ConnectionError,
                requests.exceptions.Timeout) as exc:
            reason, maybe_sent = _classify_transport_error(exc)
            log.debug("%s %s -> %s after %.0f ms", method, shown, reason,
                      (time.perf_counter() - began) * 1000)
            if maybe_sent and not is_read:
                raise UncertainWriteError(method=method, path=shown, reason=reason) from None
            raise _Retry(GraphConnectionError(method=method, path=shown, reason=reason),
                         None) from None
        except requests.exceptions.RequestException as exc:
            # The answer arrived broken (a chunked body cut short, an undecodable encoding...):
            # the request was sent, so a write may have been applied. Never a raw requests error.
            reason = f"its answer broke off ({type(exc).__name__})"
            log.debug("%s %s -> %s", method, shown, reason)
            if not is_read:
                raise UncertainWriteError(method=method, path=shown, reason=reason) from None
            raise _Retry(GraphConnectionError(method=method, path=shown, reason=reason),
                         None) from None
        finally:
            del sent_headers["Authorization"]
            del token
        elapsed = (time.perf_counter() - began) * 1000
        body = _decode(resp)
        status = resp.status_code
        resp_headers = dict(resp.headers)
        log.debug("%s %s -> %d in %.0f ms (request-id %s)", method, shown, status, elapsed,
                  resp.headers.get("request-id", "-"))
        if status < 400:
            return GraphResponse(status=status, headers=resp_headers, body=body)
        err = error_from_response(status, body, resp_headers, method=method, path=shown)
        retry_after = parse_retry_after(resp.headers.get("Retry-After"))
        if status == 401 and err.graph_code in ("InvalidAuthenticationToken", None):
            raise _Unauthenticated(err)
        if status == 429:
            if isinstance(err, ThrottledError):
                err.retry_after = retry_after
            raise _Retry(err, retry_after)
        if is_read and status in TRANSIENT_SERVER_STATUSES:
            raise _Retry(err, retry_after)
        if not is_read and status == 503 and retry_after is not None:
            raise _Retry(err, retry_after)
        if not is_read and status >= 500:
            raise UncertainWriteError(method=method, path=shown, reason=f"HTTP {status}",
                                      status=status, graph_code=err.graph_code,
                                      raw_message=err.raw_message, request_id=err.request_id,
                                      date=err.date)
        raise err

    # -- conveniences -----------------------------------------------------------------------

    def get(self, path: str, *, params: Mapping[str, str] | None = None,
            headers: Mapping[str, str] | None = None) -> Any:
        """GET and return the JSON body."""
        return self.request("GET", path, params=params, headers=headers).body

    def post(self, path: str, json: Any = None, *,
             headers: Mapping[str, str] | None = None) -> Any:
        return self.request("POST", path, json=json, headers=headers).body

    def patch(self, path: str, json: Any, *, headers: Mapping[str, str] | None = None) -> Any:
        return self.request("PATCH", path, json=json, headers=headers).body

    def delete(self, path: str, *, headers: Mapping[str, str] | None = None) -> None:
        self.request("DELETE", path, headers=headers)

    def iter_pages(self, path: str, *, params: Mapping[str, str] | None = None,
                   headers: Mapping[str, str] | None = None) -> Iterator[dict[str, Any]]:
        """Each page (the whole JSON object) of a collection, following ``@odata.nextLink``."""
        next_path: str | None = path
        next_params = params
        for _ in range(MAX_PAGES):
            if next_path is None:
                return
            page = self.get(next_path, params=next_params, headers=headers)
            if not isinstance(page, dict):
                raise GraphError(status=200, explanation="Graph returned an unreadable page.",
                                 method="GET", path=self._display_path(self._url(next_path)))
            yield page
            link = page.get("@odata.nextLink")
            next_path = link if isinstance(link, str) and link else None
            next_params = None  # the link carries the query
        raise GraphError(status=200, explanation=f"Graph kept paging past {MAX_PAGES} pages.",
                         method="GET", path=path)

    def get_all(self, path: str, *, params: Mapping[str, str] | None = None,
                headers: Mapping[str, str] | None = None) -> list[dict[str, Any]]:
        """Every item of a collection, across all pages."""
        items: list[dict[str, Any]] = []
        for page in self.iter_pages(path, params=params, headers=headers):
            value = page.get("value", [])
            if isinstance(value, list):
                items.extend(v for v in value if isinstance(v, dict))
        return items

    # -- $batch -----------------------------------------------------------------------------

    def batch(self, requests_: Sequence[BatchRequest]) -> list[BatchResult]:
        """Run ``requests_`` through ``$batch`` (chunks of 20); results in the same order.

        Items answered 429 (and, for reads, any transient 5xx) are sent again in a new batch
        after the longest ``Retry-After`` among them, within the same attempt/time bounds as a
        request.
        Other per-item failures are returned, not raised: see :meth:`BatchResult.raise_for_status`.
        """
        results: list[BatchResult | None] = [None] * len(requests_)
        for offset in range(0, len(requests_), BATCH_LIMIT):
            chunk = list(enumerate(requests_[offset:offset + BATCH_LIMIT], start=offset))
            self._run_chunk(chunk, results)
        return [r for r in results if r is not None]

    def _run_chunk(self, chunk: list[tuple[int, BatchRequest]],
                   results: list[BatchResult | None]) -> None:
        deadline = self._clock() + self.policy.max_total_s
        pending = chunk
        attempt = 0
        while pending:
            attempt += 1
            is_read = all(r.method.upper() in READ_METHODS for _, r in pending)
            payload = {"requests": [_batch_item(str(index), r) for index, r in pending]}
            answer = self.request("POST", "/$batch", json=payload, read_only=is_read,
                                  headers={"Content-Type": "application/json"})
            items = answer.body.get("responses", []) if isinstance(answer.body, dict) else []
            by_id = {str(item.get("id")): item for item in items if isinstance(item, dict)}
            retry: list[tuple[int, BatchRequest]] = []
            waits: list[float] = []
            for index, req in pending:
                item = by_id.get(str(index))
                if item is None:
                    results[index] = BatchResult(req, 0, {}, None)
                    continue
                status = int(item.get("status", 0))
                headers = {str(k): str(v) for k, v in (item.get("headers") or {}).items()}
                result = BatchResult(req, status, headers, item.get("body"))
                results[index] = result
                item_read = req.method.upper() in READ_METHODS
                if status == 429 or (item_read and status in TRANSIENT_SERVER_STATUSES):
                    retry.append((index, req))
                    after = parse_retry_after(_get_ci(headers, "Retry-After"))
                    waits.append(after if after is not None else self.backoff(attempt))
            if not retry:
                return
            delay = max(waits)
            if attempt >= self.policy.max_attempts or self._clock() + delay > deadline:
                log.warning("$batch: %d item(s) still throttled; giving up", len(retry))
                return
            log.info("$batch: %d item(s) throttled; retrying them in %.3g s", len(retry), delay)
            self._sleep(delay)
            pending = retry


class _Unauthenticated(Exception):
    def __init__(self, error: GraphError) -> None:
        super().__init__(error.message)
        self.error = error


def make_session(*, verify: bool | str = True, trust_env: bool = True) -> requests.Session:
    """A requests session with the given TLS trust; urllib3's own retries are off (ours rule).

    ``verify=True`` (real services) trusts the operating system's certificate store
    (core.trust); a CA bundle path trusts that bundle only."""
    import requests
    from requests.adapters import HTTPAdapter

    session = requests.Session()
    session.verify = verify
    session.trust_env = trust_env
    adapter: HTTPAdapter
    if verify is True:
        from core.trust import SystemTrustAdapter

        adapter = SystemTrustAdapter(max_retries=0, pool_connections=4, pool_maxsize=8)
    else:
        adapter = HTTPAdapter(max_retries=0, pool_connections=4, pool_maxsize=8)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


def _batch_item(item_id: str, req: BatchRequest) -> dict[str, Any]:
    item: dict[str, Any] = {"id": item_id, "method": req.method.upper(),
                            "url": "/" + req.url.lstrip("/")}
    headers = dict(req.headers)
    if req.body is not None:
        headers.setdefault("Content-Type", "application/json")
        item["body"] = req.body
    if headers:
        item["headers"] = headers
    return item


def _get_ci(headers: Mapping[str, str], name: str) -> str | None:
    lowered = name.lower()
    return next((v for k, v in headers.items() if k.lower() == lowered), None)


def _decode(resp: requests.Response) -> Any:
    if not resp.content:
        return None
    try:
        return resp.json()
    except ValueError:
        return None


def _short(exc: BaseException) -> str:
    text = str(exc)
    return text if len(text) <= 160 else text[:157] + "..."


def _classify_transport_error(exc: Exception) -> tuple[str, bool]:
    """(reason, maybe_sent): whether the request may have reached the server."""
    import requests

    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return "connection timed out", False
    if isinstance(exc, requests.exceptions.ReadTimeout | requests.exceptions.Timeout):
        return NO_ANSWER_IN_TIME, True
    inner = exc.args[0] if exc.args else None
    reason_obj = getattr(inner, "reason", inner)
    name = type(reason_obj).__name__
    if name in ("NewConnectionError", "NameResolutionError", "ConnectionRefusedError"):
        return "connection refused or host not found", False
    return "connection dropped", True

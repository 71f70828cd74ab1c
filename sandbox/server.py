"""The sandbox tenant as a loopback HTTPS server: one port plays login.microsoftonline.com and
graph.microsoft.com, so the same client code runs against it as against Microsoft.

``Sandbox`` is the API tests, the ``--sandbox`` demo mode and ``federator sandbox serve`` use::

    with Sandbox(paths.sandbox_dir, faults="429:2@0.1") as sandbox:
        session.verify = sandbox.ca_bundle
        session.get(f"{sandbox.graph_url}/domains",
                    headers={"Authorization": f"Bearer {sandbox.issue_token()}"})

Routing: ``/v1.0/...`` is Graph (``rules.py``), ``/getuserrealm.srf`` and ``/common/userrealm/``
are home realm discovery (``realm.py``), ``/sandbox/...`` are the sandbox's own control endpoints
(below), anything else is ``/{tenant}/...`` login (``login.py``).

Control endpoints (loopback only; for the demo and for scripts driving ``serve``):
``GET /sandbox/device`` (device-code approval page), ``POST /sandbox/approve`` (form ``user_code``,
``upn``): the sign-in page a person uses, open like Entra's. The others change the tenant or mint
tokens, so they need the sandbox's own credential, a random key made at each start and written
owner-only (0600) to ``control_key_file`` in the state folder, sent as the
``X-Federator-Sandbox-Key`` header (401 without it, 403 when wrong): another local user or a web
page cannot mint tokens or reset the tenant. ``POST /sandbox/faults`` (JSON ``{"spec":
SPEC|null}``), ``POST /sandbox/latency`` (``{"ms": N}``), ``POST /sandbox/reset``,
``POST /sandbox/token`` (``{"upn", "scopes", "lifetime_s"}`` -> ``{"access_token"}``),
``GET /sandbox/requests`` (the request log).
"""

from __future__ import annotations

import contextlib
import hmac
import json
import logging
import secrets
import socket
import ssl
import struct
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar
from urllib.parse import parse_qsl, unquote, urlsplit

from core.atomic_write import write_atomic
from core.roles import RULES_DOCUMENTED, rule_set
from sandbox.consent import ANY_CLIENT, TokenLog, requested_permissions, set_consented
from sandbox.entra_signin import EntraSignin, rules_named
from sandbox.faults import FaultPlan
from sandbox.login import Login, LoginSettings, device_page
from sandbox.realm import getuserrealm, userrealm
from sandbox.rules import Graph
from sandbox.seed import DEFAULT_USER
from sandbox.state import TenantStore
from sandbox.tls import make_tls
from sandbox.tokens import DEFAULT_SCOPES
from sandbox.wire import Request, Response, graph_error

log = logging.getLogger(__name__)

_T = TypeVar("_T")
REQUEST_LOG_LIMIT = 100_000
CONTROL_KEY_HEADER = "X-Federator-Sandbox-Key"
# Control endpoints that need the key: they mint tokens, change the tenant or its faults, or show
# what was asked of it.
PROTECTED_CONTROLS = frozenset({"faults", "latency", "reset", "token", "requests"})
_DROP = Response(0)  # sentinel: close the connection without answering


@dataclass(frozen=True)
class RequestRecord:
    """One answered (or dropped: ``status`` 0) request. ``path`` includes the query string;
    ``at`` is when it arrived (epoch seconds); ``duration_ms`` (arrival to answer ready) includes
    injected latency. A record is in ``request_log`` before its answer is sent."""

    method: str
    path: str
    status: int
    duration_ms: float
    at: float


class _Server(ThreadingHTTPServer):
    # Handler threads are joined on close (no lingering threads); stop() unblocks idle
    # keep-alive connections by shutting their sockets down first.
    daemon_threads = False
    block_on_close = True
    allow_reuse_address = False

    def __init__(self, sandbox: Sandbox, port: int) -> None:
        self.sandbox = sandbox
        self.active: set[socket.socket] = set()
        self.active_lock = threading.Lock()
        super().__init__(("127.0.0.1", port), _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients that distrust the CA, hang up mid-request or are cut off by stop(): expected.
        log.debug("sandbox connection from %s ended with an error", client_address,
                  exc_info=True)

    def unblock_all(self) -> None:
        with self.active_lock:
            connections = list(self.active)
        for conn in connections:
            with contextlib.suppress(OSError):
                socket.socket.shutdown(conn, socket.SHUT_RDWR)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server
    server_version = "Microsoft-IIS/10.0"  # what Graph's front doors answer (cosmetic)
    sys_version = ""
    _drop = False

    def setup(self) -> None:
        # TLS handshake here, in the connection's own thread, not in the accept loop.
        raw = self.request
        raw.settimeout(10)
        # Headers and body go out as separate writes; without NODELAY, Nagle plus the client's
        # delayed ACK add ~40 ms to every response.
        raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        tls = self.server.sandbox.tls_context.wrap_socket(raw, server_side=True)
        tls.settimeout(None)
        self.request = tls
        with self.server.active_lock:
            self.server.active.add(tls)
        super().setup()

    def finish(self) -> None:
        try:
            if not self._drop:
                super().finish()
        finally:
            with self.server.active_lock:
                self.server.active.discard(self.request)
            if self._drop:
                # RST instead of an orderly close: the client sees a reset connection.
                with contextlib.suppress(OSError):
                    self.request.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                            struct.pack("ii", 1, 0))
            with contextlib.suppress(OSError):
                self.request.close()

    def handle(self) -> None:
        with contextlib.suppress(OSError):
            super().handle()

    def version_string(self) -> str:
        return self.server_version

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("sandbox: " + format, *args)

    def do_GET(self) -> None:
        self._dispatch()

    do_POST = do_PATCH = do_DELETE = do_PUT = do_GET

    def _dispatch(self) -> None:
        started = time.perf_counter()
        arrived = time.time()
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        split = urlsplit(self.path)
        request = Request(method=self.command, path=unquote(split.path),
                          query=dict(parse_qsl(split.query, keep_blank_values=True)),
                          headers={k.lower(): v for k, v in self.headers.items()},
                          body=body, raw_path=self.path)
        sandbox = self.server.sandbox
        try:
            response = sandbox.serve_request(request)
        except Exception:  # a sandbox bug must still answer like a server, not hang the client
            log.exception("sandbox failed on %s %s", request.method, request.path)
            response = graph_error(request, 500, "UnknownError", "Sandbox internal error.")
        if response is _DROP:
            self._drop = True
            self.close_connection = True
            sandbox.record(request, 0, started, arrived)
            return
        payload = response.encoded()
        # Logged before the answer leaves, so a client that has its answer finds it in the log.
        sandbox.record(request, response.status, started, arrived)
        self.send_response(response.status)
        if response.status not in (204, 304):
            self.send_header("Content-Type", response.content_type)
            self.send_header("Content-Length", str(len(payload)))
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.end_headers()
        if payload and response.status not in (204, 304):
            self.wfile.write(payload)
        self.wfile.flush()


class Sandbox:
    """A running (after ``start()``) sandbox tenant on 127.0.0.1.

    ``state_dir`` holds the tenant JSON and token-signing secret (a temporary folder, removed on
    ``stop()``, when None). ``seed`` fixes the seed tenant's ids and the fault plan's random
    draws. ``latency_ms`` delays every request; ``faults`` is a SPEC (see ``faults.py``);
    ``propagation_s`` is how long home realm discovery lags behind Graph changes. ``port`` 0
    picks a free port. ``roles`` is the rule set of ``core.roles`` deciding who may write
    (``documented``, the default, or ``definitions``). ``signin_user`` is who the login
    endpoints sign in when the request names nobody (``login_hint``); ``auto_approve`` False
    leaves device codes pending until ``approve_device_code`` or the ``/sandbox/device`` page
    approves them. ``users`` sets how many extra deterministic users fabrikam.com holds
    (``sandbox.bulk``; None keeps what the state holds). ``immutable_null`` False refuses
    ``onPremisesImmutableId eq null`` filters (see ``check_user_filter`` in
    ``sandbox.rules``).
    """

    def __init__(self, state_dir: Path | None = None, *, seed: int = 0, latency_ms: float = 0,
                 faults: str | None = None, propagation_s: float = 0.0, port: int = 0,
                 signin_user: str = DEFAULT_USER, auto_approve: bool = True,
                 users: int | None = None, immutable_null: bool = True,
                 roles: str = RULES_DOCUMENTED, signin_rules: str = "strict") -> None:
        self.seed = seed
        # How strictly login.srf judges a SAML response where Microsoft is silent
        # (sandbox.entra_signin): "strict" or "lenient".
        self.signin_rules = signin_rules
        self.bulk_users = users
        self.immutable_null = immutable_null
        self._role_rules = rule_set(roles, source="roles")
        self.latency_ms = float(latency_ms)
        self.propagation_s = float(propagation_s)
        self.request_log: list[RequestRecord] = []
        self._requested_port = port
        self._tempdir: tempfile.TemporaryDirectory[str] | None = None
        self._state_dir = state_dir
        self._log_lock = threading.Lock()
        self._stop_event = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._expired_before_ns = 0
        self._plan = FaultPlan(None, seed=seed)
        self._login_settings = LoginSettings(signin_user=signin_user, auto_approve=auto_approve)
        self._pending_faults = faults
        self.ca_bundle = Path()
        self.control_key_file = Path()
        self.control_key = ""
        self.url = ""
        self._store: TenantStore | None = None
        self._graph: Graph | None = None
        self._login: Login | None = None
        self._tls_context: ssl.SSLContext | None = None
        self._token_log: TokenLog | None = None
        self._entra_signin: EntraSignin | None = None

    # ------------------------------------------------------------------------- lifecycle

    def start(self) -> Sandbox:
        if self._server is not None:
            return self
        if self._state_dir is None:
            self._tempdir = tempfile.TemporaryDirectory(prefix="federator-sandbox-")
            self._state_dir = Path(self._tempdir.name)
        self._store = TenantStore(self._state_dir, seed=self.seed, bulk_users=self.bulk_users)
        tls = make_tls()
        self._tls_context = tls.context
        self.set_faults(self._pending_faults)
        self._stop_event.clear()
        self._server = _Server(self, self._requested_port)
        port = self._server.server_address[1]
        self.url = f"https://127.0.0.1:{port}"
        self.ca_bundle = self._state_dir / f"sandbox-ca-{port}.pem"
        write_atomic(self.ca_bundle, tls.ca_pem, mode=0o644)
        self.control_key = secrets.token_urlsafe(32)
        self.control_key_file = self._state_dir / f"sandbox-control-{port}.key"
        write_atomic(self.control_key_file, self.control_key.encode("ascii"), mode=0o600)
        self._graph = Graph(self.store, graph_url=self.graph_url,
                           expired_before_ns=lambda: self._expired_before_ns,
                           item_fault=lambda path: self._plan.next_fault(batch_item=True,
                                                                      path=path),
                           role_rules=self._role_rules,
                           half_federated_stuck=lambda: self._plan.stuck_half_federated)
        self._graph.immutable_null = self.immutable_null
        self._token_log = TokenLog(self._state_dir)
        self._login = Login(self.store, self.url, settings=self._login_settings,
                            token_log=self._token_log)
        self._entra_signin = EntraSignin(self.store, self.signin_rules)
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.01},
                                        name=f"sandbox-{port}", daemon=True)
        self._thread.start()
        log.info("sandbox tenant serving on %s (state in %s)", self.url, self._state_dir)
        return self

    def stop(self) -> None:
        server, thread = self._server, self._thread
        if server is None:
            return
        self._server = None
        self._stop_event.set()  # wakes requests sleeping in injected latency
        server.shutdown()
        server.unblock_all()
        server.server_close()  # joins the connection threads
        if thread is not None:
            thread.join()
        with contextlib.suppress(OSError):
            self.ca_bundle.unlink()
        with contextlib.suppress(OSError):
            self.control_key_file.unlink()
        if self._tempdir is not None:
            self._tempdir.cleanup()
            self._tempdir = None
            self._state_dir = None
        log.info("sandbox tenant stopped")

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    # ------------------------------------------------------------- parts made by start()

    def _started(self, part: _T | None) -> _T:
        if part is None:
            raise RuntimeError("the sandbox is not started: call start() or use it with 'with'")
        return part

    @property
    def store(self) -> TenantStore:
        """The tenant's state (persistence and lookups)."""
        return self._started(self._store)

    @property
    def graph(self) -> Graph:
        return self._started(self._graph)

    @property
    def login(self) -> Login:
        return self._started(self._login)

    @property
    def entra_signin(self) -> EntraSignin:
        """Entra's side of a federated sign-in (``/sandbox/signin``, ``/login.srf``)."""
        return self._started(self._entra_signin)

    def sample_idp(self) -> Any:
        """The certificate and key (``core.certgen.Issued``) the sample IdP signs with now, kept
        in the state folder (``idp-rotate --switch`` changes it)."""
        from sandbox.sample_idp import load_key

        return load_key(self._started(self._state_dir))

    def set_signin_rules(self, rules: str) -> None:
        self._started(self._entra_signin).rules = rules_named(rules).name
        self.signin_rules = rules

    @property
    def tls_context(self) -> ssl.SSLContext:
        return self._started(self._tls_context)

    # --------------------------------------------------------------------------- addresses

    @property
    def graph_url(self) -> str:
        """Like ``https://graph.microsoft.com/v1.0``."""
        return f"{self.url}/v1.0"

    @property
    def login_url(self) -> str:
        """Like ``https://login.microsoftonline.com``; the authority is
        ``f"{login_url}/{tenant_id}"``."""
        return self.url

    @property
    def tenant_id(self) -> str:
        return self.store.tenant_id

    @property
    def state_dir(self) -> Path | None:
        return self._state_dir

    # ----------------------------------------------------------------------------- controls

    def issue_token(self, upn: str = DEFAULT_USER, scopes: Sequence[str] | None = None,
                    lifetime_s: int = 3600) -> str:
        """A ready bearer token for seed user ``upn`` (``scp`` = ``scopes``, default the scopes
        Federator asks for plus User.Read; ``wids`` = the user's roles now). KeyError for a
        user that is not in the tenant."""
        chosen = list(DEFAULT_SCOPES if scopes is None else scopes)
        token = self.login.issue_access_token(upn, chosen, lifetime_s=lifetime_s)
        permissions = requested_permissions(chosen)
        self._started(self._token_log).record(grant="direct", client_id="sandbox-control",
                                              upn=upn, requested=permissions,
                                              granted=permissions)
        return token

    def sign_in_token(self, upn: str, scopes: Sequence[str], *, client_id: str,
                      lifetime_s: int = 3600) -> str:
        """A token for ``upn`` as Entra issues one when ``client_id`` signs in asking for
        ``scopes``: it carries the client's consented permissions, the admin consenting to new
        ones on the way (see ``consent.py``). KeyError for an unknown user; PermissionError when
        the tenant cannot consent a permission asked for (AADSTS65001)."""
        granted, refusal = self.login.grant(upn, requested_permissions(scopes), client_id,
                                            grant="sandbox")
        if refusal is not None:
            if 65001 in (refusal.payload or {}).get("error_codes", ()):
                raise PermissionError("AADSTS65001: the tenant has not consented to "
                                      + ", ".join(requested_permissions(scopes)))
            raise KeyError(upn)
        return self.login.issue_access_token(upn, granted, lifetime_s=lifetime_s,
                                             client_id=client_id)

    def set_consented_scopes(self, scopes: Sequence[str], client_id: str = ANY_CLIENT) -> None:
        """The permissions an admin has consented for ``client_id`` (``"*"``: every client
        without its own entry); tokens carry these, whatever the request named. Persisted with
        the tenant; ``reset()`` goes back to Federator's documented set."""
        set_consented(self.store, scopes, client_id)

    def token_log(self) -> list[dict[str, Any]]:
        """Every token issued (or refused) on this state folder: ``grant``, ``client_id``,
        ``upn``, ``requested`` and ``granted`` permissions, ``error``. Never the token."""
        return self._started(self._token_log).entries()

    @property
    def decline_device_codes(self) -> bool:
        """When True, device-code sign-ins are declined (``authorization_declined``)."""
        return self._login_settings.decline_device_codes

    @decline_device_codes.setter
    def decline_device_codes(self, value: bool) -> None:
        self._login_settings.decline_device_codes = bool(value)

    def set_faults(self, spec: str | None) -> None:
        """Replace the fault plan (counts start afresh; the random draws restart from the seed).
        Raises ``FaultSpecError`` for a SPEC that does not parse. ``expire-token`` expires the
        tokens issued before this call, for good."""
        plan = FaultPlan(spec, seed=self.seed)
        if plan.expire_tokens:
            self._expired_before_ns = max(self._expired_before_ns, plan.installed_ns)
        self._plan = plan

    @property
    def faults(self) -> str:
        return self._plan.spec

    @property
    def role_rules(self) -> str:
        """Which rule set of ``core.roles`` the sandbox enforces for writes."""
        return self._role_rules

    def set_role_rules(self, rules: str) -> None:
        """``documented`` (Microsoft's API pages) or ``definitions`` (the role definitions)."""
        self._role_rules = rule_set(rules, source="roles")
        if self._graph is not None:
            self._graph.role_rules = self._role_rules

    def set_latency(self, ms: float) -> None:
        """Base latency added to every request (the SPEC's ``latency:`` adds to it)."""
        self.latency_ms = float(ms)

    def set_propagation(self, seconds: float) -> None:
        self.propagation_s = float(seconds)

    def set_token_lifetime(self, seconds: int) -> None:
        """Lifetime of access tokens issued by the token endpoint from now on (default 3600);
        msal treats a token with under 5 minutes left as expired and refreshes it."""
        self._login_settings.access_lifetime_s = int(seconds)

    @property
    def signin_user(self) -> str:
        return self._login_settings.signin_user

    @signin_user.setter
    def signin_user(self, upn: str) -> None:
        self._login_settings.signin_user = upn

    @property
    def auto_approve(self) -> bool:
        return self._login_settings.auto_approve

    @auto_approve.setter
    def auto_approve(self, value: bool) -> None:
        self._login_settings.auto_approve = value

    def approve_device_code(self, user_code: str, upn: str | None = None) -> bool:
        """Approve a pending device code (when ``auto_approve`` is off)."""
        return self.login.approve(user_code, upn)

    def pending_user_codes(self) -> list[str]:
        return self.login.pending_user_codes()

    def set_unconsented_scopes(self, scopes: Sequence[str]) -> None:
        """Scopes the tenant has not consented to: a token request asking for one fails with
        AADSTS65001 (e.g. ``Domain-InternalFederation.ReadWrite.All`` in a tenant that predates
        October 2025). Persisted with the tenant; ``reset()`` clears it."""
        with self.store.transaction():
            self.store.data["unconsentedScopes"] = list(scopes)
            self.store.save()

    def reset(self) -> None:
        """Back to the seed tenant (faults, latency and the request log are kept)."""
        self.store.reset()

    def tenant_state(self) -> dict[str, Any]:
        """A deep copy of the tenant's JSON state (for tests and diagnostics)."""
        with self.store.lock:
            self.store.refresh()
            copied: dict[str, Any] = json.loads(json.dumps(self.store.data))
        return copied

    # ------------------------------------------------------------------------ request path

    def record(self, request: Request, status: int, started: float, arrived: float) -> None:
        entry = RequestRecord(request.method, request.raw_path, status,
                              (time.perf_counter() - started) * 1000, arrived)
        with self._log_lock:
            self.request_log.append(entry)
            if len(self.request_log) > REQUEST_LOG_LIMIT:
                # A long-running ``serve`` must not grow without bound: keep the newer half.
                del self.request_log[:REQUEST_LOG_LIMIT // 2]

    def _handle_later(self, request: Request, delay_s: float) -> None:
        """Process ``request`` ``delay_s`` seconds from now (unless the sandbox stops first)."""
        def later() -> None:
            if not self._stop_event.wait(delay_s):
                self.graph.handle(request)
        threading.Thread(target=later, name="sandbox-late-write", daemon=True).start()

    def serve_request(self, request: Request) -> Response:
        """Latency, faults, then the right endpoint; ``_DROP`` means close without answering."""
        plan = self._plan
        delay_ms = self.latency_ms + plan.latency_ms
        if delay_ms > 0 and self._stop_event.wait(delay_ms / 1000):
            return _DROP  # stopping
        path = request.path
        if path == "/v1.0" or path.startswith("/v1.0/"):
            fault = plan.next_fault(write=request.method in ("POST", "PATCH", "DELETE")
                                    and not path.endswith("/$batch"),
                                    path=path.removeprefix("/v1.0"))
            if fault is not None and fault.kind == "drop":
                return _DROP
            if fault is not None and fault.kind == "late":
                self._handle_later(request, fault.delay_s)
                return _DROP
            if fault is not None and fault.delay_s and self._stop_event.wait(fault.delay_s):
                return _DROP  # stopping
            if fault is not None and fault.status is not None:
                return Graph.fault_response(request, fault)
            response = self.graph.handle(request)
            if fault is not None and fault.kind == "drop-after":
                return _DROP
            return response
        lowered = path.lower()
        if lowered == "/beta" or lowered.startswith("/beta/"):
            # Federator uses v1.0 only; a beta call is a bug worth seeing.
            return graph_error(request, 400, "BadRequest",
                               "The sandbox tenant serves Microsoft Graph v1.0 only.")
        if lowered == "/getuserrealm.srf":
            return getuserrealm(self.store, request, self.propagation_s)
        if lowered.startswith("/common/userrealm/"):
            login = path[len("/common/userrealm/"):] or request.query.get("user", "")
            return userrealm(self.store, login, self.propagation_s,
                             request.query.get("api-version", "1.0"))
        if lowered == "/login.srf":
            return self.entra_signin.login_srf(request)
        if lowered == "/sandbox/signin" and request.method == "GET":
            return self.entra_signin.start(request)
        if lowered.startswith("/sandbox/"):
            return self._control(request, lowered.removeprefix("/sandbox/"))
        parts = [p for p in path.split("/") if p]
        if len(parts) >= 2:
            return self.login.handle(request, parts[0], parts[1:])
        return Response(404, {"error": {"code": "NotFound", "message": "Not found."}})

    def _control(self, request: Request, name: str) -> Response:
        as_json = "application/json; charset=utf-8"
        try:
            body: Any = request.json() if request.body and \
                "json" in (request.header("content-type") or "") else {}
        except ValueError:
            return Response(400, {"error": "body is not JSON"}, content_type=as_json)
        if name == "idp/metadata" and request.method == "GET":
            # The sample IdP's metadata: public, as an IdP's metadata URL is.
            from sandbox.sample_idp import metadata

            return Response(200, body=metadata(self._started(self._state_dir)),
                            content_type="application/samlmetadata+xml")
        if name == "device" and request.method == "GET":
            users = [u["userPrincipalName"] for u in self.tenant_state()["users"]]
            page = device_page(self.url, self.pending_user_codes(), users)
            return Response(200, body=page, content_type="text/html; charset=utf-8")
        if name in PROTECTED_CONTROLS:
            given = request.header(CONTROL_KEY_HEADER.lower()) or ""
            if not given:
                return Response(401, {"error": f"this sandbox control needs the "
                                               f"{CONTROL_KEY_HEADER} header (the key is in "
                                               f"{self.control_key_file.name})"},
                                content_type=as_json)
            if not hmac.compare_digest(given.encode("utf-8", "replace"),
                                       self.control_key.encode("ascii")):
                return Response(403, {"error": "wrong sandbox control key"},
                                content_type=as_json)
        if request.method != "POST":
            if name == "requests":
                with self._log_lock:
                    records = [asdict(r) for r in self.request_log]
                return Response(200, {"requests": records}, content_type=as_json)
            return Response(405, {"error": "use POST"}, content_type=as_json)
        if name == "approve":
            form = body or request.form()
            approved = self.approve_device_code(str(form.get("user_code", "")),
                                                form.get("upn") or None)
            if "html" in (request.header("accept") or ""):
                message = "Signed in. You can close this page." if approved else \
                    "That code is unknown, expired or already used."
                users = [u["userPrincipalName"] for u in self.tenant_state()["users"]]
                return Response(200 if approved else 400,
                                body=device_page(self.url, self.pending_user_codes(), users,
                                                 message),
                                content_type="text/html; charset=utf-8")
            return Response(200 if approved else 400, {"approved": approved},
                            content_type=as_json)
        if name == "faults":
            from sandbox.faults import FaultSpecError

            try:
                self.set_faults(body.get("spec"))
            except FaultSpecError as exc:
                return Response(400, {"error": exc.message}, content_type=as_json)
            return Response(200, {"spec": self.faults}, content_type=as_json)
        if name == "latency":
            self.set_latency(float(body.get("ms", 0)))
            return Response(200, {"ms": self.latency_ms}, content_type=as_json)
        if name == "reset":
            self.reset()
            return Response(200, {"reset": True}, content_type=as_json)
        if name == "token":
            try:
                token = self.issue_token(body.get("upn", DEFAULT_USER), body.get("scopes"),
                                         int(body.get("lifetime_s", 3600)))
            except KeyError:
                return Response(400, {"error": "no such user"}, content_type=as_json)
            return Response(200, {"access_token": token}, content_type=as_json)
        return Response(404, {"error": "unknown sandbox endpoint"}, content_type=as_json)


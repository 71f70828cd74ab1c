"""Regression tests for defects found in the pre-ship review (each fails without its fix)."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Any

import pytest

from core.logs import scrub, setup_logging

OPAQUE_REFRESH = "0.AXYZrefreshSECRETvalue-abc_def"


def test_scrub_removes_secrets_from_a_python_dict_repr() -> None:
    # An msal result printed with repr(): single quotes, and a refresh token that is no JWT.
    text = repr({"access_token": "opaqueACCESS", "refresh_token": OPAQUE_REFRESH,
                 "id_token": "opaqueID", "device_code": "GAQABdeviceSECRET",
                 "token_type": "Bearer"})
    cleaned = scrub(text)
    for secret in ("opaqueACCESS", OPAQUE_REFRESH, "opaqueID", "GAQABdeviceSECRET"):
        assert secret not in cleaned
    assert "token_type" in cleaned  # the shape stays readable


def test_a_logged_msal_result_leaves_no_refresh_token_in_the_log_file(tmp_path: Path) -> None:
    log_file = tmp_path / "federator.log"
    setup_logging(log_file)
    try:
        logging.getLogger("core.review").warning("token answer: %r",
                                                 {"refresh_token": OPAQUE_REFRESH})
        for handler in logging.getLogger().handlers:
            handler.flush()
    finally:
        setup_logging(None)
    assert "token answer" in log_file.read_text(encoding="utf-8")
    assert OPAQUE_REFRESH not in log_file.read_text(encoding="utf-8")


# -- Graph client: an answer that breaks off mid-body ----------------------------------------------

class BrokenBodyServer:
    """A loopback HTTP server that reads each request whole, then answers 200 with a chunked body
    cut short: the request reached the server, its answer cannot be read."""

    def __init__(self) -> None:
        import socket
        import threading

        self.requests: list[bytes] = []
        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen()
        self.url = f"http://127.0.0.1:{self._sock.getsockname()[1]}/v1.0"
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            with conn:
                data = b""
                while b"\r\n\r\n" not in data:
                    chunk = conn.recv(65536)
                    if not chunk:
                        break
                    data += chunk
                head, _, body = data.partition(b"\r\n\r\n")
                length = next((int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                               if line.lower().startswith(b"content-length:")), 0)
                while len(body) < length:
                    chunk = conn.recv(65536)
                    if not chunk:
                        break
                    body += chunk
                self.requests.append(head.split(b"\r\n", 1)[0])
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                             b"Transfer-Encoding: chunked\r\n\r\n40\r\n{\"id\":")

    def close(self) -> None:
        self._sock.close()


def test_a_write_whose_answer_breaks_off_is_uncertain_and_sent_once() -> None:
    from core.graph.client import GraphClient, RetryPolicy
    from core.graph.errors import UncertainWriteError

    server = BrokenBodyServer()
    waits: list[float] = []
    try:
        client = GraphClient(server.url, lambda *, force_refresh=False: "t", trust_env=False,
                             policy=RetryPolicy(max_total_s=5), sleep=waits.append)
        with pytest.raises(UncertainWriteError) as info:
            client.patch("/domains/contoso.com", {"isDefault": True})
        client.close()
    finally:
        server.close()
    assert [r.split(b" ")[0] for r in server.requests] == [b"PATCH"]  # never repeated
    assert "not known whether Microsoft applied the change" in info.value.message


def test_a_read_whose_answer_breaks_off_is_retried_then_a_readable_graph_error() -> None:
    from core.graph.client import GraphClient, RetryPolicy
    from core.graph.errors import GraphConnectionError

    server = BrokenBodyServer()
    waits: list[float] = []
    try:
        client = GraphClient(server.url, lambda *, force_refresh=False: "t", trust_env=False,
                             policy=RetryPolicy(max_attempts=3, max_total_s=60),
                             sleep=waits.append)
        with pytest.raises(GraphConnectionError) as info:
            client.get("/domains")
        client.close()
    finally:
        server.close()
    assert len(server.requests) == 3 and len(waits) == 2
    assert "could not be reached" in info.value.message


# -- Journal: a write cut short (disk full) must not swallow the next record ---------------------

TORN_WRITE_SCRIPT = r"""
import resource, signal, sys
from pathlib import Path
from core.journal import Journal, JournalError, Snapshot

journal = Journal(Path(sys.argv[1]), "tenant-1")
snap = Snapshot(id="s-before", tenant="tenant-1", domain_name="fabrikam.com", taken_at="",
                domain={"authenticationType": "Managed"}, federation=None)
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG instead of death: a disk that is full
soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
try:
    with journal.writing("test") as w:
        entry = w.begin(kind="federate", domain="fabrikam.com", who="a", snapshot=snap)
        resource.setrlimit(resource.RLIMIT_FSIZE, (journal.path.stat().st_size + 40, hard))
        entry.step("write", "x" * 400)  # only its first 40 bytes fit, and the disk stays full
        # After the entry began, the change goes on (its write may be out): no exception, and
        # the failure is said (no rescue file fits either under this limit).
        print("failed:", w.failed, "|", w.warnings[-1])
except JournalError:
    print("JournalError")
except OSError as exc:
    print("raw", type(exc).__name__)
finally:
    resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
"""


@pytest.mark.skipif(sys.platform == "win32", reason="RLIMIT_FSIZE (a full disk) is POSIX-only")
def test_a_journal_write_cut_short_is_a_journal_error_and_leaves_no_torn_line(
        tmp_path: Path) -> None:
    import subprocess
    import sys

    if not hasattr(__import__("signal"), "SIGXFSZ"):
        pytest.skip("needs POSIX file-size limits to cut a write short")
    from core.journal import Journal

    done = subprocess.run([sys.executable, "-c", TORN_WRITE_SCRIPT, str(tmp_path)],
                          capture_output=True, text=True, timeout=60,
                          cwd=Path(__file__).resolve().parents[1])
    assert done.returncode == 0, done.stderr
    # Said in words, not a raw OSError from closing the file.
    assert done.stdout.startswith("failed: File too large | The journal "), done.stdout
    assert "could not be saved to any file either" in done.stdout
    contents = Journal(tmp_path, "tenant-1").read()
    assert contents.problems == []  # the record is absent, not half there
    [entry] = contents.entries
    assert entry.in_progress and [r["type"] for r in entry.records] == ["begin"]


# -- make-default: the journal records the PATCH's own answer ------------------------------------

def test_make_default_records_the_patch_answer_not_a_later_failed_read(
        sandbox: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The PATCH lands; every read after it fails. The journal must say the PATCH was answered
    (not that Graph refused it), and the entry stays open for reconciliation."""
    from core.graph.client import GraphClient, RetryPolicy
    from core.journal import Journal
    from core.operations import UNKNOWN, OperationContext, make_default
    from session import SandboxTokens

    sb = sandbox
    monkeypatch.setattr("core.operations.state.READ_RETRY_DELAYS_S", (0.0, 0.0))
    client = GraphClient(sb.graph_url, SandboxTokens(sb, "domainadmin@contoso.com",
                                                     extra_scopes=("Domain.ReadWrite.All",)),
                         verify=str(sb.ca_bundle), trust_env=False,
                         policy=RetryPolicy(backoff_base_s=0.01, backoff_max_s=0.05,
                                            max_total_s=10))

    def after_patch(response: Any, *args: Any, **kwargs: Any) -> None:
        if response.request.method == "PATCH":
            sb.set_faults("500:100")  # every request after the PATCH fails

    client.session.hooks["response"].append(after_patch)
    ctx = OperationContext(client, sb.tenant_id, "domainadmin@contoso.com", tmp_path / "journal")
    try:
        result = make_default(ctx, "contoso.onmicrosoft.com", confirm="contoso.onmicrosoft.com")
    finally:
        sb.set_faults(None)
        client.close()
    assert result.outcome == UNKNOWN
    [entry] = Journal(tmp_path / "journal", sb.tenant_id).entries()
    [response] = entry.responses
    assert response["method"] == "PATCH" and response["error"] is None
    assert response["status"] == 204 and response["certain"] is True
    assert entry.in_progress  # the next run re-reads the domain and closes it


# -- settings: a folder that cannot be written is a sentence, not a raw OSError ------------------

def test_saving_the_tenant_settings_where_nothing_can_be_written_is_a_federator_error(
        tmp_path: Path) -> None:
    from core.config import TenantConfig, save_tenant_config
    from core.errors import FederatorError
    from core.paths import Paths

    if not Path("/proc/self").is_dir():
        pytest.skip("needs Linux /proc: a folder that exists, reads as empty, and takes no file")
    paths = Paths(Path("/proc"), tmp_path / "data", tmp_path / "logs", tmp_path / "cache")
    with pytest.raises(FederatorError) as info:
        save_tenant_config(paths, TenantConfig(client_id="x"))
    assert info.value.code == "settings_unwritable"
    assert "cannot save its settings in /proc/settings.json" in info.value.message


# -- browser sign-in: a network failure is a sentence, not a raw requests exception --------------

def test_a_browser_sign_in_whose_token_request_cannot_connect_is_a_sign_in_error(
        sandbox: Any, tmp_path: Path) -> None:
    import re
    import shutil
    import threading

    from core.auth import Authenticator, SignInError, graph_scopes
    from core.clouds import GLOBAL
    from core.graph.client import make_session
    from session import SANDBOX_CLIENT_ID

    ca = shutil.copy(sandbox.ca_bundle, tmp_path / "ca.pem")  # outlives the stopped sandbox
    auth = Authenticator(SANDBOX_CLIENT_ID, scopes=graph_scopes(GLOBAL),
                         oidc_authority=f"{sandbox.login_url}/{sandbox.tenant_id}/v2.0",
                         http_client=make_session(verify=str(ca), trust_env=False))
    browser = make_session(verify=str(ca), trust_env=False)

    def play_browser(auth_uri: str) -> None:
        def run() -> None:
            page = browser.get(auth_uri, timeout=10).text
            action = re.search(r'action="([^"]+)"', page)
            fields = dict(re.findall(r'name="([^"]+)" value="([^"]*)"', page))
            assert action is not None
            sandbox.stop()  # the login service goes away before the code is redeemed
            browser.post(action.group(1).replace("&amp;", "&"), data=fields, timeout=10)
        threading.Thread(target=run, daemon=True).start()

    with pytest.raises(SignInError) as info:
        auth.sign_in_interactive(login_hint="ops@contoso.com", auth_uri_callback=play_browser,
                                 timeout_s=20)
    assert info.value.code == "signin_unreachable"
    assert "could not be reached" in info.value.message

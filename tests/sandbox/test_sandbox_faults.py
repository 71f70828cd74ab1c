"""Fault injection: every kind, exactly as documented in sandbox/faults.py."""

from __future__ import annotations

import threading
import time

import pytest
import requests

from sandbox import FaultSpecError, Sandbox
from tests.plugins.sandbox import sandbox_session


def statuses(session: requests.Session, url: str, n: int) -> list[int]:
    return [session.get(url).status_code for _ in range(n)]


def test_429_for_the_next_n_requests_with_retry_after(
        sandbox: Sandbox, graph_session: requests.Session) -> None:
    sandbox.set_faults("429:2@0.05")
    url = f"{sandbox.graph_url}/domains"
    first = graph_session.get(url)
    assert first.status_code == 429
    assert first.headers["Retry-After"] == "0.05"
    error = first.json()["error"]
    assert error["code"] == "TooManyRequests"
    assert error["message"] == "Please retry again later."
    assert error["innerError"]["request-id"] == first.headers["request-id"]
    assert statuses(graph_session, url, 3) == [429, 200, 200]
    assert [r.status for r in sandbox.request_log] == [429, 429, 200, 200]


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_server_errors_without_retry_after(sandbox: Sandbox, graph_session: requests.Session,
                                           status: int) -> None:
    sandbox.set_faults(f"{status}:1")
    response = graph_session.get(f"{sandbox.graph_url}/domains")
    assert response.status_code == status
    assert "Retry-After" not in response.headers
    assert response.json()["error"]["code"]
    assert graph_session.get(f"{sandbox.graph_url}/domains").status_code == 200


def test_503_with_integer_retry_after(sandbox: Sandbox, graph_session: requests.Session) -> None:
    sandbox.set_faults("503@2")
    response = graph_session.get(f"{sandbox.graph_url}/me")
    assert (response.status_code, response.headers["Retry-After"]) == (503, "2")


def test_share_is_deterministic_for_a_seed(tmp_path: object) -> None:
    def run(seed: int) -> list[int]:
        with Sandbox(seed=seed, faults="503:0.5") as sandbox, \
                sandbox_session(sandbox, sandbox.issue_token()) as session:
            return statuses(session, f"{sandbox.graph_url}/organization", 24)

    first, again, other = run(7), run(7), run(8)
    assert first == again
    assert {200, 503} == set(first)
    assert first != other


def test_faults_apply_in_spec_order_and_counts_are_used_when_fired(
        sandbox: Sandbox, graph_session: requests.Session) -> None:
    sandbox.set_faults("429:1@0.01,503:2")
    assert statuses(graph_session, f"{sandbox.graph_url}/domains", 4) == [429, 503, 503, 200]


def test_drop_closes_without_processing(sandbox: Sandbox,
                                        graph_session: requests.Session) -> None:
    url = f"{sandbox.graph_url}/domains/tailspin.io"
    assert graph_session.get(url).status_code == 200  # a kept-alive connection gets reused
    sandbox.set_faults("drop:1")
    with pytest.raises(requests.ConnectionError):
        graph_session.patch(url, json={"authenticationType": "Managed"})
    assert graph_session.get(url).json()["authenticationType"] == "Federated"
    assert [r.status for r in sandbox.request_log] == [200, 0, 200]


def test_drop_after_processes_the_write(sandbox: Sandbox,
                                        graph_session: requests.Session) -> None:
    sandbox.set_faults("drop-after")
    url = f"{sandbox.graph_url}/domains/tailspin.io"
    with pytest.raises(requests.ConnectionError):
        graph_session.patch(url, json={"authenticationType": "Managed"})
    # The write took effect although the client never saw an answer: re-read, don't repeat.
    assert graph_session.get(url).json()["authenticationType"] == "Managed"


def test_late_drops_the_answer_and_applies_the_write_later(
        sandbox: Sandbox, graph_session: requests.Session) -> None:
    sandbox.set_faults("late:1@0.3")
    url = f"{sandbox.graph_url}/domains/tailspin.io"
    with pytest.raises(requests.ConnectionError):
        graph_session.patch(url, json={"authenticationType": "Managed"})
    # At once the domain is as before: a single read proves nothing about a lost write.
    assert graph_session.get(url).json()["authenticationType"] == "Federated"
    deadline = time.monotonic() + 5
    while graph_session.get(url).json()["authenticationType"] != "Managed":
        assert time.monotonic() < deadline, "the late write never landed"
        time.sleep(0.05)


def test_write_faults_let_reads_through(sandbox: Sandbox,
                                        graph_session: requests.Session) -> None:
    sandbox.set_faults("write:500:2")
    url = f"{sandbox.graph_url}/domains/tailspin.io"
    assert graph_session.get(url).status_code == 200
    assert graph_session.patch(url, json={"authenticationType": "Managed"}).status_code == 500
    assert graph_session.get(url).json()["authenticationType"] == "Federated"
    assert graph_session.patch(url, json={"authenticationType": "Managed"}).status_code == 500
    assert graph_session.patch(url, json={"authenticationType": "Managed"}).status_code == 204


def test_item_faults_hit_batch_items(sandbox: Sandbox, graph_session: requests.Session) -> None:
    sandbox.set_faults("item:429:1@0.2")
    batch = {"requests": [{"id": str(n), "method": "GET", "url": "/domains"} for n in (1, 2, 3)]}
    response = graph_session.post(f"{sandbox.graph_url}/$batch", json=batch)
    assert response.status_code == 200
    items = {r["id"]: r for r in response.json()["responses"]}
    assert items["1"]["status"] == 429
    assert items["1"]["headers"]["Retry-After"] == "0.2"
    assert items["1"]["body"]["error"]["code"] == "TooManyRequests"
    assert items["2"]["status"] == items["3"]["status"] == 200
    # top-level requests are not affected by item faults
    assert graph_session.get(f"{sandbox.graph_url}/domains").status_code == 200


def test_batch_envelope_can_be_throttled(sandbox: Sandbox,
                                         graph_session: requests.Session) -> None:
    sandbox.set_faults("429:1@1")
    batch = {"requests": [{"id": "1", "method": "GET", "url": "/domains"}]}
    assert graph_session.post(f"{sandbox.graph_url}/$batch", json=batch).status_code == 429


def test_latency_base_and_spec(sandbox: Sandbox, graph_session: requests.Session) -> None:
    sandbox.set_latency(120)
    sandbox.set_faults("latency:80")
    started = time.perf_counter()
    assert graph_session.get(f"{sandbox.graph_url}/domains").status_code == 200
    assert time.perf_counter() - started >= 0.2
    assert sandbox.request_log[-1].duration_ms >= 200
    sandbox.set_latency(0)
    sandbox.set_faults(None)
    graph_session.get(f"{sandbox.graph_url}/domains")
    assert sandbox.request_log[-1].duration_ms < 200


def test_expire_token_expires_only_earlier_tokens(sandbox: Sandbox) -> None:
    old = sandbox_session(sandbox, sandbox.issue_token())
    url = f"{sandbox.graph_url}/me"
    assert old.get(url).status_code == 200
    sandbox.set_faults("expire-token")
    response = old.get(url)
    assert response.status_code == 401
    assert response.json()["error"] == {
        **response.json()["error"], "code": "InvalidAuthenticationToken",
        "message": "Lifetime validation failed, the token is expired."}
    fresh = sandbox_session(sandbox, sandbox.issue_token())
    assert fresh.get(url).status_code == 200
    sandbox.set_faults(None)
    assert old.get(url).status_code == 401  # expired for good


def test_login_is_not_faulted(sandbox: Sandbox) -> None:
    sandbox.set_faults("503:5,drop:5")
    with sandbox_session(sandbox) as session:
        discovery = session.get(f"{sandbox.login_url}/{sandbox.tenant_id}/v2.0/.well-known/"
                                "openid-configuration")
        assert discovery.status_code == 200
        realm = session.get(f"{sandbox.login_url}/getuserrealm.srf",
                            params={"login": "ops@contoso.com", "json": "1"})
        assert realm.status_code == 200


def test_stop_does_not_wait_for_a_slow_request(tmp_path: object) -> None:
    sandbox = Sandbox(latency_ms=30_000).start()
    session = sandbox_session(sandbox, sandbox.issue_token())
    outcome: list[object] = []

    def call() -> None:
        try:
            outcome.append(session.get(f"{sandbox.graph_url}/domains", timeout=60).status_code)
        except requests.RequestException as exc:
            outcome.append(exc)

    worker = threading.Thread(target=call)
    worker.start()
    deadline = time.monotonic() + 5
    while not sandbox.request_log and time.monotonic() < deadline and not _in_flight(sandbox):
        time.sleep(0.01)
    started = time.perf_counter()
    sandbox.stop()
    worker.join(10)
    session.close()
    assert time.perf_counter() - started < 5
    assert not worker.is_alive()
    assert isinstance(outcome[0], requests.ConnectionError)
    assert not [t for t in threading.enumerate() if t.name.startswith("sandbox-")]


def _in_flight(sandbox: Sandbox) -> bool:
    server = sandbox._server
    return bool(server and server.active)


@pytest.mark.parametrize("spec", ["bogus", "429:0", "item:drop", "503:1.5", "latency:abc",
                                  "slow:1", "item:slow@1", "drop@1", "429@soon", "429:-1",
                                  "late:1", "item:late:1@1"])
def test_bad_specs_are_refused(sandbox: Sandbox, spec: str) -> None:
    with pytest.raises(FaultSpecError):
        sandbox.set_faults(spec)


def test_spec_with_spaces_and_case(sandbox: Sandbox, graph_session: requests.Session) -> None:
    sandbox.set_faults(" 429 : 1 @ 0.01 , Expire-Token ")
    # faults come before authentication, as throttling does at Graph's front door
    assert statuses(graph_session, f"{sandbox.graph_url}/domains", 2) == [429, 401]


def test_slow_request_times_out_once(sandbox: Sandbox, graph_session: requests.Session) -> None:
    sandbox.set_faults("slow:1@1.5")
    url = f"{sandbox.graph_url}/domains"
    started = time.perf_counter()
    with pytest.raises(requests.exceptions.ReadTimeout):
        graph_session.get(url, timeout=0.3)
    assert time.perf_counter() - started < 1.4
    assert graph_session.get(url, timeout=5).status_code == 200


def test_share_count_is_deterministic_under_concurrency() -> None:
    """The k-th request to arrive gets the k-th draw: with parallel clients the order changes,
    the number of faults does not."""
    from concurrent.futures import ThreadPoolExecutor

    def run(parallel: int) -> int:
        with Sandbox(seed=11, faults="503:0.3") as sandbox:
            token = sandbox.issue_token()

            def worker(_: int) -> list[int]:
                with sandbox_session(sandbox, token) as session:
                    return statuses(session, f"{sandbox.graph_url}/organization", 10)

            with ThreadPoolExecutor(parallel) as pool:
                results = [s for chunk in pool.map(worker, range(6)) for s in chunk]
            assert len(sandbox.request_log) == 60
            return results.count(503)

    assert run(1) == run(6) > 0

"""The Graph client over real HTTPS against the sandbox: retries, Retry-After, backoff bounds,
uncertain writes, token refresh, timeouts, paging, $batch and error mapping under every fault the
sandbox injects. No HTTP mocks; ``sleep`` is recorded (not slept) except where a real wait is the
point of the test."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from core.graph import api
from core.graph.client import GraphClient, RetryPolicy
from core.graph.errors import (
    AuthenticationError,
    BadRequestError,
    ConflictError,
    GraphConnectionError,
    NotFoundError,
    PermissionDeniedError,
    ServerError,
    ThrottledError,
    UncertainWriteError,
)
from session import SandboxTokens

FABRIKAM_SETTINGS = {
    "displayName": "Fabrikam IdP",
    "issuerUri": "https://idp.fabrikam.example/saml",
    "passiveSignInUri": "https://idp.fabrikam.example/sso",
    "signOutUri": "https://idp.fabrikam.example/slo",
    "preferredAuthenticationProtocol": "saml",
}


class Clock:
    """Fake time for retry bounds: ``sleep`` records and advances instead of waiting."""

    def __init__(self) -> None:
        self.slept: list[float] = []
        self.offset = 0.0

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.offset += seconds

    def now(self) -> float:
        return time.monotonic() + self.offset


class CountingTokens:
    """Counts how often the client asks for a token, and for a forced refresh."""

    def __init__(self, inner: Callable[..., str]) -> None:
        self.inner = inner
        self.calls = 0
        self.forced = 0

    def __call__(self, *, force_refresh: bool = False) -> str:
        self.calls += 1
        self.forced += force_refresh
        return self.inner(force_refresh=force_refresh)


def make_client(sandbox: Any, clock: Clock | None = None, *, upn: str = "ops@contoso.com",
                tokens: Any = None, **policy: Any) -> GraphClient:
    clock = clock or Clock()
    return GraphClient(sandbox.graph_url, tokens or SandboxTokens(sandbox, upn),
                       verify=str(sandbox.ca_bundle), trust_env=False,
                       policy=RetryPolicy(**policy), sleep=clock.sleep, clock=clock.now)


def graph_calls(sandbox: Any, method: str, fragment: str, *,
                expect: int | None = None) -> list[Any]:
    """The sandbox's log records for matching requests. The sandbox appends a record after it
    has written the response, so the last one can lag the client: with ``expect``, poll (with a
    deadline) until that many are there."""
    deadline = time.monotonic() + 3
    while True:
        calls = [r for r in sandbox.request_log if r.method == method and fragment in r.path]
        if expect is None or len(calls) >= expect or time.monotonic() > deadline:
            return calls
        time.sleep(0.002)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def signing_certificate(sandbox: Any) -> str:
    from sandbox.seed import tailspin_certificate

    return tailspin_certificate(7)  # any valid certificate will do


# -- throttling and transient errors --------------------------------------------------------------

def test_429_with_fractional_retry_after_is_waited_exactly(sandbox: Any, clock: Clock) -> None:
    sandbox.set_faults("429:2@1.5")
    domains = api.list_domains(make_client(sandbox, clock))
    assert "contoso.com" in {d["id"] for d in domains}
    assert clock.slept == [1.5, 1.5]
    assert [r.status for r in graph_calls(sandbox, "GET", "/domains", expect=3)] \
        == [429, 429, 200]


def test_a_real_retry_after_of_a_fifth_of_a_second_is_waited(sandbox: Any) -> None:
    sandbox.set_faults("429:1@0.2")
    client = GraphClient(sandbox.graph_url, SandboxTokens(sandbox, "ops@contoso.com"),
                         verify=str(sandbox.ca_bundle), trust_env=False)
    began = time.monotonic()
    api.get_domain(client, "contoso.com")
    elapsed = time.monotonic() - began
    assert 0.2 <= elapsed < 2.0


@pytest.mark.parametrize("status", [503, 504, 502, 500])
def test_transient_server_errors_on_reads_back_off_exponentially_with_jitter(
        sandbox: Any, clock: Clock, status: int) -> None:
    sandbox.set_faults(f"{status}:3")
    api.get_domain(make_client(sandbox, clock, backoff_base_s=0.5), "contoso.com")
    assert len(clock.slept) == 3
    for attempt, waited in enumerate(clock.slept, start=1):
        ceiling = 0.5 * 2 ** (attempt - 1)
        assert ceiling / 2 <= waited <= ceiling


def test_retries_stop_after_max_attempts(sandbox: Any, clock: Clock) -> None:
    sandbox.set_faults("503:10")
    with pytest.raises(ServerError) as info:
        api.get_domain(make_client(sandbox, clock, max_attempts=4), "contoso.com")
    assert info.value.status == 503
    assert len(graph_calls(sandbox, "GET", "/domains/contoso.com", expect=4)) == 4
    assert len(clock.slept) == 3


def test_retries_stop_within_the_total_time_budget(sandbox: Any, clock: Clock) -> None:
    sandbox.set_faults("429:1.0@3")  # every request throttled, 3 s each
    with pytest.raises(ThrottledError) as info:
        api.list_domains(make_client(sandbox, clock, max_attempts=100, max_total_s=10))
    assert sum(clock.slept) <= 10
    assert clock.slept == [3.0, 3.0, 3.0]
    assert info.value.retry_after == 3.0
    assert "throttling" in info.value.message


def test_a_retry_after_longer_than_the_budget_is_not_waited(sandbox: Any, clock: Clock) -> None:
    sandbox.set_faults("429:1@120")
    with pytest.raises(ThrottledError) as info:
        api.list_domains(make_client(sandbox, clock, max_total_s=30))
    assert clock.slept == []
    assert "wait 120 seconds" in (info.value.remedy or "")


def test_a_500_on_a_read_is_retried_with_backoff(sandbox: Any, clock: Clock) -> None:
    sandbox.set_faults("500:1")
    assert "contoso.com" in {d["id"] for d in api.list_domains(make_client(sandbox, clock))}
    assert len(clock.slept) == 1
    assert [r.status for r in graph_calls(sandbox, "GET", "/domains", expect=2)] == [500, 200]


def test_a_500_on_every_read_gives_up_within_the_bounds(sandbox: Any, clock: Clock) -> None:
    sandbox.set_faults("500:10")
    with pytest.raises(ServerError) as info:
        api.list_domains(make_client(sandbox, clock, max_attempts=3))
    assert info.value.status == 500 and len(clock.slept) == 2


def test_dropped_connections_on_reads_are_retried(sandbox: Any, clock: Clock) -> None:
    sandbox.set_faults("drop:2")
    assert api.get_domain(make_client(sandbox, clock), "tailspin.io")["authenticationType"] \
        == "Federated"
    assert len(clock.slept) == 2


def test_reads_that_never_connect_give_up_with_a_readable_error(clock: Clock) -> None:
    import socket

    with socket.socket() as probe:  # a loopback port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = GraphClient(f"https://127.0.0.1:{port}/v1.0", lambda **_: "t", trust_env=False,
                         policy=RetryPolicy(max_attempts=3), sleep=clock.sleep, clock=clock.now)
    with pytest.raises(GraphConnectionError) as info:
        client.get("/domains")
    assert len(clock.slept) == 2
    assert "could not be reached" in info.value.message


def test_read_timeouts_are_retried_and_bounded(sandbox: Any) -> None:
    sandbox.set_latency(400)
    client = GraphClient(sandbox.graph_url, SandboxTokens(sandbox, "ops@contoso.com"),
                         verify=str(sandbox.ca_bundle), trust_env=False,
                         policy=RetryPolicy(max_attempts=3, read_timeout_s=0.1,
                                            backoff_base_s=0.02))
    began = time.monotonic()
    with pytest.raises(GraphConnectionError) as info:
        client.get("/domains")
    assert time.monotonic() - began < 2.0
    assert "in time" in info.value.message


# -- writes are never blindly repeated ------------------------------------------------------------

def test_a_write_dropped_after_processing_is_uncertain_and_sent_once(
        sandbox: Any, clock: Clock, signing_certificate: str) -> None:
    client = make_client(sandbox, clock)
    sandbox.set_faults("drop-after:1")
    with pytest.raises(UncertainWriteError) as info:
        api.create_federation_configuration(
            client, "fabrikam.com",
            {**FABRIKAM_SETTINGS, "signingCertificate": signing_certificate})
    assert info.value.method == "POST" and "re-read" in (info.value.remedy or "")
    assert len(graph_calls(sandbox, "POST", "/federationConfiguration", expect=1)) == 1
    assert clock.slept == []
    # The caller re-reads: the write did take effect, exactly once.
    config = api.find_federation_configuration(client, "fabrikam.com")
    assert config is not None and config["issuerUri"] == FABRIKAM_SETTINGS["issuerUri"]


def test_a_dropped_write_is_uncertain_and_not_repeated(sandbox: Any, clock: Clock) -> None:
    client = make_client(sandbox, clock)
    sandbox.set_faults("drop:1")
    with pytest.raises(UncertainWriteError):
        api.update_domain(client, "fabrikam.com", {"passwordValidityPeriodInDays": 365})
    assert len(graph_calls(sandbox, "PATCH", "/domains/fabrikam.com", expect=1)) == 1


@pytest.mark.parametrize("spec", ["500:1", "502:1", "504:1", "503:1"])
def test_server_errors_on_writes_are_uncertain_and_not_repeated(
        sandbox: Any, clock: Clock, spec: str) -> None:
    client = make_client(sandbox, clock)
    sandbox.set_faults(spec)
    with pytest.raises(UncertainWriteError) as info:
        api.update_domain(client, "fabrikam.com", {"passwordValidityPeriodInDays": 365})
    assert info.value.status == int(spec.split(":")[0])
    assert len(graph_calls(sandbox, "PATCH", "/domains/fabrikam.com", expect=1)) == 1
    assert clock.slept == []


@pytest.mark.parametrize("spec", ["429:2@0.25", "503:1@0.25"])
def test_writes_the_server_refused_before_acting_are_retried(
        sandbox: Any, clock: Clock, spec: str, signing_certificate: str) -> None:
    client = make_client(sandbox, clock)
    sandbox.set_faults(spec)
    created = api.create_federation_configuration(
        client, "fabrikam.com", {**FABRIKAM_SETTINGS, "signingCertificate": signing_certificate})
    assert created["issuerUri"] == FABRIKAM_SETTINGS["issuerUri"]
    assert all(s == 0.25 for s in clock.slept) and clock.slept
    assert api.get_domain(client, "fabrikam.com")["authenticationType"] == "Federated"


def test_a_write_timeout_is_uncertain(sandbox: Any) -> None:
    sandbox.set_latency(400)
    client = GraphClient(sandbox.graph_url, SandboxTokens(sandbox, "ops@contoso.com"),
                         verify=str(sandbox.ca_bundle), trust_env=False,
                         policy=RetryPolicy(read_timeout_s=0.1))
    with pytest.raises(UncertainWriteError) as info:
        api.update_domain(client, "fabrikam.com", {"passwordValidityPeriodInDays": 365})
    assert "no answer in time" in info.value.message


# -- tokens ---------------------------------------------------------------------------------------

def test_an_expired_token_is_refreshed_once_and_the_request_retried(
        sandbox: Any, clock: Clock) -> None:
    tokens = CountingTokens(SandboxTokens(sandbox, "ops@contoso.com"))
    client = make_client(sandbox, clock, tokens=tokens)
    api.get_domain(client, "contoso.com")
    sandbox.set_faults("expire-token")
    assert api.get_domain(client, "contoso.com")["isDefault"] is True
    assert tokens.forced == 1
    assert [r.status for r in graph_calls(sandbox, "GET", "/domains/contoso.com",
                                             expect=3)] == [200, 401, 200]


def test_a_token_that_stays_invalid_fails_after_one_refresh(sandbox: Any, clock: Clock) -> None:
    tokens = CountingTokens(lambda **_: "not-a-token")
    with pytest.raises(AuthenticationError) as info:
        api.list_domains(make_client(sandbox, clock, tokens=tokens))
    assert tokens.forced == 1
    assert len(graph_calls(sandbox, "GET", "/domains", expect=2)) == 2
    assert info.value.graph_code == "InvalidAuthenticationToken"
    assert "not-a-token" not in info.value.message


def test_the_token_provider_is_asked_on_every_request(sandbox: Any, clock: Clock) -> None:
    tokens = CountingTokens(SandboxTokens(sandbox, "ops@contoso.com"))
    client = make_client(sandbox, clock, tokens=tokens)
    for _ in range(3):
        api.get_domain(client, "contoso.com")
    assert tokens.calls == 3


# -- paging and batch -----------------------------------------------------------------------------

def test_paging_follows_next_links_to_the_end(sandbox: Any, clock: Clock) -> None:
    page = api.users_in_domain(make_client(sandbox, clock), "fabrikam.com", page_size=7)
    assert page.count == 40 and len(page.users) == 40
    assert len({u["id"] for u in page.users}) == 40
    assert sum(1 for u in page.users if u.get("onPremisesImmutableId")) == 37
    assert len(graph_calls(sandbox, "GET", "/users", expect=6)) == 6


def test_paging_survives_throttling_mid_way(sandbox: Any, clock: Clock) -> None:
    client = make_client(sandbox, clock)
    first = api.users_in_domain(client, "fabrikam.com", page_size=10)
    sandbox.set_faults("429:1@0.1,503:1")
    again = api.users_in_domain(client, "fabrikam.com", page_size=10)
    assert [u["id"] for u in again.users] == [u["id"] for u in first.users]
    assert len(clock.slept) == 2


def test_batch_splits_into_twenties_and_keeps_request_order(sandbox: Any, clock: Clock) -> None:
    names = ["contoso.com", "fabrikam.com", "tailspin.io", "sales.fabrikam.com",
             "contoso.onmicrosoft.com"] * 5
    results = api.batch(make_client(sandbox, clock),
                        [api.get_request(f"/domains/{n}") for n in names])
    assert [r.body["id"] for r in results] == names
    assert all(r.ok for r in results)
    assert len(graph_calls(sandbox, "POST", "/$batch", expect=2)) == 2


def test_batch_items_throttled_are_retried_after_their_retry_after(
        sandbox: Any, clock: Clock) -> None:
    sandbox.set_faults("item:429:2@0.3")
    results = api.batch(make_client(sandbox, clock),
                        [api.get_request("/domains/contoso.com"),
                         api.get_request("/domains/tailspin.io"),
                         api.get_request("/organization")])
    assert [r.status for r in results] == [200, 200, 200]
    assert clock.slept == [0.3]
    assert len(graph_calls(sandbox, "POST", "/$batch", expect=2)) == 2


@pytest.mark.parametrize(("spec", "retried"), [("item:503:1", True), ("item:504:1", True),
                                               ("item:500:1", True), ("item:502:1", True)])
def test_batch_item_server_errors(sandbox: Any, clock: Clock, spec: str, retried: bool) -> None:
    sandbox.set_faults(spec)
    (result,) = api.batch(make_client(sandbox, clock), [api.get_request("/domains/contoso.com")])
    assert result.ok is retried
    if not retried:
        assert isinstance(result.error(), ServerError)
        assert result.status == int(spec.split(":")[1])
    assert len(clock.slept) == (1 if retried else 0)


def test_a_storm_of_random_faults_is_ridden_out_within_bounds(sandbox: Any,
                                                              clock: Clock) -> None:
    """Shares drawn from the sandbox's seeded dice: deterministic, and every read succeeds."""
    sandbox.set_faults("429:0.3@0.05,503:0.2,drop:0.1")
    client = make_client(sandbox, clock, max_attempts=8)
    for _ in range(15):
        assert api.get_domain(client, "contoso.com")["isDefault"] is True
    deadline = time.monotonic() + 3
    while True:  # the last record can lag the answer (see graph_calls)
        statuses = [r.status for r in graph_calls(sandbox, "GET", "/domains/contoso.com")]
        if statuses.count(200) >= 15 or time.monotonic() > deadline:
            break
    assert statuses.count(200) == 15 and len(statuses) > 15
    assert all(s <= RetryPolicy().backoff_max_s for s in clock.slept)


def test_batch_items_report_their_own_errors(sandbox: Any, clock: Clock) -> None:
    ok, missing = api.batch(make_client(sandbox, clock), [
        api.federation_configuration_request("tailspin.io"),
        api.federation_configuration_request("contoso.com")])
    assert ok.ok and ok.body["value"][0]["issuerUri"]
    assert missing.status == 404
    assert isinstance(missing.error(), NotFoundError)
    with pytest.raises(NotFoundError):
        missing.raise_for_status()


def test_a_throttled_batch_envelope_is_retried(sandbox: Any, clock: Clock) -> None:
    sandbox.set_faults("429:1@0.4")
    results = api.batch(make_client(sandbox, clock), [api.get_request("/domains")])
    assert results[0].ok and clock.slept == [0.4]


# -- Graph's errors, typed ------------------------------------------------------------------------

def test_missing_role_is_permission_denied_with_request_id(
        sandbox: Any, clock: Clock, signing_certificate: str) -> None:
    client = make_client(sandbox, clock, upn="reader@contoso.com")
    with pytest.raises(PermissionDeniedError) as info:
        api.create_federation_configuration(
            client, "fabrikam.com",
            {**FABRIKAM_SETTINGS, "signingCertificate": signing_certificate})
    err = info.value
    assert err.status == 403 and err.graph_code == "Authorization_RequestDenied"
    assert err.raw_message == "Insufficient privileges to complete the operation."
    assert err.request_id and "role" in err.explanation
    assert err.code == "graph_permission_denied"


def test_duplicate_issuer_is_a_conflict(sandbox: Any, clock: Clock,
                                        signing_certificate: str) -> None:
    client = make_client(sandbox, clock)
    taken = api.find_federation_configuration(client, "tailspin.io")
    assert taken is not None
    with pytest.raises(ConflictError) as info:
        api.create_federation_configuration(
            client, "fabrikam.com", {**FABRIKAM_SETTINGS, "issuerUri": taken["issuerUri"],
                                     "signingCertificate": signing_certificate})
    assert info.value.graph_code == "Request_MultipleObjectsWithSameKeyValue"
    assert "issuer" in info.value.explanation


def test_unknown_domain_is_not_found(sandbox: Any, clock: Clock) -> None:
    with pytest.raises(NotFoundError) as info:
        api.get_domain(make_client(sandbox, clock), "nowhere.example")
    assert info.value.status == 404


def test_advanced_query_without_consistency_level_is_an_unsupported_query(
        sandbox: Any, clock: Clock) -> None:
    client = make_client(sandbox, clock)
    with pytest.raises(BadRequestError) as info:
        client.get("/users", params={"$filter": "endswith(userPrincipalName,'@fabrikam.com')"})
    assert info.value.graph_code == "Request_UnsupportedQuery"


def test_managed_to_federated_by_patch_is_refused_in_microsofts_words(
        sandbox: Any, clock: Clock) -> None:
    with pytest.raises(BadRequestError) as info:
        api.update_domain(make_client(sandbox, clock), "fabrikam.com",
                          {"authenticationType": "Federated"})
    assert "Changing authenticationType from Managed to Federated is currently not supported" \
        in info.value.raw_message


def test_links_to_another_host_are_not_followed(sandbox: Any, clock: Clock) -> None:
    from core.graph.errors import GraphError

    with pytest.raises(GraphError):
        make_client(sandbox, clock).get("https://evil.example/v1.0/domains")
    assert not graph_calls(sandbox, "GET", "/domains")


def test_threads_sharing_a_client_share_one_session(sandbox: Any) -> None:
    """The desktop app's workers share one client: its connection pool is made once, not once
    per thread that happened to ask first (a leaked pool each time)."""
    import threading

    client = make_client(sandbox)
    start = threading.Barrier(8)
    seen: list[int] = []

    def grab() -> None:
        start.wait()
        seen.append(id(client.session))

    threads = [threading.Thread(target=grab) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    client.close()
    assert len(seen) == 8 and len(set(seen)) == 1

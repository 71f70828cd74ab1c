"""Status: Graph's view beside realm discovery's, and waiting (with backoff) until they agree."""

from __future__ import annotations

import base64
from collections.abc import Iterator

import pytest

from core.graph.client import GraphClient, RetryPolicy
from core.operations import OperationEvent
from core.status import StatusReader, describe_status, wait_until_agree
from sandbox import Sandbox
from session import SandboxTokens
from tests import factories


@pytest.fixture
def reader(sandbox: Sandbox) -> Iterator[StatusReader]:
    client = GraphClient(sandbox.graph_url, SandboxTokens(sandbox, "ops@contoso.com"),
                         verify=str(sandbox.ca_bundle), trust_env=False,
                         policy=RetryPolicy(backoff_base_s=0.01, backoff_max_s=0.05))
    status = StatusReader(client, sandbox.tenant_id, sandbox.login_url,
                          verify=str(sandbox.ca_bundle), trust_env=False)
    yield status
    status.close()
    client.close()


def _revert_tailspin(reader: StatusReader) -> None:
    reader.client.request("PATCH", "/domains/tailspin.io", json={"authenticationType": "Managed"})


def test_federated_domain_shows_both_views_agreeing(reader: StatusReader) -> None:
    status = reader.read("tailspin.io")
    assert status.graph_type == "Federated"
    assert status.realm.namespace_type == "Federated"
    assert status.realm.auth_url and status.realm.auth_url.startswith(
        status.graph.federation["passiveSignInUri"])
    assert status.agree
    text = "\n".join(describe_status(status))
    assert "NameSpaceType Federated" in text and "yes" in text


def test_a_change_is_seen_by_graph_before_sign_in(sandbox: Sandbox,
                                                  reader: StatusReader) -> None:
    sandbox.set_propagation(3600)
    _revert_tailspin(reader)
    status = reader.read("tailspin.io")
    assert status.graph_type == "Managed" and status.realm.namespace_type == "Federated"
    assert not status.agree
    assert status.disagreement == "Graph says Managed, sign-in still says Federated"
    assert status.to_json()["agree"] is False and status.to_json()["propagated"] is False
    assert "NOT YET: Graph says Managed" in "\n".join(describe_status(status))


def test_wait_polls_until_sign_in_catches_up(sandbox: Sandbox, reader: StatusReader) -> None:
    sandbox.set_propagation(0.6)
    _revert_tailspin(reader)
    events: list[OperationEvent] = []
    status = wait_until_agree(lambda: reader.read("tailspin.io"), timeout_s=20,
                              on_event=events.append, first_delay_s=0.1)
    assert status.agree and status.realm.namespace_type == "Managed"
    assert events[-1].status == "ok" and len(events) >= 2
    assert all(e.step == "wait" for e in events)


def test_wait_gives_up_at_the_timeout_with_the_last_view(sandbox: Sandbox,
                                                         reader: StatusReader) -> None:
    sandbox.set_propagation(3600)
    _revert_tailspin(reader)
    events: list[OperationEvent] = []
    status = wait_until_agree(lambda: reader.read("tailspin.io"), timeout_s=0.3,
                              on_event=events.append, first_delay_s=0.1)
    assert not status.agree
    assert events[-1].status == "failed" and "Gave up" in events[-1].message


def test_wait_backs_off_and_is_bounded(reader: StatusReader, sandbox: Sandbox) -> None:
    sandbox.set_propagation(3600)
    _revert_tailspin(reader)
    now = [0.0]
    sleeps: list[float] = []

    def fake_sleep(seconds: float) -> None:
        sleeps.append(seconds)
        now[0] += seconds

    status = wait_until_agree(lambda: reader.read("tailspin.io"), timeout_s=100,
                              sleep=fake_sleep, clock=lambda: now[0], first_delay_s=1.0,
                              max_delay_s=10.0)
    assert not status.agree
    assert sleeps[:4] == [1.0, 1.5, 2.25, 3.375]
    assert max(sleeps) <= 10.0 and sum(sleeps) == pytest.approx(100.0)


def test_half_federated_domain_is_reported_as_such(reader: StatusReader) -> None:
    from core.graph.errors import UncertainWriteError

    with pytest.raises(UncertainWriteError):
        reader.client.request("POST", "/domains/fabrikam.com/federationConfiguration",
                              json={"issuerUri": "https://half.example.com",
                                    "passiveSignInUri": "https://half.example.com/sso",
                                    "preferredAuthenticationProtocol": "saml"})
    status = reader.read("fabrikam.com")
    assert not status.graph.readable
    assert "half-federated" in "\n".join(describe_status(status))


def test_unreachable_realm_discovery_is_a_disagreement_not_a_crash(sandbox: Sandbox,
                                                                    reader: StatusReader) -> None:
    broken = StatusReader(reader.client, sandbox.tenant_id, "https://127.0.0.1:9",
                          verify=str(sandbox.ca_bundle), trust_env=False, timeout_s=2)
    try:
        status = broken.read("tailspin.io")
    finally:
        broken.close()
    assert status.realm.error and not status.agree
    assert "could not be asked" in (status.disagreement or "")
    # Not "not yet propagated": nobody knows; the JSON says so with null.
    assert status.to_json()["propagated"] is None
    assert "Propagated:                 unknown" in "\n".join(describe_status(status))


def test_a_subdomain_of_a_federated_root_is_shown_as_following_it(sandbox: Sandbox,
                                                                 reader: StatusReader) -> None:
    assert reader.read("sales.fabrikam.com").graph_type == "Managed"
    sandbox.set_propagation(0)
    reader.client.request("POST", "/domains/fabrikam.com/federationConfiguration", json={
        "issuerUri": "https://idp.example.com/x", "passiveSignInUri": "https://idp.example.com/s",
        "preferredAuthenticationProtocol": "saml",
        "signingCertificate": base64.b64encode(factories.cert().der).decode()})
    status = reader.read("sales.fabrikam.com")
    assert status.graph_type == "Federated" and status.graph.readable
    assert "follows its root domain" in "\n".join(describe_status(status))


def test_an_unverified_domain_is_not_waited_for(reader: StatusReader) -> None:
    status = reader.read("example-unverified.com")
    assert status.realm.namespace_type == "Unknown"  # no tenant claims it yet (reference §5.1)
    assert status.agree and status.to_json()["propagated"] is None
    assert "does not apply: the domain is not verified" in "\n".join(describe_status(status))

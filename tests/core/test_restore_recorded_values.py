"""Restore judges a snapshot's recorded issuer and URLs as metadata is judged: a journal is a file
anyone with write access to the admin's home can edit, so what it holds is never re-trusted."""

from __future__ import annotations

import base64

import pytest

from core.journal import Snapshot
from core.operations.way_back import restore_problems, way_back_to
from tests import factories


def _snapshot(**federation: str) -> Snapshot:
    fed = {"issuerUri": factories.ENTITY, "passiveSignInUri": factories.SSO,
           "signOutUri": factories.SLO,
           "signingCertificate": base64.b64encode(factories.cert().der).decode(),
           **federation}
    return Snapshot("5eed0000-before", "tenant", "fabrikam.com", "2026-01-01T00:00:00Z",
                    {"id": "fabrikam.com", "authenticationType": "Federated"}, fed)


def test_a_snapshot_as_federate_records_it_is_restorable() -> None:
    assert restore_problems(_snapshot()) == []


@pytest.mark.parametrize(("field", "value", "words"), [
    ("passiveSignInUri", "https://127.0.0.1/saml/sso", "loopback"),
    ("passiveSignInUri", "https://169.254.169.254/sso", "link-local"),
    ("passiveSignInUri", "https://xn--pple-43d.com/sso", "look-alike"),  # Cyrillic а in apple
    ("signOutUri", "https://xn--pple-43d.com/slo", "look-alike"),
    ("issuerUri", "https://idp.example.com/saml\u202e/metadata", "\\u202e"),
    ("passiveSignInUri", "https://idp.example.com/sso\x1b[2J", "\\x1b"),
])
def test_a_snapshot_edited_to_hold_what_metadata_is_refused_for_is_not_restorable(
        field: str, value: str, words: str) -> None:
    snap = _snapshot(**{field: value})
    problems = restore_problems(snap)
    assert any(words in p for p in problems), problems
    # The way back of a change never points at such a snapshot.
    way_back, note = way_back_to(snap)
    assert way_back is not None and way_back.startswith("Federate fabrikam.com again")
    assert "restore refuses it" in note


def test_a_private_network_host_the_admin_accepted_stays_restorable() -> None:
    assert restore_problems(_snapshot(passiveSignInUri="https://10.0.0.5/sso")) == []

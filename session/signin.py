"""Test sign-in and the sign-in doctor as the faces reach them: the sandbox's side through here.

A test sign-in runs end to end only in the sandbox (Federator cannot sign in as a real user);
against a real tenant it gives the manual steps (``core.signin.manual``). The doctor reads the
tenant through Graph, read-only, whichever tenant the session talks to.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from core.errors import InputError
from core.signin.doctor import DoctorReport, diagnose
from core.signin.gather import graph_user, graph_user_lookup, realms_from_graph
from core.signin.judge import DirectoryUser
from core.signin.trip import TripResult

if TYPE_CHECKING:
    from pathlib import Path

    from core.paths import Paths
    from core.tenant import TenantSession
    from sandbox import Sandbox

ENV_SIGNIN = "FEDERATOR_SANDBOX_SIGNIN"


def _sandbox(session: TenantSession) -> Sandbox | None:
    from sandbox import Sandbox

    sandbox = session.sandbox
    return sandbox if isinstance(sandbox, Sandbox) else None


def defects() -> dict[str, str]:
    from sandbox.sample_idp import DEFECTS

    return dict(DEFECTS)


def run_test_signin(session: TenantSession, upn: str, *, defect: str | None = None
                    ) -> TripResult:
    """The sandbox's round trip for ``upn`` (``InputError`` against a real tenant)."""
    from sandbox.test_signin import run

    sandbox = _sandbox(session)
    if sandbox is None:
        raise InputError("Federator can run a test sign-in end to end only in the sandbox.",
                         code="test_signin_real_tenant",
                         remedy="Follow the steps shown, then run federator doctor on what you "
                                "captured.")
    if defect is not None and defect not in defects():
        raise InputError(f"'{defect}' is not a defect the sample IdP knows",
                         remedy="Use one of: " + ", ".join(defects()))
    return run(sandbox, upn, defect=defect)


def lookup_user(session: TenantSession, upn: str) -> DirectoryUser | None:
    return graph_user(session.client, upn)


def run_doctor(session: TenantSession, response: bytes | str | None, error_text: str | None,
               *, upn: str | None = None, domain: str | None = None,
               now: dt.datetime | None = None) -> DoctorReport:
    """Judge a captured response / explain an error text against the tenant's configuration."""
    from core.signin.decode import decode
    from core.signin.response import parse

    if response is not None:
        parse(decode(response).xml)  # unusable input fails before any Graph call
    realms = realms_from_graph(session.client)
    expected = graph_user(session.client, upn) if upn else None
    return diagnose(response, error_text, realms, graph_user_lookup(session.client),
                    now=now or dt.datetime.now(dt.UTC), expected=expected, domain=domain)


def sample_idp_metadata(paths: Paths) -> bytes:
    """The sandbox's sample IdP metadata, as its URL serves it (its keys stay in the sandbox
    folder)."""
    from sandbox.sample_idp import metadata

    paths.ensure()
    return metadata(paths.sandbox_dir)


def sample_idp_metadata_file(paths: Paths) -> Path:
    """The file the sandbox's sample IdP keeps its metadata in (made on first use): a source
    the health watch can read again, like an admin's metadata file, and that follows the IdP's
    certificate rotation (``federator sandbox idp-rotate``)."""
    from sandbox.sample_idp import SampleIdp

    paths.ensure()
    return SampleIdp.of(paths.sandbox_dir).ensure().metadata_file


def sample_idp_response(session: TenantSession, upn: str, *, defect: str | None = None,
                        domain: str | None = None) -> str:
    """A base64 SAMLResponse as the sample IdP would post it for ``upn``."""
    from sandbox.entra_signin import directory_user, realms
    from sandbox.sample_idp import ENTITY_ID, Subject, build_response, encode

    sandbox = _sandbox(session)
    if sandbox is None:
        raise InputError("The sample IdP exists only in the sandbox.", remedy="Add --sandbox.")
    if defect is not None and defect not in defects():
        raise InputError(f"'{defect}' is not a defect the sample IdP knows",
                         remedy="Use one of: " + ", ".join(defects()))
    user = directory_user(sandbox.store, upn)
    if user is None:
        raise InputError(f"The sandbox tenant has no user {upn}.")
    issuer = ENTITY_ID
    if domain:
        realm = next((r for r in realms(sandbox.store) if r.domain == domain.lower()), None)
        if realm is None:
            raise InputError(f"{domain} is not federated in the sandbox.")
        issuer = realm.issuer_uri
    xml = build_response(sandbox.sample_idp(), Subject(user.upn, user.immutable_id),
                         defect=defect, issuer=issuer)
    return encode(xml)

"""Graph error bodies become typed errors an admin can read; Retry-After is read the way Graph
sends it. Pure functions: the over-the-wire mapping is in test_graph_client.py."""

from __future__ import annotations

import pytest

from core.graph.client import parse_retry_after
from core.graph.errors import (
    AuthenticationError,
    BadRequestError,
    ConflictError,
    GraphError,
    NotFoundError,
    PermissionDeniedError,
    ServerError,
    ThrottledError,
    UncertainWriteError,
    error_from_response,
)


def body(code: str, message: str) -> dict[str, object]:
    return {"error": {"code": code, "message": message,
                      "innerError": {"date": "2026-01-01T10:00:00", "request-id": "rid-1",
                                     "client-request-id": "crid-1"}}}


@pytest.mark.parametrize(("status", "code", "cls", "words"), [
    (403, "Authorization_RequestDenied", PermissionDeniedError, "lacks the role"),
    (409, "Request_MultipleObjectsWithSameKeyValue", ConflictError, "issuer URI"),
    (400, "Request_BadRequest", BadRequestError, "invalid"),
    (404, "Request_ResourceNotFound", NotFoundError, "could not find"),
    (400, "Request_UnsupportedQuery", BadRequestError, "does not support this query"),
    (401, "InvalidAuthenticationToken", AuthenticationError, "token was refused"),
    (429, "TooManyRequests", ThrottledError, "throttling"),
    (500, "UnknownError", ServerError, "internal error"),
])
def test_each_code_admins_meet_has_a_type_and_a_plain_explanation(
        status: int, code: str, cls: type[GraphError], words: str) -> None:
    err = error_from_response(status, body(code, "Raw developer text."), method="GET",
                              path="/domains/x")
    assert type(err) is cls
    assert err.status == status and err.graph_code == code
    assert words in err.explanation
    assert err.raw_message == "Raw developer text."  # kept for support
    assert err.request_id == "rid-1" and err.date == "2026-01-01T10:00:00"
    assert err.explanation in err.message and "Raw developer text." in err.message
    assert err.to_json()["request_id"] == "rid-1"


def test_request_id_falls_back_to_the_response_header_and_odd_bodies_do_not_crash() -> None:
    err = error_from_response(502, "<html>bad gateway</html>", {"request-id": "hdr-7"})
    assert isinstance(err, ServerError)
    assert err.request_id == "hdr-7" and err.graph_code is None
    assert "gateway" in err.explanation


def test_uncertain_write_tells_the_admin_what_happens_next() -> None:
    err = UncertainWriteError(method="POST", path="/domains/a.com/federationConfiguration",
                              reason="connection dropped")
    assert "not known whether Microsoft applied" in err.message
    assert err.remedy and "re-reads" in err.remedy
    assert isinstance(err, GraphError)


@pytest.mark.parametrize(("header", "seconds"), [
    ("2", 2.0), ("2.128", 2.128), ("0.05", 0.05), (" 10 ", 10.0), ("-3", 0.0),
    (None, None), ("soon", None),
])
def test_retry_after_integer_or_fractional_seconds(header: str | None,
                                                   seconds: float | None) -> None:
    assert parse_retry_after(header) == seconds


def test_retry_after_as_http_date() -> None:
    # 1 January 2030 00:00:10 GMT, "now" 10 s earlier
    assert parse_retry_after("Tue, 01 Jan 2030 00:00:10 GMT",
                             now=1893456000.0) == pytest.approx(10.0)

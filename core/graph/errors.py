"""Graph's failures as typed exceptions an admin can read and a caller can branch on.

Graph answers errors with ``{"error": {"code", "message", "innerError": {"request-id", "date"}}}``
(https://learn.microsoft.com/graph/errors). ``code`` is the thing to branch on; ``message`` is
developer text that Microsoft
says not to show raw, so each error carries a plain-language ``explanation`` for the codes admins
meet, and keeps the raw message (``raw_message``) plus request-id and date for a support ticket.

:class:`UncertainWriteError` is different in kind: a write (POST/PATCH/DELETE) may or may not have
been applied, so the caller must re-read the tenant instead of trying again.
"""

from __future__ import annotations

from typing import Any

from core.errors import FederatorError

# Plain-language explanations, keyed by Graph error code (https://learn.microsoft.com/graph/errors).
EXPLANATIONS: dict[str, str] = {
    "Authorization_RequestDenied":
        "Microsoft refused: the signed-in account lacks the role, or the app lacks the "
        "permission, for this operation.",
    "Request_MultipleObjectsWithSameKeyValue":
        "Another domain in this tenant already uses this issuer URI; Microsoft requires a "
        "different issuer (IdP entity ID) for each federated domain.",
    "Request_BadRequest":
        "Microsoft rejected the request as invalid.",
    "Request_ResourceNotFound":
        "Microsoft could not find the requested object (it may not exist or may have been "
        "removed).",
    "ResourceNotFound":
        "Microsoft could not find the requested object.",
    "Request_UnsupportedQuery":
        "Microsoft does not support this query for this object.",
    "InvalidAuthenticationToken":
        "The sign-in token was refused (it expired or is not valid for this tenant).",
    "TooManyRequests":
        "Microsoft is throttling requests from this app; it asked us to slow down.",
    "ServiceUnavailable":
        "Microsoft Graph is temporarily unavailable.",
    "serviceNotAvailable":
        "Microsoft Graph is temporarily unavailable.",
    "generalException":
        "Microsoft Graph reported an internal error.",
    "InternalServerError":
        "Microsoft Graph reported an internal error.",
    "accessDenied":
        "Microsoft refused: the signed-in account lacks the permission for this operation.",
}

_STATUS_EXPLANATIONS: dict[int, str] = {
    400: "Microsoft rejected the request as invalid.",
    401: "The sign-in token was refused.",
    403: "Microsoft refused the operation for this account.",
    404: "Microsoft could not find the requested object.",
    409: "The change conflicts with something already in the tenant.",
    429: "Microsoft is throttling requests from this app.",
    500: "Microsoft Graph reported an internal error.",
    502: "Microsoft Graph could not be reached through its gateway.",
    503: "Microsoft Graph is temporarily unavailable.",
    504: "Microsoft Graph did not answer in time.",
}

_REMEDIES: dict[str, str] = {
    "Authorization_RequestDenied":
        "Sign in with an account holding Hybrid Identity Administrator, Domain Name "
        "Administrator, External Identity Provider Administrator or Security Administrator, "
        "and make sure the app's permissions are consented.",
    "Request_MultipleObjectsWithSameKeyValue":
        "Give this domain its own IdP application (its own entity ID), then try again.",
    "InvalidAuthenticationToken": "Sign in again: federator signin.",
    "TooManyRequests": "Wait a few minutes and try again.",
}


_SERVER_REMEDY = ("Wait a few minutes and try again. If it keeps failing, check Microsoft 365 "
                  "service health (admin center > Health) and quote the request-id to Microsoft "
                  "support.")


def default_remedy(status: int | None, code: str | None) -> str | None:
    """What an admin can do about a Graph ``code`` (falling back to the HTTP status)."""
    if code and code in _REMEDIES:
        return _REMEDIES[code]
    if status == 429:
        return _REMEDIES["TooManyRequests"]
    if status is not None and status >= 500:
        return _SERVER_REMEDY
    return None


def explain(status: int | None, code: str | None) -> str:
    """The plain-language explanation for a Graph ``code`` (falling back to the HTTP status)."""
    if code and code in EXPLANATIONS:
        return EXPLANATIONS[code]
    if status is not None and status in _STATUS_EXPLANATIONS:
        return _STATUS_EXPLANATIONS[status]
    if status is not None and status >= 500:
        return "Microsoft Graph reported a server error."
    return "Microsoft Graph reported an error."


class GraphError(FederatorError):
    """An error answer from Graph (or, for subclasses, no usable answer at all).

    ``status`` is the HTTP status (None when no response arrived), ``graph_code`` Graph's error
    code, ``raw_message`` Graph's own text, ``request_id``/``date`` identify the request for
    Microsoft support; ``explanation`` is what an admin reads.
    """

    code = "graph_error"

    def __init__(self, *, status: int | None, graph_code: str | None = None,
                 raw_message: str = "", request_id: str | None = None, date: str | None = None,
                 method: str = "", path: str = "", explanation: str | None = None,
                 remedy: str | None = None) -> None:
        self.status = status
        self.graph_code = graph_code
        self.raw_message = raw_message
        self.request_id = request_id
        self.date = date
        self.method = method
        self.path = path
        self.explanation = explanation or explain(status, graph_code)
        where = f"{method} {path}".strip()
        tag = " ".join(str(x) for x in (status, graph_code) if x)
        message = self.explanation
        if tag or raw_message:
            said = f": {raw_message}" if raw_message else ""
            message += f" (Graph {tag}{said}"
            message += f"; {where})" if where else ")"
        details: dict[str, object] = {"status": status, "graph_code": graph_code,
                                      "raw_message": raw_message, "request_id": request_id,
                                      "date": date}
        super().__init__(message, remedy=remedy or default_remedy(status, graph_code),
                         details={k: v for k, v in details.items() if v not in (None, "")})


class BadRequestError(GraphError):
    """400: the request was invalid (``Request_BadRequest``, ``Request_UnsupportedQuery``...)."""

    code = "graph_bad_request"


class AuthenticationError(GraphError):
    """401: the token was refused even after one refresh (``InvalidAuthenticationToken``)."""

    code = "graph_unauthenticated"


class PermissionDeniedError(GraphError):
    """403: role or permission missing (``Authorization_RequestDenied``)."""

    code = "graph_permission_denied"


class NotFoundError(GraphError):
    """404: the object does not exist (``Request_ResourceNotFound``)."""

    code = "graph_not_found"


class ConflictError(GraphError):
    """409: clashes with existing data (``Request_MultipleObjectsWithSameKeyValue``)."""

    code = "graph_conflict"


class ThrottledError(GraphError):
    """429 that outlasted the retry budget; ``retry_after`` is the last wait Graph asked for."""

    code = "graph_throttled"
    retry_after: float | None = None


class ServerError(GraphError):
    """5xx from Graph (after retries, where retrying was safe)."""

    code = "graph_server_error"


class GraphConnectionError(GraphError):
    """No usable answer: connection refused/reset or timed out (after retries, for reads)."""

    code = "graph_unreachable"

    def __init__(self, *, method: str, path: str, reason: str) -> None:
        super().__init__(status=None, method=method, path=path,
                         explanation=f"Microsoft Graph could not be reached ({reason}).",
                         remedy="Check the network connection (and proxy) and try again.")
        self.reason = reason


# The reason of an UncertainWriteError whose request timed out: the server may still be working on
# it, unlike a dropped connection (callers re-read for a while before deciding it did not land).
NO_ANSWER_IN_TIME = "no answer in time"


class UncertainWriteError(GraphError):
    """A write may or may not have been applied by Graph; re-read state, never resend blindly.

    Raised when a POST/PATCH/DELETE lost its connection after it was sent, timed out waiting for
    the answer, or got a server-side answer (500, 502, 504, or 503 without Retry-After) that does
    not say whether the backend acted; Graph's own code and message are kept when there was one.
    (A documented case: a federation POST without a signing certificate answers 500 yet turns the
    domain Federated, https://learn.microsoft.com/graph/api/domain-post-federationconfiguration.)
    """

    code = "graph_uncertain_write"

    def __init__(self, *, method: str, path: str, reason: str, status: int | None = None,
                 graph_code: str | None = None, raw_message: str = "",
                 request_id: str | None = None, date: str | None = None) -> None:
        super().__init__(
            status=status, graph_code=graph_code, raw_message=raw_message, method=method,
            path=path, request_id=request_id, date=date,
            explanation=f"It is not known whether Microsoft applied the change ({reason}).",
            remedy="Federator re-reads the tenant to find out; do not repeat the change blindly.")
        self.reason = reason


_BY_STATUS: dict[int, type[GraphError]] = {
    400: BadRequestError, 401: AuthenticationError, 403: PermissionDeniedError,
    404: NotFoundError, 409: ConflictError, 429: ThrottledError,
}


def parse_error_body(body: Any) -> tuple[str | None, str, str | None, str | None]:
    """(code, message, request-id, date) from a Graph error body; tolerant of odd shapes."""
    if not isinstance(body, dict):
        return None, "", None, None
    err = body.get("error")
    if not isinstance(err, dict):
        return None, "", None, None
    code = err.get("code") if isinstance(err.get("code"), str) else None
    message = err.get("message") if isinstance(err.get("message"), str) else ""
    inner = err.get("innerError") or err.get("innererror") or {}
    request_id = date = None
    if isinstance(inner, dict):
        rid = inner.get("request-id") or inner.get("requestId")
        request_id = rid if isinstance(rid, str) else None
        d = inner.get("date")
        date = d if isinstance(d, str) else None
    return code, message or "", request_id, date


def error_from_response(status: int, body: Any, headers: dict[str, str] | None = None, *,
                        method: str = "", path: str = "") -> GraphError:
    """The typed error for an HTTP error answer (``body`` is the decoded JSON, or None)."""
    code, message, request_id, date = parse_error_body(body)
    if headers:
        lowered = {k.lower(): v for k, v in headers.items()}
        request_id = request_id or lowered.get("request-id") or lowered.get("client-request-id")
        date = date or lowered.get("date")
    cls = _BY_STATUS.get(status, ServerError if status >= 500 else GraphError)
    return cls(status=status, graph_code=code, raw_message=message, request_id=request_id,
               date=date, method=method, path=path)

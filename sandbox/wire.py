"""The sandbox's HTTP vocabulary: a parsed request, a response, and Graph's error body.

Kept apart from the server so the Graph rules, login and realm modules are plain functions from
``Request`` to ``Response`` (``$batch`` runs the same functions for each of its items).
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

GRAPH_JSON = ("application/json;odata.metadata=minimal;odata.streaming=true;"
              "IEEE754Compatible=false;charset=utf-8")


@dataclass
class Request:
    """One request (or one ``$batch`` item): headers are matched case-insensitively."""

    method: str
    path: str  # without the query string, percent-decoded
    query: dict[str, str]
    headers: dict[str, str]  # lower-case names
    body: bytes = b""
    raw_path: str = ""  # as received, with the query string (for the request log and nextLink)
    request_id: str = field(default_factory=lambda: str(uuid.uuid4()))

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8"))

    def form(self) -> dict[str, str]:
        return dict(parse_qsl(self.body.decode("utf-8"), keep_blank_values=True))


@dataclass
class Response:
    """Status, headers and body; ``payload`` is JSON-encoded when ``body`` is empty."""

    status: int
    payload: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    content_type: str = GRAPH_JSON

    def encoded(self) -> bytes:
        if self.body or self.payload is None:
            return self.body
        return json.dumps(self.payload, ensure_ascii=False).encode("utf-8")


def utc_now_text() -> str:
    """Graph's ``innerError.date`` format: ``2024-01-15T09:00:00``."""
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S")


def graph_error(request: Request, status: int, code: str, message: str, *,
                headers: dict[str, str] | None = None) -> Response:
    """Graph's error body (https://learn.microsoft.com/graph/errors) with ``request-id`` in the body
    and the headers."""
    client_request_id = request.header("client-request-id") or request.request_id
    inner: dict[str, Any] = {"date": utc_now_text(), "request-id": request.request_id,
                             "client-request-id": client_request_id}
    if status == 429:
        # Shape of the throttling sample in https://learn.microsoft.com/graph/throttling.
        inner.update({"code": "429", "message": "Please retry after", "status": "429"})
    all_headers = {"request-id": request.request_id, "client-request-id": client_request_id}
    all_headers.update(headers or {})
    return Response(status, {"error": {"code": code, "message": message, "innerError": inner}},
                    headers=all_headers)

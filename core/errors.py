"""Federator's own error types: every failure a user can meet is one of these, never a traceback.

Each error carries a stable machine ``code`` (used in ``--json`` output and tests), a plain-language
``message`` and, where one exists, a ``remedy`` saying what the admin can do about it.
"""

from __future__ import annotations


class FederatorError(Exception):
    """Base of every error Federator reports to a user."""

    code: str = "error"

    def __init__(self, message: str, *, code: str | None = None, remedy: str | None = None,
                 details: dict[str, object] | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.remedy = remedy
        self.details: dict[str, object] = dict(details or {})

    def to_json(self) -> dict[str, object]:
        body: dict[str, object] = {"code": self.code, "message": self.message}
        if self.remedy:
            body["remedy"] = self.remedy
        body.update(self.details)
        return body


class InputError(FederatorError):
    """The input given to Federator cannot be used (CLI exit code 2)."""

    code = "bad_input"


class RefusedError(FederatorError):
    """Federator refuses to act, or an action failed leaving a known state (exit 1)."""

    code = "refused"

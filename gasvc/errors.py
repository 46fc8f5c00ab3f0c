"""Every error a user can act on: a message, a hint that says what to do, and an exit code.

Two branches, never mixed:
- `WireError`: errors that cross the wire. Each carries the Open API error ``code`` and HTTP
  ``status``; the server answers with them, and the client raises the class its ``code`` names
  (`BY_CODE`), so the server's exception → response map and the client's response → exception
  map are one table.
- `ClientError`: errors of the workspace, the CLI and the client. They have no wire identity; a
  server that raised one would answer it as a 500 bug.
"""

from __future__ import annotations


class GasError(Exception):
    """Base of all gasvc errors: ``message`` says what happened, ``hint`` what to do about it.

    Never raised itself: raise a `WireError` or `ClientError` subclass that names the problem.
    """

    exit_code = 1

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message


class WireError(GasError):
    """An error the server answers as ``{"code", "message"}`` with an HTTP ``status``.

    Raised by the client from an error answer, ``status`` is the status the server answered."""

    code = "InternalServerError"
    status = 500


class ClientError(GasError):
    """An error of the client side (workspace, CLI, transfers): no Open API code or status."""


class ResourceNotExist(WireError):
    code, status = "ResourceNotExist", 404


class NameConflict(WireError):
    code, status = "NameConflict", 409


class InvalidParams(WireError):
    code, status = "InvalidParamsValue", 400


class ParamsMissing(WireError):
    code, status = "RequestParamsMissing", 400


class Unauthorized(WireError):
    code, status = "Unauthorized", 401


class AccessDenied(WireError):
    code, status = "AccessDenied", 403


class Forbidden(WireError):
    code, status = "Forbidden", 403


class RequestTooLarge(WireError):
    code, status = "InvalidParamsValue", 413


class ChecksumMismatch(InvalidParams):
    """Uploaded bytes whose SHA-1 is not the one they were announced under."""


class CopyConflict(WireError):
    """A copy/move with strategy ``abort`` met an existing target (the SDK expects this code)."""

    code, status = "InternalServerError", 500


class ServerError(WireError):
    """An error answer the client has no class for: ``InternalServerError``, a code of another
    server, or an error body that is not ``{"code", "message"}``. Carries what was answered."""

    def __init__(self, message: str, hint: str = "", code: str = "", status: int = 500) -> None:
        super().__init__(message, hint)
        self.code, self.status = code or "InternalServerError", status


class ConfigError(ClientError):
    """Bad local configuration: settings, data directory, files given on the command line."""

    exit_code = 2


class EmptyMessage(ClientError):
    """A commit or draft asked for without a message (title)."""


BY_CODE: dict[str, type[WireError]] = {
    cls.code: cls
    for cls in (
        ResourceNotExist,
        NameConflict,
        InvalidParams,
        ParamsMissing,
        Unauthorized,
        AccessDenied,
        Forbidden,
    )
}

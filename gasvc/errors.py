"""Every error a user can act on: a message, a hint that says what to do, and its wire identity.

Each class carries the Open API error ``code`` and HTTP ``status`` the server answers with, so the
server's exception → response map and the client's response → exception map are one table.
"""

from __future__ import annotations


class GasError(Exception):
    """Base of all gasvc errors: ``message`` says what happened, ``hint`` what to do about it."""

    code = "InternalServerError"
    status = 500
    exit_code = 1

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message


class ResourceNotExist(GasError):
    code, status = "ResourceNotExist", 404


class NameConflict(GasError):
    code, status = "NameConflict", 409


class InvalidParams(GasError):
    code, status = "InvalidParamsValue", 400


class ParamsMissing(GasError):
    code, status = "RequestParamsMissing", 400


class Unauthorized(GasError):
    code, status = "Unauthorized", 401


class AccessDenied(GasError):
    code, status = "AccessDenied", 403


class Forbidden(GasError):
    code, status = "Forbidden", 403


class RequestTooLarge(GasError):
    code, status = "InvalidParamsValue", 413


class ChecksumMismatch(InvalidParams):
    """Uploaded bytes whose SHA-1 is not the one they were announced under."""


class CopyConflict(GasError):
    """A copy/move with strategy ``abort`` met an existing target (the SDK expects this code).

    Not raised yet: kept for the copy/move work that comes next."""

    code, status = "InternalServerError", 500


class ConfigError(GasError):
    """Bad local configuration: settings, data directory, files given on the command line."""

    code, status = "InvalidParamsValue", 400
    exit_code = 2


BY_CODE: dict[str, type[GasError]] = {
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

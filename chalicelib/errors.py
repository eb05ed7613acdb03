"""Domain errors. Mapped to HTTP in exactly one place (chalicelib/api/http.py)."""

from __future__ import annotations


class DomainError(Exception):
    status_code = 400

    def __init__(self, message: str | list[str]) -> None:
        super().__init__(message if isinstance(message, str) else "; ".join(message))
        self.message = message


class InvalidInput(DomainError):
    status_code = 400


class Unauthorized(DomainError):
    status_code = 401


class Forbidden(DomainError):
    status_code = 403


class NotFound(DomainError):
    """The object is missing or belongs to another tenant; never say which."""

    status_code = 404


class Conflict(DomainError):
    """A state or version conflict."""

    status_code = 409


class Unprocessable(DomainError):
    status_code = 422


class TooManyRequests(DomainError):
    status_code = 429

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = max(1, retry_after)


class PayloadTooLarge(DomainError):
    status_code = 413


class StaleWrite(Conflict):
    """The object changed since it was read: re-read and re-apply the change."""


class VersionConflict(StaleWrite):
    def __init__(self, sale_id: int) -> None:
        super().__init__(f"La transacción {sale_id} fue modificada por otra petición; intente de nuevo")


class StaleCaja(StaleWrite):
    """The caja changed (or closed) since it was read."""

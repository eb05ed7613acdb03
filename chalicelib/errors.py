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


class Busy(DomainError):
    """DynamoDB is throttling, or another transaction holds the item: nothing was written; retry
    after `retry_after` seconds (503 with Retry-After)."""

    status_code = 503

    def __init__(self, message: str = "El servicio está ocupado; intente de nuevo en un momento", retry_after: int = 1) -> None:
        super().__init__(message)
        self.retry_after = retry_after


BUSY_CODES = frozenset({
    "ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded", "TransactionConflictException",
    "TransactionInProgressException", "ProvisionedThroughputExceeded", "ThrottlingError", "TransactionConflict",
})


def is_busy(exc: BaseException) -> bool:
    """Whether an AWS error (botocore's ClientError, or PynamoDB's wrapper of one, anywhere in the
    cause chain) says "too busy, try again" rather than "no": throttling, or a transaction cancelled
    only because another one holds its items."""
    seen: BaseException | None = exc
    for _ in range(6):
        if seen is None:
            return False
        code = getattr(seen, "cause_response_code", None)
        if code in BUSY_CODES or code == "TransactionCanceledException":
            reasons = [r.code for r in (getattr(seen, "cancellation_reasons", None) or []) if r is not None and r.code != "None"]
            return all(reason in BUSY_CODES for reason in reasons) and (code in BUSY_CODES or bool(reasons))
        response = getattr(seen, "response", None)
        if isinstance(response, dict) and response.get("Error", {}).get("Code") in BUSY_CODES:
            return True
        seen = getattr(seen, "cause", None) or seen.__cause__
    return False

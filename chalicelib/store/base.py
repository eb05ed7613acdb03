"""Shared PynamoDB plumbing: table binding from settings, Decimal numbers, error wrapping."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal

from pynamodb.attributes import Attribute, NumberAttribute, UnicodeAttribute, VersionAttribute
from pynamodb.connection import Connection
from pynamodb.constants import NUMBER
from pynamodb.exceptions import DeleteError, PutError, TransactWriteError, UpdateError
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from chalicelib.errors import Conflict
from chalicelib.settings import Settings

_SHARED: dict[tuple[str, str | None], Connection] = {}


class DecimalAttribute(Attribute[Decimal]):
    """A DynamoDB number kept exact: PynamoDB's NumberAttribute goes through float."""

    attr_type = NUMBER

    def serialize(self, value: Decimal) -> str:
        return str(Decimal(value))

    def deserialize(self, value: str) -> Decimal:
        return Decimal(value)


class Record(Model):
    """Every Comanda table has a string `pk` and `sk`."""

    class Meta:
        abstract = True
        table_name = "unbound"
        region = "us-east-1"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)


def connection(settings: Settings) -> Connection:
    """One PynamoDB connection (one botocore client) per endpoint, shared by every record
    class and transaction: creating a client costs ~100 ms on a cold start."""
    key = (settings.region, settings.endpoint_url)
    if key not in _SHARED:
        _SHARED[key] = Connection(region=settings.region, host=settings.endpoint_url, max_pool_connections=32)
    return _SHARED[key]


def bind(model: type[Model], table: str, settings: Settings) -> None:
    """Point a record class at its table for these settings, on the shared connection."""
    if "Meta" not in vars(model):
        # Subclasses would otherwise share (and overwrite) Record.Meta's table name.
        inherited = {k: v for k, v in vars(model.Meta).items() if not k.startswith("__")}
        model.Meta = type("Meta", (), {**inherited, "abstract": False})  # type: ignore[assignment]
    model.Meta.table_name = settings.table_name(table)
    model.Meta.region = settings.region
    model.Meta.host = settings.endpoint_url
    model._connection = None
    model._get_connection().connection._client = connection(settings).client


def branch_key(tenant_id: str, branch_id: str) -> str:
    """The partition of a branch's rows in the per-branch indexes (`<tenant>#<branch>`)."""
    return f"{tenant_id}#{branch_id}"


def forget_connections() -> None:
    """Drop cached clients (tests switch between embedded AWS instances)."""
    _SHARED.clear()


def is_condition_failure(exc: Exception) -> bool:
    cause = getattr(exc, "cause_response_code", None)
    if cause in ("ConditionalCheckFailedException", "TransactionConflictException"):
        return True
    if isinstance(exc, TransactWriteError):
        reasons = getattr(exc, "cancellation_reasons", None) or []
        return any(r is not None and r.code in ("ConditionalCheckFailed", "TransactionConflict") for r in reasons)
    return False


def cancellation_codes(exc: TransactWriteError) -> list[str | None]:
    return [r.code if r is not None else None for r in (getattr(exc, "cancellation_reasons", None) or [])]


@contextmanager
def conflict_on_condition(message: str) -> Iterator[None]:
    """Turn a failed condition into a domain Conflict; let everything else through."""
    try:
        yield
    except (PutError, UpdateError, DeleteError, TransactWriteError) as exc:
        if is_condition_failure(exc):
            raise Conflict(message) from exc
        raise


def transaction(settings: Settings, token: str | None = None) -> TransactWrite:
    return TransactWrite(connection=connection(settings), client_request_token=token)


__all__ = [
    "DecimalAttribute",
    "NumberAttribute",
    "Record",
    "UnicodeAttribute",
    "VersionAttribute",
    "bind",
    "branch_key",
    "forget_connections",
    "cancellation_codes",
    "conflict_on_condition",
    "connection",
    "is_condition_failure",
    "transaction",
]

"""Shared PynamoDB plumbing: record classes bound per settings, Decimal numbers, error wrapping."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any, TypeVar

from pynamodb.attributes import Attribute, NumberAttribute, UnicodeAttribute, VersionAttribute
from pynamodb.connection import Connection
from pynamodb.constants import NUMBER
from pynamodb.exceptions import DeleteError, PutError, TransactWriteError, UpdateError
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from chalicelib.errors import Conflict
from chalicelib.settings import Settings

_SHARED: dict[tuple[str, str | None, tuple[str, str] | None], Connection] = {}


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
    key = (settings.region, settings.endpoint_url, settings.aws_credentials)
    if key not in _SHARED:
        access_key, secret_key = settings.aws_credentials or (None, None)
        _SHARED[key] = Connection(region=settings.region, host=settings.endpoint_url, max_pool_connections=32,
                                  aws_access_key_id=access_key, aws_secret_access_key=secret_key)
    return _SHARED[key]


M = TypeVar("M", bound=Model)
_BOUND: dict[tuple[type[Model], str, str, str | None, tuple[str, str] | None], type[Model]] = {}


def bound(model: type[M], table: str, settings: Settings) -> type[M]:
    """`model` bound to this settings' table, region and endpoint, on the shared connection: a
    subclass made once per (model, table, endpoint) and cached. The record classes themselves are
    never changed, so two settings (two stages, two embedded AWS) can live in one process."""
    name = settings.table_name(table)
    key = (model, name, settings.region, settings.endpoint_url, settings.aws_credentials)
    if key not in _BOUND:
        meta = type("Meta", (), {"table_name": name, "region": settings.region, "host": settings.endpoint_url})
        cls: type[Model] = type(model.__name__, (model,), {"Meta": meta, "__module__": model.__module__})
        cls._get_connection().connection._client = connection(settings).client
        _BOUND[key] = cls
    return _BOUND[key]  # type: ignore[return-value]


R = TypeVar("R", bound=Model)


def to_record(cls: type[R], pk: str, sk: str, obj: Any, fields: Iterable[str], **extra: Any) -> R:
    """A record of `obj`'s same-named `fields`, plus `extra` attributes (keys of indexes, mapped values)."""
    return cls(pk, sk, **{f: getattr(obj, f) for f in fields}, **extra)


def fields_of(record: Model, fields: Iterable[str]) -> dict[str, Any]:
    """The same-named attributes of a record, for the domain object's constructor."""
    return {f: getattr(record, f) for f in fields}


def branch_key(tenant_id: str, branch_id: str) -> str:
    """The partition of a branch's rows in the per-branch indexes (`<tenant>#<branch>`)."""
    return f"{tenant_id}#{branch_id}"


def forget_connections() -> None:
    """Drop cached clients and the classes bound to them (tests switch between embedded AWS instances)."""
    _SHARED.clear()
    _BOUND.clear()


def is_condition_failure(exc: Exception) -> bool:
    """A condition said no (the object changed, or is not in the state required). A transaction
    cancelled only because another one held its items is not that: see errors.is_busy."""
    if getattr(exc, "cause_response_code", None) == "ConditionalCheckFailedException":
        return True
    if isinstance(exc, TransactWriteError):
        reasons = getattr(exc, "cancellation_reasons", None) or []
        return any(r is not None and r.code == "ConditionalCheckFailed" for r in reasons)
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
    "bound",
    "fields_of",
    "to_record",
    "branch_key",
    "forget_connections",
    "cancellation_codes",
    "conflict_on_condition",
    "connection",
    "is_condition_failure",
    "transaction",
]

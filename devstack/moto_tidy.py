"""Keep the embedded moto's DynamoDB flat over a long service (tested against the pinned moto,
requirements-dev.txt; tests/integration/test_moto_tidy.py fails if an upgrade moves what it relies on).

moto as it ships grows without bound on a stream-enabled table, and slows as it grows:
- `BaseModel.__new__` appends every model instance it ever makes (items, attribute values,
  stream records, whole table copies) to its class's `instances_tracked` list, for moto's
  dashboard, which the local stack never uses. `stop_tracking_instances` makes DynamoDB's lists
  forget what they are given.
- `transact_write_items` deep-copies every table it touches, stream records included, once per
  item of every transaction, to roll back on failure. `transact_write_items` here journals only
  the items the transaction touches and the stream length, and a rollback puts those back.
- every stream record is kept for the life of the process. `trim_stream` drops the records
  every reader has passed once they are older than the retention window.
- every Query starts from `Table.all_items()`, which sorts the whole table, so each read gets
  slower as the day goes on. `query` here hands moto's own Query only the partition a base-table
  query names, and the table unsorted for an index query (moto sorts the matches itself).

Every DynamoDB write of the backend runs under one lock (`WRITES`), as a DynamoDB partition
serialises them: a rollback, a trim or a snapshot never sees half a write.
"""

from __future__ import annotations

import copy
import functools
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

WRITES = threading.RLock()
WRITE_METHODS = ("put_item", "update_item", "delete_item", "batch_write_item")
_writes = 0


def write_count() -> int | None:
    """How many writes the backend has served since `install`; None when it is not installed."""
    return _writes if installed() else None


def installed() -> bool:
    from moto.dynamodb.models import DynamoDBBackend

    return bool(getattr(DynamoDBBackend.transact_write_items, "__comanda_journaled__", False))


class ForgetfulList(list[object]):
    """An `instances_tracked` that keeps nothing."""

    def append(self, _: object) -> None:
        pass


def stop_tracking_instances(services: Iterable[str] = ("dynamodb", "dynamodbstreams")) -> None:
    from moto.core.model_instances import model_data

    for service in services:
        for model in model_data.get(service, {}).values():
            model.instances_tracked = ForgetfulList()  # type: ignore[attr-defined]


@dataclass
class Journal:
    """What a transaction changed: each touched item as it was before (None: absent), and each
    touched table's stream length, so a rollback restores exactly that."""

    items: dict[tuple[str, Any, Any], Any] = field(default_factory=dict)
    stream_lengths: dict[str, int] = field(default_factory=dict)
    tables: dict[str, Any] = field(default_factory=dict)

    def remember(self, table: Any, hash_value: Any, range_value: Any) -> None:
        self.tables.setdefault(table.name, table)
        if table.stream_shard is not None:
            self.stream_lengths.setdefault(table.name, len(table.stream_shard.items))
        key = (table.name, hash_value, range_value)
        if key not in self.items:
            self.items[key] = copy.deepcopy(table.get_item(hash_value, range_value))

    def rollback(self) -> None:
        for (table_name, hash_value, range_value), before in self.items.items():
            table = self.tables[table_name]
            if range_value is None:
                if before is None:
                    table.items.pop(hash_value, None)
                else:
                    table.items[hash_value] = before
            elif before is None:
                table.items.get(hash_value, {}).pop(range_value, None)
            else:
                table.items[hash_value][range_value] = before
        for table_name, length in self.stream_lengths.items():
            del self.tables[table_name].stream_shard.items[length:]


def _key_values(table: Any, op_type: str, op: dict[str, Any]) -> tuple[Any, Any, dict[str, Any]]:
    from moto.dynamodb.models.dynamo_type import DynamoType

    attrs = op["Item"] if op_type == "Put" else op["Key"]
    key = {table.hash_key_attr: attrs[table.hash_key_attr]}
    if table.range_key_attr is not None:
        key[table.range_key_attr] = attrs[table.range_key_attr]
    range_value = DynamoType(key[table.range_key_attr]) if table.range_key_attr is not None else None
    return DynamoType(key[table.hash_key_attr]), range_value, key


def transact_write_items(backend: Any, transact_items: list[dict[str, Any]]) -> None:
    """TransactWriteItems with moto's answers (cancellation reasons in order, ALL_OLD on a failed
    condition), rolled back from a journal of the touched items instead of whole-table copies."""
    from moto.dynamodb.comparisons import get_filter_expression
    from moto.dynamodb.exceptions import (
        ConditionalCheckFailed,
        MockValidationException,
        MultipleTransactionsException,
        TooManyTransactionsException,
        TransactionCanceledException,
        TransactWriteSingleOpException,
    )

    if len(transact_items) > 100:
        raise TooManyTransactionsException()
    with WRITES:
        journal = Journal()
        touched: set[tuple[str, str]] = set()
        errors: list[tuple[str | None, str | None, dict[str, Any] | None]] = []
        for entry in transact_items:
            if len(entry) > 1:
                journal.rollback()
                raise TransactWriteSingleOpException
            original_item: dict[str, Any] | None = None
            try:
                op_type, op = next(iter(entry.items()))
                if op_type not in {"ConditionCheck", "Put", "Delete", "Update"}:
                    raise ValueError("Unsupported transaction operation")
                table_name = op["TableName"]
                table = backend.get_table(table_name)
                hash_value, range_value, key = _key_values(table, op_type, op)
                identity = (str(table_name), str(dict(sorted(key.items()))))
                if identity in touched:
                    raise MultipleTransactionsException()
                touched.add(identity)
                journal.remember(table, hash_value, range_value)
                condition = op.get("ConditionExpression")
                names, values = op.get("ExpressionAttributeNames"), op.get("ExpressionAttributeValues")
                current = table.get_item(hash_value, range_value)
                if condition is not None and not get_filter_expression(condition, names, values).expr(current):
                    if op.get("ReturnValuesOnConditionCheckFailure") == "ALL_OLD" and current:
                        original_item = current.to_json()["Attributes"]
                    raise ConditionalCheckFailed(item=original_item)
                written = {"condition_expression": condition, "expression_attribute_names": names,
                           "expression_attribute_values": values}
                if op_type == "Put":
                    backend.put_item(table_name, op["Item"], **written)
                elif op_type == "Delete":
                    backend.delete_item(table_name, key, **written)
                elif op_type == "Update":
                    backend.update_item(table_name, key, update_expression=op["UpdateExpression"], **written)
                errors.append((None, None, None))
            except (MultipleTransactionsException, MockValidationException):
                journal.rollback()
                raise
            except ConditionalCheckFailed as failed:
                errors.append(("ConditionalCheckFailed", str(failed.message), original_item))
            except Exception as failed:  # moto reports any other failure as that item's reason
                errors.append((type(failed).__name__, str(failed), original_item))
        if any(code is not None for code, _, _ in errors):
            journal.rollback()
            raise TransactionCanceledException(errors)


def _serialised(write: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(write)
    def under_lock(*args: Any, **kwargs: Any) -> Any:
        global _writes
        with WRITES:
            _writes += 1
            return write(*args, **kwargs)

    under_lock.__comanda_serialised__ = True  # type: ignore[attr-defined]
    return under_lock


_query_candidates = threading.local()


def _candidates(table: Any, hash_key: Any, index_name: str | None) -> list[Any]:
    if index_name is None and hash_key is not None:
        partition = table.items.get(hash_key)
        if partition is None:
            return []
        return list(partition.values()) if table.range_key_attr else [partition]
    if table.range_key_attr:
        return [item for partition in table.items.values() for item in partition.values()]
    return list(table.items.values())


def _narrowed_query(query: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(query)
    def narrowed(self: Any, hash_key: Any, *args: Any, **kwargs: Any) -> Any:
        index_name = kwargs.get("index_name", args[6] if len(args) > 6 else None)
        _query_candidates.table, _query_candidates.items = self, _candidates(self, hash_key, index_name)
        try:
            return query(self, hash_key, *args, **kwargs)
        finally:
            _query_candidates.table = _query_candidates.items = None

    return narrowed


def _all_items_or_candidates(all_items: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(all_items)
    def candidates_first(self: Any) -> Any:
        if getattr(_query_candidates, "table", None) is self:
            return _query_candidates.items
        return all_items(self)

    return candidates_first


def install() -> None:
    """Apply all four to this process's moto (the embedded server's backends live here). Idempotent."""
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.table import Table

    stop_tracking_instances()
    if installed():
        return
    setattr(Table, "query", _narrowed_query(Table.query))  # noqa: B010
    setattr(Table, "all_items", _all_items_or_candidates(Table.all_items))  # noqa: B010
    for name in WRITE_METHODS:
        setattr(DynamoDBBackend, name, _serialised(getattr(DynamoDBBackend, name)))
    journaled = _serialised(transact_write_items)
    journaled.__comanda_journaled__ = True  # type: ignore[attr-defined]
    setattr(DynamoDBBackend, "transact_write_items", journaled)  # noqa: B010


def stack_tables(prefix: str) -> dict[str, Any]:
    """This process's moto tables named `<prefix>-…`, by name, in every region."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends

    tables: dict[str, Any] = {}
    for backend in dynamodb_backends[DEFAULT_ACCOUNT_ID].values():
        tables.update({name: t for name, t in backend.tables.items() if name.startswith(prefix + "-")})
    return tables


def trim_stream(shard: Any, passed: int | None, older_than: datetime) -> int:
    """Drop the records at the head of a moto stream shard that every reader has passed (sequence
    numbers below `passed`; None: the stream has no reader) and that were written before
    `older_than`. Sequence numbers of the records kept do not change. Returns records dropped."""
    with WRITES:
        dropped = 0
        for stream_record in shard.items:
            dynamodb = stream_record.record["dynamodb"]
            sequence = int(dynamodb["SequenceNumber"])
            if (passed is not None and sequence >= passed) or _naive(dynamodb["ApproximateCreationDateTime"]) >= older_than:
                break
            dropped += 1
        if dropped:
            del shard.items[:dropped]
            shard.starting_sequence_number += dropped
        return dropped


def _naive(moment: datetime) -> datetime:
    return moment.replace(tzinfo=None) if moment.tzinfo is not None else moment

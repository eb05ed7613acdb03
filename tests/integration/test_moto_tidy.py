"""The local stack's layer over moto's DynamoDB (devstack/moto_tidy.py): transactions roll back
only what they touched, nothing is tracked or copied per write, and the stream keeps only what a
reader still needs. These are the tests that catch a moto upgrade moving what the layer relies on."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import moto
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from devstack import moto_tidy, persistence
from devstack.stream_retention import next_unread, trim_once

PREFIX = "tidy"
TABLE = f"{PREFIX}-sales"


@pytest.fixture
def ddb() -> Iterator[Any]:
    """A stream-enabled table of its own (the integration suite may hold a moto session open around it)."""
    with mock_aws():
        moto_tidy.install()
        client = boto3.client("dynamodb", region_name="us-east-1")
        if TABLE in client.list_tables()["TableNames"]:
            client.delete_table(TableName=TABLE)
        client.create_table(
            TableName=TABLE, BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
            StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
        )
        yield client
        client.delete_table(TableName=TABLE)


def moto_table() -> Any:
    return moto_tidy.stack_tables(PREFIX)[TABLE]


def put(pk: str, sk: str, **attrs: str) -> dict[str, Any]:
    return {"Put": {"TableName": TABLE, "Item": {"pk": {"S": pk}, "sk": {"S": sk}, **{k: {"S": v} for k, v in attrs.items()}}}}


def everything(ddb: Any) -> list[dict[str, Any]]:
    return sorted(ddb.scan(TableName=TABLE)["Items"], key=lambda i: (i["pk"]["S"], i["sk"]["S"]))


def test_moto_is_the_version_the_layer_is_tested_against() -> None:
    pinned = re.search(r"^moto\[[^\]]*\]==(\S+)$", (Path(__file__).parents[2] / "requirements-dev.txt").read_text(), re.M)
    assert pinned and moto.__version__ == pinned.group(1)


def test_a_committed_transaction_writes_every_item_and_one_stream_record_each(ddb: Any) -> None:
    ddb.transact_write_items(TransactItems=[put("T#1", "SALE", estado="abierto"), put("T#1", "ITEM#1", nombre="Silpancho")])
    assert [i["sk"]["S"] for i in everything(ddb)] == ["ITEM#1", "SALE"]
    assert [r.record["eventName"] for r in moto_table().stream_shard.items] == ["INSERT", "INSERT"]


def test_a_cancelled_transaction_leaves_the_touched_items_the_others_and_the_stream_as_they_were(ddb: Any) -> None:
    ddb.put_item(TableName=TABLE, Item={"pk": {"S": "T#1"}, "sk": {"S": "SALE"}, "estado": {"S": "abierto"}})
    ddb.put_item(TableName=TABLE, Item={"pk": {"S": "T#2"}, "sk": {"S": "SALE"}, "estado": {"S": "abierto"}})
    before, records = everything(ddb), len(moto_table().stream_shard.items)
    with pytest.raises(ClientError) as refused:
        ddb.transact_write_items(TransactItems=[
            {"Update": {"TableName": TABLE, "Key": {"pk": {"S": "T#1"}, "sk": {"S": "SALE"}},
                        "UpdateExpression": "SET estado = :c", "ExpressionAttributeValues": {":c": {"S": "cerrado"}}}},
            put("T#1", "PAGO#1", monto="10.00"),
            {"Delete": {"TableName": TABLE, "Key": {"pk": {"S": "T#2"}, "sk": {"S": "SALE"}}}},
            {"ConditionCheck": {"TableName": TABLE, "Key": {"pk": {"S": "T#3"}, "sk": {"S": "SALE"}},
                                "ConditionExpression": "attribute_exists(pk)"}},
        ])
    assert refused.value.response["Error"]["Code"] == "TransactionCanceledException"
    assert [r["Code"] for r in refused.value.response["CancellationReasons"]] == ["None", "None", "None", "ConditionalCheckFailed"]
    assert everything(ddb) == before
    assert len(moto_table().stream_shard.items) == records


def test_a_failed_condition_returns_the_old_item_when_asked(ddb: Any) -> None:
    ddb.put_item(TableName=TABLE, Item={"pk": {"S": "T#1"}, "sk": {"S": "SALE"}, "estado": {"S": "cerrado"}})
    with pytest.raises(ClientError) as refused:
        ddb.transact_write_items(TransactItems=[{"Update": {
            "TableName": TABLE, "Key": {"pk": {"S": "T#1"}, "sk": {"S": "SALE"}}, "UpdateExpression": "SET estado = :a",
            "ConditionExpression": "estado = :a", "ExpressionAttributeValues": {":a": {"S": "abierto"}},
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}}])
    assert refused.value.response["CancellationReasons"][0]["Item"]["estado"] == {"S": "cerrado"}


def test_two_operations_on_one_item_are_refused_and_nothing_is_written(ddb: Any) -> None:
    with pytest.raises(ClientError) as refused:
        ddb.transact_write_items(TransactItems=[put("T#9", "SALE"), put("T#8", "SALE"), put("T#9", "SALE", estado="x")])
    assert refused.value.response["Error"]["Code"] == "ValidationException"
    assert everything(ddb) == [] and moto_table().stream_shard.items == []


def test_many_transactions_copy_no_table_and_keep_no_instance_list(ddb: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from moto.core.model_instances import model_data
    from moto.dynamodb.models.table import Table

    def no_copies(self: Any, memo: Any) -> Any:
        raise AssertionError("a transaction deep-copied a whole table")

    monkeypatch.setattr(Table, "__deepcopy__", no_copies, raising=False)
    for n in range(300):
        ddb.transact_write_items(TransactItems=[put(f"T#{n}", "SALE"), put(f"T#{n}", "ITEM#1"), put(f"T#{n}", "ITEM#2")])
    assert len(everything(ddb)) == 900
    assert all(len(model.instances_tracked) == 0 for model in model_data["dynamodb"].values())


def test_trimming_keeps_the_stream_bounded_over_many_transactions_once_readers_pass(ddb: Any) -> None:
    shard = moto_table().stream_shard
    later = datetime.utcnow() + timedelta(minutes=11)  # noqa: DTZ003 - moto stamps records in naive UTC
    for n in range(200):
        ddb.transact_write_items(TransactItems=[put(f"T#{n}", "SALE"), put(f"T#{n}", "ITEM#1")])
        if n % 50 == 49:
            read_up_to = shard.starting_sequence_number + len(shard.items)
            moto_tidy.trim_stream(shard, read_up_to, later)
            assert shard.items == []
    assert shard.starting_sequence_number > 1100000000017454423009 + 399


def test_a_trimmed_stream_keeps_the_sequence_numbers_of_the_records_it_keeps(ddb: Any) -> None:
    for n in range(6):
        ddb.put_item(TableName=TABLE, Item={"pk": {"S": f"T#{n}"}, "sk": {"S": "SALE"}})
    shard = moto_table().stream_shard
    sequences = [r.record["dynamodb"]["SequenceNumber"] for r in shard.items]
    dropped = moto_tidy.trim_stream(shard, int(sequences[4]), datetime.utcnow() + timedelta(seconds=1))  # noqa: DTZ003
    assert dropped == 4
    assert [r.record["dynamodb"]["SequenceNumber"] for r in shard.items] == sequences[4:]
    ddb.put_item(TableName=TABLE, Item={"pk": {"S": "T#6"}, "sk": {"S": "SALE"}})
    assert int(shard.items[-1].record["dynamodb"]["SequenceNumber"]) == int(sequences[-1]) + 1


def test_a_record_younger_than_the_window_is_kept_even_when_every_reader_passed_it(ddb: Any) -> None:
    ddb.put_item(TableName=TABLE, Item={"pk": {"S": "T#1"}, "sk": {"S": "SALE"}})
    shard = moto_table().stream_shard
    assert moto_tidy.trim_stream(shard, 10**30, datetime.utcnow() - timedelta(minutes=10)) == 0  # noqa: DTZ003
    assert len(shard.items) == 1


class Poller:
    def __init__(self, stream_arn: str, next_sequence: int) -> None:
        self.stream_arn = stream_arn
        self.shards = {"s": type("Shard", (), {"iterator": f"{stream_arn}|s|{next_sequence}"})()}


def test_retention_keeps_what_the_slowest_poller_has_not_fetched(ddb: Any) -> None:
    for n in range(5):
        ddb.put_item(TableName=TABLE, Item={"pk": {"S": f"T#{n}"}, "sk": {"S": "SALE"}})
    table = moto_table()
    arn = f"{table.table_arn}/stream/{table.latest_stream_label}"
    first = int(table.stream_shard.items[0].record["dynamodb"]["SequenceNumber"])
    fast, slow = Poller(arn, first + 5), Poller(arn, first + 2)
    assert next_unread([fast, slow], arn) == first + 2
    assert next_unread([fast], "arn:other") is None
    dropped = trim_once(PREFIX, [fast, slow], timedelta(minutes=10), now=datetime.now().astimezone() + timedelta(minutes=11))
    assert dropped == 2 and len(table.stream_shard.items) == 3


def test_a_stream_nobody_reads_is_trimmed_by_age_alone(ddb: Any) -> None:
    ddb.put_item(TableName=TABLE, Item={"pk": {"S": "T#1"}, "sk": {"S": "SALE"}})
    assert trim_once(PREFIX, [], timedelta(minutes=10), now=datetime.now().astimezone() + timedelta(minutes=11)) == 1


def test_saved_tables_come_back_item_for_item_without_stream_records(ddb: Any, tmp_path: Path) -> None:
    ddb.transact_write_items(TransactItems=[put("T#1", "SALE", estado="cerrado"), put("T#1", "ITEM#1", nombre="Pique macho")])
    path = tmp_path / "tidy.json"
    assert persistence.save(PREFIX, path) == 2
    saved = everything(ddb)
    for item in saved:
        ddb.delete_item(TableName=TABLE, Key={"pk": item["pk"], "sk": item["sk"]})
    records = len(moto_table().stream_shard.items)
    loaded = persistence.load(PREFIX, path)
    assert loaded is not None and loaded.items == 2
    assert everything(ddb) == saved
    assert len(moto_table().stream_shard.items) == records


def test_the_keeper_saves_only_when_something_was_written(ddb: Any, tmp_path: Path) -> None:
    keeper = persistence.Keeper(PREFIX, tmp_path / "tidy.json", interval=3600)
    assert keeper.save_if_written() is None
    ddb.put_item(TableName=TABLE, Item={"pk": {"S": "T#1"}, "sk": {"S": "SALE"}})
    assert keeper.save_if_written() == 1
    assert keeper.save_if_written() is None


def test_there_is_nothing_to_load_before_the_first_save(ddb: Any, tmp_path: Path) -> None:
    assert persistence.load(PREFIX, tmp_path / "missing.json") is None


def test_a_query_reads_its_partition_in_order_with_pages_and_backwards(ddb: Any) -> None:
    for n in range(5):
        ddb.put_item(TableName=TABLE, Item={"pk": {"S": "T#1"}, "sk": {"S": f"ITEM#{n}"}})
        ddb.put_item(TableName=TABLE, Item={"pk": {"S": f"T#{n + 2}"}, "sk": {"S": "SALE"}})
    query = {"TableName": TABLE, "KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": {"S": "T#1"}}}
    first = ddb.query(**query, Limit=3)
    rest = ddb.query(**query, ExclusiveStartKey=first["LastEvaluatedKey"])
    assert [i["sk"]["S"] for i in first["Items"] + rest["Items"]] == [f"ITEM#{n}" for n in range(5)]
    assert [i["sk"]["S"] for i in ddb.query(**query, ScanIndexForward=False)["Items"]] == [f"ITEM#{n}" for n in reversed(range(5))]
    assert ddb.query(**{**query, "ExpressionAttributeValues": {":p": {"S": "T#99"}}})["Items"] == []


def test_an_index_query_finds_its_matches_across_partitions_sorted_by_the_index_key(ddb: Any) -> None:
    ddb.update_table(TableName=TABLE, AttributeDefinitions=[{"AttributeName": "estado", "AttributeType": "S"},
                                                            {"AttributeName": "sk", "AttributeType": "S"}],
                     GlobalSecondaryIndexUpdates=[{"Create": {"IndexName": "by-estado", "Projection": {"ProjectionType": "ALL"},
                                                              "KeySchema": [{"AttributeName": "estado", "KeyType": "HASH"},
                                                                            {"AttributeName": "sk", "KeyType": "RANGE"}]}}])
    for n in (3, 1, 2):
        ddb.put_item(TableName=TABLE, Item={"pk": {"S": f"T#{n}"}, "sk": {"S": f"SALE#{n}"}, "estado": {"S": "abierto"}})
    ddb.put_item(TableName=TABLE, Item={"pk": {"S": "T#4"}, "sk": {"S": "SALE#4"}, "estado": {"S": "cerrado"}})
    found = ddb.query(TableName=TABLE, IndexName="by-estado", KeyConditionExpression="estado = :e",
                      ExpressionAttributeValues={":e": {"S": "abierto"}})["Items"]
    assert [i["sk"]["S"] for i in found] == ["SALE#1", "SALE#2", "SALE#3"]


def test_a_query_does_not_sort_the_whole_table(ddb: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from moto.dynamodb.models.dynamo_type import DynamoType

    for n in range(1500):
        ddb.put_item(TableName=TABLE, Item={"pk": {"S": f"T#{n}"}, "sk": {"S": "SALE"}})
    comparisons = 0
    original = DynamoType.__lt__

    def counted(self: Any, other: Any) -> bool:
        nonlocal comparisons
        comparisons += 1
        return original(self, other)

    monkeypatch.setattr(DynamoType, "__lt__", counted)
    ddb.query(TableName=TABLE, KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "T#700"}})
    assert comparisons < 20

"""A table's stream in the in-process moto, read from where it stood when the reader was made,
as the Lambda events a stream trigger receives (devstack/streams.py's reader, without its
threads): integration tests drive the real stream path with the table's own records, not
hand-built ones."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3

from chalicelib.container import get_services
from devstack.streams import InProcessMotoStreams, lambda_record

BATCH = 100  # Lambda's default batch size


class TableStream:
    def __init__(self, table: str) -> None:
        """`table`: the logical name (`transactions`, `catalog`) of a table of this stage."""
        settings = get_services().settings
        self.region = settings.region
        ddb = boto3.client("dynamodb", region_name=settings.region)
        self.arn = ddb.describe_table(TableName=settings.table_name(table))["Table"]["LatestStreamArn"]
        self.streams = InProcessMotoStreams()
        shard = self.streams.describe_stream(StreamArn=self.arn)["StreamDescription"]["Shards"][0]["ShardId"]
        self.iterator = self.streams.get_shard_iterator(StreamArn=self.arn, ShardId=shard, ShardIteratorType="LATEST")["ShardIterator"]

    def records(self) -> list[dict[str, Any]]:
        """Every record written since the last call, oldest first."""
        out: list[dict[str, Any]] = []
        while True:
            page = self.streams.get_records(ShardIterator=self.iterator, Limit=1000)
            self.iterator = page["NextShardIterator"]
            out += [lambda_record(r, self.arn, self.region) for r in page["Records"]]
            if not page["Records"]:
                return out

    def batches(self, size: int = BATCH) -> list[dict[str, Any]]:
        """The new records, in Lambda-sized batches."""
        return list(batches(self.records(), size))


def batches(records: list[dict[str, Any]], size: int = BATCH) -> Iterator[dict[str, Any]]:
    for start in range(0, len(records), size):
        yield {"Records": records[start : start + size]}


def feed(fanout: Any, records: list[dict[str, Any]]) -> None:
    """Hand `records` to the fan-out batch by batch; every record must succeed."""
    for batch in batches(records):
        assert fanout.handle_batch(batch) == {"batchItemFailures": []}

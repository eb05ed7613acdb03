"""The transactions table's own DynamoDB stream, read from in-process moto and handed to the
fan-out in Lambda-shaped batches, as the event source mapping does (devstack/streams.py's
reader, without its threads): what the tests of the stream-fed reports drive."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3

from devstack.streams import InProcessMotoStreams, lambda_record

BATCH = 100  # Lambda's default batch size


class TableStream:
    """Records of one table's stream from the moment this reader was made."""

    def __init__(self, table: str, region: str = "us-east-1") -> None:
        self.region = region
        self.arn = boto3.client("dynamodb", region_name=region).describe_table(TableName=table)["Table"]["LatestStreamArn"]
        self.streams = InProcessMotoStreams()
        shard = self.streams.describe_stream(StreamArn=self.arn)["StreamDescription"]["Shards"][0]["ShardId"]
        self.iterator = self.streams.get_shard_iterator(StreamArn=self.arn, ShardId=shard, ShardIteratorType="LATEST")["ShardIterator"]

    def new_records(self) -> list[dict[str, Any]]:
        """Every record written since the last call, as Lambda delivers them."""
        out: list[dict[str, Any]] = []
        while True:
            page = self.streams.get_records(ShardIterator=self.iterator, Limit=1000)
            self.iterator = page["NextShardIterator"]
            out += [lambda_record(r, self.arn, self.region) for r in page["Records"]]
            if not page["Records"]:
                return out


def batches(records: list[dict[str, Any]], size: int = BATCH) -> Iterator[dict[str, Any]]:
    for start in range(0, len(records), size):
        yield {"Records": records[start : start + size]}


def feed(fanout: Any, records: list[dict[str, Any]]) -> None:
    """Hand `records` to the fan-out batch by batch; every record must succeed."""
    for batch in batches(records):
        assert fanout.handle_batch(batch) == {"batchItemFailures": []}

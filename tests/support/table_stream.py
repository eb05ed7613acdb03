"""A table's stream in the in-process moto, read from where it stood when this reader was made,
as the Lambda events a stream trigger would receive (integration tests drive the real stream
path with it: the table's own records, not hand-built ones)."""

from __future__ import annotations

from typing import Any

import boto3

from chalicelib.container import get_services
from devstack.streams import InProcessMotoStreams, lambda_record


class TableStream:
    def __init__(self, table: str) -> None:
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

    def batches(self, size: int = 100) -> list[dict[str, Any]]:
        records = self.records()
        return [{"Records": records[i:i + size]} for i in range(0, len(records), size)]

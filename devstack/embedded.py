"""In-process moto with the tables deployed from infra/ through CloudFormation, and the app's
services on explicit settings (tests and benches)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

import boto3
from moto import mock_aws

from chalicelib.container import use_settings
from chalicelib.settings import Settings, load_settings
from chalicelib.store.base import forget_connections
from devstack import moto_tidy
from devstack.infra import deploy_tables

TEST_ENV = {"COMANDA_STAGE": "local", "COMANDA_TABLE_PREFIX": "comanda-test", "AWS_REGION": "us-east-1"}


def embedded_settings(**changes: Any) -> Settings:
    """The settings every in-process test runs with (no environment involved)."""
    return replace(load_settings(TEST_ENV), **changes)


def clean_tables(prefix: str = "comanda-test") -> None:
    """Empty every table between tests (far cheaper than redeploying the stack)."""
    ddb = boto3.client("dynamodb", region_name="us-east-1")
    for name in ddb.list_tables()["TableNames"]:
        if not name.startswith(prefix):
            continue
        keys = [k["AttributeName"] for k in ddb.describe_table(TableName=name)["Table"]["KeySchema"]]
        names = {f"#k{i}": k for i, k in enumerate(keys)}
        projection = ", ".join(names)
        pages = ddb.get_paginator("scan").paginate(TableName=name, ProjectionExpression=projection, ExpressionAttributeNames=names)
        for page in pages:
            for item in page["Items"]:
                ddb.delete_item(TableName=name, Key=item)
    forget_stream_records(prefix)


def forget_stream_records(prefix: str = "comanda-test") -> None:
    """Drop the stream records in-process moto has kept for these tables. moto keeps every record
    for the life of the process and deep-copies a whole table, stream included, on each
    TransactWriteItems: a long test session otherwise grows by tens of MB per test. Sequence
    numbers keep increasing."""
    from datetime import datetime

    for table in moto_tidy.stack_tables(prefix).values():
        if table.stream_shard is not None:
            moto_tidy.trim_stream(table.stream_shard, None, datetime.max)


@contextmanager
def embedded_aws(settings: Settings | None = None) -> Iterator[Settings]:
    """In-process moto (which supplies its own fake credentials) with infra/'s tables, and the app's
    services built on test settings for as long as it lasts."""
    chosen = settings or embedded_settings()
    forget_connections()
    try:
        with mock_aws():
            moto_tidy.install()
            deploy_tables(boto3.Session(region_name=chosen.region), chosen.table_prefix, None)
            with use_settings(chosen):
                yield chosen
    finally:
        forget_connections()

"""In-process moto with the tables deployed from infra/ through CloudFormation."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import boto3
from moto import mock_aws

from chalicelib.container import reset_services
from devstack.infra import deploy_tables

TEST_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
    "COMANDA_STAGE": "local",
    "COMANDA_TABLE_PREFIX": "comanda-test",
    "COMANDA_DEFAULT_TENANT": "",
}


@contextmanager
def embedded_aws() -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in [*TEST_ENV, "AWS_ENDPOINT_URL"]}
    os.environ.update(TEST_ENV)
    os.environ.pop("AWS_ENDPOINT_URL", None)
    reset_services()
    try:
        with mock_aws():
            deploy_tables(boto3.Session(region_name="us-east-1"), "comanda-test", None)
            yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        reset_services()

"""The local stack deploys infra/tables.yaml to moto's CloudFormation without a warning per
resource moto skips; the banner says once what is not emulated."""

from __future__ import annotations

import logging
import warnings

import boto3
import pytest
from moto import mock_aws

from devstack.infra import deploy_tables, skipped_by_moto


def test_deploying_the_tables_to_moto_logs_and_warns_nothing_about_skipped_resources(caplog: pytest.LogCaptureFixture) -> None:
    with mock_aws(), warnings.catch_warnings(record=True) as caught, caplog.at_level(logging.WARNING):
        warnings.simplefilter("always")
        outputs = deploy_tables(boto3.Session(region_name="us-east-1"), "comanda-quiet", None)
    assert "TransactionsStreamArn" in outputs
    assert not [w for w in caught if "not supported by moto" in str(w.message)]
    assert "No Moto CloudFormation support" not in caplog.text
    assert logging.getLogger("moto").filters == []  # only for the deploy


def test_what_moto_skips_is_the_alarms_and_at_most_the_secret_and_the_alarm_e_mail_subscription() -> None:
    from ops.stage import TABLES_TEMPLATE, load_cfn

    skipped = skipped_by_moto()
    alarms = [r for r in load_cfn(TABLES_TEMPLATE)["Resources"].values() if r["Type"] == "AWS::CloudWatch::Alarm"]
    assert skipped["AWS::CloudWatch::Alarm"] == len(alarms) == 7
    assert set(skipped) <= {"AWS::CloudWatch::Alarm", "AWS::SecretsManager::Secret", "AWS::SNS::Subscription"}

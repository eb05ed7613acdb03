"""On the local stack, a send_frames shard that keeps failing is retried twice, then lands in the
shard DLQ as Lambda's destination record; `ops.replay_dlq` lists it and re-runs it."""

from __future__ import annotations

import io
import json
import time
from typing import Any

import boto3
import pytest

from ops import replay_dlq
from tests.e2e.harness import RunningStack


def client(service: str, endpoint: str) -> Any:
    return boto3.client(service, region_name="us-east-1", endpoint_url=endpoint, aws_access_key_id="testing",
                        aws_secret_access_key="testing")


def test_a_shard_that_keeps_failing_lands_in_the_shard_dlq_and_is_replayed(stack: RunningStack,
                                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    sqs = client("sqs", stack.aws_endpoint)
    queue = sqs.get_queue_url(QueueName="comanda-local-shard-dlq")["QueueUrl"]
    broken = {"frame": 42, "connections": "not a list"}
    lam = client("lambda", stack.base_url)
    assert lam.invoke(FunctionName="comanda-local-send_frames", InvocationType="Event",
                      Payload=json.dumps(broken).encode())["StatusCode"] == 202

    deadline, messages = time.monotonic() + 30, []
    while not messages and time.monotonic() < deadline:
        messages = sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=1, VisibilityTimeout=0).get("Messages", [])
    [message] = messages
    record = json.loads(message["Body"])
    assert record["requestPayload"] == broken and record["requestContext"]["condition"] == "RetriesExhausted"
    assert record["requestContext"]["approximateInvokeCount"] == 3 and record["responsePayload"]["errorType"] == "ValueError"

    for key, value in {"AWS_ENDPOINT_URL": stack.aws_endpoint, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                       "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(key, value)
    out = io.StringIO()
    invoke = replay_dlq.lambda_invoker(lam)
    assert replay_dlq.main(["--stage", "local", "--queue", "shard"], invoke=invoke, out=out) == 0
    assert "shard of" in out.getvalue() and "1 message(s) in the DLQ" in out.getvalue()
    out = io.StringIO()
    assert replay_dlq.main(["--stage", "local", "--queue", "shard", "--replay"], invoke=invoke, out=out) == 1
    assert "still failing" in out.getvalue()  # the shard itself is broken: it stays for a human
    attributes = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["ApproximateNumberOfMessages"])["Attributes"]
    assert attributes["ApproximateNumberOfMessages"] == "1"
    sqs.purge_queue(QueueUrl=queue)

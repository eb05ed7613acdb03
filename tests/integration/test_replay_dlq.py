"""ops/replay_dlq.py against moto: DLQ messages name a failed batch's position; replaying reads
its records back from the stream and re-runs them through the fan-out."""

from __future__ import annotations

import io
import json
import socket
import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto.server import ThreadedMotoServer

from devstack.infra import deploy_tables
from ops.replay_dlq import run
from tests.support import moto_cfn


class Endpoint:
    """A boto3 session whose clients all talk to one moto server (in-process moto has no
    DynamoDB Streams API)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.session = boto3.Session(region_name="us-east-1")

    def client(self, service: str) -> Any:
        return self.session.client(service, endpoint_url=self.url)


@pytest.fixture
def stage(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    moto_cfn.install()
    for key, value in {"AWS_ACCESS_KEY_ID": "t", "AWS_SECRET_ACCESS_KEY": "t", "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(key, value)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        session = Endpoint(f"http://127.0.0.1:{port}")
        prefix = f"comanda-r{uuid.uuid4().hex[:8]}"
        outputs = deploy_tables(session.session, prefix, session.url)
        ddb = session.client("dynamodb")
        for n in (1, 2):
            ddb.put_item(TableName=f"{prefix}-transactions", Item={"pk": {"S": "alpha"}, "sk": {"S": f"TX#{n:012d}"}})
        streams = session.client("dynamodbstreams")
        stream = outputs["TransactionsStreamArn"]
        shard = streams.describe_stream(StreamArn=stream)["StreamDescription"]["Shards"][0]["ShardId"]
        iterator = streams.get_shard_iterator(StreamArn=stream, ShardId=shard, ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        sequences = [r["dynamodb"]["SequenceNumber"] for r in streams.get_records(ShardIterator=iterator)["Records"]]
        queue = session.client("sqs").get_queue_url(QueueName=f"{prefix}-stream-dlq")["QueueUrl"]
        yield {"session": session, "prefix": prefix, "queue": queue, "stream": stream, "shard": shard, "sequences": sequences}
    finally:
        server.stop()


def dlq_message(stream: str, shard: str, first: str, last: str, size: int) -> str:
    """What Lambda's on-failure destination sends for a DynamoDB stream batch."""
    return json.dumps({
        "requestContext": {"requestId": str(uuid.uuid4()), "functionArn": "arn:aws:lambda:us-east-1:123456789012:function:f",
                           "condition": "RetryAttemptsExhausted", "approximateInvokeCount": 6},
        "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
        "version": "1.0", "timestamp": "2026-11-30T20:00:00.000Z",
        "DDBStreamBatchInfo": {"shardId": shard, "startSequenceNumber": first, "endSequenceNumber": last,
                               "approximateArrivalOfFirstRecord": "2026-11-30T19:59:00Z",
                               "approximateArrivalOfLastRecord": "2026-11-30T19:59:01Z", "batchSize": size, "streamArn": stream},
    })


def in_queue(sqs: Any, queue: str) -> int:
    attributes = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["ApproximateNumberOfMessages",
                                                                          "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]) + int(attributes["ApproximateNumberOfMessagesNotVisible"])


def test_listing_the_dlq_changes_nothing(stage: dict[str, Any]) -> None:
    sqs = stage["session"].client("sqs")
    first, last = stage["sequences"]
    sqs.send_message(QueueUrl=stage["queue"], MessageBody=dlq_message(stage["stream"], stage["shard"], first, last, 2))
    out = io.StringIO()
    calls: list[Any] = []
    run(sqs, stage["session"].client("dynamodbstreams"), lambda f, e: calls.append(e) or {}, stage["queue"], "f", False, False, out)
    assert "2 records" in out.getvalue() and "RetryAttemptsExhausted" in out.getvalue()
    assert "1 message(s) in the DLQ" in out.getvalue()
    assert calls == [] and in_queue(sqs, stage["queue"]) == 1


def test_a_replayed_batch_re_runs_its_records_through_the_fan_out_and_leaves_the_dlq(stage: dict[str, Any]) -> None:
    sqs = stage["session"].client("sqs")
    first, last = stage["sequences"]
    sqs.send_message(QueueUrl=stage["queue"], MessageBody=dlq_message(stage["stream"], stage["shard"], first, last, 2))
    invoked: list[tuple[str, dict[str, Any]]] = []

    def fan_out(function: str, event: dict[str, Any]) -> dict[str, Any]:
        invoked.append((function, event))
        return {"batchItemFailures": []}

    outcome = run(sqs, stage["session"].client("dynamodbstreams"), fan_out, stage["queue"], f"{stage['prefix']}-fan_out", True,
                  False, io.StringIO())
    assert len(outcome.replayed) == 1 and in_queue(sqs, stage["queue"]) == 0
    [(function, event)] = invoked
    assert function == f"{stage['prefix']}-fan_out"
    assert [r["dynamodb"]["SequenceNumber"] for r in event["Records"]] == [first, last]
    assert all(r["eventSourceARN"] == stage["stream"] and r["eventName"] == "INSERT" for r in event["Records"])
    assert event["Records"][1]["dynamodb"]["NewImage"]["sk"] == {"S": "TX#000000000002"}
    json.dumps(event)  # what Lambda would receive


def test_a_batch_that_fails_again_stays_and_one_whose_records_are_gone_is_kept_unless_dropped(stage: dict[str, Any]) -> None:
    sqs = stage["session"].client("sqs")
    first, last = stage["sequences"]
    sqs.send_message(QueueUrl=stage["queue"], MessageBody=dlq_message(stage["stream"], stage["shard"], first, first, 1))
    trimmed = dlq_message(stage["stream"], stage["shard"], str(int(last) + 100), str(int(last) + 101), 2)  # no longer in the stream
    sqs.send_message(QueueUrl=stage["queue"], MessageBody=trimmed)

    def still_failing(function: str, event: dict[str, Any]) -> dict[str, Any]:
        return {"batchItemFailures": [{"itemIdentifier": first}]}

    streams = stage["session"].client("dynamodbstreams")
    outcome = run(sqs, streams, still_failing, stage["queue"], "f", True, False, io.StringIO())
    assert (len(outcome.failed), len(outcome.expired)) == (1, 1)
    assert in_queue(sqs, stage["queue"]) == 2

    outcome = run(sqs, streams, lambda f, e: {"batchItemFailures": []}, stage["queue"], "f", True, True, io.StringIO())
    assert (len(outcome.replayed), len(outcome.expired)) == (1, 1)
    assert in_queue(sqs, stage["queue"]) == 0


def shard_dlq_message(event: dict[str, Any]) -> str:
    """What Lambda's on-failure destination sends for a failed asynchronous send_frames invocation."""
    from devstack.lambdas import failure_record

    return json.dumps(failure_record("arn:aws:lambda:us-east-1:1:function:comanda-x-send_frames", json.dumps(event).encode(),
                                     RuntimeError("ShardFailed: 1 of 2 sends failed after 3 attempts"), 3))


def test_a_failed_shard_is_listed_then_replayed_into_send_frames_as_a_first_attempt_and_leaves_the_dlq(
    stage: dict[str, Any]
) -> None:
    sqs = stage["session"].client("sqs")
    queue = sqs.get_queue_url(QueueName=f"{stage['prefix']}-shard-dlq")["QueueUrl"]
    shard = {"frame": '{"event":"nuevo-pedido"}', "connections": ["c1", "c2"], "attempt": 3}
    sqs.send_message(QueueUrl=queue, MessageBody=shard_dlq_message(shard))
    streams = stage["session"].client("dynamodbstreams")
    listed = io.StringIO()
    run(sqs, streams, lambda f, e: {}, queue, "send_frames", False, False, listed)
    assert "shard of 2 connection(s) (RetriesExhausted)" in listed.getvalue() and in_queue(sqs, queue) == 1

    invoked: list[tuple[str, dict[str, Any]]] = []
    failing = run(sqs, streams, lambda f, e: {"error": {"errorType": "ShardFailed"}}, queue, "send_frames", True, False, io.StringIO())
    assert len(failing.failed) == 1 and in_queue(sqs, queue) == 1
    outcome = run(sqs, streams, lambda f, e: invoked.append((f, e)) or {"delivered": 2}, queue, f"{stage['prefix']}-send_frames",
                  True, False, io.StringIO())
    assert len(outcome.replayed) == 1 and in_queue(sqs, queue) == 0
    assert invoked == [(f"{stage['prefix']}-send_frames", {**shard, "attempt": 1})]

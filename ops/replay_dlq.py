"""Read the dead-letter queues and replay what they hold (docs/operations.md).

    python -m ops.replay_dlq --stage prod            # list what is in the DLQs, change nothing
    python -m ops.replay_dlq --stage prod --replay   # re-run each batch and each shard
    python -m ops.replay_dlq --stage prod --queue shard --replay   # only the shard DLQ

Two queues:
- `<prefix>-stream-dlq`: the stream triggers' on-failure destination. It receives the *position*
  of a failed batch (shard, first and last sequence number, stream ARN), not its records.
  Replaying reads those records back from the DynamoDB stream (they live there for 24 hours)
  and invokes the stage's fan-out function with them, in the same event shape as its trigger. A
  message is deleted only once its whole batch went through with no item failures; a batch
  whose records have left the stream is reported and kept (`--drop-expired` deletes those after
  you have reconciled them by hand).
- `<prefix>-shard-dlq`: send_frames's asynchronous on-failure destination. Each message holds
  the failed shard's whole event (`requestPayload`: the frame and its connections). Replaying
  invokes send_frames with it, synchronously, as a first attempt; the message is deleted once
  the invocation succeeds.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TextIO

from ops.stage import SHARD_FUNCTION, stage_prefix

Invoke = Callable[[str, dict[str, Any]], dict[str, Any]]


@dataclass(frozen=True)
class FailedBatch:
    receipt: str
    message_id: str
    stream_arn: str
    shard_id: str
    first: str
    last: str
    size: int
    function_arn: str | None
    condition: str | None

    @classmethod
    def from_message(cls, message: dict[str, Any]) -> FailedBatch:
        body = json.loads(message["Body"])
        info = body["DDBStreamBatchInfo"]
        context = body.get("requestContext", {})
        return cls(
            receipt=message["ReceiptHandle"], message_id=message["MessageId"], stream_arn=info["streamArn"],
            shard_id=info["shardId"], first=info["startSequenceNumber"], last=info["endSequenceNumber"],
            size=int(info.get("batchSize", 0)), function_arn=context.get("functionArn"), condition=context.get("condition"),
        )


@dataclass
class Outcome:
    replayed: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    expired: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class FailedShard:
    receipt: str
    message_id: str
    event: dict[str, Any]
    condition: str | None

    @classmethod
    def from_message(cls, message: dict[str, Any]) -> FailedShard:
        body = json.loads(message["Body"])
        payload = body["requestPayload"]
        event = json.loads(payload) if isinstance(payload, str) else dict(payload)
        return cls(message["ReceiptHandle"], message["MessageId"], {**event, "attempt": 1},
                   body.get("requestContext", {}).get("condition"))


def is_shard_message(message: dict[str, Any]) -> bool:
    body = json.loads(message["Body"])
    return "requestPayload" in body and "DDBStreamBatchInfo" not in body


class RecordsGone(Exception):
    pass


def read_batch(streams: Any, batch: FailedBatch) -> list[dict[str, Any]]:
    """The batch's records, read back from the stream, shaped as the trigger delivers them."""
    try:
        iterator = streams.get_shard_iterator(StreamArn=batch.stream_arn, ShardId=batch.shard_id,
                                              ShardIteratorType="AT_SEQUENCE_NUMBER", SequenceNumber=batch.first)["ShardIterator"]
    except streams.exceptions.TrimmedDataAccessException as exc:
        raise RecordsGone(str(exc)) from exc
    except streams.exceptions.ResourceNotFoundException as exc:
        raise RecordsGone(str(exc)) from exc
    records: list[dict[str, Any]] = []
    last = int(batch.last)
    while iterator:
        page = streams.get_records(ShardIterator=iterator, Limit=1000)
        for record in page["Records"]:
            if int(record["dynamodb"]["SequenceNumber"]) > last:
                return records
            record = dict(record, eventSourceARN=batch.stream_arn)
            created = record["dynamodb"].get("ApproximateCreationDateTime")
            if created is not None and not isinstance(created, (int, float)):  # boto3 parses it to a datetime
                record["dynamodb"] = dict(record["dynamodb"], ApproximateCreationDateTime=created.timestamp())
            records.append(record)
        if not page["Records"]:
            break
        iterator = page.get("NextShardIterator")
    if not records:
        raise RecordsGone(f"no records from {batch.first} on shard {batch.shard_id}")
    return records


def _release(sqs: Any, queue_url: str, batch: FailedBatch) -> None:
    """A message that stays in the DLQ becomes visible again at once (for the next run and the alarm)."""
    sqs.change_message_visibility(QueueUrl=queue_url, ReceiptHandle=batch.receipt, VisibilityTimeout=0)


def lambda_invoker(client: Any) -> Invoke:
    def invoke(function: str, event: dict[str, Any]) -> dict[str, Any]:
        reply = client.invoke(FunctionName=function, Payload=json.dumps(event, default=str).encode())
        payload = json.loads(reply["Payload"].read() or b"{}")
        if reply.get("FunctionError"):
            return {"error": payload}
        return dict(payload)

    return invoke


def run(sqs: Any, streams: Any, invoke: Invoke, queue_url: str, function: str, replay: bool, drop_expired: bool,
        out: TextIO, max_messages: int = 100) -> Outcome:
    outcome = Outcome()
    seen: set[str] = set()
    # Listing leaves the messages visible (and so may receive one twice); replaying hides each
    # for the time it takes.
    visibility = 300 if replay else 0
    while len(seen) < max_messages:
        messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, VisibilityTimeout=visibility,
                                       WaitTimeSeconds=0).get("Messages", [])
        fresh = [m for m in messages if m["MessageId"] not in seen]
        for again in (m for m in messages if m["MessageId"] in seen):  # kept by this run: visible again
            sqs.change_message_visibility(QueueUrl=queue_url, ReceiptHandle=again["ReceiptHandle"], VisibilityTimeout=0)
        if not fresh:
            break
        for message in fresh:
            seen.add(message["MessageId"])
            if is_shard_message(message):
                replay_shard(sqs, invoke, queue_url, function, FailedShard.from_message(message), replay, out, outcome)
                continue
            batch = FailedBatch.from_message(message)
            where = f"{batch.message_id}: {batch.size} records {batch.first}..{batch.last} on {batch.shard_id} ({batch.condition})"
            if not replay:
                print(f"in DLQ {where}", file=out)
                continue
            try:
                records = read_batch(streams, batch)
            except RecordsGone as exc:
                outcome.expired.append(batch.message_id)
                print(f"expired {where}: {exc}", file=out)
                if drop_expired:
                    sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=batch.receipt)
                else:
                    _release(sqs, queue_url, batch)
                continue
            reply = invoke(function, {"Records": records})
            failures = reply.get("batchItemFailures", []) if "error" not in reply else None
            if failures == []:
                sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=batch.receipt)
                outcome.replayed.append(batch.message_id)
                print(f"replayed {where}: {len(records)} records", file=out)
            else:
                outcome.failed.append(batch.message_id)
                _release(sqs, queue_url, batch)
                print(f"still failing {where}: {reply}", file=out)
    if not replay:
        print(f"{len(seen)} message(s) in the DLQ; --replay to re-run them", file=out)
    else:
        print(f"replayed {len(outcome.replayed)}, still failing {len(outcome.failed)}, expired {len(outcome.expired)}", file=out)
    return outcome


def replay_shard(sqs: Any, invoke: Invoke, queue_url: str, function: str, shard: FailedShard, replay: bool, out: TextIO,
                 outcome: Outcome) -> None:
    connections = shard.event.get("connections") or []
    where = f"{shard.message_id}: shard of {len(connections)} connection(s) ({shard.condition})"
    if not replay:
        print(f"in DLQ {where}", file=out)
        return
    reply = invoke(function, shard.event)
    if "error" in reply:
        outcome.failed.append(shard.message_id)
        sqs.change_message_visibility(QueueUrl=queue_url, ReceiptHandle=shard.receipt, VisibilityTimeout=0)
        print(f"still failing {where}: {reply}", file=out)
        return
    sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=shard.receipt)
    outcome.replayed.append(shard.message_id)
    print(f"replayed {where}: {reply}", file=out)


def main(argv: list[str] | None = None, session: Any = None, invoke: Invoke | None = None, out: TextIO = sys.stdout) -> int:
    parser = argparse.ArgumentParser(prog="python -m ops.replay_dlq", description=__doc__.split("\n\n")[0])
    parser.add_argument("--stage", required=True)
    parser.add_argument("--replay", action="store_true", help="re-run the batches (default: only list them)")
    parser.add_argument("--drop-expired", action="store_true", help="delete messages whose records left the stream")
    parser.add_argument("--queue", choices=("stream", "shard", "both"), default="both", help="which DLQ (default: both)")
    parser.add_argument("--function", help="the function to replay stream batches into (default <prefix>-fan_out)")
    parser.add_argument("--profile")
    args = parser.parse_args(argv)
    if session is None:
        import boto3

        session = boto3.Session(profile_name=args.profile) if args.profile else boto3.Session()
    prefix = stage_prefix(args.stage)
    sqs = session.client("sqs")
    queues = {"stream": (f"{prefix}-stream-dlq", args.function or f"{prefix}-fan_out"),
              "shard": (f"{prefix}-shard-dlq", f"{prefix}-{SHARD_FUNCTION}")}
    invoke = invoke or lambda_invoker(session.client("lambda"))
    failed = 0
    for kind in (("stream", "shard") if args.queue == "both" else (args.queue,)):
        queue_name, function = queues[kind]
        print(f"== {queue_name}", file=out)
        queue_url = sqs.get_queue_url(QueueName=queue_name)["QueueUrl"]
        outcome = run(sqs, session.client("dynamodbstreams"), invoke, queue_url, function, args.replay, args.drop_expired, out)
        failed += len(outcome.failed)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

"""The stream poller: Lambda-shaped batches, start positions, partial batch responses, retries.
Driven against a fake DynamoDB Streams client and a fake clock; one test against moto."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from chalice import Chalice
from moto import mock_aws

from devstack.streams import StreamPoller, find_stream_sources, lambda_record, same_table, table_of

ARN = "arn:aws:dynamodb:us-east-1:000000000000:table/comanda-local-transactions/stream/2026-01-01T00:00:00.000"


class FakeStreams:
    """One shard; iterators are `shard:position`."""

    def __init__(self) -> None:
        self.records: list[dict[str, Any]] = []

    def write(self, n: int = 1) -> list[str]:
        out = []
        for _ in range(n):
            seq = str(1000 + len(self.records))
            self.records.append(
                {
                    "eventID": f"ev{seq}",
                    "eventName": "INSERT",
                    "eventVersion": "1.1",
                    "eventSource": "aws:dynamodb",
                    "awsRegion": "us-east-1",
                    "dynamodb": {
                        "ApproximateCreationDateTime": datetime(2026, 3, 18, 12, 35, tzinfo=UTC),
                        "Keys": {"pk": {"S": "T#1"}, "sk": {"S": seq}},
                        "NewImage": {"pk": {"S": "T#1"}, "sk": {"S": seq}, "total": {"N": "50.00"}},
                        "SequenceNumber": seq,
                        "SizeBytes": 42,
                        "StreamViewType": "NEW_AND_OLD_IMAGES",
                    },
                }
            )
            out.append(seq)
        return out

    def describe_stream(self, StreamArn: str, **_: Any) -> dict[str, Any]:
        return {"StreamDescription": {"StreamArn": StreamArn, "Shards": [{"ShardId": "shard-1"}]}}

    def get_shard_iterator(self, StreamArn: str, ShardId: str, ShardIteratorType: str, SequenceNumber: str | None = None) -> Any:
        position = {"TRIM_HORIZON": 0, "LATEST": len(self.records)}.get(ShardIteratorType)
        if ShardIteratorType == "AFTER_SEQUENCE_NUMBER":
            position = int(str(SequenceNumber)) - 1000 + 1
        return {"ShardIterator": f"{ShardId}:{position}"}

    def get_records(self, ShardIterator: str, Limit: int) -> dict[str, Any]:
        shard, position = ShardIterator.split(":")
        page = self.records[int(position) : int(position) + Limit]
        return {"Records": page, "NextShardIterator": f"{shard}:{int(position) + len(page)}"}


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class Handler:
    """Records every batch; `plan` says what each call does: None (ok), [seq...] (fail those), "raise"."""

    def __init__(self, plan: list[Any] | None = None) -> None:
        self.batches: list[list[str]] = []
        self.events: list[dict[str, Any]] = []
        self.plan = list(plan or [])

    def __call__(self, event: dict[str, Any], context: Any) -> Any:
        self.events.append(event)
        self.batches.append([r["dynamodb"]["SequenceNumber"] for r in event["Records"]])
        step = self.plan.pop(0) if self.plan else None
        if step == "raise":
            raise RuntimeError("handler failed")
        if step:
            return {"batchItemFailures": [{"itemIdentifier": s} for s in step]}
        return {"batchItemFailures": []}


def poller(streams: FakeStreams, handler: Handler, clock: Clock, **kw: Any) -> StreamPoller:
    kw.setdefault("batch_size", 100)
    return StreamPoller(streams, ARN, handler, clock=clock, context_factory=lambda: None, **kw)


def drain(p: StreamPoller, clock: Clock, rounds: int = 50) -> None:
    for _ in range(rounds):
        p.poll_once()
        clock.now += 10


def test_latest_skips_what_was_written_before_the_poller_started() -> None:
    streams, handler, clock = FakeStreams(), Handler(), Clock()
    streams.write(3)
    p = poller(streams, handler, clock)
    p.discover()
    new = streams.write(2)
    drain(p, clock, 3)
    assert handler.batches == [new]


def test_trim_horizon_delivers_from_the_beginning() -> None:
    streams, handler, clock = FakeStreams(), Handler(), Clock()
    old = streams.write(3)
    drain(poller(streams, handler, clock, start_position="TRIM_HORIZON"), clock, 3)
    assert handler.batches == [old]


def test_records_arrive_as_a_lambda_dynamodb_event() -> None:
    streams, handler, clock = FakeStreams(), Handler(), Clock()
    p = poller(streams, handler, clock)
    p.discover()
    streams.write(1)
    drain(p, clock, 2)
    record = handler.events[0]["Records"][0]
    assert record["eventSource"] == "aws:dynamodb" and record["eventSourceARN"] == ARN
    assert record["eventName"] == "INSERT" and record["awsRegion"] == "us-east-1" and record["eventID"] == "ev1000"
    ddb = record["dynamodb"]
    assert ddb["ApproximateCreationDateTime"] == int(datetime(2026, 3, 18, 12, 35, tzinfo=UTC).timestamp())
    assert ddb["NewImage"]["total"] == {"N": "50.00"}
    assert (ddb["SequenceNumber"], ddb["SizeBytes"], ddb["StreamViewType"]) == ("1000", 42, "NEW_AND_OLD_IMAGES")
    assert "OldImage" not in ddb


def test_batches_hold_at_most_batch_size_records_in_order() -> None:
    streams, handler, clock = FakeStreams(), Handler(), Clock()
    p = poller(streams, handler, clock, batch_size=100)
    p.discover()
    written = streams.write(250)
    drain(p, clock, 5)
    assert [len(b) for b in handler.batches] == [100, 100, 50]
    assert [s for b in handler.batches for s in b] == written


def test_a_partial_failure_redelivers_from_the_lowest_failed_record_only() -> None:
    streams, clock = FakeStreams(), Clock()
    handler = Handler(plan=[["1004", "1002"]])
    p = poller(streams, handler, clock)
    p.discover()
    streams.write(5)
    drain(p, clock, 4)
    assert handler.batches == [["1000", "1001", "1002", "1003", "1004"], ["1002", "1003", "1004"]]


def test_an_exception_redelivers_the_whole_batch() -> None:
    streams, clock = FakeStreams(), Clock()
    handler = Handler(plan=["raise"])
    p = poller(streams, handler, clock)
    p.discover()
    written = streams.write(3)
    drain(p, clock, 4)
    assert handler.batches == [written, written]


def test_an_unknown_item_identifier_redelivers_the_whole_batch() -> None:
    streams, clock = FakeStreams(), Clock()
    handler = Handler(plan=[["9999"]])
    p = poller(streams, handler, clock)
    p.discover()
    written = streams.write(2)
    drain(p, clock, 4)
    assert handler.batches == [written, written]


def test_retries_back_off_exponentially() -> None:
    streams, clock = FakeStreams(), Clock()
    handler = Handler(plan=["raise", "raise"])
    p = poller(streams, handler, clock, backoff=1.0)
    p.discover()
    streams.write(1)
    p.poll_once()
    assert len(handler.batches) == 1
    clock.now += 0.9
    p.poll_once()
    assert len(handler.batches) == 1, "retried before the first back-off (1 s) elapsed"
    clock.now += 0.2
    p.poll_once()
    assert len(handler.batches) == 2
    clock.now += 1.5
    p.poll_once()
    assert len(handler.batches) == 2, "the second back-off should be 2 s"
    clock.now += 0.6
    p.poll_once()
    assert len(handler.batches) == 3


def test_a_batch_that_keeps_failing_is_discarded_after_max_retries_and_the_stream_moves_on() -> None:
    streams, clock = FakeStreams(), Clock()
    handler = Handler(plan=["raise"] * 10)
    p = poller(streams, handler, clock, max_retries=2)
    p.discover()
    first = streams.write(2)
    drain(p, clock, 4)
    assert handler.batches == [first, first, first]
    assert p.discarded == 2
    handler.plan = []
    later = streams.write(1)
    drain(p, clock, 2)
    assert handler.batches[-1] == later


def test_stream_arns_name_their_table_and_a_deployed_stage_arn_finds_the_local_table() -> None:
    assert table_of(ARN) == "comanda-local-transactions"
    assert table_of("not-an-arn") is None
    assert same_table("comanda-dev-transactions", "comanda-local-transactions", "comanda-local")
    assert not same_table("comanda-dev-cajas", "comanda-local-transactions", "comanda-local")


def test_the_apps_on_dynamodb_record_sources_are_matched_to_local_streams() -> None:
    app = Chalice(app_name="streams-test")

    deployed = "arn:aws:dynamodb:us-east-1:123456789012:table/comanda-dev-transactions/stream/x"

    @app.on_dynamodb_record(stream_arn=deployed, batch_size=50)
    def fanout(event: Any) -> None:
        return None

    @app.on_dynamodb_record(stream_arn="arn:aws:dynamodb:us-east-1:123456789012:table/elsewhere/stream/x")
    def unrelated(event: Any) -> None:
        return None

    local = {"comanda-local-transactions": ARN, "comanda-local-cajas": ARN.replace("transactions", "cajas")}
    found = find_stream_sources(app, local, "comanda-local")
    assert [(arn, source.name, source.batch_size) for arn, _, source in found] == [(ARN, "fanout", 50)]
    assert found[0][1] is app.handler_map["fanout"]
    assert find_stream_sources(Chalice(app_name="none"), local, "comanda-local") == []


def test_lambda_record_keeps_old_and_new_images() -> None:
    raw = {"eventID": "e", "eventName": "MODIFY", "dynamodb": {"OldImage": {"a": {"S": "1"}}, "NewImage": {"a": {"S": "2"}},
                                                             "SequenceNumber": "7", "Keys": {}}}
    record = lambda_record(raw, ARN, "eu-west-1")
    assert record["dynamodb"]["OldImage"] == {"a": {"S": "1"}} and record["dynamodb"]["NewImage"] == {"a": {"S": "2"}}
    assert record["awsRegion"] == "eu-west-1" and record["eventVersion"] == "1.1"


@pytest.fixture
def moto_table() -> Iterator[tuple[Any, Any]]:
    with mock_aws():
        ddb = boto3.client("dynamodb", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
        ddb.create_table(
            TableName="comanda-local-transactions",
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
            StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
        )
        # botocore routes DescribeStream & co. to the account endpoint ({account}.streams-ddb...),
        # which moto's in-process mock does not intercept; the classic endpoint is.
        streams = boto3.client(
            "dynamodbstreams", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x",
            endpoint_url="https://streams.dynamodb.us-east-1.amazonaws.com",
        )
        yield ddb, streams
        # moto's backends are process-wide (a nested mock_aws shares them): leave nothing behind.
        ddb.delete_table(TableName="comanda-local-transactions")


def test_against_moto_a_modify_arrives_with_old_and_new_images(moto_table: tuple[Any, Any]) -> None:
    from devstack.streams import local_stream_arns

    ddb, streams = moto_table
    ddb.put_item(TableName="comanda-local-transactions", Item={"pk": {"S": "T#1"}, "sk": {"S": "A"}, "v": {"N": "1"}})
    arn = local_stream_arns(streams, "comanda-local")["comanda-local-transactions"]
    handler, clock = Handler(), Clock()
    p = StreamPoller(streams, arn, handler, clock=clock, context_factory=lambda: None)
    p.discover()
    ddb.put_item(TableName="comanda-local-transactions", Item={"pk": {"S": "T#1"}, "sk": {"S": "A"}, "v": {"N": "2"}})
    drain(p, clock, 3)
    assert len(handler.events) == 1
    (record,) = handler.events[0]["Records"]
    assert record["eventName"] == "MODIFY" and record["eventSourceARN"] == arn
    assert record["dynamodb"]["OldImage"]["v"] == {"N": "1"} and record["dynamodb"]["NewImage"]["v"] == {"N": "2"}
    assert isinstance(record["dynamodb"]["ApproximateCreationDateTime"], int)


def test_the_pollers_run_the_apps_own_handler_against_a_moto_server_and_honour_partial_failures() -> None:
    """Given a moto server, a table and an app with an on_dynamodb_record source, when items are
    written, then the app's handler gets them, and a reported failure is delivered again."""
    from types import SimpleNamespace

    from moto.server import ThreadedMotoServer

    from devstack.streams import start_stream_pollers

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    creds = {"region_name": "us-east-1", "aws_access_key_id": "x", "aws_secret_access_key": "x", "endpoint_url": endpoint}
    pollers = []
    try:
        ddb = boto3.client("dynamodb", **creds)
        ddb.create_table(
            TableName="devstack-it-transactions",
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
            StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
        )
        app = Chalice(app_name="streams-it")
        calls: list[list[str]] = []
        failed_b: list[str] = []

        @app.on_dynamodb_record(stream_arn="arn:aws:dynamodb:us-east-1:000000000000:table/comanda-dev-transactions/stream/x")
        def fanout(event: Any) -> dict[str, Any]:
            records = event.to_dict()["Records"]
            calls.append([r["dynamodb"]["Keys"]["sk"]["S"] for r in records])
            b = [r["dynamodb"]["SequenceNumber"] for r in records if r["dynamodb"]["Keys"]["sk"]["S"] == "B"]
            if b and not failed_b:  # B fails the first time it is seen
                failed_b.extend(b)
                return {"batchItemFailures": [{"itemIdentifier": b[0]}]}
            return {"batchItemFailures": []}

        settings = SimpleNamespace(region="us-east-1", endpoint_url=endpoint, table_prefix="devstack-it",
                                   aws_credentials=("x", "x"))
        pollers = start_stream_pollers(app, settings)
        assert [p.name for p in pollers] == ["fanout"]
        for sk in ("A", "B", "C"):
            ddb.put_item(TableName="devstack-it-transactions", Item={"pk": {"S": "T#1"}, "sk": {"S": sk}})
        import time

        deadline = time.monotonic() + 10
        delivered: list[str] = []
        while time.monotonic() < deadline:
            delivered = [sk for batch in calls for sk in batch]
            if delivered.count("B") == 2 and "C" in delivered:
                break
            time.sleep(0.05)
        assert delivered[0] == "A" and delivered.count("A") == 1, calls
        assert delivered.count("B") == 2, calls
        retry = next(i for i, batch in enumerate(calls) if "B" in batch) + 1
        assert calls[retry][0] == "B", calls
    finally:
        for poller in pollers:
            poller.stop()
        with contextlib.suppress(Exception):  # moto's backends are process-wide
            boto3.client("dynamodb", **creds).delete_table(TableName="devstack-it-transactions")
        server.stop()


# --- pace: the adaptive schedule and nudges ---------------------------------------------------


def test_the_adaptive_schedule_polls_fast_for_a_second_after_activity_then_backs_off_to_idle() -> None:
    from devstack.streams import PollSchedule

    clock = Clock()
    schedule = PollSchedule("adaptive", fast=0.02, idle=0.2, hot_for=1.0, clock=clock)
    assert schedule.next_sleep() == 0.2, "no activity yet: idle pace"
    schedule.activity()
    assert schedule.next_sleep() == 0.02
    clock.now += 0.99
    assert schedule.next_sleep() == 0.02, "still within the second after the activity"
    clock.now += 0.02
    assert schedule.next_sleep() == 0.2, "a second of silence: back to idle"
    schedule.activity()
    assert schedule.next_sleep() == 0.02, "new activity makes it fast again"


def test_the_fixed_schedule_always_sleeps_the_idle_interval_and_ignores_nudges() -> None:
    from devstack.streams import PollSchedule

    clock = Clock()
    schedule = PollSchedule("fixed", idle=0.2, clock=clock)
    schedule.activity()
    assert schedule.next_sleep() == 0.2
    assert not schedule.wakes_on_nudge
    assert PollSchedule("adaptive").wakes_on_nudge
    with pytest.raises(ValueError):
        PollSchedule("eager")


def test_a_poller_fed_records_is_kept_hot_and_a_nudge_marks_activity() -> None:
    from devstack.streams import PollSchedule

    streams, clock = FakeStreams(), Clock()
    p = poller(streams, Handler(), clock, schedule=PollSchedule("adaptive", fast=0.02, idle=0.2, clock=clock))
    assert p.schedule.next_sleep() == 0.2
    p.nudge()
    assert p.schedule.next_sleep() == 0.02
    clock.now += 5
    assert p.schedule.next_sleep() == 0.2
    fixed = poller(streams, Handler(), clock, schedule=PollSchedule("fixed", clock=clock))
    fixed.nudge()
    assert fixed.schedule.next_sleep() == 0.2


def test_a_nudge_wakes_a_sleeping_poller_and_delivery_stays_in_order_per_shard() -> None:
    """Given a running poller whose sleeps are a minute long, when records are written and the
    poller is nudged, then it polls at once and the handler sees every record once, in order."""
    import threading

    from devstack.streams import PollSchedule

    streams = FakeStreams()
    seen: list[str] = []
    arrived = threading.Event()

    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        seen.extend(r["dynamodb"]["SequenceNumber"] for r in event["Records"])
        if len(seen) >= 250:
            arrived.set()
        return {"batchItemFailures": []}

    p = StreamPoller(streams, ARN, handler, batch_size=100, context_factory=lambda: None,
                     schedule=PollSchedule("adaptive", fast=60.0, idle=60.0))
    p.discover()
    p.start()
    try:
        written = streams.write(250)
        p.nudge()
        assert arrived.wait(10), f"a nudged poller did not deliver: {len(seen)} of 250"
    finally:
        p.stop()
    assert seen == written


def test_in_process_reads_of_the_embedded_moto_deliver_what_get_records_over_boto3_delivers(moto_table: tuple[Any, Any]) -> None:
    """Given records in a moto table's stream, when one poller reads through boto3 and another
    straight from the moto backend, then both handlers get the same Lambda events, in order."""
    from devstack.streams import InProcessMotoStreams, local_stream_arns

    ddb, streams = moto_table
    arn = local_stream_arns(streams, "comanda-local")["comanda-local-transactions"]
    clock = Clock()
    via_boto3, in_process = Handler(), Handler()
    pollers = [StreamPoller(client, arn, handler, clock=clock, context_factory=lambda: None, batch_size=2)
               for client, handler in ((streams, via_boto3), (InProcessMotoStreams(), in_process))]
    for p in pollers:
        p.discover()
    for n in range(5):
        ddb.put_item(TableName="comanda-local-transactions", Item={"pk": {"S": "T#1"}, "sk": {"S": f"S{n % 3}"}, "v": {"N": str(n)}})
    for p in pollers:
        drain(p, clock, 6)
    assert [len(b) for b in in_process.batches] == [2, 2, 1]
    assert in_process.events == via_boto3.events
    names = [r["eventName"] for e in in_process.events for r in e["Records"]]
    assert names == ["INSERT", "INSERT", "INSERT", "MODIFY", "MODIFY"]


def test_a_batch_waiting_for_its_retry_lets_the_poller_sleep_until_it_is_due() -> None:
    from devstack.streams import PollSchedule

    streams, clock = FakeStreams(), Clock()
    handler = Handler(plan=["raise"])
    p = poller(streams, handler, clock, backoff=1.0, schedule=PollSchedule("adaptive", fast=0.02, idle=0.2, clock=clock))
    p.discover()
    streams.write(1)
    p.poll_once()  # fails: retry due in 1 s
    clock.now += 5  # long after any activity: the schedule alone would sleep the idle 0.2 s
    assert p._pause() == 0.2
    clock.now -= 4.9  # 0.1 s after the failure: the retry is due in 0.9 s, the idle sleep ends first
    assert p._pause() == 0.2
    clock.now += 0.85  # 0.95 s after: the retry comes due in 0.05 s, before the idle sleep would end
    assert abs(p._pause() - 0.05) < 1e-9


def test_a_failing_handler_does_not_make_the_poller_spin() -> None:
    import time

    streams = FakeStreams()
    calls: list[int] = []

    def failing(event: dict[str, Any], context: Any) -> Any:
        calls.append(1)
        raise RuntimeError("the Management API is down")

    p = StreamPoller(streams, ARN, failing, context_factory=lambda: None, backoff=0.2, max_backoff=0.2)
    p.discover()
    streams.write(1)
    passes = 0
    real_poll = p.poll_once

    def counted() -> int:
        nonlocal passes
        passes += 1
        return real_poll()

    p.poll_once = counted  # type: ignore[method-assign]
    p.start()
    time.sleep(1.0)
    p.stop()
    assert p._thread is not None and not p._thread.is_alive()
    assert 2 <= len(calls) <= 8 and passes < 100, (len(calls), passes)  # retries every 0.2 s instead of polling without a pause


# --- the trigger's filter, as the deployed event source mapping applies it ------------------------


def test_the_tenants_trigger_filter_lets_branch_rows_through_and_drops_counter_rows() -> None:
    import json

    from devstack.streams import trigger_filters

    streams, handler, clock = FakeStreams(), Handler(), Clock()
    filters = trigger_filters("arn:aws:dynamodb:us-east-1:123456789012:table/comanda-local-tenants/stream/local")
    assert filters == [json.loads(json.dumps({"dynamodb": {"Keys": {"sk": {"S": [{"prefix": "BRANCH#"}]}}}}))]
    p = poller(streams, handler, clock, start_position="TRIM_HORIZON", filters=filters)
    for sk in ("BRANCH#centro", "COUNTER#transacciones", "BRANCH#norte", "META"):
        streams.write(1)
        streams.records[-1]["dynamodb"]["Keys"]["sk"] = {"S": sk}
    drain(p, clock, 3)
    delivered = [r["dynamodb"]["Keys"]["sk"]["S"] for event in handler.events for r in event["Records"]]
    assert delivered == ["BRANCH#centro", "BRANCH#norte"]
    assert p.filtered_out == 2


def test_the_other_streams_have_no_filter() -> None:
    from devstack.streams import trigger_filters

    for table in ("transactions", "connections"):
        assert trigger_filters(f"arn:aws:dynamodb:us-east-1:1:table/comanda-local-{table}/stream/x") == []


def test_event_filter_patterns_match_like_lambdas() -> None:
    from devstack.streams import matches_pattern, passes_filters

    record = {"eventName": "MODIFY", "dynamodb": {"Keys": {"sk": {"S": "BRANCH#centro"}}}}
    assert matches_pattern({"eventName": ["INSERT", "MODIFY"]}, record)
    assert not matches_pattern({"eventName": ["REMOVE"]}, record)
    assert matches_pattern({"dynamodb": {"Keys": {"sk": {"S": [{"prefix": "BRANCH#"}]}}}}, record)
    assert not matches_pattern({"dynamodb": {"Keys": {"pk": {"S": [{"prefix": "T"}]}}}}, record)
    assert matches_pattern({"dynamodb": {"NewImage": [{"exists": False}]}}, record)
    assert matches_pattern({"eventName": [{"anything-but": ["REMOVE"]}]}, record)
    assert passes_filters([], record) and passes_filters([{"eventName": ["REMOVE"]}, {"eventName": ["MODIFY"]}], record)

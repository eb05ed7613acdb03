"""Poll the tables' DynamoDB streams and invoke the app's own stream handler with Lambda-shaped
batches, as an event source mapping would.

- Handlers are the app's Chalice `@app.on_dynamodb_record(stream_arn=...)` event sources. A source
  matches a local table when the table name in its stream ARN equals the local table name, or when
  both end in the same logical name (`comanda-dev-transactions` ~ `comanda-local-transactions`), so
  an ARN written for a deployed stage still finds its local table. No sources: no pollers.
- Start position: LATEST at stack start (default), so the demo seed and a restart's history are not
  replayed; `--streams-from trim_horizon` replays everything. Shards that appear later are read
  from TRIM_HORIZON, as Lambda does for new shards.
- Batches of up to the source's batch_size (Lambda's default, 100) records of one shard, in order,
  one batch in flight per shard.
- Partial batch responses: `{"batchItemFailures": [{"itemIdentifier": <SequenceNumber>}]}` re-delivers
  from the lowest failed sequence number (the records before it are done). An exception, or an
  identifier that is not in the batch, re-delivers the whole batch. Retries back off exponentially
  (0.2 s, 0.4 s, ... capped at 5 s); after `max_retries` the batch is discarded with an error log
  (Lambda's MaximumRetryAttempts).
- Polling pace (`PollSchedule`): `adaptive` (default) polls every 20 ms while records flow, for a
  second after the last record or nudge, then backs off to 200 ms; `fixed` is the old pace, 200 ms
  after every empty poll. `nudge()` wakes the pollers at once: the stack nudges them right after
  each write of the app's shared DynamoDB client (a botocore after-call hook) and after every
  REST request and WebSocket handler it served, so the first poll after a write does not wait
  for a sleep to end and the fan-out overlaps the rest of the request. `--stream-poll fixed|adaptive`
  (`COMANDA_LOCAL_STREAM_POLL`) picks the pace.
- Reads: with the embedded moto (same process), `InProcessMotoStreams` reads the shards straight
  from moto's backend: an empty GetRecords over HTTP costs ~4 ms of this process's CPU (botocore
  + werkzeug + moto), which at 3 streams x 5 polls/s is ~6 % of a core doing nothing. Against
  `AWS_ENDPOINT_URL` (LocalStack, a separate moto) the boto3 client is used; `--stream-reads http`
  forces it.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

log = logging.getLogger("devstack.streams")

StreamHandler = Callable[[dict[str, Any], Any], Any]
STREAM_ARN = re.compile(r"^arn:[^:]+:dynamodb:(?P<region>[^:]*):[^:]*:table/(?P<table>[^/]+)/stream/.+$")


def table_of(stream_arn: str) -> str | None:
    match = STREAM_ARN.match(stream_arn or "")
    return match.group("table") if match else None


def same_table(source_table: str, local_table: str, prefix: str) -> bool:
    if source_table == local_table:
        return True
    logical = local_table[len(prefix) + 1 :] if local_table.startswith(prefix + "-") else None
    return bool(logical) and source_table.endswith("-" + str(logical))


def lambda_record(record: dict[str, Any], stream_arn: str, region: str) -> dict[str, Any]:
    """A GetRecords record as a Lambda DynamoDB stream event record."""
    ddb = dict(record.get("dynamodb") or {})
    created = ddb.get("ApproximateCreationDateTime")
    if isinstance(created, datetime):
        ddb["ApproximateCreationDateTime"] = int(created.timestamp())
    out_ddb = {k: ddb[k] for k in ("ApproximateCreationDateTime", "Keys", "NewImage", "OldImage", "SequenceNumber",
                                   "SizeBytes", "StreamViewType") if k in ddb}
    return {
        "eventID": record.get("eventID"),
        "eventName": record.get("eventName"),
        "eventVersion": record.get("eventVersion", "1.1"),
        "eventSource": "aws:dynamodb",
        "awsRegion": record.get("awsRegion") or region,
        "dynamodb": out_ddb,
        "eventSourceARN": stream_arn,
    }


class InProcessMotoStreams:
    """The four DynamoDB Streams calls the poller makes, answered from the moto backend of this
    process (the embedded ThreadedMotoServer serves the same backends), with the shapes boto3
    returns. Iterators are `<arn>|<shard>|<next sequence number>`; records are copies."""

    def _shard(self, stream_arn: str) -> Any:
        from moto.dynamodbstreams.models import dynamodbstreams_backends

        parts = stream_arn.split(":", 6)
        region, account, table_name = parts[3], parts[4], parts[5].split("/")[1]
        table = dynamodbstreams_backends[account][region].dynamodb.get_table(table_name)
        return table.stream_shard

    def describe_stream(self, StreamArn: str, **_: Any) -> dict[str, Any]:  # noqa: N803 - boto3's names
        shard = self._shard(StreamArn)
        return {"StreamDescription": {"StreamArn": StreamArn, "Shards": [shard.to_json()] if shard else []}}

    def get_shard_iterator(self, StreamArn: str, ShardId: str, ShardIteratorType: str,  # noqa: N803
                           SequenceNumber: str | None = None) -> dict[str, Any]:
        shard = self._shard(StreamArn)
        if shard is None or shard.id != ShardId:
            return {"ShardIterator": None}
        start = {
            "TRIM_HORIZON": shard.starting_sequence_number,
            "LATEST": shard.starting_sequence_number + len(shard.items),
            "AT_SEQUENCE_NUMBER": int(SequenceNumber or 0),
            "AFTER_SEQUENCE_NUMBER": int(SequenceNumber or 0) + 1,
        }[ShardIteratorType]
        return {"ShardIterator": f"{StreamArn}|{ShardId}|{start}"}

    def get_records(self, ShardIterator: str, Limit: int = 1000) -> dict[str, Any]:  # noqa: N803
        import copy

        arn, shard_id, start = ShardIterator.rsplit("|", 2)
        shard = self._shard(arn)
        if shard is None or shard.id != shard_id:
            return {"Records": [], "NextShardIterator": None}
        offset = int(start) - shard.starting_sequence_number
        records = [copy.deepcopy(r.to_json()) for r in shard.items[offset : offset + Limit]]
        for record in records:
            created = record["dynamodb"].get("ApproximateCreationDateTime")
            if isinstance(created, datetime) and created.tzinfo is None:
                record["dynamodb"]["ApproximateCreationDateTime"] = created.replace(tzinfo=UTC)
        return {"Records": records, "NextShardIterator": f"{arn}|{shard_id}|{int(start) + len(records)}"}


def matches_pattern(pattern: dict[str, Any], event: Any) -> bool:
    """Lambda event filtering for one pattern: every key must match; a list lists the accepted
    values (exact, `{"prefix": ...}`, `{"exists": bool}`, `{"anything-but": [...]}`)."""
    if not isinstance(event, dict):
        return False
    for key, rule in pattern.items():
        if isinstance(rule, dict):
            if not matches_pattern(rule, event.get(key)):
                return False
        elif not any(_accepts(option, key in event, event.get(key)) for option in rule):
            return False
    return True


def _accepts(option: Any, present: bool, value: Any) -> bool:
    if isinstance(option, dict):
        if "exists" in option:
            return present is bool(option["exists"])
        if "prefix" in option:
            return isinstance(value, str) and value.startswith(option["prefix"])
        if "anything-but" in option:
            excluded = option["anything-but"]
            return present and value not in (excluded if isinstance(excluded, list) else [excluded])
        return False
    return present and value == option


def passes_filters(filters: list[dict[str, Any]], event_record: dict[str, Any]) -> bool:
    """No filters: everything passes; otherwise any one pattern must match (as Lambda does)."""
    return not filters or any(matches_pattern(pattern, event_record) for pattern in filters)


POLL_MODES = ("adaptive", "fixed")


class PollSchedule:
    """How long a poller sleeps after a pass that found nothing. `adaptive`: `fast` while there
    was activity (records delivered, or a nudge) within the last `hot_for` seconds, then `idle`.
    `fixed`: always `idle`, nudges ignored (the pace before issue 14)."""

    def __init__(self, mode: str = "adaptive", *, fast: float = 0.02, idle: float = 0.2, hot_for: float = 1.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if mode not in POLL_MODES:
            raise ValueError(f"poll mode must be one of {POLL_MODES}, not {mode!r}")
        self.mode = mode
        self.fast = fast
        self.idle = idle
        self.hot_for = hot_for
        self.clock = clock
        self.last_activity = float("-inf")

    @property
    def wakes_on_nudge(self) -> bool:
        return self.mode == "adaptive"

    def activity(self) -> None:
        self.last_activity = self.clock()

    def next_sleep(self) -> float:
        if self.mode == "fixed":
            return self.idle
        return self.fast if self.clock() - self.last_activity < self.hot_for else self.idle


@dataclass
class ShardState:
    shard_id: str
    iterator: str | None
    buffer: list[dict[str, Any]] = field(default_factory=list)
    last_fetched: str | None = None
    attempts: int = 0
    retry_at: float = 0.0
    closed: bool = False


class StreamPoller:
    """Reads one stream and delivers its records to one handler. `poll_once` does one pass over
    the shards (the unit tests drive it directly); `start` runs it in a daemon thread."""

    def __init__(
        self,
        client: Any,
        stream_arn: str,
        handler: StreamHandler,
        *,
        name: str = "stream_handler",
        region: str = "us-east-1",
        batch_size: int = 100,
        start_position: str = "LATEST",
        poll_interval: float = 0.2,
        max_retries: int = 5,
        backoff: float = 0.2,
        max_backoff: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
        context_factory: Callable[[], Any] | None = None,
        schedule: PollSchedule | None = None,
        filters: list[dict[str, Any]] | None = None,
    ) -> None:
        """`poll_interval` is the fixed pace's sleep; `schedule` (default: adaptive, idling at
        `poll_interval`) decides the sleep after an empty pass."""
        self.client = client
        self.stream_arn = stream_arn
        self.handler = handler
        self.name = name
        self.region = region
        self.batch_size = max(1, min(batch_size, 1000))
        self.start_position = start_position
        self.poll_interval = poll_interval
        self.max_retries = max_retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.clock = clock
        self.context_factory = context_factory or self._default_context
        self.shards: dict[str, ShardState] = {}
        self.finished_shards: set[str] = set()
        self.discarded = 0
        self.filters = filters or []
        self.filtered_out = 0
        self._started = False
        self._next_discovery = 0.0
        self.schedule = schedule or PollSchedule("adaptive", idle=poll_interval)
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    def _default_context(self) -> Any:
        from chalice.local import LambdaContext

        return LambdaContext(function_name=self.name, memory_size=256, max_runtime_ms=60_000)

    # --- shards ----------------------------------------------------------------------------

    def discover(self) -> None:
        shards: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {"StreamArn": self.stream_arn}
        while True:
            description = self.client.describe_stream(**kwargs)["StreamDescription"]
            shards.extend(description.get("Shards", []))
            last = description.get("LastEvaluatedShardId")
            if not last:
                break
            kwargs["ExclusiveStartShardId"] = last
        for shard in shards:
            shard_id = shard["ShardId"]
            if shard_id in self.shards or shard_id in self.finished_shards:
                continue
            position = self.start_position if not self._started else "TRIM_HORIZON"
            self.shards[shard_id] = ShardState(shard_id, self._iterator(shard_id, position))
        self._started = True

    def _iterator(self, shard_id: str, position: str, sequence: str | None = None) -> str | None:
        kwargs: dict[str, Any] = {"StreamArn": self.stream_arn, "ShardId": shard_id, "ShardIteratorType": position}
        if sequence is not None:
            kwargs["SequenceNumber"] = sequence
        return self.client.get_shard_iterator(**kwargs).get("ShardIterator")

    def _fetch(self, shard: ShardState) -> None:
        if shard.iterator is None:
            shard.closed = True
            return
        try:
            page = self.client.get_records(ShardIterator=shard.iterator, Limit=self.batch_size)
        except Exception as exc:
            code = getattr(exc, "response", {}).get("Error", {}).get("Code", "")
            if code not in ("ExpiredIteratorException", "TrimmedDataAccessException"):
                raise
            if shard.last_fetched is not None and code == "ExpiredIteratorException":
                shard.iterator = self._iterator(shard.shard_id, "AFTER_SEQUENCE_NUMBER", shard.last_fetched)
            else:
                shard.iterator = self._iterator(shard.shard_id, "TRIM_HORIZON")
            return
        records = page.get("Records", [])
        if records:
            shard.last_fetched = records[-1]["dynamodb"]["SequenceNumber"]
            wanted = [r for r in records if passes_filters(self.filters, lambda_record(r, self.stream_arn, self.region))]
            self.filtered_out += len(records) - len(wanted)
            shard.buffer.extend(wanted)
        shard.iterator = page.get("NextShardIterator")
        if shard.iterator is None:
            shard.closed = True

    # --- delivery --------------------------------------------------------------------------

    def _deliver(self, shard: ShardState) -> int:
        """Invoke the handler with the head of the shard's buffer. Returns records completed."""
        batch = shard.buffer[: self.batch_size]
        event = {"Records": [lambda_record(r, self.stream_arn, self.region) for r in batch]}
        try:
            result = self.handler(event, self.context_factory())
        except Exception:
            log.exception("stream handler %s raised; the batch of %d will be retried", self.name, len(batch))
            return self._retry(shard, 0, len(batch))
        failures = (result or {}).get("batchItemFailures") if isinstance(result, dict) else None
        if not failures:
            del shard.buffer[: len(batch)]
            shard.attempts = 0
            return len(batch)
        sequences = [r["dynamodb"]["SequenceNumber"] for r in batch]
        failed = [f.get("itemIdentifier") if isinstance(f, dict) else None for f in failures]
        if any(ident not in sequences for ident in failed):
            log.error("stream handler %s reported unknown itemIdentifier(s) %s; retrying the whole batch", self.name, failed)
            return self._retry(shard, 0, len(batch))
        lowest = min(failed, key=int)
        done = sequences.index(str(lowest))
        log.warning("stream handler %s failed %d record(s); retrying from %s", self.name, len(failed), lowest)
        return self._retry(shard, done, len(batch))

    def _retry(self, shard: ShardState, done: int, batch_len: int) -> int:
        """The first `done` records of the batch succeeded; the rest is retried or discarded."""
        del shard.buffer[:done]
        shard.attempts += 1
        if shard.attempts > self.max_retries:
            dropped = batch_len - done
            del shard.buffer[:dropped]
            self.discarded += dropped
            log.error("stream handler %s: discarding %d record(s) after %d retries", self.name, dropped, self.max_retries)
            shard.attempts = 0
            return done
        shard.retry_at = self.clock() + min(self.backoff * 2 ** (shard.attempts - 1), self.max_backoff)
        return done

    def poll_once(self) -> int:
        """One pass: discover shards now and then, fetch where the buffer is empty, deliver one
        batch per shard that is not backing off. Returns records completed."""
        now = self.clock()
        if not self._started or now >= self._next_discovery:
            self.discover()
            self._next_discovery = now + 10.0
        completed = 0
        for shard in list(self.shards.values()):
            if shard.retry_at > self.clock():
                continue
            if not shard.buffer:
                self._fetch(shard)
            if shard.buffer:
                completed += self._deliver(shard)
            elif shard.closed:
                self.finished_shards.add(shard.shard_id)
                del self.shards[shard.shard_id]
        return completed

    # --- thread --------------------------------------------------------------------------------

    def nudge(self) -> None:
        """Something may have just been written: poll now (adaptive pace only)."""
        if self.schedule.wakes_on_nudge:
            self.schedule.activity()
            self._wake.set()

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.clear()
            try:
                delivered = self.poll_once()
                now = self.clock()
                busy = delivered > 0 or any(s.buffer and s.retry_at <= now for s in self.shards.values())
            except Exception:
                log.exception("stream poller %s failed; retrying", self.name)
                busy = False
            if busy:
                self.schedule.activity()
            else:
                self._wake.wait(self._pause())

    def _pause(self) -> float:
        """The schedule's sleep, cut short when a failed batch's retry comes due before it ends
        (a batch waiting for its retry is not a reason to poll without sleeping)."""
        now = self.clock()
        due = [s.retry_at - now for s in self.shards.values() if s.buffer and s.retry_at > now]
        return min([self.schedule.next_sleep(), *due])

    def start(self) -> StreamPoller:
        self._thread = threading.Thread(target=self._run, name=f"stream-{self.name}", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 5) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)


def find_stream_sources(app: Any, stream_arns: dict[str, str], prefix: str) -> list[tuple[str, Any, Any]]:
    """(local stream ARN, handler, event source config) for each app DynamoDB source with a local table.
    `stream_arns` maps local table name -> its stream ARN."""
    from chalice.app import DynamoDBEventConfig

    found = []
    for source in getattr(app, "event_sources", []):
        if not isinstance(source, DynamoDBEventConfig):
            continue
        source_table = table_of(source.stream_arn)
        handler = app.handler_map.get(source.name)
        matches = [arn for table, arn in stream_arns.items() if source_table and same_table(source_table, table, prefix)]
        if not matches or handler is None:
            log.warning("stream handler %s: no local table for %s", source.name, source.stream_arn)
            continue
        found.append((matches[0], handler, source))
    return found


def trigger_filters(stream_arn: str) -> list[dict[str, Any]]:
    """The filter patterns the deployed trigger has for this stream (ops/stage.py STREAMS)."""
    import json

    from ops.stage import stream_of_arn

    try:
        stream = stream_of_arn(stream_arn)
    except (ValueError, IndexError):
        return []
    return [json.loads(pattern) for pattern in stream.filters]


def local_stream_arns(client: Any, prefix: str) -> dict[str, str]:
    """Local table name -> latest stream ARN, for the stack's tables."""
    arns: dict[str, str] = {}
    kwargs: dict[str, Any] = {}
    while True:
        page = client.list_streams(**kwargs)
        for stream in page.get("Streams", []):
            if stream["TableName"].startswith(prefix + "-"):
                arns[stream["TableName"]] = stream["StreamArn"]
        last = page.get("LastEvaluatedStreamArn")
        if not last:
            return arns
        kwargs["ExclusiveStartStreamArn"] = last


def start_stream_pollers(app: Any, settings: Any, start_position: str = "LATEST", mode: str = "adaptive",
                         in_process: bool = False) -> list[StreamPoller]:
    """`in_process`: read the shards from this process's moto backend (the embedded moto only)."""
    if not any(type(s).__name__ == "DynamoDBEventConfig" for s in getattr(app, "event_sources", [])):
        log.info("no DynamoDB stream handlers registered; stream pollers idle")
        return []
    import boto3

    access_key, secret_key = getattr(settings, "aws_credentials", None) or (None, None)
    client = boto3.client("dynamodbstreams", region_name=settings.region, endpoint_url=settings.endpoint_url,
                          aws_access_key_id=access_key, aws_secret_access_key=secret_key)
    reader: Any = InProcessMotoStreams() if in_process else client
    pollers = []
    for arn, handler, source in find_stream_sources(app, local_stream_arns(client, settings.table_prefix), settings.table_prefix):
        poller = StreamPoller(
            reader, arn, handler, name=source.name, region=settings.region,
            batch_size=source.batch_size or 100, start_position=start_position, schedule=PollSchedule(mode),
            filters=trigger_filters(source.stream_arn),
        )
        poller.discover()  # take the LATEST position now, before the stack reports ready
        pollers.append(poller.start())
        log.info("polling %s -> %s (%s pace, %s reads)", arn, source.name, mode, "in-process" if in_process else "http")
    return pollers

"""Sharded fan-out: a channel with more subscribers than a threshold is sent by `send_frames`
invocations, one per shard of its connection ids, invoked asynchronously (Lambda's `Event`
type), so the shards post concurrently in separate Lambda instances.

The frame is encoded once per (protocol, tag) by the fan-out before it is sharded, so a shard's
event is only `{"frame": <text>, "connections": [ids], "attempt": n}`. An async invocation's
event is at most 256 KB: a shard whose event would be larger is split in halves until it fits.

A shard posts through the same Frames as the direct path: a 410 forgets only that connection.
Connections that still fail after the sender's retries are handed to a new invocation, alone,
up to SHARD_ATTEMPTS in all; after that the shard raises, and Lambda's own async retries and
on-failure handling take over. Once an invocation is accepted the stream record is done with:
delivery stays at-least-once (a retried shard repeats frames with their ids)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from chalicelib.observability import logger
from chalicelib.realtime.sender import SendReport

MAX_EVENT_BYTES = 256 * 1024  # Lambda's limit for an asynchronous invocation's payload
SHARD_ATTEMPTS = 3
INVOKE_THREADS = 16


class ShardFailed(Exception):
    pass


def shard_events(connection_ids: Sequence[str], frame: str, size: int, max_bytes: int = MAX_EVENT_BYTES,
                 attempt: int = 1, close: bool = False) -> list[bytes]:
    """The send_frames events for `connection_ids`: shards of at most `size` ids, each split
    further until its event is at most `max_bytes`. Every id is in exactly one event. `close`:
    the shard closes each connection after its frame (a sweep's last word)."""
    events: list[bytes] = []
    pending = [list(connection_ids[i:i + size]) for i in range(0, len(connection_ids), max(1, size))]
    pending.reverse()
    while pending:
        ids = pending.pop()
        body: dict[str, Any] = {"frame": frame, "connections": ids, "attempt": attempt, **({"close": True} if close else {})}
        event = json.dumps(body, separators=(",", ":")).encode()
        if len(event) <= max_bytes:
            events.append(event)
        elif len(ids) > 1:
            half = len(ids) // 2
            pending += [ids[half:], ids[:half]]
        else:
            raise ValueError(f"a send_frames event for one connection is {len(event)} bytes, over {max_bytes}")
    return events


@dataclass
class ShardPlan:
    """When and how the fan-out shards: `invoke` is one asynchronous invocation of send_frames."""

    threshold: int
    size: int
    invoke: Callable[[bytes], Any]
    max_event_bytes: int = MAX_EVENT_BYTES
    _pool: ThreadPoolExecutor | None = field(default=None, repr=False)

    def applies(self, subscribers: int) -> bool:
        return subscribers > self.threshold

    def hand_off(self, connection_ids: Sequence[str], frame: str, attempt: int = 1, close: bool = False) -> int:
        """Invoke send_frames once per shard, concurrently; raises if any invocation was refused
        (the caller's record is then re-delivered). Returns the number of shards."""
        events = shard_events(list(dict.fromkeys(connection_ids)), frame, self.size, self.max_event_bytes, attempt, close)
        if len(events) == 1:
            self.invoke(events[0])
        else:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(max_workers=INVOKE_THREADS, thread_name_prefix="shard-invoke")
            list(self._pool.map(self.invoke, events))  # re-raises the first failure
        return len(events)

    def send(self, connection_ids: Sequence[str], frame: str, direct: Callable[[list[str], str], Any],
             close: Callable[[str], None] | None = None) -> int:
        """One frame to many connections the way the fan-out sends: through send_frames shards
        past the threshold, else `direct` (the Frames) here; with `close`, each connection is
        closed after its frame. Returns the number of shards (0: sent here)."""
        ids = list(dict.fromkeys(connection_ids))
        if self.applies(len(ids)):
            return self.hand_off(ids, frame, close=close is not None)
        direct(ids, frame)
        if close is not None:
            for connection_id in ids:
                close_quietly(close, connection_id)
        return 0


def close_quietly(close: Callable[[str], None], connection_id: str) -> None:
    try:
        close(connection_id)
    except Exception:  # already gone, or the API refused: the connection's TTL ends its rows
        logger.warning("a swept connection could not be closed", connection_id=connection_id)


def send_shard(send: Callable[[list[str], str], SendReport], event: dict[str, Any], plan: ShardPlan | None,
               close: Callable[[str], None] | None = None) -> dict[str, Any]:
    """The send_frames function: post one shard's frame through `send` (the Frames), then close
    each connection when the event says so."""
    frame, ids, attempt = event.get("frame"), event.get("connections"), int(event.get("attempt") or 1)
    if not isinstance(frame, str) or not isinstance(ids, list) or not all(isinstance(c, str) for c in ids):
        raise ValueError("a send_frames event is {frame: str, connections: [str], attempt?: int, close?: bool}")
    closing = bool(event.get("close")) and close is not None
    started, cpu = time.perf_counter(), time.process_time()
    report = send(ids, frame)
    if closing:
        assert close is not None
        for connection_id in ids:
            close_quietly(close, connection_id)
    outcome = {"connections": len(ids), "delivered": report.delivered, "gone": len(report.gone), "failed": len(report.failed),
               "attempt": attempt, "seconds": round(time.perf_counter() - started, 4),
               "cpu_seconds": round(time.process_time() - cpu, 4)}
    logger.info("shard sent", extra={"shard": outcome})
    if report.failed:
        if plan is not None and attempt < SHARD_ATTEMPTS:
            logger.warning("shard sends failed; handed to a new invocation", extra={"shard": outcome})
            plan.hand_off(report.failed, frame, attempt + 1, close=bool(event.get("close")))
        else:
            raise ShardFailed(f"{len(report.failed)} of {len(ids)} sends failed after {attempt} attempts")
    return outcome


class LambdaInvoker:
    """One asynchronous invocation of `function_name` (send_frames) per call; boto3's Lambda client
    is made on the first one, so a container that never shards never builds it."""

    def __init__(self, function_name: str, region: str, endpoint_url: str | None, credentials: tuple[str, str] | None) -> None:
        self.function_name = function_name
        self.region = region
        self.endpoint_url = endpoint_url
        self.credentials = credentials

    @cached_property
    def client(self) -> Any:
        import boto3
        from botocore.config import Config

        access_key, secret_key = self.credentials or (None, None)
        config = Config(max_pool_connections=16, connect_timeout=3, read_timeout=10, retries={"mode": "standard"})
        return boto3.client("lambda", region_name=self.region, endpoint_url=self.endpoint_url, aws_access_key_id=access_key,
                            aws_secret_access_key=secret_key, config=config)

    def __call__(self, event: bytes) -> None:
        self.client.invoke(FunctionName=self.function_name, InvocationType="Event", Payload=event)

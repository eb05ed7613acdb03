"""The local stack's stream retention: a record leaves the embedded moto's stream once every
poller of that stream has read it and it is older than the window (default 10 minutes,
`--stream-retention-minutes` / COMANDA_LOCAL_STREAM_RETENTION_MINUTES).

DynamoDB Streams keeps every record for 24 hours whoever has read it; here a reader that starts
later than the window (`--streams-from trim_horizon` after a long run) finds the older records
gone, which is the one difference the local stack allows itself to keep its memory flat."""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from devstack import moto_tidy

log = logging.getLogger("devstack.streams")

DEFAULT_MINUTES = 10.0


def next_unread(pollers: Sequence[Any], stream_arn: str) -> int | None:
    """The lowest sequence number a poller of this stream has not fetched yet; None when no
    poller reads it. Pollers read in-process, where an iterator ends in its next sequence number."""
    readers = [p for p in pollers if p.stream_arn == stream_arn]
    if not readers:
        return None
    positions = [int(shard.iterator.rsplit("|", 1)[1]) for p in readers for shard in p.shards.values() if shard.iterator]
    return min(positions) if positions else 0


def trim_once(prefix: str, pollers: Sequence[Any], retention: timedelta, now: datetime | None = None) -> int:
    older_than = (now or datetime.now(UTC)).astimezone(UTC).replace(tzinfo=None) - retention
    dropped = 0
    for table in moto_tidy.stack_tables(prefix).values():
        if table.stream_shard is None:
            continue
        arn = f"{table.table_arn}/stream/{table.latest_stream_label}"
        dropped += moto_tidy.trim_stream(table.stream_shard, next_unread(pollers, arn), older_than)
    return dropped


class StreamRetention:
    """Trims the stack's streams every `interval` seconds in a daemon thread."""

    def __init__(self, prefix: str, pollers: Sequence[Any], minutes: float = DEFAULT_MINUTES, interval: float = 15.0) -> None:
        self.prefix = prefix
        self.pollers = pollers
        self.retention = timedelta(minutes=minutes)
        self.interval = interval
        self.dropped = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="stream-retention", daemon=True)

    def start(self) -> StreamRetention:
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.dropped += trim_once(self.prefix, self.pollers, self.retention)
            except Exception:
                log.exception("stream retention: trimming failed; trying again in %.0f s", self.interval)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(2)

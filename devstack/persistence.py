"""The embedded moto's tables kept on disk across `make run` restarts: saved at a clean stop and
every `interval` seconds when something was written, loaded at start (`--data-dir`; `make run`
keeps them in the checkout's ignored `.devstack/data/`, and `FRESH=1` starts empty).

One JSON file per stack (`<table prefix>.json`): each table's items in DynamoDB's JSON, written
to a temporary file and renamed, so a crash mid-save leaves the previous snapshot whole. Loading
writes the items straight into moto's tables without stream records: nothing already processed
is fanned out again."""

from __future__ import annotations

import json
import logging
import os
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from devstack import moto_tidy

log = logging.getLogger("devstack")


@dataclass
class Loaded:
    items: int
    tables: int
    saved_at: str


def snapshot(prefix: str) -> dict[str, Any]:
    with moto_tidy.WRITES:
        tables = {name: [item.to_json()["Attributes"] for item in table.all_items()]
                  for name, table in moto_tidy.stack_tables(prefix).items()}
    return {"saved_at": datetime.now(UTC).isoformat(timespec="seconds"), "tables": tables}


def save(prefix: str, path: Path) -> int:
    data = snapshot(prefix)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    partial.write_text(json.dumps(data, separators=(",", ":")), encoding="utf-8")
    os.replace(partial, path)
    return sum(len(items) for items in data["tables"].values())


def load(prefix: str, path: Path) -> Loaded | None:
    """Put a snapshot's items back into the stack's (already created) tables. None: no snapshot."""
    if not path.exists():
        return None
    data = json.loads(path.read_text(encoding="utf-8"))
    tables = moto_tidy.stack_tables(prefix)
    count = 0
    with moto_tidy.WRITES:
        for name, items in data["tables"].items():
            table = tables.get(name)
            if table is None:
                log.warning("snapshot %s: table %s is no longer in infra/; its %d item(s) are not loaded", path, name, len(items))
                continue
            shard, table.stream_shard = table.stream_shard, None
            try:
                for attributes in items:
                    table.put_item(attributes, overwrite=True)
            finally:
                table.stream_shard = shard
            count += len(items)
    return Loaded(count, len(data["tables"]), data.get("saved_at", "?"))


class Keeper:
    """Saves the stack's tables every `interval` seconds when moto has written since the last save,
    and once more at `stop`."""

    def __init__(self, prefix: str, path: Path, interval: float = 60.0) -> None:
        self.prefix = prefix
        self.path = path
        self.interval = interval
        self.saved_writes = moto_tidy.write_count()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="tables-keeper", daemon=True)

    def start(self) -> Keeper:
        self._thread.start()
        return self

    def save_if_written(self) -> int | None:
        writes = moto_tidy.write_count()
        if writes is not None and writes == self.saved_writes:
            return None
        saved = save(self.prefix, self.path)
        self.saved_writes = writes
        return saved

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.save_if_written()
            except Exception:
                log.exception("saving the tables to %s failed; trying again in %.0f s", self.path, self.interval)

    def stop(self) -> int | None:
        self._stop.set()
        self._thread.join(5)
        return self.save_if_written()

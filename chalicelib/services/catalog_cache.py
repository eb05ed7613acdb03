"""A per-process cache of the catalog entries a sale charges from (platos, productos) or checks
(ingredientes of extras), so adding an item does not read the catalog every time.

Staleness, the rule the sale path relies on:
- a change made through this process's CatalogService (price, name, station, delete) forgets
  the entry at once, and a read that was in flight when it was forgotten is not cached, so
  this process never charges a price older than its own last change;
- a change made by another process (another Lambda container) is seen here at most
  `CACHE_SECONDS` after it, when the entry expires.
Stock (productos' stock, ingredientes' cantidad) may be stale in an entry: the sale path never
reads it from here; deductions happen in the sale's own transaction."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from chalicelib.domain.catalog import CatalogKey, CatalogKind

CACHE_SECONDS = 5.0
MAX_ENTRIES = 10_000


class CatalogCache:
    def __init__(self, seconds: float = CACHE_SECONDS, clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds = seconds
        self.clock = clock
        self._entries: dict[tuple[str, CatalogKind, str], tuple[float, Any]] = {}
        self._generation = 0
        self._lock = threading.Lock()

    def generation(self) -> int:
        """Take before reading from the store; `put` with it caches the read only if nothing was
        forgotten in between."""
        return self._generation

    def get(self, tenant_id: str, key: CatalogKey) -> Any | None:
        cached = self._entries.get((tenant_id, *key))
        if cached is None:
            return None
        if self.clock() - cached[0] >= self.seconds:
            with self._lock:  # an expired entry is dropped, so a long-lived container keeps only what it uses
                if self._entries.get((tenant_id, *key)) is cached:
                    del self._entries[(tenant_id, *key)]
            return None
        return cached[1]

    def put(self, tenant_id: str, key: CatalogKey, entry: Any, generation: int) -> None:
        with self._lock:
            if generation == self._generation:
                if len(self._entries) >= MAX_ENTRIES:
                    self._sweep()
                self._entries[(tenant_id, *key)] = (self.clock(), entry)

    def _sweep(self) -> None:
        """Drop the expired entries; if the live ones alone fill the cache, drop them all (a few
        seconds' worth of reads, re-read on demand)."""
        now = self.clock()
        self._entries = {k: v for k, v in self._entries.items() if now - v[0] < self.seconds}
        if len(self._entries) >= MAX_ENTRIES:
            self._entries.clear()

    def size(self) -> int:
        return len(self._entries)

    def forget(self, tenant_id: str, object_id: str) -> None:
        """The object changed in this process: drop it (whatever its kind; ids carry their kind)."""
        with self._lock:
            self._generation += 1
            kinds: tuple[CatalogKind, ...] = ("plato", "producto", "ingrediente")
            for kind in kinds:
                self._entries.pop((tenant_id, kind, object_id), None)

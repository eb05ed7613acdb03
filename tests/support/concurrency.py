"""Run callables at the same moment, each on its own thread, released together by a barrier."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")


def concurrently(works: Sequence[Callable[[], T]]) -> list[T]:
    """Each work's result, in order."""
    start = threading.Barrier(len(works))

    def run(work: Callable[[], T]) -> T:
        start.wait()
        return work()

    with ThreadPoolExecutor(max_workers=len(works)) as pool:
        return list(pool.map(run, works))

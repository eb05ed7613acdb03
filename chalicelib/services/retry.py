"""One policy for optimistic writes, used by every service: when a conditional write finds the
object changed since it was read (StaleWrite), re-read and re-apply the change (safe: the
domain re-checks every rule on fresh state) after a short jittered back-off; after `attempts`
tries, give up with a 409. A write refused only for being busy (throttled, or another transaction
holding the item: errors.Busy) is retried the same way, and gives up with a 503."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import TypeVar

from chalicelib.errors import Busy, Conflict, StaleWrite

T = TypeVar("T")


def backoff_seconds(attempt: int) -> float:
    return random.uniform(0, min(0.2, 0.005 * 2 ** min(attempt, 6)))


def retry_on_conflict(
    attempt: Callable[[], T], give_up: str, *, attempts: int = 20, sleep: Callable[[float], None] = time.sleep
) -> T:
    busy = False
    for n in range(attempts):
        try:
            return attempt()
        except (StaleWrite, Busy) as exc:
            busy = isinstance(exc, Busy)
            if n + 1 < attempts:
                sleep(backoff_seconds(n))
    if busy:
        raise Busy(give_up)
    raise Conflict(give_up)

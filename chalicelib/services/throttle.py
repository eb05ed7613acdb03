"""Attempt throttling for any login route: after `max_failures` failures for one name within
`window_seconds`, every attempt is refused (429, Retry-After) until the window passes, right
password or not; a success clears the count. Unknown names are counted like known ones."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import TypeVar

from chalicelib.errors import TooManyRequests, Unauthorized
from chalicelib.services.ports import AttemptStore

T = TypeVar("T")
TOO_MANY = "Demasiados intentos fallidos; intente de nuevo más tarde"


class LoginThrottle:
    def __init__(self, store: AttemptStore, max_failures: int = 5, window_seconds: int = 900,
                 clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self.max_failures = max_failures
        self.window_seconds = window_seconds
        self.clock = clock

    def guard(self, scope: str, name: str, attempt: Callable[[], T]) -> T:
        """Run `attempt` (a credential check that raises Unauthorized on failure) under the throttle."""
        now = self.clock()
        seen = self.store.get(scope, name)
        if seen is not None and seen.blocks(int(now), self.max_failures):
            raise TooManyRequests(TOO_MANY, math.ceil(seen.window_ends - now))
        try:
            result = attempt()
        except Unauthorized:
            self.store.add_failure(scope, name, int(now), self.window_seconds)
            raise
        if seen is not None:
            self.store.clear(scope, name)
        return result

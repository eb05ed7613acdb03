"""Counted failures of one kind of attempt (a login for one username), within a fixed window."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Attempts:
    failures: int
    window_ends: int  # epoch seconds: the window opened with the first failure

    def blocks(self, now: int, max_failures: int) -> bool:
        return self.failures >= max_failures and now < self.window_ends

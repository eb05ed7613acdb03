"""Rollups: per-branch, per-day counters that the transactions stream keeps, so that a report
reads days × groups items and never walks the sales.

A report declares what one sale contributes in its current state (its *facts*: counters under
rollup keys). A stream record changes the rollup by facts(new image) − facts(old image), so
reopening takes a close back, a recall takes a "ready" back, and summing the differences over a
sale's history gives exactly the facts of its final state. The store applies a difference with
atomic ADDs, once per stream event id."""

from __future__ import annotations

import bisect
import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from zoneinfo import ZoneInfo

from chalicelib.domain.clock import parse_iso
from chalicelib.domain.sales import Sale
from chalicelib.domain.tenancy import Branch
from chalicelib.errors import InvalidInput


@dataclass(frozen=True, order=True)
class RollupKey:
    report: str  # "cocina", "ventas": one partition of the branch's rollups per report
    branch_id: str
    day: str  # the branch's local day, YYYY-MM-DD
    part: str = ""  # a report's second level within the day: the station for "cocina"

    @property
    def sort_key(self) -> str:
        return f"{self.day}#{self.part}" if self.part else self.day


Counters = dict[str, Decimal]
Facts = dict[RollupKey, Counters]
FactsOf = Callable[[Sale, Branch], Facts]


def add(facts: Facts, key: RollupKey, counters: Mapping[str, Decimal | int]) -> None:
    bucket = facts.setdefault(key, {})
    for name, value in counters.items():
        bucket[name] = bucket.get(name, Decimal(0)) + Decimal(value)


def merged(all_facts: Iterable[Facts]) -> Facts:
    total: Facts = {}
    for facts in all_facts:
        for key, counters in facts.items():
            add(total, key, counters)
    return total


def difference(new: Facts, old: Facts) -> Facts:
    """new − old, with the counters that did not move left out."""
    delta: Facts = {}
    for key in set(new) | set(old):
        after, before = new.get(key, {}), old.get(key, {})
        moved = {name: after.get(name, Decimal(0)) - before.get(name, Decimal(0)) for name in set(after) | set(before)}
        moved = {name: value for name, value in moved.items() if value != 0}
        if moved:
            delta[key] = moved
    return delta


def change(facts_of: Iterable[FactsOf], old: Sale | None, new: Sale | None, branch: Branch) -> Facts:
    """What one stored change of a sale moves in every report's rollup."""
    reports = list(facts_of)
    after = merged(f(new, branch) for f in reports) if new is not None else {}
    before = merged(f(old, branch) for f in reports) if old is not None else {}
    return difference(after, before)


def local_time(iso_utc: str, timezone: str) -> datetime:
    return parse_iso(iso_utc).astimezone(ZoneInfo(timezone))


def local_day(iso_utc: str, timezone: str) -> str:
    return local_time(iso_utc, timezone).date().isoformat()


def seconds_between(start: str, end: str) -> Decimal:
    return Decimal(max(0, round((parse_iso(end) - parse_iso(start)).total_seconds())))


# --- fixed-bucket histograms -------------------------------------------------------------

# Upper bounds, in seconds, of a duration histogram's buckets; the last bucket is open.
BUCKET_BOUNDS = (30, 60, 90, 120, 180, 240, 300, 420, 600, 900, 1200, 1800, 2700, 3600)


def bucket_of(seconds: Decimal | int | float) -> int:
    """The bucket holding `seconds`: bucket i holds (BOUNDS[i-1], BOUNDS[i]]."""
    return bisect.bisect_left(BUCKET_BOUNDS, seconds)


def bucket_range(bucket: int) -> tuple[int, int | None]:
    low = BUCKET_BOUNDS[bucket - 1] if bucket > 0 else 0
    high = BUCKET_BOUNDS[bucket] if bucket < len(BUCKET_BOUNDS) else None
    return low, high


def percentile(histogram: Mapping[int, int], fraction: float) -> int | None:
    """The upper bound of the bucket holding the `fraction` quantile (nearest rank), or the
    open bucket's lower bound; None for an empty histogram."""
    total = sum(histogram.values())
    if total <= 0:
        return None
    rank = max(1, math.ceil(Fraction(total) * Fraction(str(fraction))))  # nearest rank, exact
    seen = 0
    for bucket in sorted(histogram):
        seen += histogram[bucket]
        if seen >= rank:
            low, high = bucket_range(bucket)
            return high if high is not None else low
    return None  # unreachable: the ranks add up to total


# --- the days a report covers ------------------------------------------------------------

MAX_DAYS = 366
DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class DayRange:
    since: date
    until: date

    @property
    def days(self) -> list[str]:
        return [(self.since + timedelta(days=n)).isoformat() for n in range((self.until - self.since).days + 1)]


def _day(raw: str, name: str) -> date:
    if not DAY.fullmatch(raw):
        raise InvalidInput([f"{name} must be a date YYYY-MM-DD"])
    try:
        parsed = date.fromisoformat(raw)
    except ValueError:
        raise InvalidInput([f"{name} must be a valid date"]) from None
    if not 1970 <= parsed.year <= 9998:
        raise InvalidInput([f"{name} must be a date between 1970 and 9998"])
    return parsed


def day_range(since: str | None, until: str | None, today: date, max_days: int = MAX_DAYS, default_days: int = 7) -> DayRange:
    """The branch-local days a report covers, both ends included: `until` defaults to today (the
    branch's), `since` to `default_days` days up to `until`; at most `max_days` days, `since` not
    after `until`."""
    last = _day(until, "hasta") if until else today
    first = _day(since, "desde") if since else last - timedelta(days=default_days - 1)
    if first > last:
        raise InvalidInput(["desde must not be after hasta"])
    if (last - first).days + 1 > max_days:
        raise InvalidInput([f"the range desde..hasta must not exceed {max_days} days"])
    return DayRange(first, last)

"""Rebuild a branch's "ventas" rollup for a range of its local days from the sales themselves:
for days recorded before the stream kept the rollup, or after a bug.

    python -m ops.rebuild_reports --stage dev --tenant la-esquina --branch centro \\
        --desde 2026-03-01 --hasta 2026-03-31 [--lookback-days 31] [--table-prefix comanda-dev]

The environment is the operator's (AWS_* for the connection; outside the local stage JWT_SECRET,
as for every operator tool); the tables are the stage's (`--table-prefix` overrides them).

How: one Query on the sales' `by-branch` index for the sales created from `--lookback-days` days
before `--desde` to the end of `--hasta` (a sale is closed or voided after it is created, never
before; one closed or voided more than the look-back after its creation is missed, so widen it
for such days). Each sale's facts are those of its stored state (chalicelib/domain/sales_rollup.py),
kept only for the days of the range. Then each day's rows are deleted and the sums written back,
a row (at most MAX_COUNTERS_PER_ROW counters at a time) per transaction.

Idempotent: a run forgets the days' rows and writes them whole, so running it again gives the same
figures. Its writes go through the store's apply-once with event ids unique to the run
(`rebuild:<run>:<day>:<part>:<n>`): a fixed id would be refused by the marker an earlier run left
(markers live a week), after that run's rows were forgotten, and the day would stay empty.

Run it on days the stream is not writing to (not today, while sales change): a stream record
applied between the Query and the writes would be counted twice, or taken back twice.
Exit codes: 0 done, 2 bad input.
"""

from __future__ import annotations

import argparse
import os
import sys
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from chalicelib.container import Services
    from chalicelib.domain.rollups import Facts

DEFAULT_LOOKBACK_DAYS = 31


class BadInput(Exception):
    """A mistake of the operator's: reported in one line, exit code 2."""


@dataclass(frozen=True)
class Rebuilt:
    days: int
    sales_read: int
    rows_forgotten: int
    rows_written: int


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m ops.rebuild_reports", description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--stage", required=True, help="a stage of .chalice/config.json (local, dev, prod)")
    parser.add_argument("--tenant", required=True, help="the tenant's slug")
    parser.add_argument("--branch", required=True, help="the branch's slug")
    parser.add_argument("--desde", required=True, help="first local day to rebuild, YYYY-MM-DD")
    parser.add_argument("--hasta", required=True, help="last local day to rebuild, YYYY-MM-DD (included)")
    parser.add_argument("--lookback-days", type=int, default=DEFAULT_LOOKBACK_DAYS,
                        help=f"also read sales created this many days before --desde (default {DEFAULT_LOOKBACK_DAYS})")
    parser.add_argument("--table-prefix", help="override the stage's COMANDA_TABLE_PREFIX")
    return parser


def in_range(facts: Facts, first: str, last: str) -> Facts:
    return {key: counters for key, counters in facts.items() if first <= key.day <= last}


def chunks(counters: dict[str, Any], size: int) -> list[dict[str, Any]]:
    names = sorted(counters)
    return [{name: counters[name] for name in names[i : i + size]} for i in range(0, len(names), size)]


def rebuild(services: Services, tenant: str, branch_id: str, first: date, last: date, lookback_days: int,
            run_id: str | None = None) -> Rebuilt:
    from chalicelib.domain import rollups, sales_rollup
    from chalicelib.services.sales_reports import local_midnight
    from chalicelib.store.base import branch_key
    from chalicelib.store.rollups import MAX_COUNTERS_PER_ROW
    from chalicelib.store.sales import ByBranchIndex, to_domain

    if services.tenant_repo.get_branch(tenant, branch_id) is None:
        raise BadInput(f"tenant {tenant!r} has no branch {branch_id!r}")
    branch = services.zones.branch(tenant, branch_id)
    run = run_id or uuid.uuid4().hex[:12]
    start = local_midnight(first - timedelta(days=lookback_days), branch.timezone)
    end = local_midnight(last + timedelta(days=1), branch.timezone)
    records = services.sale_repo.SaleRecord.by_branch.query(branch_key(tenant, branch_id), ByBranchIndex.branch_sk.between(start, end))
    sales = [to_domain(r) for r in records]
    facts = in_range(rollups.merged(sales_rollup.facts(sale, branch) for sale in sales), first.isoformat(), last.isoformat())
    facts = rollups.difference(facts, {})  # counters that add up to nothing are not written
    days = [(first + timedelta(days=n)).isoformat() for n in range((last - first).days + 1)]
    store = services.rollup_repo
    forgotten = sum(store.forget_day(tenant, branch_id, sales_rollup.REPORT, day) for day in days)
    for key, counters in sorted(facts.items()):
        for n, part in enumerate(chunks(counters, MAX_COUNTERS_PER_ROW)):
            store.apply_once(tenant, f"rebuild:{run}:{key.day}:{key.part}:{n}", {key: part})
    return Rebuilt(len(days), len(sales), forgotten, len(facts))


def check_days(since: str, until: str) -> tuple[date, date]:
    from chalicelib.domain.rollups import day_range
    from chalicelib.errors import InvalidInput

    try:
        days = day_range(since, until, date.today())
    except InvalidInput as exc:
        raise BadInput("; ".join(exc.message if isinstance(exc.message, list) else [str(exc.message)])) from exc
    return days.since, days.until


def main(argv: Sequence[str] | None = None, out: TextIO = sys.stdout, err: TextIO = sys.stderr) -> int:
    from chalicelib.container import get_services, use_settings
    from chalicelib.errors import DomainError
    from chalicelib.settings import SettingsError, load_settings
    from ops.stage import DeployError, stage_prefix

    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse has printed the usage and the problem
        return int(exc.code or 0)
    try:
        first, last = check_days(args.desde, args.hasta)
        if args.lookback_days < 0:
            raise BadInput("--lookback-days must not be negative")
        prefix = args.table_prefix or stage_prefix(args.stage)
        env = {**os.environ, "COMANDA_STAGE": args.stage, "COMANDA_TABLE_PREFIX": prefix}
        with use_settings(load_settings(env)):
            done = rebuild(get_services(), args.tenant, args.branch, first, last, args.lookback_days)
    except (BadInput, DeployError, DomainError, SettingsError) as exc:
        print(f"rebuild_reports: error: {exc}", file=err)
        return 2
    print(f"{args.tenant}/{args.branch} ventas {first}..{last} ({done.days} days): {done.sales_read} sales read, "
          f"{done.rows_forgotten} rows forgotten, {done.rows_written} rows written", file=out)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""A day of service on one `make run`: complete sales one after another over HTTP, and how the
stack's memory and time per sale move as the tables grow (issue 21's growth probe).

    python -m bench.service_day [--sales 5000] [--block 500] [--no-tidy]

One cashier of the demo tenant opens a caja, then loops: create a table sale, add 3 platos,
complete the kitchen, pay in full (the sale closes). Every `block` sales the stack's RSS
(/proc/<pid>/status of `python -m devstack`) and the seconds that block took are recorded.
`--no-tidy` starts the stack with COMANDA_LOCAL_TIDY_MOTO=0: moto as it ships, for the "before"
column (devstack/moto_tidy.py is what the default run measures).
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

from bench import rss_mb
from devstack.world import complete_sale, open_caja, platos


def run(quick: bool = False, sales: int | None = None, block: int | None = None, tidy: bool = True,
        keep_stream: bool = False) -> dict[str, Any]:
    from devstack.launch import launch_stack

    sales = sales or (60 if quick else 5000)
    block = block or (20 if quick else 500)
    stack = launch_stack({"COMANDA_LOCAL_TIDY_MOTO": "1" if tidy else "0"},
                         args=["--stream-retention-minutes", "inf"] if keep_stream else [])
    try:
        cashier = stack.as_(stack.login("cajero1", "Cajero123!", "demo"))
        open_caja(cashier)
        menu = platos(cashier)
        rows = [{"sales": 0, "rss_mb": round(rss_mb(stack.process.pid) or 0), "block_seconds": None}]
        failures: dict[int, int] = {}
        started = time.perf_counter()
        for done in range(1, sales + 1):
            for status in complete_sale(cashier, menu, done % 40 + 1).values():
                if status >= 400:
                    failures[status] = failures.get(status, 0) + 1
            if done % block == 0:
                now = time.perf_counter()
                rows.append({"sales": done, "rss_mb": round(rss_mb(stack.process.pid) or 0), "block_seconds": round(now - started, 1)})
                started = now
                print(f"  {done} sales: RSS {rows[-1]['rss_mb']} MB, last {block} in {rows[-1]['block_seconds']} s", flush=True)
    finally:
        stack.stop()
    first, last = rows[1]["block_seconds"], rows[-1]["block_seconds"]
    return {"tidy": tidy, "keep_stream": keep_stream, "sales": sales, "block": block, "rows": rows, "failures": failures,
            "last_over_first": round(last / first, 2) if first else None}


def render(result: dict[str, Any]) -> str:
    stream = "every stream record kept" if result.get("keep_stream") else "stream trimmed"
    lines = [f"== service_day: {result['sales']} complete sales, moto {'tidied' if result['tidy'] else 'as shipped'}, {stream}",
             f"{'sales done':>10}  {'RSS MB':>7}  {'s for last ' + str(result['block']):>14}"]
    for row in result["rows"]:
        lines.append(f"{row['sales']:>10}  {row['rss_mb']:>7}  {row['block_seconds'] if row['block_seconds'] is not None else '':>14}")
    lines.append(f"last block / first block: {result['last_over_first']}; 4xx/5xx: {result['failures'] or 'none'}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.service_day")
    parser.add_argument("--sales", type=int, default=5000)
    parser.add_argument("--block", type=int, default=500)
    parser.add_argument("--no-tidy", action="store_true", help="moto as it ships (the 'before' figures)")
    parser.add_argument("--keep-stream", action="store_true", help="tidied, but every stream record kept (no trimming)")
    args = parser.parse_args(argv)
    print(render(run(sales=args.sales, block=args.block, tidy=not args.no_tidy, keep_stream=args.keep_stream)))
    return 0


if __name__ == "__main__":
    sys.exit(main())

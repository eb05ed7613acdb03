"""`python -m bench [--quick] [--only NAME[,NAME]] [--skip NAME[,NAME]] [--no-save]`: run the benches in
order, print each one's table as it finishes, and write the figures to bench/results.json.

A bench that fails is reported as failed (with its error) and the others still run."""

from __future__ import annotations

import argparse
import importlib
import sys
import time
import traceback

from bench import BENCHES, RESULTS, machine, machine_line, save


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--quick", action="store_true", help="tiny variants (smoke run; the figures mean little)")
    parser.add_argument("--only", default="", help=f"comma-separated subset of: {', '.join(BENCHES)}")
    parser.add_argument("--skip", default="", help="comma-separated benches to leave out")
    parser.add_argument("--no-save", action="store_true", help=f"do not write {RESULTS.name}")
    args = parser.parse_args(argv)
    only = [b for b in args.only.split(",") if b]
    skip = {b for b in args.skip.split(",") if b}
    unknown = [b for b in [*only, *skip] if b not in BENCHES]
    if unknown:
        parser.error(f"unknown bench(es): {', '.join(unknown)}")
    selected = [b for b in (only or BENCHES) if b not in skip]

    print(machine_line(machine()), flush=True)
    print("Figures on a shared 2-core machine are noisy: read them as orders of magnitude, compare within a run.\n", flush=True)
    failed = []
    started = time.perf_counter()
    for name in selected:
        begun = time.perf_counter()
        try:
            module = importlib.import_module(f"bench.{name}")
            result = module.run(quick=args.quick)
            result["bench_seconds"] = round(time.perf_counter() - begun, 1)
            result["quick"] = args.quick
            print(module.render(result), flush=True)
            print(f"[{name}: {result['bench_seconds']} s]\n", flush=True)
            if not args.no_save:
                save(name, result)
        except Exception as exc:  # a bench that cannot run says so and the rest go on
            failed.append(name)
            print(f"== {name}: FAILED: {type(exc).__name__}: {exc}", flush=True)
            traceback.print_exc(limit=5)
            print(flush=True)
            if not args.no_save:
                save(name, {"failed": f"{type(exc).__name__}: {exc}", "machine": machine(), "quick": args.quick})
    print(f"all benches: {time.perf_counter() - started:.1f} s" + (f"; failed: {', '.join(failed)}" if failed else ""), flush=True)
    if not args.no_save:
        print(f"figures written to {RESULTS}", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

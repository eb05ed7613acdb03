"""The bench modules import, their helpers compute what they say, and a tiny variant renders.

No timing is asserted anywhere: benches measure, tests check behaviour."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import bench


@pytest.mark.parametrize("name", bench.BENCHES)
def test_every_bench_module_imports_and_exposes_run_and_render(name: str) -> None:
    module = importlib.import_module(f"bench.{name}")
    assert callable(module.run) and callable(module.render)


def test_the_nearest_rank_percentile_of_one_to_a_hundred() -> None:
    values = [float(v) for v in range(100, 0, -1)]
    assert bench.percentile(values, 50) == 50.0
    assert bench.percentile(values, 99) == 99.0
    assert bench.percentile(values, 100) == 100.0
    assert bench.percentile([7.0], 99) == 7.0


def test_a_table_aligns_its_columns() -> None:
    lines = bench.table(["op", "n"], [["GetItem", 2], ["Query", 10]]).splitlines()
    assert lines[0] == "op        n"
    assert lines[2:] == ["GetItem   2", "Query    10"]


def test_save_merges_one_bench_into_the_results_file(tmp_path: Path) -> None:
    path = tmp_path / "results.json"
    bench.save("a", {"x": 1}, path)
    bench.save("b", {"y": 2}, path)
    bench.save("a", {"x": 3}, path)
    assert json.loads(path.read_text()) == {"a": {"x": 3}, "b": {"y": 2}}


def test_the_machine_line_names_cores_python_and_date() -> None:
    info = bench.machine()
    line = bench.machine_line(info)
    assert f"{info['cores']} cores" in line and info["python"] in line and info["date"] in line


def test_the_importtime_parser_reads_self_cumulative_and_depth() -> None:
    from bench.cold_start import IMPORTTIME_LINE

    match = IMPORTTIME_LINE.match("import time:       120 |      34567 |     pynamodb.connection")
    assert match is not None
    assert (match.group(1), match.group(2), len(match.group(3)) // 2, match.group(4)) == ("120", "34567", 2, "pynamodb.connection")


def test_the_e2e_frame_matchers_pick_the_right_sale() -> None:
    from bench.e2e_latency import is_completed, is_new_order, lists_item

    assert is_new_order(7)({"event": "nuevo-pedido", "data": {"id": 7}})
    assert not is_new_order(7)({"event": "nuevo-pedido", "data": {"id": 8}})
    queue = {"event": "pedidos-actualizados", "data": [{"id": 7, "items": [{"id": 1}, {"id": 2}]}]}
    assert lists_item(7, 2)(queue) and not lists_item(7, 3)(queue) and not lists_item(8, 2)(queue)
    assert is_completed(7)({"event": "pedido-completado", "data": 7})
    assert not is_completed(7)({"event": "pedido-completado", "data": 6})
    from bench.e2e_latency import queue_without

    assert queue_without(8)(queue) and not queue_without(7)(queue) and not queue_without(8)({"event": "nuevo-pedido", "data": []})


def test_the_e2e_bench_reads_a_process_cpu_time_from_proc() -> None:
    import os

    from bench.e2e_latency import process_cpu_seconds

    before = process_cpu_seconds(os.getpid())
    sum(i * i for i in range(200_000))
    assert process_cpu_seconds(os.getpid()) >= before > 0


TINY = """
import json
from bench import fanout, kitchen_queue, requests_per_operation
print(json.dumps({m.__name__: m.run(quick=True) for m in (requests_per_operation, kitchen_queue, fanout)}, default=str))
"""


@pytest.fixture(scope="module")
def tiny_runs() -> dict[str, Any]:
    """The quick variants, in a fresh interpreter: they start their own in-process moto (and a stand-in
    Management API), which must not meet any other test's embedded AWS."""
    done = subprocess.run([sys.executable, "-c", TINY], cwd=bench.REPO, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    results: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return results


def test_the_tiny_requests_per_operation_bench_counts_dynamodb_calls(tiny_runs: dict[str, Any]) -> None:
    from bench import requests_per_operation

    result = tiny_runs["bench.requests_per_operation"]
    warm = result["warm"]
    assert set(warm) == set(requests_per_operation.OPERATIONS)
    assert warm["GET kitchen queue"]["requests"] == {"Query": 1}
    assert warm["pay (closing: stock deduction)"]["requests"].get("TransactWriteItems") == 1
    assert all(r["total"] == r["all_clients_total"] for r in warm.values())
    assert "GetItem" in requests_per_operation.render(result)


def test_the_tiny_kitchen_queue_bench_reads_only_the_pending_sales(tiny_runs: dict[str, Any]) -> None:
    from bench import kitchen_queue

    result = tiny_runs["bench.kitchen_queue"]
    after = result["with_history"]
    assert (after["index"], after["count"], after["scanned_count"], after["returned"]) == ("kitchen-queue", 20, 20, [20])
    assert result["scan_contrast"]["scanned_count"] == 20 + result["history_closed"]
    assert "ScannedCount" in kitchen_queue.render(result)


def test_the_tiny_fanout_bench_delivers_every_post(tiny_runs: dict[str, Any]) -> None:
    from bench import fanout

    result = tiny_runs["bench.fanout"]
    assert [r["delivered"] for r in result["results"]] == [result["connections"]] * 7
    assert {r.get("client") for r in result["results"]} == {None, "boto3", "lean"}
    assert result["posts_received_by_server"] == result["posts_expected"]
    sharding = result["sharding"]
    assert [sum(o["delivered"] for o in run) for run in sharding["per_shard"]] == [result["connections"]]
    assert sorted(o["connections"] for o in sharding["per_shard"][0]) == [11, 13, 13, 13]
    assert "posts/s" in fanout.render(result) and "4 shards" in fanout.render(result)

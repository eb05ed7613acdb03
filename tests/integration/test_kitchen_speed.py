"""The speed-of-service report over a seeded week: the stream-fed rollup against a brute-force
computation over the same sales, replays, and who may read it."""

from __future__ import annotations

import csv
import io
import math
from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

from chalicelib.container import get_services
from chalicelib.domain.rollups import bucket_of, local_day, seconds_between
from chalicelib.domain.sales import Sale
from chalicelib.realtime.fanout import Fanout
from devstack.kitchen_week import write_week
from tests.support.api import Api, TenantWorld
from tests.support.fakes import InMemoryConnections
from tests.support.table_stream import TableStream

TZ = "America/La_Paz"  # the branches' zone (provisioning's default)
START = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)  # a Monday, 10:00 in La Paz


def seed_week(api: Api, alpha: TenantWorld) -> dict[str, Any]:
    """About 2,000 sales over a week in branch centro, and the table's stream driven through the
    fan-out (its subscribers are in memory: with nobody listening, each record's channel lookups
    would only cost moto Queries; the rollup path is the real one)."""
    services = get_services()
    admin = api.as_(alpha.tokens["admin"])
    platos = [admin.post("/api/platos", {"nombre": f"Plato {n}", "precio": "20.00"}).body["id"] for n in range(8)]
    stream = TableStream("transactions")
    repo = services.sale_repo

    def save_new(sale: Sale) -> Sale:
        repo.add(sale)
        stored = repo.get(sale.tenant_id, sale.id)
        assert stored is not None
        return stored

    sales = write_week(save_new, repo.save, "alpha", "centro", platos, START, days=7, sales=2000)
    fanout = Fanout(InMemoryConnections(), repo, services.frames, services.sales.timezone, rollups=services.rollup_feed)
    batches = stream.batches()
    for batch in batches:
        assert fanout.handle_batch(batch) == {"batchItemFailures": []}
    return {"sales": sales, "batches": batches, "fanout": fanout}


def nearest_rank(values: list[int], fraction: float) -> int:
    ordered = sorted(values)
    return ordered[max(1, math.ceil(len(ordered) * fraction)) - 1]


def brute_force(sales: list[Sale], late_minutes: int = 20) -> dict[tuple[str, str], dict[str, Any]]:
    """Per (local day, station): the items made ready, their seconds, late ones, and tickets."""
    days: dict[tuple[str, str], dict[str, Any]] = defaultdict(lambda: {"seconds": [], "late": 0, "tickets": 0})
    for sale in sales:
        by_station: dict[str, list[Any]] = defaultdict(list)
        for item in sale.kitchen_items:
            by_station[str(item.estacion)].append(item)
            if item.fired_at and item.ready_at:
                seconds = int(seconds_between(item.fired_at, item.ready_at))
                day = days[(local_day(item.ready_at, TZ), str(item.estacion))]
                day["seconds"].append(seconds)
                day["late"] += seconds > late_minutes * 60
        for station, items in by_station.items():
            if all(i.ready_at for i in items):
                days[(local_day(max(str(i.ready_at) for i in items), TZ), station)]["tickets"] += 1
    return days


def report(api: Api, token: str, query: str = "desde=2026-11-23&hasta=2026-12-01") -> dict[str, Any]:
    reply = api.as_(token).get(f"/api/reportes/cocina?{query}")
    assert reply.status == 200, reply
    return reply.body


def test_a_seeded_week_reports_like_a_brute_force_count_and_a_replay_changes_nothing(
    api: Api, alpha: TenantWorld, beta: TenantWorld
) -> None:
    week = seed_week(api, alpha)
    expected = brute_force(week["sales"])
    got = report(api, alpha.tokens["cocina"])

    assert {(d["fecha"], d["estacion"]) for d in got["dias"]} == set(expected)
    assert len(got["dias"]) >= 21, "seven days of three stations"
    for day in got["dias"]:
        truth = expected[(day["fecha"], day["estacion"])]
        assert day["items"] == len(truth["seconds"])
        assert day["items_tarde"] == truth["late"]
        assert day["tickets"] == truth["tickets"]
        for fraction, field in ((0.5, "p50_segundos"), (0.9, "p90_segundos")):
            exact = nearest_rank(truth["seconds"], fraction)
            assert abs(bucket_of(day[field]) - bucket_of(exact)) <= 1, (day, field, exact)
        assert day["promedio_segundos"] == int(sum(truth["seconds"]) / len(truth["seconds"]))
    assert sum(d["items"] for d in got["dias"]) == sum(len(s.kitchen_items) for s in week["sales"])

    # a replayed batch (the stream re-delivers after a failure) moves nothing
    for batch in week["batches"][:5] + week["batches"][-3:]:
        assert week["fanout"].handle_batch(batch) == {"batchItemFailures": []}
    assert report(api, alpha.tokens["cocina"]) == got

    # one station's day, with its slowest dishes named
    (day,) = report(api, alpha.tokens["admin"], "desde=2026-11-24&hasta=2026-11-24&estacion=parrilla")["dias"]
    assert (day["fecha"], day["estacion"]) == ("2026-11-24", "parrilla")
    slow = day["platos_lentos"]
    assert 1 <= len(slow) <= 3 and all(s["nombre"].startswith("Plato ") for s in slow)
    assert [s["promedio_segundos"] for s in slow] == sorted((s["promedio_segundos"] for s in slow), reverse=True)

    # the same week as a spreadsheet: one line per station and day, the dishes' names readable
    download = api.as_(alpha.tokens["admin"]).get("/api/reportes/cocina?desde=2026-11-23&hasta=2026-12-01&formato=csv")
    assert download.status == 200 and 'filename="cocina-centro-2026-11-23-2026-12-01.csv"' in download.headers["Content-Disposition"]
    assert download.body.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(download.body.removeprefix("\ufeff"))))
    assert [(r["fecha"], r["estacion"], int(r["items"])) for r in rows] == [
        (d["fecha"], d["estacion"], d["items"]) for d in got["dias"]]
    assert all("Plato " in r["platos_lentos"] for r in rows)

    # another tenant reads none of it, even naming the same branch
    other = report(api, beta.tokens["admin"], "desde=2026-11-23&hasta=2026-12-01")
    assert other["dias"] == []


def test_the_report_is_for_admin_and_cocina_and_refuses_bad_ranges(api: Api, alpha: TenantWorld) -> None:
    assert api.as_(alpha.tokens["mesero"]).get("/api/reportes/cocina").status == 403
    assert api.as_(alpha.tokens["cocina"]).get("/api/reportes/cocina").body["dias"] == []
    for query, words in (("desde=2026-12-05&hasta=2026-12-01", "after"), ("desde=2025-01-01&hasta=2026-12-01", "366"),
                         ("desde=2026-02-30", "valid date"), ("desde=ayer", "desde")):
        reply = api.as_(alpha.tokens["cocina"]).get(f"/api/reportes/cocina?{query}")
        assert reply.status == 400 and words in str(reply.body), (query, reply)

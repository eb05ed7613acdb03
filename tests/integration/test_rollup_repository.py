"""The rollup store's contract, held by DynamoDB and by the memory fake alike."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from chalicelib.domain.rollups import RollupKey
from tests.support.fakes import InMemoryRollups

D = Decimal


@pytest.fixture(params=["dynamodb", "memory"])
def rollups(request: pytest.FixtureRequest) -> Any:
    if request.param == "memory":
        return InMemoryRollups()
    request.getfixturevalue("aws")
    from chalicelib.container import get_services
    from chalicelib.store.rollups import RollupRepository

    return RollupRepository(get_services().settings)


def key(day: str, part: str = "", branch: str = "centro", report: str = "cocina") -> RollupKey:
    return RollupKey(report, branch, day, part)


def test_counters_add_up_across_events_and_read_back_per_day_and_part(rollups: Any) -> None:
    assert rollups.apply_once("alpha", "e1", {key("2026-03-18", "parrilla"): {"items": D(2), "hist:3": D(1)}})
    assert rollups.apply_once("alpha", "e2", {key("2026-03-18", "parrilla"): {"items": D(1), "seconds": D("95")},
                                              key("2026-03-19", "bar"): {"items": D(1)}})
    rows = rollups.days("alpha", "centro", "cocina", "2026-03-18", "2026-03-19")
    assert rows == {key("2026-03-18", "parrilla"): {"items": D(3), "hist:3": D(1), "seconds": D(95)},
                    key("2026-03-19", "bar"): {"items": D(1)}}


def test_an_event_applied_twice_moves_the_counters_once(rollups: Any) -> None:
    delta = {key("2026-03-18", "parrilla"): {"items": D(1)}}
    assert rollups.apply_once("alpha", "e1", delta) is True
    assert rollups.apply_once("alpha", "e1", delta) is False
    assert rollups.days("alpha", "centro", "cocina", "2026-03-18", "2026-03-18")[key("2026-03-18", "parrilla")] == {"items": D(1)}


def test_a_negative_delta_takes_a_contribution_back(rollups: Any) -> None:
    rollups.apply_once("alpha", "e1", {key("2026-03-18", "", report="ventas"): {"n": D(1), "total": D("40.50")}})
    rollups.apply_once("alpha", "e2", {key("2026-03-18", "", report="ventas"): {"n": D(-1), "total": D("-40.50")}})
    assert rollups.days("alpha", "centro", "ventas", "2026-03-18", "2026-03-18")[key("2026-03-18", report="ventas")] == {
        "n": D(0), "total": D("0.00")}


def test_days_are_bounded_by_the_range_the_branch_the_report_and_the_tenant(rollups: Any) -> None:
    for n, day in enumerate(("2026-03-17", "2026-03-18", "2026-03-19", "2026-03-20")):
        rollups.apply_once("alpha", f"a{n}", {key(day, "bar"): {"items": D(1)}})
    rollups.apply_once("alpha", "other-branch", {key("2026-03-18", "bar", branch="norte"): {"items": D(5)}})
    rollups.apply_once("alpha", "other-report", {key("2026-03-18", report="ventas"): {"n": D(5)}})
    rollups.apply_once("beta", "other-tenant", {key("2026-03-18", "bar"): {"items": D(7)}})
    rows = rollups.days("alpha", "centro", "cocina", "2026-03-18", "2026-03-19")
    assert sorted(k.day for k in rows) == ["2026-03-18", "2026-03-19"]
    assert all(v == {"items": D(1)} for v in rows.values())
    assert rollups.days("gamma", "centro", "cocina", "2026-03-01", "2026-03-31") == {}


def test_the_same_event_id_in_two_tenants_is_two_events(rollups: Any) -> None:
    assert rollups.apply_once("alpha", "e1", {key("2026-03-18", "bar"): {"items": D(1)}})
    assert rollups.apply_once("beta", "e1", {key("2026-03-18", "bar"): {"items": D(1)}})


def test_forgetting_a_day_removes_only_that_days_rows(rollups: Any) -> None:
    rollups.apply_once("alpha", "e1", {key("2026-03-18", "bar"): {"items": D(1)}, key("2026-03-18", "parrilla"): {"items": D(2)},
                                       key("2026-03-19", "bar"): {"items": D(3)}})
    assert rollups.forget_day("alpha", "centro", "cocina", "2026-03-18") == 2
    assert list(rollups.days("alpha", "centro", "cocina", "2026-03-01", "2026-03-31")) == [key("2026-03-19", "bar")]

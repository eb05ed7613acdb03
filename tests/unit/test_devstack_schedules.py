"""The local stack runs the app's `@app.schedule` functions as EventBridge would."""

from __future__ import annotations

import threading

from chalice import Chalice, Cron, Rate

from devstack.schedules import period_seconds, start_schedules


def test_a_rate_becomes_a_period_and_the_override_wins() -> None:
    assert period_seconds(Rate(4, unit=Rate.MINUTES), None) == 240
    assert period_seconds(Rate(1, unit=Rate.HOURS), None) == 3600
    assert period_seconds(Rate(4, unit=Rate.MINUTES), "0.5") == 0.5
    assert period_seconds(Cron(0, 10, "*", "*", "?", "*"), None) is None


def test_a_scheduled_function_runs_with_a_scheduled_event(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("COMANDA_LOCAL_SCHEDULE_SECONDS", "0.05")
    app = Chalice(app_name="schedules")
    ran = threading.Event()
    seen: list[str] = []

    @app.schedule(Rate(4, unit=Rate.MINUTES))
    def tick(event):  # type: ignore[no-untyped-def]
        seen.append(event.to_dict()["detail-type"])
        ran.set()

    schedules = start_schedules(app)
    try:
        assert ran.wait(5)
    finally:
        for schedule in schedules:
            schedule.stop()
    assert seen[0] == "Scheduled Event"

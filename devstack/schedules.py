"""Run the app's `@app.schedule` functions locally, as EventBridge would on AWS.

A `rate(N unit)` runs every N units; `COMANDA_LOCAL_SCHEDULE_SECONDS` overrides every period
(tests use it with a short Socket.IO ping interval). Cron expressions are not run locally."""

from __future__ import annotations

import logging
import os
import threading
import time
import uuid
from typing import Any

from chalice.local import LambdaContext

log = logging.getLogger("devstack.schedules")

SECONDS = {"MINUTES": 60, "HOURS": 3600, "DAYS": 86400}


def period_seconds(expression: Any, override: str | None) -> float | None:
    if override:
        return float(override)
    value, unit = getattr(expression, "value", None), getattr(expression, "unit", None)
    if value is None or unit not in SECONDS:
        return None
    return float(value) * SECONDS[unit]


def scheduled_event(name: str) -> dict[str, Any]:
    return {
        "version": "0", "id": str(uuid.uuid4()), "detail-type": "Scheduled Event", "source": "aws.events",
        "account": "000000000000", "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "region": "us-east-1",
        "resources": [f"arn:aws:events:us-east-1:000000000000:rule/{name}"], "detail": {},
    }


class Schedule:
    def __init__(self, name: str, handler: Any, period: float) -> None:
        self.name = name
        self.handler = handler
        self.period = period
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"schedule-{name}", daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(self.period):
            context = LambdaContext(function_name=self.name, memory_size=128, max_runtime_ms=60_000)
            try:
                self.handler(scheduled_event(self.name), context)
            except Exception:
                log.exception("scheduled function %s raised", self.name)

    def start(self) -> Schedule:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()


def start_schedules(app: Any) -> list[Schedule]:
    override = os.environ.get("COMANDA_LOCAL_SCHEDULE_SECONDS")
    started = []
    for source in app.event_sources:
        expression = getattr(source, "schedule_expression", None)
        if expression is None:
            continue
        period = period_seconds(expression, override)
        if period is None:
            log.warning("scheduled function %s: %r is not run locally", source.name, expression)
            continue
        handler = app.handler_map.get(source.name)
        if handler is not None:
            started.append(Schedule(source.name, handler, period).start())
    return started

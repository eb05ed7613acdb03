"""One minute of a busy service (bench/soak.py's short variant): cashiers on two branches, sockets
of every protocol listening, a delivery going through. No 5xx, and every socket hears of every sale
of its branch."""

from __future__ import annotations

from bench import soak


def test_a_minute_of_busy_service_answers_no_5xx_and_loses_no_frame() -> None:
    result = soak.run(minutes=1.0)
    print(soak.render(result))
    assert result["status_5xx"] == 0, result["errors"]
    assert result["socket_failures"] == []
    assert result["frames_lost"] == 0, result["frames"]
    assert result["results"].get("sales closed", 0) > 0 and result["results"].get("deliveries done") == 1

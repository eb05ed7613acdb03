"""The self-cleaning concurrent sender (no AWS: a fake Management API client)."""

from __future__ import annotations

import threading

from botocore.exceptions import ClientError, ReadTimeoutError

from chalicelib.realtime.sender import Sender


def error(code: str, status: int) -> ClientError:
    return ClientError({"Error": {"Code": code}, "ResponseMetadata": {"HTTPStatusCode": status}}, "PostToConnection")


class Script:
    """post_to_connection answers from a per-connection script of outcomes, then succeeds."""

    def __init__(self, **scripts: list[Exception]) -> None:
        self.scripts = {k: list(v) for k, v in scripts.items()}
        self.calls: list[str] = []
        self.threads: set[str] = set()
        self.lock = threading.Lock()

    def post_to_connection(self, ConnectionId: str, Data: bytes) -> None:  # noqa: N803
        with self.lock:
            self.calls.append(ConnectionId)
            self.threads.add(threading.current_thread().name)
            script = self.scripts.get(ConnectionId, [])
            outcome = script.pop(0) if script else None
        if outcome is not None:
            raise outcome


def test_a_gone_connection_is_forgotten_and_the_others_still_receive() -> None:
    forgotten: list[str] = []
    client = Script(b=[error("GoneException", 410)])
    report = Sender(client, forgotten.append, threads=4).send(["a", "b", "c"], "hi")
    assert (report.delivered, report.gone, report.failed) == (2, ["b"], [])
    assert forgotten == ["b"]
    assert client.calls.count("b") == 1  # a 410 is never retried


def test_throttling_and_server_errors_are_retried_then_delivered() -> None:
    client = Script(a=[error("LimitExceededException", 429)], b=[error("InternalServerError", 500), error("ThrottlingException", 400)])
    report = Sender(client, lambda c: None, threads=2, max_attempts=4).send(["a", "b"], "hi")
    assert report.delivered == 2 and client.calls.count("b") == 3


def test_a_connection_that_keeps_failing_is_reported_not_forgotten() -> None:
    forgotten: list[str] = []
    timeout = ReadTimeoutError(endpoint_url="http://x")
    client = Script(a=[timeout, timeout, timeout, timeout])
    report = Sender(client, forgotten.append, threads=2, max_attempts=3).send(["a", "b"], "hi")
    assert report.failed == ["a"] and report.delivered == 1 and forgotten == []
    assert client.calls.count("a") == 3


def test_a_client_error_that_is_not_transient_is_not_retried() -> None:
    client = Script(a=[error("ForbiddenException", 403)])
    report = Sender(client, lambda c: None, threads=1).send(["a"], "hi")
    assert report.failed == ["a"] and client.calls == ["a"]


def test_sends_run_on_the_pool_and_duplicates_are_sent_once() -> None:
    client = Script()
    report = Sender(client, lambda c: None, threads=8).send([f"c{i}" for i in range(50)] + ["c1", "c2"], "hi")
    assert report.delivered == 50 and len(client.calls) == 50
    assert all(name.startswith("ws-send") for name in client.threads)

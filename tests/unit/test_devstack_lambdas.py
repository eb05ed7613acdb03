"""The local stack's Lambda Invoke API (devstack/lambdas.py), driven by boto3's own lambda client."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from devstack.lambdas import LocalLambdas, ServedLambdas


@pytest.fixture(scope="module")
def served() -> Iterator[ServedLambdas]:
    from app import app

    running = ServedLambdas(LocalLambdas(app, concurrency=2, retry_delay=0.05))
    yield running
    running.stop()


def client(endpoint: str) -> Any:
    return boto3.client("lambda", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="testing",
                        aws_secret_access_key="testing")


def test_a_function_is_found_by_its_name_its_deployed_name_or_its_arn() -> None:
    from app import app

    lambdas = LocalLambdas(app)
    assert lambdas.resolve("send_frames") == "send_frames"
    assert lambdas.resolve("comanda-local-send_frames") == "send_frames"
    assert lambdas.resolve("comanda-prod-send_frames") == "send_frames"
    assert lambdas.resolve("arn:aws:lambda:us-east-1:000000000000:function:comanda-local-send_frames") == "send_frames"
    assert lambdas.resolve("arn:aws:lambda:us-east-1:000000000000:function:send_frames:live") == "send_frames"
    assert lambdas.resolve("other-local-send_frames") is None and lambdas.resolve("fan_out") is None


def test_an_event_invocation_is_accepted_at_once_and_a_failing_one_is_retried_twice(served: ServedLambdas) -> None:
    before = len(served.lambdas.results)
    response = client(served.endpoint).invoke(FunctionName="comanda-local-send_frames", InvocationType="Event",
                                              Payload=json.dumps({"frame": "x", "connections": []}))
    assert response["StatusCode"] == 202
    deadline = time.monotonic() + 60
    while len(served.lambdas.results) == before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert list(served.lambdas.results)[before:] == [("send_frames", {
        "connections": 0, "delivered": 0, "gone": 0, "failed": 0, "attempt": 1,
        "seconds": pytest.approx(0, abs=1), "cpu_seconds": pytest.approx(0, abs=1)})]

    failing = client(served.endpoint).invoke(FunctionName="send_frames", InvocationType="Event", Payload=b'{"frame": 1}')
    assert failing["StatusCode"] == 202
    deadline = time.monotonic() + 30
    while len(served.lambdas.failures) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)
    assert [(name, attempt) for name, attempt, _ in served.lambdas.failures] == [("send_frames", 1), ("send_frames", 2),
                                                                                 ("send_frames", 3)]
    assert all(error.startswith("ValueError") for _, _, error in served.lambdas.failures)


def test_a_synchronous_invocation_returns_the_result_or_the_functions_error(served: ServedLambdas) -> None:
    lam = client(served.endpoint)
    done = lam.invoke(FunctionName="send_frames", Payload=json.dumps({"frame": "x", "connections": []}))
    assert done["StatusCode"] == 200 and json.loads(done["Payload"].read())["delivered"] == 0
    failed = lam.invoke(FunctionName="send_frames", Payload=json.dumps({"frame": 1}))
    assert failed["FunctionError"] == "Unhandled"
    assert json.loads(failed["Payload"].read())["errorType"] == "ValueError"


def test_an_unknown_function_and_an_oversized_event_are_refused_as_lambda_does(served: ServedLambdas) -> None:
    lam = client(served.endpoint)
    with pytest.raises(ClientError) as missing:
        lam.invoke(FunctionName="comanda-local-nothing", InvocationType="Event", Payload=b"{}")
    assert missing.value.response["Error"]["Code"] == "ResourceNotFoundException"
    with pytest.raises(ClientError) as large:
        lam.invoke(FunctionName="send_frames", InvocationType="Event", Payload=json.dumps({"frame": "x" * 300_000}))
    assert large.value.response["ResponseMetadata"]["HTTPStatusCode"] == 413


def test_an_async_invocation_that_keeps_failing_goes_to_its_on_failure_destination_as_lambda_words_it() -> None:
    import json as _json
    import time as _time

    from devstack.lambdas import LocalLambdas

    class App:
        app_name = "comanda"
        pure_lambda_functions: list[object] = []

    landed: list[tuple[str, dict]] = []
    lambdas = LocalLambdas(App(), retry_delay=0.01, on_failure=lambda name, record: landed.append((name, record)))
    lambdas.submit = lambda name, payload: _failed(ValueError("bad shard"))  # type: ignore[method-assign]
    lambdas.invoke_event("send_frames", _json.dumps({"frame": 5}).encode())
    deadline = _time.monotonic() + 5
    while not landed and _time.monotonic() < deadline:
        _time.sleep(0.01)
    [(name, record)] = landed
    assert name == "send_frames" and [attempt for _, attempt, _ in lambdas.failures] == [1, 2, 3]
    assert record["requestPayload"] == {"frame": 5}
    assert record["requestContext"]["condition"] == "RetriesExhausted" and record["requestContext"]["approximateInvokeCount"] == 3
    assert record["responsePayload"] == {"errorMessage": "bad shard", "errorType": "ValueError"}


def _failed(error: Exception):  # type: ignore[no-untyped-def]
    from concurrent.futures import Future

    future: Future = Future()
    future.set_exception(error)
    return future

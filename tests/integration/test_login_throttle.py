"""Login throttling (issue 9): after 5 failed logins for one username within 15 minutes, 429 with
Retry-After until the window passes, right password or not; counts live in DynamoDB, shared by
every instance; unknown usernames are counted and answered the same way."""

from __future__ import annotations

from chalice.test import Client

from chalicelib.container import get_services, use_settings
from tests.support.api import ROLES_PASSWORDS, Api, Reply, TenantWorld


def login(api: Api, username: str, password: str) -> Reply:
    return api.post("/api/auth/login", {"nombre_usuario": username, "contrasena": password, "tenant": "alpha"})


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_thirty_wrong_passwords_for_admin_are_slowed_after_five(api: Api, alpha: TenantWorld) -> None:
    statuses = [login(api, "admin", f"wrong{i}").status for i in range(30)]
    assert statuses[:5] == [401] * 5
    assert set(statuses[5:]) == {429}


def test_the_sixth_attempt_gets_429_with_retry_after_even_with_the_right_password(api: Api, alpha: TenantWorld) -> None:
    for _ in range(5):
        assert login(api, "cajero1", "nope").status == 401
    reply = login(api, "cajero1", ROLES_PASSWORDS["cajero"])
    assert reply.status == 429, reply
    assert 1 <= int(reply.headers["Retry-After"]) <= 900
    assert reply.body["statusCode"] == 429
    assert login(api, "mesero1", ROLES_PASSWORDS["mesero"]).status == 201, "another username is not affected"


def test_an_unknown_username_is_counted_and_answered_exactly_like_a_known_one(api: Api, alpha: TenantWorld) -> None:
    get_services().login_throttle.clock = Clock(1_800_000_000.0)
    known = [login(api, "admin", "nope") for _ in range(6)]
    unknown = [login(api, "ghost", "nope") for _ in range(6)]
    assert [(r.status, r.body) for r in known] == [(r.status, r.body) for r in unknown]
    assert known[-1].headers["Retry-After"] == unknown[-1].headers["Retry-After"]


def test_a_success_resets_the_count(api: Api, alpha: TenantWorld) -> None:
    for _ in range(4):
        assert login(api, "cajero1", "nope").status == 401
    assert login(api, "cajero1", ROLES_PASSWORDS["cajero"]).status == 201
    for _ in range(4):
        assert login(api, "cajero1", "nope").status == 401
    assert login(api, "cajero1", ROLES_PASSWORDS["cajero"]).status == 201


def test_once_the_window_passes_the_right_password_works_again(api: Api, alpha: TenantWorld) -> None:
    clock = Clock(get_services().login_throttle.clock())
    get_services().login_throttle.clock = clock
    for _ in range(5):
        login(api, "cajero1", "nope")
    clock.now += 899
    reply = login(api, "cajero1", ROLES_PASSWORDS["cajero"])
    assert reply.status == 429 and reply.headers["Retry-After"] == "1"
    clock.now += 1
    assert login(api, "cajero1", ROLES_PASSWORDS["cajero"]).status == 201


def test_counts_are_shared_by_two_app_instances_on_one_table(alpha: TenantWorld) -> None:
    from app import app

    settings = get_services().settings
    with use_settings(settings) as first, Client(app) as first_client:
        api_one = Api(first_client)
        for _ in range(3):
            assert login(api_one, "admin", "nope").status == 401
    with use_settings(settings) as second, Client(app) as second_client:
        assert second is not first
        api_two = Api(second_client)
        for _ in range(2):
            assert login(api_two, "admin", "nope").status == 401
        assert login(api_two, "admin", ROLES_PASSWORDS["admin"]).status == 429
    with use_settings(settings), Client(app) as third_client:
        assert login(Api(third_client), "admin", ROLES_PASSWORDS["admin"]).status == 429

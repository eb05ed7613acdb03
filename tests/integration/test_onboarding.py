"""`python -m ops.provision_tenant`: onboarding a restaurant through the API's own service."""

from __future__ import annotations

import io
import os

import pytest

from chalicelib.container import get_services
from ops.provision_tenant import main
from tests.support.api import Api

PASSWORD = "Esquina123!"
ARGS = [
    "--stage", "dev", "--tenant", "la-esquina", "--name", "La Esquina",
    "--branch", "centro:Sucursal Centro", "--branch", "norte:Norte",
    "--admin-user", "duena", "--admin-password-env", "ADMIN_PASSWORD",
    "--table-prefix", "comanda-test", "--timezone", "America/La_Paz",
]


def run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, out=out, err=err)
    get_services()  # main() resets the services on the way out; rebuild them for the test environment
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def password(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("ADMIN_PASSWORD", PASSWORD)
    # The stage's real secret, as the operator's pipeline injects it (config.json holds none outside local).
    monkeypatch.setenv("JWT_SECRET", "dev-stage-secret-from-the-pipeline-0123456789")
    return PASSWORD


def test_a_new_restaurant_is_provisioned_and_its_owner_logs_in_through_the_api(api: Api, password: str) -> None:
    code, out, err = run(ARGS)
    assert (code, err) == (0, "")
    assert "stage dev: tables comanda-test-* in us-east-1" in out
    assert "tenant la-esquina (La Esquina): created" in out
    assert "branch centro (Sucursal Centro, America/La_Paz): created" in out
    assert "branch norte (Norte, America/La_Paz): created" in out
    assert "admin user duena (id 1, rol admin): created" in out
    assert PASSWORD not in out

    token = api.login("duena", PASSWORD, "la-esquina")
    profile = api.as_(token).get("/api/auth/profile").body
    assert (profile["nombre_usuario"], profile["rol"], profile["tenant_id"]) == ("duena", "admin", "la-esquina")
    # The owner works in the first branch and may switch to the second.
    assert api.as_(token).post("/api/caja/abrir", {}).body["sucursal_id"] == "centro"
    assert api.as_(token).get("/api/caja/actual", headers={"X-Branch-Id": "norte"}).body is None


def test_the_command_leaves_the_process_environment_as_it_found_it(api: Api, password: str) -> None:
    before = dict(os.environ)
    assert run(ARGS)[0] == 0
    assert dict(os.environ) == before
    assert get_services().settings.table_prefix == "comanda-test" and get_services().settings.stage == "local"


def test_re_running_creates_nothing_new_and_keeps_the_password(api: Api, password: str, monkeypatch: pytest.MonkeyPatch) -> None:
    assert run(ARGS)[0] == 0
    monkeypatch.setenv("ADMIN_PASSWORD", "Otra-clave-1")
    code, out, _ = run([*ARGS[:8], "--branch", "sur:Sur", *ARGS[8:]])
    assert code == 0
    assert "tenant la-esquina (La Esquina): already existed" in out
    assert "branch centro (Sucursal Centro, America/La_Paz): already existed" in out
    assert "branch sur (Sur, America/La_Paz): created" in out
    assert "admin user duena (id 1, rol admin): already existed" in out

    accounts = get_services().accounts
    assert [u.nombre_usuario for u in accounts.list_users("la-esquina")] == ["duena"]
    assert sorted(b.branch_id for b in accounts.tenants.list_branches("la-esquina")) == ["centro", "norte", "sur"]
    api.login("duena", PASSWORD, "la-esquina")  # the first password still works


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"--tenant": "La Esquina!"}, "tenant must match"),
        ({"--tenant": "x"}, "tenant must match"),
        ({"--branch": "Centro Grande:Centro"}, "branch must match"),
        ({"--admin-user": "Dueña"}, "--admin-user must be"),
        ({"--timezone": "Mars/Olympus"}, "not a known time zone"),
        ({"--stage": "staging"}, "unknown stage 'staging'"),
        ({"--admin-password-env": "NO_SUCH_VARIABLE"}, "NO_SUCH_VARIABLE is not set"),
    ],
    ids=lambda value: str(value),
)
def test_bad_input_exits_2_with_a_clear_message_and_writes_nothing(
    api: Api, password: str, change: dict[str, str], message: str
) -> None:
    argv = list(ARGS)
    for flag, value in change.items():
        argv[argv.index(flag) + 1] = value
    code, out, err = run(argv)
    assert code == 2
    assert message in err and "Traceback" not in err
    assert get_services().tenant_repo.get_tenant("la-esquina") is None


def test_a_short_password_exits_2(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ADMIN_PASSWORD", "123")
    code, _, err = run(ARGS)
    assert code == 2 and "at least 6 characters" in err


def test_a_missing_required_option_is_a_usage_error_with_exit_2(api: Api, password: str) -> None:
    code, _, _ = run(["--stage", "dev", "--tenant", "la-esquina"])
    assert code == 2


def test_the_password_is_never_a_command_line_argument() -> None:
    from ops.provision_tenant import build_parser

    options = {o for action in build_parser()._actions for o in action.option_strings}
    assert not {o for o in options if "password" in o} - {"--admin-password-env"}

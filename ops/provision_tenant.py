"""Onboard a restaurant: its tenant, branches and owner, in any stage.

    ADMIN_PASSWORD='…' python -m ops.provision_tenant --stage dev --tenant la-esquina --name "La Esquina" \\
        --branch centro:"Sucursal Centro" [--branch norte:"Norte"] --admin-user admin \\
        --admin-password-env ADMIN_PASSWORD [--timezone America/La_Paz]

The stage's environment comes from .chalice/config.json (top-level `environment_variables`
merged with the stage's). The real environment overrides the AWS connection (`AWS_*`:
endpoint, region, credentials, profile) and `JWT_SECRET` (the deployed stage's real secret,
since config.json holds no secret outside local; JWT_SECRET_ARN also works); `--table-prefix` overrides the stage's tables. The
writes go through the same service and repositories as the API (`AccountService.provision_tenant`),
so re-running is safe: whatever exists is left as it is.

The password is read from the named environment variable or prompted for; it is never a
command-line argument and never printed. Exit codes: 0 done, 2 bad input.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from chalicelib.domain.tenancy import USERNAME_PATTERN, check_slug

CONFIG = Path(__file__).resolve().parents[1] / ".chalice" / "config.json"
MIN_PASSWORD = 6  # as POST /api/usuarios


class BadInput(Exception):
    """A mistake of the operator's: reported in one line, exit code 2."""


@dataclass(frozen=True)
class Request:
    stage: str
    tenant: str
    name: str
    branches: list[tuple[str, str]]
    admin_user: str
    timezone: str


def parse_branch(raw: str) -> tuple[str, str]:
    """`slug:Name` (or just `slug`, named after itself)."""
    slug, _, name = raw.partition(":")
    slug, name = slug.strip(), name.strip()
    if not slug:
        raise argparse.ArgumentTypeError(f"--branch {raw!r}: expected slug:Name, e.g. centro:\"Sucursal Centro\"")
    return slug, name or slug


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m ops.provision_tenant", description=__doc__.split("\n\n")[0])
    parser.add_argument("--stage", required=True, help="a stage of .chalice/config.json (local, dev, prod)")
    parser.add_argument("--tenant", required=True, help="the tenant's slug, e.g. la-esquina")
    parser.add_argument("--name", required=True, help="the restaurant's display name")
    parser.add_argument("--branch", dest="branches", action="append", type=parse_branch, required=True,
                        metavar="SLUG:NAME", help="a branch; repeat for more (the first is the default branch)")
    parser.add_argument("--admin-user", required=True, help="the owner's username")
    parser.add_argument("--admin-password-env", metavar="VAR",
                        help="environment variable holding the owner's password (prompted for if omitted)")
    parser.add_argument("--timezone", default="America/La_Paz", help="time zone of new branches (default America/La_Paz)")
    parser.add_argument("--table-prefix", help="override the stage's COMANDA_TABLE_PREFIX")
    parser.add_argument("--config", type=Path, default=CONFIG, help=argparse.SUPPRESS)
    return parser


# --- environment ------------------------------------------------------------------------------


def stage_environment(config_path: Path, stage: str, real: Mapping[str, str], table_prefix: str | None) -> dict[str, str]:
    """The process environment the stage's Lambda would see, with the real environment's AWS
    connection (endpoint, region, credentials) on top."""
    try:
        config = json.loads(config_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BadInput(f"cannot read {config_path}: {exc}") from exc
    stages = config.get("stages", {})
    if stage not in stages:
        raise BadInput(f"unknown stage {stage!r}; {config_path.name} has: {', '.join(sorted(stages))}")
    env = dict(real)
    for key, value in {**config.get("environment_variables", {}), **stages[stage].get("environment_variables", {})}.items():
        if (key.startswith("AWS_") or key == "JWT_SECRET") and key in real:
            continue
        env[key] = str(value)
    env["COMANDA_STAGE"] = env.get("COMANDA_STAGE") or stage
    if table_prefix:
        env["COMANDA_TABLE_PREFIX"] = table_prefix
    return env


# --- input ------------------------------------------------------------------------------------


def check_request(args: argparse.Namespace) -> Request:
    """Everything that can be checked before touching AWS (the service checks again)."""
    check_slug(args.tenant, "tenant")
    for slug, _ in args.branches:
        check_slug(slug, "branch")
    if not args.name.strip():
        raise BadInput("--name must not be empty")
    if not (3 <= len(args.admin_user) <= 30 and re.fullmatch(USERNAME_PATTERN, args.admin_user)):
        raise BadInput(f"--admin-user must be 3 to 30 characters matching {USERNAME_PATTERN}")
    try:
        ZoneInfo(args.timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise BadInput(f"--timezone {args.timezone!r} is not a known time zone") from exc
    slugs = [slug for slug, _ in args.branches]
    if len(set(slugs)) != len(slugs):
        raise BadInput("--branch slugs must be distinct")
    return Request(args.stage, args.tenant, args.name.strip(), list(args.branches), args.admin_user, args.timezone)


def read_password(var: str | None, env: Mapping[str, str], prompt: TextIO) -> str:
    if var is not None:
        password = env.get(var, "")
        if not password:
            raise BadInput(f"environment variable {var} is not set or empty")
    else:
        if not sys.stdin.isatty():
            raise BadInput("no terminal to prompt for the password: use --admin-password-env VAR")
        password = getpass.getpass("Admin password: ", stream=prompt)
        if password != getpass.getpass("Repeat it: ", stream=prompt):
            raise BadInput("the passwords do not match")
    if len(password) < MIN_PASSWORD:
        raise BadInput(f"the admin password must be at least {MIN_PASSWORD} characters")
    return password


# --- the command ------------------------------------------------------------------------------


def provision(request: Request, password: str, out: TextIO) -> None:
    """Create what is missing, through the API's own service, and report each part."""
    from chalicelib.container import get_services

    services = get_services()
    settings, accounts = services.settings, services.accounts
    endpoint = settings.endpoint_url or "AWS"
    print(f"stage {request.stage}: tables {settings.table_prefix}-* in {settings.region} ({endpoint})", file=out)
    existed = accounts.tenants.get_tenant(request.tenant) is not None
    known = {b.branch_id for b in accounts.tenants.list_branches(request.tenant)} if existed else set()
    had_admin = accounts.users.get_by_username(request.tenant, request.admin_user) is not None

    tenant, admin = accounts.provision_tenant(
        request.tenant, request.name, request.branches, request.admin_user, password, request.timezone
    )

    def state(was_there: bool) -> str:
        return "already existed" if was_there else "created"

    print(f"tenant {tenant.tenant_id} ({tenant.nombre}): {state(existed)}", file=out)
    for slug, name in request.branches:
        branch = accounts.tenants.get_branch(request.tenant, slug)
        shown = f"{branch.nombre}, {branch.timezone}" if branch else name
        print(f"branch {slug} ({shown}): {state(slug in known)}", file=out)
    print(f"admin user {admin.nombre_usuario} (id {admin.user_id}, rol {admin.rol}): {state(had_admin)}", file=out)
    if had_admin:
        print("  its password was left unchanged", file=out)


def main(argv: Sequence[str] | None = None, out: TextIO = sys.stdout, err: TextIO = sys.stderr) -> int:
    from chalicelib.container import use_settings
    from chalicelib.errors import DomainError
    from chalicelib.settings import SettingsError, load_settings

    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse has printed the usage and the problem
        return int(exc.code or 0)
    try:
        request = check_request(args)
        env = stage_environment(args.config, args.stage, os.environ, args.table_prefix)
        password = read_password(args.admin_password_env, os.environ, err)
        with use_settings(load_settings(env)):
            provision(request, password, out)
    except (BadInput, DomainError, SettingsError) as exc:
        print(f"provision_tenant: error: {exc}", file=err)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Login, profile, user administration and tenant onboarding."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from chalicelib.auth import Principal, TokenService, hash_password, verify_password
from chalicelib.domain import audit as actions
from chalicelib.domain.audit import AuditEntry
from chalicelib.domain.clock import utc_now
from chalicelib.domain.tenancy import Branch, Tenant, User, check_mesas, check_role, check_slug, check_timezone
from chalicelib.errors import Forbidden, InvalidInput, NotFound, Unauthorized
from chalicelib.observability import logger
from chalicelib.services.audit import AuditTrail
from chalicelib.services.ports import TenantStore, UserStore
from chalicelib.services.sessions import SessionGuard
from chalicelib.services.throttle import LoginThrottle

BAD_CREDENTIALS = "Credenciales inválidas"


@functools.cache
def _dummy_hash() -> str:
    """Verifying against a fixed hash when the user is unknown keeps login time independent of
    whether the username exists. Made on first use: hashing costs ~40 ms of a cold start."""
    return hash_password("comanda-timing-equaliser")


# A change to any of these ends the user's sessions.
SESSION_FIELDS = ("rol", "activo", "branch_id", "password_hash")


class AccountService:
    def __init__(
        self,
        tenants: TenantStore,
        users: UserStore,
        tokens: TokenService,
        default_tenant: str | None,
        sessions: SessionGuard | None = None,
        on_revoked: Callable[[str, int, str | None], object] | None = None,
        throttle: LoginThrottle | None = None,
        audit: AuditTrail | None = None,
    ) -> None:
        self.throttle = throttle
        self.audit = audit
        self.tenants = tenants
        self.users = users
        self.tokens = tokens
        self.default_tenant = default_tenant
        self.sessions = sessions or SessionGuard(users)
        self.on_revoked = on_revoked

    # --- auth -------------------------------------------------------------------------

    def login(self, username: str, password: str, tenant_id: str | None) -> tuple[str, User]:
        tenant_id = tenant_id or self.default_tenant
        if not tenant_id:
            raise InvalidInput(["tenant is required (body field tenant or header X-Tenant-Id)"])
        known = tenant_id

        def check() -> tuple[Tenant, User]:
            tenant = self.tenants.get_tenant(known)
            user = self.users.get_by_username(known, username) if tenant else None
            if user is None or not user.may_sign_in:
                verify_password(password, _dummy_hash())
                raise Unauthorized(BAD_CREDENTIALS)
            if not verify_password(password, user.password_hash):
                raise Unauthorized(BAD_CREDENTIALS)
            assert tenant is not None
            return tenant, user

        tenant, user = self.throttle.guard(tenant_id, username, check) if self.throttle else check()
        principal = Principal(
            user_id=str(user.user_id),
            tenant=tenant_id,
            branch=user.branch_id or tenant.default_branch,
            role=user.rol,
            name=user.nombre,
            version=user.token_version,
        )
        return self.tokens.issue(principal), user

    def logout(self, principal: Principal) -> None:
        """This token stops working; the user's other tokens (other devices) do not."""
        user = self.profile(principal)
        if principal.token_id:
            after = user.with_token_revoked(principal.token_id, principal.expires_at, int(time.time()))
        else:
            after = user.revoking_sessions()  # a token from before token ids: only a new version stops it
        self.users.update(user, after)
        self._revoked(user, token_id=principal.token_id or None)

    def change_password(self, principal: Principal, current: str, new: str) -> tuple[str, User]:
        """Every earlier token stops working, the caller's included; a fresh one is returned."""
        user = self.profile(principal)
        if not verify_password(current, user.password_hash):
            raise InvalidInput(["contrasena_actual no es correcta"])
        after = user.with_changes(utc_now(), password_hash=hash_password(new)).revoking_sessions()
        self.users.update(user, after, self._entry(after, actions.PASSWORD_CHANGED, {"por": "el propio usuario"}))
        self._revoked(after)
        token = self.tokens.issue(replace(principal, version=after.token_version, branch=user.branch_id or principal.branch))
        return token, after

    def _entry(self, user: User, action: str, detail: dict[str, object]) -> AuditEntry | None:
        """The audit entry the change is written with (None without an audit trail)."""
        if self.audit is None:
            return None
        return self.audit.entry(user.tenant_id, action, f"usuario:{user.user_id}", {"nombre_usuario": user.nombre_usuario, **detail})

    def _revoked(self, user: User, token_id: str | None = None) -> None:
        """Sessions ended: forget the cached row and close the sockets (all the user's, or the token's)."""
        self.sessions.forget(user.tenant_id, user.user_id)
        if self.on_revoked is not None:
            try:
                self.on_revoked(user.tenant_id, user.user_id, token_id)
            except Exception:
                logger.exception("sockets of a revoked user not closed", extra={"tenant": user.tenant_id, "user": user.user_id})

    def profile(self, principal: Principal) -> User:
        user = self.users.get(principal.tenant, int(principal.user_id)) if principal.user_id.isdigit() else None
        if user is None or user.deleted or not user.activo:
            raise Unauthorized("Unauthorized")
        return user

    def principal_in_branch(self, principal: Principal, branch_id: str) -> Principal:
        """Owners (admin) may act on any branch of their tenant through X-Branch-Id."""
        if principal.role != "admin":
            raise Forbidden("Solo un administrador puede cambiar de sucursal")
        if self.tenants.get_branch(principal.tenant, branch_id) is None:
            raise NotFound("Sucursal no encontrada")
        return replace(principal, branch=branch_id)

    # --- users ------------------------------------------------------------------------

    def _check_branch(self, tenant_id: str, branch_id: str | None) -> None:
        if branch_id is not None and self.tenants.get_branch(tenant_id, branch_id) is None:
            raise InvalidInput([f"sucursal_id {branch_id} does not exist"])

    def create_user(self, tenant_id: str, data: dict[str, Any]) -> User:
        check_role(data["rol"])
        self._check_branch(tenant_id, data.get("sucursal_id"))
        now = utc_now()
        user = User(
            tenant_id=tenant_id,
            user_id=self.tenants.next_id(tenant_id, "usuario"),
            nombre=data["nombre"],
            nombre_usuario=data["nombre_usuario"],
            rol=data["rol"],
            branch_id=data.get("sucursal_id"),
            password_hash=hash_password(data["contrasena"]),
            activo=data.get("activo", True) if data.get("activo") is not None else True,
            created_at=now,
            updated_at=now,
        )
        created: dict[str, object] = {"rol": user.rol, "sucursal_id": user.branch_id, "activo": user.activo}
        self.users.add(user, self._entry(user, actions.USER_CREATED, created))
        return user

    def get_user(self, tenant_id: str, user_id: int) -> User:
        user = self.users.get(tenant_id, user_id)
        if user is None or user.deleted:
            raise NotFound(f"Usuario con id {user_id} no encontrado")
        return user

    def list_users(self, tenant_id: str) -> list[User]:
        return [u for u in self.users.list(tenant_id) if not u.deleted]

    def update_user(self, tenant_id: str, user_id: int, data: dict[str, Any]) -> User:
        before = self.get_user(tenant_id, user_id)
        changes: dict[str, Any] = {}
        for field, attr in (("nombre", "nombre"), ("nombre_usuario", "nombre_usuario"), ("rol", "rol"), ("activo", "activo")):
            if field in data and data[field] is not None:
                changes[attr] = data[field]
        if "rol" in changes:
            check_role(changes["rol"])
        if "sucursal_id" in data:
            self._check_branch(tenant_id, data["sucursal_id"])
            changes["branch_id"] = data["sucursal_id"]
        if data.get("contrasena"):
            changes["password_hash"] = hash_password(data["contrasena"])
        after = before.with_changes(utc_now(), **changes)
        revoking = any(getattr(after, f) != getattr(before, f) for f in SESSION_FIELDS)
        if revoking:
            after = after.revoking_sessions()
        shown = {"nombre": "nombre", "nombre_usuario": "nombre_usuario", "rol": "rol", "activo": "activo", "branch_id": "sucursal_id"}
        detail: dict[str, object] = {
            f"{name}": f"{getattr(before, attr)} -> {getattr(after, attr)}"
            for attr, name in shown.items() if getattr(before, attr) != getattr(after, attr)
        }
        if after.password_hash != before.password_hash:
            detail["contrasena"] = "restablecida"
        self.users.update(before, after, self._entry(after, actions.USER_CHANGED, detail) if detail else None)
        if revoking:
            self._revoked(after)
        return after

    def delete_user(self, principal: Principal, user_id: int) -> User:
        if str(user_id) == principal.user_id:
            raise InvalidInput("No puede eliminar su propio usuario")
        before = self.get_user(principal.tenant, user_id)
        after = before.soft_deleted(utc_now()).revoking_sessions()
        self.users.update(before, after, self._entry(after, actions.USER_DELETED, {"rol": after.rol}))
        self._revoked(after)
        return after

    # --- branches ----------------------------------------------------------------------

    def list_branches(self, tenant_id: str) -> list[Branch]:
        return sorted(self.tenants.list_branches(tenant_id), key=lambda b: b.branch_id)

    def get_branch(self, tenant_id: str, branch_id: str) -> Branch:
        branch = self.tenants.get_branch(tenant_id, branch_id)
        if branch is None:
            raise NotFound("Sucursal no encontrada")
        return branch

    def update_branch(self, tenant_id: str, branch_id: str, changes: dict[str, Any]) -> Branch:
        """Change a branch's settings; its kitchens hear of it on `venue:<branch>`."""
        branch = self.tenants.get_branch(tenant_id, branch_id)
        if branch is None:
            raise NotFound("Sucursal no encontrada")
        if "timezone" in changes:
            check_timezone(changes["timezone"])
        if "mesas" in changes:
            changes = {**changes, "mesas": check_mesas(changes["mesas"])}
        renamed = {"minutos_tarde": "late_minutes"}
        updated = replace(branch, **{renamed.get(k, k): changes[k] for k in ("nombre", "timezone", "tarifa_domicilio", "minutos_tarde",
                                                                             "mesas") if k in changes})
        if updated != branch:
            self.tenants.replace_branch(updated)
        return updated

    # --- onboarding -------------------------------------------------------------------

    def provision_tenant(
        self,
        tenant_id: str,
        name: str,
        branches: list[tuple[str, str]],
        admin_username: str,
        admin_password: str,
        timezone: str = "America/La_Paz",
    ) -> tuple[Tenant, User]:
        """Create a restaurant, its branches and its owner. Safe to re-run: an existing tenant
        is left as it is and its admin is returned."""
        check_slug(tenant_id, "tenant")
        if not branches:
            raise InvalidInput("at least one branch is required")
        for branch_id, _ in branches:
            check_slug(branch_id, "branch")
        existing = self.tenants.get_tenant(tenant_id)
        if existing is None:
            tenant = Tenant(tenant_id, name, branches[0][0], utc_now())
            self.tenants.create_tenant(tenant, [Branch(tenant_id, b, n, timezone) for b, n in branches])
        else:
            tenant = existing
            known = {b.branch_id for b in self.tenants.list_branches(tenant_id)}
            for branch_id, branch_name in branches:
                if branch_id not in known:
                    self.tenants.add_branch(Branch(tenant_id, branch_id, branch_name, timezone))
        admin = self.users.get_by_username(tenant_id, admin_username)
        if admin is None:
            admin = self.create_user(
                tenant_id,
                {"nombre": "Administrador", "nombre_usuario": admin_username, "contrasena": admin_password, "rol": "admin"},
            )
        return tenant, admin

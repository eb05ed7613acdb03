"""Revocable sessions: is this staff token still good?

A token carries its user's token version (`ver`) and an id (`jti`). It stops working when the
user's row has a newer version (deactivation, deletion, role, branch or password change) or
lists the token as logged out. The row is read through a small per-container cache, so the
common request costs no DynamoDB call: a change made in another container is seen within
`max_age_seconds` (at most 30); one made in this container, at once."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from chalicelib.auth import Principal
from chalicelib.domain.tenancy import User
from chalicelib.errors import Unauthorized
from chalicelib.services.ports import UserStore

MAX_AGE_LIMIT_SECONDS = 30
REVOKED = "Sesión revocada"


@dataclass(frozen=True)
class _Seen:
    at: float
    user: User | None


class SessionGuard:
    def __init__(self, users: UserStore, max_age_seconds: float = MAX_AGE_LIMIT_SECONDS,
                 clock: Callable[[], float] = time.monotonic, max_entries: int = 10_000) -> None:
        self.users = users
        self.max_age = min(max_age_seconds, MAX_AGE_LIMIT_SECONDS)
        self.clock = clock
        self.max_entries = max_entries
        self._seen: dict[tuple[str, int], _Seen] = {}
        self._lock = threading.Lock()

    def check(self, principal: Principal) -> None:
        """Unauthorized unless `principal`'s token is still current. Customer session tokens
        are bound to a sale, not a user, and are not checked here."""
        if principal.kind != "staff":
            return
        if not principal.user_id.isdigit():
            raise Unauthorized("Token inválido")
        user = self._user(principal.tenant, int(principal.user_id))
        if user is None or not user.may_sign_in:
            raise Unauthorized(REVOKED)
        if principal.version != user.token_version or (principal.token_id and user.has_revoked(principal.token_id)):
            raise Unauthorized(REVOKED)

    def forget(self, tenant_id: str, user_id: int) -> None:
        """The user's row changed in this container: read it afresh next time."""
        with self._lock:
            self._seen.pop((tenant_id, user_id), None)

    def _user(self, tenant_id: str, user_id: int) -> User | None:
        key, now = (tenant_id, user_id), self.clock()
        seen = self._seen.get(key)
        if seen is not None and now - seen.at < self.max_age:
            return seen.user
        user = self.users.get(tenant_id, user_id)
        with self._lock:
            if len(self._seen) >= self.max_entries:
                self._seen.clear()
            self._seen[key] = _Seen(now, user)
        return user

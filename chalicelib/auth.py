"""Tokens (issue/verify), password hashing and the role -> permission map.

The role map below is the only place that says who may do what.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
import time
from dataclasses import dataclass
from typing import Any, Protocol

from chalicelib import hs256
from chalicelib.domain.tenancy import CUSTOMER_ROLE, ROLES
from chalicelib.errors import Unauthorized
from chalicelib.settings import Settings

_STAFF_READ = {"profile:read", "catalog:read", "sucursales:read"}

PERMISSIONS: dict[str, frozenset[str]] = {
    "admin": frozenset(
        _STAFF_READ
        | {
            "usuarios:manage",
            "auditoria:read",
            "sucursales:manage",
            "catalog:write",
            "caja:operate",
            "transacciones:read",
            "transacciones:write",
            "transacciones:void",
            "transacciones:reopen",
            "pagos:create",
            "cocina:read",
            "cocina:complete",
            "reports:read",
            "reports:sales",
            "orders:read",
            "orders:update_item_status",
            "orders:prepare",
            "orders:serve",
            "orders:recall",
            "transacciones:fire",
            "transacciones:rush",
            "catalog:sold_out",
            "reports:kitchen",
            "session:mint",
            "pedidos:manage",
        }
    ),
    "cajero": frozenset(
        _STAFF_READ
        | {
            "caja:operate",
            "transacciones:read",
            "transacciones:write",
            "transacciones:void",
            "transacciones:reopen",
            "pagos:create",
            "cocina:read",
            "cocina:complete",
            "reports:read",
            "orders:read",
            "transacciones:fire",
            "transacciones:rush",
            "session:mint",
            "pedidos:manage",
        }
    ),
    "mesero": frozenset(
        _STAFF_READ
        | {
            "transacciones:read",
            "transacciones:write",
            "cocina:read",
            "orders:read",
            "orders:update_item_status",
            "orders:serve",
            "transacciones:fire",
            "transacciones:rush",
            "session:mint",
        }
    ),
    "cocina": frozenset(
        _STAFF_READ
        | {
            "transacciones:read",
            "cocina:read",
            "cocina:complete",
            "orders:read",
            "orders:update_item_status",
            "orders:prepare",
            "orders:recall",
            "transacciones:rush",
            "catalog:sold_out",
            "reports:kitchen",
        }
    ),
    "repartidor": frozenset({"profile:read", "pedidos:deliver"}),
}


# What a registered customer account (kind customer, no sale session) may do; staff roles never hold these.
CUSTOMER_PERMISSIONS = frozenset({"cliente:self", "pedidos:place"})
CUSTOMER_PREFIX = "cliente:"


def role_allows(role: str, permission: str) -> bool:
    return permission in PERMISSIONS.get(role, frozenset())


# --- passwords -------------------------------------------------------------------------

_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**14, 8, 1


def hash_password(password: str) -> str:
    salt = os.urandom(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=_SCRYPT_N, r=_SCRYPT_R, p=_SCRYPT_P, dklen=32)
    return f"scrypt${_SCRYPT_N}${_SCRYPT_R}${_SCRYPT_P}${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt_b64, digest_b64 = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(digest_b64)
        actual = hashlib.scrypt(
            password.encode(), salt=base64.b64decode(salt_b64), n=int(n), r=int(r), p=int(p), dklen=len(expected)
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


# --- tokens ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Principal:
    """Who is calling: taken from a verified token."""

    user_id: str
    tenant: str
    branch: str | None
    role: str
    name: str = ""
    kind: str = "staff"  # "staff" or "customer" (a session-bound customer token)
    session: str | None = None
    version: int = 0  # the user's token version when the token was issued (claim `ver`)
    token_id: str = ""  # claim `jti`
    expires_at: int = 0

    @property
    def customer_id(self) -> int | None:
        """A registered customer account's id; None for staff and sale-session tokens."""
        if self.kind == "customer" and self.session is None and self.user_id.startswith(CUSTOMER_PREFIX):
            return int(self.user_id[len(CUSTOMER_PREFIX):])
        return None

    def can(self, permission: str) -> bool:
        if self.customer_id is not None:
            return permission in CUSTOMER_PERMISSIONS
        return self.kind == "staff" and role_allows(self.role, permission)


REQUIRED_CLAIMS = ("exp", "iat", "iss", "aud", "sub")


class KeyResolver(Protocol):
    """Where verification keys come from: the HS256 secret now, a JWKS client for RS256."""

    def key_for(self, token: str) -> Any: ...


class SecretKey:
    def __init__(self, secret: str) -> None:
        self._secret = secret

    def key_for(self, token: str) -> Any:
        return self._secret


class JwksKey:
    def __init__(self, url: str) -> None:
        import jwt  # PyJWT (and with it `cryptography`) loads only when RS256 is configured

        self._client = jwt.PyJWKClient(url)

    def key_for(self, token: str) -> Any:
        return self._client.get_signing_key_from_jwt(token).key


class TokenService:
    def __init__(self, settings: Settings, resolver: KeyResolver | None = None) -> None:
        self._settings = settings
        if resolver is None:
            if settings.jwt_algorithm == "RS256" and settings.jwks_url:
                resolver = JwksKey(settings.jwks_url)
            else:
                resolver = SecretKey(settings.jwt_secret)
        self._resolver = resolver

    def issue(self, principal: Principal, ttl_seconds: int | None = None) -> str:
        if self._settings.jwt_algorithm != "HS256":
            raise RuntimeError("Comanda only issues tokens with HS256; RS256 tokens come from the identity provider")
        now = int(time.time())
        claims: dict[str, Any] = {
            "sub": principal.user_id,
            "tenant": principal.tenant,
            "branch": principal.branch,
            "role": principal.role,
            "name": principal.name,
            "kind": principal.kind,
            "iss": self._settings.jwt_issuer,
            "aud": self._settings.jwt_audience,
            "iat": now,
            "exp": now + (ttl_seconds or self._settings.jwt_ttl_seconds),
        }
        if principal.session:
            claims["session"] = principal.session
        if principal.kind == "staff":
            claims["ver"] = principal.version
            claims["jti"] = secrets.token_urlsafe(12)
        return hs256.encode(claims, self._settings.jwt_secret)

    def _claims(self, token: str) -> dict[str, Any]:
        """HS256 (Comanda's own tokens) with the standard library; any other pinned algorithm
        (RS256 from an identity provider) with PyJWT, imported here and only then."""
        if self._settings.jwt_algorithm == "HS256":
            try:
                return hs256.decode(token, self._resolver.key_for(token), audience=self._settings.jwt_audience,
                                    issuer=self._settings.jwt_issuer, require=REQUIRED_CLAIMS)
            except hs256.ExpiredToken as exc:
                raise Unauthorized("Token expirado") from exc
            except hs256.InvalidToken as exc:
                raise Unauthorized("Token inválido") from exc
        import jwt

        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                self._resolver.key_for(token),
                algorithms=[self._settings.jwt_algorithm],
                audience=self._settings.jwt_audience,
                issuer=self._settings.jwt_issuer,
                options={"require": list(REQUIRED_CLAIMS)},
            )
        except jwt.ExpiredSignatureError as exc:
            raise Unauthorized("Token expirado") from exc
        except (jwt.InvalidTokenError, jwt.PyJWKClientError) as exc:
            raise Unauthorized("Token inválido") from exc
        return claims

    def verify(self, token: str) -> Principal:
        claims = self._claims(token)
        tenant, role = claims.get("tenant"), claims.get("role")
        customer = claims.get("kind") == "customer"
        if not isinstance(tenant, str) or not tenant or (role not in ROLES and not (customer and role == CUSTOMER_ROLE)):
            raise Unauthorized("Token inválido")
        account = customer and str(claims["sub"]).startswith(CUSTOMER_PREFIX) and str(claims["sub"])[len(CUSTOMER_PREFIX):].isdigit()
        if customer and not isinstance(claims.get("session"), str) and not account:
            raise Unauthorized("Token inválido")
        branch = claims.get("branch")
        version = claims.get("ver", 0)
        if not isinstance(version, int) or isinstance(version, bool):
            raise Unauthorized("Token inválido")
        return Principal(
            user_id=str(claims["sub"]),
            tenant=tenant,
            branch=branch if isinstance(branch, str) and branch else None,
            role=role,
            name=str(claims.get("name") or ""),
            kind="customer" if customer else "staff",
            session=claims.get("session") if isinstance(claims.get("session"), str) else None,
            version=version,
            token_id=str(claims.get("jti") or ""),
            expires_at=int(claims["exp"]),
        )


def bearer_token(header_value: str | None) -> str:
    if not header_value:
        raise Unauthorized("Unauthorized")
    scheme, _, token = header_value.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("Unauthorized")
    return token.strip()

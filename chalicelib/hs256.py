"""JWS compact tokens signed with HS256, issued and verified with the standard library alone.

PyJWT imports `cryptography` (~25 ms of a cold start) whenever it is installed, even to sign
with HMAC; Comanda's own tokens are HS256, so they do not need it. PyJWT stays for RS256
(JWKS), imported only when that is configured (chalicelib/auth.py). The checks are PyJWT's for
the options auth.py used: the algorithm pinned to HS256 (header `alg` must be exactly that),
the signature, required claims present and not null, `exp` an integer in the future, `iat`
and `nbf` integers not in the future, `iss` equal, `aud` a string or list of strings holding
the audience, `sub` and `jti` strings when present. No leeway."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
import time
from collections.abc import Iterable
from typing import Any

COMPACT = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")  # three base64url segments, nothing else


class InvalidToken(Exception):
    pass


class ExpiredToken(InvalidToken):
    pass


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64decode(segment: str) -> bytes:
    try:
        raw = segment.encode("ascii")
        return base64.urlsafe_b64decode(raw + b"=" * (-len(raw) % 4))
    except (UnicodeEncodeError, binascii.Error, ValueError) as exc:
        raise InvalidToken("bad base64 segment") from exc


def _key(secret: str | bytes) -> bytes:
    return secret.encode("utf-8") if isinstance(secret, str) else secret


def encode(claims: dict[str, Any], secret: str | bytes) -> str:
    header = _b64encode(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":"), sort_keys=True).encode())
    payload = _b64encode(json.dumps(claims, separators=(",", ":")).encode())
    signing_input = f"{header}.{payload}".encode("ascii")
    return f"{header}.{payload}.{_b64encode(hmac.new(_key(secret), signing_input, hashlib.sha256).digest())}"


def _json_object(segment: str) -> dict[str, Any]:
    try:
        value = json.loads(_b64decode(segment))
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:  # RecursionError: nested too deep to parse
        raise InvalidToken("segment is not JSON") from exc
    if not isinstance(value, dict):
        raise InvalidToken("segment is not a JSON object")
    return value


def _integer(payload: dict[str, Any], claim: str) -> int:
    value = payload[claim]
    if isinstance(value, bool):
        raise InvalidToken(f"{claim} must be an integer")
    try:
        return int(value)
    except (ValueError, TypeError, OverflowError) as exc:
        raise InvalidToken(f"{claim} must be an integer") from exc


def decode(token: str, secret: str | bytes, *, audience: str, issuer: str, require: Iterable[str] = (),
           now: float | None = None) -> dict[str, Any]:
    """The verified claims; InvalidToken (ExpiredToken for a past `exp`) otherwise."""
    if not isinstance(token, str) or not COMPACT.fullmatch(token):
        raise InvalidToken("not a compact JWS")
    header_b64, payload_b64, signature_b64 = token.split(".")
    header = _json_object(header_b64)
    if header.get("alg") != "HS256":
        raise InvalidToken("algorithm not allowed")
    expected = hmac.new(_key(secret), f"{header_b64}.{payload_b64}".encode("ascii"), hashlib.sha256).digest()
    if not hmac.compare_digest(expected, _b64decode(signature_b64)):
        raise InvalidToken("signature verification failed")
    payload = _json_object(payload_b64)
    for claim in require:
        if payload.get(claim) is None:
            raise InvalidToken(f"missing required claim {claim}")
    now = time.time() if now is None else now
    if "iat" in payload and _integer(payload, "iat") > now:
        raise InvalidToken("issued in the future")
    if "nbf" in payload and _integer(payload, "nbf") > now:
        raise InvalidToken("not yet valid")
    if "exp" in payload and _integer(payload, "exp") <= now:
        raise ExpiredToken("expired")
    if payload.get("iss") != issuer:
        raise InvalidToken("issuer mismatch")
    audiences = payload.get("aud")
    if isinstance(audiences, str):
        audiences = [audiences]
    if not isinstance(audiences, list) or any(not isinstance(a, str) for a in audiences) or audience not in audiences:
        raise InvalidToken("audience mismatch")
    for claim in ("sub", "jti"):
        if claim in payload and not isinstance(payload[claim], str):
            raise InvalidToken(f"{claim} must be a string")
    return payload

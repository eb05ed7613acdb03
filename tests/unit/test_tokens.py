"""Comanda's HS256 tokens without PyJWT (chalicelib/hs256.py), held to PyJWT's verdicts, and the
cold-start promise behind it: importing the app with HS256 loads neither PyJWT nor cryptography."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from dataclasses import replace
from typing import Any

import jwt
import pytest

from chalicelib import hs256
from chalicelib.auth import Principal, TokenService
from chalicelib.errors import Unauthorized
from chalicelib.settings import load_settings

SECRET = "s" * 64
AUD, ISS = "comanda", "comanda-auth"


def claims(**changes: Any) -> dict[str, Any]:
    now = int(time.time())
    base: dict[str, Any] = {"sub": "1", "tenant": "alpha", "role": "admin", "iss": ISS, "aud": AUD, "iat": now, "exp": now + 60}
    base.update(changes)
    return {k: v for k, v in base.items() if v is not None}


def ours(token: str) -> dict[str, Any]:
    return hs256.decode(token, SECRET, audience=AUD, issuer=ISS, require=("exp", "iat", "iss", "aud", "sub"))


def pyjwts(token: str) -> dict[str, Any]:
    decoded: dict[str, Any] = jwt.decode(token, SECRET, algorithms=["HS256"], audience=AUD, issuer=ISS,
                                         options={"require": ["exp", "iat", "iss", "aud", "sub"]})
    return decoded


def test_tokens_signed_by_either_implementation_verify_in_both() -> None:
    body = claims(jti="abc", aud=["other", AUD])
    assert ours(jwt.encode(body, SECRET, algorithm="HS256")) == body
    assert pyjwts(hs256.encode(body, SECRET)) == body


def forged(header: dict[str, Any], body: dict[str, Any], secret: str = SECRET) -> str:
    import base64
    import hashlib
    import hmac

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    head, payload = b64(json.dumps(header).encode()), b64(json.dumps(body).encode())
    return f"{head}.{payload}.{b64(hmac.new(secret.encode(), f'{head}.{payload}'.encode(), hashlib.sha256).digest())}"


BAD = {
    "alg none": lambda: jwt.encode(claims(), key=None, algorithm="none"),  # type: ignore[arg-type]
    "alg HS512": lambda: jwt.encode(claims(), SECRET, algorithm="HS512"),
    "alg hs256 in lower case": lambda: forged({"alg": "hs256"}, claims()),
    "wrong secret": lambda: jwt.encode(claims(), "x" * 40, algorithm="HS256"),
    "tampered payload": lambda: (lambda h, p, s: f"{h}.{p[:-2]}xx.{s}")(*hs256.encode(claims(), SECRET).split(".")),
    "no signature": lambda: hs256.encode(claims(), SECRET).rsplit(".", 1)[0] + ".",
    "malformed": lambda: "not-a-jwt",
    "four segments": lambda: hs256.encode(claims(), SECRET) + ".x",
    "payload not an object": lambda: forged({"alg": "HS256"}, [1, 2]),  # type: ignore[arg-type]
    "wrong audience": lambda: hs256.encode(claims(aud="someone-else"), SECRET),
    "audience not strings": lambda: hs256.encode(claims(aud=[1]), SECRET),
    "wrong issuer": lambda: hs256.encode(claims(iss="evil"), SECRET),
    "no exp": lambda: hs256.encode(claims(exp=None), SECRET),
    "no sub": lambda: hs256.encode(claims(sub=None), SECRET),
    "no iat": lambda: hs256.encode(claims(iat=None), SECRET),
    "exp not a number": lambda: hs256.encode(claims(exp="soon"), SECRET),
    "issued in the future": lambda: hs256.encode(claims(iat=int(time.time()) + 3600), SECRET),
    "not yet valid": lambda: hs256.encode(claims(nbf=int(time.time()) + 3600), SECRET),
    "sub not a string": lambda: hs256.encode(claims(sub=7), SECRET),
    "jti not a string": lambda: hs256.encode(claims(jti=7), SECRET),
}


def test_segments_outside_base64url_are_refused_even_where_a_lenient_decoder_would_skip_them() -> None:
    good = hs256.encode(claims(), SECRET)
    head, payload, signature = good.split(".")
    assert ours(good)["sub"] == "1"
    for token in (f"{head}.{payload}.{signature}!!", f"{head}.{payload}é.{signature}", f"{head}.{payload}.{signature}=",
                  f" {good}", f"{good}\n"):
        with pytest.raises(hs256.InvalidToken):
            ours(token)


@pytest.mark.parametrize("case", sorted(BAD))
def test_what_pyjwt_refuses_is_refused(case: str) -> None:
    token = BAD[case]()
    with pytest.raises(jwt.InvalidTokenError):
        pyjwts(token)
    with pytest.raises(hs256.InvalidToken):
        ours(token)


def test_an_expired_token_is_expired_for_both() -> None:
    token = hs256.encode(claims(exp=int(time.time()) - 1), SECRET)
    with pytest.raises(jwt.ExpiredSignatureError):
        pyjwts(token)
    with pytest.raises(hs256.ExpiredToken):
        ours(token)


def test_the_token_service_issues_and_verifies_hs256_and_says_expired() -> None:
    tokens = TokenService(load_settings({"JWT_SECRET": SECRET}))
    principal = Principal("1", "alpha", "centro", "cajero")
    back = tokens.verify(tokens.issue(principal))
    assert (back.user_id, back.tenant, back.branch, back.role) == ("1", "alpha", "centro", "cajero")
    with pytest.raises(Unauthorized, match="expirado"):
        tokens.verify(tokens.issue(principal, ttl_seconds=-5))


def test_rs256_tokens_are_verified_with_pyjwt_and_an_hs256_token_is_refused_there() -> None:
    from cryptography.hazmat.primitives.asymmetric import rsa

    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    class Key:
        def key_for(self, token: str) -> Any:
            return private.public_key()

    settings = load_settings({"JWT_SECRET": SECRET})
    settings = replace(settings, jwt_algorithm="RS256", jwks_url="http://127.0.0.1:9/jwks")
    tokens = TokenService(settings, resolver=Key())
    body = claims(iss=settings.jwt_issuer, aud=settings.jwt_audience)
    assert tokens.verify(jwt.encode(body, private, algorithm="RS256")).tenant == "alpha"
    with pytest.raises(Unauthorized):
        tokens.verify(hs256.encode(body, SECRET))


def loaded_after(code: str, env: dict[str, str]) -> list[str]:
    from bench.cold_start import REPO, lambda_env

    probe = f"import sys\n{code}\nprint(sorted({{m.split('.')[0] for m in sys.modules}} & {{'cryptography', 'jwt'}}))"
    done = subprocess.run([sys.executable, "-c", probe], cwd=REPO, env={**lambda_env(), **env}, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    loaded: list[str] = json.loads(done.stdout.strip().splitlines()[-1].replace("'", '"'))
    return loaded


def test_importing_the_app_with_hs256_loads_neither_pyjwt_nor_cryptography() -> None:
    assert loaded_after("import app", {}) == []
    assert loaded_after("import app\nfrom chalicelib.container import get_services\nget_services().tokens", {}) == []


def test_with_rs256_configured_the_token_service_loads_pyjwt_and_cryptography() -> None:
    rs256 = {"JWT_ALGORITHM": "RS256", "JWKS_URL": "http://127.0.0.1:9/jwks"}
    assert loaded_after("import app", rs256) == []
    assert loaded_after("import app\nfrom chalicelib.container import get_services\nget_services().tokens", rs256) == [
        "cryptography", "jwt"]


def test_importing_the_app_loads_no_use_case_or_storage_module_until_a_request_needs_one() -> None:
    from bench.cold_start import REPO, lambda_env

    layers = ("chalicelib.services.", "chalicelib.store.")
    probe = f"import sys, app\nprint(' '.join(sorted(m for m in sys.modules if m.startswith({layers!r}))))"
    done = subprocess.run([sys.executable, "-c", probe], cwd=REPO, env=lambda_env(), capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["chalicelib.services.audit"]  # the request-scoped actor the HTTP edge sets

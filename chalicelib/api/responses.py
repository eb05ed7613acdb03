"""What each route answers on success, named by the route as a type: `response=Transaccion`,
`response=list[Transaccion]`, `response=Caja | None`.

Most shapes are the presenters' own (chalicelib/presenters/*: the TypedDict a presenter
function returns is the shape of its output, declared once). This module holds the few shapes
that no presenter builds (confirmations, tokens), and `shape_of`, which checks what a route
declares. The OpenAPI document derives every response schema from these types with pydantic's
`TypeAdapter` (api/openapi.py), and the integration tests check each answer against them the same
way. Like the presenters, this module imports only `typing`: it is on the request path."""

from __future__ import annotations

import types
from typing import Any, Literal, get_args, get_origin

from typing_extensions import is_typeddict

from chalicelib.presenters.shapes import Shape


class Mensaje(Shape):
    message: str


class Eliminado(Shape):
    message: str
    id: int | str


class LineaQuitada(Shape):
    message: str
    plato_id: str
    ingrediente_id: str


class SessionToken(Shape):
    token: str
    session_id: str
    channel: str
    expires_in: int


class Tokens(Shape):
    access: str
    refresh: str


class Ok(Shape):
    ok: Literal[True]


class EstadoCambiado(Ok):
    estado: str


class EstadoDeRepartidor(Ok):
    estado: str
    pedido_id: int | None


def _built_on_shape(cls: Any) -> bool:
    return any(base is Shape or _built_on_shape(base) for base in getattr(cls, "__orig_bases__", ()))


def _is_shape(declared: Any) -> bool:
    return isinstance(declared, type) and is_typeddict(declared) and _built_on_shape(declared)


def shape_of(declared: Any) -> Any:
    """`declared` if it is a route's response shape: a shape (a TypedDict built on `Shape`),
    `list[shape]` or `shape | None`; else TypeError."""
    args = get_args(declared)
    if _is_shape(declared):
        return declared
    if get_origin(declared) is list and len(args) == 1 and _is_shape(args[0]):
        return declared
    if isinstance(declared, types.UnionType) and len(args) == 2 and args[1] is type(None) and _is_shape(args[0]):
        return declared
    raise TypeError(f"not a response shape: {declared!r}")

"""What the presenters' typed shapes are made of: `Shape`, the base of every JSON shape they
return (a TypedDict that refuses keys it does not declare), and the formats of its string and
integer fields (money, quantities, times, ids).

The OpenAPI document's response schemas are derived from these shapes with pydantic's
`TypeAdapter` (chalicelib/api/openapi.py), and the integration tests check every answer against
them the same way. This module imports nothing but `typing`: pydantic reads a `Format` through
its `__get_pydantic_core_schema__` / `__get_pydantic_json_schema__` hooks, so the request path
never loads it."""

from __future__ import annotations

from typing import Annotated, Any

from typing_extensions import TypedDict  # pydantic reads typing.TypedDict only from Python 3.12


class Format:
    """A field's format: a pattern or a lower bound that a value must meet, and what its JSON
    schema says besides (a description; `default=None` on a key the presenter may leave out)."""

    def __init__(self, *, pattern: str | None = None, minimum: int | None = None, **documented: Any) -> None:
        self.pattern = pattern
        self.minimum = minimum
        self.documented = documented

    def __get_pydantic_core_schema__(self, source: Any, handler: Any) -> Any:
        schema = handler(source)
        if self.pattern is not None:
            schema["pattern"] = self.pattern
        if self.minimum is not None:
            schema["ge"] = self.minimum
        return schema

    def __get_pydantic_json_schema__(self, core_schema: Any, handler: Any) -> Any:
        return {**handler(core_schema), **self.documented}


Money = Annotated[str, Format(pattern=r"^-?\d+\.\d{2}$", description="money: a decimal string with 2 places")]
Quantity = Annotated[str, Format(pattern=r"^-?\d+(\.\d+)?$", description="a quantity: the shortest exact decimal string")]
LocalTime = Annotated[
    str, Format(pattern=r"^\d{2}:\d{2} - \d{2}/\d{2}/\d{4}$", description="HH:mm - dd/MM/yyyy in the branch's zone")
]
IsoTime = Annotated[str, Format(description="ISO 8601, UTC")]
IsoDate = Annotated[str, Format(pattern=r"^\d{4}-\d{2}-\d{2}$")]
Id = Annotated[int, Format(minimum=1)]
Count = Annotated[int, Format(minimum=0)]
NULL_WHEN_ABSENT = Format(default=None)  # on a NotRequired key: an absent key reads as null


class Shape(TypedDict):
    pass


# An answer has exactly the keys its shape declares. Set outside the class body, where a type
# checker would read it as a key; pydantic finds it on every shape through `__orig_bases__`.
setattr(Shape, "__pydantic_config__", {"extra": "forbid"})  # noqa: B010

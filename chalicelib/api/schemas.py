"""Request schemas: declared once per surface with the helpers below (`text`, `money`, …), turned
into pydantic v2 models on first use (pydantic is not imported at `import app`), and the one
source of both validation and the OpenAPI document (api/openapi.py).

Validation is pydantic's; its errors are rewritten in the class-validator style of the seeds'
clients (COMPAT A): a 400 whose `message` lists `"property x should not exist"`, `"cantidad must
be a number"`, … each naming its field. Unknown fields are refused; strings are trimmed; numbers
are Decimal (JSON is parsed with parse_float=Decimal), never float, and booleans are not numbers."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal
from functools import cache
from typing import Any

from chalicelib.errors import InvalidInput

NUMBER = re.compile(r"-?\d+(\.\d+)?")
TOO_LARGE = Decimal("1e12")


@dataclass(frozen=True)
class Field:
    kind: str  # "str" | "int" | "decimal" | "bool" | "list" | "object" | "moment" | "texts"
    description: str = ""
    required: bool = True
    nullable: bool = False
    default: Any = None
    minimum: Decimal | int | None = None
    maximum: Decimal | int | None = None
    exclusive_minimum: bool = False
    places: int | None = None
    min_length: int | None = None
    max_length: int | None = None
    pattern: str | None = None
    choices: tuple[str, ...] | None = None
    of: Mapping[str, Field] | None = field(default=None, hash=False)  # the schema of a "list" element or an "object"
    max_items: int = 100


def text(**kw: Any) -> Field:
    return Field("str", **kw)


def integer(**kw: Any) -> Field:
    return Field("int", **kw)


def decimal(**kw: Any) -> Field:
    return Field("decimal", **kw)


def money(**kw: Any) -> Field:
    kw.setdefault("places", 2)
    return Field("decimal", **kw)


def boolean(**kw: Any) -> Field:
    return Field("bool", **kw)


def moment(**kw: Any) -> Field:
    """An ISO 8601 date or date-time (query parameters)."""
    return Field("moment", **kw)


def choice(*options: str, **kw: Any) -> Field:
    return Field("str", choices=options, **kw)


def list_of(schema: Mapping[str, Field], **kw: Any) -> Field:
    return Field("list", of=schema, **kw)


def texts(**kw: Any) -> Field:
    """A list of strings: `min_length`, `max_length` (and `pattern`) apply to each string, `max_items` to the list."""
    return Field("texts", **kw)


def object_of(schema: Mapping[str, Field], **kw: Any) -> Field:
    return Field("object", of=schema, **kw)


Schema = Mapping[str, Field]


# --- the pydantic models ----------------------------------------------------------------------


def _custom(kind: str, message: str) -> Exception:
    from pydantic_core import PydanticCustomError

    return PydanticCustomError(kind, message)


def _before_int(value: Any) -> Any:
    if isinstance(value, (bool, str)):
        raise _custom("int_type", "must be an integer number")
    if isinstance(value, Decimal) and value.is_finite() and value == value.to_integral_value():
        return int(value)
    return value


def _before_decimal(value: Any) -> Any:
    if isinstance(value, bool):
        raise _custom("decimal_type", "must be a number")
    if isinstance(value, str):
        if not NUMBER.fullmatch(value.strip()):
            raise _custom("decimal_type", "must be a number")
        return Decimal(value.strip())
    return value


def _after_decimal(value: Decimal) -> Decimal:
    if abs(value) >= TOO_LARGE:
        raise _custom("too_large", "is too large")
    return value


def _after_places(places: int) -> Any:
    def check(value: Decimal) -> Decimal:
        exponent = value.as_tuple().exponent
        if isinstance(exponent, int) and -exponent > places:
            raise _custom("decimal_max_places", f"must have at most {places} decimal places")
        return value

    return check


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def _pattern(pattern: str) -> Any:
    def check(value: str) -> str:
        if not re.fullmatch(pattern, value):
            raise _custom("string_pattern_mismatch", f"must match {pattern} regular expression")
        return value

    return check


def _iso_moment(value: str) -> str:
    from datetime import datetime

    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise _custom("moment", "must be an ISO 8601 date or date-time") from None
    if not 1970 <= moment.year <= 9998:  # the service shifts it by days and time zones: keep clear of datetime's bounds
        raise _custom("moment", "must be a date between 1970 and 9998")
    return value


def _decimal_json(spec: Field) -> dict[str, Any]:
    number: dict[str, Any] = {"type": "number"}
    if spec.minimum is not None:
        number["exclusiveMinimum" if spec.exclusive_minimum else "minimum"] = float(spec.minimum)
    if spec.maximum is not None:
        number["maximum"] = float(spec.maximum)
    places = r"(\.\d{1," + str(spec.places) + "})?" if spec.places else r"(\.\d+)?"
    return {
        "anyOf": [number, {"type": "string", "pattern": rf"^-?\d+{places}$"}],
        "description": "a decimal, as a JSON number or a string" + (f" with at most {spec.places} places" if spec.places else ""),
    }


def _annotation(spec: Field, name: str) -> Any:
    """The field's pydantic type: constraints first (so they reach the JSON schema), then strictness,
    then our before/after checks for what pydantic has no constraint for."""
    from typing import Annotated

    from pydantic import Field as PydanticField

    described = PydanticField(description=spec.description) if spec.description else PydanticField()
    return Annotated[_bare_annotation(spec, name), described]


def _camel(dotted: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[._]", dotted))


def _bare_annotation(spec: Field, name: str) -> Any:
    from typing import Annotated, Literal

    from pydantic import AfterValidator, BeforeValidator, Strict, WithJsonSchema
    from pydantic import Field as PydanticField

    if spec.kind == "bool":
        return Annotated[bool, Strict()]
    if spec.kind == "moment":
        schema = {"type": "string", "anyOf": [{"format": "date"}, {"format": "date-time"}], "description": spec.description}
        return Annotated[str, Strict(), WithJsonSchema(schema), AfterValidator(_iso_moment)]
    if spec.kind == "object":
        return _model(spec.of or {}, _camel(name), False)
    if spec.kind == "list":
        element = _model(spec.of or {}, f"{_camel(name)}Line", False)
        return Annotated[list[element], PydanticField(max_length=spec.max_items)]  # type: ignore[valid-type]
    if spec.kind == "texts":
        element = _bare_annotation(replace(spec, kind="str"), name)
        return Annotated[list[element], PydanticField(max_length=spec.max_items)]  # type: ignore[valid-type]
    if spec.kind == "str" and spec.choices is not None:
        return Annotated[Literal[spec.choices], BeforeValidator(_strip)]
    if spec.kind == "str":
        length = PydanticField(min_length=spec.min_length, max_length=spec.max_length)
        if spec.pattern is None:
            return Annotated[str, length, Strict(), BeforeValidator(_strip)]
        return Annotated[
            str,
            length,
            PydanticField(json_schema_extra={"pattern": spec.pattern}),
            Strict(),
            BeforeValidator(_strip),
            AfterValidator(_pattern(spec.pattern)),
        ]
    bounds: dict[str, Any] = {}
    if spec.minimum is not None:
        bounds["gt" if spec.exclusive_minimum else "ge"] = spec.minimum
    if spec.maximum is not None:
        bounds["le"] = spec.maximum
    if spec.kind == "int":
        return Annotated[int, PydanticField(**bounds), Strict(), BeforeValidator(_before_int)]
    after = [AfterValidator(_after_places(spec.places))] if spec.places is not None else []
    return Annotated[
        Decimal,
        PydanticField(allow_inf_nan=False, **bounds),
        WithJsonSchema(_decimal_json(spec)),
        BeforeValidator(_before_decimal),
        AfterValidator(_after_decimal),
        *after,
    ]


def _model(schema: Schema, name: str, partial: bool, extra: str = "forbid") -> Any:
    return _cached_model(tuple(schema.items()), name, partial, extra)


@cache
def _cached_model(items: tuple[tuple[str, Field], ...], name: str, partial: bool, extra: str) -> Any:
    from pydantic import ConfigDict, create_model

    fields: dict[str, Any] = {}
    for field_name, spec in items:
        annotation = _annotation(spec, f"{name}.{field_name}")  # nested models are named after their parent
        if partial:
            fields[field_name] = (annotation | None if spec.nullable else annotation, None)
        elif spec.required:
            fields[field_name] = (annotation | None if spec.nullable else annotation, ...)
        else:
            fields[field_name] = (annotation | None, spec.default)
    config = ConfigDict(extra=extra, arbitrary_types_allowed=False)  # type: ignore[typeddict-item]
    return create_model(name + ("Patch" if partial else ""), __config__=config, **fields)


def model_for(schema: Schema, name: str, *, partial: bool = False) -> Any:
    """The pydantic model of a request body (PATCH bodies: every field optional)."""
    return _model(schema, name, partial)


# --- validation -------------------------------------------------------------------------------


def _spec_at(schema: Schema, loc: tuple[Any, ...]) -> Field | None:
    spec: Field | None = None
    current: Schema | None = schema
    for part in loc:
        if isinstance(part, int):
            continue
        if current is None or part not in current:
            return None
        spec = current[part]
        current = spec.of
    return spec


def _message(schema: Schema, error: Mapping[str, Any]) -> str:
    loc = tuple(error["loc"])
    name = ".".join(str(p) for p in loc)
    kind, given = error["type"], error.get("input")
    spec = _spec_at(schema, loc)
    if spec is not None and spec.kind == "texts" and kind.startswith("string_"):
        spec = replace(spec, kind="str")  # one string of the list: the string's message, named with its index
    if kind == "extra_forbidden":
        return f"property {name} should not exist"
    if kind == "missing":
        return f"{name} is required"
    if given is None and spec is not None:
        return f"{name} should not be null"
    if kind in ("model_type", "dict_type", "model_attributes_type"):
        return f"{name} must be an object" if spec is not None and spec.kind == "object" else f"{name} must be a JSON object"
    if kind == "literal_error" and spec is not None and spec.choices is not None:
        return f"{name} must be one of the following values: {', '.join(spec.choices)}"
    if kind == "string_type":
        return f"{name} must be a string"
    if kind in ("string_too_short", "too_short") and spec is not None and spec.kind == "str":
        if spec.min_length == 1:
            return f"{name} should not be empty"
        return f"{name} must be longer than or equal to {spec.min_length} characters"
    if kind in ("string_too_long", "too_long") and spec is not None and spec.kind == "str":
        return f"{name} must be shorter than or equal to {spec.max_length} characters"
    if kind in ("bool_type", "bool_parsing"):
        return f"{name} must be a boolean value"
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return f"{name} must be an integer number"
    if kind in ("decimal_type", "decimal_parsing", "finite_number"):
        return f"{name} must be a number"
    if kind == "greater_than" and spec is not None:
        return f"{name} must be greater than {spec.minimum}"
    if kind == "greater_than_equal" and spec is not None:
        return f"{name} must not be less than {spec.minimum}"
    if kind == "less_than_equal" and spec is not None:
        return f"{name} must not be greater than {spec.maximum}"
    if kind == "list_type":
        return f"{name} must be an array"
    if kind == "too_long" and spec is not None:
        return f"{name} must contain no more than {spec.max_items} elements"
    return f"{name} {error['msg']}"


def validate(payload: Any, schema: Schema, *, partial: bool = False, name: str = "Body") -> dict[str, Any]:
    """The cleaned body (defaults filled in; with partial=True, only the fields given, at least
    one). Raises InvalidInput listing every problem, unknown fields first."""
    from pydantic import ValidationError

    if not isinstance(payload, dict):
        raise InvalidInput(["body must be a JSON object"])
    if partial and not payload:
        raise InvalidInput(["body must contain at least one field"])
    model = _model(schema, name, partial)
    try:
        parsed = model.model_validate(payload)
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
        extra = [_message(schema, e) for e in errors if e["type"] == "extra_forbidden"]
        rest = [_message(schema, e) for e in errors if e["type"] != "extra_forbidden"]
        raise InvalidInput(list(dict.fromkeys([*extra, *rest]))) from None
    cleaned = parsed.model_dump(exclude_unset=partial)
    return {k: v for k, v in cleaned.items() if k in schema}


# --- query and path parameters ---------------------------------------------------------------


INTEGER = re.compile(r"-?\d{1,18}")


def validate_query(params: Mapping[str, str] | None, schema: Schema, *, name: str = "Query") -> dict[str, Any]:
    """The route's declared query parameters, validated by the same pydantic machinery as bodies
    (integers arrive as text and are converted first). An empty value counts as absent; parameters
    the route does not declare are ignored, as a cache-busting `?_=…` must not break a list."""
    from pydantic import ValidationError

    given: dict[str, Any] = {}
    for key, value in (params or {}).items():
        spec = schema.get(key)
        if spec is None or value == "":
            continue
        given[key] = int(value) if spec.kind == "int" and INTEGER.fullmatch(value) else value
    model = _model(schema, name, False, extra="ignore")
    try:
        parsed = model.model_validate(given)
    except ValidationError as exc:
        raise InvalidInput(list(dict.fromkeys(_message(schema, e) for e in exc.errors(include_url=False)))) from None
    return {k: v for k, v in parsed.model_dump().items() if k in schema}


def query_model(schema: Schema, name: str) -> Any:
    return _model(schema, name, False, extra="ignore")


def path_int(value: str, name: str = "id") -> int:
    """Numeric path ids; anything else is a 400 naming the parameter (Nest's ParseIntPipe)."""
    if not re.fullmatch(r"\d{1,12}", value or ""):
        raise InvalidInput(f"Validation failed ({name} must be a numeric string)")
    return int(value)

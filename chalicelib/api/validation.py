"""Strict request-body validation with Nest/class-validator style messages.

Unknown fields, missing fields and ill-typed fields are all 400, and every message names
its field.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from chalicelib.errors import InvalidInput


@dataclass(frozen=True)
class Field:
    kind: str  # "str" | "int" | "decimal" | "bool"
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
    of: Mapping[str, Field] | None = None  # element schema for kind "list"
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


def choice(*options: str, **kw: Any) -> Field:
    return Field("str", choices=options, **kw)


def list_of(schema: Mapping[str, Field], **kw: Any) -> Field:
    return Field("list", of=schema, **kw)


Schema = Mapping[str, Field]


def object_of(schema: Mapping[str, Field], **kw: Any) -> Field:
    return Field("object", of=schema, **kw)


def _coerce(name: str, value: Any, f: Field, errors: list[str]) -> Any:
    if f.kind == "object":
        if not isinstance(value, dict):
            errors.append(f"{name} must be an object")
            return None
        try:
            return validate(value, f.of or {})
        except InvalidInput as exc:
            messages = exc.message if isinstance(exc.message, list) else [exc.message]
            errors.extend(f"{name}.{m}" for m in messages)
            return None
    if f.kind == "list":
        if not isinstance(value, list):
            errors.append(f"{name} must be an array")
            return None
        if len(value) > f.max_items:
            errors.append(f"{name} must contain no more than {f.max_items} elements")
            return None
        cleaned = []
        for index, element in enumerate(value):
            try:
                cleaned.append(validate(element, f.of or {}))
            except InvalidInput as exc:
                messages = exc.message if isinstance(exc.message, list) else [exc.message]
                errors.extend(f"{name}.{index}.{m}" for m in messages)
        return cleaned
    if f.kind == "str":
        if not isinstance(value, str):
            errors.append(f"{name} must be a string")
            return None
        value = value.strip()
        if f.choices is not None and value not in f.choices:
            errors.append(f"{name} must be one of the following values: {', '.join(f.choices)}")
            return None
        if f.min_length is not None and len(value) < f.min_length:
            if f.min_length == 1:
                errors.append(f"{name} should not be empty")
            else:
                errors.append(f"{name} must be longer than or equal to {f.min_length} characters")
            return None
        if f.max_length is not None and len(value) > f.max_length:
            errors.append(f"{name} must be shorter than or equal to {f.max_length} characters")
            return None
        if f.pattern is not None and not re.fullmatch(f.pattern, value):
            errors.append(f"{name} must match {f.pattern} regular expression")
            return None
        return value
    if f.kind == "bool":
        if not isinstance(value, bool):
            errors.append(f"{name} must be a boolean value")
            return None
        return value
    if isinstance(value, bool):
        errors.append(f"{name} must be {'an integer number' if f.kind == 'int' else 'a number'}")
        return None
    number: Decimal
    if f.kind == "int":
        if isinstance(value, int):
            number = Decimal(value)
        elif isinstance(value, Decimal) and value.is_finite() and value == value.to_integral_value():
            number = value
        else:
            errors.append(f"{name} must be an integer number")
            return None
    else:
        try:
            number = Decimal(value) if isinstance(value, (int, Decimal, str)) else Decimal("NaN")
        except InvalidOperation:
            number = Decimal("NaN")
        if isinstance(value, str) and not re.fullmatch(r"-?\d+(\.\d+)?", value.strip()):
            number = Decimal("NaN")
        if not number.is_finite():
            errors.append(f"{name} must be a number")
            return None
        exponent = number.as_tuple().exponent
        if f.places is not None and isinstance(exponent, int) and -exponent > f.places:
            errors.append(f"{name} must have at most {f.places} decimal places")
            return None
        if abs(number) >= Decimal("1e12"):
            errors.append(f"{name} is too large")
            return None
    if f.minimum is not None:
        if f.exclusive_minimum and number <= f.minimum:
            errors.append(f"{name} must be greater than {f.minimum}")
            return None
        if not f.exclusive_minimum and number < f.minimum:
            errors.append(f"{name} must not be less than {f.minimum}")
            return None
    if f.maximum is not None and number > f.maximum:
        errors.append(f"{name} must not be greater than {f.maximum}")
        return None
    return int(number) if f.kind == "int" else number


def validate(payload: Any, schema: Schema, *, partial: bool = False) -> dict[str, Any]:
    """Return the cleaned body. With partial=True (PATCH) nothing is required, but at least
    one field must be given."""
    if not isinstance(payload, dict):
        raise InvalidInput(["body must be a JSON object"])
    errors: list[str] = []
    for key in payload:
        if key not in schema:
            errors.append(f"property {key} should not exist")
    cleaned: dict[str, Any] = {}
    for name, f in schema.items():
        if name not in payload:
            if f.required and not partial:
                errors.append(f"{name} is required")
            elif not partial and f.default is not None:
                cleaned[name] = f.default
            elif not partial and not f.required:
                cleaned[name] = None
            continue
        value = payload[name]
        if value is None:
            if f.nullable or (not f.required and not partial):
                cleaned[name] = None
            else:
                errors.append(f"{name} should not be null")
            continue
        coerced = _coerce(name, value, f, errors)
        if coerced is not None:
            cleaned[name] = coerced
    if partial and not payload and not errors:
        errors.append("body must contain at least one field")
    if errors:
        raise InvalidInput(errors)
    return cleaned


def query_int(params: Mapping[str, str] | None, name: str, default: int, *, minimum: int = 1, maximum: int = 500) -> int:
    raw = (params or {}).get(name)
    if raw is None or raw == "":
        return default
    if not re.fullmatch(r"\d+", raw):
        raise InvalidInput([f"{name} must be an integer number"])
    value = int(raw)
    if value < minimum or value > maximum:
        raise InvalidInput([f"{name} must be between {minimum} and {maximum}"])
    return value


def path_int(value: str, name: str = "id") -> int:
    """Numeric path ids; anything else is a 400 naming the parameter (Nest's ParseIntPipe)."""
    if not re.fullmatch(r"\d{1,12}", value or ""):
        raise InvalidInput(f"Validation failed ({name} must be a numeric string)")
    return int(value)

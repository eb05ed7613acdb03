"""The presenters' TypedDicts are the response shapes: the OpenAPI schemas are derived from them
with pydantic's TypeAdapter, so they must say what the old pydantic models said."""

from __future__ import annotations

import pytest
from typing_extensions import get_type_hints

from chalicelib.domain.caja import DENOMINATION_NAMES
from chalicelib.presenters.caja import Caja, Counts
from chalicelib.presenters.sales import Transaccion


def test_the_counts_shape_lists_every_denomination_of_the_domain_in_order() -> None:
    assert tuple(get_type_hints(Counts)) == DENOMINATION_NAMES
    assert set(DENOMINATION_NAMES) <= set(get_type_hints(Caja))


def test_a_shape_refuses_a_key_it_does_not_declare_at_any_depth() -> None:
    from pydantic import TypeAdapter, ValidationError

    schema = TypeAdapter(Transaccion).json_schema()
    assert schema["additionalProperties"] is False
    assert all(nested["additionalProperties"] is False for nested in schema["$defs"].values())
    with pytest.raises(ValidationError, match="Extra inputs are not permitted"):
        TypeAdapter(Caja).validate_python({"surprise": 1})


def test_a_money_field_is_documented_and_checked_as_a_two_place_decimal_string() -> None:
    from pydantic import TypeAdapter, ValidationError

    prop = TypeAdapter(Transaccion).json_schema()["properties"]["monto_total"]
    assert prop["pattern"] == r"^-?\d+\.\d{2}$" and prop["type"] == "string" and "money" in prop["description"]
    with pytest.raises(ValidationError, match="monto_total"):
        TypeAdapter(Transaccion).validate_python({"monto_total": "12.5"}, strict=True)


def test_the_shapes_and_the_presenters_load_without_pydantic() -> None:
    import subprocess
    import sys
    from pathlib import Path

    code = (
        "import sys, chalicelib.presenters.sales, chalicelib.presenters.caja, chalicelib.api.responses;"
        "print(sorted(m for m in sys.modules if m.startswith('pydantic')))"
    )
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                          cwd=Path(__file__).resolve().parents[2]).stdout.strip() == "[]"

"""No DynamoDB Scan on any request or fan-out path: every access is a GetItem or a Query on a
key or GSI (DESIGN.md, "DynamoDB rules"; docs/data-model.md lists them).

A static check over the source text of everything that ships in the Lambda package
(`app.py` and `chalicelib/`). Test-only helpers (tests/support) may scan to empty tables.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = sorted([ROOT / "app.py", *(ROOT / "chalicelib").rglob("*.py")])

# Text patterns over the code (comments and prose in docstrings do not count): a boto3/PynamoDB
# scan call (`.scan(`, `scan(`, `rate_limited_scan(`) or the operation's name as a string
# ("Scan", get_paginator("scan")).
CALL = re.compile(r"\w*scan\s*\(", re.IGNORECASE)
NAME = re.compile(r"""^[rbuf]*["']\s*scan\s*["']$""", re.IGNORECASE)


def code_lines(source: str) -> dict[int, str]:
    """Each line's code with comments dropped and every string literal blanked, except a
    literal that is exactly the operation name (kept, so the NAME pattern sees it)."""
    lines: dict[int, list[str]] = {}
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type == tokenize.COMMENT:
            continue
        text = tok.string if tok.type != tokenize.STRING or NAME.match(tok.string) else '""'
        lines.setdefault(tok.start[0], []).append(text)
    return {number: " ".join(parts) for number, parts in lines.items()}


def scans_in(source: str) -> list[str]:
    """Every place in `source` that looks like a Scan, as `line: text`."""
    found: list[str] = []
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
            if "scan" in name.lower():
                found.append(f"{node.lineno}: call {name}()")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.strip().lower() == "scan":
            found.append(f"{node.lineno}: string {node.value!r}")
    for number, code in code_lines(source).items():
        if CALL.search(code.replace(" (", "(")) or any(NAME.match(part) for part in code.split()):
            found.append(f"{number}: {code.strip()}")
    return found


def test_the_check_sees_the_shipped_modules() -> None:
    names = {p.relative_to(ROOT).as_posix() for p in SHIPPED}
    assert {"app.py", "chalicelib/store/sales.py", "chalicelib/store/connections.py", "chalicelib/realtime/fanout.py"} <= names


@pytest.mark.parametrize(
    "snippet",
    [
        "Model.scan()",
        "table.scan(FilterExpression=x)",
        "client.get_paginator('scan')",
        'client._make_api_call("Scan", {})',
        "Record.rate_limited_scan(limit=5)",
        "from x import scan\nscan(t)",
    ],
)
def test_the_check_catches_every_spelling_of_a_scan(snippet: str) -> None:
    assert scans_in(snippet)


def test_the_check_allows_queries_in_either_direction_and_prose_about_scans() -> None:
    source = 'def f():\n    """Never a Scan (see docs)."""\n    return R.by_branch.query(k, scan_index_forward=False)  # no scan()\n'
    assert scans_in(source) == []


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_no_shipped_module_calls_a_dynamodb_scan(path: Path) -> None:
    assert scans_in(path.read_text(encoding="utf-8")) == []

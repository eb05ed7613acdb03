"""Naming rule (issue 20, finding 1): Spanish on the wire, English in the code.

docs/glossary.md keeps three parseable lists: ```kept (the domain words the code keeps in
Spanish), ```wire-only (Spanish words that may appear only on the wire: routes, JSON fields,
frames, messages, stored attribute names) and ```english (English words that a wire-only word's
plural rule would catch, e.g. `roles`). This test walks every module of chalicelib/ with
`ast`, collects the identifiers the module *defines*, splits them into words, and fails on any
word that is wire-only and not kept.

What counts as a definition: module names, class, function and method names, parameters,
assigned names (plain, annotated, augmented, for/with/except/walrus/comprehension targets),
attributes assigned on `self`/`cls`, and import aliases (`import x as y`: y).
Not checked: string literals, attribute reads, keyword arguments passed to calls, names merely
imported without an alias (they are checked where they are defined).

What is wire, and so allowed to be Spanish:
- class attributes of storage classes (PynamoDB Model / MapAttribute / index subclasses): they
  ARE the stored attribute names, unless declared with an explicit `attr_name=` (then the Python
  name is code and must be English);
- fields of JSON shapes: pydantic `BaseModel` and `TypedDict` subclasses (a field with
  `Field(alias=...)` or `validation_alias=` is code and is checked);
- the class name of a JSON shape (it is the component name in the OpenAPI document, and
  routes name it in `response=...`), and likewise `Name = make_model("Name", ...)`;
- parameters of a route handler that name a `{path_parameter}` of its route (they are the
  OpenAPI parameter names);
- a wire mirror: a class-level field, or a `@property`, whose name is exactly a wire key that
  the code writes (a string dict key in chalicelib/, a key of the stored document, a
  storage attribute). Entities whose fields are copied field-for-field to the table and from
  request bodies (`replace(obj, **changes)`, `store.base.to_record`) keep the wire name.
"""

from __future__ import annotations

import ast
import os
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(os.environ.get("COMANDA_ROOT", Path(__file__).resolve().parents[2]))
GLOSSARY = ROOT / "docs" / "glossary.md"
PACKAGE = ROOT / "chalicelib"

STORAGE_BASES = {"Model", "MapAttribute", "GlobalSecondaryIndex", "LocalSecondaryIndex"}
SHAPE_BASES = {"BaseModel", "TypedDict"}


def _fold(word: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", word.lower()) if not unicodedata.combining(c))


def glossary_list(kind: str) -> set[str]:
    """The words of every ```<kind> fenced block of the glossary (whitespace or comma separated,
    `#` starts a comment)."""
    text = GLOSSARY.read_text(encoding="utf-8")
    blocks = re.findall(rf"^```{re.escape(kind)}[ \t]*\n(.*?)^```", text, flags=re.S | re.M)
    assert blocks, f"docs/glossary.md has no ```{kind} block"
    words: set[str] = set()
    for block in blocks:
        for line in block.splitlines():
            words |= {_fold(w) for w in re.split(r"[\s,]+", line.split("#", 1)[0]) if w}
    return words


def split_words(name: str) -> list[str]:
    """`PedidoRepository` -> [pedido, repository]; `tx_id` -> [tx, id]; `_HTTPError2` -> [http, error]."""
    out: list[str] = []
    for part in name.split("_"):
        out += [w.lower() for w in re.findall(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+", part)]
    return out


def matches(word: str, vocabulary: set[str]) -> bool:
    """A word matches a listed word or its plural (-s, -es)."""
    return word in vocabulary or (word.endswith("s") and word[:-1] in vocabulary) or (
        word.endswith("es") and word[:-2] in vocabulary)


@dataclass(frozen=True)
class Name:
    path: Path
    line: int
    name: str
    where: str  # "module", "class", "def", "param", "assign", "self", "alias", "field", "property"


def _base_names(node: ast.ClassDef) -> set[str]:
    out = set()
    for base in node.bases:
        target = base.value if isinstance(base, ast.Subscript) else base
        if isinstance(target, ast.Name):
            out.add(target.id)
        elif isinstance(target, ast.Attribute):
            out.add(target.attr)
    return out


def _keyword(call: ast.expr | None, *names: str) -> bool:
    return isinstance(call, ast.Call) and any(k.arg in names for k in call.keywords)


def _modules() -> list[tuple[Path, ast.Module]]:
    return [(p, ast.parse(p.read_text(encoding="utf-8"), str(p))) for p in sorted(PACKAGE.rglob("*.py"))]


def class_kinds(modules: list[tuple[Path, ast.Module]]) -> dict[str, str]:
    """Class name -> "storage" | "shape", following bases across modules to a fixpoint."""
    classes = [node for _, tree in modules for node in ast.walk(tree) if isinstance(node, ast.ClassDef)]
    kinds: dict[str, str] = {b: "storage" for b in STORAGE_BASES} | {b: "shape" for b in SHAPE_BASES}
    changed = True
    while changed:
        changed = False
        for node in classes:
            if node.name in kinds:
                continue
            for base in _base_names(node):
                if base in kinds:
                    kinds[node.name] = kinds[base]
                    changed = True
                    break
    return kinds


def wire_keys(modules: list[tuple[Path, ast.Module]], kinds: dict[str, str]) -> set[str]:
    """Keys the code writes on the wire or in the table: string dict keys, `dict(key=...)`
    keywords, and the attributes of storage classes."""
    keys: set[str] = set()
    for _, tree in modules:
        for node in ast.walk(tree):
            if isinstance(node, ast.Dict):
                keys |= {k.value for k in node.keys if isinstance(k, ast.Constant) and isinstance(k.value, str)}
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "dict":
                keys |= {k.arg for k in node.keywords if k.arg}
            elif isinstance(node, ast.ClassDef) and kinds.get(node.name) == "storage":
                for stmt in node.body:
                    for target in _targets(stmt):
                        keys.add(target)
    return keys


def _targets(stmt: ast.stmt) -> list[str]:
    if isinstance(stmt, ast.Assign):
        return [t.id for t in stmt.targets if isinstance(t, ast.Name)]
    if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
        return [stmt.target.id]
    return []


def _store_names(target: ast.expr) -> Iterator[ast.Name | ast.Attribute]:
    for node in ast.walk(target):
        if (isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store)) or (
                isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store)
                and isinstance(node.value, ast.Name) and node.value.id in ("self", "cls")):
            yield node


def _route_params(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> set[str]:
    """The {path parameters} of a route decorator's path string (its first argument)."""
    params: set[str] = set()
    for deco in fn.decorator_list:
        if isinstance(deco, ast.Call) and deco.args and isinstance(deco.args[0], ast.Constant) \
                and isinstance(deco.args[0].value, str):
            params |= set(re.findall(r"\{(\w+)\}", deco.args[0].value))
    return params


def _is_property(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    return any(isinstance(d, ast.Name) and d.id in ("property", "cached_property") for d in fn.decorator_list)


def defined_names() -> Iterator[Name]:
    modules = _modules()
    kinds = class_kinds(modules)
    keys = wire_keys(modules, kinds)
    for path, tree in modules:
        rel = path.relative_to(ROOT)
        if path.stem != "__init__":
            yield Name(rel, 1, path.stem, "module")
        for part in rel.parent.parts[1:]:
            yield Name(rel, 1, part, "module")
        yield from _walk(rel, tree, kinds, keys)


def _walk(rel: Path, tree: ast.Module, kinds: dict[str, str], keys: set[str]) -> Iterator[Name]:
    wire_class_fields: set[int] = set()  # id() of statements that declare a wire field
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            kind = kinds.get(node.name)
            for stmt in node.body:
                value = stmt.value if isinstance(stmt, (ast.Assign, ast.AnnAssign)) else None
                if (kind == "storage" and not _keyword(value, "attr_name")) or (
                        kind == "shape" and not _keyword(value, "alias", "validation_alias")):
                    wire_class_fields.add(id(stmt))
                elif isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name) and stmt.target.id in keys:
                    wire_class_fields.add(id(stmt))  # a wire mirror
                elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)) and _is_property(stmt) \
                        and stmt.name in keys:
                    wire_class_fields.add(id(stmt))
            # the methods' `self.<field> = ...` writes of those wire fields are wire too
            wire_fields = {t for stmt in node.body if id(stmt) in wire_class_fields for t in _targets(stmt)}
            for inner in ast.walk(node):
                if isinstance(inner, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
                    targets = inner.targets if isinstance(inner, ast.Assign) else [inner.target]
                    if all(isinstance(t, ast.Attribute) and t.attr in wire_fields for t in targets):
                        wire_class_fields.add(id(inner))
        elif isinstance(node, ast.Assign) and isinstance(node.value, ast.Call) and node.value.args \
                and isinstance(node.value.args[0], ast.Constant) \
                and [t.id for t in node.targets if isinstance(t, ast.Name)] == [node.value.args[0].value]:
            wire_class_fields.add(id(node))  # `CajaCerrada = model("CajaCerrada", ...)`: a named wire shape
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            if id(node) not in wire_class_fields:
                yield Name(rel, node.lineno, node.name, "def")
            route = _route_params(node)
            a = node.args
            for arg in [*a.posonlyargs, *a.args, *a.kwonlyargs, *(x for x in (a.vararg, a.kwarg) if x)]:
                if arg.arg not in route and arg.arg not in ("self", "cls"):
                    yield Name(rel, arg.lineno, arg.arg, "param")
        elif isinstance(node, ast.Lambda):
            for arg in node.args.args:
                yield Name(rel, node.lineno, arg.arg, "param")
        elif isinstance(node, ast.ClassDef):
            if kinds.get(node.name) != "shape":  # a response shape's name is its OpenAPI schema name
                yield Name(rel, node.lineno, node.name, "class")
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            if id(node) in wire_class_fields:
                continue
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                for n in _store_names(target):
                    yield Name(rel, n.lineno, n.id if isinstance(n, ast.Name) else n.attr,
                               "assign" if isinstance(n, ast.Name) else "self")
        elif isinstance(node, (ast.For, ast.AsyncFor, ast.comprehension)):
            for n in _store_names(node.target):
                yield Name(rel, n.lineno, n.id if isinstance(n, ast.Name) else n.attr, "assign")
        elif isinstance(node, ast.withitem) and node.optional_vars is not None:
            for n in _store_names(node.optional_vars):
                yield Name(rel, n.lineno, n.id if isinstance(n, ast.Name) else n.attr, "assign")
        elif isinstance(node, ast.NamedExpr):
            yield Name(rel, node.lineno, node.target.id, "assign")
        elif isinstance(node, ast.ExceptHandler) and node.name:
            yield Name(rel, node.lineno, node.name, "assign")
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                if alias.asname:
                    yield Name(rel, node.lineno, alias.asname, "alias")


def offenders() -> list[str]:
    kept, wire_only, english = glossary_list("kept"), glossary_list("wire-only"), glossary_list("english")
    found = set()
    for n in defined_names():
        for word in split_words(n.name):
            if matches(word, wire_only) and not matches(word, kept) and word not in english:
                found.add((str(n.path), n.line, n.name, word, n.where))
    return [f"{p}:{line} {name} {word} ({where})" for p, line, name, word, where in sorted(found)]


def test_the_glossary_keeps_a_short_list_of_spanish_domain_words() -> None:
    kept = glossary_list("kept")
    assert 3 <= len(kept) <= 20, sorted(kept)
    assert not kept & glossary_list("wire-only"), "a word is either kept or wire-only"


def test_the_word_splitter_reads_snake_and_camel_case() -> None:
    assert split_words("PedidoRepository") == ["pedido", "repository"]
    assert split_words("tx_id") == ["tx", "id"]
    assert split_words("_HTTPErrorCode") == ["http", "error", "code"]
    assert split_words("DeliveryByCustomerIndex") == ["delivery", "by", "customer", "index"]


def test_no_python_identifier_in_chalicelib_is_built_on_a_wire_only_spanish_word() -> None:
    found = offenders()
    assert not found, f"{len(found)} identifiers use a wire-only Spanish word (see docs/glossary.md):\n" + "\n".join(found)

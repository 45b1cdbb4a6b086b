"""The layers drawn from the imports: core <- models <- auth <- resolvers <- schema <-
gatehouse, no arrow up, and the schema reaches the database only through resolvers/
(gatehouse/'s own rule is in test_runtime.py)."""

from __future__ import annotations

import ast

from tests.support.paths import ROOT

LAYERS = ("core", "models", "auth", "resolvers", "schema", "gatehouse")
# Packages that reach the database or its rows directly.
DATABASE = frozenset({"models", "tortoise"})


def _imports(layer: str) -> set[tuple[str, str]]:
    """(importing module, imported module) for every import under `layer`, those under
    TYPE_CHECKING included: an annotation is an arrow too."""
    found: set[tuple[str, str]] = set()
    for path in sorted((ROOT / layer).rglob("*.py")):
        if "migrations" in path.parts:
            continue
        module = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found.update((module, alias.name) for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                assert node.level == 0, f"{module} uses a relative import"
                found.add((module, node.module or ""))
    return found


def _package(module: str) -> str:
    return module.partition(".")[0]


def test_no_import_runs_up_the_layers() -> None:
    upward = [
        (importer, imported)
        for layer in LAYERS
        for importer, imported in _imports(layer)
        if _package(imported) in LAYERS and LAYERS.index(_package(imported)) > LAYERS.index(layer)
    ]
    assert upward == []


def test_schema_reaches_the_database_only_through_resolvers() -> None:
    direct = sorted(
        (importer, imported)
        for importer, imported in _imports("schema")
        if _package(imported) in DATABASE
    )
    assert direct == []


def test_the_check_sees_the_imports_it_judges() -> None:
    # Guards the walk itself: a parse that found nothing would pass every test above.
    assert ("schema", "schema.api_keys") in _imports("schema")
    assert ("resolvers.users", "models") in _imports("resolvers")

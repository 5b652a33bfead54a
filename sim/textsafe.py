"""User text placed in the Markdown files salesim writes, made inert.

Why: a study's or a scenario's ``description``, a name or a label is the
user's text, and a Markdown file (``findings.md``, ``fit_report.md``) is
rendered by whatever opens it: a forge, an editor preview, a static site.
Written raw, such text could add a link, an image, raw HTML, a heading or a
table to the rendered file. :func:`escape_markdown` turns it into text that
renders as exactly what the user typed, on one line; :func:`code_span` puts a
name in backticks whatever it contains; :func:`unescape_markdown` gives the
plain text back (the HTML report shows it that way).

No imports from salesim: every layer may use it.
"""

from __future__ import annotations

import html
import re

# inline Markdown (CommonMark and GitHub's extensions): emphasis, code, links and images,
# tables, strikethrough, backslash itself
_ALWAYS = set("\\`*[]|~")
_AT_START = re.compile(r"^(?:[#+=-]|\d{1,9}[.)])")  # would start a heading, list or quote on its own line
_URL = re.compile(r"(?i)(?<=[a-z0-9+.-])(:)(?=//)|(?<=\bwww)(\.)|(@)")  # GitHub's autolinks
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_ESCAPED = re.compile(r"\\([!-/:-@\[-`{-~])")


def one_line(text: object) -> str:
    """``text`` as one line: line breaks of any kind (and other control characters)
    become spaces, runs of blanks one space, no blank at either end."""
    lines = str(text).splitlines()
    flat = _CONTROL.sub(" ", " ".join(lines))
    return re.sub(r"[ \t]+", " ", flat).strip()


def escape_markdown(text: object) -> str:
    """``text`` (any user string) as Markdown that renders as that text, on one line.

    Line breaks become spaces (so no new heading, list, quote, table or code
    block can start); characters that mean something inline are backslash
    escaped (``\\ ` * [ ] | ~``, ``_`` unless inside a word); ``<``, ``>`` and
    ``&`` become HTML entities (no raw HTML, no autolink in angle brackets);
    ``://``, ``www.`` and ``@`` are broken up so no bare URL or e-mail address
    turns into a link; a leading ``#``, ``-``, ``+``, ``=``, ``>`` or ``1.`` is
    escaped, so the text may start a line.

    >>> escape_markdown("[click](http://x.io) <b>bold</b>\\n# not a heading")
    '\\\\[click\\\\](http\\\\://x.io) &lt;b&gt;bold&lt;/b&gt; # not a heading'
    """
    s = one_line(text)
    s = s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    out = []
    for i, ch in enumerate(s):
        if ch in _ALWAYS:
            out.append("\\" + ch)
        elif ch == "_" and not (0 < i < len(s) - 1 and s[i - 1].isalnum() and s[i + 1].isalnum()):
            out.append("\\_")
        else:
            out.append(ch)
    s = "".join(out)
    s = _URL.sub(lambda m: "\\" + m.group(0), s)
    m = _AT_START.match(s)
    if m:
        end = m.end() - 1
        s = s[:end] + "\\" + s[end:]
    return s


def code_span(text: object) -> str:
    """``text`` as an inline code span, on one line, whatever backticks it holds."""
    s = one_line(text)
    runs = [len(r) for r in re.findall(r"`+", s)]
    fence = "`" * (max(runs, default=0) + 1)
    pad = " " if s.startswith("`") or s.endswith("`") else ""
    return f"{fence}{pad}{s}{pad}{fence}"


def unescape_markdown(text: str) -> str:
    """Plain text back from :func:`escape_markdown`'s output (backslash escapes and
    HTML entities undone); for showing a Markdown line as text elsewhere."""
    return html.unescape(_ESCAPED.sub(r"\1", text))

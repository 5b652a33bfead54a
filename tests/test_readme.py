"""The README stays short and types no measured number: every figure in it sits inside a
marker block that scripts/figures.py renders from stored study outputs (tests/test_stored_figures.py
checks each block), and the rest of its digits are commands, flags or file names in code."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
README = REPO / "README.md"
MAX_LINES = 250
BLOCK = re.compile(r"<!-- ([a-z0-9_]+):begin -->\n.*?<!-- \1:end -->", re.S)


def prose(text: str) -> str:
    """The README without what may hold digits: generated blocks, fenced and inline code,
    link targets."""
    text = BLOCK.sub("", text)
    text = re.sub(r"```.*?```", "", text, flags=re.S)
    text = re.sub(r"`[^`\n]*`", "", text)
    return re.sub(r"\]\([^)]*\)", "]", text)


def typed_numbers(text: str) -> list[str]:
    # B2B is a word, not a number
    return [line.strip() for line in prose(text).splitlines() if re.search(r"(?<![A-Za-z])\d", line)]


def test_readme_is_short():
    n = len(README.read_text().splitlines())
    assert n <= MAX_LINES, f"README.md has {n} lines; keep it under {MAX_LINES} (long sections go to docs/)"


def test_every_number_in_the_readme_is_generated_or_code():
    assert typed_numbers(README.read_text()) == []


def test_the_readme_has_generated_answers():
    names = re.findall(r"<!-- ([a-z0-9_]+):begin -->", README.read_text())
    assert {"headline_structure", "headline_pods"} <= set(names)


def test_the_number_check_can_fail():
    text = ("Specialists win by $379k a head.\n`salesim run --seed 7`\n"
            "<!-- x:begin -->\n+2.30M\n<!-- x:end -->\n[page](docs/a1.md)\n```bash\nrun 3\n```\n")
    assert typed_numbers(text) == ["Specialists win by $379k a head."]

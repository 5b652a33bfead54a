"""docs/background.md is the project's own account of its domain: every citation
of the domain goes to one of its sections, and every such citation resolves.

* No file of the repository cites the old, out-of-tree brief (``domain`` +
  ``.md``): that file is not part of the project, so such a citation points
  nowhere for a reader of the repository.
* Every ``docs/background.md#<anchor>`` cited anywhere (code, tests, scenarios,
  Markdown), and every ``(#<anchor>)`` link inside the document, names a heading
  of docs/background.md (GitHub-style anchors).
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

# Files that still cite the old brief and belong to work in progress elsewhere;
# each is skipped by the first check only. Empty this list as they are updated.
PENDING_CITATION_FIXES: list[str] = []

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "background.md"
OLD_BRIEF = "domain" + ".md"  # spelled apart so that this file does not cite it
CITATION = re.compile(r"background\.md#([\w-]+)")
INTERNAL_LINK = re.compile(r"\]\(#([\w-]+)\)")
HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
FENCE = re.compile(r"^\s*(```|~~~)")

# Used only when git cannot list the files (e.g. an unpacked source archive).
SKIP_DIRS = {".git", ".venv", "venv", "__pycache__", ".pytest_cache", ".ruff_cache",
             "build", "dist", "out", "runs", "node_modules"}


def _repository_files() -> list[Path]:
    """The repository's files: tracked or new, not ignored (.venv, build output...)."""
    try:
        out = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                             cwd=ROOT, capture_output=True, check=True, timeout=60).stdout
        names = sorted({n for n in out.decode("utf-8", "surrogateescape").split("\0") if n})
        return [ROOT / n for n in names]
    except (OSError, subprocess.SubprocessError):
        files = []
        for folder, dirs, names in os.walk(ROOT):
            dirs[:] = [d for d in dirs if d not in SKIP_DIRS and not d.endswith(".egg-info")]
            files += [Path(folder) / n for n in names]
        return sorted(files)


def _text(path: Path) -> str | None:
    """The file as text, or None for a binary, missing or unreadable file."""
    try:
        data = path.read_bytes()
    except OSError:  # listed by git but deleted in the working tree, a socket...
        return None
    if b"\0" in data[:8192]:
        return None
    return data.decode("utf-8", "replace")


def _rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def github_anchor(heading: str) -> str:
    """GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def doc_anchors(text: str) -> list[str]:
    """The anchor of each heading of a Markdown text, in order (fenced code skipped);
    a repeated heading gets GitHub's ``-1``, ``-2``... suffix."""
    anchors: list[str] = []
    seen: dict[str, int] = {}
    fenced = False
    for line in text.splitlines():
        if FENCE.match(line):
            fenced = not fenced
            continue
        m = None if fenced else HEADING.match(line)
        if m:
            base = github_anchor(m.group(2))
            n = seen.get(base, 0)
            seen[base] = n + 1
            anchors.append(base if n == 0 else f"{base}-{n}")
    return anchors


@pytest.fixture(scope="module")
def files() -> dict[str, str]:
    texts = {_rel(p): _text(p) for p in _repository_files()}
    return {name: t for name, t in texts.items() if t is not None}


def test_anchors_follow_github():
    assert github_anchor("Little's law") == "littles-law"
    assert github_anchor("Systems thinking: the inverted and the upright triangle") \
        == "systems-thinking-the-inverted-and-the-upright-triangle"
    assert github_anchor("Funnel, people and money figures") == "funnel-people-and-money-figures"
    assert doc_anchors("# A\n```\n# not a heading\n```\n## A\n") == ["a", "a-1"]


def test_the_background_document_exists_with_unique_headings():
    assert DOC.is_file(), "docs/background.md is missing"
    anchors = doc_anchors(DOC.read_text(encoding="utf-8"))
    assert "how-to-cite-this-document-from-code-and-scenarios" in anchors
    assert len(anchors) == len(set(anchors)), "two headings share an anchor: citations would be ambiguous"


def test_nothing_cites_the_out_of_tree_brief(files):
    offenders = [f"{name}:{i}: {line.strip()}"
                 for name, text in files.items() if name not in PENDING_CITATION_FIXES
                 for i, line in enumerate(text.splitlines(), 1) if OLD_BRIEF in line]
    assert not offenders, ("cite a section of docs/background.md instead "
                           "(e.g. docs/background.md#reference-figures):\n" + "\n".join(offenders))


def test_pending_list_names_files_of_the_repository(files):
    """A misspelt entry would skip nothing and hide nothing; keep the list honest."""
    assert all(name in files for name in PENDING_CITATION_FIXES), \
        [n for n in PENDING_CITATION_FIXES if n not in files]


def test_every_cited_anchor_resolves(files):
    anchors = set(doc_anchors(DOC.read_text(encoding="utf-8")))
    cited = []
    for name, text in files.items():
        for i, line in enumerate(text.splitlines(), 1):
            cited += [(name, i, a) for a in CITATION.findall(line)]
            if name == "docs/background.md":
                cited += [(name, i, a) for a in INTERNAL_LINK.findall(line)]
    assert cited, "nothing cites docs/background.md"
    broken = [f"{name}:{i}: #{a}" for name, i, a in cited if a not in anchors]
    assert not broken, ("no heading of docs/background.md has these anchors "
                        f"(known: {sorted(anchors)}):\n" + "\n".join(broken))

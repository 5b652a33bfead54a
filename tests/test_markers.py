"""The one reader and writer of marker blocks (sim/markers.py) that every renderer of a generated page uses."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from sim import markers
from sim.markers import MarkerError

ROOT = Path(__file__).resolve().parents[1]

PAGE = ("# Title\n\nprose\n<!-- a:begin -->\nold a\n<!-- a:end -->\nmiddle\n"
        "<!-- b-c:start -->\n\nold b\n\n<!-- b-c:end -->\ntail\n")


def test_blocks_are_read_in_page_order_with_their_bodies():
    found = markers.blocks(PAGE)
    assert [(b.name, b.opening, b.body) for b in found] == [("a", "begin", "old a"), ("b-c", "start", "\nold b\n")]
    assert all(PAGE[b.start:b.end] == b.with_body(b.body) for b in found)


def test_render_replaces_only_the_bodies_with_a_renderer():
    out = markers.render(PAGE, {"a": lambda: "new a"})
    assert out == PAGE.replace("old a", "new a")
    out = markers.render(PAGE, {"b-c": lambda: "new b"})
    assert out == PAGE.replace("<!-- b-c:start -->\n\nold b\n\n", "<!-- b-c:start -->\nnew b\n")  # keeps "start"


def test_render_is_idempotent_and_a_rendered_page_has_no_differing_block():
    renderers = {"a": lambda: "A\nwith lines", "b-c": lambda: "\nB\n"}
    once = markers.render(PAGE, renderers)
    assert markers.render(once, renderers) == once
    assert markers.differing(once, renderers) == []


def test_check_names_the_block_that_differs():
    renderers = {"a": lambda: "old a", "b-c": lambda: "\nold b\n"}
    assert markers.differing(PAGE, renderers) == []
    assert markers.differing(PAGE.replace("old b", "old B"), renderers) == ["b-c"]
    assert markers.differing(PAGE.replace("old a", "typed"), renderers) == ["a"]
    assert markers.differing(PAGE, {"a": lambda: "x", "b-c": lambda: "y"}) == ["a", "b-c"]


def test_a_renderer_runs_only_when_its_block_is_on_the_page():
    called = []
    markers.render(PAGE, {"a": lambda: called.append("a") or "x", "zzz": lambda: called.append("zzz") or "y"})
    assert called == ["a"]


@pytest.mark.parametrize("text, message", [
    ("<!-- a:begin -->\nx\n", "block 'a' has no end marker"),
    ("x\n<!-- a:end -->\n", "block 'a' ends without beginning"),
    ("<!-- a:begin -->\n1\n<!-- a:end -->\n<!-- a:begin -->\n2\n<!-- a:end -->\n", "block 'a' appears twice"),
    ("<!-- a:begin -->\n<!-- b:begin -->\n1\n<!-- b:end -->\n<!-- a:end -->\n", "block 'b' opens inside block 'a'"),
    ("<!-- a:begin -->\n1\n<!-- b:end -->\n", "block 'a' is closed by the end marker of 'b'"),
])
def test_markers_that_do_not_pair_up_are_refused_naming_page_and_block(text, message):
    for call in (lambda: markers.blocks(text, "p.md"), lambda: markers.render(text, {"a": lambda: ""}, "p.md"),
                 lambda: markers.differing(text, {"a": lambda: ""}, "p.md")):
        with pytest.raises(MarkerError, match=f"^p.md: {message}"):
            call()


def test_a_required_block_that_is_missing_is_refused():
    with pytest.raises(MarkerError, match="no block 'zzz'"):
        markers.render(PAGE, {"zzz": lambda: ""}, required=["zzz"])
    with pytest.raises(MarkerError, match="no block 'zzz'"):
        markers.differing(PAGE, {}, required=["a", "zzz"])


def test_a_block_nobody_renders_is_refused_when_the_others_are_named():
    with pytest.raises(MarkerError, match="block 'b-c' has no renderer"):
        markers.render(PAGE, {"a": lambda: "x"}, others=())
    assert markers.render(PAGE, {"a": lambda: "x"}, others=("b-c",)) == PAGE.replace("old a", "x")


def test_render_file_writes_only_a_change(tmp_path):
    page = tmp_path / "p.md"
    page.write_text(PAGE)
    assert not markers.render_file(page, {"a": lambda: "old a"})
    assert markers.render_file(page, {"a": lambda: "new"}) and page.read_text() == PAGE.replace("old a", "new")


def test_text_that_only_mentions_markers_is_not_a_block():
    text = "Write `<!-- NAME:begin -->` and `<!-- NAME:end -->` around it; <!-- a comment -->\n"
    assert markers.blocks(text) == [] and markers.render(text, {"NAME": lambda: "x"}) == text


def _script(path: str):
    spec = importlib.util.spec_from_file_location(f"script_{Path(path).stem}", ROOT / path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


RENDERING_SCRIPTS = ["scripts/figures.py", "scripts/process_levers.py", "scripts/crm_acceptance.py",
                     "scripts/benchmark_rows.py", "scripts/mutation.py", "benchmarks/results.py",
                     "scenarios/studies/pod_growth.py", "sim/metrics/registry.py"]


@pytest.mark.parametrize("path", RENDERING_SCRIPTS)
def test_every_renderer_uses_the_one_helper(path):
    """No renderer carries its own marker code again: each imports sim.markers and none spells a marker
    comment itself (a regular expression or an f-string of ``<!-- NAME:begin -->``)."""
    text = (ROOT / path).read_text()
    assert "from sim import markers" in text, path
    code = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith(("#", "``", "\"\"\"")))
    assert ":begin -->\"" not in code and ":end -->\"" not in code and ":begin -->\\n" not in code, path


def test_every_generated_page_reads_cleanly():
    """Every page the scripts render has markers that pair up (a stray or doubled marker fails here)."""
    figures = _script("scripts/figures.py")
    pages = {*figures.documents(), ROOT / "ARCHITECTURE.md", ROOT / "benchmarks" / "README.md"}
    seen = set()
    for page in pages:
        seen.update(markers.names(page.read_text(), str(page)))
    assert {"kpi-table", "benchmark-rows", "same-cost", "mutation-tables", "process_levers", "pod_growth",
            "crm_acceptance", "engine_results", "team_size"} <= seen

"""Every notebook under notebooks/ runs, top to bottom, in a real Jupyter kernel.

Why nbclient and an IPython kernel rather than exec: what users see is what
a kernel shows. A figure that displays as ``<Figure size ...>`` text instead of
an image, a magic, or a path that only works from the repository root all
pass under exec and fail here. The kernel starts in ``notebooks/`` (as
Jupyter does when a notebook is opened there), so each notebook must find the
repository root itself. New notebooks are picked up automatically.

The kernel runs happen once, in the documentation build (docs/hooks/tutorials.py,
the ``docs_site`` fixture of tests/conftest.py): the tutorials on the site are
these notebooks executed, and the checks below read what that build ran.
"""

from __future__ import annotations

from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat", reason="nbformat is in the dev extra: pip install -e '.[dev]'")

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((REPO / "notebooks").glob("**/*.ipynb"))
NOTEBOOKS = [p for p in NOTEBOOKS if ".ipynb_checkpoints" not in p.parts]


def test_there_are_notebooks():
    assert NOTEBOOKS, "notebooks/ holds no notebook"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: str(p.relative_to(REPO)))
def test_notebook_stored_without_outputs(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    dirty = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and (c.outputs or c.execution_count)]
    assert not dirty, f"{path.name}: cells {dirty} carry outputs; clear them before committing"


def figure_problems(nb) -> tuple[int, list[str]]:
    """(images shown, outputs that show a figure as text instead of an image)."""
    images, text_figures = 0, []
    for i, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if "image/png" in data or "image/svg+xml" in data:
                images += 1
            elif "<Figure size" in str(data.get("text/plain", "")):
                text_figures.append(f"cell {i}: {data['text/plain']}")
    return images, text_figures


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: str(p.relative_to(REPO)))
def test_notebook_runs_in_a_kernel(path, docs_site):
    """The docs build ran every notebook in a kernel (docs/hooks/tutorials.py; a failing
    cell stops the build): its executed copy beside the tutorial page shows figures
    as images and holds no error."""
    executed = docs_site / "tutorials" / f"{path.stem}.ipynb"
    assert executed.is_file(), f"the docs site has no tutorial for {path.name}"
    nb = nbformat.read(executed, as_version=4)
    source = nbformat.read(path, as_version=4)
    assert [c.source for c in nb.cells] == [c.source for c in source.cells]  # today's notebook, run
    assert all(c.execution_count for c in nb.cells if c.cell_type == "code" and c.source.strip())
    images, text_figures = figure_problems(nb)
    assert not text_figures, f"{path.name}: figures shown as text, not images: {text_figures}"
    assert images >= 1, f"{path.name}: no figure rendered as an image"
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors
    page = (docs_site / "tutorials" / path.stem / "index.html").read_text()
    assert page.count('src="cell-') >= images  # every figure is on the page


def test_a_failing_cell_stops_the_docs_build(tmp_path, monkeypatch):
    """The check can fail: a notebook whose cell raises is not published as a result."""
    pytest.importorskip("nbclient", reason="nbclient is in the docs extra: pip install -e '.[docs]'")
    import importlib.util

    spec = importlib.util.spec_from_file_location("docs_tutorials", REPO / "docs" / "hooks" / "tutorials.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    bad = tmp_path / "bad.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Bad"),
                                                   nbformat.v4.new_code_cell("1 / 0")]), bad)
    monkeypatch.setattr(mod, "NOTEBOOKS", tmp_path)
    monkeypatch.setattr(mod, "ROOT", tmp_path)
    with pytest.raises(mod.TutorialError, match="bad.ipynb"):
        mod.pages(run=True)
    text = mod.pages(run=False)["tutorials/bad.md"]  # skip: the code, no outputs, and it says so
    assert "1 / 0" in text and "ZeroDivisionError" not in text and "SALESIM_DOCS_NOTEBOOKS=skip" in text


def test_figure_check_catches_a_figure_shown_as_text():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("fig")])
    nb.cells[0].outputs = [nbformat.v4.new_output("execute_result", {"text/plain": "<Figure size 1200x800 with "
                                                                                    "4 Axes>"}, execution_count=1)]
    assert figure_problems(nb) == (0, ["cell 0: <Figure size 1200x800 with 4 Axes>"])

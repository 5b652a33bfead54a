"""Every notebook under notebooks/ runs, top to bottom, against the current code.

Why exec rather than a Jupyter kernel: no kernel, nbclient or IPython needed in
the test environment, and a failing cell shows up as an ordinary traceback
naming the notebook and cell. Cells run in order in one namespace from the
repository root (the notebooks use paths relative to it), with matplotlib on
the non-interactive Agg backend. Magics and shell escapes are not supported:
the notebooks are kept plain Python so they cannot rot.
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


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: str(p.relative_to(REPO)))
def test_notebook_runs(path, monkeypatch):
    import matplotlib

    monkeypatch.setenv("MPLBACKEND", "Agg")
    matplotlib.use("Agg", force=True)
    monkeypatch.chdir(REPO)
    nb = nbformat.read(path, as_version=4)
    namespace: dict = {"__name__": "__main__"}
    cells = [c for c in nb.cells if c.cell_type == "code" and c.source.strip()]
    assert cells, f"{path.name} has no code cells"
    for i, cell in enumerate(cells):
        code = compile(cell.source, f"{path.name} [code cell {i + 1}]", "exec")
        exec(code, namespace)  # noqa: S102 - our own notebooks, run as the tests they are
    try:
        import matplotlib.pyplot as plt

        plt.close("all")
    except ImportError:
        pass

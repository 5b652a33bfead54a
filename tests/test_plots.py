"""Figures (``sim.plots``; ``sim.cli.plots``, its former home, is kept for old scripts) and the
``--plot`` flag of ``salesim run`` and ``batch``.

What matters to a user: a real PNG comes out, a bad path is refused with a
message and exit code 2 before any simulation time is spent, and no
half-written or temporary file is ever left behind.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import sim
from sim.cli.main import main
from sim.errors import UsageError

pytest.importorskip("matplotlib")

REPO = Path(__file__).resolve().parents[1]
SMALL = str(REPO / "scenarios" / "small_team.yaml")
QUICK = ["--weeks", "8", "--seed", "3"]
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def is_png(path: Path) -> bool:
    return path.is_file() and path.stat().st_size > 1000 and path.read_bytes()[:8] == PNG_MAGIC


def leftovers(folder: Path) -> list[str]:
    """Temporary files left behind (salesim's ledger of what it wrote is not one)."""
    from sim.outpaths import LEDGER

    return sorted(p.name for p in folder.iterdir() if p.name.startswith(".") and p.name != LEDGER)


@pytest.fixture(scope="module")
def quick_result():
    return sim.simulate(sim.load_scenario(SMALL), seed=3, weeks=8, record="kpis")


def test_plot_run_writes_png(tmp_path, quick_result):
    out = tmp_path / "run.png"
    fig = sim_plots().plot_run(quick_result, out)
    assert is_png(out)
    assert leftovers(tmp_path) == []
    titles = [ax.get_title() for ax in fig.axes]
    assert any("Bookings" in t for t in titles) and any("ARR" in t for t in titles)
    assert any("pipeline" in t for t in titles) and any("Queue" in t for t in titles)
    assert len(fig.axes) == 4


def test_plot_run_accepts_a_weekly_frame(tmp_path, quick_result):
    out = tmp_path / "weekly.png"
    sim_plots().plot_run(quick_result.weekly, out, title="from weekly.csv")
    assert is_png(out)


def test_plot_run_replaces_a_figure_it_wrote_but_never_a_users_file(tmp_path, quick_result):
    out = tmp_path / "run.png"
    sim_plots().plot_run(quick_result, out, title="first")
    first = out.read_bytes()
    sim_plots().plot_run(quick_result, out, title="second")  # a notebook cell run again
    assert is_png(out) and out.read_bytes() != first
    assert leftovers(tmp_path) == []
    mine = tmp_path / "mine.png"
    mine.write_bytes(b"old")
    with pytest.raises(UsageError, match="not written by salesim"):
        sim_plots().plot_run(quick_result, mine)
    assert mine.read_bytes() == b"old"


def test_plot_run_does_not_touch_pyplot_state(quick_result):
    sim_plots().plot_run(quick_result)
    if "matplotlib.pyplot" in sys.modules:
        assert sys.modules["matplotlib.pyplot"].get_fignums() == []


def test_import_sim_does_not_import_matplotlib():
    code = ("import sim, sim.cli.main, sim.cli.plots, sim.plots, sim.report.summary, sys; "
            "print('matplotlib' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize("bad, words", [
    ("afile/run.png", "is not a folder"),
    (".", "is a folder"),
    ("run.pdf", "ending in .png"),
])
def test_bad_png_target_is_a_usage_error(tmp_path, bad, words):
    (tmp_path / "afile").write_text("x")
    with pytest.raises(UsageError, match=words):
        sim_plots().check_png_target(tmp_path / bad)


def test_failed_render_leaves_nothing(tmp_path, quick_result, monkeypatch):
    plots = sim_plots()
    fig = plots.run_figure(quick_result)

    def boom(*a, **k):
        raise RuntimeError("renderer failed")

    monkeypatch.setattr(fig, "savefig", boom)
    with pytest.raises(RuntimeError):
        plots.save_png(fig, tmp_path / "run.png")
    assert list(tmp_path.iterdir()) == []


def test_plot_fan_from_fan_and_from_weekly(tmp_path):
    batch = sim.run_batch(SMALL, reps=3, weeks=6, workers=1, progress=False)
    plots = sim_plots()
    plots.plot_fan(batch.fan, tmp_path / "fan.png")
    assert is_png(tmp_path / "fan.png")
    fig = plots.plot_fan(batch.weekly, tmp_path / "bookings.png", column="bookings_usd")
    assert is_png(tmp_path / "bookings.png")
    assert "ookings" in fig.axes[0].get_title()


def sim_plots():
    from sim import plots

    return plots


# --------------------------------------------------------------------------- CLI


def test_cli_run_plot(tmp_path, capsys):
    out = tmp_path / "run.png"
    rc = main(["run", SMALL, *QUICK, "--plot", str(out)])
    stdout, err = capsys.readouterr()
    assert rc == 0, err
    assert is_png(out)
    assert f"wrote {out}" in stdout
    assert leftovers(tmp_path) == []


def test_cli_run_plot_with_json_keeps_stdout_json(tmp_path, capsys):
    import json

    rc = main(["run", SMALL, *QUICK, "--json", "--plot", str(tmp_path / "run.png")])
    stdout, _ = capsys.readouterr()
    assert rc == 0
    json.loads(stdout)
    assert is_png(tmp_path / "run.png")


@pytest.mark.parametrize("bad", ["afile/run.png", "run.jpg", "."])
def test_cli_run_bad_plot_path_exits_2(tmp_path, capsys, bad):
    (tmp_path / "afile").write_text("x")
    target = tmp_path / bad
    rc = main(["run", SMALL, *QUICK, "--plot", str(target)])
    stdout, err = capsys.readouterr()
    assert rc == 2
    assert "--plot" in err and "Traceback" not in err
    assert stdout == ""  # refused before the run
    assert [p.name for p in tmp_path.iterdir()] == ["afile"]


def test_cli_run_plot_makes_missing_folders(tmp_path, capsys):
    out = tmp_path / "figures" / "new" / "run.png"
    rc = main(["run", SMALL, *QUICK, "--plot", str(out)])
    _, err = capsys.readouterr()
    assert rc == 0, err
    assert is_png(out)


def test_cli_run_bad_plot_path_subprocess_no_traceback(tmp_path):
    (tmp_path / "afile").write_text("x")
    target = tmp_path / "afile" / "run.png"
    proc = subprocess.run([sys.executable, "-m", "sim", "run", SMALL, *QUICK, "--plot", str(target)],
                          capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert "--plot" in proc.stderr and "is not a folder" in proc.stderr
    assert [p.name for p in tmp_path.iterdir()] == ["afile"]


def test_cli_batch_plot(tmp_path, capsys):
    out = tmp_path / "fan.png"
    rc = main(["batch", SMALL, "--reps", "3", "--weeks", "6", "--workers", "1", "--quiet",
               "--out", str(tmp_path / "study"), "--plot", str(out)])
    stdout, err = capsys.readouterr()
    assert rc == 0, err
    assert is_png(out)
    assert f"wrote {out}" in stdout


def test_cli_batch_bad_plot_exits_2_before_the_batch(tmp_path, capsys):
    (tmp_path / "afile").write_text("x")
    rc = main(["batch", SMALL, "--reps", "3", "--weeks", "6", "--workers", "1", "--quiet",
               "--out", str(tmp_path / "study"), "--plot", str(tmp_path / "afile" / "fan.png")])
    _, err = capsys.readouterr()
    assert rc == 2 and "--plot" in err
    assert not (tmp_path / "study").exists()
    rc = main(["batch", SMALL, "--reps", "3", "--no-weekly", "--workers", "1", "--quiet",
               "--out", str(tmp_path / "study"), "--plot", str(tmp_path / "fan.png")])
    _, err = capsys.readouterr()
    assert rc == 2 and "weekly" in err

"""Dask distributed gives the same numbers as the process pool and the serial run.

One LocalCluster (two single-threaded worker processes) for the module,
closed at the end; the batch connects to it by address, which is the path a
user's own cluster takes. ``--dask local`` (a cluster started and closed by
the batch itself) is checked once through the CLI.
"""

from __future__ import annotations

import pandas.testing as pdt
import pytest

from sim.cli.main import main
from sim.experiments import compare, run_batch
from tests.test_batch import deterministic, queued, write_scenario

pytestmark = pytest.mark.dask


@pytest.fixture(scope="module")
def cluster():
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=":0") as c:
        yield c


def test_dask_and_process_pool_give_identical_batches(cluster):
    pool = run_batch(queued(), 12, seed=21, workers=2, chunk_size=2, progress=False)
    dask = run_batch(queued(), 12, seed=21, dask=cluster.scheduler_address, chunk_size=5, progress=False)
    assert dask.study.executor.startswith("dask") and dask.study.workers == 2
    pdt.assert_frame_equal(deterministic(pool.replications), deterministic(dask.replications))
    pdt.assert_frame_equal(pool.weekly, dask.weekly)


def test_dask_comparison_matches_serial(cluster):
    a, b = queued(), queued(headcount=[2, 2, 2])
    serial = compare([a, b], 4, seed=3, executor="serial", progress=False)
    dask = compare([a, b], 4, seed=3, dask=cluster.scheduler_address, progress=False)
    pdt.assert_frame_equal(serial.paired, dask.paired)


def test_cli_dask_local_starts_and_closes_its_own_cluster(tmp_path, capsys):
    path = write_scenario(tmp_path, queued(weeks=2))
    rc = main(["batch", path, "--reps", "4", "--dask", "local", "--workers", "2", "--out", str(tmp_path / "d")])
    out, err = capsys.readouterr()
    assert rc == 0, err
    assert "dask LocalCluster (2 workers)" in out

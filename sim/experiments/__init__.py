"""Experiments layer: Monte Carlo studies built on :func:`sim.run.simulate`.

* :func:`run_batch` -- many replications of one scenario, summarized;
* :func:`compare` -- paired comparison of scenarios with common random numbers;
* :func:`sweep` -- parameter sweeps with global sensitivity and tornado data;
* :func:`compound_study` -- lift every stage conversion by u vs (1+u)^k;
* :func:`factorial` -- a factorial study file: main effects, interactions, findings;
* :func:`plan` -- the cheapest plan that hits targets with probability P.

Four families, one subpackage each:

* :mod:`.runner` -- how replications run and where they go: the driver every
  study shares (:mod:`.runner.driver`), chunks on a serial, process-pool or
  Dask executor (:mod:`.runner.executors`, :mod:`.runner.worker`), seeds per
  replication index (:mod:`.runner.seeds`), Parquet parts with a manifest and
  resume (:mod:`.runner.store`, :mod:`.runner.parts`), KPI rows
  (:mod:`.runner.flatten`) and the progress bar (:mod:`.runner.progress`);
* :mod:`.montecarlo` -- studies of scenarios given on the command line:
  batch, paired comparison, sweep (design, sensitivity), the compound-effect
  study, and the statistics they report (:mod:`.montecarlo.stats`);
* :mod:`.study` -- factorial studies from a study file: the file, the cells,
  effects and plain-language findings;
* :mod:`.planner` -- the capacity planner: decision variables and targets,
  evaluation on demand, the search and the decision.
"""

from sim.experiments.montecarlo.batch import BatchResult, run_batch
from sim.experiments.montecarlo.compare import CompareResult, compare
from sim.experiments.montecarlo.compound import CompoundResult, compound_study
from sim.experiments.montecarlo.stats import fan, probability_of_target, summarize
from sim.experiments.montecarlo.sweep import SweepResult, sweep
from sim.experiments.planner.decision import PlanResult, plan
from sim.experiments.runner.driver import ReplicationFailed, StudyInterrupted
from sim.experiments.study.factorial import FactorialResult, factorial

__all__ = ["BatchResult", "CompareResult", "CompoundResult", "FactorialResult", "PlanResult",
           "ReplicationFailed", "StudyInterrupted", "SweepResult", "compare", "compound_study", "factorial",
           "fan", "plan", "probability_of_target", "run_batch", "summarize", "sweep"]

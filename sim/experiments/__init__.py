"""Experiments layer: Monte Carlo studies built on :func:`sim.run.simulate`.

* :func:`run_batch` -- many replications of one scenario, summarized;
* :func:`compare` -- paired comparison of scenarios with common random numbers;
* :func:`sweep` -- parameter sweeps with global sensitivity and tornado data;
* :func:`compound_study` -- lift every stage conversion by u vs (1+u)^k;
* :func:`factorial` -- a factorial study file: main effects, interactions, findings;
* :func:`plan` -- the cheapest plan that hits targets with probability P.

All share one driver (:mod:`.study`): chunks of replications on a serial,
process-pool or Dask executor (:mod:`.executors`), streamed to Parquet parts
with a manifest and resume (:mod:`.store`), seeds per replication index
(:mod:`.seeds`).
"""

from sim.experiments.batch import BatchResult, run_batch
from sim.experiments.comparison import CompareResult, compare
from sim.experiments.compound import CompoundResult, compound_study
from sim.experiments.factorial import FactorialResult, factorial
from sim.experiments.planner import PlanResult, plan
from sim.experiments.study import ReplicationFailed, StudyInterrupted
from sim.experiments.summary import fan, probability_of_target, summarize
from sim.experiments.sweeps import SweepResult, sweep

__all__ = ["BatchResult", "CompareResult", "CompoundResult", "FactorialResult", "PlanResult",
           "ReplicationFailed", "StudyInterrupted", "SweepResult", "compare", "compound_study", "factorial",
           "fan", "plan", "probability_of_target", "run_batch", "summarize", "sweep"]

"""The planner's search: cheapest plan with P(targets met) >= P, by simulation.

Why this method: each evaluation is a batch of simulations and its answer is
noisy; the variables are integers; a full grid costs (levels ^ variables) x
replications. So the search spends replications where they decide something:

1. **Start** from a Latin hypercube over the level indices (scipy's LHS, from
   the design module, seeded like every design).
2. **Ranking and selection / successive halving.** Every new candidate is
   first screened with half of ``reps_start`` replications: that is enough to
   rank its cost (costs vary little between replications), and a plan dearer
   than the cheapest feasible plan found so far cannot be the answer, so it
   stops there. The others get ``reps_start``. A candidate is *feasible* when the Wilson
   interval of P(targets met) lies above P, *infeasible* when it lies below,
   *uncertain* otherwise. The cheapest uncertain candidate that could still
   beat the incumbent (cheaper than the cheapest feasible plan found so far)
   gets its replications doubled, up to ``max_reps`` (then P-hat decides),
   and so on; dearer ones are not worth refining.
3. **Local search** around the incumbent: one step down in one variable,
   and one-for-one swaps between two variables (fewer of one role, more of
   another), until that neighbourhood is evaluated. With no feasible plan
   yet, one step up or down from the most probable plan. The final plan's
   one-step-up neighbours are added at the end, for the report.
4. **Global proposals** from Optuna's TPE sampler (integer distributions,
   with P - P-hat as its constraint), told about every evaluation, until
   ``patience`` proposals in a row bring no cheaper feasible plan, every
   plan has been seen, or the simulation budget is spent. The budget is a cap: the
   evaluator runs no block that would go over it (the re-check included).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field

import numpy as np

from sim.experiments.montecarlo.design import Param, design_matrix
from sim.experiments.planner.evaluate import Estimate, Evaluator, Key


@dataclass
class Settings:
    """How hard the search works. ``max_reps`` is rounded up to whole blocks of ``screen``."""

    probability: float
    reps_start: int = 8
    max_reps: int = 64
    initial: int | None = None  # LHS candidates (default 2 * variables + 2)
    patience: int = 8
    batch: int = 4
    budget: int = 5000  # simulations
    seed: int = 0

    @property
    def screen(self) -> int:
        """Replications of a new candidate's first look (and the size of a block)."""
        return max(1, self.reps_start // 2)


@dataclass
class SearchLog:
    """Why the search stopped, and in which order candidates were found."""

    stop: str = ""
    order: list[Key] = field(default_factory=list)
    found_by: dict[Key, str] = field(default_factory=dict)
    rounds: int = 0


def status(e: Estimate, s: Settings) -> str:
    """``feasible``, ``infeasible`` or ``uncertain`` (only below ``max_reps``)."""
    if e.n == 0 or math.isnan(e.p):
        return "uncertain" if e.n < s.max_reps else "infeasible"
    if e.n >= s.max_reps:
        return "feasible" if e.p >= s.probability else "infeasible"
    if e.lo >= s.probability:
        return "feasible"
    if e.hi < s.probability:
        return "infeasible"
    return "uncertain"


class Search:
    """One search over an :class:`Evaluator`'s space."""

    def __init__(self, ev: Evaluator, settings: Settings) -> None:
        self.ev, self.s = ev, settings
        self.shape = ev.space.shape
        self.log = SearchLog()
        self._study = None

    # ------------------------------------------------------------------ state
    def est(self, key: Key) -> Estimate:
        return self.ev.estimate(key)

    def feasible(self) -> list[Estimate]:
        """Feasible candidates, cheapest first."""
        out = [e for e in map(self.est, self.log.order) if status(e, self.s) == "feasible"]
        return sorted(out, key=lambda e: (e.objective, -e.p, e.key))

    def incumbent(self) -> Estimate | None:
        f = self.feasible()
        return f[0] if f else None

    def neighbours(self, key: Key, swaps: bool = True, up: bool = True) -> list[Key]:
        """One step in one variable (only down without ``up``), then (with ``swaps``) one down
        in one variable and one up in another."""
        out = []
        for i, n in enumerate(self.shape):
            for d in ((-1, 1) if up else (-1,)):
                if 0 <= key[i] + d < n:
                    out.append(key[:i] + (key[i] + d,) + key[i + 1:])
        if swaps:
            for i in range(len(key)):
                for j in range(len(key)):
                    if i != j and key[i] > 0 and key[j] + 1 < self.shape[j]:
                        k = list(key)
                        k[i] -= 1
                        k[j] += 1
                        out.append(tuple(k))
        return out

    # ------------------------------------------------------------------ steps
    def _spent(self) -> bool:
        return self.ev.exhausted or self.ev.simulations + self.ev.resumed >= self.s.budget

    def _add(self, keys: list[Key], how: str) -> list[Key]:
        new = [k for k in dict.fromkeys(keys) if k not in self.log.found_by]
        for k in new:
            self.log.found_by[k] = how
            self.log.order.append(k)
        if new:
            self._evaluate(new)
            self._tell(new)
        return new

    def _evaluate(self, keys: list[Key]) -> None:
        """Screen new candidates; give ``reps_start`` to those that could beat the incumbent."""
        self.ev.ensure({k: self.s.screen for k in keys})
        inc = self.incumbent()
        go = [k for k in keys if inc is None or self.est(k).objective < inc.objective]
        if go:
            self.ev.ensure({k: self.s.reps_start for k in go})

    def _refine(self) -> bool:
        """Double the replications of the cheapest uncertain candidate that could beat the
        incumbent: settling the cheapest first makes the dearer ones not worth settling."""
        if self._spent():
            return False
        inc = self.incumbent()
        open_ = [e for e in map(self.est, self.log.order)
                 if status(e, self.s) == "uncertain" and e.n < self.s.max_reps
                 and (inc is None or e.objective < inc.objective)]
        if not open_:
            return False
        e = min(open_, key=lambda x: (x.objective, x.key))
        self.ev.ensure({e.key: min(self.s.reps_start if e.n < self.s.reps_start else 2 * e.n, self.s.max_reps)})
        return True

    def _local(self) -> bool:
        inc = self.incumbent()
        if inc is not None:  # look for something cheaper: one step down, or a one-for-one swap
            return bool(self._add(self.neighbours(inc.key, up=False), "local"))
        ests = [self.est(k) for k in self.log.order]  # no feasible plan yet: climb from the most probable
        centre = max(ests, key=lambda e: (e.p, -e.objective)).key
        return bool(self._add(self.neighbours(centre), "local"))

    # ------------------------------------------------------------------ optuna
    def _optuna(self):
        import optuna

        if self._study is None:
            optuna.logging.set_verbosity(optuna.logging.WARNING)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # constraints_func is experimental in some versions
                sampler = optuna.samplers.TPESampler(
                    seed=self.s.seed, n_startup_trials=0, multivariate=True,
                    constraints_func=lambda t: (t.user_attrs["gap"],))
            self._study = optuna.create_study(direction="minimize", sampler=sampler)
            self._dists = {v.name: optuna.distributions.IntDistribution(0, n - 1)
                           for v, n in zip(self.ev.space.variables, self.shape, strict=True)}
        return self._study

    def _tell(self, keys: list[Key]) -> None:
        study = self._optuna()
        names = list(self._dists)
        for k in keys:
            study.enqueue_trial(dict(zip(names, k, strict=True)))
            trial = study.ask(self._dists)
            self._finish(trial, k)

    def _finish(self, trial, key: Key) -> None:
        e = self.est(key)
        trial.set_user_attr("gap", float(self.s.probability - (0.0 if math.isnan(e.p) else e.p)))
        value = e.objective if math.isfinite(e.objective) else 1e300
        self._optuna().tell(trial, value)  # the study _tell made

    def _propose(self) -> tuple[list[Key], int]:
        """Ask TPE for a batch; return the new candidates and how many proposals were repeats."""

        study = self._optuna()
        names = list(self._dists)
        asked: dict[Key, object] = {}
        again: list[tuple[object, Key]] = []  # proposed twice in this batch: told once it is known
        repeats = 0
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for _ in range(self.s.batch):
                trial = study.ask(self._dists)
                key = tuple(int(trial.params[n]) for n in names)
                if key in self.log.found_by:
                    repeats += 1
                    self._finish(trial, key)  # told again: TPE learns it is known
                elif key in asked:
                    repeats += 1
                    again.append((trial, key))
                else:
                    asked[key] = trial
        for k in asked:
            self.log.found_by[k] = "tpe"
            self.log.order.append(k)
        if asked:
            self._evaluate(list(asked))
        for k, trial in [*asked.items(), *((k, t) for t, k in again)]:
            self._finish(trial, k)
        return list(asked), repeats

    # ------------------------------------------------------------------ the loop
    def initial_keys(self) -> list[Key]:
        d = len(self.shape)
        n = min(self.s.initial or 2 * d + 2, self.ev.space.size)
        params = [Param(f"x{i}", 0, m - 1 if m > 1 else 1, 1, True) for i, m in enumerate(self.shape)]
        _, snapped = design_matrix(params, "lhs", n, self.s.seed)
        return [tuple(min(int(x), m - 1) for x, m in zip(row, self.shape, strict=True)) for row in snapped]

    def run(self) -> SearchLog:
        self._add(self.initial_keys(), "lhs")
        idle = 0
        while True:
            self.log.rounds += 1
            if self._spent():
                self.log.stop = f"simulation budget spent ({self.s.budget})"
                break
            if self._refine() or self._local():
                continue
            if len(self.log.order) >= self.ev.space.size:
                self.log.stop = "every plan evaluated"
                break
            if idle >= self.s.patience:
                self.log.stop = (f"local optimum; {self.s.patience} further proposals brought no "
                                 "cheaper feasible plan")
                break
            before = self.incumbent()
            new, repeats = self._propose()
            while self._refine():  # settle the new candidates before judging them
                pass
            after = self.incumbent()
            improved = after is not None and (before is None or after.objective < before.objective)
            idle = 0 if improved else idle + len(new) + repeats
        return self.log

    def run_grid(self) -> SearchLog:
        """Every plan with ``max_reps`` replications: the exhaustive baseline."""
        keys = grid_keys(self.shape)
        for k in keys:
            self.log.found_by[k] = "grid"
            self.log.order.append(k)
        self.ev.ensure({k: self.s.max_reps for k in keys})
        self.log.stop = "every plan evaluated (grid)"
        return self.log

    def polish(self, key: Key, rounds: int = 20) -> Key:
        """From ``key``, evaluate every one-step and one-for-one swap neighbour with ``reps_start``
        replications (the incumbent's own, under common random numbers) and move to the best
        feasible one that beats it, until none does (or ``rounds`` moves): a plan no one-step
        change improves on the same replications. Returns the final plan's key."""
        for _ in range(rounds):
            keys = self.neighbours(key)
            self._add(keys, "polish")
            self.ev.ensure({k: self.s.reps_start for k in [key, *keys]})
            here = self.est(key)
            better = [e for e in map(self.est, keys) if status(e, self.s) == "feasible"
                      and e.objective < here.objective]
            if not better or self._spent():
                break
            key = min(better, key=lambda e: (e.objective, e.key)).key
        return key

    def finish_neighbours(self, key: Key) -> None:
        """Make sure every one-step neighbour of ``key`` has at least ``reps_start`` replications."""
        keys = self.neighbours(key, swaps=False)
        self._add(keys, "neighbour")
        self.ev.ensure({k: self.s.reps_start for k in keys})


def grid_keys(shape: tuple[int, ...]) -> list[Key]:
    """Every candidate of the space (for the exhaustive baseline)."""
    return [tuple(int(i) for i in k) for k in np.ndindex(*shape)]

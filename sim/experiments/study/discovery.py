"""What a verdict over plausible worlds says: how often, why, and when it flips.

A robust study (:mod:`.robust`) evaluates two designs in each of N sampled
worlds (:mod:`.worlds`) under common random numbers. For a pair of designs this
module answers the three questions a skeptical reader asks:

* **How often does B beat A?** The share of worlds in which B's mean objective
  is above A's, with a Wilson score interval over the worlds
  (:func:`p_beats`): the worlds are a sample of the plausible range, so the
  interval is about that sampling, not about the replications' noise (common
  random numbers keep that small; each world's own paired interval is kept in
  the tables).
* **Which assumption moves the verdict?** A global, first-order sensitivity
  index of the difference B - A to each assumption (:func:`sensitivity`):
  SALib's RBD-FAST, which reads the indices off the Latin hypercube sample the
  worlds already are (no extra simulations, unlike Sobol's Saltelli design).
  An index is the share of the difference's variance an assumption explains
  alone; with few worlds the estimate is rough, so its bootstrap interval is
  reported with it.
* **When does it flip?** A shallow decision tree (scikit-learn, depth 2 by
  default) that predicts "B beats A" from the assumptions; each leaf is a box
  of thresholds ("learning exponent <= 0.22 and leaver share > 0.4") with the
  worlds it holds and the share in which B wins (:func:`flip_conditions`).
  Scenario discovery's usual tool is PRIM (EMA Workbench); a depth-2 tree
  gives the same kind of readable boxes, covers every world (no box left
  undescribed), and comes from a well-kept library; both need the ``robust``
  extra's scikit-learn only here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from sim.experiments.planner.evaluate import wilson


@dataclass(frozen=True)
class Beats:
    """P(B beats A) over worlds: ``wins`` of ``n`` worlds, the share and its Wilson interval."""

    wins: int
    n: int
    p: float
    lo: float
    hi: float
    ties: int = 0


def p_beats(a: np.ndarray, b: np.ndarray, confidence: float = 0.95, higher_is_better: bool = True) -> Beats:
    """Share of worlds in which ``b`` beats ``a`` (per-world means, same worlds in the same order).

    A tie (equal means, e.g. two designs that chose the same layout) counts as half a win
    for the point estimate and is left out of neither count: the interval is taken at
    the rounded-down number of wins, so ties never make B look surer than it is."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if a.shape != b.shape:
        raise ValueError(f"a and b must hold the same worlds, got {a.shape} and {b.shape}")
    ok = np.isfinite(a) & np.isfinite(b)
    a, b = a[ok], b[ok]
    d = (b - a) if higher_is_better else (a - b)
    wins, ties, n = int((d > 0).sum()), int((d == 0).sum()), len(d)
    p = (wins + 0.5 * ties) / n if n else math.nan
    lo, _ = wilson(wins, n, confidence)
    _, hi = wilson(wins + ties, n, confidence)
    return Beats(wins, n, p, lo, hi, ties)


@dataclass(frozen=True)
class Index:
    """First-order sensitivity of the verdict's margin to one assumption."""

    name: str
    s1: float
    conf: float


def sensitivity(x: np.ndarray, y: np.ndarray, names: list[str], bounds: list[tuple[float, float]],
                seed: int = 0) -> list[Index]:
    """RBD-FAST first-order indices of ``y`` to each column of ``x`` (the worlds' assumptions),
    largest first. ``x`` should be a Latin hypercube (the worlds are one). Needs SALib (the
    ``studies`` extra)."""
    from SALib.analyze import rbd_fast

    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    ok = np.isfinite(y)
    x, y = x[ok], y[ok]
    if len(y) < 10 or float(np.std(y)) == 0.0:
        return [Index(n, math.nan, math.nan) for n in names]
    m = max(1, min(4, (len(y) - 1) // 2 - 1))  # harmonics: RBD-FAST needs N > 2M
    problem = {"num_vars": len(names), "names": list(names), "bounds": [list(b) for b in bounds]}
    res = rbd_fast.analyze(problem, x, y, M=m, seed=seed, print_to_console=False)
    out = [Index(n, float(s), float(c)) for n, s, c in zip(names, res["S1"], res["S1_conf"], strict=True)]
    return sorted(out, key=lambda i: -(i.s1 if math.isfinite(i.s1) else -1))


@dataclass(frozen=True)
class Box:
    """One leaf of the flip tree: the thresholds that define it and what the worlds in it say."""

    rules: tuple[tuple[str, str, float], ...]  # (assumption, "<=" or ">", threshold)
    worlds: int
    share: float  # share of the box's worlds in which B beats A
    verdict: bool  # the tree's prediction: B beats A

    def text(self, label=lambda name: name, fmt=lambda name, v: f"{v:.3g}") -> str:
        if not self.rules:
            return "every world"
        return " and ".join(f"{label(n)} {op} {fmt(n, v)}" for n, op, v in self.rules)


@dataclass
class Flip:
    """The flip conditions: boxes of a shallow tree, and how well they describe the worlds."""

    boxes: list[Box] = field(default_factory=list)
    accuracy: float = math.nan  # share of worlds the boxes classify right
    base_rate: float = math.nan  # share of worlds in which B beats A

    @property
    def flips(self) -> bool:
        """Whether the verdict differs between boxes (else no assumption flips it)."""
        return len({b.verdict for b in self.boxes}) > 1


def flip_conditions(x: np.ndarray, wins: np.ndarray, names: list[str], depth: int = 2,
                    min_leaf: int | None = None, seed: int = 0) -> Flip:
    """A depth-``depth`` decision tree of ``wins`` (B beats A) on the assumptions ``x``.

    ``min_leaf`` (default: a tenth of the worlds, at least 2) keeps boxes from being one
    world wide. All worlds win, or none: one box, "every world". Needs scikit-learn
    (the ``robust`` extra)."""
    from sklearn.tree import DecisionTreeClassifier

    x, wins = np.asarray(x, dtype=float), np.asarray(wins, dtype=bool)
    n = len(wins)
    base = float(wins.mean()) if n else math.nan
    if n == 0 or wins.all() or not wins.any():
        return Flip([Box((), n, base, bool(n and wins.all()))], 1.0 if n else math.nan, base)
    leaf = max(2, n // 10) if min_leaf is None else min_leaf
    tree = DecisionTreeClassifier(max_depth=depth, min_samples_leaf=leaf, random_state=seed).fit(x, wins)
    t = tree.tree_
    classes = list(tree.classes_)
    boxes: list[Box] = []

    def walk(node: int, rules: tuple) -> None:
        if t.children_left[node] == -1:  # a leaf
            held = t.value[node][0]
            counts = held / held.sum() if held.sum() else held
            share = float(counts[classes.index(True)]) if True in classes else 0.0
            boxes.append(Box(rules, int(t.n_node_samples[node]), share, share > 0.5))
            return
        name, thr = names[t.feature[node]], float(t.threshold[node])
        walk(t.children_left[node], rules + ((name, "<=", thr),))
        walk(t.children_right[node], rules + ((name, ">", thr),))

    walk(0, ())
    accuracy = float((tree.predict(x) == wins).mean())
    return Flip(_merged(boxes), accuracy, base)


def _merged(boxes: list[Box]) -> list[Box]:
    """Sibling leaves with the same verdict read as their parent's box (a split that changes
    nothing is no flip condition); repeated until nothing merges."""
    changed = True
    while changed:
        changed = False
        for i in range(len(boxes) - 1):
            a, b = boxes[i], boxes[i + 1]
            if (a.verdict == b.verdict and a.rules and b.rules and a.rules[:-1] == b.rules[:-1]
                    and a.rules[-1][0] == b.rules[-1][0] and a.rules[-1][2] == b.rules[-1][2]):
                worlds = a.worlds + b.worlds
                share = (a.share * a.worlds + b.share * b.worlds) / worlds
                boxes[i:i + 2] = [Box(a.rules[:-1], worlds, share, a.verdict)]
                changed = True
                break
    return boxes

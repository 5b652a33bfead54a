"""Piecewise-linear curves evaluated on the per-lead path (no numpy call per point)."""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Sequence


class Piecewise:
    """y(x) by linear interpolation between points; flat beyond the ends."""

    __slots__ = ("xs", "ys")

    def __init__(self, points: Sequence[tuple[float, float]]):
        self.xs = [float(x) for x, _ in points]
        self.ys = [float(y) for _, y in points]

    def first_above(self, level: float) -> float:
        """The least ``x >= 0`` beyond which ``y(x) > level`` (``inf`` if never): the
        wait at which a customer whose draw is ``level`` gives up."""
        xs, ys = self.xs, self.ys
        if ys[0] > level:
            return 0.0
        for i in range(1, len(xs)):
            if ys[i] > level:
                return xs[i - 1] + (level - ys[i - 1]) / (ys[i] - ys[i - 1]) * (xs[i] - xs[i - 1])
        return math.inf

    def __call__(self, x: float) -> float:
        xs, ys = self.xs, self.ys
        i = bisect_right(xs, x)
        if i == 0:
            return ys[0]
        if i == len(xs):
            return ys[-1]
        x0, x1 = xs[i - 1], xs[i]
        return ys[i - 1] + (ys[i] - ys[i - 1]) * (x - x0) / (x1 - x0)

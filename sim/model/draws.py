"""Fast scalar draws for the per-event path.

A numpy call per draw costs ~1.2 us; taking the next value of a block drawn in
one vectorized call costs ~0.15 us. Every sampler here is a zero-argument
callable backed by such blocks. Blocks are consumed in order, so a run stays
reproducible: the k-th draw of a stream is the same whatever else happens.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from functools import partial
from itertools import chain, repeat

import numpy as np

from sim.scenario import distributions as d

BLOCK = 1024

Draw = Callable[[], float]


def _blocks(fill: Callable[[int], np.ndarray], size: int) -> Iterator[float]:
    """The values of ``fill(size)``, ``fill(size)``, ... in order, each block made when the
    one before is used up (iterated in C: no Python frame per value)."""
    return chain.from_iterable(map(lambda n: fill(n).tolist(), repeat(size)))


def block_draw(fill: Callable[[int], np.ndarray], size: int = BLOCK) -> Draw:
    """A callable returning one value at a time from blocks made by ``fill(n)``."""
    return partial(next, _blocks(fill, size))


def constant(value: float) -> Draw:
    return partial(float, value)


def uniform01(rng: np.random.Generator, size: int = BLOCK) -> Draw:
    return block_draw(rng.random, size)


def exponential_gaps(rng: np.random.Generator, mean: float, size: int = BLOCK) -> Draw:
    """Exponential gaps of ``mean`` days (a Poisson stream's), drawn ``size`` at a time."""
    return block_draw(lambda n: rng.exponential(mean, n), size)


def sampler(spec: d.Constant | d.Exponential | d.LogNormal | d.Gamma | d.Uniform | d.Triangular | d.Beta | d.Pareto
            | d.LogNormalMixture,
            rng: np.random.Generator | None, scale: float = 1.0, size: int = BLOCK) -> Draw:
    """A draw function for a distribution spec, with values multiplied by ``scale``.

    ``rng`` may be None only for a constant (which consumes no random numbers,
    so switching a duration between constant and random disturbs no stream
    but its own).
    """
    if isinstance(spec, d.Constant) or scale == 0:  # (a zero scale: no role works the step)
        return constant(spec.mean() * scale if isinstance(spec, d.Constant) else 0.0)
    if rng is None:
        raise ValueError("a random distribution needs a generator")
    if isinstance(spec, d.Exponential):
        m = spec.mean_value * scale
        return block_draw(lambda n: rng.exponential(m, n), size)
    if isinstance(spec, d.LogNormal):
        mu, s = math.log(spec.median * scale), spec.sigma
        return block_draw(lambda n: rng.lognormal(mu, s, n), size)
    if isinstance(spec, d.Gamma):
        shape = 1.0 / spec.cv**2
        theta = spec.mean_value * scale / shape
        return block_draw(lambda n: rng.gamma(shape, theta, n), size)
    if isinstance(spec, d.Uniform):
        lo, hi = spec.low * scale, spec.high * scale
        return block_draw(lambda n: rng.uniform(lo, hi, n), size)
    if isinstance(spec, d.Triangular):
        lo, mo, hi = spec.low * scale, spec.mode * scale, spec.high * scale
        return block_draw(lambda n: rng.triangular(lo, mo, hi, n), size)
    if isinstance(spec, d.Beta):
        a = spec.mean_value * spec.concentration
        b = (1 - spec.mean_value) * spec.concentration
        return block_draw(lambda n: rng.beta(a, b, n) * scale, size)
    if isinstance(spec, d.Pareto):
        a, m = spec.alpha, spec.minimum * scale
        return block_draw(lambda n: (rng.pareto(a, n) + 1.0) * m, size)
    if isinstance(spec, d.LogNormalMixture):
        w = np.array([c.weight for c in spec.components])
        cum = np.cumsum(w / w.sum())
        cum[-1] = 1.0
        mus = np.log(np.array([c.median * scale for c in spec.components]))
        sig = np.array([c.sigma for c in spec.components])

        def mix(n: int) -> np.ndarray:
            i = np.minimum(np.searchsorted(cum, rng.random(n), side="right"), len(cum) - 1)
            return np.exp(mus[i] + sig[i] * rng.standard_normal(n))

        return block_draw(mix, size)
    raise TypeError(f"unknown distribution {spec!r}")  # pragma: no cover


def is_zero(spec) -> bool:
    """True for a constant 0 (lets the engine skip a no-op timeout)."""
    return isinstance(spec, d.Constant) and spec.value == 0

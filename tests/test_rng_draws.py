"""Random streams and the block samplers behind every draw."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from sim.model.draws import sampler
from sim.model.rng import Streams
from sim.scenario import distributions as d


def test_named_streams_are_reproducible_and_distinct():
    a = Streams(42).generator("arrivals/web").random(5)
    b = Streams(42).generator("arrivals/web").random(5)
    c = Streams(42).generator("arrivals/partner").random(5)
    e = Streams(43).generator("arrivals/web").random(5)
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)
    assert not np.array_equal(a, e)


def test_stream_does_not_depend_on_other_streams_issued():
    s1 = Streams(7)
    s1.generator("x")
    late = s1.generator("conversion/a").random(3)
    assert np.array_equal(late, Streams(7).generator("conversion/a").random(3))


def test_a_stream_cannot_be_issued_twice():
    s = Streams(1)
    s.generator("acv/smb")
    with pytest.raises(ValueError, match="twice"):
        s.generator("acv/smb")


def test_spawned_seed_sequences_give_distinct_runs():
    children = np.random.SeedSequence(5).spawn(2)
    x = Streams(children[0]).generator("a").random(3)
    y = Streams(children[1]).generator("a").random(3)
    assert not np.array_equal(x, y)


SPECS = [
    d.Exponential(dist="exponential", mean=2.0),
    d.LogNormal(dist="lognormal", median=10.0, sigma=0.5),
    d.Gamma(dist="gamma", mean=3.0, cv=0.5),
    d.Uniform(dist="uniform", low=1.0, high=3.0),
    d.Triangular(dist="triangular", low=0.0, mode=1.0, high=5.0),
    d.Beta(dist="beta", mean=0.2, concentration=10),
    d.Pareto(dist="pareto", alpha=3.0, minimum=1.0),
]


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.dist)
def test_sampler_mean_matches_spec(spec):
    draw = sampler(spec, np.random.default_rng(3), scale=2.0, size=100)
    x = np.array([draw() for _ in range(20_000)])  # crosses many block refills
    res = stats.ttest_1samp(x, spec.mean() * 2.0)
    assert res.pvalue > 0.001, (x.mean(), spec.mean() * 2)


def test_blocks_do_not_change_the_sequence():
    """The k-th draw is the same whatever the block size: blocks are only a cache."""
    spec = d.Exponential(dist="exponential", mean=1.0)
    small = sampler(spec, np.random.default_rng(9), size=7)
    large = sampler(spec, np.random.default_rng(9), size=1000)
    x = [small() for _ in range(50)]
    assert len(set(x)) == 50
    assert x == [large() for _ in range(50)]
    assert np.allclose(x, np.random.default_rng(9).exponential(1.0, 50))


def test_constant_needs_no_generator():
    draw = sampler(d.Constant(value=4.0), None, scale=0.5)
    assert draw() == 2.0 and draw() == 2.0

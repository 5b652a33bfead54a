"""P(B beats A) over worlds, the sensitivity index and the flip conditions, on cases with known answers."""

from __future__ import annotations

import numpy as np
import pytest

from sim.experiments.study.discovery import flip_conditions, p_beats, sensitivity


def test_p_beats_counts_worlds_and_gives_the_wilson_interval():
    # B beats A in 3 of 4 worlds. Wilson 95% by hand: z = 1.95996, p = 0.75, n = 4:
    # centre (p + z^2/2n) / (1 + z^2/n) = 1.230183 / 1.960365 = 0.627524,
    # half-width z sqrt(p(1-p)/n + z^2/4n^2) / (1 + z^2/n) = 1.95996 * 0.326952 / 1.960365 = 0.326884
    a = np.array([1.0, 2.0, 3.0, 4.0])
    b = np.array([2.0, 3.0, 4.0, 3.0])
    r = p_beats(a, b)
    assert (r.wins, r.n, r.ties) == (3, 4, 0)
    assert r.p == 0.75
    assert r.lo == pytest.approx(0.627524 - 0.326884, abs=2e-4)
    assert r.hi == pytest.approx(0.627524 + 0.326884, abs=2e-4)
    # lower is better: B 'beats' A only where it is lower (the last world)
    assert p_beats(a, b, higher_is_better=False).wins == 1


def test_p_beats_counts_a_tie_as_half_and_widens_the_interval():
    r = p_beats(np.array([1.0, 1.0]), np.array([1.0, 2.0]))
    assert (r.wins, r.ties, r.p) == (1, 1, 0.75)
    one, two = p_beats(np.array([1.0, 1.0]), np.array([0.0, 2.0])), p_beats(np.array([1.0, 1.0]), np.array([2.0, 2.0]))
    assert r.lo == pytest.approx(one.lo) and r.hi == pytest.approx(two.hi)


def test_p_beats_leaves_out_failed_worlds():
    r = p_beats(np.array([1.0, np.nan, 1.0]), np.array([2.0, 5.0, 0.0]))
    assert (r.wins, r.n) == (1, 2)


def test_sensitivity_finds_the_assumption_that_drives_the_margin():
    # y = 4 x0 + x1 + 0 x2 on U(0,1)^3: S1 = 16/17, 1/17, 0
    from scipy.stats import qmc

    x = qmc.LatinHypercube(d=3, seed=3).random(512)
    y = 4 * x[:, 0] + x[:, 1]
    idx = {i.name: i for i in sensitivity(x, y, ["a", "b", "c"], [(0, 1)] * 3)}
    assert idx["a"].s1 == pytest.approx(16 / 17, abs=0.1)
    assert idx["b"].s1 == pytest.approx(1 / 17, abs=0.1)
    assert abs(idx["c"].s1) < 0.1
    assert [i.name for i in sensitivity(x, y, ["a", "b", "c"], [(0, 1)] * 3)][0] == "a"


def test_sensitivity_of_a_constant_margin_is_undefined_not_zero():
    x = np.random.default_rng(0).random((20, 2))
    assert all(np.isnan(i.s1) for i in sensitivity(x, np.ones(20), ["a", "b"], [(0, 1)] * 2))


def test_flip_conditions_recover_a_known_box():
    # B wins exactly when x0 > 0.6 and x1 <= 0.3 (x2 is noise): the tree's boxes name those
    # thresholds, and the winning box is that one
    x = np.random.default_rng(1).random((400, 3))
    wins = (x[:, 0] > 0.6) & (x[:, 1] <= 0.3)
    f = flip_conditions(x, wins, ["a", "b", "c"])
    assert f.flips and f.accuracy > 0.97
    winning = [b for b in f.boxes if b.verdict]
    assert len(winning) == 1
    rules = {(n, op): v for n, op, v in winning[0].rules}
    assert set(rules) == {("a", ">"), ("b", "<=")}
    assert rules[("a", ">")] == pytest.approx(0.6, abs=0.03)
    assert rules[("b", "<=")] == pytest.approx(0.3, abs=0.03)
    assert winning[0].share > 0.95
    assert "a > 0.6" in winning[0].text(fmt=lambda n, v: f"{v:.1f}")


def test_flip_conditions_merge_leaves_that_say_the_same():
    # one threshold decides, up to 10% noise: the depth-2 tree splits each side again to chase
    # the noise, but those splits change no verdict, so they are no flip condition
    rng = np.random.default_rng(2)
    x = rng.random((200, 2))
    f = flip_conditions(x, (x[:, 1] > 0.5) ^ (rng.random(200) < 0.1), ["a", "b"])
    assert len(f.boxes) == 2
    assert {b.rules[0][:2] for b in f.boxes} == {("b", "<="), ("b", ">")}


def test_no_flip_when_one_design_always_wins():
    x = np.random.default_rng(3).random((10, 2))
    f = flip_conditions(x, np.ones(10, dtype=bool), ["a", "b"])
    assert not f.flips and f.boxes[0].text() == "every world" and f.base_rate == 1.0

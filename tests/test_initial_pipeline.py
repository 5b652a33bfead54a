"""The engine's initial state (scenario key ``initial_pipeline``, sim/model/pipeline.py): open deals
enter at time 0 in their stage, the customer's time left in it drawn given their age, owned by the
named rep; bad rows exit 2 at their row and column; the lint flags stale deals; the run summary
splits the bookings between the open pipeline and the new leads; without the key nothing moves."""

from __future__ import annotations

import copy

import numpy as np
import pytest
from scipy import stats

import sim
from sim.cli.main import main
from sim.model.pipeline import remaining
from sim.scenario.distributions import Constant, Exponential, Gamma, LogNormal
from sim.scenario.lint import lint
from tests.conftest import SCENARIOS, chain


def funnel(deals, *, rate=0.0, weeks=4, elapsed=None, headcount=None, owns=False):
    """s0 -> s1 -> s2 (the win): no arrivals unless ``rate``, the step into s2 taking ``elapsed`` days."""
    data = chain([0.5, 0.8], rate_per_week=rate, headcount=headcount)
    data["horizon_weeks"] = weeks
    if elapsed is not None:
        data["segments"]["only"]["steps"]["s2"]["elapsed_days"] = elapsed
    if owns:
        data["roles"]["r2"].update(owns_leads=True, max_open_per_rep=50)
    data["initial_pipeline"] = deals
    return data


def test_remaining_time_is_drawn_given_the_age():
    u = np.random.default_rng(1).random(200_000)
    spec = Gamma(dist="gamma", mean=10.0, cv=0.6)
    g = stats.gamma(1 / 0.36, scale=10 * 0.36)
    for age in (0.0, 5.0, 20.0):
        total = age + remaining(spec, np.full(u.size, age), u)
        assert total.min() >= age
        want = g.expect(lambda x: x, lb=age, conditional=True)  # E[X | X > age]
        assert total.mean() == pytest.approx(want, rel=0.01)
    # memoryless: the age changes nothing; a constant: what is left of it
    expo = remaining(Exponential(dist="exponential", mean=7.0), np.full(u.size, 30.0), u)
    assert expo.mean() == pytest.approx(7.0, rel=0.01)
    assert list(remaining(Constant(value=10.0), np.array([3.0, 12.0]), u[:2])) == [7.0, 0.0]
    # beyond every time the distribution allows: nothing left (not a fresh draw)
    far = remaining(LogNormal(dist="lognormal", median=5.0, sigma=0.1), np.full(10, 1e6), u[:10])
    assert np.all(far == 0.0)


def test_open_deals_are_worked_from_their_stage_and_booked_apart():
    deals = [{"stage": "s1", "age_days": 0, "amount_usd": 20000}] * 50
    r = sim.simulate(sim.validate_data(funnel(deals, rate=10.0)), seed=3)
    p = r.kpis["initial_pipeline"]
    assert p["deals"] == 50 and p["value_usd"] == 1_000_000
    assert p["won"] + p["lost"] == 50 and p["open_at_end"] == 0
    # s1 -> s2 converts at 0.8 (the step into s1 is behind them: not drawn again)
    assert 0.6 < p["win_rate"] < 0.95
    assert p["bookings_usd"] == pytest.approx(20000 * p["won"])
    assert p["bookings_usd"] + p["bookings_from_new_leads_usd"] == pytest.approx(r.kpis["bookings_usd"])
    # the deals are in s1 at the start: entries of s1 count them, s0 only the new leads
    stages = {s["stage"]: s for s in r.kpis["stages"]}
    new = r.kpis["leads_created"] - 50
    assert stages["s0"]["entered"] == new and stages["s1"]["entered"] >= 50


def test_the_age_decides_when_an_open_deal_moves_on():
    """The step into s2 takes gamma(mean 30, cv 0.3) days: in a 2-week run, fresh deals rarely get there,
    deals already 35 days in the stage mostly do. Drawing the time afresh (ignoring the age) fails this."""
    elapsed = {"dist": "gamma", "mean": 30.0, "cv": 0.3}

    def decided(age):
        data = funnel([{"stage": "s1", "age_days": age}] * 200, weeks=2, elapsed=elapsed)
        p = sim.simulate(sim.validate_data(data), seed=5).kpis["initial_pipeline"]
        return (p["won"] + p["lost"]) / p["deals"]

    assert decided(0) < 0.05
    assert decided(35) > 0.7


def test_the_named_rep_owns_the_deal():
    deals = [{"stage": "s1", "owner": "r2", "rep": 1, "amount_usd": 1000}] * 30
    r = sim.simulate(sim.validate_data(funnel(deals, headcount=[2, 2], owns=True)), seed=2)
    wins = {(x["role"], x["rep"]): x["wins"] for x in r.kpis["reps"]}
    assert wins[("r2", 1)] == r.kpis["initial_pipeline"]["won"] > 0
    assert wins.get(("r2", 0), 0) == 0


def test_without_the_key_the_draws_are_the_same(small_team):
    short = small_team.model_copy(update={"horizon_weeks": 8})
    a = sim.simulate(short, seed=4).kpis
    b = sim.simulate(short.model_copy(update={"initial_pipeline": []}), seed=4).kpis
    assert "initial_pipeline" not in a and a == b
    # switched on, the open deals add their bookings (and move every later draw of the AEs' queue)
    on = short.model_copy(update={"initial_pipeline": sim.validate_data(
        {**copy.deepcopy(short.model_dump(mode="json", by_alias=True, exclude_none=True)),
         "initial_pipeline": [{"stage": "negotiation", "age_days": 3, "segment": "smb", "source": "website",
                               "amount_usd": 25000}] * 20}).initial_pipeline})
    c = sim.simulate(on, seed=4).kpis
    assert c["initial_pipeline"]["won"] > 0 and c["leads_created"] == a["leads_created"] + 20


def test_summary_reports_the_open_pipeline(tmp_path, capsys):
    (tmp_path / "open.csv").write_text("stage,age_days,amount_usd\ns1,2,5000\ns1,4,7000\n")
    data = funnel("open.csv", rate=5.0)
    import yaml
    (tmp_path / "s.yaml").write_text(yaml.safe_dump(data))
    assert main(["run", str(tmp_path / "s.yaml"), "--seed", "1"]) == 0
    out = capsys.readouterr().out
    assert "Open pipeline at the start" in out and "open deals at start  2 worth $12" in out
    assert "from the open pipeline" in out


@pytest.mark.parametrize(("csv", "where", "what"), [
    ("stage,age_days\ns1,3\ns1,old\n", "open.csv:3: initial_pipeline.1.age_days", "expected a number"),
    ("stage,age_days\ns2,3\n", "open.csv:2: initial_pipeline.0.stage", "open stage"),
    ("stage,age_days\ns1,-1\n", "open.csv:2: initial_pipeline.0.age_days", "greater than or equal to 0"),
    ("stage,age_days,owner\ns1,1,r1\n", "open.csv:2: initial_pipeline.0.owner", "does not work the step"),
    ("stage,age_days,owner,rep\ns1,1,r2,0\n", "open.csv:2: initial_pipeline.0.rep", "does not own leads"),
    ("stage,agee\ns1,1\n", "open.csv:1: initial_pipeline", "unknown column(s) ['agee']"),
    ("stage,age_days,segment\ns1,1,big\n", "open.csv:2: initial_pipeline.0.segment", "unknown segment"),
])
def test_bad_rows_exit_2_with_their_row_and_column(tmp_path, capsys, csv, where, what):
    import yaml
    (tmp_path / "open.csv").write_text(csv)
    (tmp_path / "s.yaml").write_text(yaml.safe_dump(funnel("open.csv", headcount=[1, 1])))
    assert main(["validate", str(tmp_path / "s.yaml")]) == 2
    err = capsys.readouterr().err
    assert where in err and what in err and "Traceback" not in err


def test_a_csv_outside_the_scenarios_tree_is_refused(tmp_path, capsys):
    import yaml
    (tmp_path / "sub").mkdir()
    (tmp_path / "open.csv").write_text("stage\ns1\n")
    (tmp_path / "sub" / "s.yaml").write_text(yaml.safe_dump(funnel("../open.csv")))
    assert main(["validate", str(tmp_path / "sub" / "s.yaml")]) == 2
    assert "outside the scenarios folder tree" in capsys.readouterr().err


def test_lint_flags_deals_older_than_their_stage_allows():
    fresh = sim.validate_data(funnel([{"stage": "s1", "age_days": 20}], elapsed={"dist": "gamma", "mean": 10,
                                                                                   "cv": 0.3}))
    stale = sim.validate_data(funnel([{"stage": "s1", "age_days": 20}, {"stage": "s1", "age_days": 400}],
                                     elapsed={"dist": "gamma", "mean": 10, "cv": 0.3}))
    assert not [f for f in lint(fresh) if f.rule == "stale_open_deal"]
    found = [f for f in lint(stale) if f.rule == "stale_open_deal"]
    assert [(f.path, "1 open only deal(s)" in f.message) for f in found] == [(("initial_pipeline", 1, "age_days"),
                                                                               True)]


def test_only_three_tier_of_the_shipped_scenarios_starts_with_open_deals():
    # three_tier starts as a running company (its re-baseline: the field AEs would otherwise spend
    # their first half-year filling the pipeline); the key stays off in every other shipped
    # scenario, so their stored figures stay as they were
    on = {path.stem for path in SCENARIOS.glob("*.yaml") if sim.load_scenario(path).initial_pipeline is not None}
    assert on == {"three_tier"}


# --------------------------------------------------------------------------- time to a win and to a loss


def _lost_after(data, lost):
    data["segments"]["only"]["steps"]["s2"]["lost_after_days"] = lost
    return data


def test_lost_deals_take_their_own_time():
    """With lost_after_days the step's leads that do not convert leave after that time, the ones that do
    after elapsed_days; the conversion itself is unchanged (binomial). Switched off, both wait elapsed_days."""
    data = chain([1.0, 0.5], rate_per_week=50.0)
    data["horizon_weeks"] = 20
    data["segments"]["only"]["steps"]["s2"]["elapsed_days"] = 10.0
    off = sim.simulate(sim.validate_data(data), seed=1).leads
    on = sim.simulate(sim.validate_data(_lost_after(copy.deepcopy(data), 2.0)), seed=1).leads
    for leads, lost_days in ((on, 2.0), (off, 10.0)):
        done = leads[leads["outcome"] != "open"]
        won = done["outcome"] == "won"
        age = done["outcome_days"] - done["created_days"]
        assert np.allclose(age[won], 10.0) and np.allclose(age[~won], lost_days)
        n = len(done)
        assert abs(won.mean() - 0.5) < 4 * np.sqrt(0.25 / n)


def test_an_open_deals_chance_is_weighed_by_how_long_it_stayed_open():
    """Wins take gamma(mean 30) days, losses gamma(mean 5): a deal still open after 15 days is most likely
    a win, P = p S_win(15) / (p S_win(15) + (1 - p) S_loss(15)); without the weighing it would be p."""
    won, lost = {"dist": "gamma", "mean": 30.0, "cv": 0.4}, {"dist": "gamma", "mean": 5.0, "cv": 0.5}
    data = _lost_after(funnel([{"stage": "s1", "age_days": 15}] * 400, weeks=40, elapsed=won), lost)
    p = sim.simulate(sim.validate_data(data), seed=2).kpis["initial_pipeline"]
    sw = stats.gamma(1 / 0.16, scale=30 * 0.16).sf(15)
    sl = stats.gamma(1 / 0.25, scale=5 * 0.25).sf(15)
    want = 0.8 * sw / (0.8 * sw + 0.2 * sl)
    assert p["won"] + p["lost"] == 400
    assert abs(p["won"] / 400 - want) < 4 * np.sqrt(want * (1 - want) / 400), (p, want)
    assert want > 0.95


def test_lint_reads_both_times_for_a_stale_deal():
    won, lost = {"dist": "gamma", "mean": 10.0, "cv": 0.3}, {"dist": "gamma", "mean": 60.0, "cv": 0.3}
    deals = [{"stage": "s1", "age_days": 40}]
    assert [f for f in lint(sim.validate_data(funnel(deals, elapsed=won))) if f.rule == "stale_open_deal"]
    assert not [f for f in lint(sim.validate_data(_lost_after(funnel(deals, elapsed=won), lost)))
                if f.rule == "stale_open_deal"]


def test_calibrate_writes_the_time_to_a_loss_apart():
    """The fit writes each step's time to a loss (out of the stage before) as lost_after_days next to the
    time to move on; the fitted mean is the losses' own (open deals censored), not the movers'."""
    import yaml

    from sim.calibration.fit import fit_history
    from sim.calibration.io import load_history
    from sim.calibration.mapping import load_mapping
    from sim.calibration.scenario_writer import scenario_text
    from tests.conftest import ROOT

    crm = ROOT / "data" / "crm"
    m = load_mapping(crm / "sample_mapping.yaml")
    fit = fit_history(load_history(crm / "sample_history.csv", m), m)
    data = yaml.safe_load(scenario_text(fit))
    rows = fit.paths.days_in_stage()
    seen = 0
    for seg, body in data["segments"].items():
        for step, spec in body["steps"].items():
            lost = rows[(rows["segment"] == seg) & rows["lost"]
                        & (rows["stage"] == data["stages"][data["stages"].index(step) - 1])]
            if len(lost) < 30 or "lost_after_days" not in spec:
                continue
            seen += 1
            mean = sim.validate_data(data).segments[seg].steps[step].lost_after_days.mean()
            assert mean == pytest.approx(lost["days"].mean(), rel=0.25), (seg, step)
    assert seen >= 2
    s = sim.validate_data(data)
    assert sum(st.lost_after_days is not None for g in s.segments.values() for st in g.steps.values()) >= 4

"""The collector's threshold is raised only while runs go on, by the caller's
choice (``simulate(gc_threshold=...)``), and restored when the last of several
overlapping runs ends (threads share the setting)."""

from __future__ import annotations

import gc
import threading

import simpy

import sim
from sim.model.collector import RUN_THRESHOLD, fewer_collections
from tests.conftest import SCENARIOS


def test_threshold_is_raised_during_a_run_and_restored_after():
    before = gc.get_threshold()
    seen = []
    orig = simpy.Environment.run

    def run(self, until=None):
        seen.append(gc.get_threshold()[0])
        return orig(self, until)

    simpy.Environment.run = run
    try:
        sim.simulate(sim.load_scenario(SCENARIOS / "small_team.yaml"), seed=1, weeks=4, record="kpis")
    finally:
        simpy.Environment.run = orig
    assert seen == [max(RUN_THRESHOLD, before[0])]
    assert gc.get_threshold() == before


def test_overlapping_runs_restore_the_setting_once_the_last_ends():
    before = gc.get_threshold()
    first_in, second_in, first_out = threading.Event(), threading.Event(), threading.Event()

    def first():
        with fewer_collections():
            first_in.set()
            second_in.wait(5)
        first_out.set()

    t = threading.Thread(target=first)
    t.start()
    first_in.wait(5)
    with fewer_collections():
        second_in.set()
        first_out.wait(5)
        assert gc.get_threshold()[0] == RUN_THRESHOLD  # the first run ended; this one still goes on
    t.join(5)
    assert gc.get_threshold() == before


def test_collection_switched_off_by_the_caller_stays_off():
    before = gc.get_threshold()
    gc.set_threshold(0)
    try:
        with fewer_collections():
            assert gc.get_threshold()[0] == 0
        assert gc.get_threshold()[0] == 0
    finally:
        gc.set_threshold(*before)


def test_a_caller_may_leave_the_collector_alone():
    """``simulate(..., gc_threshold=None)``: the run does not touch the process-wide setting."""
    before = gc.get_threshold()
    seen = []
    orig = simpy.Environment.run

    def run(self, until=None):
        seen.append(gc.get_threshold())
        return orig(self, until)

    simpy.Environment.run = run
    try:
        sim.simulate(sim.load_scenario(SCENARIOS / "small_team.yaml"), seed=1, weeks=4, record="kpis",
                     gc_threshold=None)
        sim.simulate(sim.load_scenario(SCENARIOS / "small_team.yaml"), seed=1, weeks=4, record="kpis",
                     gc_threshold=before[0] * 50)
    finally:
        simpy.Environment.run = orig
    assert seen == [before, (before[0] * 50, *before[1:])]

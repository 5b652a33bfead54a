"""The SimPy world of one run: it builds the parts and starts them.

Each part has its own module: the roles and their seats
(:mod:`~sim.model.roles`), the compiled routes (:mod:`~sim.model.plan`),
the lead's life (:mod:`~sim.model.lead`), where leads come from
(:mod:`~sim.model.sources`), customers after the win
(:mod:`~sim.model.accounts`), people coming and going
(:mod:`~sim.model.staffing`), PODs (:mod:`~sim.model.pods`) and the dated
and data-driven interventions (:mod:`~sim.model.interventions`).

The world reports what happens to a recorder (:mod:`sim.records`) through
the calls of :mod:`sim.model.vocab`'s vocabulary; it never knows which
recorder listens.
"""

from __future__ import annotations

import simpy

from sim.model import coordination, managers, pay, practice
from sim.model.accounts import AccountBook
from sim.model.data_loop import OutsideDataLoop
from sim.model.deals import DealDesk
from sim.model.interventions import DataLoop, Timeline
from sim.model.lead import Leads
from sim.model.market import MarketBook
from sim.model.people import Staff
from sim.model.pipeline import InitialPipeline
from sim.model.plan import build_routes
from sim.model.pods import PodBook, initial_seat_pods
from sim.model.rng import Streams
from sim.model.roles import RoleRuntime
from sim.model.setup import RunSetup
from sim.model.sources import InboundSource, OutboundSource
from sim.model.staffing import Staffing
from sim.model.worktime import WorkTime
from sim.scenario.schema import Inbound, Outbound

GOLDEN = 0.6180339887498949  # fractional steps that spread daily samples over the hours of the day


class World:
    """One run's model: build it from a :class:`~sim.model.setup.RunSetup`, then :meth:`run` it.

    The parts are built in one order, each given what it uses: the roles (with
    their calendars and their starting reps' absences), the routes over them,
    the customer accounts, staffing, the PODs, the leads, then the sources of
    leads. Wins open accounts and live accounts mine leads: that loop is closed
    by :meth:`~sim.model.accounts.AccountBook.mine_into` once both exist."""

    def __init__(self, setup: RunSetup, streams: Streams, recorder):
        scenario = setup.scenario
        self.scenario = scenario
        self.horizon_days = setup.horizon_days
        self.layout = setup.layout
        self.env = env = simpy.Environment()
        self.rec = recorder
        routing = setup.routing
        multi = routing.roles_with_several_steps | routing.post_sale_owned_roles
        n_pods = scenario.pods.fission.max_pods if scenario.pods is not None else 1
        ns = len(scenario.stages)
        # working time: only with a calendar section (without one nothing here runs)
        self.worktime = (WorkTime(env, setup.calendars, streams, recorder) if setup.calendars is not None
                         else None)
        self.roles = {
            name: RoleRuntime(env, i, name, spec, streams.generator(f"routing/{name}"),
                              days_per_hour=setup.days_per_hour[name], prioritized=name in multi,
                              staff=(Staff(name, spec.people, ns, streams, scenario.process,
                                           practice.for_role(scenario, name, streams),
                                           learning_hours=scenario.work_model is not None)
                                     if spec.people is not None and not spec.unlimited_capacity else None),
                              seat_pods=initial_seat_pods(scenario, name), n_pods=n_pods, worktime=self.worktime)
            for i, (name, spec) in enumerate(scenario.roles.items())}
        self.coordination = coordination.build(env, scenario, self.roles, self.worktime)
        if scenario.work_model is not None and scenario.work_model.leavers is not None:
            for role in self.roles.values():  # what a leaver takes follows what they worked on
                if role.staff is not None:
                    role.staff.loss_per_task = scenario.work_model.leavers.loss_per_task
        self.managers = managers.build(env, scenario, self.roles, self.layout.work_share)
        segments = list(scenario.segments)
        self.routes = build_routes(setup, streams, self.roles)
        # the market section: outbound accounts with a state (None: lost accounts always come back)
        self.market = MarketBook(scenario.market, env, streams) if scenario.market is not None else None
        self.accounts = AccountBook(env, recorder, setup, streams, self.roles, self.routes, self.market)
        self.staffing = Staffing(env, recorder, self.accounts)
        self.pay = pay.build(env, scenario, self.roles, streams, self.staffing, recorder)
        if self.pay is not None and any(x.clawback_days is not None for x in self.pay.ledgers.values()):
            self.accounts.on_end = self.pay.account_ended
        self.pods = (PodBook(env, recorder, scenario, streams, self.roles, self.staffing, self.layout.n_weeks)
                     if scenario.pods is not None else None)
        self.leads = Leads(env, recorder, ns, scenario.speed_to_lead.effective_curve(), accounts=self.accounts,
                           pods=self.pods, track_customers=scenario.post_sale.enabled,
                           data_driven=len(segments) if scenario.process.data_driven is not None else 0,
                           customer_days=setup.calendars.customer_days if setup.calendars is not None else None)
        self.leads.pay = self.pay
        self.accounts.mine_into(self.leads)
        if scenario.deals is not None:
            self.leads.deals = DealDesk(scenario.deals, scenario, streams)
        # the open deals the run starts with (None: an empty world)
        self.pipeline = (InitialPipeline(scenario, self.routes, self.roles, streams)
                         if scenario.initial_pipeline else None)
        self.sources: list[InboundSource | OutboundSource] = []
        for i, (name, src) in enumerate(scenario.sources.items()):
            if isinstance(src, Outbound):
                self.sources.append(OutboundSource(i, name, src, env=env, leads=self.leads, routes=self.routes,
                                                   segments=segments, pods=self.pods, market=self.market,
                                                   streams=streams))
            elif isinstance(src, Inbound):
                shocks = [ev.rate_multiplier for ev in scenario.timeline
                          if ev.action == "market_shock" and ev.source == name]
                self.sources.append(InboundSource(i, name, src, env=env, leads=self.leads, routes=self.routes,
                                                  segments=segments, shocks=shocks,
                                                  start_weekday=setup.start_weekday, month0=setup.month0,
                                                  streams=streams, horizon_days=setup.horizon_days,
                                                  market=self.market))
            # account-mining sources are driven by each live account (AccountBook)

    def _sampler(self, watch=None):
        """One sample a day. With a calendar the queues follow the working day, so each
        day's sample is taken at a different time of day (golden-ratio steps through
        the day) and their average is the time average; without one, at midnight.
        ``watch`` is the caller's size guard and progress bar (it may raise to stop the run)."""
        env = self.env
        roles = list(self.roles.values())
        leads = self.leads
        wip = leads.wip
        if self.worktime is None:
            while True:
                self.rec.sample(env.now, wip, [r.queue_length() for r in roles])
                if watch is not None:
                    watch(env.now, leads.created)
                yield env.timeout(1.0)
        day = 0
        while True:
            self.rec.sample(env.now, wip, [r.queue_length() for r in roles])
            if watch is not None:
                watch(env.now, leads.created)
            day += 1
            yield env.timeout(day + (day * GOLDEN) % 1.0 - env.now)

    def run(self, watch=None) -> None:
        """Run to the horizon; ``watch(now_days, leads_created)`` is called once a simulated day."""
        env, scenario = self.env, self.scenario
        if self.pipeline is not None:  # the open deals first: the run's first leads
            env.process(self.pipeline.enter(self.leads, self.pods))
        for src in self.sources:
            src.start()
        for role in self.roles.values():
            for seat in range(role.headcount):
                self.staffing.start_tenure(role, seat)
        if scenario.timeline:
            env.process(Timeline(env, self.rec, scenario, self.roles, self.staffing, self.sources,
                                 self.routes).run())
        dd = scenario.process.data_driven
        if dd is not None and dd.outside is not None:
            env.process(OutsideDataLoop(env, self.rec, dd, scenario.stages, list(scenario.segments), self.routes,
                                        self.leads).run())
        elif dd is not None:
            env.process(DataLoop(env, self.rec, dd, scenario.stages, self.routes,
                                 self.leads).run())
        if self.pods is not None and self.pods.spec.fission.policy != "never":
            env.process(self.pods.run())
        if self.coordination is not None:
            env.process(self.coordination.run())
        if self.pay is not None and self.pay.leaving is not None:
            env.process(self.pay.run())
        if self.managers is not None:
            env.process(self.managers.run())
        env.process(self._sampler(watch))
        env.run(until=self.horizon_days)
        self.finish()

    def finish(self) -> None:
        """Hand the recorder what the run ends with: each role's people, the PODs, the market, the
        deals and the other mechanisms' tables. Called by :meth:`run` at the horizon; called on a world
        never run, it reports the world as built (:func:`sim.run.report_shape`: the names a run reports)."""
        env = self.env
        people: dict[int | str, dict] = {r.idx: r.staff.table() for r in self.roles.values() if r.staff is not None}
        for r in self.roles.values():
            if r.idx in people and r.podded and self.pods is not None:  # each rep's POD, by name
                people[r.idx]["pod"] = [self.pods.pods[r.seat_pod[s]]["name"] for s in people[r.idx]["seat"]]
        if self.pods is not None:
            people["pods"] = self.pods.table(self.accounts)
        if self.market is not None:
            people["market"] = self.market.table()
            if self.market.inbound_on:
                people["market_not_arrived"] = dict(self.market.not_arrived)
        if self.leads.deals is not None:
            people["deals"] = self.leads.deals.table()
        if self.pipeline is not None:
            people["initial_pipeline"] = dict(self.leads.initial)
        if self.coordination is not None:
            self.coordination.report(people, self.roles.values())
        if self.pay is not None:
            self.pay.report(people, self.roles.values(), env.now)
        busy = self.accounts.book_busy()
        if self.managers is not None:
            self.managers.finish(env.now)
            self.managers.report(people)
            busy = {**busy, **self.managers.busy_days()}
        # each role's reps' time at work (sim.model.attendance), utilization's denominator for the work
        # of tasks; a role with load the model estimates per seat-day (account books, managers) keeps the
        # estimate its load is made of
        people["available_days"] = {r.idx: r.attendance.available(env.now) for r in self.roles.values()
                                    if not r.unlimited and r.idx not in busy}
        self.rec.finish(env.now, self.leads.wip, busy, people)

"""The outbound market as accounts with a state (``market`` section,
:mod:`sim.scenario.market_spec`): built only when the scenario has one.

Per account of each outbound source: when it was first taken into a cadence
(untouched before), how often it was lost, whether it is a customer, when it
became one, when it was exhausted (contact fatigue) and whether it churned.
:class:`~sim.model.sources.OutboundSource` asks :meth:`MarketBook.comes_back`
when an account's lead is lost; :class:`~sim.model.accounts.AccountBook` tells
:meth:`won` and :meth:`churned`, and a churned customer won back lines up
again in its source. :meth:`table` is the record the metrics read
(penetration per slice, and the times behind the weekly series).

With ``inbound_from_market`` an inbound source asks :meth:`inbound` for an
account of its lead's segment: one picked at random among those not a
customer, not in conversation and not exhausted (a few random tries, then a
scan, so a nearly saturated segment costs a pass over its accounts); None
when there is none left, and the lead does not arrive.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from sim.model.draws import uniform01
from sim.model.rng import Streams
from sim.scenario.market_spec import Market

if TYPE_CHECKING:
    from sim.model.sources import OutboundSource

INF = math.inf


class MarketBook:
    def __init__(self, spec: Market, env, streams: Streams):
        self.spec, self.env = spec, env
        self.u = uniform01(streams.generator("market/recontact"))
        self.u_winback = uniform01(streams.generator("market/winback"))
        self.sources: list[OutboundSource] = []
        self.taken: list[list[float]] = []  # per source, per account: first taken (INF: untouched)
        self.won_t: list[list[float]] = []  # first became a customer (INF: never)
        self.exhausted_t: list[list[float]] = []  # stopped being worked (INF: not)
        self.losses: list[list[int]] = []
        self.customer: list[list[bool]] = []  # a customer now
        self.lead_of: list[list[int]] = []  # the account's current (last) lead
        self.churned_before: list[list[bool]] = []  # a churned customer prospected again
        # the first step's conversion multipliers (1, 1: the odds do not depend on the account's past)
        self.fatigue, self.winback_odds = spec.recontact_conversion_multiplier, spec.winback_conversion_multiplier
        self.account_of: dict[int, tuple[int, int]] = {}  # lead -> (source, account), for leads that may win
        self.busy: list[list[bool]] = []  # in conversation now (a lead of the account is open)
        # inbound leads drawn from the accounts (market.inbound_from_market): per segment name, its
        # accounts as (source, account), built at the first inbound lead; what came in and what did not
        self.inbound_on = spec.inbound_from_market
        self.u_inbound = uniform01(streams.generator("market/inbound")) if self.inbound_on else None
        self._by_segment: dict[str, list[tuple[int, int]]] | None = None
        self.inbound_taken: list[list[int]] = []  # per account, the inbound leads it was
        self.not_arrived: dict[str, int] = {}  # per segment, inbound leads with no account left

    def register(self, source: OutboundSource, n_accounts: int) -> int:
        self.sources.append(source)
        columns: tuple[tuple[list, object], ...] = ((self.taken, INF), (self.won_t, INF), (self.exhausted_t, INF),
                                                    (self.losses, 0), (self.customer, False), (self.lead_of, -1),
                                                    (self.churned_before, False), (self.busy, False),
                                                    (self.inbound_taken, 0))
        for col, v in columns:
            col.append([v] * n_accounts)
        return len(self.sources) - 1

    def took(self, s: int, account: int, lead: int) -> None:
        """The account's new lead ``lead`` starts a conversation."""
        if self.taken[s][account] == INF:
            self.taken[s][account] = self.env.now
        old = self.lead_of[s][account]
        self.account_of.pop(old, None)
        self.lead_of[s][account] = lead
        self.account_of[lead] = (s, account)
        self.busy[s][account] = True

    def inbound(self, segment: str) -> tuple[int, int] | None:
        """An account of ``segment`` an inbound lead comes from: (source, account)
        picked at random among those not a customer, not in conversation and not
        exhausted; None when none is left (the lead does not arrive)."""
        if self._by_segment is None:
            self._by_segment = {}
            for s, src in enumerate(self.sources):
                for a, g in enumerate(src.seg_of):
                    self._by_segment.setdefault(src.segments[g], []).append((s, a))
        pool = self._by_segment.get(segment)
        if not pool:
            return None
        u = self.u_inbound
        if u is None:  # only called with market.inbound_from_market on, which sets the stream
            raise RuntimeError("inbound accounts drawn from a market without inbound_from_market")
        for _ in range(8):  # a few random tries first: a market far from saturation takes one
            s, a = pool[min(int(u() * len(pool)), len(pool) - 1)]
            if self._open(s, a):
                return s, a
        free = [x for x in pool if self._open(*x)]
        if not free:
            self.not_arrived[segment] = self.not_arrived.get(segment, 0) + 1
            return None
        return free[min(int(u() * len(free)), len(free) - 1)]

    def has_accounts(self, segment: str) -> bool:
        """Whether the market holds accounts of ``segment`` (asked after :meth:`inbound`
        found none open: used up, or none to begin with)."""
        return bool(self._by_segment and self._by_segment.get(segment))

    def _open(self, s: int, a: int) -> bool:
        return not (self.busy[s][a] or self.customer[s][a] or self.exhausted_t[s][a] != INF)

    def first_step_multiplier(self, lead: int) -> float:
        """The conversion multiplier of ``lead``'s first step from its account's past: contact fatigue
        (^ earlier losses) and, for a churned customer prospected again, the win-back odds."""
        at = self.account_of.get(lead)
        if at is None:
            return 1.0
        s, a = at
        m = self.fatigue ** self.losses[s][a] if self.fatigue != 1.0 else 1.0
        return m * self.winback_odds if self.churned_before[s][a] else m

    def comes_back(self, s: int, account: int) -> bool:
        """The account's lead was lost: will it be worked again (contact fatigue)?"""
        self.account_of.pop(self.lead_of[s][account], None)
        self.busy[s][account] = False
        self.losses[s][account] += 1
        if self.u() < self.spec.recontact_probability ** self.losses[s][account]:
            return True
        self.exhausted_t[s][account] = self.env.now
        return False

    def won(self, lead: int) -> None:
        at = self.account_of.get(lead)
        if at is None:
            return
        s, a = at
        self.customer[s][a] = True
        self.busy[s][a] = False
        if self.won_t[s][a] == INF:
            self.won_t[s][a] = self.env.now

    def churned(self, lead: int) -> None:
        """The customer won by ``lead`` churned: prospected again with the win-back odds."""
        at = self.account_of.pop(lead, None)
        if at is None:
            return
        s, a = at
        self.customer[s][a] = False
        if self.u_winback() < self.spec.winback_probability:
            self.churned_before[s][a] = True
            self.sources[s].line_up(a)
        else:
            self.exhausted_t[s][a] = self.env.now

    def table(self) -> dict:
        """Per slice (over the outbound sources): its accounts and their states at
        the end, and the days each account was first taken, first won, exhausted."""
        out: dict[str, dict] = {}
        for s, src in enumerate(self.sources):
            for a, value in enumerate(src.slice):
                name = value if value is not None else src.segments[src.seg_of[a]]
                row = out.setdefault(name, {"accounts": 0, "customers": 0, "taken_days": [], "won_days": [],
                                            "exhausted_days": [], **({"inbound": 0} if self.inbound_on else {})})
                row["accounts"] += 1
                if self.inbound_on:
                    row["inbound"] += self.inbound_taken[s][a]
                row["customers"] += int(self.customer[s][a])
                for key, col in (("taken_days", self.taken), ("won_days", self.won_t),
                                 ("exhausted_days", self.exhausted_t)):
                    if col[s][a] != INF:
                        row[key].append(col[s][a])
        return out

"""Account health: customer success that grows accounts as well as keeping them.

Built only when the scenario has a ``customer_success`` section
(:mod:`sim.scenario.success_spec`); without one nothing here runs and the account
life is the load-only model of :mod:`sim.model.accounts`.

An account's health is ``w x onboarding score + (1 - w) x attention``: the
onboarding score reads its time to value (signature to go-live) through a
curve, fixed at go-live; attention is the CSM's over the term just ended (the
book's time-average load through a curve, or the share of check-ins done when
the owner does the care as tasks). Health is assessed at go-live (attention
from the CSM book's load at that moment) and at each renewal (over the term);
the renewal assessment is recorded as a health event (healthy, neutral, at
risk), then sets the renewal and contraction multipliers and, until the next
renewal, the rate of CSM-sourced expansion opportunities.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sim.model.curves import Piecewise
from sim.model.draws import Draw, exponential_gaps, sampler, uniform01
from sim.model.rng import Streams
from sim.model.vocab import AccountKind, CostKind
from sim.scenario.success_spec import CustomerSuccess
from sim.units import DAYS_PER_YEAR

if TYPE_CHECKING:
    from sim.model.accounts import AccountBook, TierPlan

HEALTHY, NEUTRAL, AT_RISK = int(AccountKind.HEALTHY), int(AccountKind.NEUTRAL), int(AccountKind.AT_RISK)
EXPANDED_CSM, EXP_LOST = int(AccountKind.EXPANDED_CSM), int(AccountKind.EXPANSION_LOST)
EXP_EXPIRED = int(AccountKind.EXPANSION_EXPIRED)


@dataclass(frozen=True, slots=True)
class ExpansionPlan:
    """One segment's draws of CSM-sourced expansion: the gap between chances (None:
    no chances), whether a chance arises and is won, its size and its days."""

    gap: Draw | None
    u_arise: Draw
    u_win: Draw
    frac: Draw
    elapsed: Draw


class HealthModel:
    """The scenario's health curves and, per segment, the CSM-sourced expansion draws."""

    def __init__(self, spec: CustomerSuccess, segments: list[str], streams: Streams):
        h = spec.health
        self.w = h.onboarding_weight
        self.ttv = Piecewise(h.time_to_value_curve)
        self.attention_curve = Piecewise(h.attention_curve)
        self.tech_touch = h.tech_touch_attention
        self.no_csm = h.no_csm_attention
        self.renewal_curve = Piecewise(h.renewal_curve)
        self.contraction_curve = Piecewise(h.contraction_curve)
        self.at_risk_below, self.healthy_from = h.at_risk_below, h.healthy_from
        e = spec.expansion
        self.exp_rate = e.opportunities_per_year
        self.rate_curve = Piecewise(e.rate_curve)
        self.exp_p = e.conversion_probability
        self.handoff = e.closed_by == "am"
        self.plans: list[ExpansionPlan] = []
        for g in segments:
            key = f"customer_success/{g}"
            gen = streams.generator(f"{key}/expansion_gap")
            gap = (exponential_gaps(gen, DAYS_PER_YEAR / self.exp_rate, 64)
                   if self.exp_rate > 0 else None)
            self.plans.append(ExpansionPlan(
                gap=gap, u_arise=uniform01(streams.generator(f"{key}/expansion_arise")),
                u_win=uniform01(streams.generator(f"{key}/expansion")),
                frac=sampler(e.acv_increase_fraction, streams.generator(f"{key}/expansion_size")),
                elapsed=sampler(e.elapsed_days, streams.generator(f"{key}/expansion_days"))))

    def onboarding_score(self, time_to_value_days: float) -> float:
        return self.ttv(time_to_value_days)

    def attention(self, needs_csm: bool, has_csm: bool, load: float | None = None,
                  done_share: float | None = None) -> float:
        """CSM attention in [0, 1]: from the book's load, or the share of check-ins done."""
        if not needs_csm:
            return self.tech_touch
        if done_share is not None:
            return done_share
        if not has_csm:
            return self.no_csm
        return self.attention_curve(load or 0.0)

    def health(self, onboarding: float, attention: float) -> float:
        return self.w * onboarding + (1.0 - self.w) * attention

    def band(self, health: float) -> int:
        if health >= self.healthy_from:
            return HEALTHY
        return AT_RISK if health < self.at_risk_below else NEUTRAL

    def renewal_multiplier(self, health: float) -> float:
        return self.renewal_curve(health)

    def contraction_multiplier(self, health: float) -> float:
        return self.contraction_curve(health)


def assess(book: AccountBook, a: int, csm: int, needs_csm: bool, since_integral: float,
           since_t: float, orphaned: float = 0.0) -> tuple[float, float]:
    """Health of account ``a`` at a renewal, over the term since ``since_t``:
    recorded as a health event and kept for its expansion; returns the renewal
    and contraction multipliers it sets. ``orphaned``: the share of the term a
    CSM book's account had no caretaker (``work_model.orphans``), with the
    attention of an account without a CSM for that share."""
    hm = book.hm
    if hm is None:
        raise RuntimeError("an account's health is assessed only with a customer_success section")
    env = book.env
    if book.care_by_task and needs_csm:  # the owner's monthly check-ins: the share done
        checks = book.care_missed[a] + book.care_done[a]
        attention = hm.attention(True, True, done_share=book.care_done[a] / checks if checks else 1.0)
        book.care_missed[a] = book.care_done[a] = 0
    elif needs_csm and csm >= 0:  # the time-average load of the CSM's book over the term
        load = book.books.average_load(csm, since_integral, since_t)
        attention = hm.attention(True, True, load)
    else:
        attention = hm.attention(needs_csm, False)
    if orphaned and needs_csm and not book.care_by_task:
        attention = (1.0 - orphaned) * attention + orphaned * hm.no_csm
    h = book.health[a] = hm.health(book.onb_score[a], attention)
    book.rec.account(env.now, a, book.segment[a], hm.band(h), 0.0, book.acv[a])
    return hm.renewal_multiplier(h), hm.contraction_multiplier(h)


def csm_expansions(book: AccountBook, a: int, tp: TierPlan, hm: HealthModel):
    """CSM-sourced expansion of account ``a``: a Poisson stream of chances at full
    health, each arising with the share ``rate_curve(health)``; won with
    ``conversion_probability``, by the CSM (within the care hours) or, when
    handed over, by the account-manager role if it picks it up in time."""
    env, rec, seg = book.env, book.rec, book.segment[a]
    plan = hm.plans[seg]
    gap, u_arise, u_win, frac, elapsed = plan.gap, plan.u_arise, plan.u_win, plan.frac, plan.elapsed
    if gap is None:  # no chances of expansion (started only when there are)
        return
    am = book.am if hm.handoff else None
    job = tp.exp_job
    while True:
        yield env.timeout(gap())
        if not book.active[a]:
            return
        if u_arise() >= hm.rate_curve(book.health[a]):
            continue
        if am is not None and job is not None:  # (an AM role has the expansion task: TierPlan)
            wait, _ = yield from am.serve_job(rec, book.lead[a], job, seg, book.pod[a], book.keeper_seat[a],
                                              expires=tp.exp_expires, cancel=book.closed[a])
            if not book.active[a]:
                return
            if wait < 0:
                rec.account(env.now, a, seg, EXP_EXPIRED, 0.0, book.acv[a])
                continue
        days = elapsed()
        if days > 0:
            yield env.timeout(days)
        if not book.active[a]:
            return
        if u_win() < hm.exp_p:
            inc = book.acv[a] * frac()
            book.acv[a] += inc
            rec.account(env.now, a, seg, EXPANDED_CSM, inc, book.acv[a])
            if am is not None and book.am_rate:
                rec.cost(env.now, int(CostKind.COMMISSION), am.idx, seg, inc * book.am_rate)
        else:
            rec.account(env.now, a, seg, EXP_LOST, 0.0, book.acv[a])

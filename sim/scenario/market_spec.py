"""Scenario section ``market``: the outbound market as accounts with a state
(docs/background.md#a-finite-market).

Without the section an outbound account that said no (or never answered)
comes back after ``cooling_off_days`` as fresh as the first time, for ever,
and a churned customer is never approached again: no slice of the market
ever runs out. With it, each outbound account is untouched, in conversation,
a customer, lost (cooling off, then worked again only with the
``recontact_probability``, compounded per loss: contact fatigue), exhausted
(not worked again) or churned (prospected again after the cooling-off with
the ``winback_probability``). A slice whose accounts are all customers or
exhausted is saturated: the PODs owning it find nobody left to call.
Fatigue also acts on the odds, not only on who is called again: a lead of an
account lost k times before converts at its first step with
``recontact_conversion_multiplier``^k times the usual probability, one of a
churned customer won back with ``winback_conversion_multiplier`` (both 1 by
default: the odds as before).

With ``inbound_from_market``, inbound leads come from the same accounts: an
inbound lead of a segment is an account of that segment's outbound lists
(any slice) that is not a customer, not in conversation and not exhausted,
picked at random; the account is then in conversation (its place in the
outbound line is given up; lost, it lines up again after the cooling-off,
with contact fatigue as for outbound), and penetration per slice counts it.
When a segment has no such account left, the inbound lead does not arrive:
everyone who could raise a hand is a customer, in conversation or done with
you (counted as ``inbound_not_arrived``). Off by default (inbound is a rate,
as before); inbound leads of a segment with no outbound accounts arrive as
before either way.
"""

from __future__ import annotations

from pydantic import Field

from sim.scenario.base import Share, StrictModel


class Market(StrictModel):
    """Contact fatigue and win-back of the outbound accounts."""

    recontact_probability: Share = Field(
        default=0.7, description="chance a lost account is worked again after its cooling-off; after k losses "
        "recontact_probability^k (contact fatigue; an assumption, range 0.5-0.9)")
    winback_probability: Share = Field(
        default=0.3, description="chance a churned customer is prospected again after the cooling-off (an "
        "assumption, range 0.1-0.5)")
    recontact_conversion_multiplier: Share = Field(
        default=1.0, description="the first step's conversion of a lead of an account lost before, times this "
        "per earlier loss (^losses): a worn-out prospect engages less (1: as fresh as the first time, the "
        "behaviour without the key; an assumption, range 0.5-0.9)")
    inbound_from_market: bool = Field(
        default=False, description="inbound leads of a segment come from its outbound accounts that are not "
        "customers, in conversation or exhausted, and do not arrive when none is left (false: inbound is a rate "
        "that never runs out, as before)")
    winback_conversion_multiplier: Share = Field(
        default=1.0, description="the first step's conversion of a lead of a churned customer prospected again, "
        "times this (1: as a new prospect; an assumption, range 0.3-0.8: it left for a reason)")

"""Scenario section ``work_model``: what a rep's week is made of (issue 22).

Without this section (the default) every hour a rep works goes to deal tasks,
as in every scenario written before it, and results are unchanged.

* ``time_use`` (per role): the week splits into deal work and the rest --
  administration and CRM entry, internal meetings, training, research and
  preparation, travel for field roles. Only the deal share works the role's
  tasks, so a task of ``work_hours`` takes ``1 / deal share`` as long in the
  rep's week. Sales surveys put selling at about 30% of a rep's week
  (Salesforce, State of Sales 5th ed. 2022: 28%; CSO Insights about 35%; a
  range of 20-40%): docs/background.md#what-a-reps-week-is-made-of.
* ``tools_admin_cut`` / ``playbooks_research_cut``: with the work model the
  process layer acts by moving time -- tools (CRM automation) remove admin
  hours, playbooks shorten research and preparation -- instead of the tools'
  ``work_hours_multiplier`` on task time, which the work model replaces.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import Field, model_validator

from sim.scenario.base import Share, StrictModel
from sim.scenario.distributions import Dist

if TYPE_CHECKING:
    from sim.scenario.schema import Scenario

Name = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=40)]

# kinds of work a rep does; experience and switches are counted per kind
KINDS = ("prospecting", "discovery", "demo", "proposal", "onboarding", "account_care")
Kind = Literal["prospecting", "discovery", "demo", "proposal", "onboarding", "account_care"]
# the kind of the step into each of the usual stages (other stages: work_model.task_kinds)
DEFAULT_TASK_KINDS = {"mql": "prospecting", "sql": "discovery", "opportunity": "demo", "negotiation": "proposal",
                      "won": "proposal"}

# the parts of a week that are not deal work, in the order reports show them
NON_DEAL = ("admin", "meetings", "training", "research", "travel")
MIN_DEAL_SHARE = 0.05  # a rep who never works a deal is not a seller


class _Model(StrictModel):
    """Strict numbers, unknown keys refused (see :mod:`sim.scenario.base`)."""


class TimeUse(_Model):
    """Shares of a rep's working week that are *not* deal work; the deal share
    is what is left. Defaults leave 30% for deals (Salesforce State of Sales
    2022: 28%; range 20-40%): admin and CRM entry 25%, internal meetings 15%,
    training 10%, research and preparation 20%, travel 0% (inside sales; field
    roles 10-20%)."""

    admin: Share = Field(default=0.25, description="administration and CRM entry (range 0.15-0.35)")
    meetings: Share = Field(default=0.15, description="internal meetings (range 0.05-0.25)")
    training: Share = Field(default=0.10, description="training and coaching received (range 0.03-0.15)")
    research: Share = Field(default=0.20, description="research and preparation of deals (range 0.1-0.3)")
    travel: Share = Field(default=0.0, description="travel (field roles 0.1-0.2, inside roles 0)")

    @model_validator(mode="after")
    def _room_for_deals(self):
        rest = sum(getattr(self, k) for k in NON_DEAL)
        if rest > 1 - MIN_DEAL_SHARE + 1e-12:
            raise ValueError(f"the non-deal shares add up to {rest:.3g}; at least {MIN_DEAL_SHARE:.0%} of the "
                             "week must be left for deal work")
        return self


class Learning(_Model):
    """Learning by kind of work: a rep's experience of each kind (tasks done)
    speeds that work and lifts its conversion odds along a power law of
    practice, up to the rep's own ceiling (Newell & Rosenbloom 1981; Wright's
    learning curve): multiplier = min(ceiling, ((n + prior_tasks) /
    prior_tasks) ** exponent) after n tasks of the kind. A specialist
    concentrates practice on one or two kinds; a generalist spreads it. It
    replaces people.learning_per_task and people.learning_cap (one cap for
    everyone)."""

    exponent: Share = Field(
        default=0.2, description="power-law exponent of practice (an 80% learning curve is 0.32; individual "
        "practice 0.1-0.5)")
    prior_tasks: Annotated[float, Field(gt=0, le=100_000)] = Field(
        default=50.0, description="practice of each kind a new hire brings, in tasks (range 10-200)")
    ceiling: Dist = Field(
        default={"dist": "lognormal", "median": 1.3, "sigma": 0.15},
        description="most practice can multiply a rep's speed and odds by, drawn per rep at hire (at least 1; "
        "default median 1.3, the old common cap, with a spread between people)")


class Switching(_Model):
    """A set-up each time a rep turns from one kind of work to another
    (task-switching costs: Monsell 2003; resuming interrupted office work takes
    minutes, Mark, Gudith & Klocke 2008). Generalists pay it; specialists
    mostly do not."""

    setup_hours: Annotated[float, Field(ge=0, le=8)] = Field(
        default=0.25, description="hours added to a task of another kind than the rep's previous task "
        "(range 0.05-0.5; L for sales magnitudes)")


class Coordination(_Model):
    """Time spent coordinating with colleagues, growing with the team: a team of
    n has n(n-1)/2 pairwise channels (Brooks 1975), so each member spends
    ``hours_per_colleague_per_week`` x (n - 1) hours a week on them, out of
    their deal time. A podded rep's team is their POD; a horizontal role's
    reps work in teams of at most ``max_team_size``."""

    hours_per_colleague_per_week: Annotated[float, Field(ge=0, le=10)] = Field(
        default=0.5, description="hours a week each rep spends coordinating with each teammate (range 0.25-1; "
        "L: the n(n-1)/2 form is Brooks', the size per channel is an assumption)")
    max_team_size: Annotated[int, Field(ge=1, le=1000)] = Field(
        default=8, description="a horizontal role's reps work in teams of at most this many (first-line "
        "teams of 6-10; Hackman 2002 favours 5-7)")


class CompPlan(_Model):
    """A role's variable pay: commission at ``variable_at_target_usd / quota``
    per dollar booked in the plan year, ``accelerator`` times that on bookings
    above quota, nothing on bookings above ``cap_attainment`` x quota. Base pay
    is in the role's loaded cost. Replaces the role's flat ``commission_rate``.
    With ``clawback_days``, the commission of a new logo that churns or cancels
    within that many days of the win is taken back (``clawback_share`` of it);
    with ``clawback_takes_credit`` the same share of the booking's quota credit
    goes too, so the rep's attainment (and the attainment-driven hazard of
    ``work_model.leaving``) no longer counts a customer who did not stay.
    With ``base_usd_per_year`` the plan states on-target earnings (base +
    variable at 100% of quota), which ``salesim check`` reads as quota / OTE
    against its benchmark (about 4-6x: docs/background.md#funnel-people-and-money-figures);
    the base is part of the loaded cost, not added to it."""

    variable_at_target_usd: Annotated[float, Field(ge=0, le=1e7)] = Field(
        description="variable pay a year at 100% of quota (a 50/50 AE pay mix: about the base, ~$60-90k)")
    base_usd_per_year: Annotated[float, Field(gt=0, le=1e7)] | None = Field(
        default=None, description="base pay a year, part of the role's loaded cost (not added to it): on-target "
        "earnings are base + variable_at_target_usd, and `salesim check` sets quota / OTE against its benchmark "
        "(quota about 4-6x OTE; None: the ratio is not checked)")
    accelerator: Annotated[float, Field(ge=1, le=5)] = Field(
        default=1.5, description="multiplier on the commission rate for bookings above quota (range 1.25-2)")
    cap_attainment: Annotated[float, Field(ge=1, le=20)] | None = Field(
        default=None, description="no commission on bookings above this multiple of quota (None: uncapped)")
    clawback_days: Annotated[float, Field(gt=0, le=3650)] | None = Field(
        default=None, description="commission of a new logo is clawed back when the customer churns or cancels "
        "within this many days of the win (90-365 days is common, L; None: never clawed back)")
    clawback_share: Annotated[float, Field(ge=0, le=1)] = Field(
        default=1.0, description="share of the commission clawed back (range 0.5-1)")
    clawback_takes_credit: bool = Field(
        default=False, description="a clawback also takes back the same share of the booking's quota credit: "
        "the rep's attainment, the plan year's bookings toward the accelerator and the attainment that "
        "work_model.leaving judges lose it (plans that claw back commission usually reverse the credit too, "
        "L; false: the credit stays, as before)")


class Leaving(_Model):
    """Who leaves: a rep's yearly chance of leaving (``people.attrition_per_year``)
    is multiplied by ``low_multiplier`` while their trailing-year attainment is
    below ``low_attainment`` and by ``top_multiplier`` while it is above
    ``top_attainment``: voluntary turnover is curvilinear in performance, low
    and top performers leave more (Trevor, Gerhart & Boudreau 1997). Checked
    every ``check_every_days``; a rep is judged from ``min_tenure_days``."""

    low_attainment: Annotated[float, Field(ge=0, le=10)] = Field(
        default=0.5, description="trailing-year attainment (bookings / quota) below which a rep leaves more")
    low_multiplier: Annotated[float, Field(ge=0, le=20)] = Field(
        default=2.0, description="hazard multiplier of low attainers (range 1.5-3)")
    top_attainment: Annotated[float, Field(ge=0, le=20)] = Field(
        default=1.5, description="attainment above which a rep is a top performer")
    top_multiplier: Annotated[float, Field(ge=0, le=20)] = Field(
        default=1.5, description="hazard multiplier of top performers, who are courted (range 1-2)")
    check_every_days: Annotated[float, Field(ge=1, le=365)] = Field(default=30.0, description="days between checks")
    min_tenure_days: Annotated[float, Field(ge=0, le=3650)] = Field(
        default=180.0, description="attainment is judged from this tenure on (before: the base rate)")


class Leavers(_Model):
    """What a leaver takes follows what they owned: an open lead whose owner
    leaves goes with them with chance ``1 - (1 - loss_per_task) ** n``, ``n``
    the tasks that owner did on it (their relationship with the buyer; a lead
    handed to them a step ago is hardly theirs, a deal they ran from the first
    call is). Customers follow the salesperson they are loyal to (Palmatier,
    Scheer & Steenkamp 2007). Replaces ``people.lose_open_deals_probability``,
    a constant per role."""

    loss_per_task: Share = Field(
        default=0.1, description="chance per task the leaving owner did on a lead that it goes with them "
        "(range 0.05-0.2, L): 1 task 10%, 4 tasks 34%")


class Orphans(_Model):
    """Accounts whose caretaker left, as a mechanism instead of a constant. An
    account kept by a generalist seat or on a CSM's book is orphaned while that
    seat is vacant: nobody gives it attention, so it falls along the existing
    attention mechanisms (a generalist's check-ins are missed, the missed-care
    curve or the health model reads them; a CSM book's account counts as having
    no CSM, ``post_sale.no_csm_renewal_multiplier`` or the health model's
    ``no_csm_attention``, for the share of its term it was orphaned). It ends
    when the seat is filled again (the role's ``hiring_lag_days``) or, with
    ``reassign_after_days``, when a manager hands the account to the colleague
    with the lightest book. Replaces ``people.orphan_renewal_multiplier``."""

    reassign_after_days: Annotated[float, Field(ge=0, le=730)] | None = Field(
        default=None, description="days after the caretaker leaves until their accounts go to the least-loaded "
        "colleague present (None: they wait for the backfill, the role's hiring_lag_days; no published figure "
        "for the delay was found: an assumption, range 7-60 days, L)")


class SecondLine(_Model):
    """The managers' manager (a head of sales): their span over the first-line
    managers. Over it, every first-line manager's coverage is diluted too."""

    role: Name = Field(description="the role of the second-line managers (e.g. vp_sales); works no step")
    span_of_control: Annotated[float, Field(gt=0, le=100)] = Field(
        default=6.0, description="first-line managers one second-line manager looks after in full (range "
        "4-8; L)")


class Managers(_Model):
    """First-line managers: their span of control and time (coaching, deal
    reviews, forecasting, hiring) act on their reps' ramp, win odds and
    attrition. A manager looks after ``span_of_control`` reps in full (first-
    line sales managers typically lead 6-10 reps: docs/background.md#managers-and-span-of-control);
    a vacancy being hired for takes ``vacancy_load`` of a rep's worth of their
    time. Over the span their coverage ``c = span / load`` falls below 1 and
    with ``d = 1 - c`` a rep's win odds are multiplied by ``1 - win_odds_loss x d``,
    a hire's ramp takes ``1 + ramp_slowdown x d`` as long and the rep's
    attrition is ``1 + attrition_increase x d`` times the role's. At or under
    the span nothing changes (the role's figures are those of managed reps)."""

    role: Name = Field(description="the role of the first-line managers (e.g. sales_manager); works no step")
    manages: list[Name] = Field(min_length=1, description="roles whose reps they manage (each with a people "
                                "section); seats are shared out in contiguous blocks, new seats go to the "
                                "manager with the fewest")
    span_of_control: Annotated[float, Field(gt=0, le=100)] = Field(
        default=8.0, description="reps one manager coaches, reviews and forecasts for in full (first-line sales "
        "managers lead 6-10 reps; L-M)")
    vacancy_load: Annotated[float, Field(ge=0, le=10)] = Field(
        default=0.5, description="an open seat of a managed role takes this many reps' worth of the manager's "
        "time while it is hired for (interviews, onboarding; range 0.25-1, L)")
    win_odds_loss: Share = Field(
        default=0.2, description="share of the reps' win odds lost at no coverage (coaching effects of 10-20%: "
        "CEB Sales Executive Council; range 0.1-0.3, L)")
    ramp_slowdown: Annotated[float, Field(ge=0, le=10)] = Field(
        default=0.5, description="a hire's ramp takes 1 + this as long at no coverage (range 0.25-1, L)")
    attrition_increase: Annotated[float, Field(ge=0, le=10)] = Field(
        default=0.5, description="attrition is 1 + this times the role's at no coverage (people leave "
        "managers: Gallup 2015; range 0.25-1, L)")
    second_line: SecondLine | None = Field(
        default=None, description="the managers' own manager (a VP of sales) and their span (absent: none)")


class WorkModel(_Model):
    """What a rep's week is made of (absent: all of it is deal work)."""

    time_use: dict[Name, TimeUse] = Field(
        default_factory=dict, description="role -> shares of the week spent on admin, meetings, training, "
        "research, travel; the rest is deal work (roles not named: all deal work)")
    tools_admin_cut: Share = Field(
        default=0.3, description="with process.tools: share of the covered roles' admin hours the tools "
        "remove (CRM automation; about a third of sales tasks automatable, McKinsey 2020; range 0.1-0.5); "
        "with a time_use it replaces tools.work_hours_multiplier")
    playbooks_research_cut: Share = Field(
        default=0.3, description="with process.playbooks: share of research and preparation hours the "
        "playbooks remove (range 0.1-0.5)")
    learning: Learning | None = Field(
        default=None, description="learning by kind of work, for roles with a people section (absent: "
        "people.learning_per_task as before)")
    switching: Switching | None = Field(
        default=None, description="a set-up per switch between kinds of work, for roles with a people section")
    coordination: Coordination | None = Field(
        default=None, description="coordination time growing with team (POD) size, for every staffed role")
    pay: dict[Name, CompPlan] = Field(
        default_factory=dict, description="role -> compensation plan (variable pay, accelerator, cap): the "
        "commission cost of the role's wins (roles with a quota)")
    leaving: Leaving | None = Field(
        default=None, description="attainment-driven departures, for roles with a pay plan, a quota and a "
        "people section with attrition (absent: memoryless attrition)")
    orphans: Orphans | None = Field(
        default=None, description="accounts of a caretaker who left get no attention until the seat is filled "
        "or they are reassigned (absent: people.orphan_renewal_multiplier, a constant on their renewal)")
    leavers: Leavers | None = Field(
        default=None, description="an owner's open leads lost when they leave by the tasks they did on each "
        "(absent: people.lose_open_deals_probability, one chance per role)")
    managers: Managers | None = Field(
        default=None, description="first-line managers' span of control acting on their reps' ramp, win odds "
        "and attrition (absent: managers change nothing and show no work)")
    task_kinds: dict[Name, Kind] = Field(
        default_factory=dict, description=f"step (by destination stage) -> kind of work, over the defaults "
        f"{DEFAULT_TASK_KINDS}; customer work is onboarding or account_care")

    def kind_of(self, stage: str) -> str | None:
        """The kind of work of the step into ``stage`` (None: not known)."""
        return self.task_kinds.get(stage, DEFAULT_TASK_KINDS.get(stage))


def problems(scenario) -> list[tuple[tuple, str]]:
    """Cross-references of the ``work_model`` section, as ``(path, message)``
    (:mod:`sim.scenario.checks` reports them)."""
    wm = scenario.work_model
    if wm is None:
        return []
    out: list[tuple[tuple, str]] = []
    roles = list(scenario.roles)
    for stage in wm.task_kinds:
        if stage not in scenario.stages[1:]:
            out.append((("work_model", "task_kinds", stage), f"unknown step {stage!r}; expected one of "
                        f"{scenario.stages[1:]}"))
    if wm.learning is not None or wm.switching is not None:
        unknown = [s for s in scenario.stages[1:] if wm.kind_of(s) is None]
        if unknown:
            out.append((("work_model", "task_kinds"), f"say the kind of work of step(s) {unknown} (one of "
                        f"{list(KINDS)}): learning and switching count work by kind"))
    if wm.learning is not None:
        for rname, spec in scenario.roles.items():
            if spec.people is not None and spec.people.learning_per_task > 0:
                out.append((("roles", rname, "people", "learning_per_task"), "work_model.learning replaces "
                            "learning_per_task and learning_cap: set learning_per_task to 0"))
    if wm.orphans is not None:
        for rname, spec in scenario.roles.items():
            if spec.people is not None and spec.people.orphan_renewal_multiplier != 1.0:
                out.append((("roles", rname, "people", "orphan_renewal_multiplier"), "work_model.orphans replaces "
                            "orphan_renewal_multiplier: set it to 1"))
    for rname in wm.time_use:
        if rname not in roles:
            out.append((("work_model", "time_use", rname), f"unknown role {rname!r}; expected one of {roles}"))
    for rname in wm.pay:
        if rname not in roles:
            out.append((("work_model", "pay", rname), f"unknown role {rname!r}; expected one of {roles}"))
            continue
        spec = scenario.roles[rname]
        if spec.quota_usd_per_year is None:
            out.append((("work_model", "pay", rname), "a pay plan pays against a quota: set "
                        f"roles.{rname}.quota_usd_per_year"))
        if spec.commission_rate:
            out.append((("roles", rname, "commission_rate"), "work_model.pay replaces the flat commission "
                        "rate: set commission_rate to 0"))
        base = wm.pay[rname].base_usd_per_year
        if base is not None and base > spec.loaded_cost_per_year_usd:
            out.append((("work_model", "pay", rname, "base_usd_per_year"), f"base pay {base:,.0f} is part of "
                        f"the role's loaded cost ({spec.loaded_cost_per_year_usd:,.0f} a year), so it cannot "
                        "exceed it"))
    if wm.leaving is not None:
        judged = [r for r in wm.pay if r in roles and scenario.roles[r].people is not None
                  and scenario.roles[r].people.attrition_per_year > 0 and scenario.roles[r].quota_usd_per_year]
        if not judged:
            out.append((("work_model", "leaving"), "attainment-driven leaving needs a role with a pay plan, a "
                        "quota and people.attrition_per_year > 0"))
    out.extend(_manager_problems(scenario, wm))
    tools = scenario.process.tools
    if tools is not None and moves_time(scenario):
        if tools.steps is not None:
            out.append((("process", "tools", "steps"), "with a work_model the tools act on admin time "
                        "(work_model.tools_admin_cut), not on the hours of chosen steps: leave steps out"))
        covered = tools.roles if tools.roles is not None else [r for r in roles
                                                               if not scenario.roles[r].unlimited_capacity]
        bare = [r for r in covered if r in roles and r not in wm.time_use]
        if bare:
            out.append((("work_model", "time_use"), f"process.tools covers {bare}, whose week has no admin "
                        "time to cut: give them a time_use (or name the covered roles in process.tools.roles)"))
    return out


def _manager_problems(scenario, wm: WorkModel) -> list[tuple[tuple, str]]:
    mg = wm.managers
    if mg is None:
        return []
    out: list[tuple[tuple, str]] = []
    roles = list(scenario.roles)
    steps = {st.role for st in scenario.steps.values() if getattr(st, "role", None)}
    lines: list[tuple[tuple, str]] = [(("work_model", "managers", "role"), mg.role)]
    if mg.second_line is not None:
        lines.append((("work_model", "managers", "second_line", "role"), mg.second_line.role))
    for path, name in lines:
        if name not in roles:
            out.append((path, f"unknown role {name!r}; expected one of {roles}"))
        elif scenario.roles[name].unlimited_capacity:
            out.append((path, f"role {name!r} has unlimited capacity: managers are counted people"))
        elif name in steps:
            out.append((path, f"role {name!r} works funnel steps; managers work no step"))
        elif scenario.roles[name].headcount < 1:
            out.append((path, f"role {name!r} has no headcount: managers are counted people"))
    if mg.second_line is not None and mg.second_line.role == mg.role:
        out.append((("work_model", "managers", "second_line", "role"), "the second line must be another role "
                    "than the first-line managers"))
    if len(set(mg.manages)) != len(mg.manages):
        out.append((("work_model", "managers", "manages"), f"each role may appear once, got {mg.manages}"))
    for name in mg.manages:
        path = ("work_model", "managers", "manages")
        if name not in roles:
            out.append((path, f"unknown role {name!r}; expected one of {roles}"))
        elif name in (mg.role, mg.second_line.role if mg.second_line else None):
            out.append((path, f"{name!r} is a manager role; name the roles of the reps they manage"))
        elif scenario.roles[name].people is None or scenario.roles[name].unlimited_capacity:
            out.append((path, f"managers act on their reps' ramp, win odds and attrition: give role {name!r} a "
                        "people section (and a headcount)"))
    return out


def moves_time(scenario) -> bool:
    """Whether the process layer acts by moving time (a work model with a
    ``time_use``): then the tools cut admin hours instead of multiplying task
    hours. A work model of other parts only (managers, leavers, pay...) leaves
    the tools as they were."""
    wm = scenario.work_model
    return wm is not None and bool(wm.time_use)


def week_shares(scenario: Scenario, role: str) -> dict[str, float]:
    """The shares of ``role``'s working week, after the process layer's cuts:
    ``deal`` and each of :data:`NON_DEAL` (summing to 1). A role without a time
    use: all deal work. The one definition the model (days per work hour) and the
    lint (hours available) both use."""
    wm = scenario.work_model
    use = wm.time_use.get(role) if wm is not None else None
    if wm is None or use is None:
        return {"deal": 1.0, **{k: 0.0 for k in NON_DEAL}}
    shares = {k: float(getattr(use, k)) for k in NON_DEAL}
    tools = scenario.process.tools
    if tools is not None and (tools.roles is None or role in tools.roles):
        shares["admin"] *= 1.0 - wm.tools_admin_cut
    if scenario.process.playbooks is not None:
        shares["research"] *= 1.0 - wm.playbooks_research_cut
    return {"deal": 1.0 - sum(shares.values()), **shares}

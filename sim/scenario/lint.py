"""Lint: a valid scenario that will probably not do what its author meant.

Validation (:mod:`sim.scenario.checks`) refuses what cannot run. A scenario
can pass it and still model something nobody intended: a copied file whose
inbound source lost its ``entry_stage`` starts its leads past the step the
SDRs were hired for, so they do no work at all, and the run reports a cheerful
payback on an organization that does not exist. The rules here read the
scenario alone (the routing of :class:`~sim.scenario.routing.RoutingPlan`, the
rates and hours it states), never a simulation, and return warnings:
``salesim validate`` prints them and still exits 0, ``--strict`` turns them
into errors (exit 2).

Every rule has a name (:data:`RULES`, documented on the docs site's reference
pages) and reports at the key the user must look at.

The capacity rule reads the average work a week asks of each role, estimated
by :mod:`sim.scenario.capacity` from the scenario's own numbers; it only fires
above :data:`OVERLOAD` (100%): the estimate leans high for roles downstream of a
speed-to-lead step.
"""

from __future__ import annotations

from dataclasses import dataclass

from sim.scenario.capacity import (
    StepFlow,
    available_hours,
    leads_per_week,
    offered_hours,
    open_leads,
    throttled,
    wins_per_week,
)
from sim.scenario.pod_spec import customer_work
from sim.scenario.routing import RoutingPlan, entry_stage, source_segments, step_role
from sim.scenario.schema import AccountMining, Inbound, Scenario

Path = tuple[str | int, ...]

OVERLOAD = 1.0
"""Offered work / available hours above which the capacity rule fires."""

RULES: dict[str, str] = {
    "idle_role": "a role that steps, sources or post_sale name as a worker, but that no lead ever reaches",
    "implicit_entry": "a source without entry_stage whose default start skips a step a role is meant to work",
    "unreached_stage": "a stage after the first that no lead can reach (no source starts before it or in it, "
                       "or a conversion of 0 upstream)",
    "unworked_segment": "a segment no source produces leads in, or a source's segment whose leads no role "
                        "ever works",
    "over_capacity": "a role asked for more hours a week, on average, than its headcount x hours_per_week",
    "free_lever": "a process lever (playbooks, tools, enablement, data_driven) or a role with reps that costs "
                  "nothing, so it makes the organization better at no price",
    "benchmark_default": "a selling role whose reps never leave or start fully productive (people.attrition_per_year "
                         "or people.ramp_days left at 0) where the benchmark table gives a published range",
    "stale_open_deal": "an open deal of initial_pipeline older than 99.9% of its stage's customer times: it "
                       "moves on at once and converts at the stage's full rate, which a deal left open that long "
                       "rarely does",
}


@dataclass(frozen=True)
class Finding:
    """One warning: the rule, the key path to look at, and what to do."""

    rule: str
    path: Path
    message: str


# --------------------------------------------------------------------------- rules


def _named_workers(scenario: Scenario) -> dict[str, Path]:
    """Roles the scenario names as doing some work, with the first key that does."""
    named: dict[str, Path] = {}

    def add(role: str | None, path: Path) -> None:
        if role is not None and role in scenario.roles:
            named.setdefault(role, path)

    for stage, step in scenario.steps.items():
        add(step.role, ("steps", stage, "role"))
    for g, seg in scenario.segments.items():
        for stage, r in seg.roles.items():
            add(r, ("segments", g, "roles", stage))
        if seg.pql is not None:
            for stage, r in seg.pql.roles.items():
                add(r, ("segments", g, "pql", "roles", stage))
        for stage, n in seg.steps.items():
            if n.assist is not None:
                add(n.assist.role, ("segments", g, "steps", stage, "assist", "role"))
    for s, src in scenario.sources.items():
        for stage, r in src.roles.items():
            add(r, ("sources", s, "roles", stage))
    for key in ("onboarding_role", "csm_role", "am_role"):
        add(getattr(scenario.post_sale, key), ("post_sale", key))
    return named


def _post_sale_workers(scenario: Scenario, wins: dict[str, float], fl: list[StepFlow]) -> set[str]:
    ps = customer_work(scenario).post_sale
    if not ps.enabled:
        return set()
    reached = {f.segment for f in fl if f.stage == scenario.stages[-1] and f.reach > 0}
    won = [g for g in scenario.segments if g in reached]
    out = set()
    if won and ps.onboarding_role is not None:
        out.add(ps.onboarding_role)
    if ps.csm_role is not None and any(scenario.segments[g].customer.csm_hours_per_month > 0 for g in won):
        out.add(ps.csm_role)
    if ps.am_role is not None and any(scenario.segments[g].customer.expansion.opportunities_per_year > 0
                                      for g in won):
        out.add(ps.am_role)
    return out


def _idle_roles(scenario: Scenario, fl: list[StepFlow], wins: dict[str, float]) -> list[Finding]:
    busy = {f.role for f in fl if f.role is not None and f.reach > 0}
    busy |= {f.assist_role for f in fl if f.assist_role is not None and f.reach > 0}
    busy |= _post_sale_workers(scenario, wins, fl)
    out = []
    for role, where in _named_workers(scenario).items():
        spec = scenario.roles[role]
        if role in busy or (spec.headcount == 0 and not spec.unlimited_capacity):
            continue
        cost = spec.headcount * spec.loaded_cost_per_year_usd
        paid = f", costing ${cost:,.0f} a year," if cost > 0 else ""
        out.append(Finding("idle_role", ("roles", role), f"role {role!r} ({spec.headcount} rep"
                           f"{'s' if spec.headcount != 1 else ''}){paid} is named as a worker at "
                           f"{'.'.join(map(str, where))} but no lead ever reaches its work: every route "
                           f"starts after its steps, or a conversion of 0 stops leads before them; check the "
                           f"sources' entry_stage and the routing overrides"))
    return out


def _implicit_entries(scenario: Scenario) -> list[Finding]:
    out = []
    stages = scenario.stages
    for sname, src in scenario.sources.items():
        if src.entry_stage is not None:
            continue
        entry = stages.index(entry_stage(scenario, sname))
        skipped = []
        for k in range(1, entry + 1):
            roles = {step_role(scenario, sname, stages[k], g) for g in source_segments(scenario, sname)
                     if g in scenario.segments}
            skipped += [(stages[k], r) for r in sorted(r for r in roles if r is not None)]
        if skipped:
            what = ", ".join(f"the step into {st!r} that role {r!r} works" for st, r in skipped)
            out.append(Finding("implicit_entry", ("sources", sname, "entry_stage"),
                               f"source {sname!r} has no entry_stage, so its leads start in {stages[entry]!r} "
                               f"and skip {what}; set sources.{sname}.entry_stage to the stage its leads "
                               f"really start in (an earlier one if that role should work them)"))
    return out


def _unreached_stages(scenario: Scenario, fl: list[StepFlow], plan: RoutingPlan) -> list[Finding]:
    stages = scenario.stages
    reached = {f.stage for f in fl if f.reach > 0}
    starts = {stages[r.entry] for r in plan.routes.values()}
    out = []
    for stage in stages[1:]:
        if stage in reached or stage in starts:
            continue
        out.append(Finding("unreached_stage", ("stages",), f"no lead can reach stage {stage!r}: every source "
                           f"starts after it, or a conversion of 0 before it stops every lead; its numbers in "
                           f"segments.*.steps.{stage} are never used"))
    return out


def _unworked_segments(scenario: Scenario, fl: list[StepFlow], rates: dict[tuple[str, str], float]
                       ) -> list[Finding]:
    out = []
    produced = {g for (s, g), r in rates.items() if r > 0 or isinstance(scenario.sources[s], AccountMining)}
    for g in scenario.segments:
        if g not in produced:
            out.append(Finding("unworked_segment", ("segments", g), f"no source produces leads in segment {g!r} "
                               f"(no inbound share, no outbound accounts); its numbers are never used"))
    for (sname, g), rate in rates.items():
        if rate <= 0 or g not in scenario.segments:
            continue
        seg = scenario.segments[g]
        if seg.motion == "plg":
            continue  # self-serve by design: the product sells, a PQL share goes to sales
        worked = any(f.role is not None for f in fl if f.source == sname and f.segment == g)
        if not worked:
            src = scenario.sources[sname]
            key = ("segment_mix", g) if isinstance(src, Inbound) else ("accounts", g)
            out.append(Finding("unworked_segment", ("sources", sname, *key),
                               f"leads of source {sname!r} in segment {g!r} are never worked: no step of their "
                               f"route has a role (set steps.<stage>.role, segments.{g}.roles or "
                               f"sources.{sname}.roles; or motion: plg if the product sells itself)"))
    return out


def _over_capacity(scenario: Scenario, fl: list[StepFlow], through: dict[str, float]) -> list[Finding]:
    out = []
    held = open_leads(scenario, fl, through)
    for role, asked in offered_hours(scenario, fl, through).items():
        spec = scenario.roles[role]
        if spec.unlimited_capacity or spec.headcount == 0:
            continue
        have = available_hours(scenario, role)
        reps = f"{spec.headcount} rep{'s' if spec.headcount != 1 else ''}"
        has = "have" if spec.headcount != 1 else "has"
        slots = spec.headcount * (spec.max_open_per_rep or 0)
        why = []
        if have > 0 and asked > have * OVERLOAD * (1 + 1e-9):  # a paced outbound list fills a role to 100%
            why.append(f"about {asked:,.0f} hours a week on average but its {reps} {has} {have:,.0f} "
                       f"(utilization {asked / have:.0%})")
        if slots and held.get(role, 0.0) > slots * OVERLOAD * (1 + 1e-9):
            why.append(f"to hold about {held[role]:,.0f} leads open at once to keep up but its {reps} can hold "
                       f"{slots:,} (max_open_per_rep)")
        if why:
            out.append(Finding("over_capacity", ("roles", role, "headcount"),
                               f"role {role!r} is asked {' and '.join(why)}, from the scenario's own arrival "
                               f"rates, conversions, work hours and cycle times: work piles up in its queue (or "
                               f"leads wait for a rep with room) for as long as the run lasts; add reps, or lower "
                               f"the work hours or the arrival rate"))
    return out


def _free_levers(scenario: Scenario) -> list[Finding]:
    out = []
    proc = scenario.process
    for name in ("playbooks", "tools", "enablement", "data_driven"):
        lever = getattr(proc, name)
        if lever is None:
            continue
        if lever.cost_per_year_usd > 0 or (lever.ops_headcount > 0 and lever.ops_loaded_cost_per_year_usd > 0):
            continue
        out.append(Finding("free_lever", ("process", name), f"process.{name} changes the organization but costs "
                           f"nothing: set its cost_per_year_usd (per seat or flat) or ops_headcount and "
                           f"ops_loaded_cost_per_year_usd, or every comparison favours it by assumption"))
    for rname, spec in scenario.roles.items():
        if spec.headcount > 0 and not spec.unlimited_capacity and spec.loaded_cost_per_year_usd == 0:
            out.append(Finding("free_lever", ("roles", rname, "loaded_cost_per_year_usd"),
                               f"role {rname!r} has {spec.headcount} rep{'s' if spec.headcount != 1 else ''} "
                               f"who cost nothing: CAC, payback and cost per ARR leave them out, and more of "
                               f"them always looks better; set loaded_cost_per_year_usd"))
    return out


def _span(row) -> str:
    if row.unit == "fraction":
        return f"{row.low:.0%}-{row.high:.0%} a year"
    return f"{row.low:g}-{row.high:g} {row.unit}".strip()


def _benchmark_defaults(scenario: Scenario, plan: RoutingPlan) -> list[Finding]:
    """People keys left at their neutral defaults (0) for roles that sell, where the benchmark table
    (sim/benchmarks/table.csv) has a published range: reps who never leave and start fully productive
    make every organization look steadier and cheaper than a real one."""
    from sim.benchmarks import default_table

    table = default_table()
    first = {r.roles[0] for r in plan.routes.values() if r.roles and r.roles[0] is not None}
    out = []
    for role in sorted(plan.selling_roles):
        spec = scenario.roles[role]
        if spec.headcount == 0 or spec.unlimited_capacity:
            continue
        people = spec.people
        left = []
        if people is None or people.attrition_per_year == 0:
            row = table.get("rep_attrition_per_year")
            if row is not None:
                left.append(("attrition_per_year", "reps never leave", row))
        if people is None or people.ramp_days == 0:
            metric = "ae_ramp_days" if role in plan.closing_roles else "sdr_ramp_days" if role in first else None
            row = table.get(metric) if metric else None
            if row is not None:
                left.append(("ramp_days", "a new rep is fully productive on day one", row))
        if not left:
            continue
        what = "; ".join(f"people.{key} is 0 ({effect}): the benchmark table puts it at {_span(row)} "
                         f"({row.source.split(';')[0].strip()}{f', {row.year}' if row.year else ''}, {row.trust})"
                         for key, effect, row in left)
        out.append(Finding("benchmark_default", ("roles", role, "people"), f"role {role!r}: {what}; set them, or "
                           f"keep them at 0 on purpose (a textbook case)"))
    return out


def _stale_open_deals(scenario: Scenario) -> list[Finding]:
    """Open deals past their stage's 99.9th percentile of customer time, one finding per stage and segment
    (the first such row, with the count)."""
    from sim.scenario.pipeline_spec import resolved, stale_after

    stages = scenario.stages
    seen: dict[tuple[str, str], list[int]] = {}
    limit: dict[tuple[str, str], float] = {}
    for i, deal in enumerate(scenario.initial_pipeline or ()):
        _source, segment = resolved(scenario, deal)
        key = (deal.stage, segment)
        if key not in limit:  # (with lost_after_days: the later of the times to a win and to a loss)
            step = scenario.segments[segment].steps[stages[stages.index(deal.stage) + 1]]
            limit[key] = max(stale_after(step.elapsed_days),
                             stale_after(step.lost_after_days) if step.lost_after_days is not None else 0.0)
        if deal.age_days > limit[key]:
            seen.setdefault(key, []).append(i)
    out = []
    for (stage, segment), rows in seen.items():
        nxt = stages[stages.index(stage) + 1]
        out.append(Finding("stale_open_deal", ("initial_pipeline", rows[0], "age_days"),
                           f"{len(rows)} open {segment} deal(s) in {stage!r} are older than 99.9% of the time "
                           f"its step into {nxt!r} takes ({limit[(stage, segment)]:.0f} days): they move on at "
                           "once at the step's full conversion; leave out deals gone stale, or check the age"))
    return out


def lint(scenario: Scenario, rules: tuple[str, ...] | None = None) -> list[Finding]:
    """Every warning of a validated scenario (empty: nothing to say), in the
    order of :data:`RULES`; ``rules`` picks some of them."""
    plan = RoutingPlan.compile(customer_work(scenario))
    fl, through = throttled(scenario, plan)
    wins = wins_per_week(scenario, fl)
    rates = leads_per_week(scenario)
    found = {
        "idle_role": lambda: _idle_roles(scenario, fl, wins),
        "implicit_entry": lambda: _implicit_entries(scenario),
        "unreached_stage": lambda: _unreached_stages(scenario, fl, plan),
        "unworked_segment": lambda: _unworked_segments(scenario, fl, rates),
        "over_capacity": lambda: _over_capacity(scenario, fl, through),
        "free_lever": lambda: _free_levers(scenario),
        "benchmark_default": lambda: _benchmark_defaults(scenario, plan),
        "stale_open_deal": lambda: _stale_open_deals(scenario),
    }
    out: list[Finding] = []
    for name in RULES:
        if rules is None or name in rules:
            out.extend(found[name]())
    return out


def located(findings: list[Finding], origins: dict, file: str) -> list[str]:
    """Each finding as ``file:line: key: message [rule]``, at the line of its key
    (or of the nearest key above it that the file has)."""
    from sim.errors import Located
    from sim.scenario.messages import origin_of

    out = []
    for f in findings:
        where = origin_of(f.path, origins, file)
        out.append(f"{Located(where[0], where[1], f.path, f.message)} [{f.rule}]")
    return out


def lint_file(path, overrides=()) -> tuple[Scenario, list[str]]:
    """Load and validate a scenario file (a :class:`~sim.errors.ScenarioError`
    when it is invalid) and lint it: the scenario and its located warnings."""
    from sim.scenario.loader import load_data, validate_data

    data, origins = load_data(path, overrides)
    scenario = validate_data(data, origins, str(path))
    return scenario, located(lint(scenario), origins, str(path))

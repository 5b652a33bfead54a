"""Cross-reference checks that a per-field schema cannot express.

Each problem is reported at the key where the user must fix it, with the
allowed values and, for near misses, a "did you mean".
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass

from sim.scenario.calendar_spec import week_hours
from sim.scenario.routing import entry_stage, source_segments, step_role
from sim.scenario.schema import AccountMining, Inbound, Scenario
from sim.scenario.work_model import problems as work_model_problems

Path = tuple[str | int, ...]


@dataclass(frozen=True)
class Problem:
    path: Path
    message: str


def suggest(word: object, choices: Iterable[str]) -> str:
    """A ' (did you mean X?)' suffix, or '' when nothing is close."""
    match = difflib.get_close_matches(str(word), list(choices), n=1, cutoff=0.6)
    return f" (did you mean {match[0]!r}?)" if match else ""


def _unknown(kind: str, name: str, known: Iterable[str]) -> str:
    known = list(known)
    return f"unknown {kind} {name!r}{suggest(name, known)}; expected one of {known}"


def check(scenario: Scenario) -> list[Problem]:
    """Every cross-reference problem of a schema-valid scenario (empty list: fine)."""
    out: list[Problem] = []
    stages = scenario.stages
    step_stages = stages[1:]
    roles = list(scenario.roles)
    segments = list(scenario.segments)
    used_roles: dict[str, Path] = {}

    if scenario.win_rate_from is not None and scenario.win_rate_from not in stages[:-1]:
        out.append(Problem(("win_rate_from",), _unknown("stage", scenario.win_rate_from, stages[:-1])))

    for stage, step in scenario.steps.items():
        if stage not in step_stages:
            out.append(Problem(("steps", stage), _unknown("step (a stage after the first)", stage, step_stages)))
            continue
        if step.role is not None:
            if step.role not in roles:
                out.append(Problem(("steps", stage, "role"), _unknown("role", step.role, roles)))
            else:
                used_roles.setdefault(step.role, ("steps", stage, "role"))
        elif step.sla_hours is not None:
            out.append(Problem(("steps", stage, "sla_hours"), "an SLA needs a role to pick the lead up; set steps."
                               f"{stage}.role"))

    for name, seg in scenario.segments.items():
        missing = [s for s in step_stages if s not in seg.steps]
        if missing:
            out.append(Problem(("segments", name, "steps"), f"missing numbers for step(s) {missing}; every "
                               f"stage after the first needs conversion_probability"))
        for stage in seg.steps:
            if stage not in step_stages:
                out.append(Problem(("segments", name, "steps", stage), _unknown("step", stage, step_stages)))
        for stage, role in seg.roles.items():
            if stage not in step_stages:
                out.append(Problem(("segments", name, "roles", stage), _unknown("step", stage, step_stages)))
            elif role is not None and role not in roles:
                out.append(Problem(("segments", name, "roles", stage), _unknown("role", role, roles)))
            elif role is not None:
                used_roles.setdefault(role, ("segments", name, "roles", stage))

    for name, seg in scenario.segments.items():
        for stage, numbers in seg.steps.items():
            if numbers.assist is not None:
                step = scenario.steps.get(stage)
                if numbers.assist.role in roles and scenario.roles[numbers.assist.role].owns_leads:
                    out.append(Problem(("segments", name, "steps", stage, "assist", "role"),
                                       f"an assisting role works a shared queue: set roles."
                                       f"{numbers.assist.role}.owns_leads: false"))
                if (step is None or step.role is None) and not seg.roles.get(stage):
                    out.append(Problem(("segments", name, "steps", stage, "assist"),
                                       "a second seller needs a first one: this step has no role"))
                if numbers.assist.role not in roles:
                    out.append(Problem(("segments", name, "steps", stage, "assist", "role"),
                                       _unknown("role", numbers.assist.role, roles)))
                else:
                    used_roles.setdefault(numbers.assist.role, ("segments", name, "steps", stage, "assist"))
        if seg.pql is not None:
            for stage, role in seg.pql.roles.items():
                if stage not in step_stages:
                    out.append(Problem(("segments", name, "pql", "roles", stage), _unknown("step", stage, step_stages)))
                elif role is not None and role not in roles:
                    out.append(Problem(("segments", name, "pql", "roles", stage), _unknown("role", role, roles)))
                elif role is not None:
                    used_roles.setdefault(role, ("segments", name, "pql", "roles", stage))

    owned_post = {getattr(scenario.post_sale, k) for k in ("onboarding_role", "csm_role", "am_role")}
    owned_post = sorted(r for r in owned_post if r in scenario.roles and scenario.roles[r].owns_leads)
    if len(owned_post) > 1:
        out.append(Problem(("post_sale",), f"the post-sale roles that own accounts must be one role (the "
                           f"generalist keeping its accounts), got {owned_post}"))
    for key in ("onboarding_role", "csm_role", "am_role"):
        role = getattr(scenario.post_sale, key)
        if role is None:
            continue
        if role not in roles:
            out.append(Problem(("post_sale", key), _unknown("role", role, roles)))
            continue
        used_roles.setdefault(role, ("post_sale", key))
    dd = scenario.process.data_driven
    if dd is not None and dd.outside is not None:
        at = ("process", "data_driven", "outside")
        if dd.ops_headcount <= 0:
            out.append(Problem(("process", "data_driven", "ops_headcount"), "a data loop against an outside "
                               "benchmark needs analysts: set ops_headcount above 0"))
        for gname, by_stage in dd.outside.conversion.items():
            if gname not in segments:
                out.append(Problem((*at, "conversion", gname), _unknown("segment", gname, segments)))
            for sname in by_stage:
                if sname not in stages[1:]:
                    out.append(Problem((*at, "conversion", gname, sname), _unknown("stage", sname, stages[1:])))
    if scenario.deals is not None:
        for gname in scenario.deals.deal_desk_cap:
            if gname not in segments:
                out.append(Problem(("deals", "deal_desk_cap", gname), _unknown("segment", gname, segments)))
    cs = scenario.customer_success
    if cs is not None and cs.expansion.closed_by == "am" and scenario.post_sale.am_role is None:
        out.append(Problem(("customer_success", "expansion", "closed_by"),
                           "handing CSM-sourced expansion to an account manager needs post_sale.am_role"))

    for rname, role in scenario.roles.items():
        if role.max_open_per_rep is not None and not role.owns_leads:
            out.append(Problem(("roles", rname, "max_open_per_rep"),
                               "a limit on open leads per rep needs owns_leads: true"))
    closers = {step_role(scenario, s, stages[-1], g, pql) for s in scenario.sources
               for g in source_segments(scenario, s) if g in segments for pql in (False, True)}
    for rname, role in scenario.roles.items():
        if role.quota_usd_per_year is not None and rname not in closers:
            out.append(Problem(("roles", rname, "quota_usd_per_year"), f"a bookings quota needs a role that "
                               f"closes deals (works the step into {stages[-1]!r}); closing roles: "
                               f"{sorted(r for r in closers if r)}"))

    for sname, src in scenario.sources.items():
        base: Path = ("sources", sname)
        if src.entry_stage is not None and src.entry_stage not in stages[:-1]:
            out.append(Problem(base + ("entry_stage",), _unknown("entry stage", src.entry_stage, stages[:-1])))
            continue
        for stage, role in src.roles.items():
            if stage not in step_stages:
                out.append(Problem(base + ("roles", stage), _unknown("step", stage, step_stages)))
            elif role is not None and role not in roles:
                out.append(Problem(base + ("roles", stage), _unknown("role", role, roles)))
            elif role is not None:
                used_roles.setdefault(role, base + ("roles", stage))
        for stage in src.conversion_multiplier:
            if stage not in step_stages:
                out.append(Problem(base + ("conversion_multiplier", stage), _unknown("step", stage, step_stages)))
        mix, key = source_segments(scenario, sname), {"inbound": "segment_mix", "outbound": "accounts",
                                                       "account_mining": "segments"}[src.kind]
        for i, seg in enumerate(mix):
            if seg not in segments:
                where = (key, i) if isinstance(src, AccountMining) else (key, seg)
                out.append(Problem(base + where, _unknown("segment", seg, segments)))
        if isinstance(src, AccountMining):
            if src.segments is not None and len(set(src.segments)) != len(src.segments):
                out.append(Problem(base + ("segments",), f"segments repeated: {src.segments}"))
            continue
        if src.kind == "inbound":
            total = sum(src.segment_mix.values())
            if abs(total - 1.0) > 1e-6:
                out.append(Problem(base + ("segment_mix",), f"shares must sum to 1, they sum to {total:g}"))
        elif any(p.path[:2] == base for p in out):
            continue
        else:
            first = stages[stages.index(entry_stage(scenario, sname)) + 1]
            found = {step_role(scenario, sname, first, g, pql) for g, n in src.accounts.items()
                     if g in segments and n > 0
                     for pql in ((False, True) if scenario.segments[g].pql is not None else (False,))}
            if not found:
                continue
            role = found.pop() if len(found) == 1 else None
            spec = scenario.roles.get(role) if role is not None else None
            if len(found) > 0:
                out.append(Problem(base, f"outbound prospecting (step {first!r}) must be done by one "
                                   f"role for all its segments; set sources.{sname}.roles.{first}"))
            elif spec is None or not spec.owns_leads or spec.max_open_per_rep is None:
                out.append(Problem(base, f"outbound prospecting is paced by the role of its first step "
                                   f"({first!r}, role {role!r}): that role needs owns_leads: true and "
                                   f"max_open_per_rep (accounts in cadence per rep)"))

    for i, ev in enumerate(scenario.timeline):
        base = ("timeline", i)
        if ev.action in ("rep_leaves", "hire"):
            if ev.role is None:
                out.append(Problem(base + ("role",), f"{ev.action} needs a role"))
            elif ev.role not in roles:
                out.append(Problem(base + ("role",), _unknown("role", ev.role, roles)))
            elif scenario.roles[ev.role].unlimited_capacity:
                out.append(Problem(base + ("role",), f"role {ev.role!r} has unlimited capacity: no reps to "
                                   f"{'lose' if ev.action == 'rep_leaves' else 'add'}"))
            if ev.action == "rep_leaves" and ev.rep is None:
                out.append(Problem(base + ("rep",), "rep_leaves needs rep: a seat number or 'top'"))
            elif (ev.action == "rep_leaves" and isinstance(ev.rep, int) and ev.role in scenario.roles
                  and not 0 <= ev.rep < scenario.roles[ev.role].headcount):
                out.append(Problem(base + ("rep",), f"seat {ev.rep} does not exist: role {ev.role!r} has seats "
                                   f"0..{scenario.roles[ev.role].headcount - 1} at the start"))
        if ev.action == "market_shock":
            src = scenario.sources.get(ev.source) if ev.source else None
            if ev.source is None or ev.source not in scenario.sources:
                out.append(Problem(base + ("source",), _unknown("source", str(ev.source),
                                                                list(scenario.sources))))
            elif not isinstance(src, Inbound):
                out.append(Problem(base + ("source",), "market_shock scales an inbound source's rate"))
        if ev.action == "price_change" and ev.segment is not None and ev.segment not in segments:
            out.append(Problem(base + ("segment",), _unknown("segment", ev.segment, segments)))
    if scenario.process.data_driven is not None:
        for stage in scenario.process.data_driven.benchmark:
            if stage not in step_stages:
                out.append(Problem(("process", "data_driven", "benchmark", stage),
                                   _unknown("step", stage, step_stages)))
    tools = scenario.process.tools
    if tools is not None:
        for i, r in enumerate(tools.roles or []):
            if r not in scenario.roles:
                out.append(Problem(("process", "tools", "roles", i), _unknown("role", r, list(scenario.roles))))
        for i, st in enumerate(tools.steps or []):
            if st not in step_stages:
                out.append(Problem(("process", "tools", "steps", i), _unknown("step", st, step_stages)))

    if scenario.pods is not None:
        out.extend(_check_pods(scenario))
    out.extend(_check_calendar(scenario))
    out.extend(Problem(path, msg) for path, msg in work_model_problems(scenario))

    for role, where in used_roles.items():
        spec = scenario.roles[role]
        if spec.headcount == 0 and not spec.unlimited_capacity:
            out.append(Problem(("roles", role, "headcount"), f"role {role!r} has no reps but does work "
                               f"(see {'.'.join(map(str, where))}); set headcount >= 1"))
    return out


def _check_pods(scenario: Scenario) -> list[Problem]:
    pods = scenario.pods
    out: list[Problem] = []
    roles = list(scenario.roles)
    base: Path = ("pods",)
    for i, r in enumerate(pods.roles):
        if r not in roles:
            out.append(Problem(base + ("roles", i), _unknown("role", r, roles)))
        elif scenario.roles[r].unlimited_capacity:
            out.append(Problem(base + ("roles", i), f"role {r!r} has unlimited capacity: nothing to split"))
    slices = list(scenario.segments) if pods.slice == "segment" else list(pods.industries)
    if pods.slice == "industry":
        total = sum(pods.industries.values())
        if not pods.industries or abs(total - 1) > 1e-6:
            out.append(Problem(base + ("industries",), f"shares must sum to 1, they sum to {total:g}"))
    owned: dict[str, str] = {}
    names = set()
    for i, pod in enumerate(pods.initial):
        where = base + ("initial", i)
        if pod.name in names:
            out.append(Problem(where + ("name",), f"POD name {pod.name!r} repeated"))
        names.add(pod.name)
        for j, sl in enumerate(pod.owns):
            if sl not in slices:
                out.append(Problem(where + ("owns", j), _unknown(pods.slice, sl, slices)))
            elif sl in owned:
                out.append(Problem(where + ("owns", j), f"{sl!r} is already owned by POD {owned[sl]!r}"))
            else:
                owned[sl] = pod.name
        for r in pod.headcount:
            if r not in pods.roles:
                out.append(Problem(where + ("headcount", r), _unknown("podded role", r, pods.roles)))
    missing = [sl for sl in slices if sl not in owned]
    if missing:
        out.append(Problem(base + ("initial",), f"every {pods.slice} needs an owning POD; nobody owns {missing}"))
    if len(pods.initial) > pods.fission.max_pods:
        out.append(Problem(base + ("fission", "max_pods"), f"{len(pods.initial)} initial PODs exceed max_pods"))
    for r in pods.fission.new_pod_headcount:
        if r not in pods.roles:
            out.append(Problem(base + ("fission", "new_pod_headcount", r), _unknown("podded role", r, pods.roles)))
    promote = pods.fission.promote_role
    if promote is not None and promote not in pods.roles:
        out.append(Problem(base + ("fission", "promote_role"), _unknown("podded role", promote, pods.roles)))
    for r in pods.roles:
        if r in roles and sum(p.headcount.get(r, 0) for p in pods.initial) != scenario.roles[r].headcount:
            out.append(Problem(("roles", r, "headcount"), f"the initial PODs hold "
                               f"{sum(p.headcount.get(r, 0) for p in pods.initial)} {r} seats; the role's "
                               f"headcount must match"))
    return out


def _check_calendar(scenario: Scenario) -> list[Problem]:
    """Working-time settings that only make sense together."""
    out: list[Problem] = []
    base = scenario.calendar
    overrides = [(("roles", r, "calendar"), spec.calendar) for r, spec in scenario.roles.items()]
    if scenario.pods is not None:
        overrides += [(("pods", "initial", i, "calendar"), p.calendar) for i, p in enumerate(scenario.pods.initial)]
    for path, cal in overrides:
        if cal is not None and base is None:
            out.append(Problem(path, "a role's or POD's working time overrides the scenario's: add a "
                               "top-level calendar section (its defaults are Mon-Fri 09:00-17:30)"))
    if base is None:
        return out
    for rname, spec in scenario.roles.items():
        if spec.people is not None and spec.people.time_off_days_per_year > 0:
            out.append(Problem(("roles", rname, "people", "time_off_days_per_year"),
                               "with a calendar, time off is dated: set calendar.vacation_days_per_year "
                               "(and holidays) instead of the averaged time_off_days_per_year"))
        cal = base.merged(spec.calendar)
        hours = week_hours(cal.days, cal.hours, cal.lunch)
        if spec.hours_per_week is not None and spec.hours_per_week > hours + 1e-9:
            out.append(Problem(("roles", rname, "hours_per_week"),
                               f"with a calendar, hours_per_week is the time on the role's tasks and cannot "
                               f"pass the calendar's {hours:g} working hours a week"))
    return out

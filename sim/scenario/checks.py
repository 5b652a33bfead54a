"""Cross-reference checks that a per-field schema cannot express.

Each problem is reported at the key where the user must fix it, with the
allowed values and, for near misses, a "did you mean". :func:`check` runs the
named checks of :data:`CHECKS` in order, one idea each (a step's role, a
source's segments, the timeline's reps...), then the last one that needs all
the others' references: a role that does work has reps.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass

from sim.scenario.calendar_spec import WorkWeek, week_hours
from sim.scenario.people_spec import Event
from sim.scenario.pod_spec import Pods
from sim.scenario.routing import entry_stage, source_segments, step_role
from sim.scenario.schema import AccountMining, Inbound, Outbound, Scenario
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


def _steps_of(scenario: Scenario) -> list[str]:
    """The stages a step leads into: every stage after the first."""
    return scenario.stages[1:]


def _step_roles(scenario: Scenario, base: Path, by_step: Mapping[str, str | None]) -> Iterator[Problem]:
    """A ``{step: role}`` override (a segment's, a PQL's, a source's): known steps, known roles."""
    steps, roles = _steps_of(scenario), list(scenario.roles)
    for stage, role in by_step.items():
        if stage not in steps:
            yield Problem((*base, stage), _unknown("step", stage, steps))
        elif role is not None and role not in roles:
            yield Problem((*base, stage), _unknown("role", role, roles))


def _valid_step_roles(scenario: Scenario, base: Path, by_step: Mapping[str, str | None]) -> Iterator[tuple[str, Path]]:
    """The roles a ``{step: role}`` override puts to work, where the reference is valid."""
    steps = _steps_of(scenario)
    for stage, role in by_step.items():
        if stage in steps and role is not None and role in scenario.roles:
            yield role, (*base, stage)


# -- the named checks, in the order their problems are reported -----------------------------

def win_rate_stage(scenario: Scenario) -> Iterator[Problem]:
    """``win_rate_from`` names a stage before the last."""
    before_win = scenario.stages[:-1]
    if scenario.win_rate_from is not None and scenario.win_rate_from not in before_win:
        yield Problem(("win_rate_from",), _unknown("stage", scenario.win_rate_from, before_win))


def step_roles(scenario: Scenario) -> Iterator[Problem]:
    """Each ``steps`` key is a stage after the first; its role exists; an SLA has a role."""
    steps, roles = _steps_of(scenario), list(scenario.roles)
    for stage, step in scenario.steps.items():
        if stage not in steps:
            yield Problem(("steps", stage), _unknown("step (a stage after the first)", stage, steps))
        elif step.role is not None and step.role not in roles:
            yield Problem(("steps", stage, "role"), _unknown("role", step.role, roles))
        elif step.role is None and step.sla_hours is not None:
            yield Problem(("steps", stage, "sla_hours"), "an SLA needs a role to pick the lead up; set steps."
                          f"{stage}.role")


def segment_steps(scenario: Scenario) -> Iterator[Problem]:
    """Each segment has numbers for every step and none for a stage that is no step; its role
    overrides name known steps and roles."""
    steps = _steps_of(scenario)
    for name, seg in scenario.segments.items():
        missing = [s for s in steps if s not in seg.steps]
        if missing:
            yield Problem(("segments", name, "steps"), f"missing numbers for step(s) {missing}; every "
                          f"stage after the first needs conversion_probability")
        for stage in seg.steps:
            if stage not in steps:
                yield Problem(("segments", name, "steps", stage), _unknown("step", stage, steps))
        yield from _step_roles(scenario, ("segments", name, "roles"), seg.roles)


def assists_and_pql_roles(scenario: Scenario) -> Iterator[Problem]:
    """A second seller (``assist``) works a shared queue beside a first one and exists; a PQL's
    role overrides name known steps and roles (per segment, assists first)."""
    roles = list(scenario.roles)
    for name, seg in scenario.segments.items():
        for stage, numbers in seg.steps.items():
            if numbers.assist is None:
                continue
            at: Path = ("segments", name, "steps", stage, "assist")
            assist, step = numbers.assist.role, scenario.steps.get(stage)
            if assist in roles and scenario.roles[assist].owns_leads:
                yield Problem((*at, "role"), f"an assisting role works a shared queue: set roles.{assist}"
                              ".owns_leads: false")
            if (step is None or step.role is None) and not seg.roles.get(stage):
                yield Problem(at, "a second seller needs a first one: this step has no role")
            if assist not in roles:
                yield Problem((*at, "role"), _unknown("role", assist, roles))
        if seg.pql is not None:
            yield from _step_roles(scenario, ("segments", name, "pql", "roles"), seg.pql.roles)


_POST_SALE_ROLES = ("onboarding_role", "csm_role", "am_role")


def post_sale_roles(scenario: Scenario) -> Iterator[Problem]:
    """The post-sale roles exist, and at most one of them owns accounts."""
    post = scenario.post_sale
    owned = {getattr(post, k) for k in _POST_SALE_ROLES}
    owned_post = sorted(r for r in owned if r in scenario.roles and scenario.roles[r].owns_leads)
    if len(owned_post) > 1:
        yield Problem(("post_sale",), f"the post-sale roles that own accounts must be one role (the "
                      f"generalist keeping its accounts), got {owned_post}")
    for key in _POST_SALE_ROLES:
        role = getattr(post, key)
        if role is not None and role not in scenario.roles:
            yield Problem(("post_sale", key), _unknown("role", role, list(scenario.roles)))


def outside_data_loop(scenario: Scenario) -> Iterator[Problem]:
    """A data loop against an outside benchmark has analysts and names known segments and stages."""
    dd = scenario.process.data_driven
    if dd is None or dd.outside is None:
        return
    at: Path = ("process", "data_driven", "outside")
    segments, steps = list(scenario.segments), _steps_of(scenario)
    if dd.ops_headcount <= 0:
        yield Problem(("process", "data_driven", "ops_headcount"), "a data loop against an outside "
                      "benchmark needs analysts: set ops_headcount above 0")
    for gname, by_stage in dd.outside.conversion.items():
        if gname not in segments:
            yield Problem((*at, "conversion", gname), _unknown("segment", gname, segments))
        for sname in by_stage:
            if sname not in steps:
                yield Problem((*at, "conversion", gname, sname), _unknown("stage", sname, steps))


def deal_desk_segments(scenario: Scenario) -> Iterator[Problem]:
    """The deal desk's caps are per known segment."""
    if scenario.deals is None:
        return
    segments = list(scenario.segments)
    for gname in scenario.deals.deal_desk_cap:
        if gname not in segments:
            yield Problem(("deals", "deal_desk_cap", gname), _unknown("segment", gname, segments))


def csm_expansion_closer(scenario: Scenario) -> Iterator[Problem]:
    """CSM-sourced expansion handed to an account manager needs one."""
    cs = scenario.customer_success
    if cs is not None and cs.expansion.closed_by == "am" and scenario.post_sale.am_role is None:
        yield Problem(("customer_success", "expansion", "closed_by"),
                      "handing CSM-sourced expansion to an account manager needs post_sale.am_role")


def open_lead_limits(scenario: Scenario) -> Iterator[Problem]:
    """A cap on open leads per rep is for a role that owns its leads."""
    for rname, role in scenario.roles.items():
        if role.max_open_per_rep is not None and not role.owns_leads:
            yield Problem(("roles", rname, "max_open_per_rep"), "a limit on open leads per rep needs owns_leads: true")


def quota_closers(scenario: Scenario) -> Iterator[Problem]:
    """A bookings quota is for a role that closes deals (works the step into the last stage)."""
    stages, segments = scenario.stages, scenario.segments
    closers = {step_role(scenario, s, stages[-1], g, pql) for s in scenario.sources
               for g in source_segments(scenario, s) if g in segments for pql in (False, True)}
    for rname, role in scenario.roles.items():
        if role.quota_usd_per_year is not None and rname not in closers:
            yield Problem(("roles", rname, "quota_usd_per_year"), f"a bookings quota needs a role that "
                          f"closes deals (works the step into {stages[-1]!r}); closing roles: "
                          f"{sorted(r for r in closers if r)}")


_MIX_KEY = {"inbound": "segment_mix", "outbound": "accounts", "account_mining": "segments"}


def _source_references(scenario: Scenario, sname: str) -> Iterator[Problem]:
    """A source's role overrides, conversion multipliers and segments name known things."""
    src, base = scenario.sources[sname], ("sources", sname)
    steps, segments = _steps_of(scenario), list(scenario.segments)
    yield from _step_roles(scenario, (*base, "roles"), src.roles)
    for stage in src.conversion_multiplier:
        if stage not in steps:
            yield Problem((*base, "conversion_multiplier", stage), _unknown("step", stage, steps))
    key = _MIX_KEY[src.kind]
    for i, seg in enumerate(source_segments(scenario, sname)):
        if seg not in segments:
            where = (key, i) if isinstance(src, AccountMining) else (key, seg)
            yield Problem((*base, *where), _unknown("segment", seg, segments))


def _outbound_pacer(scenario: Scenario, sname: str, src: Outbound) -> Iterator[Problem]:
    """Outbound prospecting is paced by one role, which owns its leads with a cap per rep."""
    stages, segments = scenario.stages, scenario.segments
    first = stages[stages.index(entry_stage(scenario, sname)) + 1]
    found = {step_role(scenario, sname, first, g, pql) for g, n in src.accounts.items()
             if g in segments and n > 0
             for pql in ((False, True) if segments[g].pql is not None else (False,))}
    if not found:
        return
    role = found.pop() if len(found) == 1 else None
    spec = scenario.roles.get(role) if role is not None else None
    if len(found) > 0:
        yield Problem(("sources", sname), f"outbound prospecting (step {first!r}) must be done by one "
                      f"role for all its segments; set sources.{sname}.roles.{first}")
    elif spec is None or not spec.owns_leads or spec.max_open_per_rep is None:
        yield Problem(("sources", sname), f"outbound prospecting is paced by the role of its first step "
                      f"({first!r}, role {role!r}): that role needs owns_leads: true and "
                      f"max_open_per_rep (accounts in cadence per rep)")


def each_source(scenario: Scenario) -> Iterator[Problem]:
    """Each source: a known entry stage (nothing else checked without one), known references,
    no repeated mining segments, an inbound mix that sums to 1, an outbound pacer (only when
    the source's references are sound)."""
    for sname, src in scenario.sources.items():
        base: Path = ("sources", sname)
        if src.entry_stage is not None and src.entry_stage not in scenario.stages[:-1]:
            yield Problem((*base, "entry_stage"), _unknown("entry stage", src.entry_stage, scenario.stages[:-1]))
            continue
        found = list(_source_references(scenario, sname))
        yield from found
        if isinstance(src, AccountMining):
            if src.segments is not None and len(set(src.segments)) != len(src.segments):
                yield Problem((*base, "segments"), f"segments repeated: {src.segments}")
        elif isinstance(src, Inbound):
            total = sum(src.segment_mix.values())
            if abs(total - 1.0) > 1e-6:
                yield Problem((*base, "segment_mix"), f"shares must sum to 1, they sum to {total:g}")
        elif not found:
            yield from _outbound_pacer(scenario, sname, src)


def _staff_event(scenario: Scenario, base: Path, ev: Event) -> Iterator[Problem]:
    """``rep_leaves`` and ``hire``: a known role with reps, and for a departure a seat that exists."""
    roles = list(scenario.roles)
    if ev.role is None:
        yield Problem((*base, "role"), f"{ev.action} needs a role")
    elif ev.role not in roles:
        yield Problem((*base, "role"), _unknown("role", ev.role, roles))
    elif scenario.roles[ev.role].unlimited_capacity:
        yield Problem((*base, "role"), f"role {ev.role!r} has unlimited capacity: no reps to "
                      f"{'lose' if ev.action == 'rep_leaves' else 'add'}")
    if ev.action == "rep_leaves" and ev.rep is None:
        yield Problem((*base, "rep"), "rep_leaves needs rep: a seat number or 'top'")
    elif (ev.action == "rep_leaves" and isinstance(ev.rep, int) and ev.role in scenario.roles
          and not 0 <= ev.rep < scenario.roles[ev.role].headcount):
        yield Problem((*base, "rep"), f"seat {ev.rep} does not exist: role {ev.role!r} has seats "
                      f"0..{scenario.roles[ev.role].headcount - 1} at the start")


def timeline_events(scenario: Scenario) -> Iterator[Problem]:
    """Dated events name what they act on: a role and seat, an inbound source, a segment."""
    for i, ev in enumerate(scenario.timeline):
        base: Path = ("timeline", i)
        if ev.action in ("rep_leaves", "hire"):
            yield from _staff_event(scenario, base, ev)
        if ev.action == "market_shock":
            src = scenario.sources.get(ev.source) if ev.source else None
            if ev.source is None or ev.source not in scenario.sources:
                yield Problem((*base, "source"), _unknown("source", str(ev.source), list(scenario.sources)))
            elif not isinstance(src, Inbound):
                yield Problem((*base, "source"), "market_shock scales an inbound source's rate")
        if ev.action == "price_change" and ev.segment is not None and ev.segment not in scenario.segments:
            yield Problem((*base, "segment"), _unknown("segment", ev.segment, list(scenario.segments)))


def data_loop_benchmark(scenario: Scenario) -> Iterator[Problem]:
    """The data loop's benchmark is per step."""
    steps = _steps_of(scenario)
    if scenario.process.data_driven is not None:
        for stage in scenario.process.data_driven.benchmark:
            if stage not in steps:
                yield Problem(("process", "data_driven", "benchmark", stage), _unknown("step", stage, steps))


def tools_reach(scenario: Scenario) -> Iterator[Problem]:
    """The tools name known roles and steps."""
    tools, steps = scenario.process.tools, _steps_of(scenario)
    if tools is None:
        return
    for i, r in enumerate(tools.roles or []):
        if r not in scenario.roles:
            yield Problem(("process", "tools", "roles", i), _unknown("role", r, list(scenario.roles)))
    for i, st in enumerate(tools.steps or []):
        if st not in steps:
            yield Problem(("process", "tools", "steps", i), _unknown("step", st, steps))


def _pod_roles(scenario: Scenario, pods: Pods) -> Iterator[Problem]:
    """The podded roles exist and have a headcount to split."""
    roles = list(scenario.roles)
    for i, r in enumerate(pods.roles):
        if r not in roles:
            yield Problem(("pods", "roles", i), _unknown("role", r, roles))
        elif scenario.roles[r].unlimited_capacity:
            yield Problem(("pods", "roles", i), f"role {r!r} has unlimited capacity: nothing to split")


def _pod_slices(pods: Pods) -> Iterator[Problem]:
    """Industry shares sum to 1."""
    if pods.slice == "industry":
        total = sum(pods.industries.values())
        if not pods.industries or abs(total - 1) > 1e-6:
            yield Problem(("pods", "industries"), f"shares must sum to 1, they sum to {total:g}")


def _pod_owners(scenario: Scenario, pods: Pods) -> Iterator[Problem]:
    """Each POD has its own name, owns known slices nobody else owns, and seats only podded
    roles; every slice has an owner."""
    slices = list(scenario.segments) if pods.slice == "segment" else list(pods.industries)
    owned: dict[str, str] = {}
    names: set[str] = set()
    for i, pod in enumerate(pods.initial):
        where: Path = ("pods", "initial", i)
        if pod.name in names:
            yield Problem((*where, "name"), f"POD name {pod.name!r} repeated")
        names.add(pod.name)
        for j, sl in enumerate(pod.owns):
            if sl not in slices:
                yield Problem((*where, "owns", j), _unknown(pods.slice, sl, slices))
            elif sl in owned:
                yield Problem((*where, "owns", j), f"{sl!r} is already owned by POD {owned[sl]!r}")
            else:
                owned[sl] = pod.name
        yield from (Problem((*where, "headcount", r), _unknown("podded role", r, pods.roles))
                    for r in pod.headcount if r not in pods.roles)
    missing = [sl for sl in slices if sl not in owned]
    if missing:
        yield Problem(("pods", "initial"), f"every {pods.slice} needs an owning POD; nobody owns {missing}")


def _pod_fission(pods: Pods) -> Iterator[Problem]:
    """Fission starts within its POD cap and names podded roles."""
    base: Path = ("pods", "fission")
    if len(pods.initial) > pods.fission.max_pods:
        yield Problem((*base, "max_pods"), f"{len(pods.initial)} initial PODs exceed max_pods")
    for r in pods.fission.new_pod_headcount:
        if r not in pods.roles:
            yield Problem((*base, "new_pod_headcount", r), _unknown("podded role", r, pods.roles))
    promote = pods.fission.promote_role
    if promote is not None and promote not in pods.roles:
        yield Problem((*base, "promote_role"), _unknown("podded role", promote, pods.roles))


def _pod_headcounts(scenario: Scenario, pods: Pods) -> Iterator[Problem]:
    """The initial PODs hold each podded role's headcount, no more, no less."""
    for r in pods.roles:
        held = sum(p.headcount.get(r, 0) for p in pods.initial)
        if r in scenario.roles and held != scenario.roles[r].headcount:
            yield Problem(("roles", r, "headcount"), f"the initial PODs hold {held} {r} seats; the role's "
                          f"headcount must match")


def pod_layout(scenario: Scenario) -> Iterator[Problem]:
    """With a ``pods`` section: its roles, the slices each POD owns, fission, seats per POD."""
    if scenario.pods is None:
        return
    pods = scenario.pods
    yield from _pod_roles(scenario, pods)
    yield from _pod_slices(pods)
    yield from _pod_owners(scenario, pods)
    yield from _pod_fission(pods)
    yield from _pod_headcounts(scenario, pods)


def calendar_overrides(scenario: Scenario) -> Iterator[Problem]:
    """A role's or POD's calendar overrides the scenario's, so it needs one."""
    if scenario.calendar is not None:
        return
    overrides: list[tuple[Path, WorkWeek | None]] = [
        (("roles", r, "calendar"), spec.calendar) for r, spec in scenario.roles.items()]
    if scenario.pods is not None:
        overrides += [(("pods", "initial", i, "calendar"), p.calendar) for i, p in enumerate(scenario.pods.initial)]
    for path, cal in overrides:
        if cal is not None:
            yield Problem(path, "a role's or POD's working time overrides the scenario's: add a "
                          "top-level calendar section (its defaults are Mon-Fri 09:00-17:30)")


def calendar_hours(scenario: Scenario) -> Iterator[Problem]:
    """With a calendar, time off is dated, and a role's hours fit in its calendar's week."""
    base = scenario.calendar
    if base is None:
        return
    for rname, spec in scenario.roles.items():
        if spec.people is not None and spec.people.time_off_days_per_year > 0:
            yield Problem(("roles", rname, "people", "time_off_days_per_year"),
                          "with a calendar, time off is dated: set calendar.vacation_days_per_year "
                          "(and holidays) instead of the averaged time_off_days_per_year")
        cal = base.merged(spec.calendar)
        hours = week_hours(cal.days, cal.hours, cal.lunch)
        if spec.hours_per_week is not None and spec.hours_per_week > hours + 1e-9:
            yield Problem(("roles", rname, "hours_per_week"),
                          f"with a calendar, hours_per_week is the time on the role's tasks and cannot "
                          f"pass the calendar's {hours:g} working hours a week")


def work_model_checks(scenario: Scenario) -> Iterator[Problem]:
    """The ``work_model`` section's own cross-checks (:mod:`sim.scenario.work_model`)."""
    for path, msg in work_model_problems(scenario):
        yield Problem(path, msg)


def role_uses(scenario: Scenario) -> dict[str, Path]:
    """Each role that valid references put to work, with the first place that does (steps,
    segments' overrides, assists and PQL overrides, post-sale, sources with a known entry stage)."""
    steps = _steps_of(scenario)
    uses: list[tuple[str, Path]] = [
        (step.role, ("steps", stage, "role")) for stage, step in scenario.steps.items()
        if stage in steps and step.role is not None and step.role in scenario.roles]
    for name, seg in scenario.segments.items():
        uses += _valid_step_roles(scenario, ("segments", name, "roles"), seg.roles)
    for name, seg in scenario.segments.items():
        uses += [(n.assist.role, ("segments", name, "steps", stage, "assist")) for stage, n in seg.steps.items()
                 if n.assist is not None and n.assist.role in scenario.roles]
        if seg.pql is not None:
            uses += _valid_step_roles(scenario, ("segments", name, "pql", "roles"), seg.pql.roles)
    uses += [(role, ("post_sale", key)) for key in _POST_SALE_ROLES
             if (role := getattr(scenario.post_sale, key)) is not None and role in scenario.roles]
    for sname, src in scenario.sources.items():
        if src.entry_stage is None or src.entry_stage in scenario.stages[:-1]:
            uses += _valid_step_roles(scenario, ("sources", sname, "roles"), src.roles)
    first: dict[str, Path] = {}
    for role, path in uses:
        first.setdefault(role, path)
    return first


def initial_pipeline(scenario: Scenario) -> Iterator[Problem]:
    """Each open deal of ``initial_pipeline``: a stage before the win, a known segment and
    source whose route starts at or before the stage, an owner that works its next step,
    a rep of that role who can own it."""
    from sim.scenario.pipeline_spec import resolve

    stages, open_stages = scenario.stages, scenario.stages[:-1]
    for i, deal in enumerate(scenario.initial_pipeline or ()):
        base: Path = ("initial_pipeline", i)
        if deal.stage not in open_stages:
            yield Problem((*base, "stage"), _unknown("open stage (a stage before the last)", deal.stage,
                                                     open_stages))
            continue
        if deal.segment is not None and deal.segment not in scenario.segments:
            yield Problem((*base, "segment"), _unknown("segment", deal.segment, scenario.segments))
            continue
        if deal.source is not None and deal.source not in scenario.sources:
            yield Problem((*base, "source"), _unknown("source", deal.source, scenario.sources))
            continue
        source, segment = resolve(scenario, deal)
        if segment is None:
            yield Problem((*base, "segment"), f"the scenario has {len(scenario.segments)} segments: name the "
                          f"deal's segment, one of {list(scenario.segments)}")
            continue
        k = stages.index(deal.stage)
        if source is None:
            yield Problem((*base, "source"), f"no inbound or outbound source brings {segment!r} leads into stage "
                          f"{deal.stage!r} or before it: name the deal's source")
            continue
        src = scenario.sources[source]
        if isinstance(src, AccountMining):
            yield Problem((*base, "source"), f"source {source!r} mines existing customers: an open deal of the "
                          "initial pipeline comes from an inbound or outbound source")
            continue
        if segment not in source_segments(scenario, source):
            yield Problem((*base, "segment"), f"source {source!r} brings no {segment!r} leads (its segments: "
                          f"{source_segments(scenario, source)})")
            continue
        entry = entry_stage(scenario, source)
        if entry in stages and stages.index(entry) > k:
            yield Problem((*base, "stage"), f"source {source!r}'s leads start in {entry!r}, after {deal.stage!r}")
            continue
        works = step_role(scenario, source, stages[k + 1], segment)
        if deal.owner is not None and deal.owner != works:
            yield Problem((*base, "owner"), f"{deal.owner!r} does not work the step into {stages[k + 1]!r} of "
                          f"{source}/{segment} deals ({works!r} does)")
            continue
        if deal.rep is not None:
            if deal.owner is None:
                yield Problem((*base, "rep"), "a rep needs its role: set owner too")
                continue
            role = scenario.roles[deal.owner]
            if not role.owns_leads or role.unlimited_capacity:
                yield Problem((*base, "rep"), f"role {deal.owner!r} does not own leads (owns_leads: false), so no "
                              "rep holds the deal; leave rep out")
            elif deal.rep >= role.headcount:
                yield Problem((*base, "rep"), f"role {deal.owner!r} has {role.headcount} rep(s) at the start "
                              f"(0 to {role.headcount - 1}), not rep {deal.rep}")


def working_roles_have_reps(scenario: Scenario) -> Iterator[Problem]:
    """A role that does work (see :func:`role_uses`) has reps, unless its capacity is unlimited."""
    for role, where in role_uses(scenario).items():
        spec = scenario.roles[role]
        if spec.headcount == 0 and not spec.unlimited_capacity:
            yield Problem(("roles", role, "headcount"), f"role {role!r} has no reps but does work "
                          f"(see {'.'.join(map(str, where))}); set headcount >= 1")


CHECKS: tuple[Callable[[Scenario], Iterable[Problem]], ...] = (
    win_rate_stage, step_roles, segment_steps, assists_and_pql_roles, post_sale_roles, outside_data_loop,
    deal_desk_segments, csm_expansion_closer, open_lead_limits, quota_closers, each_source, timeline_events,
    data_loop_benchmark, tools_reach, pod_layout, calendar_overrides, calendar_hours, work_model_checks,
    initial_pipeline, working_roles_have_reps,
)


def check(scenario: Scenario) -> list[Problem]:
    """Every cross-reference problem of a schema-valid scenario (empty list: fine), check by
    check in the order of :data:`CHECKS`."""
    return [problem for one in CHECKS for problem in one(scenario)]

"""A fit written into an existing organization scenario (``salesim calibrate --into``).

What comes from the fit: the stages, steps, conversions, times in stage,
work hours per step (from owners' throughput), deal values and discounts,
sources and their arrivals, the calendar's start date and the horizon.
What stays from the organization: its roles (with their costs, hours, people
and quotas), the calendar's working time, the post-sale set-up and each
segment's customer side. The rules where the two meet:

* a fitted step's role is the organization's role of the same name when it
  has one, else the role that closes deals there (works its win step);
* a role that works fitted steps takes the fit's headcount when the data say
  it (an agents file, a rep table, or distinct owners seen), and the fitted
  work hours per step scaled to its own weekly hours (a busy week fills them);
* a fitted segment keeps the organization's customer side of the segment of
  the same name, else that of the organization segment whose typical deal is
  closest in size;
* the organization's sources go (the fit's arrivals replace them); each
  fitted source keeps the acquisition cost per lead of the organization's
  first inbound source, so costs per lead stay in the unit economics.

The result is validated before it is returned; a scenario that does not load
is an error naming both files.
"""

from __future__ import annotations

import copy
import math
from typing import Any

import yaml

from sim.calibration.fit import Fit
from sim.calibration.fit_cycle import HOURS_PER_WEEK
from sim.calibration.mapping import DataError
from sim.errors import SalesimError


def _plain(doc: Any) -> Any:
    from sim.calibration.scenario_writer import plain_data

    return plain_data(doc)


def _median(acv: Any) -> float:
    if isinstance(acv, int | float):
        return float(acv)
    if isinstance(acv, dict):
        for k in ("median", "mean", "value", "mode"):
            if isinstance(acv.get(k), int | float):
                return float(acv[k])
    return 1.0


def merged_data(fit: Fit, org: dict, name: str) -> tuple[dict, list[str]]:
    """The organization scenario with the fit written in, and what was decided (for the user)."""
    from sim.calibration.scenario_writer import scenario_data

    fitted = _plain(scenario_data(fit, name))
    out = copy.deepcopy(org)
    out.pop("extends", None)
    notes: list[str] = []
    org_steps = org.get("steps") or {}
    org_roles = org.get("roles") or {}
    stages = org.get("stages") or []
    closer = (org_steps.get(stages[-1]) or {}).get("role") if stages else None
    closer = closer if closer in org_roles else next(iter(org_roles), None)
    if closer is None:
        raise DataError("the organization scenario has no roles to give the fitted steps to")
    role_of: dict[str, str] = {}
    for step, body in fitted["steps"].items():
        r = body.get("role")
        role_of[step] = r if r in org_roles else closer
    renamed = sorted({f"{body.get('role')} -> {role_of[s]}" for s, body in fitted["steps"].items()
                      if body.get("role") != role_of[s]})
    if renamed:
        notes.append("fitted roles given to the organization's: " + ", ".join(renamed))
    out["name"] = name
    out["description"] = f"{org.get('name', 'organization')} with {fitted['description']}"
    out["horizon_weeks"] = fitted["horizon_weeks"]
    out["stages"] = fitted["stages"]
    out["win_rate_from"] = fitted["win_rate_from"]
    out["handoff"] = fitted["handoff"]
    out["steps"] = {s: {"role": role_of[s]} for s in fitted["steps"]}
    cal = dict(org.get("calendar") or {})
    if "calendar" in fitted:
        cal["start_date"] = fitted["calendar"]["start_date"]
        out["calendar"] = cal
    roles = copy.deepcopy(org_roles)
    for fitted_role, body in (fitted.get("roles") or {}).items():
        target = fitted_role if fitted_role in roles else closer
        if "headcount" in body and target in roles and not roles[target].get("unlimited_capacity"):
            if roles[target].get("headcount") != body["headcount"]:
                notes.append(f"{target}: headcount {roles[target].get('headcount')} -> {body['headcount']} (from the "
                             "data)")
            roles[target]["headcount"] = body["headcount"]
    out["roles"] = roles
    org_segs = org.get("segments") or {}
    segs = {}
    for seg, body in fitted["segments"].items():
        new = dict(body)
        steps = {}
        for step, sb in (body.get("steps") or {}).items():  # a busy week fills the role's own hours
            sb = dict(sb)
            hours = roles.get(role_of.get(step, ""), {}).get("hours_per_week") or HOURS_PER_WEEK
            if "work_hours" in sb and isinstance(sb["work_hours"], int | float):
                sb["work_hours"] = round(float(sb["work_hours"]) * float(hours) / HOURS_PER_WEEK, 4)
            steps[step] = sb
        new["steps"] = steps
        if seg in org_segs:
            src = seg
        elif org_segs:
            size = _median(body.get("acv_usd"))
            src = min(org_segs, key=lambda s: abs(math.log(max(_median(org_segs[s].get("acv_usd")), 1e-9))
                                                  - math.log(max(size, 1e-9))))
            notes.append(f"segment {seg}: customer side of {src} (closest typical deal)")
        else:
            src = None
        if src is not None and "customer" in org_segs[src] and "customer" not in new:
            new["customer"] = copy.deepcopy(org_segs[src]["customer"])
        segs[seg] = new
    out["segments"] = segs
    inbound = [s for s in (org.get("sources") or {}).values() if isinstance(s, dict) and s.get("kind") == "inbound"]
    cpl = inbound[0].get("cost_per_lead_usd") if inbound else None
    sources = {}
    for src, body in fitted["sources"].items():
        new = dict(body)
        if cpl is not None:
            new["cost_per_lead_usd"] = cpl
        sources[src] = new
    dropped = sorted(set(org.get("sources") or {}) - set(sources))
    if dropped:
        notes.append(f"the organization's sources {', '.join(dropped)} replaced by the fitted arrivals")
    out["sources"] = sources
    for key in ("timeline",):
        if out.get(key):
            notes.append(f"{key}: kept; it must name only the fitted stages, segments and sources")
    return out, notes


def merged_text(fit: Fit, org_path: str, name: str) -> tuple[str, list[str]]:
    """The merged scenario as YAML, validated; and the decisions made."""
    from sim.scenario.loader import load_data, validate_data

    try:
        org, _ = load_data(org_path)
    except SalesimError as exc:
        raise DataError(f"--into {org_path}: {exc}") from None
    if not isinstance(org, dict):
        raise DataError(f"--into {org_path}: not a scenario (expected a mapping of keys)")
    try:
        data, notes = merged_data(fit, org, name)
    except DataError as exc:
        raise DataError(f"--into {org_path}: {exc}") from None
    text = (f"# {org_path} with the fit of {fit.history.file} written in by `salesim calibrate --into`:\n"
            "# stages, steps, conversions, times in stage, work hours, deal values and sources from the fit;\n"
            "# roles, costs, working time, post-sale set-up and customer side from the organization.\n"
            + "".join(f"# {n}\n" for n in notes)
            + yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=120))
    try:
        validate_data(yaml.safe_load(text), None, "<merged scenario>")
    except SalesimError as exc:
        raise DataError(f"--into {org_path}: the organization with the fit of {fit.history.file} does not "
                        f"validate:\n{exc}") from None
    return text, notes

"""A :class:`~sim.calibration.fit.Fit` as a commented, valid scenario file.

Every fitted number is followed by a comment with its sample size and 95%
interval; every number a CRM cannot give is marked ``assumed``. What the
writer chooses, and why:

* Time in stage is all ``elapsed_days`` and ``work_hours`` are 0: a CRM
  records when a deal moved, not how many hours reps spent, so the fitted
  durations already hold queueing and work. Capacity therefore does not bind
  in the fitted scenario until the user adds work hours.
* Hand-offs cost nothing extra: leakage and delay are inside the fitted
  conversions and durations.
* Every source is inbound (Poisson at the fitted rate, entering at the stage
  most of its deals entered): a CRM holds opportunities, not the untouched
  part of an outbound list.

The document is built as data (ruamel.yaml's ``CommentedMap``, comments
attached to keys) and emitted by the YAML library, never pasted together as
text: a name, a path or a label can hold ``: ``, ``#``, ``[``, a newline or
``...`` and still come out as the string it is. Strings that YAML 1.1 (what
``yaml.safe_load`` reads) would take for something else (``yes``, ``null``,
``1e5``) are quoted; comments are one line each, control characters
replaced. Every number is bounded to what the format accepts (a clamp is
said in the comment). Before the text is returned it is read back with the
project's scenario loader and validated, so a written scenario always loads.
"""

from __future__ import annotations

import io
import math
import re
import unicodedata

import numpy as np
import yaml
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.emitter import Emitter
from ruamel.yaml.error import CommentMark
from ruamel.yaml.representer import RoundTripRepresenter
from ruamel.yaml.scalarstring import DoubleQuotedScalarString, SingleQuotedScalarString
from ruamel.yaml.tokens import CommentToken

from sim.calibration.fit import Fit
from sim.calibration.fit_arrivals import rounded_mix, window
from sim.calibration.mapping import MAX_NAME, DataError, normalize_name
from sim.errors import ScenarioError, UsageError
from sim.units import DAYS_PER_WEEK, MAX_HORIZON_WEEKS

NAME = re.compile(r"^[a-z][a-z0-9_]*$")
MAX_RATE_PER_WEEK = 1_000_000.0  # the format's bound on an inbound rate
MAX_HEADCOUNT = 100_000
EOL = -1  # comment column meaning "two spaces after the value" (see _Emitter)


# --------------------------------------------------------------------------- emitting


class _Emitter(Emitter):
    """End-of-line comments two spaces after their value, whatever the line's length."""

    def write_comment(self, comment, pre: bool = False) -> None:
        if comment.start_mark.column == EOL:
            comment = CommentToken(comment.value, CommentMark(self.column + 2 if self.column else 0))
        super().write_comment(comment, pre)


class _Representer(RoundTripRepresenter):
    """Floats always with a dot (``1.0e-05``): YAML 1.1 reads ``1e-05`` as text."""


def _float(rep: RoundTripRepresenter, value: float):
    if not math.isfinite(value):
        raise ValueError(f"non-finite number {value!r} in a fitted scenario")
    text = repr(float(value)).lower()
    if "e" in text and "." not in text.split("e")[0]:
        text = text.replace("e", ".0e", 1)
    return rep.represent_scalar("tag:yaml.org,2002:float", text)


_Representer.add_representer(float, _float)


def _yaml() -> YAML:
    y = YAML(typ="rt")
    y.Emitter = _Emitter
    y.Representer = _Representer
    y.width = 1_000_000  # one value per line, never folded
    y.indent(mapping=2, sequence=4, offset=2)
    return y


def clean(text: object, limit: int = 300) -> str:
    """User text fit for one line: undecodable bytes and control or format characters replaced,
    and cut to ``limit`` characters."""
    s = str(text).encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    s = "".join(" " if unicodedata.category(c)[0] in "CZ" and c != " " else c for c in s)
    s = re.sub(r" {2,}", " ", s).strip()
    return s if len(s) <= limit else s[: limit - 3] + "..."


def _quote_as_needed(value):
    """Strings PyYAML (YAML 1.1, and the loader's ``1e5``) would read as something else, quoted."""
    from sim.scenario.loader import SalesimLoader

    resolver = SalesimLoader("")
    try:
        def walk(v):
            if isinstance(v, CommentedMap):
                for k in list(v.keys()):
                    v[k] = walk(v[k])
                    if isinstance(k, str) and not isinstance(k, SingleQuotedScalarString) and needs(k):
                        pos = list(v.keys()).index(k)
                        item, comment = v.pop(k), v.ca.items.pop(k, None)
                        key = SingleQuotedScalarString(k)
                        v.insert(pos, key, item)
                        if comment is not None:
                            v.ca.items[key] = comment
                return v
            if isinstance(v, CommentedSeq):
                for i, x in enumerate(v):
                    v[i] = walk(x)
                return v
            if isinstance(v, str) and not isinstance(v, SingleQuotedScalarString | DoubleQuotedScalarString) \
                    and needs(v):
                return SingleQuotedScalarString(v)
            return v

        def needs(s: str) -> bool:
            return resolver.resolve(yaml.ScalarNode, s, (True, False)) != "tag:yaml.org,2002:str"

        return walk(value)
    finally:
        resolver.dispose()


def plain_data(value):
    """The data as plain Python (dicts, lists, numbers, str), to compare with what a loader reads."""
    if isinstance(value, dict):
        return {str(k): plain_data(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain_data(v) for v in value]
    if isinstance(value, str):
        return str(value)
    if isinstance(value, bool) or value is None:
        return value
    return value.item() if hasattr(value, "item") else value


def _flow_map(d: dict) -> CommentedMap:
    m = CommentedMap((k, _py(v)) for k, v in d.items())
    m.fa.set_flow_style()
    return m


def _flow_seq(items) -> CommentedSeq:
    s = CommentedSeq(_py(v) for v in items)
    s.fa.set_flow_style()
    return s


def _py(v):
    """numpy scalars as Python numbers; nested dicts and lists in flow style."""
    if isinstance(v, dict) and not isinstance(v, CommentedMap):
        return _flow_map(v)
    if isinstance(v, list | tuple) and not isinstance(v, CommentedSeq):
        return _flow_seq(v)
    if isinstance(v, bool | np.bool_):
        return bool(v)
    if isinstance(v, int | np.integer):
        return int(v)
    if isinstance(v, float | np.floating):
        return float(v)
    return v


def _note(m: CommentedMap, key: str, text: str) -> None:
    m.yaml_add_eol_comment("# " + clean(text, 1000), key, column=EOL)


def flow(value) -> str:
    """One value in YAML flow style (kept for callers of the old text writer)."""
    return yaml.safe_dump(plain_data(value), default_flow_style=True, width=10**6, sort_keys=False).strip()


# --------------------------------------------------------------------------- numbers


def sig(x: float, digits: int = 6) -> float:
    """``x`` to ``digits`` significant digits (small values keep their size; 1e-7 stays 1e-7)."""
    x = float(x)
    if x == 0 or not math.isfinite(x):
        return x
    return float(f"{x:.{digits}g}")


def _bounded(x: float, lo: float, hi: float, what: str, notes: list[str]) -> float:
    """``x`` inside [lo, hi]; a clamp is said in ``notes``."""
    if not math.isfinite(x):
        notes.append(f"{what} not finite, {lo:g} written")
        return lo
    if x < lo or x > hi:
        y = min(max(x, lo), hi)
        notes.append(f"{what} {x:.4g} outside the format's {lo:g}..{hi:g}, {y:g} written")
        return y
    return x


def _pct(x: float) -> str:
    return f"{x:.3f}"


# --------------------------------------------------------------------------- parts


def _step(fit: Fit, seg: str, step: str, pooled: dict) -> tuple[CommentedMap, str]:
    c, ref = fit.conversion, fit.reference_rates
    row = c[(c["segment"] == seg) & (c["source"] == "*") & (c["step"] == step)]
    rrow = ref[(ref["segment"] == seg) & (ref["step"] == step)] if len(ref) else ref
    if len(rrow) and rrow["n"].iloc[0] > 0:  # some source has a multiplier here: the others' rate
        r = rrow.iloc[0]
        p, note = float(r["p"]), (f"n={int(r['n'])} from {r['sources']} (others have a multiplier), "
                                  f"95% CI {_pct(r['lo'])}-{_pct(r['hi'])}")
    elif len(row) and row["n"].iloc[0] > 0:
        r = row.iloc[0]
        p, note = float(r["p"]), f"n={int(r['n'])}, 95% CI {_pct(r['lo'])}-{_pct(r['hi'])}"
    elif step in pooled:
        p = float(pooled[step])
        note = "no deals of this segment left the stage before: the all-segment rate (assumed)"
    else:  # a listed stage nobody entered: deals pass it at once, as the report says
        p = 1.0
        note = "no deal of any segment left the stage before: passed at once (assumed)"
    notes: list[str] = []
    body: dict[str, object] = {"conversion_probability": round(_bounded(p, 0.0, 1.0, "conversion", notes), 4)}
    cap = fit.capacity.get(fit.step_roles.get(step) or "")
    if cap is not None:
        body["work_hours"] = sig(min(cap["work_hours"], 1000.0), 4)
    dfit, basis = fit.durations.get((seg, step), (None, ""))
    if dfit is not None:
        body["elapsed_days"] = dfit.spec()
        note += (f"; days {dfit.family} by AIC, mean {dfit.mean:.2f} (95% CI {dfit.mean_lo:.2f}-"
                 f"{dfit.mean_hi:.2f}), {dfit.n_exact} exits + {dfit.n_censored} open")
        if basis != "segment":
            note += f" ({basis})"
        if dfit.capped_from is not None:
            note += (f"; the fitted mean of {dfit.capped_from:.4g} days is beyond the history's span: capped at "
                     f"{dfit.mean:.4g}")
    else:
        note += "; days: no exits observed, 0 (assumed)"
    lfit, lbasis = fit.durations_lost.get((seg, step), (None, ""))
    if lfit is not None and dfit is not None:
        body["lost_after_days"] = lfit.spec()
        note += (f"; days to a loss {lfit.family} by AIC, mean {lfit.mean:.2f} (95% CI {lfit.mean_lo:.2f}-"
                 f"{lfit.mean_hi:.2f}), {lfit.n_exact} losses" + (f" ({lbasis})" if lbasis != "segment" else ""))
    return _flow_map(body), "; ".join([note] + notes)


def _has_retention(fit: Fit) -> bool:
    return any(r["renewal_probability"] is not None for r in fit.retention.values())


def _customer(fit: Fit, seg: str) -> tuple[CommentedMap | None, str | None]:
    """The segment's ``customer`` section (or None) and a note for the segment when it has none."""
    r = fit.retention.get(seg) or fit.retention.get("all")
    if not r or r["renewal_probability"] is None:
        return None, ("customer: the format's defaults (assumed): no renewal decisions of this segment in the "
                      "subscription table") if _has_retention(fit) else None
    notes: list[str] = []
    renewal = {"probability": round(_bounded(r["renewal_probability"], 0.0, 1.0, "renewal", notes), 4),
               "price_uplift_fraction": round(_bounded(r["price_uplift_fraction"], 0.0, 1.0, "price uplift",
                                                       notes), 4),
               "contraction_probability": round(_bounded(r["contraction_probability"], 0.0, 1.0, "contraction",
                                                         notes), 4)}
    if r["contraction_fraction"] is not None:
        renewal["contraction_fraction"] = round(_bounded(r["contraction_fraction"], 0.0, 0.99,
                                                         "contraction fraction", notes), 4)
    cust = CommentedMap()
    cust["term_years"] = int(_bounded(r["term_years"], 1, 10, "term", notes))
    _note(cust, "term_years", "median time between renewal decisions")
    cust["onboarding"] = _flow_map({"elapsed_days": 0, "churn_probability": 0})
    _note(cust, "onboarding", "assumed: not in the subscription table")
    cust["renewal"] = _flow_map(renewal)
    _note(cust, "renewal", "; ".join([f"{r['decisions']} decisions, renewal 95% CI {_pct(r['renewal_lo'])}-"
                                      f"{_pct(r['renewal_hi'])}"] + notes))
    if r["expansions"]:
        notes = []
        exp = {"opportunities_per_year": round(_bounded(r["expansions_per_year"], 0.0, 52.0, "expansions a year",
                                                        notes), 4),
               "conversion_probability": 1.0,
               "acv_increase_fraction": sig(_bounded(max(r["expansion_fraction"] or 0.0, 0.0), 0.0, 1e6,
                                                     "ACV increase", notes)),
               "work_hours": 0, "elapsed_days": 0}
        cust["expansion"] = _flow_map(exp)
        _note(cust, "expansion", "; ".join([f"{r['expansions']} expansions in {r['account_years']:.1f} "
                                            "account-years; only won ones are recorded, so all convert"] + notes))
    return cust, None


def _check_name(name: str | None) -> str:
    if name is None:
        return "fitted"
    if not isinstance(name, str) or not NAME.match(name) or len(name) > MAX_NAME:
        hint = normalize_name(name) if isinstance(name, str) else "fitted"
        raise UsageError(f"--name {clean(name, 80)!r}: expected a lower_snake_case name (a letter, then letters, "
                         f"digits or _; at most {MAX_NAME} characters), such as {hint}")
    return name


def scenario_data(fit: Fit, name: str = "fitted") -> CommentedMap:
    """The fitted scenario as a commented mapping (ruamel.yaml), ready to dump."""
    name = _check_name(name)
    order = fit.order
    start, end = window(fit.paths)
    weeks = max(1.0, min(float(MAX_HORIZON_WEEKS), round((end - start).total_seconds() / (DAYS_PER_WEEK * 86400), 1)))
    h = fit.history
    n_opps = len(fit.paths.opps)
    doc = CommentedMap()
    doc.yaml_set_start_comment("\n".join([
        f"Fitted by `salesim calibrate` from {clean(h.file)}: {n_opps} opportunities,",
        f"{start:%Y-%m-%d} to {end:%Y-%m-%d}. Each fitted number has its sample size and 95% interval",
        "in a comment; numbers marked 'assumed' are not in a CRM. See fit_report.md for the tables.",
        "Time in stage is elapsed_days; work_hours per step come from owners' throughput (a busy week",
        "fills 40 hours; see roles); hand-off leakage and delay are inside conversions and durations."]))
    doc["name"] = name
    doc["description"] = f"fitted to {n_opps} opportunities from {clean(h.file, 1000)}"
    doc["horizon_weeks"] = float(weeks)
    _note(doc, "horizon_weeks", "the history's span")
    doc["seed"] = 1
    if fit.start is not None:
        doc["calendar"] = _flow_map({"start_date": f"{fit.start:%Y-%m-%d}"})
        _note(doc, "calendar", "the history's first day: the seasonality's months line up with the data's")
    doc["stages"] = _flow_seq(order)
    _note(doc, "stages", "order read from the data (see the transition matrix in the report)")
    doc["win_rate_from"] = fit.win_rate_stage
    doc["handoff"] = _flow_map({"delay_days": 0, "leakage_probability": 0})
    _note(doc, "handoff", "inside the fitted conversions and durations")
    steps = CommentedMap()
    for step in order[1:]:
        steps[step] = _flow_map({"role": fit.step_roles.get(step)})
        _note(steps, step, "who owns deals in the stage before")
    doc["steps"] = steps
    roles = sorted({r for r in fit.step_roles.values() if r})
    expansions = _has_retention(fit) and any(r.get("expansions") for r in fit.retention.values())
    am = "am" if "am" not in roles else "am_fitted"
    if roles or expansions:
        rm = CommentedMap()
        for role in roles:
            n, where = fit.headcount[role]
            notes: list[str] = []
            rm[role] = _flow_map({"headcount": int(_bounded(n, 1, MAX_HEADCOUNT, "headcount", notes))})
            cap = fit.capacity.get(role)
            if cap is not None:
                notes.append(f"work hours per step {cap['work_hours']:.3g}: a busy week (90th percentile, "
                             f"{cap['busy']:.3g} steps closed per rep-week over {cap['rep_weeks']} rep-weeks; typical "
                             f"{cap['typical']:.3g}) fills a 40-hour week")
            _note(rm, role, "; ".join([where] + notes))
        if expansions:
            rm[am] = _flow_map({"unlimited_capacity": True})
            _note(rm, am, "assumed: works the recorded expansions, no queue")
        doc["roles"] = rm
    if _has_retention(fit):
        doc["post_sale"] = _flow_map({"contract_start": "signature"} | ({"am_role": am} if expansions else {}))
        _note(doc, "post_sale", "from the subscription table")
    else:
        doc["post_sale"] = _flow_map({"enabled": False})
        _note(doc, "post_sale", "no renewal decisions in a subscription table: nothing after the win is fitted")
    c = fit.conversion
    pooled_rows = c[c["source"] == "*"].groupby("step")[["x", "n"]].sum()
    pooled = (pooled_rows["x"] / pooled_rows["n"].where(pooled_rows["n"] > 0)).fillna(0).to_dict()
    segs = CommentedMap()
    for seg in fit.segments:
        body = CommentedMap()
        money = fit.money.get(seg, {})
        acv, disc = money.get("acv"), money.get("discount")
        mix = money.get("mixture")
        if acv and mix:
            from sim.calibration.fit_money import mixture_spec

            spec = mixture_spec(mix)
            body["acv_usd"] = _flow_map({"dist": spec["dist"], "components": _flow_seq(
                [_flow_map(c) for c in spec["components"]])})
            what = "booked value of won deals" if money.get("booked") else "list value"
            _note(body, "acv_usd", f"{what}, one lognormal per product ({len(mix)} products with at least "
                                   f"5 values), weights their shares of n={sum(f.n for _, f in mix)}; one lognormal "
                                   f"over all would have median {acv.median:,.0f}"
                  + (f"; {money['note']}" if money.get("note") else ""))
        elif acv:
            body["acv_usd"] = _flow_map(acv.spec())
            what = "booked value of won deals" if money.get("booked") else "list value"
            _note(body, "acv_usd", f"{what}, lognormal MLE, n={acv.n}, median 95% CI "
                                   f"{acv.median_lo:,.0f}-{acv.median_hi:,.0f}"
                  + (f"; {money['note']}" if money.get("note") else ""))
        else:
            body["acv_usd"] = 1
            _note(body, "acv_usd", "assumed: no amounts in the history")
        if disc:
            spec = disc.spec()
            body["discount_fraction"] = _flow_map(spec) if isinstance(spec, dict) else float(spec)
            _note(body, "discount_fraction", f"won deals with a list price, beta MLE, n={disc.n}, mean 95% CI "
                                             f"{_pct(disc.mean_lo)}-{_pct(disc.mean_hi)}")
        elif money.get("no_list"):
            body["discount_fraction"] = 0
            _note(body, "discount_fraction", "no list prices in the export: the value above is what was booked")
        elif money.get("booked"):
            body["discount_fraction"] = 0
            _note(body, "discount_fraction", "sales above list: the value above is what was booked")
        else:
            body["discount_fraction"] = 0
            _note(body, "discount_fraction", "assumed: no list prices to measure discounts against")
        st = CommentedMap()
        for step in order[1:]:
            st[step], note = _step(fit, seg, step, pooled)
            _note(st, step, note)
        body["steps"] = st
        cust, missing = _customer(fit, seg)
        if cust is not None:
            body["customer"] = cust
        segs[seg] = body
        if missing:
            _note(segs, seg, missing)
    doc["segments"] = segs
    sources = CommentedMap()
    entries = fit.entries.set_index("source")
    mult = fit.multipliers
    for src, a in sorted(fit.arrivals.items()):
        e = entries.loc[src]
        body = CommentedMap()
        body["kind"] = "inbound"
        body["entry_stage"] = str(e["entry_stage"])
        _note(body, "entry_stage", f"{e['share']:.0%} of its {int(e['n'])} deals entered here")
        notes = []
        if a.get("trend_written"):
            body["rate_per_week"] = sig(_bounded(float(a["rate_at_start_per_week"]), 0.0, MAX_RATE_PER_WEEK, "rate",
                                                 notes))
            _note(body, "rate_per_week", "; ".join([f"the rate on the history's first day (n={a['n']}; with the "
                                                    "trend and seasonality it reproduces the history's count)"]
                                                   + notes))
            body["trend_per_year"] = round(float(a["trend_per_year"]), 4)
            _note(body, "trend_per_year", f"fitted with the rate and the seasonality, 95% CI "
                                          f"{a['trend_lo']:+.1%} to {a['trend_hi']:+.1%}")
        else:
            body["rate_per_week"] = sig(_bounded(float(a["rate_per_week"]), 0.0, MAX_RATE_PER_WEEK, "rate", notes))
            trend = (f"; trend {a['trend_per_year']:+.1%} a year not written (its interval holds 0, or the "
                     "history is shorter than a year, where a trend cannot be told from a season; the rate "
                     "reproduces the history's count)") if a.get("trend_per_year") is not None else ""
            _note(body, "rate_per_week", "; ".join([f"n={a['n']}, 95% CI {a['lo']:.3f}-{a['hi']:.3f}{trend}"]
                                                   + notes))
        body["segment_mix"] = _flow_map(rounded_mix(a["segment_mix"]))
        if a["seasonality"] is not None and all(math.isfinite(x) and x >= 0 for x in a["seasonality"]):
            body["seasonality_monthly"] = _flow_seq([float(x) for x in a["seasonality"]])
            _note(body, "seasonality_monthly", f"Jan..Dec, fitted with the rate and trend; months differ "
                                               f"(likelihood ratio p={a['seasonality_p']:.2g})")
        kept = mult[(mult["source"] == src) & mult["kept"]] if len(mult) else mult
        if len(kept):
            cm = {r.step: round(float(min(max(r.multiplier, 0.0), 100.0)), 4) for r in kept.itertuples()}
            body["conversion_multiplier"] = _flow_map(cm)
            _note(body, "conversion_multiplier", "differs from its segments' rates, p < 0.01")
        sources[src] = body
    doc["sources"] = sources
    return doc


def scenario_text(fit: Fit, name: str = "fitted") -> str:
    """The scenario as commented YAML; read back and validated before it is returned."""
    doc = _quote_as_needed(scenario_data(fit, name))
    buf = io.StringIO()
    _yaml().dump(doc, buf)
    text = buf.getvalue()
    _verify(text, plain_data(doc), fit.history.file)
    return text


def _verify(text: str, expected: dict, file: str) -> None:
    """The promise that a written scenario loads: the text reads back (safe YAML and the scenario
    loader) as exactly the data built, and that data validates."""
    from sim.scenario.loader import parse_yaml, validate_data

    where = "<fitted scenario>"
    try:
        data, origins = parse_yaml(text, where)
        if data != expected or yaml.safe_load(text) != expected:
            raise ScenarioError.at(where, None, (), "the text does not read back as the data written")
        validate_data(data, origins, where)
    except ScenarioError as exc:
        raise DataError(f"{clean(file)}: the scenario fitted to this history does not validate, so it is not "
                        f"written (please report this with the history):\n{exc}") from None

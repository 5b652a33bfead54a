"""What salesim needs from each JSON file of its results folders.

Each shape lists the keys a reader of the folder (``salesim report``,
``export-crm``) uses and the type it uses them as: a count that is added up
or printed with thousands separators must be a number, a value shown as
"-" when missing may be null, a name must be text. Sections of the run
summary that appear only with some data (recurring revenue when there is
``arr_end_usd``, people when there are several reps...) make their keys
required only then.
"""

from __future__ import annotations

from sim.readback.json_shapes import Anything, ListOf, MapOf, Num, Obj, OneOf, Shape, Text
from sim.units import MAX_HORIZON_WEEKS

N = Num(nullable=True)  # shown as "-" when null
C = Num()  # added up, compared or printed with separators: must be there
NAME = Text()
WEEKS = Num(positive=True, high=MAX_HORIZON_WEEKS)
SEED = Num(whole=True, low=0)

STAGE = Obj({"stage": NAME, "entered": C, "conversion": N, "lost": N, "open": N, "median_days": N},
            {"value_usd": N, "moved_on": N, "mean_days": N})
CUSTOMER_STAGE = Obj({"stage": NAME, "entered": C, "conversion": N, "lost": N, "median_days": N},
                     {"arr_usd": N, "moved_on": N})
ROLE = Obj({"headcount": N, "tasks": N, "utilization": N, "mean_wait_hours": N, "mean_queue_length": N})
REP = Obj({"role": Anything(), "rep": Anything(), "wins": N, "win_rate": N, "bookings_usd": C},
          {"skill": N, "left_days": N, "hired_days": N})
STAFF = Obj({"role": Anything(), "rep": Anything()}, {"skill": N, "left_days": N, "hired_days": N})
POD = Obj({"name": NAME, "owns": ListOf(NAME), "parent": Text(nullable=True), "born_days": N,
           "headcount_end": MapOf(Anything()), "wins": N, "win_rate": N, "bookings_usd": N, "arr_end_usd": N})
SPLIT = Obj({"t_days": C, "parent": NAME, "child": NAME})
HOURS = Obj({"median": N, "p90": N}, nullable=True)
FIRST_TOUCH = Obj({"leads": N, "calendar_hours": HOURS, "business_hours": HOURS,
                   "by_source": MapOf(Obj({"leads": N, "calendar_hours": HOURS, "business_hours": HOURS}))},
                  nullable=True)
QUOTA = Obj({"period": Anything(), "weeks": N, "reps": N, "median": N, "p10": N, "p90": N, "share_at_quota": N})
TIME_USE = Obj({"working_hours_per_rep_week": N, **{f"{p}_share": N for p in (
    "deal_work", "switching", "coordination", "deal_idle", "admin", "meetings", "training", "research", "travel")}},
    {"learning_share": N})  # (folders written before learning was a part of its own have none)
TIER = Obj({"wins": N, "average_deal_usd": N, "cost_per_win_usd": N, "cost_to_acv_ratio": N},
           {"motion": Text(nullable=True)})


def _several_reps(k: dict) -> bool:
    return isinstance(k.get("reps"), list) and len(k["reps"]) > 1


def _waiting(k: dict) -> bool:
    return bool(k.get("customers_signed_not_live")) or bool(k.get("onboarding_cancelled_waiting"))


KPIS: Shape = Obj(
    required={
        "scenario": NAME, "seed": SEED, "horizon_weeks": WEEKS, "stages": ListOf(STAGE),
        "leads_created": C, "leads_won": C, "leads_lost": C, "leads_open": C,
        "leads_created_by_source": MapOf(C), "leads_lost_by_reason": MapOf(C), "bookings_by_segment_usd": MapOf(N),
        "bookings_usd": N, "bookings_per_week_usd": N, "win_rate": N, "win_rate_from_stage": NAME,
        "average_deal_usd": N, "average_discount_fraction": N, "roles": MapOf(ROLE),
    },
    optional={
        "win_rate_by_motion": MapOf(N, nullable=True), "customer_stages": ListOf(CUSTOMER_STAGE, nullable=True),
        "reps": ListOf(REP), "staff": ListOf(STAFF, nullable=True), "pods": ListOf(POD, nullable=True),
        "pod_genealogy": ListOf(SPLIT, nullable=True),
        "first_touch": FIRST_TOUCH, "quota_attainment": MapOf(ListOf(QUOTA), nullable=True),
        "cost_of_sale_by_segment": MapOf(TIER, nullable=True), "time_use": MapOf(TIME_USE, nullable=True),
        "onboarding_wait_days": Obj({}, {"median": N, "p90": N, "max": N}, nullable=True),
        "win_rate_stability_detrended": N,  # folders written before it was reported lack it
        "arr_end_usd": N, "costs": Obj({"total_usd": N, "acquisition_usd": N, "retention_usd": N,
                                        "onboarding_usd": N}),
    },
    when=[
        (lambda k: "arr_end_usd" in k, {
            "arr_growth_by_year": ListOf(N), "mrr_end_usd": N, "customers_end": C, "new_logos": C,
            "churned_logos": C, "onboarding_churned": C, "arr_new_usd": N, "arr_expansion_usd": N,
            "arr_contraction_usd": N, "arr_churned_usd": N, "recognized_revenue_usd": N, "invoiced_usd": N,
            "cash_collected_usd": N, "nrr_trailing_12m": N, "grr_trailing_12m": N, "logo_churn_trailing_12m": N}),
        (lambda k: "costs" in k, {"cac_usd": N, "cac_payback_months": N, "magic_number": N,
                                  "arr_per_head_usd": N, "cost_per_arr_usd": N}),
        (_several_reps, {"key_person_exposure": Obj({"max_pipeline_usd": N, "max_arr_usd": N}),
                         "rep_bookings_gini": N, "top20_bookings_share": N, "departures": ListOf(Anything()),
                         "win_rate_by_quarter": ListOf(N), "win_rate_stability": N}),
        (_waiting, {"customers_signed_not_live": C, "arr_signed_not_live_usd": N, "customers_waiting_onboarding": C,
                    "onboarding_cancelled_waiting": C}),
    ])

RUN: Shape = Obj({"seed": SEED, "horizon_weeks": WEEKS},
                 {"salesim_version": Text(nullable=True), "overrides": ListOf(NAME, nullable=True),
                  "events": Num(whole=True, low=0, nullable=True), "runtime_s": N})

# --------------------------------------------------------------------------- study folders

STUDY_KINDS = ("batch", "compare", "sweep", "factorial", "plan")
POINT = Obj({"name": NAME, "horizon_weeks": WEEKS})
_STUDY = {"kind": OneOf(STUDY_KINDS), "reps": Num(whole=True, low=1), "root_seed": SEED,
          "points": ListOf(POINT, min_len=1)}
_STUDY_OPTIONAL = {"salesim_version": Text(nullable=True), "completed_utc": Text(nullable=True),
                   "created_utc": Text(nullable=True), "failed_replications": Num(whole=True, low=0, nullable=True)}

MANIFEST: dict[str, Shape] = {
    "batch": Obj(_STUDY, _STUDY_OPTIONAL),
    "compare": Obj(_STUDY, _STUDY_OPTIONAL),
    "sweep": Obj({**_STUDY, "design": Obj({"params": ListOf(Obj({"path": NAME}), min_len=1)},
                                          {"design": Text(nullable=True)})}, _STUDY_OPTIONAL),
    "factorial": Obj(_STUDY, {**_STUDY_OPTIONAL, "design": Obj({}, {"study": Text(nullable=True)}, nullable=True)}),
    "plan": Obj({"kind": OneOf(("plan",))}, _STUDY_OPTIONAL),
}

PLAN_ROW = Obj({"objective": N, "probability": N, "ci_low": N, "ci_high": N, "n": Num(whole=True, low=0)},
               nullable=True)
PLAN: Shape = Obj(
    {"targets": ListOf(NAME, min_len=1), "objective": NAME, "probability_required": Num(low=0, high=1),
     "feasible": Anything()},
    {"search": MapOf(Anything(), nullable=True), "recommended": PLAN_ROW, "best_if_infeasible": PLAN_ROW,
     "binding": MapOf(Anything(), nullable=True)},
    when=[(lambda d: bool(d.get("feasible")) and bool(d.get("recommended")), {"set": ListOf(NAME)})])

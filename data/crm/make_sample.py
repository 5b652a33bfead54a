"""Make the shipped sample CRM export: a run of the hidden-truth scenario, exported
as CRM history, renamed to vendor-style columns and given realistic dirt.

    python data/crm/make_sample.py          # rewrites data/crm/sample_history.csv

Hidden parameters: scenarios/crm_sample_truth.yaml (seed 2024, 78 weeks from
2024-01-01). The dirt, all seeded (see README.md here for the counts):
duplicate rows from a re-import, the stage "Proposal" renamed to
"Proposal/Quote" from 2024-09-01, opportunities whose creation date was edited
to after their first stage entry, rows exported with a +02:00 offset, a few
negative amounts and rows of test deals in a stage that is not in the funnel.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

import sim
from sim.calibration.export import history_from_tables

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
LABELS = {"lead": "Lead", "qualified": "Qualified", "demo": "Demo", "proposal": "Proposal", "won": "Closed Won"}
COLUMNS = {"opportunity_id": "Opportunity ID", "stage": "Stage", "entered_at": "Stage Entered",
           "created_at": "Created Date", "source": "Lead Source", "segment": "Segment", "owner": "Owner",
           "owner_role": "Owner Role", "amount": "Amount", "list_amount": "List Price", "closed_at": "Close Date",
           "outcome": "Outcome", "loss_reason": "Loss Reason"}


def clean_history() -> pd.DataFrame:
    scenario = sim.load_scenario(ROOT / "scenarios" / "crm_sample_truth.yaml")
    r = sim.simulate(scenario)
    return history_from_tables(r.events, r.leads, scenario.stages, start="2024-01-01")


def add_dirt(df: pd.DataFrame, seed: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    df = df.copy()
    df["stage"] = df["stage"].map(LABELS)
    renamed = (df["stage"] == "Proposal") & (df["entered_at"] >= "2024-09-01")
    df.loc[renamed, "stage"] = "Proposal/Quote"
    opps = df["opportunity_id"].unique()
    late = rng.choice(opps, 5, replace=False)  # creation date edited after the fact
    for o in late:
        m = df["opportunity_id"] == o
        t = pd.Timestamp(df.loc[m, "entered_at"].max()) + pd.Timedelta(days=3)
        df.loc[m, "created_at"] = t.strftime("%Y-%m-%dT%H:%M:%SZ")
    tz_rows = rng.choice(df.index, 20, replace=False)  # one integration wrote local time with an offset
    local = pd.to_datetime(df.loc[tz_rows, "entered_at"], utc=True).dt.tz_convert("Europe/Berlin")
    df.loc[tz_rows, "entered_at"] = local.dt.strftime("%Y-%m-%dT%H:%M:%S%z").str.replace(
        r"(\d\d)(\d\d)$", r"\1:\2", regex=True)
    neg = rng.choice(df.index[df["amount"] > 0], 3, replace=False)
    df.loc[neg, "amount"] = -df.loc[neg, "amount"]
    test = df.iloc[:4].copy()
    test["opportunity_id"] = [f"test-{i}" for i in range(4)]
    test["stage"] = "Test Stage"
    dups = df.loc[rng.choice(df.index, int(0.015 * len(df)), replace=False)]  # a partial re-import
    return pd.concat([df, test, dups], ignore_index=True).rename(columns=COLUMNS)


if __name__ == "__main__":
    out = HERE / "sample_history.csv"
    add_dirt(clean_history()).to_csv(out, index=False)
    print(f"wrote {out}")

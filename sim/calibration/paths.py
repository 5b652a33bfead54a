"""From stage-entry rows to each opportunity's path: stage order, transition matrix,
and one record per opportunity (where it entered, how far it got, how it ended).

Real deals skip and revisit stages, so the history is first read as a
transition matrix (every consecutive pair of stage entries, counted). The
simulator's funnel is a chain, so the chain view is then derived from the
matrix rather than assumed: an opportunity "was in" every stage from the
first it entered to the furthest it reached (a skipped stage is passed
through at once), and converted out of each of those stages but the last.
A revisit (moving backwards) does not undo progress: the furthest stage counts.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.calibration.io import History
from sim.calibration.mapping import Mapping, normalize_name

WON, LOST, OPEN = "won", "lost", "open"


def stage_order(h: History, m: Mapping) -> list[str]:
    """The funnel's stages, the win last: the mapping's list, or read from the data.

    From the data: stage A comes before B when more opportunities that entered
    both entered A first (a Copeland ranking over pairwise precedences, robust
    to skips and revisits); stages that mean a win go last.
    """
    rows = h.rows[~h.rows["lost_stage"]]
    won = sorted(set(rows.loc[rows["won_stage"], "stage"]))
    if m.stages is not None:
        order = [normalize_name(s) for s in m.stages]
        order = [s for s in order if s not in won] + [s for s in order if s in won]
        return order if order[-1] in won or not won else order + won[:1]
    names = sorted(set(rows["stage"]) - set(won))
    if not names:  # only the win (or nothing): no funnel to order; the caller says so
        return won[:1] or ["won"]
    first = rows.groupby(["opportunity_id", "stage"])["entered_at"].min().unstack()
    t = first[names].to_numpy(dtype="datetime64[ns]").astype("int64").astype(float)
    t[first[names].isna().to_numpy()] = np.nan
    score = np.zeros(len(names))
    for i in range(len(names)):
        for j in range(len(names)):
            if i != j:
                both = ~np.isnan(t[:, i]) & ~np.isnan(t[:, j])
                score[i] += np.sum(t[both, i] < t[both, j]) > np.sum(t[both, i] > t[both, j])
    ranked = [names[k] for k in sorted(range(len(names)), key=lambda k: (-score[k], names[k]))]
    return ranked + (won[:1] if won else ["won"])


def transition_matrix(h: History, order: list[str]) -> pd.DataFrame:
    """Counts of moves between consecutive stage entries, and of how paths end."""
    rows = h.rows.sort_values(["opportunity_id", "entered_at", "_row"])
    stage = rows["stage"].where(~rows["lost_stage"], LOST)
    nxt = stage.groupby(rows["opportunity_id"]).shift(-1)
    last = nxt.isna()
    ends = rows.groupby("opportunity_id")["outcome"].transform("last").fillna(OPEN)
    nxt = nxt.where(~last, np.where(ends == WON, "(won)", np.where(ends == LOST, "(lost)", "(open)")))
    nxt = nxt.replace({LOST: "(lost)"})  # entering a lost stage ends the path
    keep = stage != LOST
    cols = order + ["(won)", "(lost)", "(open)"]
    m = pd.crosstab(stage[keep], nxt[keep]).reindex(index=order, columns=cols, fill_value=0)
    return m.drop(columns=[c for c in ("(won)",) if c in m.columns and m[c].sum() == 0])


@dataclass
class Paths:
    """One row per opportunity (``opps``) and the first entry time per stage (``entered``)."""

    order: list[str]
    opps: pd.DataFrame
    entered: pd.DataFrame  # opportunity x stage -> first entry timestamp (NaT: never)
    as_of: pd.Timestamp

    def days_in_stage(self) -> pd.DataFrame:
        """Time in each stage an opportunity entered: exits are exact, open ones censored.

        Columns: opportunity_id, segment, source, stage, days, censored, lost (the exit was a loss).
        """
        out = []
        t = self.entered.reindex(columns=self.order)
        n = len(self.order)
        opps = self.opps.set_index("opportunity_id").loc[t.index]
        for k, stage in enumerate(self.order[:-1]):
            start = t[stage]
            later = t[self.order[k + 1:]]
            later = later.where(later.ge(start, axis=0))
            exit_ = later.min(axis=1)
            ended_here = opps["reached"] == k
            closed = ended_here & opps["outcome"].eq(LOST)
            exit_ = exit_.where(~closed, opps["closed"])
            censored = ended_here & opps["outcome"].eq(OPEN)
            exit_ = exit_.where(~censored, self.as_of)
            ok = start.notna() & exit_.notna() & (k < n - 1)
            days = (exit_ - start).dt.total_seconds() / 86400.0
            ok &= days >= 0
            out.append(pd.DataFrame({"opportunity_id": t.index[ok], "segment": opps.loc[ok, "segment"].to_numpy(),
                                     "source": opps.loc[ok, "source"].to_numpy(), "stage": stage,
                                     "days": days[ok].to_numpy(), "censored": censored[ok].to_numpy(),
                                     "lost": closed[ok].to_numpy()}))
        return pd.concat(out, ignore_index=True)


def build_paths(h: History, order: list[str]) -> Paths:
    """Each opportunity's entry stage, furthest stage, outcome, value, owner and dates."""
    rows = h.rows.sort_values(["opportunity_id", "entered_at", "_row"])
    idx = {s: i for i, s in enumerate(order)}
    funnel = rows[~rows["lost_stage"] & rows["stage"].isin(idx)].copy()
    funnel["k"] = funnel["stage"].map(idx)
    g = rows.groupby("opportunity_id", sort=True)
    opps = pd.DataFrame({"opportunity_id": g.size().index})
    opps = opps.set_index("opportunity_id")
    for col in ("source", "segment", "industry", "product"):
        opps[col] = g[col].last() if col in rows else "all"
        opps[col] = opps[col].fillna("unknown")
    opps["created"] = g["created_at"].min() if "created_at" in rows else g["entered_at"].min()
    opps["created"] = opps["created"].fillna(g["entered_at"].min())
    fk = funnel.groupby("opportunity_id")["k"]
    opps["entry"] = fk.first()
    opps["reached"] = fk.max()
    outcome = g["outcome"].last() if "outcome" in rows else pd.Series(np.nan, index=opps.index)
    lost_row = g["lost_stage"].any()
    outcome = outcome.where(outcome.notna(), np.where(lost_row, LOST, OPEN))
    won_row = funnel.groupby("opportunity_id")["k"].max() == len(order) - 1
    outcome = outcome.where(~won_row.reindex(opps.index, fill_value=False), WON)
    opps["outcome"] = outcome.astype(str)
    closed = g["closed_at"].max() if "closed_at" in rows else \
        pd.Series(pd.NaT, index=opps.index, dtype="datetime64[ns, UTC]")
    lost_at = rows[rows["lost_stage"]].groupby("opportunity_id")["entered_at"].min()
    opps["closed"] = closed.fillna(lost_at.reindex(opps.index))
    for col in ("amount", "list_amount"):
        opps[col] = g[col].last() if col in rows else np.nan
    last_owner = funnel.replace({"owner": {"": np.nan}}).groupby("opportunity_id")[
        [c for c in ("owner", "owner_role") if c in funnel]].last() if "owner" in funnel else None
    opps["owner"] = last_owner["owner"] if last_owner is not None else np.nan
    opps["owner_role"] = last_owner["owner_role"] if last_owner is not None and "owner_role" in funnel else np.nan
    opps = opps[opps["entry"].notna()].copy()
    opps["entry"] = opps["entry"].astype(int)
    opps["reached"] = opps["reached"].astype(int)
    won = opps["outcome"] == WON
    opps["reached"] = np.where(won, len(order) - 1, opps["reached"])  # a won deal went through every stage
    # every stage a column of UTC instants, even a stage nobody entered (NaT throughout)
    entered = funnel.groupby(["opportunity_id", "stage"])["entered_at"].min().unstack()
    entered = entered.reindex(index=opps.index, columns=order).astype("datetime64[ns, UTC]")
    win_stage = order[-1]
    missing_win = won & entered[win_stage].isna()
    entered.loc[missing_win, win_stage] = opps.loc[missing_win, "closed"].astype("datetime64[ns, UTC]")
    return Paths(order=order, opps=opps.reset_index(), entered=entered, as_of=h.as_of)

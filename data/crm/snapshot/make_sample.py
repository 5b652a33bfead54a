"""Make the synthetic snapshot export (one row per deal, with agents, products and accounts files).

    python data/crm/snapshot/make_sample.py     # rewrites the four CSV files here

Same shape as the public "CRM + Sales + Opportunities" export (files
sales_pipeline.csv, sales_teams.csv, products.csv, accounts.csv): deals with
an agent, a product, an account, a stage (Prospecting, Engaging, Won, Lost),
an engage date, a close date and a close value. The values are drawn here
from stated parameters (seed 2017), not copied from that dataset; see
README.md for the parameters and for the mapping of the real files.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
START, END = pd.Timestamp("2016-10-20"), pd.Timestamp("2017-12-31")
PRODUCTS = [("GTX Basic", "GTX", 550), ("GTX Pro", "GTX", 4821), ("MG Special", "MG", 55),
            ("MG Advanced", "MG", 3393), ("GTX Plus Pro", "GTX", 5482), ("GTX Plus Basic", "GTX", 1096),
            ("GTK 500", "GTK", 26768)]
PRODUCT_SHARE = [0.17, 0.14, 0.15, 0.15, 0.11, 0.14, 0.14 * 0.03]
REGIONS = {"Central": ["Ann Able", "Ben Best"], "East": ["Cal Cole", "Dee Dunn"], "West": ["Eve Ensor", "Fay Ford"]}
WEEKLY = 135.0  # deals engaged a week
STALE = 0.12  # share of deals left open for good (never closed in the CRM)
WIN = 0.63
WON_DAYS = (4.0, 0.55)  # lognormal of days from engaging to a win: log-median, sigma
LOST_DAYS = (2.9, 1.0)  # and to a loss
MAX_DAYS = 140  # every deal closes within this many days of engaging, or never (stale)
SEASON = [0.7, 0.8, 1.0, 1.1, 1.0, 1.1, 1.3, 1.0, 1.0, 1.0, 1.0, 0.9]


def main(seed: int = 2017, out: Path = HERE, season: list[float] | None = None, quarter_end: float = 0.0) -> None:
    """Write the four files into ``out`` (another seed or a flat ``season`` make other histories of the
    same shape, for tests). ``quarter_end`` is the share of wins due in a quarter's first two months
    that slip to a day in its last month (reps hold deals for the quarter-end push, as real pipelines
    show); 0 (the shipped sample) leaves the dates as drawn."""
    rng = np.random.default_rng(seed)
    season = SEASON if season is None else season
    agents = []
    for region, managers in REGIONS.items():
        for m in managers:
            for i in range(6 if region != "West" else 5):
                agents.append((f"Agent {region[0]}{m[0]}{i}", m, region))
    teams = pd.DataFrame(agents, columns=["sales_agent", "manager", "regional_office"])
    skill = rng.normal(0.0, 0.25, len(teams))
    volume = rng.gamma(6.0, 1.0 / 6.0, len(teams))
    products = pd.DataFrame(PRODUCTS, columns=["product", "series", "sales_price"])
    accounts = pd.DataFrame({"account": [f"Account {i:02d}" for i in range(85)],
                             "sector": rng.choice(["retail", "medical", "software", "finance"], 85),
                             "year_established": rng.integers(1980, 2015, 85),
                             "revenue": np.round(rng.lognormal(6, 1, 85), 2),
                             "employees": rng.integers(50, 20000, 85),
                             "office_location": rng.choice(["United States", "Kenya", "Norway"], 85),
                             "subsidiary_of": ""})
    days = pd.date_range(START, END, freq="D")
    lam = WEEKLY / 7 * np.array([season[d.month - 1] for d in days])
    engaged = np.repeat(days.to_numpy(), rng.poisson(lam))
    n = len(engaged)
    who = rng.choice(len(teams), n, p=volume / volume.sum())
    prod = rng.choice(len(products), n, p=np.array(PRODUCT_SHARE) / sum(PRODUCT_SHARE))
    p_win = 1 / (1 + np.exp(-(np.log(WIN / (1 - WIN)) + skill[who])))
    won = rng.random(n) < p_win
    wait = np.minimum(np.where(won, rng.lognormal(*WON_DAYS, n), rng.lognormal(*LOST_DAYS, n)), MAX_DAYS)
    close = pd.to_datetime(engaged) + pd.to_timedelta(np.ceil(wait), unit="D")
    if quarter_end > 0:  # its own stream: the shipped sample's draws stay as they were
        qrng = np.random.default_rng([seed, 1])
        early = won & (close.month % 3 != 0) & (qrng.random(n) < quarter_end)
        last = (close.to_period("Q").asfreq("M", "e")).to_timestamp()  # first day of the quarter's last month
        slip = last + pd.to_timedelta(qrng.integers(0, 28, n), unit="D")
        close = pd.DatetimeIndex(np.where(early, slip, close))
    stale = rng.random(n) < STALE
    closed = (close <= END) & ~stale
    price = products["sales_price"].to_numpy()[prod]
    value = np.where(won, np.round(price * rng.normal(1.0, 0.1, n)), 0)
    stage = np.where(closed, np.where(won, "Won", "Lost"), "Engaging")
    df = pd.DataFrame({"opportunity_id": [f"D{i:06d}" for i in range(n)],
                       "sales_agent": teams["sales_agent"].to_numpy()[who],
                       "product": products["product"].to_numpy()[prod],
                       "account": rng.choice(accounts["account"], n), "deal_stage": stage,
                       "engage_date": pd.to_datetime(engaged).strftime("%Y-%m-%d"),
                       "close_date": np.where(closed, close.strftime("%Y-%m-%d"), ""),
                       "close_value": np.where(closed, value.astype(int).astype(str), "")})
    df.loc[df["deal_stage"] == "Engaging", "account"] = ""
    prospecting = pd.DataFrame({"opportunity_id": [f"P{i:06d}" for i in range(500)],
                                "sales_agent": rng.choice(teams["sales_agent"], 500),
                                "product": rng.choice(products["product"], 500), "account": "",
                                "deal_stage": "Prospecting", "engage_date": "", "close_date": "", "close_value": ""})
    df = pd.concat([df, prospecting], ignore_index=True)
    df["product"] = df["product"].replace({"GTX Pro": "GTXPro"})  # the real export spells it so in one file
    df.to_csv(out / "sales_pipeline.csv", index=False)
    teams.to_csv(out / "sales_teams.csv", index=False)
    products.to_csv(out / "products.csv", index=False)
    accounts.to_csv(out / "accounts.csv", index=False)


if __name__ == "__main__":
    main()

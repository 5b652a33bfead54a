"""``salesim calibrate`` and ``salesim backtest`` on ordinary and hostile data, through the
command line: every case ends with exit 0 and a scenario that loads (finite, plausible
numbers), or exit 2 with a message naming the file, row, flag or key; never a traceback.

Each case was a crash or silent garbage before: a segment without discounts wrote the
YAML end-of-document marker into the scenario, names and paths were pasted into YAML text,
out-of-range dates and amounts went through, and the fits failed on tiny histories.
"""

from __future__ import annotations

import math
import re

import pytest
import yaml

import sim
from sim.cli.main import main

HEADER = "opportunity_id,stage,entered_at,created_at,segment,amount,list_amount,outcome,closed_at\n"
SLOW = pytest.mark.slow
ROWS = [
    "o1,mql,2024-01-01T00:00:00Z,2024-01-01T00:00:00Z,smb,1000,1000,won,2024-01-09T00:00:00Z",
    "o1,sql,2024-01-03T00:00:00Z,2024-01-01T00:00:00Z,smb,1000,1000,won,2024-01-09T00:00:00Z",
    "o1,won,2024-01-09T00:00:00Z,2024-01-01T00:00:00Z,smb,900,1000,won,2024-01-09T00:00:00Z",
    "o2,mql,2024-01-02T00:00:00Z,2024-01-02T00:00:00Z,smb,2000,2000,lost,2024-01-05T00:00:00Z",
    "o2,sql,2024-01-04T00:00:00Z,2024-01-02T00:00:00Z,smb,2000,2000,lost,2024-01-05T00:00:00Z",
    "o3,mql,2024-01-03T00:00:00Z,2024-01-03T00:00:00Z,smb,3000,3000,open,",
]


def history(rows: int = 60, seed: int = 0, discount: bool = True) -> list[str]:
    """A small, plausible history: deals created over two months, mql -> sql -> won."""
    import numpy as np

    rng = np.random.default_rng(seed)
    out = []
    for i in range(rows):
        t0 = 60.0 * i / rows
        seg = "smb" if i % 3 else "ent"
        lst = float(rng.lognormal(9, 0.3))
        amt = lst * (0.9 if discount and i % 2 else 1.0)
        stamps = [t0, t0 + rng.exponential(3.0), None]
        won = i % 4 == 0
        stamps[2] = stamps[1] + rng.exponential(5.0)
        closed = stamps[2] if won else (stamps[1] + 1.0 if i % 4 == 1 else None)
        outcome = "won" if won else ("lost" if closed is not None else "open")

        def ts(d):
            if d is None:
                return ""
            return (np.datetime64("2024-01-01T00:00:00") + np.timedelta64(int(d * 86400), "s")).astype(str) + "Z"

        stages = ["mql", "sql"] + (["won"] if won else [])
        for k, st in enumerate(stages):
            out.append(f"o{i},{st},{ts(stamps[k])},{ts(t0)},{seg},{amt if won else lst:.2f},{lst:.2f},"
                       f"{outcome},{ts(closed)}")
    return out


def write(path, lines, header=HEADER):
    path.write_text(header + "\n".join(lines) + "\n", encoding="utf-8")
    return path


def cli(capsys, *argv):
    rc = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    assert "Traceback" not in err, err
    return rc, out, err


def calibrate(capsys, tmp_path, hist, *extra):
    """``salesim calibrate`` into a new folder of its own (the report and figure go next to the scenario)."""
    n = len(list(tmp_path.glob("fit*")))
    out = tmp_path / f"fit{n}" / "fitted.yaml"
    out.parent.mkdir()
    rc, stdout, err = cli(capsys, "calibrate", hist, "--out", out, *extra)
    return rc, err, out


def loads(path):
    """The written scenario validates, and every number in it is finite."""
    scenario = sim.load_scenario(path)

    def walk(v):
        if isinstance(v, dict):
            for x in v.values():
                walk(x)
        elif isinstance(v, list):
            for x in v:
                walk(x)
        elif isinstance(v, float):
            assert math.isfinite(v)

    walk(yaml.safe_load(path.read_text()))
    return scenario


# --------------------------------------------------------------------------- the scenario file


def test_segment_without_discount_writes_a_scenario_that_loads(tmp_path, capsys):
    hist = write(tmp_path / "h.csv", history(discount=False))
    rc, err, out = calibrate(capsys, tmp_path, hist)
    assert rc == 0, err
    text = out.read_text()
    assert "\n..." not in text and "discount_fraction: 0" in text
    loads(out)
    rc, _, err = cli(capsys, "backtest", hist, "--train-until", "2024-02-01", "--runs", "2", "--out", tmp_path / "bt")
    assert rc == 0, err
    assert yaml.safe_load((tmp_path / "bt" / "backtest_fitted.yaml").read_text())["name"] == "backtest"


def test_issue_chain_run_export_backtest(tmp_path, capsys):
    from tests.conftest import SCENARIOS

    run_dir, hist = tmp_path / "run26", tmp_path / "hist.csv"
    assert cli(capsys, "run", SCENARIOS / "small_team.yaml", "--weeks", "26", "--out", run_dir)[0] == 0
    assert cli(capsys, "export-crm", run_dir, "--out", hist)[0] == 0
    rc, _, err = cli(capsys, "backtest", hist, "--train-until", "2024-04-01", "--runs", "2", "--out", tmp_path / "bt")
    assert rc == 0, err
    assert sim.validate_data(yaml.safe_load((tmp_path / "bt" / "backtest_fitted.yaml").read_text()))


@pytest.mark.parametrize("name", ["a: b", "[x", "fitted\nseed: 99", "Fitted", "x" * 41, ""])
def test_bad_scenario_names_are_refused(tmp_path, capsys, name):
    hist = write(tmp_path / "h.csv", ROWS)
    rc, err, out = calibrate(capsys, tmp_path, hist, "--name", name)
    assert rc == 2 and "--name" in err and "lower_snake_case" in err
    assert not out.exists()


def test_a_good_name_is_written_and_no_name_is_fitted(tmp_path, capsys):
    from sim.calibration.fit import fit_history
    from sim.calibration.io import load_history
    from sim.calibration.scenario_writer import scenario_text

    hist = write(tmp_path / "h.csv", ROWS)
    rc, err, out = calibrate(capsys, tmp_path, hist, "--name", "acme_q3")
    assert rc == 0 and loads(out).name == "acme_q3"
    text = scenario_text(fit_history(load_history(hist)), name=None)
    assert yaml.safe_load(text)["name"] == "fitted"


@pytest.mark.parametrize("fname", ["colon: name #x.csv", pytest.param("a [b] {c} & *d* 'e' \"f\".csv", marks=SLOW),
                                   pytest.param("... --- %x.csv", marks=SLOW), "new\nline.csv"])
def test_odd_history_file_names_go_into_the_scenario_as_strings(tmp_path, capsys, fname):
    hist = write(tmp_path / fname, ROWS)
    rc, err, out = calibrate(capsys, tmp_path, hist)
    assert rc == 0, err
    s = loads(out)
    assert s.description.startswith("fitted to 3 opportunities from ")
    assert fname.split("\n")[0] in s.description
    assert yaml.safe_load(out.read_text())["seed"] == 1


def test_labels_yaml_would_read_as_other_types_stay_names(tmp_path, capsys):
    """Segments and sources named yes, no, null, on, true: quoted, so YAML 1.1 keeps them as text."""
    lines = [r.replace(",smb,", f",{seg},") for r, seg in zip(history(60), ["yes", "No", "null", "on", "TRUE"] * 99,
                                                               strict=False)]
    hist = write(tmp_path / "h.csv", lines)
    rc, err, out = calibrate(capsys, tmp_path, hist)
    assert rc == 0, err
    assert set(loads(out).segments) >= {"yes", "no", "null", "on", "true"}


def test_scenario_keeps_its_comments_and_two_spaces_before_them(tmp_path, capsys):
    hist = write(tmp_path / "h.csv", history())
    rc, err, out = calibrate(capsys, tmp_path, hist)
    text = out.read_text()
    assert text.startswith("# Fitted by `salesim calibrate`")
    assert re.search(r"^  \w+: \{headcount: \d+\}  # assumed", text, re.M) or "roles:" not in text
    assert "  # n=" in text and "95% CI" in text


# --------------------------------------------------------------------------- dates


@pytest.mark.parametrize("stamp", ["0001-01-01T00:00:00Z", "9999-12-31T00:00:00Z", "now", "nan"] + [
    pytest.param(v, marks=SLOW) for v in ("0001-01-01", "9999-01-01", "1677-09-21", "2262-04-12", "today", "NaT",
                                          "inf", "1e309", "2024-13-45", "2024-01-01T00:00:00+25:00")])
def test_out_of_range_or_odd_timestamps_are_reported_rows(tmp_path, capsys, stamp):
    bad = f"o4,mql,{stamp},{stamp},smb,1,1,open,{stamp}"
    hist = write(tmp_path / "h.csv", ROWS + [bad])
    rc, err, out = calibrate(capsys, tmp_path, hist)
    assert rc == 0, err
    assert re.search(r"bad timestamp: 1 row\(s\) \(8\)", err), err
    loads(out)


def test_a_typed_in_year_is_far_from_the_bulk_and_dropped(tmp_path, capsys):
    lines = history(60)
    lines.append(lines[-1].replace("o59,", "o99,").replace("2024-", "2124-", 1))
    hist = write(tmp_path / "h.csv", lines)
    rc, err, out = calibrate(capsys, tmp_path, hist)
    assert rc == 0, err
    assert "implausible timestamp" in err
    assert loads(out).horizon_weeks < 20  # two months of history, not a century


@pytest.mark.parametrize("as_of", ["nan", "NaT", "now", "", "not a date", "2024-02-30", "0001-01-01", "9999-01-01",
                                   "2200-01-01", "2262-03-01", "99999-01-01"])
def test_bad_as_of_is_a_usage_error(tmp_path, capsys, as_of):
    hist = write(tmp_path / "h.csv", ROWS)
    rc, err, out = calibrate(capsys, tmp_path, hist, "--as-of", as_of)
    assert rc == 2 and "--as-of" in err and "expected a date" in err
    rc, _, err = cli(capsys, "backtest", hist, "--as-of", as_of, "--train-until", "2024-01-05", "--runs", "2",
                     "--out", tmp_path / "bt")
    assert rc == 2 and "--as-of" in err


def test_as_of_far_after_or_before_the_history_is_refused(tmp_path, capsys):
    hist = write(tmp_path / "h.csv", ROWS)
    rc, err, _ = calibrate(capsys, tmp_path, hist, "--as-of", "2150-01-01")
    assert rc == 2 and "--as-of 2150-01-01" in err and "after the history's last stage entry" in err
    rc, err, _ = calibrate(capsys, tmp_path, hist, "--as-of", "2023-01-01")
    assert rc == 2 and "before the history's first stage entry" in err


@pytest.mark.parametrize("cut", ["nan", "NaT", "yesterday", "2024-99-01", "0001-01-01", "2262-03-01"])
def test_bad_train_until_is_a_usage_error(tmp_path, capsys, cut):
    hist = write(tmp_path / "h.csv", history())
    rc, _, err = cli(capsys, "backtest", hist, "--train-until", cut, "--runs", "2", "--out", tmp_path / "bt")
    assert rc == 2 and "--train-until" in err
    assert not (tmp_path / "bt").exists()


@pytest.mark.parametrize("cut", ["2024-01-01T12:00:00", "2024-01-08T23:59:00",
                                 pytest.param("2024-01-02", marks=SLOW)])
def test_backtest_on_a_very_short_span(tmp_path, capsys, cut):
    hist = write(tmp_path / "h.csv", ROWS)
    rc, out, err = cli(capsys, "backtest", hist, "--train-until", cut, "--runs", "2", "--out", tmp_path / "bt")
    assert rc in (0, 2), err
    if rc == 2:
        assert "--train-until" in err
    else:
        assert (tmp_path / "bt" / "backtest.md").exists()


def test_durations_beyond_the_span_are_capped_and_flagged(tmp_path, capsys):
    # one deal leaves mql after a day; nine stay open for a month: the censored MLE says ~8 months
    lines = ["o0,mql,2024-01-01T00:00:00Z,,smb,,,lost,2024-01-02T00:00:00Z",
             "o0,sql,2024-01-02T00:00:00Z,,smb,,,lost,2024-01-02T00:00:00Z"]
    lines += [f"o{i},mql,2024-01-0{i}T00:00:00Z,,smb,,,open," for i in range(1, 10)]
    lines += ["o10,won,2024-01-31T00:00:00Z,,smb,,,won,2024-01-31T00:00:00Z",
              "o10,sql,2024-01-30T00:00:00Z,,smb,,,won,2024-01-31T00:00:00Z"]
    hist = write(tmp_path / "h.csv", lines)
    rc, err, out = calibrate(capsys, tmp_path, hist)  # by default the nine are stale: left out, said so
    assert rc == 0, err
    assert "stale open deals: 9 of 9" in err
    keep = tmp_path / "keep.yaml"
    keep.write_text("stale_open: keep\n")
    rc, err, out = calibrate(capsys, tmp_path, hist, "--mapping", keep, "--force")
    assert rc == 0, err
    s = loads(out)
    mean = s.segments["smb"].steps["sql"].elapsed_days.mean()
    assert mean <= 31.0  # at most the history's span (30 days from the first creation)
    assert "capped" in out.read_text() and "time in stage capped" in (out.parent / "fit_report.md").read_text()


# --------------------------------------------------------------------------- tiny and odd histories


def test_single_row_is_a_clear_error(tmp_path, capsys):
    hist = write(tmp_path / "h.csv", ROWS[:1])
    rc, err, out = calibrate(capsys, tmp_path, hist)
    assert rc == 2 and str(hist) in err and "at least a day" in err
    assert not out.exists()


def test_single_opportunity_fits(tmp_path, capsys):
    hist = write(tmp_path / "h.csv", ROWS[:3])
    rc, err, out = calibrate(capsys, tmp_path, hist)
    assert rc == 0, err
    assert loads(out).sources["all"].rate_per_week < 10


def test_header_only_and_empty_file(tmp_path, capsys):
    rc, err, _ = calibrate(capsys, tmp_path, write(tmp_path / "h.csv", []))
    assert rc == 2 and "no usable rows" in err
    (tmp_path / "e.csv").write_bytes(b"")
    rc, err, _ = calibrate(capsys, tmp_path, tmp_path / "e.csv")
    assert rc == 2 and "e.csv" in err and "empty" in err


def test_only_the_won_stage(tmp_path, capsys):
    hist = write(tmp_path / "h.csv", [ROWS[2], ROWS[2].replace("o1", "o9")])
    rc, err, _ = calibrate(capsys, tmp_path, hist)
    assert rc == 2 and "fewer than two stages" in err and str(hist) in err


@pytest.mark.parametrize("mapping, key", [("stages: []\n", "stages"), ("stages: [won]\n", "stages"),
                                          ("stages: [mql, sql, sql, won]\n", "listed twice"),
                                          ("stages: [MQL, mql, won]\n", "listed twice"),
                                          ("stages: [mql, lost, won]\n", "lost stage"),
                                          ("won_stages: [done]\nlost_stages: [done]\n", "both name done"),
                                          ("timezone: Mars/Olympus\n", "timezone"),
                                          ("stages: mql\n", "stages"),
                                          ("columns: {stage: ''}\n", "columns"),
                                          ("a: 1\na: 2\n", "key repeated"),
                                          ("[1, 2]\n", "expected a mapping"),
                                          ("stages: !!python/object:os.system [ls]\n", "cannot read YAML")])
def test_bad_mapping_files_name_the_key(tmp_path, capsys, mapping, key):
    hist = write(tmp_path / "h.csv", ROWS)
    m = tmp_path / "m.yaml"
    m.write_text(mapping)
    rc, err, out = calibrate(capsys, tmp_path, hist, "--mapping", m)
    assert rc == 2 and str(m) in err and key in err, err


def test_binary_mapping_and_history_files(tmp_path, capsys):
    hist = write(tmp_path / "h.csv", ROWS)
    m = tmp_path / "m.yaml"
    m.write_bytes(bytes(range(256)))
    rc, err, _ = calibrate(capsys, tmp_path, hist, "--mapping", m)
    assert rc == 2 and str(m) in err and "UTF-8" in err
    b = tmp_path / "b.csv"
    b.write_bytes(bytes(range(256)) * 8)
    rc, err, _ = calibrate(capsys, tmp_path, b)
    assert rc == 2 and str(b) in err and "binary" in err
    rc, err, _ = calibrate(capsys, tmp_path, hist, "--mapping", tmp_path)
    assert rc == 2 and "folder" in err


def test_a_stage_of_the_mapping_without_rows(tmp_path, capsys):
    hist = write(tmp_path / "h.csv", ROWS)
    m = tmp_path / "m.yaml"
    m.write_text("stages: [mql, sql, demo, won]\n")
    rc, err, out = calibrate(capsys, tmp_path, hist, "--mapping", m)
    assert rc == 0, err
    assert loads(out).stages == ["mql", "sql", "demo", "won"]
    assert "stage without rows" in (out.parent / "fit_report.md").read_text()


def test_too_many_distinct_stages_is_an_id_column(tmp_path, capsys):
    lines = [f"o{i},stage {i},2024-01-{1 + i % 28:02d}T00:00:00Z,,smb,,,open," for i in range(200)]
    rc, err, _ = calibrate(capsys, tmp_path, write(tmp_path / "h.csv", lines))
    assert rc == 2 and "distinct stages" in err


# --------------------------------------------------------------------------- amounts


@pytest.mark.parametrize("value", ["5e12", "inf", "1e309"] + [
    pytest.param(v, marks=SLOW) for v in ("-inf", "nan", "-5", "1e400", "9" * 400)])
def test_amounts_out_of_range_are_flagged_on_every_row(tmp_path, capsys, value):
    lines = []
    for r in ROWS:
        f = r.split(",")
        f[5] = f[6] = value
        lines.append(",".join(f))
    hist = write(tmp_path / "h.csv", lines)
    rc, err, out = calibrate(capsys, tmp_path, hist)
    assert rc == 0, err
    assert "negative or bad amount: 6 row(s) (2, 3, 4, 5, 6, 7)" in err
    assert "0 kind(s) of data problem" not in capsys.readouterr().out
    loads(out)
    assert "acv_usd: 1  # assumed" in out.read_text()


def test_amounts_at_the_limit_and_in_other_spellings(tmp_path, capsys):
    lines = []
    for r, v in zip(ROWS, ["1e12", "$1,000.50", "1.000,50", "99,5", " 42 ", "0"], strict=True):
        f = r.split(",")
        f[5] = f[6] = f'"{v}"'
        lines.append(",".join(f))
    hist = write(tmp_path / "h.csv", lines)
    rc, err, out = calibrate(capsys, tmp_path, hist)
    assert rc == 0, err
    assert "bad amount" not in err
    assert loads(out).segments["smb"].acv_usd.median <= 1e12


# --------------------------------------------------------------------------- the report


def test_report_has_no_nan_for_a_short_history(tmp_path, capsys):
    hist = write(tmp_path / "h.csv", history())
    rc, err, out = calibrate(capsys, tmp_path, hist)
    assert rc == 0, err
    report = (out.parent / "fit_report.md").read_text()
    assert not re.search(r"\bnan\b", report, re.I) and not re.search(r"\binf\b", report)


def test_report_escapes_user_strings(tmp_path, capsys):
    markdown_it = pytest.importorskip("markdown_it")
    evil = "[click](javascript:alert(1)) <img src=x onerror=alert(1)> **b** www.evil.example a@b.example"
    lines = [r.replace(",smb,", f',"{evil}",').replace("o1,", "x`<b>`,") for r in ROWS]
    header = HEADER.replace("segment", "owner")  # owners are not normalized: they reach the Reps table raw
    fname = "[x](http:evil) <b>h `q`.csv"
    hist = write(tmp_path / fname, lines, header=header)
    m = tmp_path / "m.yaml"
    m.write_text("stages: [mql, sql, won]\nstage_names: {'<i>': mql}\n")
    rc, err, out = calibrate(capsys, tmp_path, hist, "--mapping", m)
    assert rc == 0, err
    md = (out.parent / "fit_report.md").read_text()
    html = markdown_it.MarkdownIt("commonmark").enable("table").render(md)
    for tag in ("<a ", "<img", "<b>", "<i>", "<strong>", "<script"):
        assert tag not in html, tag
    assert "javascript" not in re.sub(r"<[^>]+>", "", html).replace("javascript\\", "") or "href" not in html


def test_backtest_report_escapes_the_file_name(tmp_path, capsys):
    markdown_it = pytest.importorskip("markdown_it")
    hist = write(tmp_path / "<img src=x>.csv", history())
    rc, _, err = cli(capsys, "backtest", hist, "--train-until", "2024-02-01", "--runs", "2", "--out", tmp_path / "bt")
    assert rc == 0, err
    html = markdown_it.MarkdownIt("commonmark").enable("table").render((tmp_path / "bt" / "backtest.md").read_text())
    assert "<img" not in html and not re.search(r"\bnan\b", html)


# --------------------------------------------------------------------------- files


@pytest.mark.parametrize("encoding", ["utf-16", "cp1252", pytest.param("utf-8-sig", marks=SLOW),
                                      pytest.param("latin-1", marks=SLOW)])
def test_encodings(tmp_path, capsys, encoding):
    lines = [r.replace(",smb,", ",Société,") for r in history(30)]
    p = tmp_path / "h.csv"
    p.write_bytes((HEADER + "\n".join(lines) + "\n").encode(encoding))
    rc, err, out = calibrate(capsys, tmp_path, p)
    assert rc == 0, err
    assert "societe" in loads(out).segments
    assert ("not UTF-8" in err) == (encoding in ("cp1252", "latin-1"))


@pytest.mark.parametrize("sep", [";", pytest.param("\t", marks=SLOW), pytest.param("|", marks=SLOW)])
def test_delimiters(tmp_path, capsys, sep):
    lines = [r.replace(",", sep) for r in history(30)]
    hist = write(tmp_path / "h.csv", lines, header=HEADER.replace(",", sep))
    rc, err, out = calibrate(capsys, tmp_path, hist)
    assert rc == 0, err
    loads(out)


def test_repeated_and_ragged_columns(tmp_path, capsys):
    hist = write(tmp_path / "h.csv", ROWS, header=HEADER.replace("outcome", "stage"))
    rc, err, _ = calibrate(capsys, tmp_path, hist)
    assert rc == 2 and "'stage' appears 2 times" in err
    ok = write(tmp_path / "ok.csv", [r + ",x" for r in ROWS], header=HEADER.rstrip("\n") + ",note,note\n")
    assert calibrate(capsys, tmp_path, ok)[0] == 0  # an unused repeated column is no problem
    ragged = write(tmp_path / "r.csv", ROWS + ["o4,mql,2024-01-04T00:00:00Z", "o5,mql,2024-01-04,,a,1,1,open,,x"])
    rc, err, out = calibrate(capsys, tmp_path, ragged)
    assert rc == 0 and "too few fields: 1 row(s) (8)" in err and "too many fields: 1 row(s) (9)" in err


def test_parquet_named_csv_and_csv_named_parquet(tmp_path, capsys):
    import pandas as pd

    df = pd.read_csv(write(tmp_path / "h.csv", history()))
    pq = tmp_path / "h_parquet.csv"
    df.to_parquet(pq)
    assert calibrate(capsys, tmp_path, pq)[0] == 0
    wrong = tmp_path / "x.parquet"
    wrong.write_text(HEADER + "\n".join(ROWS))
    rc, err, _ = calibrate(capsys, tmp_path, wrong)
    assert rc == 2 and "Parquet" in err and str(wrong) in err


def test_a_flag_column_the_file_lacks_names_the_file(tmp_path, capsys):
    hist = write(tmp_path / "h.csv", ROWS)
    m = tmp_path / "m.yaml"
    m.write_text("won_flag: IsWon\nclosed_flag: IsClosed\n")
    rc, err, _ = calibrate(capsys, tmp_path, hist, "--mapping", m)
    assert rc == 2 and str(hist) in err and "won_flag (column 'IsWon')" in err


def test_utf16_without_a_byte_order_mark(tmp_path, capsys):
    p = tmp_path / "h.csv"
    p.write_bytes((HEADER + "\n".join(history(30)) + "\n").encode("utf-16-le"))
    rc, err, out = calibrate(capsys, tmp_path, p)
    assert rc == 0, err
    loads(out)


def test_exits_that_all_take_the_same_time_fit_quickly(tmp_path, capsys):
    import time

    lines = []
    for i in range(400):
        day = 1 + i % 27
        lines += [f"o{i},mql,2024-01-{day:02d}T00:00:00Z,,s{i % 12},,,lost,2024-01-{day + 1:02d}T00:00:00Z",
                  f"o{i},sql,2024-01-{day + 1:02d}T00:00:00Z,,s{i % 12},,,lost,2024-01-{day + 1:02d}T00:00:00Z"]
    hist = write(tmp_path / "h.csv", lines)
    t = time.perf_counter()
    rc, err, out = calibrate(capsys, tmp_path, hist)
    assert rc == 0, err
    assert loads(out).segments["s0"].steps["sql"].elapsed_days.mean() == pytest.approx(1.0)
    assert time.perf_counter() - t < 30  # each fit ran its optimizer to the iteration limit before

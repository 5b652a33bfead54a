"""Reading CRM histories: the canonical format, mapping files (Salesforce- and
HubSpot-style), and every kind of bad data reported with its rows and count."""

from __future__ import annotations

import textwrap

import pandas as pd
import pytest

from sim.calibration.io import load_history
from sim.calibration.mapping import DataError, load_mapping
from sim.calibration.paths import build_paths, stage_order, transition_matrix
from sim.cli.main import main

HEADER = "opportunity_id,stage,entered_at,created_at,segment,amount,outcome,closed_at\n"
CLEAN = [
    "o1,mql,2024-01-01T00:00:00Z,2024-01-01T00:00:00Z,smb,1000,won,2024-01-09T00:00:00Z",
    "o1,sql,2024-01-03T00:00:00Z,2024-01-01T00:00:00Z,smb,1000,won,2024-01-09T00:00:00Z",
    "o1,won,2024-01-09T00:00:00Z,2024-01-01T00:00:00Z,smb,900,won,2024-01-09T00:00:00Z",
    "o2,mql,2024-01-02T00:00:00Z,2024-01-02T00:00:00Z,smb,2000,lost,2024-01-05T00:00:00Z",
    "o2,sql,2024-01-04T00:00:00Z,2024-01-02T00:00:00Z,smb,2000,lost,2024-01-05T00:00:00Z",
    "o3,mql,2024-01-03T00:00:00Z,2024-01-03T00:00:00Z,smb,3000,open,",
]


def write(tmp_path, lines, header=HEADER, name="h.csv"):
    p = tmp_path / name
    p.write_text(header + "\n".join(lines) + "\n")
    return p


def issue(h, kind):
    found = [i for i in h.issues if i.kind == kind]
    assert len(found) == 1, [str(i) for i in h.issues]
    return found[0]


def test_clean_file_has_no_issues_and_paths(tmp_path):
    h = load_history(write(tmp_path, CLEAN))
    assert h.issues == [] and h.rows_read == 6
    order = stage_order(h, load_mapping(None))
    assert order == ["mql", "sql", "won"]
    p = build_paths(h, order)
    o = p.opps.set_index("opportunity_id")
    assert o.loc["o1", "outcome"] == "won" and o.loc["o1", "reached"] == 2
    assert o.loc["o2", "outcome"] == "lost" and o.loc["o2", "reached"] == 1
    assert o.loc["o3", "outcome"] == "open" and o.loc["o3", "reached"] == 0
    d = p.days_in_stage().set_index(["opportunity_id", "stage"])
    assert d.loc[("o1", "mql"), "days"] == pytest.approx(2.0)  # by hand: Jan 1 -> Jan 3
    assert d.loc[("o1", "sql"), "days"] == pytest.approx(6.0)
    assert d.loc[("o2", "sql"), "days"] == pytest.approx(1.0)  # lost at its close date
    assert bool(d.loc[("o3", "mql"), "censored"])  # open: censored at the extraction date (Jan 9)
    assert d.loc[("o3", "mql"), "days"] == pytest.approx(6.0)


def test_duplicate_rows_reported_with_rows_and_dropped(tmp_path):
    h = load_history(write(tmp_path, CLEAN + [CLEAN[1], CLEAN[3]]))
    i = issue(h, "duplicate rows")
    assert i.rows == [8, 9] and i.count == 2  # file lines: header is line 1
    assert "re-import" in i.message and len(h.rows) == 6


def test_unknown_stage_reported_when_stages_declared(tmp_path):
    m = tmp_path / "m.yaml"
    m.write_text("stages: [mql, sql, won]\n")
    h = load_history(write(tmp_path, CLEAN + ["o3,demo,2024-01-04T00:00:00Z,2024-01-03T00:00:00Z,smb,3000,open,"]),
                     load_mapping(m))
    i = issue(h, "unknown stage")
    assert i.rows == [8] and "demo" in i.message and "not in the mapping's stages" in i.message
    assert "demo" not in set(h.rows["stage"])


def test_renamed_stage_is_merged_by_the_mapping(tmp_path):
    m = tmp_path / "m.yaml"
    m.write_text("stages: [mql, sql, won]\nstage_names: {Qualified: sql}\n")
    lines = CLEAN + ["o4,mql,2024-01-04T00:00:00Z,2024-01-04T00:00:00Z,smb,10,open,",
                     "o4,Qualified,2024-01-05T00:00:00Z,2024-01-04T00:00:00Z,smb,10,open,"]
    h = load_history(write(tmp_path, lines), load_mapping(m))
    assert h.issues == []
    assert set(h.rows.loc[h.rows["opportunity_id"] == "o4", "stage"]) == {"mql", "sql"}


def test_timestamps_out_of_order_drop_the_opportunity(tmp_path):
    bad = "o3,sql,2023-12-30T00:00:00Z,2024-01-03T00:00:00Z,smb,3000,open,"  # before its creation
    h = load_history(write(tmp_path, CLEAN + [bad]))
    i = issue(h, "timestamps out of order")
    assert i.rows == [8] and "before created_at" in i.message and "dropped" in i.action
    assert "o3" not in set(h.rows["opportunity_id"])
    after_close = "o2,won,2024-02-20T00:00:00Z,2024-01-02T00:00:00Z,smb,2000,lost,2024-01-05T00:00:00Z"
    h = load_history(write(tmp_path, CLEAN + [after_close]))
    assert issue(h, "timestamps out of order").rows == [8]


def test_missing_required_column_is_an_error_naming_it(tmp_path):
    p = write(tmp_path, ["o1,mql,2024-01-01"], header="opportunity_id,stage,when\n")
    with pytest.raises(DataError, match=r"missing required column\(s\) entered_at.*the file has: "
                       r"opportunity_id, stage, when"):
        load_history(p)


def test_missing_values_reported(tmp_path):
    h = load_history(write(tmp_path, CLEAN + [",mql,2024-01-04T00:00:00Z,,smb,1,open,"]))
    i = issue(h, "missing value")
    assert i.rows == [8] and "opportunity_id is empty" in i.message


def test_negative_amount_reported_and_ignored(tmp_path):
    lines = CLEAN[:5] + ["o3,mql,2024-01-03T00:00:00Z,2024-01-03T00:00:00Z,smb,-50,open,",
                         "o4,mql,2024-01-03T00:00:00Z,2024-01-03T00:00:00Z,smb,lots,open,"]
    h = load_history(write(tmp_path, lines))
    i = issue(h, "negative or bad amount")
    assert i.rows == [7, 8] and i.count == 2 and ">= 0" in i.message
    assert h.rows.loc[h.rows["opportunity_id"] == "o3", "amount"].isna().all()
    assert "o3" in set(h.rows["opportunity_id"])  # the stage entry is kept


def test_mixed_time_zones_reported_and_converted(tmp_path):
    lines = CLEAN[:5] + ["o3,mql,2024-01-03T01:00:00+01:00,2024-01-03T01:00:00+01:00,smb,3000,open,",
                         "o4,mql,2024-01-03 00:00:00,2024-01-03 00:00:00,smb,3000,open,"]
    h = load_history(write(tmp_path, lines))
    kinds = [i for i in h.issues if i.kind == "mixed time zones"]
    assert kinds and kinds[0].rows == [7, 8] and "+01:00" in kinds[0].message and "none" in kinds[0].message
    t = h.rows.set_index("opportunity_id")["entered_at"]
    assert t["o3"] == pd.Timestamp("2024-01-03T00:00:00Z") == t["o4"]  # both the same instant in UTC


def test_bad_timestamp_and_bad_outcome(tmp_path):
    lines = CLEAN + ["o4,mql,yesterday,,smb,1,open,", "o5,mql,2024-01-04T00:00:00Z,,smb,1,maybe,"]
    h = load_history(write(tmp_path, lines))
    assert issue(h, "bad timestamp").rows == [8]
    assert issue(h, "bad outcome").rows == [9]


SALESFORCE_MAPPING = """\
columns: {opportunity_id: OpportunityId, stage: StageName, entered_at: CreatedDate, amount: Amount,
          closed_at: CloseDate}
won_flag: IsWon
closed_flag: IsClosed
stage_names: {Prospecting: mql, Qualification: sql, Closed Won: won, Closed Lost: lost}
stages: [mql, sql, won]
"""


def test_salesforce_style_export_through_a_mapping(tmp_path):
    header = "OpportunityId,StageName,CreatedDate,Amount,CloseDate,IsWon,IsClosed\n"
    lines = ["006A,Prospecting,2024-01-01T00:00:00.000+0000,5000,2024-01-20,false,false",
             "006A,Qualification,2024-01-04T00:00:00.000+0000,5000,2024-01-20,false,false",
             "006A,Closed Won,2024-01-10T00:00:00.000+0000,4500,2024-01-10,true,true",
             "006B,Prospecting,2024-01-02T00:00:00.000+0000,7000,2024-01-20,false,false",
             "006B,Closed Lost,2024-01-06T00:00:00.000+0000,7000,2024-01-06,false,true"]
    m = tmp_path / "sf.yaml"
    m.write_text(SALESFORCE_MAPPING)
    mapping = load_mapping(m)
    h = load_history(write(tmp_path, lines, header), mapping)
    order = stage_order(h, mapping)
    assert order == ["mql", "sql", "won"]
    o = build_paths(h, order).opps.set_index("opportunity_id")
    assert o.loc["006A", "outcome"] == "won" and o.loc["006B", "outcome"] == "lost"
    assert o.loc["006B", "reached"] == 0  # lost in the stage it was in, not in a 'lost' stage
    tm = transition_matrix(h, order)
    assert tm.loc["mql", "sql"] == 1 and tm.loc["mql", "(lost)"] == 1


def test_hubspot_style_wide_export_through_a_mapping(tmp_path):
    header = "Deal ID,Deal Stage,Amount,Date entered Appointment,Date entered Qualified,Date entered Won\n"
    lines = ["1,closedwon,100,2024-01-01,2024-01-03,2024-01-08", "2,qualifiedtobuy,200,2024-01-02,2024-01-05,"]
    m = tmp_path / "hs.yaml"
    m.write_text(textwrap.dedent("""\
        columns: {opportunity_id: Deal ID, amount: Amount}
        wide_stage_columns: {Date entered Appointment: appointment, Date entered Qualified: qualified,
                             Date entered Won: won}
        """))
    mapping = load_mapping(m)
    h = load_history(write(tmp_path, lines, header), mapping)
    assert h.issues == [] and len(h.rows) == 5
    order = stage_order(h, mapping)
    assert order == ["appointment", "qualified", "won"]
    o = build_paths(h, order).opps.set_index("opportunity_id")
    assert o.loc["1", "outcome"] == "won" and o.loc["2", "outcome"] == "open"


def test_bad_mapping_file_names_the_key(tmp_path):
    m = tmp_path / "m.yaml"
    m.write_text("columns: {opportunity: Id}\n")
    with pytest.raises(DataError, match=r"m.yaml: columns.opportunity.*allowed canonical columns"):
        load_mapping(m)
    m.write_text("colums: {}\n")
    with pytest.raises(DataError, match="colums: Extra inputs are not permitted"):
        load_mapping(m)


def test_cli_bad_files_exit_2_without_traceback(tmp_path, capsys):
    p = write(tmp_path, ["o1,mql"], header="opportunity_id,stage\n")
    assert main(["calibrate", str(p), "--out", str(tmp_path / "f.yaml")]) == 2
    err = capsys.readouterr().err
    assert "missing required column(s) entered_at" in err and "Traceback" not in err
    assert not (tmp_path / "f.yaml").exists()
    assert main(["calibrate", str(tmp_path / "nope.csv"), "--out", str(tmp_path / "f.yaml")]) == 2
    assert "no such file" in capsys.readouterr().err
    assert main(["export-crm", str(tmp_path), "--out", str(tmp_path.parent / f"{tmp_path.name}-h.csv")]) == 2
    assert "scenario.resolved.yaml" in capsys.readouterr().err
    assert main(["calibrate", str(p), "--out", str(tmp_path / "f.txt")]) == 2
    assert "ending in .yaml" in capsys.readouterr().err

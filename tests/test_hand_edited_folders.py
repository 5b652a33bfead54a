"""Results folders are the user's: edited by hand, truncated, replaced. ``salesim
report`` and ``salesim export-crm`` read them like any input -- every problem is
exit 2 with a message naming the file (and the key), never a traceback; an edit
that changes nothing salesim needs is reported on as usual. The Markdown
salesim writes (``findings.md``) carries the user's words escaped."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
from pathlib import Path

import numpy as np
import pytest

from sim.cli.main import main

REPO = Path(__file__).resolve().parents[1]
SMALL = str(REPO / "scenarios" / "small_team.yaml")
FAST = str(REPO / "scenarios" / "variants" / "small_team_fast_response.yaml")
STUDY = ["--weeks", "6", "--workers", "1", "--quiet"]
DESCRIPTION = ("Compare [click here](http://evil.example/x) and <script>alert(1)</script> <b>bold</b> `rm -rf`\n"
               "# Injected heading\n- injected item\n![pixel](http://evil.example/p.png) see www.evil.example "
               "or mail me@evil.example | a | b |")
STUDY_FILE = f"""name: tiny
description: {json.dumps(DESCRIPTION)}
base: base.yaml
kpis: [bookings_usd, leads_won]
reps: 2
factors:
  aes: {{levels: {{two: {{}}, three: {{set: {{roles.ae.headcount: 3}}}}}}}}
  inbound: {{levels: {{low: {{}}, high: {{set: {{sources.website.rate_per_week: 20}}}}}}}}
"""


def bomb(levels: int) -> str:
    """An alias bomb: ``levels`` levels of ten aliases each (10**levels nodes once expanded);
    ten levels are the "billion laughs"."""
    return "\n".join(['l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
                     + [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 10)}]" for i in range(1, levels)]
                     + [f"name: *l{levels - 1}", f"stages: *l{levels - 1}", f"steps: *l{levels - 1}", ""])


BOMB = bomb(10)
SMALL_BOMB = bomb(6)  # a million nodes: over the loader's budget, yet printable if a reader ever printed it
GARBAGE = bytes(range(256)) * 8


@pytest.fixture(scope="module")
def made(tmp_path_factory) -> dict[str, Path]:
    """One folder of each kind, as the command line writes them (tiny runs)."""
    root = tmp_path_factory.mktemp("made")
    study = root / "study-file"
    study.mkdir()
    (study / "base.yaml").write_text(Path(SMALL).read_text())
    (study / "study.yaml").write_text(STUDY_FILE)
    cmds = {
        "run": ["run", SMALL, "--weeks", "8", "--out"],
        "runpq": ["run", SMALL, "--weeks", "8", "--format", "parquet", "--out"],
        "batch": ["batch", SMALL, "--reps", "2", "--target", "bookings_usd=1e5", *STUDY, "--out"],
        "compare": ["compare", SMALL, FAST, "--reps", "2", *STUDY, "--out"],
        "sweep": ["sweep", SMALL, "--param", "roles.ae.headcount=1:2:1", "--design", "grid", "--reps", "2", *STUDY,
                  "--out"],
        "study": ["study", str(study / "study.yaml"), *STUDY, "--out"],
        "plan": ["plan", SMALL, "--vary", "roles.ae.headcount=1:2:1", "--target", "leads_won>=3", "--probability",
                 "0.5", "--reps-start", "2", "--max-reps", "2", "--weeks", "6", "--workers", "1", "--out"],
    }
    out = {}
    for kind, argv in cmds.items():
        out[kind] = root / kind
        assert main([*argv, str(out[kind])]) == 0, kind
    return out


def copy(made: dict[str, Path], kind: str, tmp_path: Path) -> Path:
    dst = tmp_path / kind
    shutil.copytree(made[kind], dst, ignore=shutil.ignore_patterns("parts", ".lock"))
    return dst


def report(folder: Path, tmp_path: Path, capsys) -> tuple[int, str, Path]:
    out = tmp_path / "out" / "report.html"
    rc = main(["report", str(folder), "--out", str(out)])
    return rc, capsys.readouterr().err, out


def export(folder: Path, tmp_path: Path, capsys, accounts: bool = False) -> tuple[int, str, Path]:
    out = tmp_path / "out" / "history.csv"
    extra = ["--accounts-out", str(tmp_path / "out" / "subscriptions.csv")] if accounts else []
    rc = main(["export-crm", str(folder), "--out", str(out), *extra])
    return rc, capsys.readouterr().err, out


def refused(rc: int, err: str, out: Path, *names: str) -> None:
    assert rc == 2, f"exit {rc}; stderr: {err}"
    assert "Traceback" not in err
    for name in names:
        assert name in err, f"{name!r} not named in: {err}"
    assert not out.exists()


# --------------------------------------------------------------------------- edits


def _json_edit(change):
    def edit(path: Path) -> None:
        data = json.loads(path.read_text())
        change(data)
        path.write_text(json.dumps(data, indent=1))
    return edit


def _set(*keys_value):
    *keys, value = keys_value

    def change(data):
        node = data
        for k in keys[:-1]:
            node = node[k]
        node[keys[-1]] = value
    return _json_edit(change)


def _delete(*keys):
    def change(data):
        node = data
        for k in keys[:-1]:
            node = node[k]
        del node[keys[-1]]
    return _json_edit(change)


def _text(text: str | bytes):
    def edit(path: Path) -> None:
        path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return edit


def _folder(path: Path) -> None:
    path.unlink()
    path.mkdir()
    (path / "x").write_text("x")


def _fifo(path: Path) -> None:
    path.unlink()
    os.mkfifo(path)


def _remove(path: Path) -> None:
    path.unlink()


def _cell(column: str, value: str, row: int = 2):
    """One cell (or, with ``row=None``, every cell) of a CSV column set to ``value``."""
    def edit(path: Path) -> None:
        rows = list(csv.reader(io.StringIO(path.read_text())))
        j = rows[0].index(column)
        for i in range(1, len(rows)) if row is None else [row]:
            rows[i][j] = value
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\n").writerows(rows)
        path.write_text(buf.getvalue())
    return edit


def _rename(column: str, new: str):
    def edit(path: Path) -> None:
        lines = path.read_text().split("\n")
        lines[0] = ",".join(new if c == column else c for c in lines[0].split(","))
        path.write_text("\n".join(lines))
    return edit


def _duplicate_row(contains: str):
    def edit(path: Path) -> None:
        lines = path.read_text().splitlines()
        line = next(x for x in lines[1:] if x.startswith(contains))
        path.write_text("\n".join([*lines, line]) + "\n")
    return edit


def _parquet_garbage(path: Path) -> None:
    path.write_bytes(b"PAR1" + GARBAGE + b"PAR1")


# (folder, file, edit id, edit); every one must be refused naming the file
REPORT_REFUSED = [
    ("run", "kpis.json", "invalid-json", _text("{bad")),
    ("run", "kpis.json", "empty", _text("")),
    ("run", "kpis.json", "binary", _text(GARBAGE)),
    ("run", "kpis.json", "a-list", _text("[]")),
    ("run", "kpis.json", "horizon-text", _set("horizon_weeks", "8")),
    ("run", "kpis.json", "horizon-negative", _set("horizon_weeks", -8)),
    ("run", "kpis.json", "horizon-nan", _set("horizon_weeks", float("nan"))),
    ("run", "kpis.json", "horizon-inf", _text('{"horizon_weeks": 1e999}')),
    ("run", "kpis.json", "stages-missing", _delete("stages")),
    ("run", "kpis.json", "entered-text", _set("stages", 0, "entered", "many")),
    ("run", "kpis.json", "roles-a-list", _set("roles", [])),
    ("run", "kpis.json", "huge-integer", _set("leads_won", 10 ** 400)),
    ("run", "kpis.json", "huge-number", _set("bookings_usd", 1e300)),
    ("run", "kpis.json", "a-folder", _folder),
    ("run", "kpis.json", "a-fifo", _fifo),
    ("run", "kpis.json", "missing", _remove),
    ("run", "run.json", "invalid-json", _text('{"seed": 1,')),
    ("run", "run.json", "overrides-a-number", _set("overrides", 5)),
    ("run", "scenario.resolved.yaml", "billion-laughs", _text(BOMB)),
    ("run", "scenario.resolved.yaml", "python-tag", _text("name: !!python/object/apply:os.system ['true']\n")),
    ("run", "scenario.resolved.yaml", "not-yaml", _text("stages: [a, b\n  steps: {\n")),
    ("run", "scenario.resolved.yaml", "binary", _text(GARBAGE)),
    ("run", "scenario.resolved.yaml", "steps-a-number", _text("steps: 5\n")),
    ("run", "weekly.csv", "binary", _text(GARBAGE)),
    ("run", "weekly.csv", "queue-text", _cell("queue_ae", "busy", row=None)),
    ("runpq", "weekly.parquet", "garbage", _parquet_garbage),
    ("batch", "manifest.json", "points-empty", _set("points", [])),
    ("batch", "manifest.json", "horizon-text", _set("points", 0, "horizon_weeks", "6")),
    ("batch", "manifest.json", "reps-missing", _delete("reps")),
    ("batch", "manifest.json", "kind-a-number", _set("kind", 5)),
    ("batch", "summary.csv", "no-low-column", _rename("ci95_low", "ci95_lo")),
    ("batch", "summary.csv", "binary", _text(GARBAGE)),
    ("batch", "summary.csv", "kpi-repeated", _duplicate_row("bookings_usd,")),
    ("batch", "targets.csv", "hits-empty", _cell("hits", "", row=1)),
    ("compare", "comparison.csv", "n-text", _cell("n", "two", row=None)),
    ("compare", "manifest.json", "points-a-dict", _set("points", {"name": "x"})),
    ("sweep", "sensitivity.csv", "rho-text", _cell("spearman_rho", "strong", row=None)),
    ("sweep", "tornado.csv", "metric-empty", _cell("metric", "", row=None)),
    ("sweep", "manifest.json", "design-missing", _delete("design")),
    ("study", "manifest.json", "no-points", _delete("points")),
    ("study", "effects.csv", "kpi-empty", _cell("kpi", "", row=None)),
    ("study", "cells.csv", "mean-text", _cell("mean", "high", row=None)),
    ("study", "findings.md", "binary", _text(GARBAGE)),
    ("study", "study.yaml", "a-list", _text("- 1\n- 2\n")),
    ("study", "study.yaml", "alias-bomb", _text(SMALL_BOMB)),
    ("plan", "plan.json", "invalid-json", _text('{"feasible": tru')),
    ("plan", "plan.json", "targets-a-number", _set("targets", 5)),
    ("plan", "plan.json", "n-null", _set("recommended", "n", None)),
    ("plan", "plan.json", "probability-text", _set("probability_required", "most")),
    ("plan", "frontier.csv", "n-text", _cell("n", "four", row=None)),
]


@pytest.mark.parametrize(("kind", "name", "edit"), [(k, n, e) for k, n, _, e in REPORT_REFUSED],
                         ids=[f"{k}-{n}-{i}" for k, n, i, _ in REPORT_REFUSED])
def test_report_refuses_a_broken_file_by_name(made, tmp_path, capsys, kind, name, edit):
    folder = copy(made, kind, tmp_path)
    edit(folder / name)
    rc, err, out = report(folder, tmp_path, capsys)
    refused(rc, err, out, name)


def test_the_issue_cases_name_the_key(made, tmp_path, capsys):
    """The examples of the issue: a text horizon, a factorial manifest without points."""
    run = copy(made, "run", tmp_path)
    _set("horizon_weeks", "8")(run / "kpis.json")
    rc, err, out = report(run, tmp_path, capsys)
    refused(rc, err, out, "kpis.json: horizon_weeks: expected a number above 0")
    study = copy(made, "study", tmp_path)
    _delete("points")(study / "manifest.json")
    rc, err, out = report(study, tmp_path, capsys)
    refused(rc, err, out, "manifest.json: points: required key is missing")


EXPORT_REFUSED = [
    ("scenario.resolved.yaml", "billion-laughs", _text(BOMB)),
    ("scenario.resolved.yaml", "python-tag", _text("!!python/object/apply:os.system ['true']\n")),
    ("scenario.resolved.yaml", "stages-a-number", _text("stages: 5\n")),
    ("scenario.resolved.yaml", "empty", _text("")),
    ("events.csv", "lead-text", _cell("lead", "first")),
    ("events.csv", "time-huge", _cell("t_days", "1e300")),
    ("events.csv", "time-text", _cell("t_days", "monday", row=None)),
    ("events.csv", "stage-missing", _rename("stage", "stadium")),
    ("events.csv", "binary", _text(GARBAGE)),
    ("events.csv", "a-folder", _folder),
    ("events.csv", "a-fifo", _fifo),
    ("leads.csv", "booked-text", _cell("booked_usd", "lots", row=None)),
    ("leads.csv", "outcome-missing", _rename("outcome", "result")),
    ("leads.csv", "lead-empty", _cell("lead", "")),
]


@pytest.mark.parametrize(("name", "edit"), [(n, e) for n, _, e in EXPORT_REFUSED],
                         ids=[f"{n}-{i}" for n, i, _ in EXPORT_REFUSED])
def test_export_crm_refuses_a_broken_file_by_name(made, tmp_path, capsys, name, edit):
    folder = copy(made, "run", tmp_path)
    edit(folder / name)
    rc, err, out = export(folder, tmp_path, capsys)
    refused(rc, err, out, name)


@pytest.mark.parametrize(("column", "value"), [("arr_delta_usd", "lots"), ("account", ""), ("t_days", "inf")])
def test_export_crm_refuses_broken_accounts(made, tmp_path, capsys, column, value):
    folder = copy(made, "run", tmp_path)
    _cell(column, value, row=None)(folder / "accounts.csv")
    rc, err, out = export(folder, tmp_path, capsys, accounts=True)
    refused(rc, err, out, "accounts.csv", column)


def test_export_crm_refuses_a_broken_parquet_table(made, tmp_path, capsys):
    folder = copy(made, "runpq", tmp_path)
    import pandas as pd

    leads = pd.read_parquet(folder / "leads.parquet")
    leads["created_days"] = "yesterday"
    leads.to_parquet(folder / "leads.parquet")
    rc, err, out = export(folder, tmp_path, capsys)
    refused(rc, err, out, "leads.parquet", "created_days")


def test_harmless_edits_are_reported_on(made, tmp_path, capsys):
    """JSON saved again by an editor (byte order mark, Windows line ends, a note added),
    a comment in the scenario, a missing weekly table, a scenario shown as text that
    would not load: nothing salesim needs changed."""
    run = copy(made, "run", tmp_path / "a")
    _set("note", "checked by hand <b>ok</b>")(run / "kpis.json")
    for name in ("kpis.json", "run.json"):
        text = (run / name).read_text()
        (run / name).write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode())
    with (run / "scenario.resolved.yaml").open("a") as fh:
        fh.write("# looked at it on Monday\n")
    (run / "weekly.csv").unlink()
    rc, err, out = report(run, tmp_path / "a", capsys)
    assert rc == 0, err
    assert out.read_text().startswith("<!DOCTYPE html>")
    batch = copy(made, "batch", tmp_path / "b")
    (batch / "scenario.resolved.yaml").write_text(BOMB)  # only shown, never run again
    rc, err, out = report(batch, tmp_path / "b", capsys)
    assert rc == 0, err
    assert "lol" in out.read_text()
    run = copy(made, "run", tmp_path / "c")  # export-crm reads neither kpis.json nor weekly.csv
    (run / "kpis.json").write_text("{bad")
    (run / "weekly.csv").write_bytes(GARBAGE)
    rc, err, out = export(run, tmp_path / "c", capsys, accounts=True)
    assert rc == 0, err


# --------------------------------------------------------------------------- Markdown


def test_a_description_is_escaped_in_findings_md(made):
    """A study description with a link, HTML, backticks and new lines: in findings.md it
    renders as the same words on one line -- no link, no tag, no heading, no list."""
    markdown_it = pytest.importorskip("markdown_it")
    text = (made["study"] / "findings.md").read_text()
    page = markdown_it.MarkdownIt("commonmark").enable(["table", "strikethrough"]).render(text)
    assert "<a " not in page and "<img" not in page and "<script" not in page and "<b>" not in page
    assert page.count("<h1>") == 1 and "<h1>Injected" not in page and "<li>injected item" not in page
    assert "<table" not in page
    codes = re.findall(r"<code>(.*?)</code>", page)
    assert codes and all(c in ("bookings_usd", "leads_won") for c in codes)  # only salesim's KPI names
    plain = re.sub(r"<[^>]+>", "", page).replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    words = " ".join(DESCRIPTION.split())
    assert words in " ".join(plain.split())


def test_the_escaped_description_reads_plainly_in_the_report(made, tmp_path, capsys):
    rc, err, out = report(made["study"], tmp_path, capsys)
    assert rc == 0, err
    html = out.read_text()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script" not in html
    assert "[click here](http://evil.example/x)" in html  # the user's words, without Markdown escapes
    # one paragraph, not a heading: the user's backticks may show as an inline code span, nothing more
    plain = re.sub(r"</?code>", "`", html)
    assert "`rm -rf` # Injected heading - injected item ![pixel]" in plain
    assert "Injected heading</h3>" not in html


def test_escape_markdown_round_trip():
    markdown_it = pytest.importorskip("markdown_it")
    from sim.textsafe import code_span, escape_markdown, unescape_markdown

    md = markdown_it.MarkdownIt("commonmark").enable(["table", "strikethrough"])
    for text in [DESCRIPTION, "---", "1) first", "+ plus", "=== ", "*a* _b_ ~~c~~", "a\\b", "&amp; &lt;",
                 "    indented code", "> quote", "#hash", "x\r\ny\u2028z", "<!-- comment -->", "| a | b |"]:
        escaped = escape_markdown(text)
        assert "\n" not in escaped
        page = md.render("x\n\n" + escaped)
        assert page.count("<p>") == 2 and re.sub("<[^>]+>", "", page).count("\n") == 2, (text, page)
        assert unescape_markdown(escaped) == " ".join(text.split()), text
    assert md.render(code_span("a`b")).strip() == "<p><code>a`b</code></p>"
    assert escape_markdown("small_team") == "small_team"


# --------------------------------------------------------------------------- generated edits

TOKENS = ["", "x", "nan", "inf", "-inf", "1e400", "-1", "1e300", "0", "2.5", "True", "a,b", "<b>", "\x00"]
VALUES = [None, True, "", "x", "<b>x</b>", -1, 0, 0.5, 1e300, 10 ** 30, 10 ** 400, float("nan"), float("inf"), [],
          {}, [1, "a"], {"a": 1}]


def _bytes_edit(raw: bytes, rng) -> bytes:
    op = rng.integers(4)
    if op == 0:
        return raw[: rng.integers(len(raw) + 1)]
    if op == 1:
        b = bytearray(raw or b" ")
        for _ in range(rng.integers(1, 9)):
            b[rng.integers(len(b))] = int(rng.integers(256))
        return bytes(b)
    if op == 2:
        at = rng.integers(len(raw) + 1)
        return raw[:at] + rng.integers(256, size=rng.integers(1, 64)).astype(np.uint8).tobytes() + raw[at:]
    return rng.integers(256, size=rng.integers(0, 512)).astype(np.uint8).tobytes()


def _paths(node, path=()):
    yield path
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for k, v in items:
        yield from _paths(v, (*path, k))


def _json_mutation(raw: bytes, rng) -> bytes:
    try:
        data = json.loads(raw)
    except ValueError:
        return _bytes_edit(raw, rng)
    paths = list(_paths(data))
    path = paths[rng.integers(len(paths))]
    op = rng.integers(4)
    if op == 3:
        return _bytes_edit(raw, rng)
    value = VALUES[rng.integers(len(VALUES))]
    if not path:
        data = value
    else:
        node = data
        for k in path[:-1]:
            node = node[k]
        if op == 0:
            del node[path[-1]]
        else:
            node[path[-1]] = value
    return json.dumps(data, indent=1).encode()


def _csv_mutation(raw: bytes, rng) -> bytes:
    try:
        rows = list(csv.reader(io.StringIO(raw.decode())))
    except (UnicodeDecodeError, csv.Error):
        rows = []
    if len(rows) < 2 or not rows[0]:
        return _bytes_edit(raw, rng)
    op = rng.integers(6)
    j = rng.integers(len(rows[0]))
    token = TOKENS[rng.integers(len(TOKENS))]
    if op == 0:
        i = rng.integers(1, len(rows))
        if j < len(rows[i]):
            rows[i][j] = token
    elif op == 1:
        for r in rows[1:]:
            if j < len(r):
                r[j] = token
    elif op == 2:
        rows = [r[:j] + r[j + 1:] for r in rows]
    elif op == 3:
        rows[0][j] = token
    elif op == 4:
        rows.append(list(rows[rng.integers(1, len(rows))]))
    else:
        return _bytes_edit(raw, rng)
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    return buf.getvalue().encode()


def _text_mutation(raw: bytes, rng) -> bytes:
    lines = raw.split(b"\n")
    op = rng.integers(5)
    i = rng.integers(len(lines))
    if op == 0:
        del lines[i]
    elif op == 1:
        lines.insert(i, lines[i])
    elif op == 2:
        lines[i] = [b"stages: 5", b"- [", b"name: !!python/object/apply:os.system ['true']", b"a: *nope",
                    b"\t x: y", b"steps: {}"][rng.integers(6)]
    elif op == 3:
        return SMALL_BOMB.encode()
    else:
        return _bytes_edit(raw, rng)
    return b"\n".join(lines)


def _parquet_mutation(path: Path, rng) -> None:
    import pandas as pd

    try:
        df = pd.read_parquet(path) if rng.integers(3) else None
    except (OSError, ValueError):  # no longer Parquet after an earlier edit
        df = None
    if df is None or not len(df.columns) or not len(df):
        path.write_bytes(_bytes_edit(path.read_bytes(), rng))
        return
    col = df.columns[rng.integers(len(df.columns))]
    if rng.integers(2) == 0:
        df = df.drop(columns=[col])
    else:
        df[col] = df[col].astype(object)
        df.loc[df.index[rng.integers(len(df))], col] = TOKENS[rng.integers(len(TOKENS))]
        df[col] = df[col].astype(str)
    df.to_parquet(path)


def mutate(path: Path, rng) -> None:
    if path.suffix == ".parquet":
        _parquet_mutation(path, rng)
        return
    edit = {".json": _json_mutation, ".csv": _csv_mutation}.get(path.suffix, _text_mutation)
    path.write_bytes(edit(path.read_bytes(), rng))


TARGETS = [  # (command, folder, file)
    ("report", "run", "kpis.json"), ("report", "run", "run.json"), ("report", "run", "scenario.resolved.yaml"),
    ("report", "run", "weekly.csv"), ("report", "runpq", "weekly.parquet"), ("report", "batch", "manifest.json"),
    ("report", "batch", "summary.csv"), ("report", "batch", "targets.csv"), ("report", "batch", "weekly.parquet"),
    ("report", "compare", "manifest.json"), ("report", "compare", "comparison.csv"),
    ("report", "sweep", "manifest.json"), ("report", "sweep", "tornado.csv"), ("report", "sweep", "sensitivity.csv"),
    ("report", "study", "manifest.json"), ("report", "study", "effects.csv"), ("report", "study", "cells.csv"),
    ("report", "study", "variance.csv"), ("report", "study", "findings.md"), ("report", "study", "study.yaml"),
    ("report", "plan", "plan.json"), ("report", "plan", "frontier.csv"),
    ("export-crm", "run", "events.csv"), ("export-crm", "run", "leads.csv"), ("export-crm", "run", "accounts.csv"),
    ("export-crm", "run", "scenario.resolved.yaml"), ("export-crm", "runpq", "events.parquet"),
]


def _fuzz(made, tmp_path, capsys, command: str, kind: str, name: str, seed: int) -> None:
    rng = np.random.default_rng([seed, TARGETS.index((command, kind, name))])
    folder = copy(made, kind, tmp_path)
    for _ in range(rng.integers(1, 4)):
        mutate(folder / name, rng)
    if command == "report":
        rc, err, out = report(folder, tmp_path, capsys)
    else:
        rc, err, out = export(folder, tmp_path, capsys, accounts=True)
    assert rc in (0, 2), err
    assert "Traceback" not in err
    if rc == 2:
        assert name in err, err
        assert not out.exists()
    else:
        assert out.is_file()


@pytest.mark.parametrize(("command", "kind", "name"), TARGETS, ids=["-".join(t) for t in TARGETS])
def test_generated_edits_never_crash(made, tmp_path, capsys, command, kind, name):
    """Seeded random edits of each file (values replaced, keys and columns dropped,
    bytes flipped, files truncated): exit 0 or exit 2 naming the file."""
    _fuzz(made, tmp_path, capsys, command, kind, name, seed=0)


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(1, 31))
@pytest.mark.parametrize(("command", "kind", "name"), TARGETS, ids=["-".join(t) for t in TARGETS])
def test_many_generated_edits_never_crash(made, tmp_path, capsys, command, kind, name, seed):
    _fuzz(made, tmp_path, capsys, command, kind, name, seed)

"""``salesim report``: one self-contained HTML file per results folder, checked
as text and in a real (headless Chromium) browser: not blank, no request
leaving the file, no console error, readable at 1280 px, printable."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sim.cli.main import main
from sim.errors import UsageError
from sim.report import FolderKind, build_report, detect, register, write_report
from sim.report.kinds import registry
from tests.browser import Browser, blankness, find_browser

REPO = Path(__file__).resolve().parents[1]
SMALL = str(REPO / "scenarios" / "small_team.yaml")
FAST = str(REPO / "scenarios" / "variants" / "small_team_fast_response.yaml")
PODS = str(REPO / "scenarios" / "pods_split.yaml")
STUDY = ["--weeks", "6", "--workers", "1", "--quiet"]
STUDY_FILE = """name: tiny
base: base.yaml
kpis: [bookings_usd, leads_won]
reps: 2
factors:
  aes: {levels: {two: {}, three: {set: {roles.ae.headcount: 3}}}}
  inbound: {levels: {low: {}, high: {set: {sources.website.rate_per_week: 20}}}}
"""
REPORTED = ["run", "batch", "compare", "sweep", "study", "plan"]
HAS_SCIPY = __import__("importlib.util").util.find_spec("scipy") is not None  # salesim forecast needs it
if HAS_SCIPY:
    REPORTED.append("forecast")
SNAP = REPO / "data" / "crm" / "snapshot"


@pytest.fixture(scope="module")
def folders(tmp_path_factory) -> dict[str, Path]:
    """One folder of each kind, as the CLI writes them (tiny runs)."""
    root = tmp_path_factory.mktemp("results")
    cmds = {
        "run": ["run", PODS, "--weeks", "40", "--seed", "2", "--set", "seed=5", "--out"],
        "batch": ["batch", SMALL, "--reps", "3", "--target", "bookings_usd=1e5", *STUDY, "--out"],
        "compare": ["compare", SMALL, FAST, "--reps", "3", *STUDY, "--out"],
        "sweep": ["sweep", SMALL, "--param", "roles.ae.headcount=1:2:1", "--design", "grid", "--reps", "2",
                  *STUDY, "--out"],
    }
    study = root / "study-file"
    study.mkdir()
    (study / "base.yaml").write_text(Path(SMALL).read_text())
    (study / "study.yaml").write_text(STUDY_FILE)
    cmds["study"] = ["study", str(study / "study.yaml"), *STUDY, "--out"]
    cmds["plan"] = ["plan", SMALL, "--vary", "roles.ae.headcount=1:3:1", "--target", "leads_won>=3",
                    "--probability", "0.5", "--reps-start", "2", "--max-reps", "4", "--weeks", "6", "--workers", "1",
                    "--out"]
    if HAS_SCIPY:
        plan = root / "plan.csv"
        plan.write_text("quarter,bookings_usd\n2017Q3,2000000\n2017Q4,5000000\n")
        cmds["forecast"] = ["forecast", str(SNAP / "sales_pipeline.csv"), "--mapping", str(SNAP / "mapping.yaml"),
                            "--as-of", "2017-07-01", "--plan", str(plan), "--runs", "20", "--out"]
    out = {}
    for kind, argv in cmds.items():
        out[kind] = root / kind
        assert main([*argv, str(out[kind])]) == 0, kind
    return out


@pytest.fixture(scope="module")
def reports(folders, tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("html")
    return {kind: write_report(folder, root / f"{kind}.html") for kind, folder in folders.items()}


@pytest.mark.parametrize("kind", REPORTED)
def test_kind_is_detected(folders, kind):
    assert detect(folders[kind])[0].name == kind


@pytest.mark.parametrize("kind", REPORTED)
def test_report_is_self_contained_and_accessible(reports, kind):
    text = reports[kind].read_text()
    assert text.startswith("<!DOCTYPE html>") and '<html lang="en">' in text
    assert "<script" not in text.lower()
    # nothing to fetch: no external src/href/url(), a CSP that forbids any fetch
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//)""", text, re.I)
    assert not re.search(r"url\(\s*['\"]?(https?:|//)", text, re.I)
    assert "default-src 'none'" in text
    svgs = re.findall(r"<svg[^>]*>", text)
    assert svgs, "no figure"
    assert all('role="img"' in s and "aria-labelledby" in s for s in svgs)
    assert len(re.findall(r"<svg[^>]*><title id=", text)) == len(svgs)  # alt text on every figure
    assert text.count("<figcaption>") == len(svgs)
    assert "<table>" in text and "<th scope=\"col\">" in text


def test_run_report_has_the_run_figures_and_overrides(reports):
    text = reports["run"].read_text()
    for words in ("Bow-tie of pods_split", "Waterfall of ARR", "Weekly queue length and utilization",
                  "Lorenz curve", "POD family tree", "Overrides (--set): seed=5", "one random draw",
                  "PODs (vertical teams"):
        assert words in text, words
    assert "<pre>" in text and "stages:" in text  # the scenario as YAML


def test_study_reports_have_their_figures(reports):
    assert "Fan chart" in reports["batch"].read_text()
    assert "Targets" in reports["batch"].read_text()
    assert "Paired differences of small_team_fast_response" in reports["compare"].read_text()
    sweep = reports["sweep"].read_text()
    assert "Tornado chart" in sweep and "at each level of roles.ae.headcount" in sweep
    study = reports["study"].read_text()
    assert "Findings" in study and "Main effects and interactions on bookings_usd" in study
    assert "Cell means" in study and "aes" in study
    plan = reports["plan"].read_text()
    assert "Recommended plan" in plan and "--set roles.ae.headcount=" in plan and "frontier" in plan


def test_cli_report_default_out_and_bad_input(folders, tmp_path, capsys):
    assert main(["report", str(folders["batch"])]) == 0
    assert (folders["batch"] / "report.html").is_file()
    assert main(["report", str(folders["run"]), "--out", str(tmp_path / "new" / "r.html")]) == 0
    assert (tmp_path / "new" / "r.html").is_file()
    capsys.readouterr()
    assert main(["report", str(tmp_path / "nothing")]) == 2
    assert "no such folder" in capsys.readouterr().err
    assert main(["report", str(tmp_path), "--out", str(tmp_path / "x.html")]) == 2
    assert "not a salesim results folder" in capsys.readouterr().err
    assert main(["report", str(folders["run"]), "--out", str(tmp_path / "r.pdf")]) == 2
    assert ".html" in capsys.readouterr().err
    assert not (tmp_path / "x.html").exists() and not (tmp_path / "r.pdf").exists()


def test_a_registered_kind_is_used(tmp_path):
    (tmp_path / "manifest.json").write_text('{"kind": "demo"}')

    def build(folder, manifest, page):
        page.heading("Demo")
        page.para("made by the demo builder")
        return "salesim demo"

    before = list(registry())
    try:
        register(FolderKind("demo", lambda f, m: bool(m) and m.get("kind") == "demo", build))
        html = build_report(tmp_path)
    finally:
        registry()[:] = before
    assert "made by the demo builder" in html and "<title>salesim demo</title>" in html
    with pytest.raises(UsageError, match="known kinds"):
        detect(tmp_path)


def test_the_registry_is_built_on_first_use_not_at_import():
    """Importing sim.report registers nothing; the built-in kinds come with the first lookup."""
    import subprocess
    import sys

    code = ("import sim.report.kinds as k, sys; assert not k.KINDS, k.KINDS; "
            "assert 'sim.report.folders' not in sys.modules; "
            "names = [x.name for x in k.registry()]; "
            "assert names == ['plan', 'study', 'sweep', 'compare', 'batch', 'forecast', 'run'], names")
    subprocess.run([sys.executable, "-c", code], check=True)


# --------------------------------------------------------------------------- in a browser

BROWSER = find_browser()
needs_browser = pytest.mark.skipif(BROWSER is None, reason="no Chromium found (install Debian's chromium, "
                                   "or set SALESIM_BROWSER); .ci/run installs it")


@needs_browser
def test_browser_check_catches_requests_and_console_errors(tmp_path):
    """The browser check itself can fail: a page that fetches and logs an error is caught."""
    bad = tmp_path / "bad.html"
    bad.write_text('<!DOCTYPE html><html><body><p>x</p><img src="http://127.0.0.1:9/x.png" alt="x">'
                   '<script>console.error("boom")</script></body></html>')
    with Browser(BROWSER) as b:
        res = b.load(bad)
    assert any(u.startswith("http://127.0.0.1:9/") for u in res.requests)
    assert any("boom" in e for e in res.console_errors)


@needs_browser
@pytest.mark.parametrize("kind", REPORTED)
def test_report_in_a_browser(reports, kind, tmp_path):
    with Browser(BROWSER) as b:
        res = b.load(reports[kind], width=1280)
    assert [u for u in res.requests if u != res.url] == [], "the page fetched something"
    assert res.console_errors == []
    assert res.title.startswith("salesim ")
    assert res.text_length > 500  # real text, not pictures of text
    assert res.scroll_width <= 1280, "wider than a 1280 px window"
    inked, spread = blankness(res.screenshot_png)
    assert inked > 0.02 and spread > 0.05, f"screenshot looks blank ({inked:.3f} inked, std {spread:.3f})"
    (tmp_path / f"{kind}.png").write_bytes(res.screenshot_png)
    assert res.pdf.startswith(b"%PDF") and len(res.pdf) > 10_000


# --------------------------------------------------------------------------- executive summary and assumption sheet

@pytest.mark.parametrize("kind", REPORTED)
def test_report_opens_with_an_executive_summary(reports, kind):
    """Every kind opens with the answer, three or more numbers, and a link to the assumption sheet,
    before the contents and every section."""
    text = reports[kind].read_text()
    start = text.find('<section id="summary"')
    assert 0 < start < text.find("<main>"), "no executive summary before the page's sections"
    block = text[start:text.find("</section>", start)]
    answer = re.search(r'<p class="answer">([^<]+)</p>', block)
    assert answer and len(answer.group(1)) > 40, block
    assert block.count('<div class="card') >= 2, block
    assert '<a href="#assumption-sheet">Assumption sheet</a>' in block
    assert 'id="assumption-sheet"' in text
    assert re.search(r"\d+ inputs: \d+ yours, \d+ fitted from data, \d+ from published benchmarks, \d+ assumed",
                     block), block


def test_run_summary_names_the_numbers_that_matter(reports):
    block = reports["run"].read_text().split('<section id="summary"', 1)[1].split("</section>", 1)[0]
    for label in ("ARR at the end", "GRR / NRR", "cost per $1 of ARR", "bottleneck", "What drives it",
                  "one draw"):
        assert label in block, label


def test_assumption_sheet_marks_what_was_set_and_what_was_assumed(reports):
    text = reports["run"].read_text()
    sheet = text.split('id="assumption-sheet"', 1)[1]
    # pods_split sets the AE headcount; seed=5 came by --set; a default left alone is assumed
    assert re.search(r"<td>seed</td><td>5</td><td>--set</td>", sheet)
    assert "<summary>assumed (" in sheet
    compare = reports["compare"].read_text().split('id="assumption-sheet"', 1)[1]
    assert "What differs between the scenarios" in compare and "steps.sql.sla_hours" in compare


@needs_browser
def test_first_screen_shows_the_executive_summary(reports):
    """At 1280x800, the executive summary (answer, numbers, link to the assumptions) is on the first
    screen of every kind of report."""
    probe = ("(() => { const e = document.getElementById('summary'); if (!e) return null;"
             " const r = e.getBoundingClientRect(); const a = e.querySelector('.answer');"
             " return {top: r.top, bottom: r.bottom, answer: a ? a.innerText : '',"
             " link: !!e.querySelector('a[href=\"#assumption-sheet\"]')}; })()")
    with Browser(BROWSER) as b:
        for kind in REPORTED:
            res = b.load(reports[kind], width=1280, height=800, whole=False)
            assert res.console_errors == [], kind
            box = b.send("Runtime.evaluate", returnByValue=True, expression=probe)["result"].get("value")
            assert box is not None, f"{kind}: no executive summary"
            assert 0 <= box["top"] and box["bottom"] <= 800, f"{kind}: summary not on the first screen: {box}"
            assert len(box["answer"]) > 40 and box["link"], (kind, box)

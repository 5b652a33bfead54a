"""The documentation site (mkdocs.yml, docs/): it builds with warnings as errors,
its reference pages cover every scenario key, KPI, lint rule and command, and
its pages open in headless Chromium without a console error or a request
that leaves the machine (no web fonts, no CDN)."""

from __future__ import annotations

import functools
import http.server
import importlib.util
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from tests.browser import Browser, blankness, find_browser

ROOT = Path(__file__).resolve().parents[1]
HOOK = ROOT / "docs" / "hooks" / "reference.py"

pytest.importorskip("mkdocs", reason="the docs extra is not installed: pip install -e '.[docs]'")
pytest.importorskip("material", reason="the docs extra is not installed: pip install -e '.[docs]'")


def _generator():
    spec = importlib.util.spec_from_file_location("docs_reference", HOOK)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def site(docs_site) -> Path:
    return docs_site  # built once per session (tests/conftest.py): the build runs every notebook


def test_site_builds_strict_with_every_page(site):
    for page in ("index.html", "getting-started/index.html", "background/index.html",
                 "how-to/model-your-company/index.html", "how-to/compare-organizations/index.html",
                 "how-to/pod-split/index.html", "how-to/plan-hiring/index.html", "how-to/fit-your-crm/index.html",
                 "how-to/forecast-a-quarter/index.html", "reference/scenario/index.html",
                 "reference/kpis/index.html", "reference/lint/index.html", "reference/benchmarks/index.html",
                 "reference/commands/index.html"):
        assert (site / page).is_file(), page
    assert not (site / "hooks").exists()  # the generator is not published
    html = "\n".join(p.read_text() for p in site.rglob("*.html"))
    assert "fonts.googleapis" not in html and "fonts.gstatic" not in html
    assert "roles.ae.headcount" in (site / "reference" / "scenario" / "index.html").read_text()


def test_strict_build_fails_on_a_broken_link(tmp_path):
    # the check can fail: a page linking to a page that does not exist stops the strict build
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "index.md").write_text("# x\n\n[gone](nowhere.md)\n")
    (tmp_path / "mkdocs.yml").write_text("site_name: x\nstrict: true\ntheme: {name: material, font: false}\n")
    p = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict"], cwd=tmp_path, capture_output=True,
                       text=True, timeout=300)
    assert p.returncode != 0 and "nowhere.md" in p.stderr


def test_reference_covers_every_key_kpi_rule_and_command():
    from sim.cli.main import build_parser
    from sim.metrics.registry import KPIS
    from sim.scenario.lint import RULES
    from sim.scenario.schema import Scenario

    pages = _generator().pages()
    schema = Scenario.model_json_schema(by_alias=True)
    scenario = pages["reference/scenario.md"]
    for name, model in [("Scenario", schema), *schema["$defs"].items()]:
        assert f"\n## {name}\n" in scenario or f"\n### {name}\n" in scenario, name
        for key in model.get("properties", {}):
            assert f"| `{key}` |" in scenario, f"{name}.{key}"
    rows = [line for line in scenario.splitlines() if line.startswith("| `")]
    assert all(not line.rstrip().endswith("|  |") for line in rows), "a key without a description"
    assert all(f"`{k.key}`" in pages["reference/kpis.md"] for k in KPIS)
    assert all(f"`{r}`" in pages["reference/lint.md"] for r in RULES)
    import argparse

    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    assert all(f"\n## {c}\n" in pages["reference/commands.md"] for c in sub.choices)


# --------------------------------------------------------------------------- in a browser

BROWSER = find_browser()


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # noqa: D401 - no request log on stderr
        pass


@pytest.fixture(scope="module")
def served(site):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(site)))
    thread = threading.Thread(target=server.serve_forever, name="docs-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.skipif(BROWSER is None, reason="no Chromium found (install Debian's chromium, or set SALESIM_BROWSER)")
def test_pages_open_in_a_browser(site, served):
    pages = sorted(str(p.relative_to(site).parent).replace(".", "") for p in site.rglob("index.html"))
    assert len(pages) >= 14
    with Browser(BROWSER) as b:
        for page in pages:
            url = served + (page + "/" if page else "")
            res = b.load(url, width=1280, height=800, whole=False)  # the first screen
            outside = [u for u in res.requests if not u.startswith(served) and not u.startswith(("data:", "blob:"))]
            assert outside == [], f"{page}: requests that leave the machine: {outside}"
            assert res.console_errors == [], f"{page}: {res.console_errors}"
            assert res.title.endswith("salesim"), res.title
            assert res.text_length > 400, f"{page}: little text"
            inked, spread = blankness(res.screenshot_png)
            assert inked > 0.02 and spread > 0.05, f"{page}: looks blank ({inked:.3f} inked, std {spread:.3f})"

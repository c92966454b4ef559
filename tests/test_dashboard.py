"""The instructor's live dashboard (``dashboard/classroom.ipynb``) runs, answers and serves.

Three layers. The committed notebook is clean, as the course notebooks are (it lives outside
``notebooks/`` because it is no step of the course map and has no exercise, so
``tests/test_notebook_hygiene.py`` does not see it). It runs top to bottom in a fresh kernel,
and in that same kernel its controls are then moved as a click moves them (check cells
appended to the executed copy): the numbers on the page must be those of
:func:`sim.experiments.compare`, a "what if" slider must change the market, and a setting seen
before must come from the cache. Finally Voila serves it to Chromium (Playwright): the widgets
render with a figure and no cell error, no code is shown, and a slider moved with the keyboard
redraws the figure.

The browser test needs ``voila`` (the ``dashboard`` extra, also in ``dev``), ``playwright`` and
Debian's ``chromium``; without them it is skipped, unless ``CRMLAB_REQUIRE_BROWSER`` is set (CI
sets it), so CI cannot pass by skipping it. Screenshot: ``reports/browser/dashboard.png``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from test_browser import CHROMIUM
from test_browser import _missing as _browser_missing

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "dashboard" / "classroom.ipynb"
VOILA = Path(sys.executable).with_name("voila")
NBSTRIPOUT = Path(sys.executable).with_name("nbstripout")
TOKEN = "crmlab-dashboard-test"

# Run in the kernel after the notebook, as a click would move the page. The small market is a
# scenario file that extends the classroom one, uploaded through the page's upload control.
CHECKS = r'''
import datetime
import tempfile
from pathlib import Path

import pandas as pd

from sim import experiments

d = dashboard
# The page opens quickly: three strategies, three seeds, one year, and says so.
assert d.strategies == START_STRATEGIES and d.scenario.horizon_days == 365
assert d.cache.made == len(START_STRATEGIES) * START_REPLICATIONS
assert bytes(d.image.value).startswith(b"\x89PNG") and "<table" in d.table.value
assert "9 new" in d.status.value and "color:#bc4b51" not in d.status.value

# Fewer replications: the first seeds' runs are remembered, nothing runs.
d.controls["replications"].value = 2
assert d.cache.made == 9 and "0 new" in d.status.value

# A scenario file arrives through the upload control: written whole, added to the menu, shown.
text = b'extends = "classroom"\nmarket_size = 8000\ninitial_customers = 800\n'
d.upload.value = ({"name": "small.toml", "type": "", "size": len(text),
                   "content": memoryview(text),
                   "last_modified": datetime.datetime.now(datetime.timezone.utc)},)
assert d.base.market_size == 8000, d.status.value
assert d.controls["scenario"].label == "file: small.toml"
assert d.sliders["service.handle_minutes"].value == d.base.service.handle_minutes
assert d.cache.made == 9 + 2 * len(d.strategies)

# The page's numbers are sim.experiments.compare's on the same market and seeds.
expected = experiments.compare(d.scenario, [STRATEGIES[n] for n in d.strategies], n=2,
                               seed=SEED, kpis=["profit"], progress=False)
shown = d.comparison.table[d.comparison.table["kpi"] == "profit"].reset_index(drop=True)
pd.testing.assert_frame_equal(shown, expected.table.reset_index(drop=True))

# "What if service gets slower?": the market changes, every strategy runs again, the
# transactional firm's customers (one agent, no target) wait longer, and the title says why.
made, png = d.cache.made, bytes(d.image.value)
waits = d.runs.groupby("strategy")["mean_wait_minutes"].mean()
slider = d.sliders["service.handle_minutes"]
written = slider.value
slider.value = written + 4 * slider.step
assert d.scenario.service.handle_minutes == written + 4 * slider.step
assert d.cache.made == made + 2 * len(d.strategies)
slower = d.runs.groupby("strategy")["mean_wait_minutes"].mean()
assert slower["transactional"] > waits["transactional"], (waits, slower)
assert "handle minutes" in d.figure._suptitle.get_text()
assert bytes(d.image.value) != png
# Back to the market as written: answered from the cache, the same picture.
made = d.cache.made
d.reset.click()
assert slider.value == written and d.cache.made == made and bytes(d.image.value) == png
assert "0 new" in d.status.value and "as written" in d.figure._suptitle.get_text()

# Another strategy runs only its own seeds and joins the menu of baselines.
d.toggles["analytical"].value = True
assert d.cache.made == made + 2 and "analytical" in d.controls["baseline"].options
assert "analytical" in d.table.value and d.toggles["analytical"].button_style == "info"
# Choosing the KPI, the baseline or the series runs nothing; the timeline follows the KPI.
made = d.cache.made
d.controls["kpi"].value = "customers_active_end"
assert d.controls["timeline"].value == "active customers"
d.controls["baseline"].value = "operational"
assert d.comparison.baseline == "operational" and "difference to operational" in d.table.value
assert d.cache.made == made

# Mistakes are shown on the page, named, and change nothing.
for name in d.strategies[1:]:
    d.toggles[name].value = False
assert "switch on at least two" in d.status.value and "color:#bc4b51" in d.status.value
d.toggles["operational"].value = True
folder = Path(tempfile.mkdtemp())
(folder / "typo.toml").write_text('extends = "classroom"\nmarket_sise = 9000\n')
d.path.value = str(folder / "typo.toml")
d.load.click()
assert "market_sise" in d.status.value and "market_size" in d.status.value, d.status.value
assert d.base.market_size == 8000
d.path.value = str(folder / "missing.toml")
d.load.click()
assert "no such scenario file" in d.status.value
# The same file uploaded again, edited: read again, not listed twice.
menu = list(d.controls["scenario"].options)
text = text.replace(b"8000", b"6000")
d.upload.value = ({"name": "small.toml", "type": "", "size": len(text),
                   "content": memoryview(text),
                   "last_modified": datetime.datetime.now(datetime.timezone.utc)},)
assert d.base.market_size == 6000 and list(d.controls["scenario"].options) == menu

# Another shipped market: the sliders move to its own values, on their grid.
d.controls["scenario"].value = "classroom"
assert d.base.name == "classroom" and slider.value == d.base.service.handle_minutes
assert what_if_range("service.handle_minutes", 12.0) == (7.0, 57.0, 5.0)
assert what_if_range("competitors.pressure", 1.2) == (0.0, 3.0, 0.1)
'''


def _notebook() -> dict:
    with NOTEBOOK.open(encoding="utf-8") as fh:
        return json.load(fh)


def _sources(kind: str) -> list[str]:
    return ["".join(c["source"]) for c in _notebook()["cells"] if c["cell_type"] == kind]


def test_the_dashboard_notebook_is_committed_clean():
    nb = nbformat.read(NOTEBOOK, as_version=nbformat.NO_CONVERT)
    nbformat.validate(nb)
    raw = _notebook()
    assert raw["metadata"]["kernelspec"]["name"] == "python3"
    assert "widgets" not in raw["metadata"], "saved widget state: run nbstripout"
    code = [c for c in raw["cells"] if c["cell_type"] == "code"]
    assert not [c for c in code if c["outputs"] or c["execution_count"] is not None], (
        f"outputs or counts kept: run .venv/bin/nbstripout {NOTEBOOK.relative_to(ROOT)}")
    sources = "\n".join(_sources("code"))
    assert len(re.findall(r"^SEED = \d+", sources, flags=re.MULTILINE)) == 1
    assert "rcParams" not in sources and "plt.style.use" not in sources
    for text in _sources("markdown"):  # local links resolve (the course map, the capstone)
        for target in re.findall(r"\]\((?!https?:|mailto:|#)([^)\s]+)\)", text):
            assert (NOTEBOOK.parent / target.split("#")[0]).exists(), target


@pytest.mark.skipif(not NBSTRIPOUT.exists(), reason="nbstripout is not installed beside python")
def test_nbstripout_verify_agrees():
    done = subprocess.run([str(NBSTRIPOUT), "--verify", str(NOTEBOOK)], capture_output=True,
                          text=True, check=False)
    assert done.returncode == 0, f"nbstripout would change:\n{done.stdout}{done.stderr}"


def test_the_notebook_runs_and_its_controls_answer_in_a_fresh_kernel():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(CHECKS))
    client = NotebookClient(nb, timeout=180, kernel_name="python3",
                            resources={"metadata": {"path": str(NOTEBOOK.parent)}})
    client.execute()  # raises CellExecutionError, with the cell's traceback, on any error
    shown = [o for c in nb.cells[:-1] if c.cell_type == "code" for o in c.outputs]
    assert any("application/vnd.jupyter.widget-view+json" in o.get("data", {}) for o in shown)
    assert not [o for o in shown if o.output_type == "error" or o.get("name") == "stderr"]


@pytest.fixture(scope="module")
def voila(tmp_path_factory):
    """Voila serving the dashboard on a free localhost port (a token keeps others out)."""
    reason = _browser_missing() or (None if VOILA.exists() else
                                    "voila is not installed (pip install -e '.[dashboard]')")
    if reason:
        if os.environ.get("CRMLAB_REQUIRE_BROWSER"):
            pytest.fail(f"browser test required but {reason}")
        pytest.skip(reason)
    home = tmp_path_factory.mktemp("voila")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    # Settings and runtime files in the temporary folder, not the user's home.
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(home / ".config"),
           "JUPYTER_RUNTIME_DIR": str(home / ".runtime"), "IPYTHONDIR": str(home / ".ipython"),
           "TQDM_DISABLE": "1"}
    log = (home / "voila.log").open("w")
    server = subprocess.Popen(
        [str(VOILA), str(NOTEBOOK), "--no-browser", "--Voila.ip=127.0.0.1", f"--port={port}",
         f"--token={TOKEN}", "--show_tracebacks=True"],  # a cell's error in full on the page
        stdout=log, stderr=subprocess.STDOUT, env=env)
    try:
        deadline = time.monotonic() + 60
        while True:  # the port answers: the page itself would start a kernel, so not fetched
            try:
                socket.create_connection(("127.0.0.1", port), timeout=2).close()
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    pytest.fail("Voila did not start:\n" + (home / "voila.log").read_text()[-3000:])
                time.sleep(0.5)
        yield f"http://127.0.0.1:{port}", home
    finally:
        server.terminate()  # Voila shuts its kernels down on SIGTERM
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


def test_voila_serves_the_dashboard_and_a_slider_redraws_it(voila):
    from playwright.sync_api import sync_playwright

    base, home = voila
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                                    args=["--no-sandbox"])  # root in a container
        try:
            page = browser.new_page(viewport={"width": 1500, "height": 1200})
            page.goto(f"{base}/?token={TOKEN}")
            figure = page.locator("img.crmlab-figure")
            try:  # the notebook runs first: widgets appear once its cells have run
                figure.wait_for(state="visible", timeout=90_000)
            except Exception:
                log = (home / "voila.log").read_text()[-3000:]
                pytest.fail(f"no figure on the page:\n{page.inner_text('body')[-2000:]}\n{log}")
            body = page.inner_text("body")
            assert "Traceback" not in body and "There was an error" not in body, body[-3000:]
            assert page.locator("[data-mime-type='application/vnd.jupyter.stderr']").count() == 0
            assert "class ClassroomDashboard" not in page.content()  # Voila hides the code
            assert "How to read the page" in body  # the markdown for the class is there
            status = page.locator(".crmlab-status")
            assert "runs shown" in status.inner_text(), status.inner_text()
            assert page.locator(".crmlab-table table tr").count() == 4  # header + 3 strategies
            # Move a "what if" slider as an instructor does (focus its handle, press the arrow
            # key) and wait until the figure is replaced and the runs are new.
            handle = page.locator(".crmlab-what-if .noUi-handle").first
            handle.scroll_into_view_if_needed()
            before = figure.get_attribute("src")
            value = float(handle.get_attribute("aria-valuenow"))
            handle.focus()
            page.keyboard.press("ArrowRight")
            page.wait_for_function(
                "(old) => document.querySelector('img.crmlab-figure').src !== old",
                arg=before, timeout=60_000)
            assert float(handle.get_attribute("aria-valuenow")) > value
            page.wait_for_function(  # the status line reports the finished update
                "() => document.querySelector('.crmlab-status').innerText.includes('runs shown')",
                timeout=60_000)
            assert "new" in status.inner_text() and "Error" not in status.inner_text()
            assert "Traceback" not in page.inner_text("body")
            shots = ROOT / "reports" / "browser"
            shots.mkdir(parents=True, exist_ok=True)
            partial = shots / ".dashboard.png.tmp"
            page.screenshot(path=str(partial), type="png", full_page=True)
            partial.replace(shots / "dashboard.png")  # whole, or not at all
        finally:
            browser.close()


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_dashboard_serves_this_notebook_with_voila():
    makefile = (ROOT / "Makefile").read_text()
    assert "make dashboard" in makefile.split("\nhelp:", 1)[1].split("\n\n", 1)[0]
    # What `make dashboard` would run, once the stamps are up to date (dry run: nothing runs).
    # Under `make test` the parent make's flags would make this one print its directory.
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MAKELEVEL", "MFLAGS")}
    done = subprocess.run(["make", "--no-print-directory", "-n", "-o", ".venv/.installed-stamp",
                           "-o", ".venv/.dashboard-stamp", "dashboard"], cwd=ROOT, env=env,
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    command = " ".join(done.stdout.replace("\\\n", " ").strip().splitlines()[-1].split())
    assert command.startswith(".venv/bin/voila dashboard/classroom.ipynb"), done.stdout
    assert "--port=8866" in command and "--no-browser" in command

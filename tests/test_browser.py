"""A real browser: JupyterLab runs a course notebook, a slider moves, the output answers.

nbval proves each notebook runs in a kernel; it cannot see what a student sees. This test
starts JupyterLab headless on localhost, opens a copy of a course notebook in Debian's
Chromium through Playwright, runs every cell, checks that no cell raised, moves the notebook's
slider with the keyboard as a student would, waits for the figure to be redrawn, and saves a
screenshot (``reports/browser/``, not committed) for a person to look at.

Needs ``chromium`` (Debian package) and ``playwright`` (a dev dependency; its own browser
downloads are not used). Without them the test is skipped, unless ``CRMLAB_REQUIRE_BROWSER``
is set (``.ci/run`` sets it and installs Chromium), so CI cannot pass by skipping it.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "00_getting_started.ipynb"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
TOKEN = "crmlab-browser-test"


def _missing() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install -e '.[dev]')"
    if CHROMIUM is None:
        return "chromium is not installed (apt-get install chromium)"
    return None


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """A JupyterLab server on a free localhost port, serving a folder with a notebook copy
    (JupyterLab saves what it runs; the repository's notebook stays untouched)."""
    reason = _missing()
    if reason:
        if os.environ.get("CRMLAB_REQUIRE_BROWSER"):
            pytest.fail(f"browser test required but {reason}")
        pytest.skip(reason)
    home = tmp_path_factory.mktemp("lab")
    shutil.copy(NOTEBOOK, home / NOTEBOOK.name)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    # Settings, workspaces and runtime files in the temporary folder, not the user's home.
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(home / ".config"),
           "JUPYTER_RUNTIME_DIR": str(home / ".runtime"),
           "JUPYTERLAB_WORKSPACES_DIR": str(home / ".workspaces"),
           "IPYTHONDIR": str(home / ".ipython"), "MPLBACKEND": "module://matplotlib_inline."
           "backend_inline", "TQDM_DISABLE": "1"}
    log = (home / "server.log").open("w")
    server = subprocess.Popen(
        [str(Path(sys.executable).with_name("jupyter")), "lab", "--no-browser",
         "--ip=127.0.0.1", f"--port={port}", f"--IdentityProvider.token={TOKEN}",
         f"--ServerApp.root_dir={home}", "--ServerApp.allow_root=True",
         "--LabApp.expose_app_in_browser=True"],  # window.jupyterapp: run cells by command
        stdout=log, stderr=subprocess.STDOUT, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{base}/api/status?token={TOKEN}", timeout=2)
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    pytest.fail("JupyterLab did not start:\n"
                                + (home / "server.log").read_text()[-3000:])
                time.sleep(0.5)
        yield base, home
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


_CURRENT = "window.jupyterapp.shell.currentWidget"
_ALL_RAN = f"""() => {{
    const w = {_CURRENT};
    const cells = w.content.widgets.filter(c => c.model.type === 'code'
                                             && c.model.sharedModel.getSource().trim());
    return cells.every(c => c.model.executionCount !== null)
        && w.sessionContext.session.kernel.status === 'idle';
}}"""
_ERRORS = f"""() => {{
    const found = [];
    for (const cell of {_CURRENT}.content.widgets) {{
        if (cell.model.type !== 'code') continue;
        for (let i = 0; i < cell.model.outputs.length; i++) {{
            const out = cell.model.outputs.get(i).toJSON();
            if (out.output_type === 'error') found.push(out.ename + ': ' + out.evalue);
        }}
    }}
    return found;
}}"""


def test_a_student_runs_the_notebook_and_moves_the_slider(lab):
    from playwright.sync_api import sync_playwright

    base, _ = lab
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                                    args=["--no-sandbox"])  # root in a container
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(f"{base}/lab/tree/{NOTEBOOK.name}?token={TOKEN}")
            page.wait_for_function(f"{_CURRENT} && {_CURRENT}.sessionContext"
                                   f" && {_CURRENT}.sessionContext.session"
                                   f" && {_CURRENT}.sessionContext.session.kernel",
                                   timeout=120_000)
            page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")
            page.wait_for_function(_ALL_RAN, timeout=300_000, polling=500)
            assert page.evaluate(_ERRORS) == []
            # Move the slider as a student does (focus its handle, press the arrow key), and
            # wait for the interactive output to be replaced by a new figure.
            handle = page.locator(".widget-interact .widget-slider .noUi-handle").first
            handle.scroll_into_view_if_needed()
            output = page.locator(".widget-interact .widget-output").first
            before = output.inner_html()
            value = float(handle.get_attribute("aria-valuenow"))
            handle.focus()
            page.keyboard.press("ArrowRight")
            page.wait_for_function(  # a new figure, or an error where it should be
                "(old) => { const o = document.querySelector('.widget-interact .widget-output');"
                " return o && o.innerHTML !== old && (o.querySelector('img') !== null"
                " || o.textContent.includes('Traceback')); }",
                arg=before, timeout=60_000)
            assert "Traceback" not in output.inner_text(), output.inner_text()[-2000:]
            assert float(handle.get_attribute("aria-valuenow")) == value + 1
            assert output.inner_html() != before
            page.wait_for_function(_ALL_RAN, timeout=60_000, polling=500)
            assert page.evaluate(_ERRORS) == []
            assert page.locator(".jp-OutputArea-output:has-text('Traceback')").count() == 0
            shots = ROOT / "reports" / "browser"
            shots.mkdir(parents=True, exist_ok=True)
            partial = shots / f".{NOTEBOOK.stem}.png.tmp"
            page.screenshot(path=str(partial), type="png")
            partial.replace(shots / f"{NOTEBOOK.stem}.png")  # whole, or not at all
        finally:
            browser.close()

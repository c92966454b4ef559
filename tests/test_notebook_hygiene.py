"""Notebooks are committed clean and fit the course's conventions (DESIGN section 11).

Checked for every ``.ipynb`` under ``notebooks/`` and ``exercises/``: valid nbformat 4, outputs
stripped (and ``nbstripout --verify`` agrees), kernelspec ``python3``, no matplotlib settings
changed. Course notebooks keep their execution counts, which must read 1, 2, 3, ... in order:
proof that the committed notebook was run top to bottom in a fresh kernel (execute it, then
``nbstripout --keep-count``). Exercises are stripped whole, as the student copies are.
Course notebooks also fix ``SEED = ...`` once, are listed in the
course map (``notebooks/README.md``) and link to an existing exercise; exercises link back to an
existing notebook and keep their solution markers balanced. Running the notebooks is nbval's
job (``pytest notebooks exercises``), not this file's.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
EXERCISES = sorted((ROOT / "exercises").glob("*.ipynb"))
EVERY = NOTEBOOKS + EXERCISES
NBSTRIPOUT = Path(sys.executable).with_name("nbstripout")

# A markdown link to a local file: [text](target), target without a scheme.
LINK = re.compile(r"\]\((?!https?:|mailto:|#)([^)\s]+)\)")


def _id(path: Path) -> str:
    return str(path.relative_to(ROOT))


def _cells(path: Path, kind: str) -> list[str]:
    with path.open(encoding="utf-8") as fh:
        nb = json.load(fh)
    return ["".join(c["source"]) if isinstance(c["source"], list) else c["source"]
            for c in nb["cells"] if c["cell_type"] == kind]


def _links(path: Path) -> list[Path]:
    """Local link targets of the notebook's markdown, resolved against its folder."""
    targets = []
    for text in _cells(path, "markdown"):
        for target in LINK.findall(text):
            targets.append((path.parent / target.split("#")[0]).resolve())
    return targets


def test_there_are_notebooks_and_exercises():
    assert NOTEBOOKS, "no notebooks in notebooks/"
    assert EXERCISES, "no exercise notebooks in exercises/"


@pytest.mark.parametrize("path", EVERY, ids=_id)
def test_valid_nbformat_4(path):
    nb = nbformat.read(path, as_version=nbformat.NO_CONVERT)
    assert nb.nbformat == 4
    nbformat.validate(nb)


def _code_cells(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as fh:
        return [c for c in json.load(fh)["cells"] if c["cell_type"] == "code"]


@pytest.mark.parametrize("path", EVERY, ids=_id)
def test_outputs_are_stripped(path):
    dirty = [i for i, c in enumerate(_code_cells(path)) if c.get("outputs")]
    assert not dirty, (f"{_id(path)}: code cells {dirty} have outputs; run "
                       f".venv/bin/nbstripout --keep-count {_id(path)}")
    with path.open(encoding="utf-8") as fh:
        assert "widgets" not in json.load(fh)["metadata"], "saved widget state: run nbstripout"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_id)
def test_course_notebooks_were_run_top_to_bottom(path):
    counts = [c.get("execution_count") for c in _code_cells(path)
              if "".join(c["source"]).strip()]
    assert counts == list(range(1, len(counts) + 1)), (
        f"{_id(path)}: execution counts {counts[:8]}...; run it top to bottom in a fresh "
        f"kernel, then .venv/bin/nbstripout --keep-count {_id(path)}")


@pytest.mark.parametrize("path", EXERCISES, ids=_id)
def test_exercises_are_stripped_whole(path):
    counted = [i for i, c in enumerate(_code_cells(path)) if c.get("execution_count") is not None]
    assert not counted, f"{_id(path)}: run .venv/bin/nbstripout {_id(path)}"


@pytest.mark.skipif(not NBSTRIPOUT.exists(), reason="nbstripout is not installed beside python")
@pytest.mark.parametrize(("paths", "flags"), [(NOTEBOOKS, ["--keep-count"]), (EXERCISES, [])],
                         ids=["notebooks", "exercises"])
def test_nbstripout_verify_agrees(paths, flags):
    done = subprocess.run([str(NBSTRIPOUT), "--verify", *flags, *map(str, paths)],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, f"nbstripout would change:\n{done.stdout}{done.stderr}"


@pytest.mark.parametrize("path", EVERY, ids=_id)
def test_kernelspec_is_python3(path):
    with path.open(encoding="utf-8") as fh:
        spec = json.load(fh)["metadata"].get("kernelspec", {})
    assert spec.get("name") == "python3", f"{_id(path)}: kernelspec {spec!r}"


@pytest.mark.parametrize("path", EVERY, ids=_id)
def test_matplotlib_settings_are_left_alone(path):
    for source in _cells(path, "code"):
        assert "rcParams" not in source and "plt.style.use" not in source


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_id)
def test_course_notebooks_fix_one_seed(path):
    sources = "\n".join(_cells(path, "code"))
    assigned = re.findall(r"^SEED = \d+", sources, flags=re.MULTILINE)
    assert len(assigned) == 1, f"{_id(path)}: set SEED = <int> exactly once, near the top"


def test_course_map_lists_every_notebook():
    course_map = (ROOT / "notebooks" / "README.md").read_text(encoding="utf-8")
    missing = [p.name for p in NOTEBOOKS if f"({p.name})" not in course_map]
    assert not missing, f"notebooks/README.md does not link {missing}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_id)
def test_course_notebooks_link_to_an_exercise(path):
    exercises = [t for t in _links(path) if t.parent == ROOT / "exercises" and t.suffix == ".ipynb"]
    assert exercises, f"{_id(path)}: link to its exercise in ../exercises/"
    assert all(t.exists() for t in exercises), f"{_id(path)}: broken exercise link"


@pytest.mark.parametrize("path", EXERCISES, ids=_id)
def test_exercises_link_back_to_a_notebook(path):
    notebooks = [t for t in _links(path) if t.parent == ROOT / "notebooks" and t.suffix == ".ipynb"]
    assert notebooks and all(t.exists() for t in notebooks), f"{_id(path)}: link ../notebooks/"


@pytest.mark.parametrize("path", EVERY, ids=_id)
def test_local_links_resolve(path):
    broken = [str(t) for t in _links(path) if not t.exists()]
    assert not broken, f"{_id(path)}: broken links {broken}"


@pytest.mark.parametrize("path", EXERCISES, ids=_id)
def test_exercise_markers_are_balanced(path):
    solutions = 0
    for source in _cells(path, "code"):
        lines = [line.strip() for line in source.splitlines()]
        for name in ("SOLUTION", "HIDDEN TESTS"):
            begins = [i for i, x in enumerate(lines) if x == f"### BEGIN {name}"]
            ends = [i for i, x in enumerate(lines) if x == f"### END {name}"]
            assert len(begins) == len(ends), f"{_id(path)}: unbalanced {name} markers"
            assert all(b < e for b, e in zip(begins, ends, strict=True))
        solutions += lines.count("### BEGIN SOLUTION")
    assert solutions, f"{_id(path)}: no ### BEGIN SOLUTION block"

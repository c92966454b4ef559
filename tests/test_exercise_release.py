"""Student copies of the exercises (issue 7): no solution leaks, and every copy runs.

The release of all thirteen exercises is made once for the module. Each copy must hold no
marker and no line that only a solution or hidden-test block of its source held, keep one
``answer_<id> = None`` line per question (what the grader reads), and keep its links working
from wherever it was written. The CI check runs every copy top to bottom in a fresh kernel:
no cell may raise, every check must say "not attempted" and the score line 0 points. Bad
markers (in a notebook or in the README) and unsafe output folders are refused with the file,
cell, line or folder named.
"""

from __future__ import annotations

import argparse
import json
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import pytest

from sim import exercises
from sim.exercises import cli
from sim.exercises.release import BLOCKS, MANIFEST, ReleaseError, release, student_copy

ROOT = Path(__file__).resolve().parents[1]
SOURCES = sorted((ROOT / "exercises").glob("*.ipynb"))
LINK = re.compile(r"\]\((?!https?:|mailto:|#)([^)\s]+)\)")


@pytest.fixture(scope="module")
def released(tmp_path_factory) -> Path:
    return release(ROOT / "exercises", tmp_path_factory.mktemp("handout") / "release")


def _block_lines(path: Path) -> set[str]:
    """Lines that appear only inside solution or hidden-test blocks of ``path``."""
    inside, outside = set(), set()
    for cell in nbformat.read(path, as_version=4).cells:
        depth = 0
        for line in cell.source.splitlines():
            marker = line.strip()
            if any(marker == begin for begin, _ in BLOCKS):
                depth += 1
            elif any(marker == end for _, end in BLOCKS):
                depth -= 1
            elif marker:
                (inside if depth else outside).add(marker)
    return inside - outside


def _text(path: Path) -> str:
    return "\n".join(c.source for c in nbformat.read(path, as_version=4).cells)


def test_every_exercise_and_the_readme_are_released(released):
    names = sorted(p.name for p in released.iterdir())
    assert names == sorted([*(p.name for p in SOURCES), "README.md", MANIFEST])
    assert json.loads((released / MANIFEST).read_text())["notebooks"] == [p.name for p in SOURCES]


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.stem)
def test_a_copy_holds_no_marker_and_no_solution_line(released, source):
    text = _text(released / source.name)
    for begin, end in BLOCKS:
        assert begin not in text and end not in text
    assert not re.search(r"#+\s*(BEGIN|END)\s+(SOLUTION|HIDDEN)", text, re.IGNORECASE)
    secret = _block_lines(source)
    assert secret, f"{source.name}: no solution lines found: the test would prove nothing"
    leaked = [line for line in text.splitlines() if line.strip() in secret]
    assert not leaked, f"{source.name}: solution lines in the student copy: {leaked[:3]}"


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.stem)
def test_a_copy_is_clean_and_keeps_one_answer_line_per_question(released, source):
    copy = nbformat.read(released / source.name, as_version=4)
    nbformat.validate(copy)
    original = nbformat.read(source, as_version=4)
    assert copy.metadata.kernelspec == original.metadata.kernelspec
    assert copy.metadata.crmlab == {"exercise": source.stem}
    assert len(copy.cells) == len(original.cells)  # cells keep their place (and their ids)
    assert [c.get("id") for c in copy.cells] == [c.get("id") for c in original.cells]
    for cell in copy.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None
    code = "\n".join(c.source for c in copy.cells if c.cell_type == "code")
    for qid in exercises.EXERCISES[source.stem].question_ids:
        assert len(re.findall(rf"^answer_{qid} = None\b", code, re.MULTILINE)) == 1, qid
    # Text outside the blocks is untouched: the markdown is the same but for link targets.
    def markdown(nb):
        return [LINK.sub("](...)", c.source) for c in nb.cells if c.cell_type == "markdown"]

    assert markdown(copy) == markdown(original)


def test_links_still_work_from_the_release_folder(released):
    files = [*sorted(released.glob("*.ipynb")), released / "README.md"]
    for path in files:
        text = path.read_text(encoding="utf-8") if path.suffix == ".md" else "\n".join(
            c.source for c in nbformat.read(path, as_version=4).cells
            if c.cell_type == "markdown")
        targets = LINK.findall(text)
        assert targets or path.suffix == ".md"
        broken = [t for t in targets if not (path.parent / t.split("#")[0]).exists()]
        assert not broken, f"{path.name}: broken links {broken}"
    # The exercise links between copies stay local to the release folder.
    assert "](00_first_run.ipynb)" in (released / "README.md").read_text(encoding="utf-8")


def test_a_release_beside_the_source_keeps_the_links_as_written(tmp_path):
    source = tmp_path / "exercises"
    source.mkdir()
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "notebooks" / "00.ipynb").write_text("{}")
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(
        "See [the notebook](../notebooks/00.ipynb#part) and [this](ex.ipynb).")])
    nbformat.write(nb, source / "ex.ipynb")
    for out in (tmp_path / "release", tmp_path / "deep" / "er" / "release"):
        release(source, out)
        text = nbformat.read(out / "ex.ipynb", as_version=4).cells[0].source
        expected = "../notebooks/00.ipynb#part" if out.parent == tmp_path else (
            "../../../notebooks/00.ipynb#part")
        assert f"]({expected})" in text and "](ex.ipynb)" in text


def test_the_readme_copy_leaves_out_the_instructors_part(released):
    source = (ROOT / "exercises" / "README.md").read_text(encoding="utf-8")
    copy = (released / "README.md").read_text(encoding="utf-8")
    assert "## For instructors" in source and "## Handing out and grading" in source
    assert "## How an exercise works" in copy
    assert "For instructors" not in copy and "Handing out and grading" not in copy
    assert "INSTRUCTORS ONLY" not in copy


def test_releasing_twice_gives_the_same_bytes(released):
    before = {p.name: p.read_bytes() for p in released.iterdir()}
    again = release(ROOT / "exercises", released)  # replaces its own earlier release
    assert {p.name: p.read_bytes() for p in again.iterdir()} == before


# -- bad sources are refused, naming file and cell ------------------------------------------------
def _notebook(*sources: str) -> nbformat.NotebookNode:
    return nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_markdown_cell("# An exercise")]
        + [nbformat.v4.new_code_cell(s) for s in sources])


@pytest.mark.parametrize(("source", "says"), [
    ("x = None\n### BEGIN SOLUTION\nx = 1\n", "has no matching '### END SOLUTION'"),
    ("x = 1\n### END SOLUTION\n", "closes no block"),
    ("### BEGIN SOLUTION\n### BEGIN HIDDEN TESTS\n### END HIDDEN TESTS\n### END SOLUTION",
     "cannot be nested"),
    ("### BEGIN SOLUTION\nx = 1\n### END HIDDEN TESTS\n", "closes no block"),
    ("x = None\n## BEGIN SOLUTION\nx = 1\n## END SOLUTION\n", "looks like a marker"),
    ("x = None\n### begin solution\nx = 1\n### end solution\n", "looks like a marker"),
    ("### BEGIN HIDDEN TEST\nassert x\n### END HIDDEN TEST\n", "looks like a marker"),
])
def test_bad_markers_are_refused_with_the_cell_and_line(source, says):
    with pytest.raises(ReleaseError, match=re.escape(says)) as err:
        student_copy(_notebook("y = 2", source), where="ex.ipynb")
    assert "ex.ipynb, cell 3 (code" in str(err.value)
    assert "line" in str(err.value)


def test_a_block_cannot_span_two_cells():
    with pytest.raises(ReleaseError, match="cell 2"):
        student_copy(_notebook("### BEGIN SOLUTION\nx = 1", "x\n### END SOLUTION"))


def test_a_question_without_its_answer_line_is_refused():
    source = nbformat.read(ROOT / "exercises" / "00_first_run.ipynb", as_version=4)
    for cell in source.cells:
        cell.source = cell.source.replace("answer_q3 = None  # replace", "answer_q3 = 0  # repl")
    with pytest.raises(ReleaseError, match=r"never sets `answer_q3 = None`.*answer_q3"):
        student_copy(source, where="00_first_run.ipynb")


def test_a_cell_left_empty_or_with_a_bare_name_is_kept():
    copy = student_copy(_notebook("### BEGIN SOLUTION\ndef helper():\n    pass\n"
                                  "### END SOLUTION",
                                  "f = check()\n### BEGIN HIDDEN TESTS\nassert f\n"
                                  "### END HIDDEN TESTS\nf"))
    assert [c.source for c in copy.cells[1:]] == ["", "f = check()\nf"]


# -- the output folder ----------------------------------------------------------------------------
@pytest.fixture
def small_source(tmp_path) -> Path:
    source = tmp_path / "src"
    source.mkdir()
    nbformat.write(_notebook("x = None\n### BEGIN SOLUTION\nx = 42\n### END SOLUTION\nx"),
                   source / "ex.ipynb")
    return source


def test_a_foreign_folder_is_replaced_only_with_force(small_source, tmp_path):
    out = tmp_path / "handout"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    with pytest.raises(ReleaseError, match=r"not empty and was not written by a release.*--force"):
        release(small_source, out)
    assert (out / "notes.txt").read_text() == "mine"
    release(small_source, out, force=True)
    assert sorted(p.name for p in out.iterdir()) == [MANIFEST, "ex.ipynb"]


def test_an_earlier_release_and_an_empty_folder_are_replaced(small_source, tmp_path):
    out = tmp_path / "handout"
    out.mkdir()
    release(small_source, out)
    (out / "stale.ipynb").write_text("{}")
    release(small_source, out)
    assert not (out / "stale.ipynb").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["handout", "src"]  # no temporaries


@pytest.mark.parametrize("where", ["source", "inside", "above", "file"])
def test_unsafe_output_folders_are_refused_even_with_force(small_source, where):
    out = {"source": small_source, "inside": small_source / "release",
           "above": small_source.parent, "file": small_source / "ex.ipynb"}[where]
    with pytest.raises(ReleaseError, match="out_dir"):
        release(small_source, out, force=True)
    assert (small_source / "ex.ipynb").exists()


@pytest.mark.parametrize("where", ["current", "above current", "home"])
def test_the_current_and_home_folders_are_refused(small_source, monkeypatch, tmp_path, where):
    (tmp_path / "work" / "sub").mkdir(parents=True)
    (tmp_path / "work" / "sub" / "keep.txt").write_text("keep")
    monkeypatch.chdir(tmp_path / "work" / "sub")
    monkeypatch.setenv("HOME", str(tmp_path / "work"))
    out = {"current": tmp_path / "work" / "sub", "above current": tmp_path / "work",
           "home": tmp_path / "work"}[where]
    with pytest.raises(ReleaseError, match="current folder, your home folder"):
        release(small_source, out, force=True)
    assert (tmp_path / "work" / "sub" / "keep.txt").exists()


def test_a_failed_release_leaves_the_previous_one_alone(small_source, tmp_path):
    out = tmp_path / "handout"
    release(small_source, out)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    nbformat.write(_notebook("### BEGIN SOLUTION\nx = 1"), small_source / "zz.ipynb")
    with pytest.raises(ReleaseError, match=r"zz\.ipynb, cell 2"):
        release(small_source, out)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["handout", "src"]


def test_a_source_without_notebooks_is_refused(tmp_path):
    with pytest.raises(ReleaseError, match=r"no \.ipynb"):
        release(tmp_path, tmp_path.parent / "out-none")
    with pytest.raises(ReleaseError, match="not a folder"):
        release(tmp_path / "missing", tmp_path.parent / "out-none")


@pytest.mark.parametrize(("readme", "says", "line"), [
    ("# Ex\n<!-- BEGIN INSTRUCTOR ONLY -->\nsecret\n<!-- END INSTRUCTOR ONLY -->\n",
     "looks like a marker but is not one; write exactly '<!-- BEGIN INSTRUCTORS ONLY -->'", 2),
    ("# Ex\n<!--BEGIN INSTRUCTORS ONLY-->\nsecret\n<!--END INSTRUCTORS ONLY-->\n",
     "looks like a marker", 2),
    ("# Ex\n\n<!-- begin instructors only -->\nsecret\n", "looks like a marker", 3),
    ("# Ex\n<!-- BEGIN INSTRUCTORS ONLY -->\nsecret\n",
     "has no matching '<!-- END INSTRUCTORS ONLY -->'", 2),
    ("# Ex\nsecret\n<!-- END INSTRUCTORS ONLY -->\n", "closes no block", 3),
    ("<!-- BEGIN INSTRUCTORS ONLY -->\n<!-- BEGIN INSTRUCTORS ONLY -->\nsecret\n"
     "<!-- END INSTRUCTORS ONLY -->\n", "cannot be nested", 2),
])
def test_a_readme_with_bad_instructors_markers_is_refused(small_source, tmp_path, readme, says,
                                                          line):
    (small_source / "README.md").write_text(readme, encoding="utf-8")
    with pytest.raises(ReleaseError, match=re.escape(says)) as err:
        release(small_source, tmp_path / "handout")
    assert f"README.md, line {line}:" in str(err.value)
    assert not (tmp_path / "handout").exists()  # nothing handed out


def test_a_readme_s_instructors_part_is_left_out_and_the_rest_kept(small_source, tmp_path):
    (small_source / "README.md").write_text(
        "# Ex\n<!-- not for anyone in particular -->\n<!-- BEGIN INSTRUCTORS ONLY -->\n"
        "secret\n<!-- END INSTRUCTORS ONLY -->\nafter\n", encoding="utf-8")
    out = release(small_source, tmp_path / "handout")
    assert (out / "README.md").read_text(encoding="utf-8") == (
        "# Ex\n<!-- not for anyone in particular -->\nafter\n")


# -- the command line -----------------------------------------------------------------------------
def _cli(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="python -m sim")
    cli.add_parser(parser.add_subparsers(dest="command"))
    return cli.main(parser.parse_args(["exercises", *argv]))


def test_the_command_line_releases_and_refuses(small_source, tmp_path, capsys):
    out = tmp_path / "handout"
    assert _cli("release", "--source", str(small_source), "--out", str(out)) == 0
    assert "wrote 1 files" in capsys.readouterr().out
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "a.txt").write_text("a")
    assert _cli("release", "--source", str(small_source), "--out", str(tmp_path / "busy")) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "--force" in err and err.count("\n") == 1
    assert _cli("list") == 0
    assert "00_first_run" in capsys.readouterr().out
    assert _cli() == 2  # no action: the help


# -- the CI check: every student copy runs and reports "not attempted" ---------------------------
def _run(path: Path) -> nbformat.NotebookNode:
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=120, kernel_name="python3", shutdown_kernel="immediate",
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    return nb


def _texts(cell) -> list[str]:
    out = []
    for output in cell.get("outputs", []):
        out.append(output.get("text") or output.get("data", {}).get("text/plain", ""))
    return out


def test_every_student_copy_runs_and_reports_not_attempted(released):
    # Two kernels at a time; nbclient raises CellExecutionError if any cell raises.
    with ThreadPoolExecutor(2) as pool:
        runs = dict(zip(SOURCES, pool.map(_run, [released / p.name for p in SOURCES]),
                        strict=True))
    for source, nb in runs.items():
        exercise = exercises.EXERCISES[source.stem]
        texts = [t for cell in nb.cells if cell.cell_type == "code" for t in _texts(cell)]
        joined = "\n".join(texts)
        for qid in exercise.question_ids:
            assert f"{qid}: not attempted (0/" in joined, (source.name, qid)
        assert ": correct" not in joined and ": incorrect" not in joined, source.name
        possible = sum(q.points for q in exercise.questions)
        assert f"Score: 0 of {possible:g} points" in texts[-1], (source.name, texts[-1])

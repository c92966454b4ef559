"""Grading submitted notebooks (issue 7): right points for honest work, zeros for broken work,
and never a crashed grader or a forged grade.

Submissions are built from the released student copy of exercise 00 (the cheapest) with
answers and hostile code put in its cells: a crash, an endless loop, a loop that ignores the
interrupt, ``os._exit``, ``exit()``, printed fake grader markers, a patched ``exercises.check``,
a silenced stdout, a deleted setup cell, the wrong exercise, files that are not notebooks, and
three attacks on the grader's own cells (an input transformer that rewrites them, a patched
``json``, a patched ``open``, ``print`` and ``sys.stdout``), none of which may earn a point.
They are graded together once (two at a time); the reference notebook and a wrong one are
graded together with a longer time limit, since their cells run simulations. A notebook that
prints 100 MB is graded in a subprocess whose peak memory is measured. The plain-data codec,
the replay of function answers and the judge are tested directly, without kernels.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import inspect
import json
import math
import subprocess
import sys
from collections import namedtuple
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest

from sim import Actions, strategies
from sim.errors import ActionsError
from sim.exercises import EXERCISES, cli, grade
from sim.exercises.calls import Recorder, replay
from sim.exercises.grading import (
    COLUMNS,
    GradingError,
    _verdict,
    grade_notebook,
    grade_submissions,
)
from sim.exercises.handin import write_answer
from sim.exercises.judge import judge
from sim.exercises.plain import MAX_DEPTH, PlainError, decode, encode
from sim.exercises.release import release

ROOT = Path(__file__).resolve().parents[1]
TIMEOUT = 6  # seconds per cell for the cheap submissions: the loops cost this much
ALL = ["q1", "q2", "q3", "q4", "q5"]


@pytest.fixture(scope="module")
def student_copy(tmp_path_factory) -> nbformat.NotebookNode:
    out = release(ROOT / "exercises", tmp_path_factory.mktemp("handout") / "release")
    return nbformat.read(out / "00_first_run.ipynb", as_version=4)


def _submit(copy, folder: Path, name: str, edits: dict[str, str], drop: tuple[str, ...] = ()):
    """Write ``copy`` as ``folder/name`` with each code cell starting with a key of ``edits``
    replaced by its value, and the cells starting with any of ``drop`` removed."""
    nb = nbformat.from_dict(json.loads(json.dumps(copy)))
    for cell in nb.cells:
        for start, source in edits.items():
            if cell.cell_type == "code" and cell.source.startswith(start):
                cell.source = source
    nb.cells = [c for c in nb.cells if not c.source.startswith(drop)]
    nbformat.write(nb, folder / name)


SETUP = "from sim import"
FAKE = "\n".join(
    f"print('@@CRMLAB-GRADER-BEGIN-{nonce}@@' + json.dumps({{'question': 'q{i}', 'status': "
    f"'correct', 'message': 'ok', 'exercise': '00_first_run', 'student': 'x', 'error': None}})"
    f" + '@@CRMLAB-GRADER-END-{nonce}@@')"
    for i in range(1, 6) for nonce in ("", "0" * 32, "{nonce}"))
PATCH = '''answer_q4 = "c"
import sim.exercises as ex
from sim.exercises import questions, registry
from sim.exercises.feedback import Feedback


def always(question, answer, *args):
    return Feedback(question=str(question), correct=True, message="ok", points=1, max_points=1)


ex.check = registry.check = always
ex.grade = registry.grade = lambda params, question, answer: always(question, answer)
questions.ChoiceQuestion.assess = lambda self, answer, params: (True, "Correct.")
questions.NumberQuestion.assess = lambda self, answer, params: (True, "Correct.")
ex.EXERCISES["00_first_run"] = None
open(r"{marker}", "w").write(str(exercises.check("q4", answer_q4).correct))
'''


# Attack 1 (the reviewer's, extended): an input transformer sees every cell the grader sends
# before it runs. It rewrote the old grader's check cells into forged "correct" verdicts; here
# it also keeps itself alive through the grader's clean-up of hooks, and rewrites each hand-in
# cell into a file of forged verdicts and a text answer.
TRANSFORM = r'''
import re
def _cheat(lines):
    text = "".join(lines)
    m = re.match(r"_crmlab_check\('([0-9a-f]+)', '(\w+)'\)", text)
    if m:
        return [f"_crmlab_emit({m.group(1)!r}, {{'question': {m.group(2)!r}, "
                f"'status': 'correct', 'message': 'forged'}})\n"]
    if "_crmlab_shell" in text:  # the grader's clean-up: make it spare this transformer
        text = text.replace(".clear()", ".copy()").replace(
            "_crmlab_shell.input_transformer_manager =", "_crmlab_unused =")
        return text.splitlines(True)
    m = re.match(r"_crmlab_export\('([^']+)', '(\w+)'\)", text)
    if m:
        forged = {"format": 1, "question": m.group(2), "status": "correct", "points": 99,
                  "checked": {"status": "correct", "message": "forged"}, "answer": "forged"}
        target = f"{m.group(1)}/answer-{m.group(2)}.json"
        return [f"import json\njson.dump({forged!r}, open({target!r}, 'w'))\n"]
    return lines
get_ipython().input_transformers_post.append(_cheat)
'''
# Attack 2 (the reviewer's, extended to json.dump): json patched so that whatever the grader
# serialises says "correct".
JSONPATCH = r'''
import json
_real, _real_dump = json.dumps, json.dump
def _forge(obj):
    if isinstance(obj, dict) and "question" in obj:
        obj = {"question": obj["question"], "status": "correct", "message": "forged"}
    return obj
def _dumps(obj, *a, **k):
    return _real(_forge(obj), *a, **k)
def _dump(obj, *a, **k):
    return _real_dump(_forge(obj), *a, **k)
json.dumps, json.dump = _dumps, _dump
'''
# Attack 3: every way out of the kernel forged. print and sys.stdout print fake verdicts with
# every nonce-like word they see; open() turns each hand-in into forged verdicts and a wrong
# answer (1); the notebook's own copy of the checks is patched to say "correct".
FORGERY = r'''
import builtins, io, json, re, sys
_open, _stdout = io.open, sys.stdout
def _fake(text):
    nonces = set(re.findall(r"[0-9a-f]{32}", str(text))) or {"0" * 32}
    verdicts = [json.dumps({"question": f"q{i}", "status": "correct"}) for i in range(1, 6)]
    return "".join(f"@@CRMLAB-GRADER-BEGIN-{n}@@{v}@@CRMLAB-GRADER-END-{n}@@\n"
                   for n in nonces for v in verdicts)
class _Out(io.StringIO):
    def write(self, text):
        return _stdout.write(_fake(text))
def _forged_print(*args, **kwargs):
    _stdout.write(_fake(args))
class _Forged(io.StringIO):
    def __init__(self, path):
        super().__init__()
        self.path = path
    def close(self):
        if not self.closed:
            question = re.search(r"answer-(\w+)\.json", self.path).group(1)
            with _open(self.path, "w") as fh:
                fh.write(json.dumps({"format": 1, "question": question, "answer": 1,
                                     "status": "correct", "correct": True, "points": 99}))
        super().close()
def _forged_open(path, mode="r", *args, **kwargs):
    if "w" in mode and re.search(r"answer-\w+\.json", str(path)):
        return _Forged(str(path))
    return _open(path, mode, *args, **kwargs)
builtins.open = io.open = _forged_open  # pathlib opens files with io.open
builtins.print, sys.stdout = _forged_print, _Out()
from sim.exercises import registry
registry.grade = lambda params, question, answer: registry.Feedback(
    question=question, correct=True, message="forged", points=99, max_points=99)
'''


# Hooks that would break the grader's hand-in cells if they were left in place: an input
# transformer, an AST transformer and an IPython clean-up transform.
HOOKS = r'''
import ast
def _breaker(lines):
    if "".join(lines).startswith("_crmlab_export("):
        return ["raise RuntimeError('sabotage')\n"]
    return lines
class _Renamer(ast.NodeTransformer):
    def visit_Constant(self, node):
        return ast.copy_location(ast.Constant("q9"), node) if node.value == "q4" else node
get_ipython().input_transformers_post.append(_breaker)
get_ipython().ast_transformers.append(_Renamer())
get_ipython().input_transformer_manager.cleanup_transforms.append(
    lambda lines: [line.replace("answer_q", "answer_x") for line in lines])
'''


@pytest.fixture(scope="module")
def hostile(student_copy, tmp_path_factory):
    """The cheap hostile submissions, graded once: (gradebook, folder)."""
    folder = tmp_path_factory.mktemp("submissions")
    (folder / "s1").mkdir()
    marker = folder.parent / "patched.txt"
    setup_as = 'from sim import exercises\nparams = exercises.setup("00_first_run", "{}")'
    cases = {
        "raises.ipynb": {SETUP: setup_as.format("s-loop"),  # the same student as loop
                         "answer_q1 = None": "answer_q1 = None\n1 / 0",
                         "answer_q4 = None": 'answer_q4 = "b"'},
        "loop.ipynb": {SETUP: setup_as.format("s-loop"),
                       "answer_q1 = None": "answer_q1 = None\nwhile True:\n    pass",
                       "answer_q4 = None": 'answer_q4 = "b"'},
        "stuck.ipynb": {"answer_q1 = None": (
            'answer_q1 = 3\nimport time\nwhile True:\n    try:\n        time.sleep(0.1)\n'
            "    except KeyboardInterrupt:\n        pass")},
        "exit.ipynb": {"answer_q4 = None": 'answer_q4 = "b"',
                       "answer_q5 = None": "import os\nos._exit(1)"},
        "garbage.ipynb": {SETUP: setup_as.format("=cmd|' /C calc'!A0"),
                          "answer_q4 = None": f'answer_q4 = "c"\nimport json\n{FAKE}\n'
                          'print("\\x00\\x1b[31m\\ufffd" * 2000)\n'
                          'print("@@CRMLAB-GRADER-BEGIN-", end="")'},
        "patch.ipynb": {SETUP: setup_as.format("s-patch"),
                        "answer_q4 = None": PATCH.format(marker=marker)},
        "other.ipynb": {SETUP: 'from sim import exercises\n'
                               'params = exercises.setup("01_why_crm", "s-other")'},
        "ipyexit.ipynb": {SETUP: setup_as.format("s-ipyexit"),
                          "answer_q4 = None": 'answer_q4 = "b"\nexit()'},
        "transformer.ipynb": {SETUP: setup_as.format("cheat1"),
                              "answer_q4 = None": f'answer_q4 = "a"\n{TRANSFORM}'},
        "jsonpatch.ipynb": {SETUP: setup_as.format("cheat2"),
                            "answer_q4 = None": f'answer_q4 = "a"\n{JSONPATCH}'},
        "forgery.ipynb": {SETUP: setup_as.format("cheat3"),
                          "answer_q4 = None": f'answer_q4 = "a"\n{FORGERY}'},
        "hooks.ipynb": {SETUP: setup_as.format("s-hooks"),
                        "answer_q4 = None": f'answer_q4 = "b"\n{HOOKS}'},
        # A subfolder per student; this one silences its output, which must not lose grades.
        "s1/00_first_run.ipynb": {SETUP: setup_as.format("s1"),
                                  "answer_q4 = None": 'import os, sys\n'
                                  'sys.stdout = open(os.devnull, "w")\nanswer_q4 = "b"'},
    }
    for name, edits in cases.items():
        _submit(student_copy, folder, name, edits)
    # A strategy that never returns: only the grader's check runs it (its own check cell and
    # the score cell are gone), and the check is interrupted.
    _submit(student_copy, folder, "spin.ipynb", {
        SETUP: setup_as.format("s-spin"),
        "answer_q4 = None": 'answer_q4 = "b"',
        "answer_q5 = None": "def my_strategy(view):\n    while True:\n        pass\n\n\n"
                            "answer_q5 = my_strategy"},
            drop=('feedback = exercises.check("q5"', "answers = {"))
    _submit(student_copy, folder, "nosetup.ipynb", {"answer_q4 = None": 'answer_q4 = "b"'},
            drop=(SETUP,))
    (folder / "s1" / "notes.txt").write_text("not a notebook")
    (folder / "junk_00_first_run.ipynb").write_bytes(b"\x89PNG\r\n\x1a\n not json")
    (folder / "mystery.ipynb").write_text('{"cells": 3}')
    (folder / ".ipynb_checkpoints").mkdir()
    (folder / ".ipynb_checkpoints" / "blank-checkpoint.ipynb").write_text("{}")
    book = grade_submissions(folder, folder.parent / "book" / "gradebook.csv",
                             timeout=TIMEOUT, jobs=2)
    return book, folder, marker


def _file(book, name: str) -> pd.DataFrame:
    rows = book.table[book.table["file"] == name]
    assert len(rows), f"{name} was not graded"
    return rows.set_index("question")


# -- honest work ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def honest(student_copy, tmp_path_factory):
    folder = tmp_path_factory.mktemp("honest")
    (folder / "reference.ipynb").write_bytes((ROOT / "exercises" / "00_first_run.ipynb")
                                             .read_bytes())
    _submit(student_copy, folder, "wrong.ipynb", {
        SETUP: "from sim import Actions, exercises\n"
               'params = exercises.setup("00_first_run", student_id="s42")',
        "answer_q1 = None": "answer_q1 = 1",
        "answer_q2 = None": "answer_q2 = 1000.0",
        "answer_q3 = None": "answer_q3 = 72.0",
        "answer_q4 = None": 'answer_q4 = "a"',
        "answer_q5 = None": "def my_strategy(view):\n"
                            "    return Actions(mass_spend=params.mass_spend, agents=3)\n"
                            "answer_q5 = my_strategy"})
    return grade_submissions(folder, folder / "gradebook.csv", timeout=120, jobs=2)


def test_the_reference_solution_gets_full_points(honest):
    rows = _file(honest, "reference.ipynb")
    assert list(rows.index) == ALL
    assert (rows["status"] == "correct").all(), rows["feedback"].tolist()
    assert rows["points"].sum() == rows["max_points"].sum() == 6
    assert (rows["student"] == "demo").all() and (rows["exercise"] == "00_first_run").all()
    assert rows["feedback"].str.startswith("Correct.").all()


def test_wrong_answers_get_zero_and_the_question_s_hint(honest):
    rows = _file(honest, "wrong.ipynb")
    assert (rows["status"] == "incorrect").all() and rows["points"].sum() == 0
    assert (rows["student"] == "s42").all()
    assert rows.loc["q1", "feedback"].startswith("Far off.")
    assert "Satisfaction is latent" in rows.loc["q4", "feedback"]
    assert "staffed 3 agent(s)" in rows.loc["q5", "feedback"]
    assert rows.loc["q5", "max_points"] == 2


def test_the_gradebook_csv_has_the_columns_and_a_row_per_question(honest):
    with honest.path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert tuple(rows[0]) == COLUMNS
    assert len(rows) == 10
    assert [r["file"] for r in rows] == ["reference.ipynb"] * 5 + ["wrong.ipynb"] * 5
    assert sorted(p.name for p in honest.path.parent.iterdir()) == [
        "gradebook.csv", "reference.ipynb", "wrong.ipynb"]  # no temporary file left
    totals = honest.totals()
    assert totals.loc["demo", "total"] == 6 and totals.loc["s42", "total"] == 0
    assert (totals["of"] == 6).all()
    assert honest.notes == ("reference.ipynb: graded with student id 'demo', not the "
                            "student's own",)


# -- broken and hostile work ---------------------------------------------------------------------
def test_a_cell_that_raises_costs_only_its_question(hostile):
    rows = _file(hostile[0], "raises.ipynb")
    assert rows.loc["q1", "status"] == "error"
    assert "raised ZeroDivisionError: division by zero" in rows.loc["q1", "feedback"]
    assert "cell 5 (`answer_q1 = None`)" in rows.loc["q1", "feedback"]
    assert rows.loc["q4", "status"] == "correct" and rows["points"].sum() == 1
    assert rows.loc[["q2", "q3", "q5"], "status"].eq("not attempted").all()


def test_an_endless_loop_is_interrupted_and_the_rest_is_graded(hostile):
    rows = _file(hostile[0], "loop.ipynb")
    assert rows.loc["q1", "status"] == "timed out"
    assert f"ran for more than {TIMEOUT} s" in rows.loc["q1", "feedback"]
    assert rows.loc["q4", "status"] == "correct"


def test_a_strategy_that_loops_when_checked_costs_only_its_question(hostile):
    rows = _file(hostile[0], "spin.ipynb")
    assert rows.loc["q5", "status"] == "timed out"
    assert f"checking the answer took more than {TIMEOUT} s" in rows.loc["q5", "feedback"]
    assert rows.loc["q4", "status"] == "correct" and rows["points"].sum() == 1


def test_a_loop_that_ignores_the_interrupt_stops_the_kernel(hostile):
    rows = _file(hostile[0], "stuck.ipynb")
    assert (rows["status"] == "timed out").all() and rows["points"].sum() == 0
    assert rows["feedback"].str.contains("ignored the interrupt").all()


def test_a_notebook_that_kills_its_kernel_gets_zero_with_the_reason(hostile):
    rows = _file(hostile[0], "exit.ipynb")
    assert (rows["status"] == "error").all() and rows["points"].sum() == 0
    assert rows["feedback"].str.contains("kernel died in cell 17").all()
    assert (rows["student"] == "demo").all()  # read from the setup cell's source


def test_printed_fake_verdicts_are_ignored(hostile):
    rows = _file(hostile[0], "garbage.ipynb")
    assert rows.loc["q4", "status"] == "incorrect"
    assert rows["points"].sum() == 0


def test_a_patched_check_does_not_grade(hostile):
    book, _, marker = hostile
    assert marker.read_text() == "True"  # the patch fooled the notebook's own check
    rows = _file(book, "patch.ipynb")
    assert rows.loc["q4", "status"] == "incorrect" and rows["points"].sum() == 0
    assert rows.loc[["q1", "q2", "q3", "q5"], "status"].eq("not attempted").all()


def test_an_input_transformer_that_rewrites_the_grader_s_cells_earns_nothing(hostile):
    rows = _file(hostile[0], "transformer.ipynb")
    assert rows["points"].sum() == 0 and (rows["status"] == "incorrect").all()
    # Its forged hand-ins did reach the judge, which read them as the text answer "forged"
    # and ignored the verdict, points and check they claimed.
    assert rows.loc["q1", "feedback"] == "Give a number (an int or a float), not text."
    assert rows.loc["q5", "feedback"].startswith("Give your strategy function itself")


def test_a_patched_json_earns_nothing(hostile):
    rows = _file(hostile[0], "jsonpatch.ipynb")
    assert rows["points"].sum() == 0 and (rows["status"] == "error").all()
    assert rows["feedback"].str.contains("not the grader's hand-in for this question").all()
    assert (rows["student"] == "cheat2").all()


def test_forged_files_print_and_stdout_earn_nothing(hostile):
    rows = _file(hostile[0], "forgery.ipynb")
    assert rows["points"].sum() == 0 and (rows["status"] == "incorrect").all()
    assert rows.loc["q4", "feedback"].startswith("Give one letter as text")  # the forged 1


def test_the_notebook_s_transformers_are_removed_before_the_grader_s_cells(hostile):
    rows = _file(hostile[0], "hooks.ipynb")  # left in place, they would break its hand-in
    assert rows.loc["q4", "status"] == "correct" and rows["points"].sum() == 1


def test_exit_in_a_cell_gets_zero_with_the_reason(hostile):
    rows = _file(hostile[0], "ipyexit.ipynb")
    assert (rows["status"] == "error").all() and rows["points"].sum() == 0
    assert rows["feedback"].str.contains(r"exits Python in cell 14 \(`answer_q4").all()


def test_a_silenced_stdout_does_not_lose_the_grades(hostile):
    rows = _file(hostile[0], "s1/00_first_run.ipynb")
    assert rows.loc["q4", "status"] == "correct" and (rows["student"] == "s1").all()
    assert rows.loc[["q1", "q2", "q3", "q5"], "status"].eq("not attempted").all()


def test_a_notebook_without_setup_or_for_another_exercise_gets_zero(hostile):
    rows = _file(hostile[0], "nosetup.ipynb")
    assert (rows["status"] == "error").all()
    assert rows["feedback"].str.contains(r"exercises.setup\(...\) never ran").all()
    rows = _file(hostile[0], "other.ipynb")
    assert (rows["status"] == "error").all() and list(rows.index) == ALL
    assert (rows["student"] == "s-other").all()
    assert rows["feedback"].str.contains("set up for exercise '01_why_crm', not "
                                         "'00_first_run'").all()


def test_files_that_are_not_notebooks_get_zero_for_every_question(hostile):
    rows = _file(hostile[0], "junk_00_first_run.ipynb")  # the exercise is in its name
    assert list(rows.index) == ALL and (rows["status"] == "error").all()
    assert rows["feedback"].str.startswith("not a readable Jupyter notebook").all()
    rows = _file(hostile[0], "mystery.ipynb")
    assert len(rows) == 1 and rows["status"].iloc[0] == "error"
    assert "cannot tell which exercise" in rows["feedback"].iloc[0]


def test_the_gradebook_covers_every_notebook_and_notes_what_to_check(hostile):
    book, folder, _ = hostile
    assert sorted(book.table["file"].unique()) == sorted(
        p.relative_to(folder).as_posix() for p in folder.rglob("*.ipynb")
        if ".ipynb_checkpoints" not in p.parts)
    assert set(book.table["status"]) == {"correct", "incorrect", "not attempted",
                                         "timed out", "error"}
    assert (book.table["points"] <= book.table["max_points"].fillna(0)).all()
    notes = "\n".join(book.notes)
    assert "skipped 1 file(s) that are not .ipynb: s1/notes.txt" in notes
    assert ("student id 's-loop' submitted 00_first_run in 2 files: loop.ipynb, raises.ipynb"
            in notes)
    assert "patch.ipynb" not in notes  # graded with its own id
    assert "exit.ipynb" not in notes  # failed, not graded with a default id


def test_student_text_cannot_become_a_spreadsheet_formula(hostile):
    text = hostile[0].path.read_text(encoding="utf-8")
    assert "'=cmd|" in text and ",=cmd" not in text
    assert "\x1b" not in text and "\x00" not in text


def test_totals_keep_a_student_s_best_file(hostile):
    totals = hostile[0].totals()
    assert totals.loc["s1", "total"] == 1
    assert totals.loc["s-loop", "total"] == 1  # two files of 1 point each: the best, not 2
    assert totals.loc["(nosetup.ipynb)", "total"] == 0  # no student id: listed by file
    assert (totals["of"] == 6).all()


def test_the_notebook_time_limit_skips_the_cells_left(student_copy, tmp_path):
    _submit(student_copy, tmp_path, "slow.ipynb", {
        SETUP: 'from sim import exercises\nparams = exercises.setup("00_first_run", "s9")\n'
               'answer_q4 = "b"',
        "answer_q1 = None": "answer_q1 = None\nimport time\ntime.sleep(60)",
        "answer_q2 = None": "answer_q2 = 2.5"})
    rows = grade_notebook(tmp_path / "slow.ipynb", timeout=60,
                          notebook_timeout=8).set_index("question")
    assert rows.loc["q1", "status"] == "timed out"
    assert "ran out of its 8 s time limit in cell 5" in rows.loc["q1", "feedback"]
    assert rows.loc["q2", "status"] == "timed out"
    assert "time limit before cell 8 (`answer_q2 = 2.5`)" in rows.loc["q2", "feedback"]
    assert rows.loc["q4", "status"] == "correct"  # set before the limit, graded all the same


_MEASURE = """
import resource, sys
import jupyter_client, nbclient, nbformat, zmq  # imported before the first measurement
from sim.exercises.grading import grade_notebook
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
rows = grade_notebook(sys.argv[1], timeout=60).set_index("question")
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(after - before, rows.loc["q4", "status"])
"""


def test_a_huge_print_costs_the_grader_no_memory(student_copy, tmp_path):
    """100 MB printed at once: ZeroMQ refuses the message before the grader reads it (without
    the cap the grader's peak memory grew by about 300 MB)."""
    pytest.importorskip("resource")
    _submit(student_copy, tmp_path, "big.ipynb", {
        SETUP: 'from sim import exercises\nparams = exercises.setup("00_first_run", "s-big")',
        "answer_q1 = None": "answer_q1 = None\nprint('x' * 100_000_000)",
        "answer_q4 = None": 'answer_q4 = "b"'})
    done = subprocess.run([sys.executable, "-c", _MEASURE, str(tmp_path / "big.ipynb")],
                          capture_output=True, text=True, timeout=120, check=True)
    grown, q4 = done.stdout.split()
    megabytes = int(grown) / (1024 * 1024 if sys.platform == "darwin" else 1024)
    assert q4 == "correct"  # the notebook is still graded
    assert megabytes < 60, f"the grader's peak memory grew by {megabytes:.0f} MB"


# -- the parts, without kernels: plain data, replays, the judge -----------------------------------
def _round_trip(value):
    return decode(json.loads(json.dumps(encode(value), allow_nan=False)))


Point = namedtuple("Point", "x y")


@pytest.mark.parametrize("value", [
    None, True, 7, 2.5, "b", ..., [1, (2, "x")], {3, 4}, frozenset({"a"}), {1: 0.5, "k": [None]},
    np.float64(0.25), np.int64(-3), np.bool_(False), np.str_("c"), np.arange(6).reshape(2, 3),
    np.array(["a", "bb"]), np.array([(1, 2), None], dtype=object),
    Actions(agents=3, mass_spend=1e3, cross_sell=(1, 2), target_segments=("a",)),
], ids=repr)
def test_plain_values_come_back_equal_and_of_the_same_type(value):
    out = _round_trip(value)
    assert type(out) is type(value)
    if isinstance(value, np.ndarray):
        assert out.dtype == value.dtype and out.tolist() == value.tolist()
    else:
        assert out == value


def test_floats_tables_and_other_values_come_back_as_the_checks_see_them():
    nan = _round_trip([math.nan, -math.inf, np.array([1.0, np.nan])])
    assert math.isnan(nan[0]) and nan[1] == -math.inf and np.isnan(nan[2][1])
    series = pd.Series([3, 1], index=[10, 11], name="ids")
    pd.testing.assert_series_equal(_round_trip(series), series)
    frame = pd.DataFrame({"x": [1, 2], "y": [0.5, math.nan]}, index=["a", "b"])
    pd.testing.assert_frame_equal(_round_trip(frame), frame)
    pd.testing.assert_index_equal(_round_trip(pd.Index([5, 6], name="n")),
                                  pd.Index([5, 6], name="n"))
    assert _round_trip(Point(1, 2)) == (1, 2)  # a named tuple: its values
    assert _round_trip(strategies.operational) is strategies.PRESETS["operational"]
    # Anything else: an object of the same type name, with a shape if it had one.
    for value, shaped in ((pd.Timestamp("2024-01-01"), False), (np.datetime64("2024"), True),
                          (1 + 2j, False)):
        out = _round_trip(value)
        assert type(out).__name__ == type(value).__name__ and hasattr(out, "shape") == shaped


@pytest.mark.parametrize("data", [
    {"$": "eval", "v": "1"}, [1, 2], {"v": 1}, {"$": "float", "v": "1e9"},
    {"$": "ndarray", "dtype": "<i8", "shape": [3], "v": [1]},
    {"$": "ndarray", "dtype": "<i8", "shape": [1], "v": ["x"]},
    {"$": "ndarray", "dtype": "M8[ns]", "shape": [1], "v": [1]},
    {"$": "Actions", "v": {"agents": 2, "delete_everything": True}},
    {"$": "dict", "v": [[{"$": "list", "v": []}, 1]]},
])
def test_malformed_plain_data_is_refused(data):
    with pytest.raises(PlainError):
        decode(data)


def test_values_too_deep_to_hand_in_are_refused():
    deep: list = []
    for _ in range(MAX_DEPTH + 2):
        deep = [deep]
    with pytest.raises(PlainError, match="nested more than"):
        encode(deep)


def test_a_replay_gives_back_the_recorded_calls_with_the_signature_and_name():
    def pick(customers, n=3, *, sort=True):
        if customers is None:
            raise ZeroDivisionError("division by zero")
        return pd.Series(customers[:n])

    recorder = Recorder(pick)
    assert inspect.signature(recorder.function) == inspect.signature(pick)
    assert recorder.function([7, 8, 9, 10]).tolist() == [7, 8, 9]
    with pytest.raises(ZeroDivisionError):
        recorder.function(None)
    again = replay(json.loads(json.dumps(recorder.record())))
    def shape(function):  # what binding looks at: names, kinds, whether there is a default
        return [(p.name, p.kind, p.default is p.empty)
                for p in inspect.signature(function).parameters.values()]

    assert shape(again) == shape(pick)
    assert again.__name__ == "pick" and type(again).__name__ == "function"
    assert again("anything", 1).tolist() == [7, 8, 9]  # the record, whatever the arguments
    with pytest.raises(Exception, match=r"^division by zero$") as raised:
        again(None)
    assert type(raised.value).__name__ == "ZeroDivisionError"
    assert again.finished() == ""
    with pytest.raises(Exception, match="more often than the 2 time"):
        again(None)
    assert "more often" in again.finished()


def test_sim_s_own_errors_are_replayed_as_themselves():
    def strategy(view):
        raise ActionsError("Actions.agents = 0: must be a whole number")

    recorder = Recorder(strategy)
    with pytest.raises(ActionsError):
        recorder.function(None)
    again = replay(recorder.record())
    with pytest.raises(ActionsError, match=r"^Actions\.agents = 0"):
        again(None)


def _strategy(agents):
    params = EXERCISES["00_first_run"].params("s-judge")

    def my_strategy(view):
        return Actions(mass_spend=params.mass_spend, agents=agents)

    return my_strategy


def test_the_judge_grades_what_was_handed_in_never_what_the_hand_in_claims(tmp_path):
    params = EXERCISES["00_first_run"].params("s-judge")
    path = tmp_path / "answer-q4.json"
    write_answer(path, "q4", "b", grade, params)
    assert judge(path, "00_first_run", "s-judge", "q4")[0] == "correct"
    assert judge(path, "00_first_run", "s-judge", "q3")[0] == "error"  # not its question
    forged = {"format": 1, "question": "q4", "answer": "a", "status": "correct",
              "checked": {"status": "correct"}, "points": 99}
    path.write_text(json.dumps(forged))
    assert judge(path, "00_first_run", "s-judge", "q4")[0] == "incorrect"
    path.write_text(json.dumps({"question": "q4", "status": "correct", "message": "forged"}))
    assert judge(path, "00_first_run", "s-judge", "q4")[0] == "error"
    path.write_text("not json")
    assert judge(path, "00_first_run", "s-judge", "q4")[0] == "error"


def test_a_function_is_judged_on_its_replayed_run(tmp_path):
    params = EXERCISES["00_first_run"].params("s-judge")
    right, wrong = tmp_path / "right.json", tmp_path / "wrong.json"
    write_answer(right, "q5", _strategy(2), grade, params)
    write_answer(wrong, "q5", _strategy(3), grade, params)
    assert judge(right, "00_first_run", "s-judge", "q5")[0] == "correct"
    status, message = judge(wrong, "00_first_run", "s-judge", "q5")
    assert status == "incorrect" and "staffed 3 agent(s)" in message
    # The kernel's own check may lower a grade (it saw the function run), never raise one.
    data = json.loads(wrong.read_text())
    data["checked"] = {"status": "correct", "message": "forged"}
    wrong.write_text(json.dumps(data))
    assert judge(wrong, "00_first_run", "s-judge", "q5")[0] == "incorrect"
    data = json.loads(right.read_text())
    data["checked"] = {"status": "incorrect", "message": "took 30 s of processor time"}
    right.write_text(json.dumps(data))
    assert judge(right, "00_first_run", "s-judge", "q5") == ("incorrect",
                                                              "took 30 s of processor time")
    # A record that does not fit the run is an error, not a grade.
    data["answer"]["calls"] = data["answer"]["calls"][:5]
    right.write_text(json.dumps(data))
    status, message = judge(right, "00_first_run", "s-judge", "q5")
    assert status == "error" and "does not fit a run of it" in message


# -- the parser and the arguments ------------------------------------------------------------------
def test_the_verdict_parser_needs_the_nonce_and_one_clean_payload():
    nonce = "ab" * 16

    def wrap(body, n=nonce):
        return f"@@CRMLAB-GRADER-BEGIN-{n}@@{body}@@CRMLAB-GRADER-END-{n}@@"

    good = json.dumps({"question": "q1", "status": "correct"})
    assert _verdict("noise\x00" + wrap(good) + "\nmore", nonce) == json.loads(good)
    assert _verdict(wrap(good, "0" * 32), nonce) is None  # another nonce
    assert _verdict(wrap(good) + wrap(good), nonce) is None  # ambiguous
    assert _verdict(wrap("{not json"), nonce) is None
    assert _verdict(wrap("[1, 2]"), nonce) is None
    assert _verdict(None, nonce) is None


@pytest.mark.parametrize(("kwargs", "says"), [
    ({"timeout": 0}, "timeout = 0"), ({"timeout": float("nan")}, "timeout = nan"),
    ({"notebook_timeout": -1}, "notebook_timeout = -1"), ({"jobs": 0}, "jobs = 0"),
    ({"jobs": 1.5}, "jobs = 1.5"), ({"exercise": "99_nope"}, "'99_nope' is not registered"),
])
def test_bad_arguments_are_refused(tmp_path, kwargs, says):
    with pytest.raises(GradingError, match=says):
        grade_submissions(tmp_path, tmp_path / "book.csv", **kwargs)


def test_a_missing_or_empty_folder_is_refused(tmp_path):
    with pytest.raises(GradingError, match="does not exist"):
        grade_submissions(tmp_path / "missing")
    (tmp_path / "a.txt").write_text("a")
    with pytest.raises(GradingError, match=r"no \.ipynb files"):
        grade_submissions(tmp_path)


def test_grading_works_inside_a_running_event_loop(tmp_path):
    """A Jupyter notebook runs an event loop: grading from one must still work."""
    path = tmp_path / "03_acquire_s9.ipynb"
    path.write_text("not json")

    async def from_a_notebook():
        return grade_notebook(path)

    rows = asyncio.run(from_a_notebook())
    assert list(rows["exercise"].unique()) == ["03_acquire"]
    assert len(rows) == len(EXERCISES["03_acquire"].questions)  # one row per question


def test_the_command_line_grades_and_prints_totals(student_copy, tmp_path, capsys):
    _submit(student_copy, tmp_path, "s7.ipynb", {
        SETUP: 'from sim import exercises\nparams = exercises.setup("00_first_run", "s7")',
        "answer_q4 = None": 'answer_q4 = "b"'})
    parser = argparse.ArgumentParser(prog="python -m sim")
    cli.add_parser(parser.add_subparsers(dest="command"))
    out = tmp_path / "book.csv"
    args = parser.parse_args(["exercises", "grade", str(tmp_path), "--out", str(out),
                              "--timeout", "60", "--jobs", "1"])
    assert cli.main(args) == 0
    printed = capsys.readouterr().out
    assert "[1/1] s7.ipynb: 1 of 6 points (s7," in printed
    assert "s7" in printed.split("\n\n")[1]  # the totals table
    assert f"wrote {out} (5 rows: 4 not attempted, 1 correct)" in printed
    args = parser.parse_args(["exercises", "grade", str(tmp_path / "none")])
    assert cli.main(args) == 2
    assert capsys.readouterr().err.startswith("error: submissions folder")

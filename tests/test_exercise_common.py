"""What every registered exercise must do, whoever wrote it (DESIGN section 11; issue 7).

Each exercise's own test file checks its questions' answers and hints; this one checks the
contract they share, for every exercise the package registers: three to six questions and a
notebook that starts it; parameters that depend on the student id alone and differ between
students; None reported as not attempted; the reference answers accepted; and a second check
that runs no simulation (runs are cached, so checking again is instant for a student).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sim import exercises
from sim.engine import model as engine
from sim.exercises.questions import ChoiceQuestion, NumberQuestion

ROOT = Path(__file__).resolve().parents[1]
NAMES = sorted(exercises.EXERCISES)


def test_every_exercise_notebook_is_registered():
    notebooks = {p.stem for p in (ROOT / "exercises").glob("*.ipynb")}
    assert notebooks == set(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_three_to_six_questions_and_a_notebook_that_starts_the_exercise(name):
    exercise = exercises.EXERCISES[name]
    assert 3 <= len(exercise.questions) <= 6, exercise.question_ids
    notebook = ROOT / "exercises" / f"{name}.ipynb"
    code = "".join("".join(c["source"]) for c in json.loads(notebook.read_text())["cells"]
                   if c["cell_type"] == "code")
    assert f'exercises.setup("{name}"' in code
    for qid in exercise.question_ids:
        assert f'exercises.check("{qid}"' in code, f"{name}: no check cell for {qid}"


@pytest.mark.parametrize("name", NAMES)
def test_parameters_depend_on_the_student_id_alone_and_differ_between_students(name):
    exercise = exercises.EXERCISES[name]
    assert exercise.params("s1") == exercise.params(" S1 ")  # case and spaces do not count
    defaults = exercise.params(None)
    assert {key: defaults[key] for key in defaults} == dict(exercise.defaults)
    seeds = {exercise.params(f"student{i}").seed for i in range(20)}
    assert len(seeds) >= 18  # a few collisions at most among 20 students


@pytest.mark.parametrize("name", NAMES)
def test_none_is_reported_as_not_attempted(name):
    exercises.setup(name, student_id="demo")
    for qid in exercises.EXERCISES[name].question_ids:
        feedback = exercises.check(qid, None)
        assert not feedback.correct and not feedback.attempted, (qid, feedback)
        assert "not attempted" in feedback.message.lower()


@pytest.mark.parametrize("name", NAMES)
def test_reference_answers_pass_and_a_second_check_runs_no_simulation(name, monkeypatch):
    params = exercises.setup(name, student_id="demo")
    # Numbers and choices (a coding task's function is run afresh on every check).
    numeric = [q for q in exercises.EXERCISES[name].questions
               if isinstance(q, NumberQuestion | ChoiceQuestion)]
    answers = {q.id: q.expected(params) for q in numeric}
    for qid, answer in answers.items():
        assert exercises.check(qid, answer).correct, (qid, answer)
    runs = []
    real = engine.Model.__init__

    def counting(self, *args, **kwargs):
        runs.append(args)
        real(self, *args, **kwargs)

    monkeypatch.setattr(engine.Model, "__init__", counting)
    for qid, answer in answers.items():
        assert exercises.check(qid, answer).correct
    assert runs == [], f"{name}: checking again ran {len(runs)} simulation(s)"


@pytest.mark.parametrize("name", NAMES)
def test_a_malformed_choice_gets_a_hint_that_says_how_to_answer(name):
    exercises.setup(name, student_id="demo")
    for q in exercises.EXERCISES[name].questions:
        if not isinstance(q, ChoiceQuestion):
            continue
        letters = sorted(q.options)
        unknown = next(c for c in "zyxwv" if c not in q.options)
        for answer, hint in ((letters[0] + letters[1], "exactly one"),
                             (unknown, "one of the letters"), (2, "one letter")):
            feedback = exercises.check(q.id, answer)
            assert not feedback.correct and feedback.attempted, (q.id, answer)
            assert hint in feedback.message.lower(), (q.id, answer, feedback.message)

"""The grader's judge: grades the answers a notebook handed in, where no student code has run.

The judge is a second, fresh kernel that the grader starts for each submission and in which it
runs nothing but this module. For each question, :func:`main` reads the hand-in file
(:mod:`.handin`) that the grader copied out of the student's kernel, rebuilds the student's
parameters from the exercise and id the notebook claimed, and grades the answer with the
registry's own :func:`~sim.exercises.grade`:

- a number, a letter or any other value is built again from plain data (:mod:`.plain`) and
  checked as it is;
- a function is replayed from the record of its calls (:mod:`.calls`): the check runs the
  simulation again here, with the plans the function made, and judges that run. A record that
  does not fit the run is an error. The check the student's kernel ran on the same function
  can only lower the grade (it saw what a replay cannot: how long the function took).

The verdict is printed as JSON between markers holding the grader's nonce, which the grader
reads from this kernel's output (:func:`sim.exercises.verdicts._verdict`); the student's kernel
has no say in it.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from . import calls, plain
from .handin import FORMAT
from .registry import EXERCISES, grade

__all__ = ["judge", "main"]

_MESSAGE = 500  # characters of a message from the student's kernel kept


def _describe(err: BaseException) -> str:
    return f"{type(err).__name__}: {str(err)[:300]}"


def judge(path: str | Path, exercise: str, student: str | None,
          question: str) -> tuple[str, str]:
    """The verdict on the answer handed in at ``path``.

    Parameters
    ----------
    path : str or Path
        The hand-in file (JSON written by :func:`sim.exercises.handin.write_answer`).
    exercise, student : str
        The exercise and student id the notebook was set up with (None: the defaults).
    question : str
        The question id the file must answer.

    Returns
    -------
    tuple of str
        ``(status, message)``: status ``"correct"``, ``"incorrect"`` or ``"not attempted"``
        with the check's message, or ``"error"`` with the reason the answer cannot be graded.
    """
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        return "error", f"the answer handed in is not readable JSON ({_describe(err)})"
    if type(data) is not dict or data.get("format") != FORMAT or data.get("question") != question:
        return "error", "the answer handed in is not the grader's hand-in for this question"
    if "unreadable" in data:
        return "error", (f"the answer cannot be graded: {str(data['unreadable'])[:300]}; give "
                         "a number, a text or a function, as the question asks")
    params = EXERCISES[exercise].params(student)
    answer: Any = data.get("answer")
    if type(answer) is dict and answer.get("$") == "function":
        return _judge_function(params, question, answer, data.get("checked"))
    try:
        value = plain.decode(answer)
    except plain.PlainError as err:
        return "error", f"the answer handed in could not be read back ({err})"
    feedback = grade(params, question, value)
    return feedback.status, feedback.message


def _judge_function(params, question: str, record: dict, checked: Any) -> tuple[str, str]:
    try:
        replayed = calls.replay(record)
    except plain.PlainError as err:
        return "error", f"the function's record could not be read back ({err})"
    try:
        feedback = grade(params, question, replayed)
    except plain.PlainError as err:
        return "error", f"the function's record could not be read back ({err})"
    mismatch = replayed.finished()
    if mismatch:
        return "error", (f"the record of the function's calls does not fit a run of it: "
                         f"{mismatch} (did the notebook change the simulation, or Python?)")
    if (feedback.status == "correct" and type(checked) is dict
            and checked.get("status") == "incorrect"):
        # The kernel saw the function run; a replay does not (its time, for one). Believing
        # the kernel here can only cost the student points, never earn them.
        return "incorrect", str(checked.get("message", ""))[:_MESSAGE]
    return feedback.status, feedback.message


def main(nonce: str, path: str, exercise: str, student: str | None, question: str) -> None:
    """Judge one hand-in and print the verdict between the grader's markers (in the judge).

    Parameters
    ----------
    nonce : str
        The grader's random marker for this submission.
    path, exercise, student, question
        As for :func:`judge`.
    """
    payload: dict[str, str] = {"question": question}
    try:
        payload["status"], payload["message"] = judge(path, exercise, student, question)
    except Exception as err:  # a check that fails on a strange answer: an error, not a crash
        payload["error"] = f"checking the answer raised {_describe(err)}"
    # This kernel's stdout is the channel back to the grader (only the grader's code runs here).
    sys.stdout.write(f"\n@@CRMLAB-GRADER-BEGIN-{nonce}@@{json.dumps(payload)}"
                     f"@@CRMLAB-GRADER-END-{nonce}@@\n")
    sys.stdout.flush()

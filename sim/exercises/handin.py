"""What a student's kernel hands to the grader: each answer as a file of plain data.

The grader runs :func:`write_answer` in the student's kernel, once per question, after the
notebook's own cells: it turns the variable ``answer_<question id>`` into JSON with
:mod:`.plain` and writes it to a file the grader named. A function is handed in as the record
of its calls (:mod:`.calls`), made while the question's check runs it right there; that check's
verdict goes along too, but only as a veto: the grader's judge (:mod:`.judge`), which reads
these files in a process of its own, may lower a grade because of it and never raise one.

Nothing in a hand-in is trusted: the notebook's code ran in this interpreter first and may
have changed anything in it, so a file may say anything. It is data to be judged, never a
verdict.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from . import calls, plain
from .feedback import Params

__all__ = ["FORMAT", "write_answer"]

#: Version of the hand-in files' layout, checked by the judge.
FORMAT = 1


def _is_function(value: Any) -> bool:
    """Whether ``value`` is handed in as the record of its calls rather than as data."""
    from ..strategies import Preset

    return callable(value) and not isinstance(value, Preset)  # a preset: by its name


def write_answer(path: str | Path, question: str, answer: Any, grade: Callable,
                 params: Params) -> None:
    """Write ``answer`` to ``question`` to ``path`` as JSON (a temporary file, renamed).

    Parameters
    ----------
    path : str or Path
        The file to write.
    question : str
        The question id.
    answer : object
        The value of ``answer_<question>`` (None when the notebook never set it).
    grade : callable
        :func:`sim.exercises.grade`, as imported afresh by the grader.
    params : Params
        The student's parameters, rebuilt from their id.
    """
    payload: dict[str, Any] = {"format": FORMAT, "question": question}
    if _is_function(answer):
        recorder = calls.Recorder(answer)
        try:  # the check runs the function, and the recorder keeps what it returned
            feedback = grade(params, question, recorder.function)
            payload["checked"] = {"status": str(feedback.status),
                                  "message": str(feedback.message)[:500]}
        except Exception as err:  # the judge will meet the same error, or say why not
            payload["checked"] = {"error": f"{type(err).__name__}: {str(err)[:300]}"}
        payload["answer"] = recorder.record()
    else:
        try:
            payload["answer"] = plain.encode(answer)
        except plain.PlainError as err:
            payload["unreadable"] = str(err)
    tmp = Path(f"{path}.tmp")
    with tmp.open("w", encoding="utf-8") as fh:
        json.dump(payload, fh, allow_nan=False, separators=(",", ":"))
    os.replace(tmp, path)

"""The exercise registry and the student-facing calls: setup, check, grade."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from .feedback import Feedback, ParamDraws, Params
from .questions import Question


# -- exercises and the registry -------------------------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class Exercise:
    """An exercise: a parameter factory and its questions.

    Attributes
    ----------
    name : str
        Id used in :func:`setup`, e.g. ``"00_first_run"``.
    title : str
        Human title.
    make_params : callable
        ``make_params(draws: ParamDraws) -> dict``: one student's parameters.
    defaults : Mapping
        Parameters when no student id is given.
    questions : tuple of Question
    """

    name: str
    title: str
    make_params: Callable[[ParamDraws], dict]
    defaults: Mapping[str, Any]
    questions: tuple[Question, ...]

    def params(self, student_id: str | int | None = None) -> Params:
        """Parameters for ``student_id`` (the defaults for None)."""
        sid = _normalise_id(student_id)
        if sid is None:
            return Params(self.name, None, self.defaults)
        return Params(self.name, sid, self.make_params(ParamDraws(f"{self.name}:{sid}")))

    @property
    def question_ids(self) -> tuple[str, ...]:
        return tuple(q.id for q in self.questions)

    def question(self, qid: str) -> Question:
        """The question called ``qid`` (case-insensitive); a clear error lists the ids."""
        key = str(qid).strip().lower()
        for q in self.questions:
            if q.id.lower() == key:
                return q
        raise ValueError(f"unknown question {qid!r} in exercise {self.name!r}: questions are "
                         f"{', '.join(self.question_ids)}")


def _normalise_id(student_id) -> str | None:
    if student_id is None:
        return None
    if isinstance(student_id, bool) or not isinstance(student_id, str | int):
        raise TypeError(f"student_id must be text or a whole number, got {student_id!r}")
    sid = str(student_id).strip().casefold()
    if not sid:
        raise ValueError("student_id is empty: give your student id, or None for the defaults")
    return sid


#: Registered exercises by name.
EXERCISES: dict[str, Exercise] = {}


def register(exercise: Exercise) -> Exercise:
    """Make ``exercise`` available to :func:`setup`; names must be unique."""
    if exercise.name in EXERCISES:
        raise ValueError(f"an exercise called {exercise.name!r} is already registered")
    ids = exercise.question_ids
    if len(set(ids)) != len(ids):
        raise ValueError(f"exercise {exercise.name!r} repeats a question id: {ids}")
    EXERCISES[exercise.name] = exercise
    return exercise


def available() -> list[str]:
    """Names of the registered exercises."""
    return list(EXERCISES)


def _exercise(name: str) -> Exercise:
    try:
        return EXERCISES[name]
    except KeyError:
        raise ValueError(f"unknown exercise {name!r}: exercises are "
                         f"{', '.join(EXERCISES)}") from None


def grade(params: Params, question: str, answer: Any) -> Feedback:
    """Check ``answer`` to ``question`` for explicit ``params`` (no session needed).

    Parameters
    ----------
    params : Params
        From :func:`setup` or ``EXERCISES[name].params(student_id)``.
    question : str
        Question id, e.g. ``"q1"``.
    answer : object
        The student's answer (a number, a letter or a function, by question).

    Returns
    -------
    Feedback
    """
    q = _exercise(params.exercise).question(question)
    verdict, message = q.assess(answer, params)
    return Feedback(question=q.id, correct=verdict is True, message=message,
                    points=q.points if verdict is True else 0.0, max_points=q.points,
                    attempted=verdict is not None)


# The current exercise session of this kernel: set by setup, read by check. Holds no random
# state, only the parameters the student's notebook works with.
_session: dict[str, Params] = {}


def setup(exercise: str, student_id: str | int | None = None) -> Params:
    """Start an exercise: return its parameters and remember them for :func:`check`.

    Parameters
    ----------
    exercise : str
        Exercise name, e.g. ``"00_first_run"`` (see :func:`available`).
    student_id : str or int, optional
        Your student id. Different ids give different numbers; the same id always gives the
        same ones (SHA-256, not Python's salted ``hash``). None gives the default parameters.

    Returns
    -------
    Params
    """
    params = _exercise(exercise).params(student_id)
    _session["params"] = params
    return params


def check(question: str, answer: Any) -> Feedback:
    """Check an answer to ``question`` of the exercise started by :func:`setup`.

    Parameters
    ----------
    question : str
        Question id, e.g. ``"q1"``.
    answer : object
        Your answer; ``None`` means not attempted yet.

    Returns
    -------
    Feedback
        Displays as a short verdict with a hint; the hint never gives the right value away.
    """
    if "params" not in _session:
        raise RuntimeError('no exercise started: call exercises.setup("<exercise>", '
                           'student_id=...) first')
    return grade(_session["params"], question, answer)



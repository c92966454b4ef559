"""Exercise feedback: per-student parameters and answer checks with graded hints (DESIGN 11).

A student's exercise notebook does::

    from sim import exercises
    params = exercises.setup("00_first_run", student_id="s1234567")
    ...                                   # simulate with params.seed, compute an answer
    exercises.check("q1", answer)         # -> Feedback: correct or not, points and a hint

:func:`setup` derives the exercise's parameters (a seed, amounts of money) from the student id
with SHA-256, so every student works on their own numbers and the same id always gives the same
ones, on any machine and any version of Python or NumPy. :func:`check` computes the right answer
for those parameters, running the simulation where needed (runs are cached, so a second check is
instant), and returns a :class:`Feedback`. A wrong answer gets a hint that names the likely
mistake (not attempted, wrong type, wrong table or strategy, percent instead of fraction,
rounding); the message never contains the right value.

Extending: an :class:`Exercise` is a name, a parameter factory and a tuple of questions
(:class:`NumberQuestion`, :class:`ChoiceQuestion`, :class:`StrategyQuestion`, or a subclass of
:class:`Question`); :func:`register` makes it available to :func:`setup`. A module of this
package named ``exNN_<topic>.py`` (the exercise of course notebook NN) is imported, and so
registers its exercise, when the package is; no list of exercises needs editing.
:func:`grade` checks an answer against explicit parameters without the notebook session, for
grading tools.
"""

import importlib
import pkgutil
import re

from . import first_run  # noqa: F401  (registers exercise 00)
from .feedback import Feedback, ParamDraws, Params
from .questions import ChoiceQuestion, Mistake, NumberQuestion, Question, StrategyQuestion
from .registry import EXERCISES, Exercise, available, check, grade, register, setup

__all__ = [
    "EXERCISES",
    "ChoiceQuestion",
    "Exercise",
    "Feedback",
    "Mistake",
    "NumberQuestion",
    "ParamDraws",
    "Params",
    "Question",
    "StrategyQuestion",
    "available",
    "check",
    "grade",
    "register",
    "setup",
]

# Exercise modules register themselves on import: every exNN_<topic> module of this package
# (and only those: a helper module that merely starts with "ex" is not an exercise).
for _module in sorted(m.name for m in pkgutil.iter_modules(__path__)
                      if re.fullmatch(r"ex\d{2}_\w+", m.name)):
    importlib.import_module(f"{__name__}.{_module}")

"""Question kinds: numbers with tolerance, multiple choice, and strategy-writing tasks."""

from __future__ import annotations

import inspect
import math
import numbers
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ..actions import Actions
from ..engine import run
from ..errors import ActionsError
from ..scenario import Scenario
from ..strategies import Preset
from .feedback import Params


# -- questions ------------------------------------------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class Question:
    """One question of an exercise. Subclasses implement :meth:`expected` and :meth:`assess`.

    Attributes
    ----------
    id : str
        Short id used in ``check("q1", ...)``.
    text : str
        The question in one line (for grading reports; notebooks state it in full).
    points : float
        Points for a correct answer.
    """

    id: str
    text: str
    points: float = 1.0

    def expected(self, params: Params) -> Any:
        """The right answer for ``params`` (for instructors and tests; check never shows it)."""
        raise NotImplementedError

    def assess(self, answer: Any, params: Params) -> tuple[bool | None, str]:
        """Judge ``answer``: ``(True, praise)``, ``(False, hint)`` or ``(None, hint)`` when
        not attempted."""
        raise NotImplementedError


NOT_ATTEMPTED = "Not attempted yet: replace `None` with your answer and run the cell again."


def _missing(answer) -> bool:
    return answer is None or answer is Ellipsis


@dataclass(frozen=True)
class Mistake:
    """A known wrong answer and the hint it deserves.

    Attributes
    ----------
    value : callable
        ``value(params) -> float``: what a student who made this mistake would answer.
    hint : str
        What to tell them (without the right value).
    rel_tol : float
        Relative tolerance around ``value`` on top of the question's own, for mistakes whose
        answers are typically rounded on another scale (a percentage, an inverse ratio).
    """

    value: Callable[[Params], float]
    hint: str
    rel_tol: float = 0.0


@dataclass(frozen=True, kw_only=True)
class NumberQuestion(Question):
    """A question whose answer is one number.

    Attributes
    ----------
    compute : callable
        ``compute(params) -> float``: the right answer.
    abs_tol, rel_tol : float
        An answer within ``max(abs_tol, rel_tol * |right|)`` of the right one is correct.
    hint : str
        Conceptual hint (wrong table, strategy or seed) for an answer that is not close; it is
        prefixed with "Far off." when the answer is off by more than a factor of two.
    near : float
        Relative distance under which a wrong answer counts as "close".
    near_hint : str
        Hint for a close answer (rounding, units, precision).
    mistakes : tuple of Mistake
        Known wrong answers with specific hints, tried before the general hints.
    praise : str
        Added to "Correct." (what the number means).
    """

    compute: Callable[[Params], float]
    abs_tol: float = 0.0
    rel_tol: float = 0.0
    hint: str
    near: float = 0.05
    near_hint: str = ("Close, but not within the tolerance: check your rounding (keep the "
                      "decimals the question asks for) and the units.")
    mistakes: tuple[Mistake, ...] = ()
    praise: str = ""

    def expected(self, params: Params) -> float:
        return float(self.compute(params))

    def _within(self, answer: float, target: float) -> bool:
        return abs(answer - target) <= max(self.abs_tol, self.rel_tol * abs(target))

    def assess(self, answer: Any, params: Params) -> tuple[bool | None, str]:
        if _missing(answer):
            return None, NOT_ATTEMPTED
        kind = _number_kind(answer)
        if kind:
            return False, kind
        value = float(answer)
        if not math.isfinite(value):
            return False, ("Your answer is not a finite number (NaN or infinity): check that "
                           "the run finished and that you did not divide by zero.")
        right = self.expected(params)
        if self._within(value, right):
            return True, f"Correct. {self.praise}".strip()
        for mistake in self.mistakes:
            wrong = float(mistake.value(params))
            if not math.isfinite(wrong) or self._within(wrong, right):
                continue  # this mistake cannot be told apart from the right answer here
            if self._within(value, wrong) or abs(value - wrong) <= mistake.rel_tol * abs(wrong):
                return False, mistake.hint
        scale = abs(right) if right else 1.0
        if abs(value - right) / scale <= self.near:
            return False, self.near_hint
        far = right == 0 or not 0.5 <= value / right <= 2.0
        return False, f"{'Far off' if far else 'Not right yet'}. {self.hint}"


def _number_kind(answer: Any) -> str:
    """A hint when ``answer`` is not one real number, else ``""``."""
    if isinstance(answer, bool):
        return "Give a number, not True or False."
    if isinstance(answer, str):
        try:
            float(answer.replace(",", ""))
        except ValueError:
            return "Give a number (an int or a float), not text."
        return "Give the number itself, not text: remove the quotes."
    if isinstance(answer, numbers.Real):
        return ""
    if hasattr(answer, "shape") or isinstance(answer, list | tuple | dict | set):
        return (f"Give one number, not a whole {type(answer).__name__}: pick the single value "
                "you need (for example with `.iloc[-1]` or a key of `summary()`).")
    return f"Give a number (an int or a float), not a value of type `{type(answer).__name__}`."


@dataclass(frozen=True, kw_only=True)
class ChoiceQuestion(Question):
    """A multiple-choice question answered with one letter.

    Attributes
    ----------
    options : Mapping[str, str]
        Letter -> option text.
    answer : str
        The right letter.
    why : Mapping[str, str]
        Letter -> hint for choosing that wrong option.
    praise : str
        Added to "Correct.".
    """

    options: Mapping[str, str]
    answer: str
    why: Mapping[str, str]
    praise: str = ""

    def expected(self, params: Params) -> str:
        return self.answer

    def assess(self, answer: Any, params: Params) -> tuple[bool | None, str]:
        if _missing(answer):
            return None, NOT_ATTEMPTED
        letters = ", ".join(f'"{k}"' for k in self.options)
        if not isinstance(answer, str):
            return False, f"Give one letter as text, one of {letters}."
        letter = answer.strip().strip("()[].").strip().lower()
        if letter not in self.options:
            if len(letter) > 1 and set(letter.replace(",", "").replace(" ", "")) <= set(
                    self.options):
                return False, "Choose exactly one letter."
            return False, f"Answer with one of the letters {letters}."
        if letter == self.answer:
            return True, f"Correct. {self.praise}".strip()
        return False, self.why.get(letter, "Not this one: think again about the question.")


@dataclass(frozen=True, kw_only=True)
class StrategyQuestion(Question):
    """A coding task: the answer is a strategy function, checked by running it.

    The function is run on ``scenario(params)`` with ``params.seed``; an error in it, a wrong
    return type or actions the engine rejects become hints. Runs of a student's function are not
    cached: the function may change between checks while keeping its identity.

    Attributes
    ----------
    scenario : callable
        ``scenario(params) -> Scenario`` to run the strategy on (keep it short: seconds count).
    verify : callable
        ``verify(result, params) -> str | None``: a hint if the run shows the wrong behaviour,
        None if it is right.
    praise : str
        Added to "Correct.".
    """

    scenario: Callable[[Params], Scenario]
    verify: Callable[[Any, Params], str | None]
    praise: str = ""

    def expected(self, params: Params) -> str:
        return "a strategy function: see the question"

    def assess(self, answer: Any, params: Params) -> tuple[bool | None, str]:
        if _missing(answer):
            return None, NOT_ATTEMPTED
        if isinstance(answer, Actions):
            return False, ("You gave an `Actions` object; give the function that returns it "
                           "(its name, without parentheses).")
        if isinstance(answer, Preset):
            return False, "That is a ready-made preset: write and give your own function."
        if not callable(answer):
            return False, ("Give your strategy function itself, e.g. `my_strategy` (without "
                           f"parentheses), not a value of type `{type(answer).__name__}`.")
        try:
            inspect.signature(answer).bind(None)
        except TypeError:
            return False, ("Your function must take exactly one argument, the view: "
                           "`def my_strategy(view): ...`.")
        except ValueError:
            pass  # no signature to inspect (some builtins): let the run decide
        returned: list = []

        def recorder(view):
            out = answer(view)
            returned.append(out)
            return out

        recorder.__name__ = getattr(answer, "__name__", "strategy")
        try:
            result = run(self.scenario(params), recorder, seed=params.seed)
        except ActionsError as err:
            last = returned[-1] if returned else None
            if last is None:
                return False, ("Your function returned None: did you forget `return`? It must "
                               "return `Actions(...)`.")
            if not isinstance(last, Actions):
                return False, (f"Your function returned a {type(last).__name__}; it must return "
                               "`sim.Actions(...)`.")
            return False, f"The simulation rejected your actions: {err}"
        except Exception as err:  # a bug in the student's code: say which, do not crash
            return False, (f"Your function raised {type(err).__name__}: {err}. Run it with "
                           "`sim.run(...)` yourself to see where.")
        hint = self.verify(result, params)
        if hint:
            return False, hint
        return True, f"Correct. {self.praise}".strip()


def told_apart(right: Callable[[Params], float], abs_tol: float, step: float,
               *mistakes: Mistake) -> tuple[Mistake, ...]:
    """``mistakes``, each offered only where it is told apart from the right answer.

    Some typical mistakes (another seed, another horizon, a formula instead of the simulation,
    a mean of ratios instead of a pooled ratio) give a number that can come arbitrarily close to
    the right one, or equal it, for some parameters. Such a mistake is named only if its value
    is more than ``2 * abs_tol + step`` (plus its own relative tolerance) from the right answer:
    then the answers accepted as right and those taken for the mistake stay apart even after
    rounding to the asked ``step``; closer, a wrong answer gets the question's "close" hint
    instead of a mistake it may not have made.

    Parameters
    ----------
    right : callable
        ``right(params) -> float``, the question's answer.
    abs_tol : float
        The question's absolute tolerance.
    step : float
        The rounding the question asks for (0.01 for "two decimals", 1 for a count).
    *mistakes : Mistake
        The mistakes to guard.

    Returns
    -------
    tuple of Mistake
        The same mistakes, whose value is NaN (skipped by the checker) where too close.
    """
    gap = 2 * abs_tol + step

    def offered(mistake: Mistake) -> Mistake:
        def value(params: Params) -> float:
            wrong = float(mistake.value(params))
            apart = abs(wrong - float(right(params))) > gap + mistake.rel_tol * abs(wrong)
            return wrong if apart else math.nan  # NaN: the checker skips the mistake

        return Mistake(value, mistake.hint, mistake.rel_tol)

    return tuple(offered(m) for m in mistakes)

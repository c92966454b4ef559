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
:class:`Question`); :func:`register` makes it available to :func:`setup`. :func:`grade` checks
an answer against explicit parameters without the notebook session, for grading tools.
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import math
import numbers
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from .actions import Actions
from .engine import run
from .errors import ActionsError
from .scenario import Scenario
from .strategies import Preset, operational, transactional

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


# -- parameters -----------------------------------------------------------------------------------
class ParamDraws:
    """Deterministic pseudo-random choices derived from a text key with SHA-256.

    Used instead of a NumPy generator because a student's numbers must never change: SHA-256 is
    the same on every platform and version, whereas generator streams are not guaranteed to be.

    Parameters
    ----------
    key : str
        Typically ``"<exercise>:<student id>"``.
    """

    def __init__(self, key: str):
        self._key = key
        self._count = 0

    def _next(self) -> int:
        digest = hashlib.sha256(f"{self._key}#{self._count}".encode()).digest()
        self._count += 1
        return int.from_bytes(digest[:8], "big")

    def integer(self, low: int, high: int, step: int = 1) -> int:
        """A whole number from ``low`` to ``high`` inclusive, on a grid of ``step``."""
        count = (high - low) // step + 1
        return low + step * (self._next() % count)

    def choice(self, options):
        """One item of the sequence ``options``."""
        return options[self._next() % len(options)]


class Params(Mapping):
    """An exercise's parameters for one student: read-only, by attribute or by key.

    ``params.seed`` and ``params["seed"]`` are the same value.

    Attributes
    ----------
    exercise : str
        The exercise these parameters belong to.
    student_id : str or None
        The normalised student id (None for the default parameters).
    """

    __slots__ = ("_exercise", "_student_id", "_values")

    def __init__(self, exercise: str, student_id: str | None, values: Mapping[str, Any]):
        object.__setattr__(self, "_exercise", exercise)
        object.__setattr__(self, "_student_id", student_id)
        object.__setattr__(self, "_values", MappingProxyType(dict(values)))

    @property
    def exercise(self) -> str:
        return self._exercise

    @property
    def student_id(self) -> str | None:
        return self._student_id

    def __getattr__(self, name: str):
        if name.startswith("_"):  # also keeps copy/pickle from recursing before __init__
            raise AttributeError(name)
        try:
            return self._values[name]
        except KeyError:
            raise AttributeError(
                f"exercise {self._exercise!r} has no parameter {name!r}; "
                f"parameters: {', '.join(self._values)}"
            ) from None

    def __setattr__(self, name, value):
        raise AttributeError("exercise parameters are read-only")

    def __getitem__(self, key: str):
        return self._values[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __eq__(self, other) -> bool:
        if not isinstance(other, Params):
            return NotImplemented
        return (self._exercise, self._student_id, dict(self._values)) == (
            other._exercise, other._student_id, dict(other._values))

    def __hash__(self) -> int:
        return hash((self._exercise, self._student_id, tuple(self._values.items())))

    def __repr__(self) -> str:
        inner = ", ".join(f"{k}={v!r}" for k, v in self._values.items())
        return f"Params(exercise={self._exercise!r}, student_id={self._student_id!r}, {inner})"


# -- feedback -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Feedback:
    """The verdict on one answer.

    Attributes
    ----------
    question : str
        Question id, e.g. ``"q1"``.
    correct : bool
        Whether the answer is right (within the question's tolerance).
    message : str
        Praise or a hint; never the right value.
    points : float
        Points earned.
    max_points : float
        Points the question is worth.
    attempted : bool
        False when no answer was given yet (``None``), so graders can tell "not attempted" from
        "wrong".
    """

    question: str
    correct: bool
    message: str
    points: float
    max_points: float
    attempted: bool = True

    @property
    def status(self) -> str:
        """``"correct"``, ``"incorrect"`` or ``"not attempted"``."""
        if self.correct:
            return "correct"
        return "incorrect" if self.attempted else "not attempted"

    def __repr__(self) -> str:
        return (f"{self.question}: {self.status} ({self.points:g}/{self.max_points:g} points). "
                f"{self.message}")

    def _repr_markdown_(self) -> str:
        icon = {"correct": "✅", "incorrect": "❌", "not attempted": "⬜"}[self.status]
        return (f"{icon} **{self.question}: {self.status}** "
                f"({self.points:g}/{self.max_points:g} points). {self.message}")


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


# -- shared runs ----------------------------------------------------------------------------------
@functools.cache
def _scenario(name: str) -> Scenario:
    return Scenario.load(name)


@functools.lru_cache(maxsize=32)
def _summary(scenario: Scenario, strategy, seed: int) -> MappingProxyType:
    """KPIs of one run, cached: checks and their hints reuse the same few runs."""
    result = run(scenario, strategy, seed=seed)
    kpis = dict(result.summary())
    kpis["customers_ever"] = len(result.customers)
    kpis["active_start_last_cycle"] = int(result.timeline["active_start"].iloc[-1])
    return MappingProxyType(kpis)


def _kpi(params: Params, strategy, key: str, *, seed: int | None = None) -> float:
    return _summary(_scenario("classroom"), strategy, params.seed if seed is None else seed)[key]


# -- exercise 00: a first run ---------------------------------------------------------------------
def _params_00(draws: ParamDraws) -> dict:
    seed = draws.integer(100, 999_999)
    if seed == 42:  # 42 is the notebooks' seed: a student must not get it by chance
        seed = 43
    return {"seed": seed, "mass_spend": float(draws.integer(6_000, 20_000, 500))}


def _wait_ratio(params: Params, seed: int | None = None) -> float:
    return (_kpi(params, transactional, "mean_wait_minutes", seed=seed)
            / _kpi(params, operational, "mean_wait_minutes", seed=seed))


_SEED_HINT = ("That is the value for seed 42, the notebooks' seed: run with your own seed, "
              "`seed=params.seed`.")


def _one_year(params: Params) -> Scenario:
    return _scenario("classroom").replace(horizon_days=365)


def _verify_00_strategy(result, params: Params) -> str | None:
    tl = result.timeline
    agents = sorted(set(tl["agents"].astype(int)))
    if agents != [2]:
        return (f"Your strategy staffed {', '.join(map(str, agents))} agent(s); the task asks "
                "for 2 agents in every cycle.")
    if (tl["targeted_spend"] > 0).any():
        return ("Your strategy spends on targeted marketing; the task asks for mass marketing "
                "only.")
    if tl["crm_system"].astype(bool).any():
        return ("Your strategy runs the CRM system (`crm_system=True`); the task does not ask "
                "for it.")
    # What was actually spent, pro rata for a short last cycle.
    spent = tl["cost_mass"] * result.scenario.cycle_days / tl["days"]
    target = params.mass_spend
    if (abs(spent - target) <= 0.005 * target).all():
        return None
    if spent.max() - spent.min() > 0.005 * target:
        return ("Your mass-marketing spend changes between cycles; it should be the same every "
                "cycle.")
    ratio = float(spent.iloc[0]) / target
    if abs(ratio * 30 - 1) < 0.05:
        return ("Your spend looks like a daily amount: `Actions.mass_spend` is EUR per cycle "
                "(30 days), so use `params.mass_spend` as it is.")
    if abs(ratio * 12 - 1) < 0.05 or abs(ratio / 12 - 1) < 0.05:
        return ("Your spend is off by a factor of 12: `Actions.mass_spend` is EUR per cycle "
                "(30 days), not per year; use `params.mass_spend` as it is.")
    return ("Your mass-marketing spend per cycle is not the amount asked: use "
            "`mass_spend=params.mass_spend`.")


FIRST_RUN = register(Exercise(
    name="00_first_run",
    title="A first run: reading a result and writing a strategy",
    make_params=_params_00,
    defaults={"seed": 42, "mass_spend": 10_000.0},
    questions=(
        NumberQuestion(
            id="q1",
            text="Active customers at the end of a classroom run with strategies.transactional.",
            compute=lambda p: _kpi(p, transactional, "customers_active_end"),
            abs_tol=0.5,
            near=0.03,
            near_hint=("Close, but this count should match exactly: read it from the result "
                       "(not from a plot), from the last cycle's end, with `seed=params.seed`."),
            hint=("Run `Scenario.load(\"classroom\")` with `strategies.transactional` "
                  "and `seed=params.seed`, then read the customers active at the end of the run "
                  "(`summary()` has it; so does the last row of `timeline`)."),
            mistakes=(
                Mistake(lambda p: _kpi(p, operational, "customers_active_end"),
                        "That is the result of a different strategy: this question is about "
                        "`strategies.transactional`."),
                Mistake(lambda p: _kpi(p, transactional, "customers_active_end", seed=42),
                        _SEED_HINT),
                Mistake(lambda p: _kpi(p, transactional, "customers_ever"),
                        "That counts every customer the firm ever had, including those it lost. "
                        "Count only the customers still active at the end."),
                Mistake(lambda p: _kpi(p, transactional, "customers_acquired"),
                        "That is the number of customers won during the run; the question asks "
                        "how many are active at the end."),
                Mistake(lambda p: _kpi(p, transactional, "active_start_last_cycle"),
                        "That is the count at the start of the last cycle; take it at the end."),
                Mistake(lambda p: _scenario("classroom").initial_customers,
                        "That is the number of customers on day 0, before the run."),
            ),
            praise="Compare it with the customers the firm had on day 0.",
        ),
        NumberQuestion(
            id="q2",
            text="How many times longer is the mean wait under transactional than under "
                 "operational (one decimal)?",
            compute=_wait_ratio,
            rel_tol=0.01,
            abs_tol=0.06,
            near=0.1,
            near_hint=("Close: give the ratio to one decimal place and use the mean wait of "
                       "both runs in minutes (`summary()['mean_wait_minutes']`)."),
            hint=("Run the classroom scenario twice with `seed=params.seed`, once with "
                  "`strategies.transactional` and once with `strategies.operational`, and divide "
                  "the first mean wait by the second."),
            mistakes=(
                Mistake(lambda p: 1.0 / _wait_ratio(p),
                        "You divided the other way round: how many times longer is the "
                        "transactional wait than the operational one?", rel_tol=0.1),
                Mistake(lambda p: (_kpi(p, transactional, "mean_wait_minutes")
                                   - _kpi(p, operational, "mean_wait_minutes")),
                        "That is the difference in minutes; the question asks for a ratio "
                        "(how many times longer)."),
                Mistake(lambda p: _wait_ratio(p, seed=42), _SEED_HINT),
            ),
            praise="Staffing and first-contact resolution are operational CRM's levers.",
        ),
        NumberQuestion(
            id="q3",
            text="Share of revenue brought by the top 20% of customers, transactional run "
                 "(fraction, 3 decimals).",
            compute=lambda p: _kpi(p, transactional, "top20_revenue_share"),
            abs_tol=0.0015,
            near=0.03,
            near_hint=("Close: give the fraction to three decimal places (e.g. 0.123, "
                       "not 0.12)."),
            hint=("Use the transactional run with your seed and its "
                  "`summary()['top20_revenue_share']`: the share of all revenue that the best "
                  "fifth of customers brought."),
            mistakes=(
                Mistake(lambda p: 100 * _kpi(p, transactional, "top20_revenue_share"),
                        "Give a fraction between 0 and 1, not a percentage.", rel_tol=0.01),
                Mistake(lambda p: 1 - _kpi(p, transactional, "top20_revenue_share"),
                        "That is the share of the other 80% of customers; the question asks for "
                        "the top 20%."),
                Mistake(lambda p: 0.2,
                        "0.2 is the share of customers; the question asks for their share of "
                        "revenue."),
                Mistake(lambda p: 0.8,
                        "0.8 is the folk Pareto rule, not what the simulation shows: read the "
                        "value from your run."),
                Mistake(lambda p: _kpi(p, transactional, "top20_revenue_share", seed=42),
                        _SEED_HINT),
            ),
            praise="Compare it with the folk 80/20 rule (SOURCE-DIGEST section 7).",
        ),
        ChoiceQuestion(
            id="q4",
            text="Which of these can a strategy see when it decides?",
            options={
                "a": "a customer's current satisfaction",
                "b": "the days since a customer's last purchase (recency)",
                "c": "a customer's true churn hazard",
                "d": "a customer's expected remaining lifetime value",
            },
            answer="b",
            why={
                "a": ("Satisfaction is latent: the engine knows it, the firm does not. It is in "
                      "`result.truth`, which strategies never see."),
                "c": ("The true hazard is latent truth (`result.truth`): a firm can only "
                      "estimate churn risk from what it records."),
                "d": ("The expected remaining value is computed from latent truth; a firm can "
                      "only predict it from its own records."),
            },
            praise=("Recency is recorded by the firm (the R of RFM); see "
                    "`sim.view.OBSERVABLE_COLUMNS`."),
        ),
        StrategyQuestion(
            id="q5",
            text="Write my_strategy(view): 2 agents and params.mass_spend of mass marketing "
                 "every cycle, nothing else.",
            points=2.0,
            scenario=_one_year,
            verify=_verify_00_strategy,
            praise="Your strategy ran for a year and did exactly what was asked.",
        ),
    ),
))

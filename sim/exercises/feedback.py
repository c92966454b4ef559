"""Per-student parameters (derived from the student id) and the Feedback a check returns."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any


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



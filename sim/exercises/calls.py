"""A function answer as the record of its calls: recorded in the student's kernel, replayed
in the grader's judge.

A strategy (or any function a question asks for) cannot leave the student's kernel as code the
grader could trust, and running it in the grader would let it patch the check that judges it.
What can leave as data is what it *did*: a :class:`Recorder` wraps the function while the
question's own check runs it in the student's kernel, and keeps, call by call, what it returned
(as :mod:`.plain` data) or the exception it raised. :func:`replay` builds, in the judge, a
callable with the function's signature and name that gives back those results in the same
order; the check then runs again with it, in a process where no student code has run.

The simulation is deterministic for a seed and a sequence of plans, so the replayed run is the
student's run, and the check's verdict on it is the grader's own. A forged record is still only
a list of plans that the judge's own simulation plays out and the check judges; a record that
does not fit the run (too few or too many calls) is reported by :attr:`Replay.mismatch`.
What a replay cannot reproduce is how long the function took to decide, nor what it did to its
arguments.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any

from . import plain

__all__ = ["Recorder", "Replay", "replay"]

_TEXT = 300  # characters of an exception's message kept (it becomes a hint)


# -- in the student's kernel ----------------------------------------------------------------------
class Recorder:
    """Wrap ``function`` so that every call's result, or its exception, is recorded.

    Parameters
    ----------
    function : callable
        The student's answer.

    Attributes
    ----------
    function : callable
        The wrapper to give the check: same signature and name as ``function``.
    """

    def __init__(self, function: Callable):
        self._original = function
        self._calls: list[dict] = []

        @functools.wraps(function)  # keeps the signature and the name the checks look at
        def recorded(*args, **kwargs):
            try:
                out = function(*args, **kwargs)
            except Exception as err:
                self._calls.append({"raised": type(err).__name__[:100], "message": _text(err)})
                raise
            try:
                self._calls.append({"returned": plain.encode(out)})
            except plain.PlainError as err:
                self._calls.append({"unreadable": str(err)})
            return out

        self.function = recorded

    def record(self) -> dict:
        """The record so far, as JSON types: the function's type, name and signature, and its
        calls."""
        name = getattr(self._original, "__name__", None)
        return {"$": "function", "type": type(self._original).__name__[:100],
                "name": name[:100] if isinstance(name, str) else None,
                "signature": _signature(self._original), "calls": list(self._calls)}


def _text(err: BaseException) -> str:
    try:
        return str(err)[:_TEXT]
    except Exception:  # a student's exception whose __str__ fails
        return ""


def _signature(function: Callable) -> list | None:
    """``[[name, kind, has_default], ...]``, or None when Python cannot tell (some builtins)."""
    try:
        parameters = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):
        return None
    return [[p.name, int(p.kind), p.default is not p.empty] for p in parameters]


# -- in the judge ---------------------------------------------------------------------------------
class Replay:
    """A callable giving back a recorded function's results in order (see :func:`replay`).

    Attributes
    ----------
    calls : int
        Calls made so far.
    mismatch : str
        Why the record did not fit the calls made (empty if it did, so far): read it after the
        check, with :meth:`finished`.
    """

    def __init__(self, record: dict):
        self._calls = plain._list(record["calls"])
        self.calls = 0
        self.mismatch = ""
        name = record.get("name")
        self.__name__ = name if isinstance(name, str) and name else "strategy"
        self.__signature__ = _rebuild(record.get("signature"))

    def __call__(self, *args, **kwargs):
        if self.calls >= len(self._calls):
            self.mismatch = (f"the check called the function more often than the "
                             f"{len(self._calls)} time(s) recorded")
            raise _Ended(self.mismatch)
        call = self._calls[self.calls]
        self.calls += 1
        if type(call) is not dict:
            raise plain.PlainError("a recorded call that is not a dict")
        if "returned" in call:
            return plain.decode(call["returned"])
        if "raised" in call:
            raise _exception(call["raised"], call.get("message"))
        self.mismatch = f"a value the grader cannot read back: {str(call.get('unreadable'))[:200]}"
        raise _Ended(self.mismatch)

    def finished(self) -> str:
        """:attr:`mismatch`, or why not every recorded call was replayed."""
        if not self.mismatch and self.calls < len(self._calls):
            return (f"the check called the function {self.calls} time(s), not the "
                    f"{len(self._calls)} recorded")
        return self.mismatch


class _Ended(Exception):
    """The record has no result for this call."""


def replay(record: Any) -> Replay:
    """A :class:`Replay` of ``record`` (from :meth:`Recorder.record`), whose class has the name
    of the recorded function's type, as the checks' hints read it.

    Raises
    ------
    plain.PlainError
        ``record`` is not a valid record.
    """
    if type(record) is not dict or record.get("$") != "function":
        raise plain.PlainError("not the record of a function")
    kind = str(record.get("type") or "function")[:100]
    try:
        return type(kind, (Replay,), {"__module__": "answer"})(record)
    except (TypeError, ValueError, KeyError) as err:
        raise plain.PlainError(f"not a valid record of a function ({err})") from err


def _rebuild(parameters: Any) -> inspect.Signature:
    """The recorded signature; ``(*args, **kwargs)`` when there was none (a check then just
    calls the function, as it does when Python cannot tell the original's)."""
    if parameters is None:
        return inspect.Signature([
            inspect.Parameter("args", inspect.Parameter.VAR_POSITIONAL),
            inspect.Parameter("kwargs", inspect.Parameter.VAR_KEYWORD)])
    rebuilt = []
    for item in plain._list(parameters):
        name, kind, has_default = plain._list(item)
        rebuilt.append(inspect.Parameter(
            str(name), inspect._ParameterKind(int(kind)),
            default=None if has_default else inspect.Parameter.empty))
    return inspect.Signature(rebuilt)


_ERRORS: dict[tuple[str, str], type] = {}


def _exception(name: Any, message: Any) -> Exception:
    """An exception called ``name`` whose text is ``message``; one of sim's own errors (which
    the checks catch by class) is rebuilt as a subclass of the real one."""
    from .. import errors

    name = str(name)[:100] if str(name).isidentifier() else "Exception"
    text = str(message or "")[:_TEXT]
    base = getattr(errors, name, Exception)
    if not (isinstance(base, type) and issubclass(base, Exception)):
        base = Exception
    key = (name, base.__name__)
    if key not in _ERRORS:
        _ERRORS[key] = type(name, (base,), {"__module__": "answer",
                                             "__init__": Exception.__init__,
                                             "__str__": lambda self: self.args[0]})
    return _ERRORS[key](text)

"""Answers as plain data: how a value leaves a student's kernel and is built again by the grader.

The grader does not trust the Python that runs a student's notebook, so an answer leaves that
kernel as JSON and nothing else. :func:`encode` turns a value into JSON types: numbers, text and
``None`` as they are, everything else as a small tagged object (``{"$": "tuple", "v": [...]}``).
:func:`decode` builds the value again in the grader's own process, for the checks to judge:

- ``None``, ``...``, bools, ints, floats (NaN and infinities too) and text;
- lists, tuples, sets, frozensets and dicts of those;
- NumPy scalars and arrays of bools, whole numbers, reals or text (an array of objects holds
  any of these), pandas Series, Index and DataFrame with their values, labels and names;
- :class:`sim.Actions` field by field, and the presets of :mod:`sim.strategies` by name.

A value of any other type becomes a *stand-in*: an object of a class with the same name and,
if the value had one, a ``shape``, which is all the checks' hints look at ("give one number,
not a whole DataFrame"). Decoding only ever builds data, never runs anything, so a forged
answer can at worst describe a wrong answer; a malformed one raises :class:`PlainError`.
Sizes are capped both ways (:data:`MAX_ITEMS`, :data:`MAX_DEPTH`).
"""

from __future__ import annotations

import dataclasses
import math
import operator
from typing import Any

import numpy as np

__all__ = ["MAX_DEPTH", "MAX_ITEMS", "PlainError", "decode", "encode"]

#: Most values (numbers, texts, containers) one answer may hold: far above any honest answer
#: (a three-year strategy's campaign lists), far below what would exhaust the grader's memory.
MAX_ITEMS = 20_000_000
#: Deepest nesting of containers an answer may have.
MAX_DEPTH = 32
_ARRAY_KINDS = "biufU"  # NumPy dtype kinds kept as arrays: bool, int, uint, float, text
_FLOATS = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}
_SEQUENCES = {"list": list, "tuple": tuple, "set": set, "frozenset": frozenset}


class PlainError(ValueError):
    """A value too large or too deep to encode, or data that is not a valid encoding."""


# -- encoding (in the student's kernel) -----------------------------------------------------------
class _Budget:
    def __init__(self, limit: int):
        self.left = limit

    def take(self, n: int = 1) -> None:
        self.left -= n
        if self.left < 0:
            raise PlainError(f"the answer holds more than {MAX_ITEMS:,} values")


def encode(value: Any) -> Any:
    """``value`` as JSON types (see the module docstring for what is kept).

    Raises
    ------
    PlainError
        More than :data:`MAX_ITEMS` values or :data:`MAX_DEPTH` levels of nesting.
    """
    return _encode(value, _Budget(MAX_ITEMS), 0)


def _encode(value: Any, budget: _Budget, depth: int) -> Any:
    budget.take()
    if depth > MAX_DEPTH:
        raise PlainError(f"the answer is nested more than {MAX_DEPTH} levels deep")
    if isinstance(value, np.generic):  # before the builtins: np.float64 is a float, too
        if value.dtype.kind not in _ARRAY_KINDS:
            return _stand_in_data(value)
        return {"$": "np", "dtype": value.dtype.str, "v": _encode(value.item(), budget, depth)}
    if value is None or isinstance(value, bool):
        return value if value is None else bool(value)
    if isinstance(value, int):
        return operator.index(value)  # an exact int, also from an IntEnum
    if isinstance(value, str):
        return str.__str__(value)
    if isinstance(value, float):
        value = float(value)
        return value if math.isfinite(value) else {"$": "float", "v": repr(value)}
    if value is Ellipsis:
        return {"$": "ellipsis"}
    if isinstance(value, dict):  # and OrderedDict, defaultdict: what counts is the items
        return {"$": "dict", "v": [[_encode(k, budget, depth + 1), _encode(v, budget, depth + 1)]
                                   for k, v in value.items()]}
    for name, kind in _SEQUENCES.items():
        if isinstance(value, kind):  # a named tuple is kept as a tuple of its values
            return {"$": name, "v": [_encode(x, budget, depth + 1) for x in value]}
    if type(value) is np.ndarray and value.dtype.kind in _ARRAY_KINDS + "O":
        if value.dtype.kind in "biuU":  # plain JSON already
            budget.take(value.size)
            items = value.ravel().tolist()
        else:  # floats may be NaN, objects anything
            items = [_encode(x, budget, depth + 1) for x in value.ravel().tolist()]
        return {"$": "ndarray", "dtype": value.dtype.str, "shape": list(value.shape), "v": items}
    return _encode_library(value, budget, depth)


def _stand_in_data(value: Any) -> dict:
    return {"$": "object", "type": type(value).__name__[:100], "shape": hasattr(value, "shape")}


def _encode_library(value: Any, budget: _Budget, depth: int) -> Any:
    """pandas objects, sim's Actions and presets, or a stand-in."""
    import pandas as pd

    from ..actions import Actions
    from ..strategies import Preset

    def array(values) -> Any:
        values = np.asarray(values)
        if values.dtype.kind not in _ARRAY_KINDS:  # categories, dates, nullable ints: objects
            values = values.astype(object)
        return _encode(values, budget, depth + 1)

    if isinstance(value, pd.Index):  # a RangeIndex or MultiIndex too: their values
        return {"$": "Index", "v": array(value), "name": _encode(value.name, budget, depth + 1)}
    if type(value) is pd.Series:
        return {"$": "Series", "v": array(value), "dtype": str(value.dtype),
                "index": _encode(value.index, budget, depth + 1),
                "name": _encode(value.name, budget, depth + 1)}
    if type(value) is pd.DataFrame:
        return {"$": "DataFrame", "columns": _encode(value.columns, budget, depth + 1),
                "index": _encode(value.index, budget, depth + 1),
                "v": [array(value.iloc[:, i]) for i in range(value.shape[1])]}
    if isinstance(value, Actions):  # the engine takes a subclass too: its fields are the plan
        return {"$": "Actions", "v": {f.name: _encode(getattr(value, f.name), budget, depth + 1)
                                      for f in dataclasses.fields(Actions)}}
    if isinstance(value, Preset):
        return {"$": "Preset", "name": str(value.name)}
    return _stand_in_data(value)


# -- decoding (in the grader's judge) -------------------------------------------------------------
def decode(data: Any) -> Any:
    """The value ``data`` (made by :func:`encode`) describes, or a stand-in for it.

    Raises
    ------
    PlainError
        ``data`` is not a valid encoding, or too large or too deep.
    """
    try:
        return _decode(data, _Budget(MAX_ITEMS), 0)
    except PlainError:
        raise
    except (TypeError, ValueError, KeyError, IndexError, OverflowError) as err:
        raise PlainError(f"not a valid answer ({type(err).__name__}: {str(err)[:200]})") from err


def _decode(data: Any, budget: _Budget, depth: int) -> Any:
    budget.take()
    if depth > MAX_DEPTH:
        raise PlainError(f"the answer is nested more than {MAX_DEPTH} levels deep")
    if data is None or type(data) in (bool, int, float, str):
        return data
    if type(data) is not dict or not isinstance(data.get("$"), str):
        raise PlainError(f"unexpected {type(data).__name__} where a tagged value belongs")
    tag = data["$"]
    if tag == "float":
        return _FLOATS[data["v"]]
    if tag == "ellipsis":
        return Ellipsis
    if tag in _SEQUENCES:
        return _SEQUENCES[tag](_decode(x, budget, depth + 1) for x in _list(data["v"]))
    if tag == "dict":
        return {_decode(k, budget, depth + 1): _decode(v, budget, depth + 1)
                for k, v in (_pair(x) for x in _list(data["v"]))}
    if tag == "np":
        return _dtype(data["dtype"]).type(_decode(data["v"], budget, depth))
    if tag == "ndarray":
        return _array(data, budget, depth)
    return _decode_library(tag, data, budget, depth)


def _decode_library(tag: str, data: dict, budget: _Budget, depth: int) -> Any:
    import pandas as pd

    from ..actions import Actions
    from ..strategies import PRESETS

    def part(key: str) -> Any:
        return _decode(data[key], budget, depth + 1)

    if tag == "Index":
        return pd.Index(_arraylike(part("v")), name=_label(part("name")))
    if tag == "Series":
        series = pd.Series(_arraylike(part("v")), index=_index(part("index")),
                           name=_label(part("name")))
        try:  # categories and nullable dtypes came as objects; a bad name keeps them so
            return series.astype(str(data["dtype"]))
        except (TypeError, ValueError):
            return series
    if tag == "DataFrame":
        columns, index = _index(part("columns")), _index(part("index"))
        values = [_arraylike(_decode(v, budget, depth + 1)) for v in _list(data["v"])]
        if len(values) != len(columns):
            raise PlainError("a DataFrame whose columns and values do not match")
        frame = pd.DataFrame(dict(enumerate(values)), index=index)
        frame.columns = columns
        return frame
    if tag == "Actions":
        fields = {f.name for f in dataclasses.fields(Actions)}
        values = data["v"]
        if type(values) is not dict or not set(values) <= fields:
            raise PlainError(f"Actions with fields other than {sorted(fields)}")
        return Actions(**{k: _decode(v, budget, depth + 1) for k, v in values.items()})
    if tag == "Preset":
        # Only its kind matters to a check ("that is a ready-made preset"): any preset will do.
        return PRESETS.get(str(data["name"]), next(iter(PRESETS.values())))
    if tag == "object":
        return _stand_in(data["type"], bool(data.get("shape")))
    raise PlainError(f"unknown tag {tag!r}")


def _list(value: Any) -> list:
    if type(value) is not list:
        raise PlainError(f"expected a list, got {type(value).__name__}")
    return value


def _pair(value: Any) -> tuple:
    if type(value) is not list or len(value) != 2:
        raise PlainError("a dict item that is not a [key, value] pair")
    return value[0], value[1]


def _dtype(name: Any) -> np.dtype:
    dtype = np.dtype(str(name))
    if dtype.kind not in _ARRAY_KINDS + "O":
        raise PlainError(f"NumPy dtype {name!r} is not one an answer may have")
    return dtype


def _array(data: dict, budget: _Budget, depth: int) -> np.ndarray:
    dtype = _dtype(data["dtype"])
    shape = tuple(int(n) for n in _list(data["shape"]))
    items = _list(data["v"])
    budget.take(len(items))
    if math.prod(shape) != len(items) or any(n < 0 for n in shape):
        raise PlainError("an array whose shape and values do not match")
    if dtype.kind in "fO":
        items = [_decode(x, budget, depth + 1) for x in items]
    elif not all(type(x) in (bool, int, str) for x in items):
        raise PlainError(f"an array of {dtype} holding other values")
    out = np.empty(len(items), dtype=dtype)
    if dtype.kind == "O":
        for i, item in enumerate(items):  # one by one: NumPy would unpack nested tuples
            out[i] = item
    else:
        out[:] = items
    return out.reshape(shape)


def _arraylike(value: Any) -> np.ndarray:
    if type(value) is not np.ndarray or value.ndim != 1:
        raise PlainError("pandas values that are not a one-dimensional array")
    return value


def _index(value: Any):
    import pandas as pd

    if not isinstance(value, pd.Index):
        raise PlainError("a pandas label that is not an Index")
    return value


def _label(value: Any) -> Any:
    if value is not None and type(value) not in (bool, int, float, str, tuple):
        raise PlainError(f"a pandas name of type {type(value).__name__}")
    return value


_STAND_INS: dict[tuple[str, bool], type] = {}


def _stand_in(name: Any, shaped: bool) -> object:
    """An object of a class called ``name`` (with a ``shape`` if ``shaped``)."""
    name = str(name)[:100] or "object"
    key = (name, shaped)
    if key not in _STAND_INS:
        body = {"__module__": "student", "__repr__": lambda self: f"<{type(self).__name__}>"}
        if shaped:
            body["shape"] = ()
        _STAND_INS[key] = type(name, (), body)
    return _STAND_INS[key]()

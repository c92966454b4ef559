"""Documented, validated record fields: the machinery behind :class:`sim.Scenario`.

A field is declared with :func:`param` (unit, meaning, allowed range or choices, and the source
of its value, kept in the dataclass field's metadata). Records deriving from :class:`Record`
check their scalar fields on creation; :func:`build` makes nested records from a TOML-shaped
dict, refusing unknown keys with a "did you mean" suggestion and naming the dotted path of any
bad value.
"""

from __future__ import annotations

import copy
import dataclasses
import difflib
import functools
import math
import numbers
import textwrap
import typing
from dataclasses import field
from typing import Any

import numpy as np

from .errors import ScenarioError

__all__ = ["Record", "build", "field_table", "param", "set_path", "to_plain"]


def param(unit: str, doc: str, *, lo=None, hi=None, lo_open=False, hi_open=False, choices=None,
          source: str = ""):
    """A required, documented field: unit, meaning and allowed range (used by validation).

    ``source`` says where the value or its range comes from: a citation, or honestly "teaching
    assumption" when no published figure exists. It is documentation only (shown by
    :func:`field_table`), never used by validation.
    """
    meta = {"unit": unit, "doc": doc, "lo": lo, "hi": hi, "lo_open": lo_open, "hi_open": hi_open,
            "source": source}
    if choices is not None:
        meta["choices"] = tuple(choices)
    return field(metadata=meta)


def _allowed(meta: dict) -> str:
    """Human wording of a field's allowed range, e.g. ``"> 0"`` or ``"0 to 1"``."""
    if "choices" in meta:
        return "one of " + ", ".join(repr(c) for c in meta["choices"])
    lo, hi = meta.get("lo"), meta.get("hi")
    if lo is not None and hi is not None:
        left = "above " if meta["lo_open"] else ""
        right = " (exclusive)" if meta["hi_open"] else ""
        return f"{left}{lo} to {hi}{right}"
    if lo is not None:
        return f"{'>' if meta['lo_open'] else '>='} {lo}"
    if hi is not None:
        return f"{'<' if meta['hi_open'] else '<='} {hi}"
    return "any value"


class Record:
    """Validates its own scalar fields on creation (so ``replace`` and direct use are checked)."""

    def __post_init__(self):
        _validate(self, "")


# -- validation and building ----------------------------------------------------------------------
_TYPE_WORDS = {int: "a whole number", float: "a number", str: "text", bool: "true or false"}


@functools.cache
def _hints(cls) -> dict:
    # Resolving a class's annotations costs a few milliseconds and validation asks for every
    # nested record's on each Scenario.replace: without the cache a replace took 40-90 ms.
    return typing.get_type_hints(cls)


def _check_value(cls, f: dataclasses.Field, value: Any, path: str) -> Any:
    """Check one field's type and range; return the value in its canonical type."""
    hint = _hints(cls)[f.name]
    meta = f.metadata
    # numbers.Real / numbers.Integral admit numpy scalars (sweeps over np.arange grids); booleans
    # are refused where a number is meant even though bool is an int subclass.
    if hint is float:
        if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Real):
            raise ScenarioError(f"= {value!r}: must be {_TYPE_WORDS[float]}", field=path)
        value = float(value)
        if not math.isfinite(value):
            raise ScenarioError(f"= {value!r}: must be a finite number", field=path)
    elif hint is int:
        if (isinstance(value, numbers.Real) and not isinstance(value, numbers.Integral | np.bool_)
                and math.isfinite(value) and float(value).is_integer()):
            value = int(value)
        if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Integral):
            raise ScenarioError(f"= {value!r}: must be {_TYPE_WORDS[int]}", field=path)
        value = int(value)
    elif hint is str:
        if not isinstance(value, str):
            raise ScenarioError(f"= {value!r}: must be text", field=path)
        if "choices" in meta and value not in meta["choices"]:
            raise ScenarioError(f"= {value!r}: must be {_allowed(meta)}", field=path)
        return value
    else:
        return value
    lo, hi = meta.get("lo"), meta.get("hi")
    bad = (
        (lo is not None and (value < lo or (meta["lo_open"] and value == lo)))
        or (hi is not None and (value > hi or (meta["hi_open"] and value == hi)))
    )
    if bad:
        unit = f" ({meta['unit']})" if meta.get("unit") else ""
        raise ScenarioError(f"= {value!r}: must be {_allowed(meta)}{unit}", field=path)
    return value


def _validate(obj, prefix: str) -> None:
    """Validate and canonicalise every scalar field of a dataclass instance in place."""
    for f in dataclasses.fields(obj):
        path = f"{prefix}{f.name}"
        value = getattr(obj, f.name)
        if dataclasses.is_dataclass(value) or isinstance(value, tuple):
            continue  # nested records validate themselves when built
        object.__setattr__(obj, f.name, _check_value(type(obj), f, value, path))


def _nested_type(cls, name: str):
    """The dataclass type of a nested field, or of a tuple's items, else None."""
    hint = _hints(cls)[name]
    if dataclasses.is_dataclass(hint):
        return hint, False
    if typing.get_origin(hint) is tuple:
        return typing.get_args(hint)[0], True
    return None, False


def build(cls, data: Any, prefix: str):
    if not isinstance(data, dict):
        raise ScenarioError(f"= {data!r}: must be a table of fields", field=prefix.rstrip("."))
    names = [f.name for f in dataclasses.fields(cls)]
    for key in data:
        if key not in names:
            near = difflib.get_close_matches(key, names, n=1)
            hint = f"; did you mean {near[0]!r}?" if near else f"; known fields: {', '.join(names)}"
            raise ScenarioError(f"unknown field{hint}", field=f"{prefix}{key}")
    kwargs = {}
    for f in dataclasses.fields(cls):
        path = f"{prefix}{f.name}"
        if f.name not in data:
            unit = f", {f.metadata['unit']}" if f.metadata.get("unit") else ""
            raise ScenarioError(f"is missing ({f.metadata['doc']}{unit})", field=path)
        value = data[f.name]
        inner, many = _nested_type(cls, f.name)
        if inner is not None and many:
            if not isinstance(value, list | tuple):
                raise ScenarioError(f"= {value!r}: must be a list of tables", field=path)
            items = []
            for i, item in enumerate(value):
                label = item.get("name", i) if isinstance(item, dict) else i
                items.append(build(inner, item, f"{path}[{label}]."))
            value = tuple(items)
        elif inner is not None:
            value = build(inner, value, f"{path}.")
        kwargs[f.name] = value
    try:
        return cls(**kwargs)
    except ScenarioError as err:
        if err.field and prefix and not err.field.startswith(prefix):
            raise ScenarioError(err.detail, field=f"{prefix}{err.field}") from None
        raise


def to_plain(obj) -> Any:
    if dataclasses.is_dataclass(obj):
        return {f.name: to_plain(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, tuple):
        return [to_plain(x) for x in obj]
    return obj


def set_path(data: dict, parts: list[str], value: Any, key: str) -> None:
    node = data
    for i, part in enumerate(parts[:-1]):
        if part == "segments" and isinstance(node.get(part), list):
            seg_name = parts[i + 1]
            match = [s for s in node[part] if s.get("name") == seg_name]
            if not match:
                known = [s.get("name") for s in node[part]]
                raise ScenarioError(f"no segment {seg_name!r}; segments are {known}", field=key)
            set_path(match[0], parts[i + 2 :], value, key)
            return
        if part not in node or not isinstance(node[part], dict):
            near = difflib.get_close_matches(part, list(node), n=1)
            hint = f"; did you mean {near[0]!r}?" if near else ""
            raise ScenarioError(f"unknown field {part!r}{hint}", field=key)
        node = node[part]
    last = parts[-1]
    if last not in node:
        near = difflib.get_close_matches(last, list(node), n=1)
        hint = f"; did you mean {near[0]!r}?" if near else ""
        raise ScenarioError(f"unknown field{hint}", field=key)
    if isinstance(value, dict) and isinstance(node[last], dict):
        merged = copy.deepcopy(node[last])
        merged.update(value)
        value = merged
    elif dataclasses.is_dataclass(value):
        value = to_plain(value)
    elif isinstance(value, tuple | list):
        value = [to_plain(v) for v in value]
    node[last] = value


def _show(value: Any, width: int = 100) -> str:
    """A short display of one default value: ints plainly, floats exactly, text quoted (long
    text shortened)."""
    if isinstance(value, str):
        text = " ".join(value.split())
        if len(text) <= width:
            return repr(text)
        return repr(textwrap.shorten(text, width, placeholder=" ...")) + " (shortened)"
    return repr(value) if isinstance(value, float) else str(value)


def _default(values: list[tuple[Any, Any]]) -> str:
    """Display of a field's default: one value, or ``label value`` per item of a list."""
    if len(values) == 1 and values[0][0] is None:
        return _show(values[0][1])
    parts = []
    for label, value in values:
        shown = _show(value)
        parts.append(shown if label is None or label == value else f"{label} {shown}")
    return ", ".join(parts)


def field_table(root, example=None) -> list[dict]:
    """Every field of the record class ``root``: dotted path, unit, allowed values, meaning and
    source; with an ``example`` instance of ``root``, also its value as ``default`` (the values
    of every item, labelled by name, for a field inside a list of records)."""
    rows: list[dict] = []

    def walk(cls, prefix, objs):
        for f in dataclasses.fields(cls):
            inner, many = _nested_type(cls, f.name)
            if inner is not None:
                if objs is None:
                    sub = None
                elif many:
                    sub = [(getattr(item, "name", i), item) for _, obj in objs
                           for i, item in enumerate(getattr(obj, f.name))]
                else:
                    sub = [(label, getattr(obj, f.name)) for label, obj in objs]
                walk(inner, f"{prefix}{f.name}{'[]' if many else ''}.", sub)
                continue
            row = {
                "field": f"{prefix}{f.name}",
                "unit": f.metadata.get("unit", ""),
                "allowed": _allowed(f.metadata) if _hints(cls)[f.name] is not str
                or "choices" in f.metadata else "text",
                "meaning": f.metadata["doc"],
                "source": f.metadata.get("source", ""),
            }
            if objs is not None:
                row["default"] = _default([(label, getattr(obj, f.name)) for label, obj in objs])
            rows.append(row)

    walk(root, "", None if example is None else [(None, example)])
    return rows

"""What crosses the pipe between the tournament and a worker: plain data only.

The tournament turns each cycle's :class:`~sim.view.FirmView` into a dict of numbers, strings
and numpy arrays (:func:`view_payload`): the observable customer columns, the KPI history
without its latent columns, the price list, last cycle's actions. Nothing else exists in a
worker, so the latent truth and the engine's state are out of an entry's reach by construction.
The worker rebuilds a real, read-only ``FirmView`` from it (:func:`view_from_payload`), so
``view.customers``, ``view.kpis``, ``view.recent()`` and ``view.prices`` work as in the course.

The entry's answer goes back as a plain dict of :class:`~sim.actions.Actions` fields
(:func:`actions_to_plain`, in the worker; sent as JSON), and the tournament checks it as the
engine would, and more (:func:`actions_from_plain`): known fields, every value by
``Actions.validated`` (types, ranges, budget), and every campaign's customer ids against the
customer table (the engine would otherwise stop the run on an unknown or lost customer).
"""

from __future__ import annotations

import dataclasses
import difflib
import numbers
from collections.abc import Mapping
from types import MappingProxyType

import numpy as np

from ..actions import ID_FIELDS, Actions
from ..errors import ActionsError
from ..view import TRUTH_KPIS, FirmView

__all__ = ["FIELDS", "InvalidReturn", "actions_from_plain", "actions_to_plain",
           "check_campaign_ids", "view_from_payload", "view_payload"]

#: The fields of :class:`~sim.actions.Actions`, in order.
FIELDS = tuple(f.name for f in dataclasses.fields(Actions))
_TUPLE_FIELDS = frozenset(f.name for f in dataclasses.fields(Actions)
                          if str(f.type).startswith("tuple"))


class InvalidReturn(ValueError):
    """A strategy returned something that is not actions (raised in the worker)."""


# -- tournament -> worker ----------------------------------------------------------------------
def view_payload(view: FirmView, *, customers: bool = True) -> dict:
    """The observable content of ``view`` as plain data (numbers, strings, numpy arrays).

    Parameters
    ----------
    view : FirmView
        The engine's view of this cycle.
    customers : bool
        Include the customer columns (False for an entry that declared
        ``reads_customers = False``).

    Returns
    -------
    dict
        Picklable without any reference to the engine. The KPI rows lose the latent columns
        (:data:`sim.view.TRUTH_KPIS`) here, not only when read.
    """
    columns = view._columns if customers else None
    return {
        "day": int(view.day), "cycle": int(view.cycle), "cycle_days": int(view.cycle_days),
        "horizon_days": int(view.horizon_days), "budget": float(view.budget),
        "segments": tuple(view.segments), "prices": dict(view.prices),
        "actions": {name: getattr(view.actions, name) for name in FIELDS},
        "n_active": int(view.n_active),
        "columns": None if columns is None else {k: np.array(v) for k, v in columns.items()},
        "kpi_rows": [{k: v for k, v in row.items() if k not in TRUTH_KPIS}
                     for row in view._kpi_rows],
        "strategy": str(view._strategy),
    }


def view_from_payload(data: Mapping) -> FirmView:
    """Rebuild a read-only :class:`~sim.view.FirmView` from :func:`view_payload`'s data."""
    columns = data["columns"]
    if columns is not None:
        for array in columns.values():
            array.flags.writeable = False
        columns = MappingProxyType(dict(columns))
    return FirmView(
        day=data["day"], cycle=data["cycle"], cycle_days=data["cycle_days"],
        horizon_days=data["horizon_days"], budget=data["budget"],
        segments=tuple(data["segments"]), prices=MappingProxyType(dict(data["prices"])),
        actions=Actions(**data["actions"]), n_active=data["n_active"], _columns=columns,
        _kpi_rows=tuple(MappingProxyType(dict(row)) for row in data["kpi_rows"]),
        _strategy=data["strategy"],
    )


# -- worker -> tournament ----------------------------------------------------------------------
def _short(value, width: int = 60) -> str:
    try:
        text = repr(value)
    except Exception:
        text = f"<{type(value).__name__}>"
    return text if len(text) <= width else text[: width - 3] + "..."


def _scalar(name: str, value):
    """A JSON-ready scalar, keeping bool, int, float and str apart (validation tells them
    apart: a bool is no amount and a float no customer id)."""
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value)
    if isinstance(value, str):
        return str(value)
    raise InvalidReturn(f"Actions.{name} holds {type(value).__name__} {_short(value)}: "
                        "expected numbers, True/False or segment names")


def _plain(name: str, value):
    if isinstance(value, np.ndarray):
        if value.ndim != 1:
            raise InvalidReturn(f"Actions.{name} is a {value.ndim}-dimensional array: must be "
                                "a list")
        value = value.tolist()
    elif hasattr(value, "to_numpy") and hasattr(value, "dtype"):  # pandas Series or Index
        value = value.to_numpy().tolist()
    elif isinstance(value, set | frozenset):
        try:
            value = sorted(value)  # as Actions.validated takes a set: in increasing order
        except TypeError:
            raise InvalidReturn(f"Actions.{name} is a set of mixed types: "
                                f"{_short(value)}") from None
    elif isinstance(value, range):
        value = list(value)
    elif isinstance(value, Mapping):  # list prices, discounts: (key, value) pairs
        value = list(value.items())
    if isinstance(value, list | tuple):
        return [[_scalar(name, x) for x in v] if isinstance(v, list | tuple) else
                _scalar(name, v) for v in value]
    return _scalar(name, value)


def actions_to_plain(value) -> dict:
    """What a strategy returned, as a JSON-ready dict of :class:`~sim.actions.Actions` fields.

    Accepts an ``Actions`` or a mapping of its field names; values are numbers, bools,
    strings, or lists, tuples, sets, arrays or Series of those. Field names and values are
    checked by the tournament (:func:`actions_from_plain`).

    Raises
    ------
    InvalidReturn
        For anything else, saying what was returned.
    """
    if isinstance(value, Actions):
        items = {name: getattr(value, name) for name in FIELDS}
    elif isinstance(value, Mapping):
        items = dict(value)
        bad = [k for k in items if not isinstance(k, str)]
        if bad:
            raise InvalidReturn(f"strategy returned a dict with the key {_short(bad[0])}: keys "
                                "must be Actions field names")
    else:
        raise InvalidReturn(f"strategy returned {type(value).__name__} {_short(value)}: it must "
                            "return sim.Actions (or a dict of its fields)")
    return {str(k): _plain(str(k), v) for k, v in items.items()}


def actions_from_plain(data, scenario, view: FirmView) -> Actions:
    """The actions an entry sent, checked as the engine checks them, and their customer ids
    against ``view``'s customer table.

    Parameters
    ----------
    data : object
        What the worker sent (parsed JSON: a dict is expected).
    scenario : Scenario
        The tournament's scenario (segments, agents, budget).
    view : FirmView
        The engine's view of this cycle, with its customer columns.

    Returns
    -------
    Actions
        Validated (``Actions.validated``), safe for the engine to carry out.

    Raises
    ------
    ActionsError
        Naming the field, the value and what is allowed.
    """
    if not isinstance(data, dict):
        raise ActionsError(f"the entry's actions arrived as {type(data).__name__}, not a dict "
                           "of Actions fields")
    unknown = [k for k in data if k not in FIELDS]
    if unknown:
        close = difflib.get_close_matches(str(unknown[0]), FIELDS, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise ActionsError(f"Actions has no field {str(unknown[0])[:60]!r}{hint}: fields are "
                           f"{', '.join(FIELDS)}")
    fields = {k: tuple(v) if isinstance(v, list) and k in _TUPLE_FIELDS else v
              for k, v in data.items()}
    actions = Actions(**fields).validated(scenario)
    check_campaign_ids(actions, view)
    return actions


def check_campaign_ids(actions: Actions, view: FirmView) -> None:
    """Every campaign's customer ids are known customers, active (lost for win-back), as the
    engine requires when it carries the campaign out.

    Raises
    ------
    ActionsError
        For the first id that is not, naming the campaign, the id and the rule.
    """
    status = None if view._columns is None else view._columns["status_code"]
    lists = {name: getattr(actions, name) for name in ID_FIELDS}
    lists["discounts"] = [cid for cid, _ in actions.discounts]  # for active customers too
    for name, ids in lists.items():
        ids = np.asarray(ids, dtype=np.int64)
        if not ids.size:
            continue
        n = 0 if status is None else status.size
        unknown = ids[ids >= n]
        if unknown.size:
            raise ActionsError(f"Actions.{name} contains {int(unknown[0])}: no such customer "
                               f"(ids are 0 to {n - 1} on day {view.day})")
        wanted = 1 if name == "winback" else 0
        wrong = ids[status[ids] != wanted]
        if wrong.size:
            state = "lost" if wanted else "active"
            raise ActionsError(f"Actions.{name} contains {int(wrong[0])}, who is not {state}: "
                               f"{name} goes to {state} customers only")

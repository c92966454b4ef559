"""Scenarios: the market a run simulates, as a frozen, validated record (DESIGN section 8).

A scenario is read from a TOML file (``sim/scenarios/*.toml`` or any path) into a
:class:`Scenario`. Every field has a unit, an allowed range and a one-line meaning, kept next to
the field below; validation uses them, so an error always says which field, which value and
what is allowed, and ``python -m sim scenarios --fields`` prints the same table.

Variants are made with :meth:`Scenario.replace`, which re-validates::

    base = Scenario.load("classroom")
    busy = base.replace(market_size=80_000, **{"service.handle_minutes": 25})

Rates are per year and durations in days unless a field says otherwise; money is in euros.
"""

from __future__ import annotations

import copy
import dataclasses
import difflib
import math
import numbers
import tomllib
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .errors import ScenarioError

__all__ = [
    "Competitors",
    "MassMarketing",
    "Satisfaction",
    "Scenario",
    "Segment",
    "Service",
    "TargetedMarketing",
    "WordOfMouth",
    "available",
    "field_table",
]

SCENARIO_DIR = Path(__file__).with_name("scenarios")


def _p(unit: str, doc: str, *, lo=None, hi=None, lo_open=False, hi_open=False, choices=None):
    """A required, documented field: unit, meaning and allowed range (used by validation)."""
    meta = {"unit": unit, "doc": doc, "lo": lo, "hi": hi, "lo_open": lo_open, "hi_open": hi_open}
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


class _Record:
    """Validates its own scalar fields on creation (so ``replace`` and direct use are checked)."""

    def __post_init__(self):
        _validate(self, "")


@dataclass(frozen=True, kw_only=True)
class Segment(_Record):
    """A group of customers who behave alike ("select customers": segmentation).

    Within a segment customers still differ: purchase rates are gamma distributed, mean spend
    lognormal, churn hazards gamma distributed, so revenue concentration and rising retention
    with tenure emerge instead of being imposed.
    """

    name: str = _p("", "segment name, unique in the scenario")
    share: float = _p("fraction", "share of the market's prospects in this segment", lo=0, hi=1)
    purchase_rate: float = _p(
        "purchases/year", "mean purchase rate of a customer", lo=0, hi=365, lo_open=True
    )
    rate_shape: float = _p(
        "", "gamma shape of individual purchase rates (smaller = more unequal)", lo=0.05, hi=100
    )
    spend_mean: float = _p("EUR/purchase", "mean amount of one purchase", lo=0, lo_open=True)
    spend_sigma: float = _p("", "lognormal sigma of customers' mean spend", lo=0, hi=3)
    spend_cv: float = _p("", "coefficient of variation of one purchase around its mean", lo=0, hi=3)
    margin: float = _p("fraction", "gross margin as a share of revenue", lo=0, hi=1)
    cost_per_purchase: float = _p("EUR/purchase", "cost to serve one purchase", lo=0)
    annual_churn: float = _p(
        "probability/year",
        "chance an average customer at baseline satisfaction leaves within a year",
        lo=0,
        hi=1,
        hi_open=True,
    )
    churn_shape: float = _p(
        "", "gamma shape of individual churn hazards (smaller = more unequal)", lo=0.05, hi=100
    )
    complaint_prob: float = _p(
        "probability/purchase", "chance a purchase leads to a service request", lo=0, hi=1
    )
    satisfaction: float = _p("0-1", "baseline satisfaction satisfaction drifts back to", lo=0, hi=1)
    service_sensitivity: float = _p(
        "", "how strongly service outcomes move satisfaction", lo=0, hi=10
    )
    price_sensitivity: float = _p("", "how strongly competitor offers raise churn", lo=0, hi=10)
    marketing_response: float = _p("", "multiplier on marketing conversion", lo=0, hi=20)
    referral: float = _p("", "word-of-mouth weight of one customer's voice", lo=0, hi=20)
    patience_minutes: float = _p(
        "minutes", "wait a customer tolerates before satisfaction suffers", lo=0, lo_open=True
    )


@dataclass(frozen=True, kw_only=True)
class MassMarketing(_Record):
    """Mass marketing: broad and cheap per contact, converts poorly, cannot choose segments."""

    cost_per_contact: float = _p("EUR/contact", "cost of one contact", lo=0, lo_open=True)
    conversion: float = _p(
        "probability/contact", "chance a reached prospect becomes a customer", lo=0, hi=1
    )


@dataclass(frozen=True, kw_only=True)
class TargetedMarketing(_Record):
    """Targeted (database) marketing: reaches chosen segments' prospects, converts better."""

    cost_per_contact: float = _p("EUR/contact", "cost of one contact", lo=0, lo_open=True)
    conversion: float = _p(
        "probability/contact", "chance a reached prospect becomes a customer", lo=0, hi=1
    )
    data_cost_per_cycle: float = _p(
        "EUR/cycle", "cost of the prospect database in a cycle it is used", lo=0
    )


@dataclass(frozen=True, kw_only=True)
class WordOfMouth(_Record):
    """Bass-style diffusion: spontaneous adoption plus imitation driven by customers' voice."""

    innovation: float = _p(
        "1/year", "spontaneous adoption rate of a prospect (Bass p)", lo=0, hi=10
    )
    imitation: float = _p(
        "1/year", "adoption rate per unit of net positive voice share (Bass q)", lo=0, hi=20
    )
    detractor_effect: float = _p(
        "", "how much unhappy customers' voice lowers marketing conversion", lo=0, hi=20
    )


@dataclass(frozen=True, kw_only=True)
class Service(_Record):
    """The service centre: a queue with ``agents`` servers (a ``simpy.Resource``)."""

    queue: str = _p(
        "", "simpy: a SimPy process per request; batched: the exact FIFO recursion, same "
        "waits, far faster for large markets", choices=("simpy", "batched")
    )
    open_hours: float = _p("hours/day", "hours a day requests arrive", lo=0, hi=24, lo_open=True)
    handle_minutes: float = _p("minutes", "mean handling time of a request", lo=0, lo_open=True)
    handle_distribution: str = _p(
        "", "distribution of handling times", choices=("exponential", "lognormal")
    )
    handle_cv: float = _p("", "coefficient of variation of lognormal handling times", lo=0, hi=5)
    fcr: float = _p("fraction", "first-contact resolution without a CRM system", lo=0, hi=1)
    crm_system_fcr: float = _p("fraction", "first-contact resolution with a CRM system", lo=0, hi=1)
    crm_system_cost_per_cycle: float = _p("EUR/cycle", "cost of the CRM system", lo=0)
    agent_cost_per_day: float = _p("EUR/day", "cost of one agent for one day", lo=0)
    max_agents: int = _p("agents", "most agents the centre can seat", lo=1, hi=10_000)
    wait_target_minutes: float = _p(
        "minutes", "service-level target: answer within this wait", lo=0, lo_open=True
    )
    service_level_target: float = _p(
        "fraction", "share of requests to answer within the target wait", lo=0, hi=1
    )
    recontact_prob: float = _p(
        "probability", "chance an unresolved request comes back as a new contact", lo=0, hi=1
    )
    recontact_days: float = _p(
        "days", "delay before an unresolved request comes back", lo=0, lo_open=True
    )


@dataclass(frozen=True, kw_only=True)
class Satisfaction(_Record):
    """How satisfaction moves and how it moves the churn hazard."""

    recovery_days: float = _p(
        "days", "time constant of the drift back to baseline", lo=0, lo_open=True
    )
    churn_effect: float = _p(
        "", "hazard multiplier exp(effect x (baseline - satisfaction))", lo=0, hi=50
    )
    wait_penalty: float = _p(
        "0-1", "satisfaction lost per unit of log(1 + wait / patience)", lo=0, hi=1
    )
    unresolved_penalty: float = _p("0-1", "satisfaction lost when not resolved", lo=0, hi=1)
    resolved_bonus: float = _p("0-1", "satisfaction gained when resolved", lo=0, hi=1)


@dataclass(frozen=True, kw_only=True)
class Competitors(_Record):
    """Competitor offer waves that raise the churn hazard of the customers they reach."""

    waves_per_year: float = _p("1/year", "rate of competitor offer waves", lo=0, hi=365)
    reach: float = _p("fraction", "share of active customers one wave reaches", lo=0, hi=1)
    pressure: float = _p(
        "", "hazard increase of a reached, fully price-sensitive customer", lo=0, hi=100
    )
    decay_days: float = _p("days", "time constant of the pressure's decay", lo=0, lo_open=True)


@dataclass(frozen=True, kw_only=True)
class Scenario(_Record):
    """A complete, validated market: who the prospects are, what things cost, how people react.

    Frozen and keyword-only; make variants with :meth:`replace`. Load with :meth:`load`.
    """

    name: str = _p("", "short name")
    description: str = _p("", "one-line description")
    sources: str = _p("", "where the values come from (citations)")
    horizon_days: int = _p("days", "length of a run", lo=1, hi=36_500)
    cycle_days: int = _p("days", "length of one CRM cycle (the strategy decides once)", lo=1)
    market_size: int = _p("people", "prospects and customers in the market", lo=1, hi=50_000_000)
    initial_customers: int = _p("people", "customers the firm has on day 0", lo=0)
    budget_per_cycle: float = _p("EUR/cycle", "most the strategy may spend on levers", lo=0)
    annual_discount_rate: float = _p("1/year", "discount rate for lifetime values", lo=0, hi=1)
    segments: tuple[Segment, ...] = _p("", "the market's segments (at least one)")
    mass: MassMarketing = _p("", "mass marketing channel")
    targeted: TargetedMarketing = _p("", "targeted marketing channel")
    word_of_mouth: WordOfMouth = _p("", "word of mouth")
    service: Service = _p("", "service centre")
    satisfaction: Satisfaction = _p("", "satisfaction dynamics")
    competitors: Competitors = _p("", "competitor offers")

    def __post_init__(self):
        _validate(self, "")
        if not self.segments:
            raise ScenarioError("needs at least one segment", field="segments")
        names = [s.name for s in self.segments]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ScenarioError(f"segment names must be unique, repeated: {dupes}",
                                field="segments")
        total = math.fsum(s.share for s in self.segments)
        if abs(total - 1.0) > 1e-6:
            raise ScenarioError(
                f"shares add up to {total:g}; they must add up to 1", field="segments.share"
            )
        if self.initial_customers > self.market_size:
            raise ScenarioError(
                f"= {self.initial_customers}: must be at most market_size ({self.market_size})",
                field="initial_customers",
            )
        one_agent = self.service.agent_cost_per_day * self.cycle_days
        if self.budget_per_cycle < one_agent:
            raise ScenarioError(
                f"= {self.budget_per_cycle:g}: must be at least the cost of one agent for a "
                f"cycle, {one_agent:g} EUR (service.agent_cost_per_day x cycle_days)",
                field="budget_per_cycle",
            )
        if self.cycle_days > self.horizon_days:
            raise ScenarioError(
                f"= {self.cycle_days}: must be at most horizon_days ({self.horizon_days})",
                field="cycle_days",
            )

    # -- construction ---------------------------------------------------------------------------
    @classmethod
    def from_dict(cls, data: dict, *, source: str | None = None) -> Scenario:
        """Build and validate a scenario from a nested dict (the shape of a TOML file)."""
        try:
            return _build(cls, data, "")
        except ScenarioError as err:
            raise (err.with_source(source) if source else err) from None

    @classmethod
    def load(cls, name_or_path: str | Path = "classroom") -> Scenario:
        """Load a shipped scenario by name (see :func:`available`) or a TOML file by path.

        A file may start with ``extends = "classroom"`` (a shipped name or a path relative to
        the file) and give only the fields it changes; a ``segments`` list replaces the base's
        list whole.
        """
        data, source = _read(name_or_path, seen=())
        return cls.from_dict(data, source=source)

    def to_dict(self) -> dict:
        """The scenario as a nested dict of plain values (TOML-shaped)."""
        return _to_plain(self)

    def replace(self, **changes: Any) -> Scenario:
        """A validated copy with some fields changed.

        Top-level fields by name (``market_size=80_000``); nested fields by a dotted or
        double-underscore path (``**{"service.fcr": 0.8}`` or ``service__fcr=0.8``); a segment's
        field by its name (``**{"segments.regulars.share": 0.3}``). The original is unchanged.
        """
        data = self.to_dict()
        for key, value in changes.items():
            _set_path(data, key.replace("__", ".").split("."), value, key)
        return type(self).from_dict(data)

    def segment(self, name: str) -> Segment:
        """The segment called ``name``."""
        for seg in self.segments:
            if seg.name == name:
                return seg
        raise ScenarioError(
            f"no segment {name!r}; segments are {[s.name for s in self.segments]}",
            field="segments",
        )

    @property
    def segment_names(self) -> tuple[str, ...]:
        """Names of the segments, in order."""
        return tuple(s.name for s in self.segments)


# -- validation and building ----------------------------------------------------------------------
_TYPE_WORDS = {int: "a whole number", float: "a number", str: "text", bool: "true or false"}


def _hints(cls) -> dict:
    return typing.get_type_hints(cls, globalns=globals())


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


def _build(cls, data: Any, prefix: str):
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
                items.append(_build(inner, item, f"{path}[{label}]."))
            value = tuple(items)
        elif inner is not None:
            value = _build(inner, value, f"{path}.")
        kwargs[f.name] = value
    try:
        return cls(**kwargs)
    except ScenarioError as err:
        if err.field and prefix and not err.field.startswith(prefix):
            raise ScenarioError(err.detail, field=f"{prefix}{err.field}") from None
        raise


def _to_plain(obj) -> Any:
    if dataclasses.is_dataclass(obj):
        return {f.name: _to_plain(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, tuple):
        return [_to_plain(x) for x in obj]
    return obj


def _set_path(data: dict, parts: list[str], value: Any, key: str) -> None:
    node = data
    for i, part in enumerate(parts[:-1]):
        if part == "segments" and isinstance(node.get(part), list):
            seg_name = parts[i + 1]
            match = [s for s in node[part] if s.get("name") == seg_name]
            if not match:
                known = [s.get("name") for s in node[part]]
                raise ScenarioError(f"no segment {seg_name!r}; segments are {known}", field=key)
            _set_path(match[0], parts[i + 2 :], value, key)
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
        value = _to_plain(value)
    elif isinstance(value, tuple | list):
        value = [_to_plain(v) for v in value]
    node[last] = value


# -- files ----------------------------------------------------------------------------------------
def available() -> dict[str, str]:
    """Shipped scenarios: name -> one-line description."""
    out = {}
    for path in sorted(SCENARIO_DIR.glob("*.toml")):
        with path.open("rb") as fh:
            data = tomllib.load(fh)
        out[path.stem] = str(data.get("description", ""))
    return out


def _resolve(name_or_path: str | Path, relative_to: Path | None = None) -> Path:
    text = str(name_or_path)
    path = Path(text)
    looks_like_path = path.suffix == ".toml" or "/" in text or "\\" in text
    if looks_like_path:
        if relative_to is not None and not path.is_absolute():
            path = relative_to / path
        if not path.is_file():
            raise ScenarioError(f"no such scenario file: {text}", field=None)
        return path
    shipped = SCENARIO_DIR / f"{text}.toml"
    if shipped.is_file():
        return shipped
    names = list(available())
    near = difflib.get_close_matches(text, names, n=1)
    hint = f"; did you mean {near[0]!r}?" if near else ""
    raise ScenarioError(
        f"unknown scenario {text!r}{hint} (shipped: {', '.join(names)}; or give a .toml path)"
    )


def _deep_merge(base: dict, top: dict) -> dict:
    out = copy.deepcopy(base)
    for key, value in top.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _read(name_or_path, *, seen: tuple, relative_to: Path | None = None) -> tuple[dict, str]:
    path = _resolve(name_or_path, relative_to)
    source = path.name
    if path.resolve() in seen:
        raise ScenarioError("'extends' chain loops back to this file", source=source)
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except tomllib.TOMLDecodeError as err:
        raise ScenarioError(f"is not valid TOML ({err})", source=source) from None
    except OSError as err:
        raise ScenarioError(f"cannot be read ({err.strerror})", source=source) from None
    parent = data.pop("extends", None)
    if parent is not None:
        if not isinstance(parent, str):
            raise ScenarioError(f"= {parent!r}: must be a scenario name or path", field="extends",
                                source=source)
        try:
            base, _ = _read(parent, seen=(*seen, path.resolve()), relative_to=path.parent)
        except ScenarioError as err:
            raise err if err.source else err.with_source(source) from None
        data = _deep_merge(base, data)
    return data, source


def field_table() -> list[dict]:
    """Every scenario field: dotted path, unit, allowed values and meaning (for docs and CLI)."""
    rows: list[dict] = []

    def walk(cls, prefix):
        for f in dataclasses.fields(cls):
            inner, many = _nested_type(cls, f.name)
            if inner is not None:
                walk(inner, f"{prefix}{f.name}{'[]' if many else ''}.")
                continue
            rows.append({
                "field": f"{prefix}{f.name}",
                "unit": f.metadata.get("unit", ""),
                "allowed": _allowed(f.metadata) if _hints(cls)[f.name] is not str
                or "choices" in f.metadata else "text",
                "meaning": f.metadata["doc"],
            })

    walk(Scenario, "")
    return rows


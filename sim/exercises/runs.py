"""Simulation runs shared by the checks, cached so a second check is instant."""

from __future__ import annotations

import functools
from types import MappingProxyType

from ..engine import run
from ..scenario import Scenario
from .feedback import Params


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



"""Strategies: what the firm does each CRM cycle (DESIGN section 4).

A strategy is any callable ``strategy(view) -> Actions``. Students write plain functions::

    def my_strategy(view):
        return sim.Actions(mass_spend=8_000, agents=2)

The presets below each embody one CRM model of the course. They work as they are
(``sim.run(scenario, strategies.operational)``) and any of their parameters can be changed into
a new, differently named strategy with ``configure``::

    busy = strategies.operational.configure(service_level=0.9)
    busy.name   # 'operational(service_level=0.9)'

Every preset keeps within the cycle budget on its own, cutting marketing first, then the CRM
system, then agents.

A strategy that decides from the KPIs alone may say so with an attribute
``reads_customers = False`` (presets take it as an argument). The engine then skips building
the per-customer table of each cycle's view, which is most of the cost of a CRM cycle in a large
market; ``view.customers`` of such a view raises an error that says why.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable

from .actions import Actions, plan_cost
from .analytics.queueing import agents_needed

__all__ = ["PRESETS", "Preset", "get", "operational", "transactional"]


class Preset:
    """A named strategy with keyword parameters that ``configure`` can change.

    Parameters
    ----------
    func : callable
        ``func(view, **params) -> Actions``; its keyword defaults are the preset's parameters.
    name : str
        Readable name shown in results and reports.
    source : str
        The course concept the preset embodies and where it comes from.
    params : dict, optional
        Parameter values differing from the defaults.
    reads_customers : bool
        Whether ``func`` reads ``view.customers`` (False spares the engine building it).
    """

    def __init__(self, func: Callable, name: str, source: str, params: dict | None = None,
                 *, reads_customers: bool = True):
        self._func = func
        self._base = name
        self.source = source
        self.reads_customers = bool(reads_customers)
        sig = inspect.signature(func)
        self.defaults = {k: p.default for k, p in list(sig.parameters.items())[1:]}
        self.params = {**self.defaults, **(params or {})}
        self.__doc__ = func.__doc__

    @property
    def name(self) -> str:
        """Base name plus the parameters that differ from the defaults."""
        changed = {k: v for k, v in self.params.items() if self.defaults[k] != v}
        if not changed:
            return self._base
        return f"{self._base}({', '.join(f'{k}={v!r}' for k, v in changed.items())})"

    def configure(self, **changes) -> Preset:
        """A new preset with some parameters changed; unknown names are an error."""
        unknown = sorted(set(changes) - set(self.defaults))
        if unknown:
            raise TypeError(f"{self._base} has no parameter {', '.join(map(repr, unknown))}; "
                            f"parameters: {', '.join(self.defaults)}")
        return Preset(self._func, self._base, self.source, {**self.params, **changes},
                      reads_customers=self.reads_customers)

    def __call__(self, view) -> Actions:
        return self._func(view, **self.params)

    def __repr__(self) -> str:
        return f"<strategy {self.name}>"


def _fit_budget(actions: Actions, view) -> Actions:
    """Cut the plan until it fits the cycle budget: targeted marketing first, then mass
    marketing, then the CRM system, then agents (never below one).

    A scenario's budget always pays for one agent (``Scenario`` checks it), so this ends with
    a valid plan.
    """
    def over(plan: Actions) -> float:
        return plan_cost(plan, view.prices, view.cycle_days) - view.budget

    if over(actions) <= 0:
        return actions
    wanted = actions
    # Cutting targeted spend to zero also saves the data cost.
    actions = actions.replace(targeted_spend=max(0.0, actions.targeted_spend - over(actions)))
    if over(actions) > 0:
        actions = actions.replace(mass_spend=max(0.0, actions.mass_spend - over(actions)))
    if over(actions) > 0 and actions.crm_system:
        actions = actions.replace(crm_system=False)
    agent_cycle = view.prices["agent_cost_per_day"] * view.cycle_days
    while over(actions) > 0 and actions.agents > 1:
        shed = max(1, math.ceil(over(actions) / agent_cycle)) if agent_cycle > 0 else 1
        actions = actions.replace(agents=max(1, actions.agents - shed))
    # Shedding agents may have freed room: give back the CRM system, then mass marketing.
    if wanted.crm_system and not actions.crm_system:
        with_system = actions.replace(crm_system=True)
        if over(with_system) <= 0:
            actions = with_system
    room = -over(actions)
    if room > 0 and actions.mass_spend < wanted.mass_spend:
        actions = actions.replace(mass_spend=min(wanted.mass_spend, actions.mass_spend + room))
    if over(actions) > 0:  # rounding: give back the last cents of marketing
        actions = actions.replace(mass_spend=max(0.0, actions.mass_spend - over(actions)))
    return actions


def _transactional(view, *, mass_spend: float = 12_000.0, agents: int = 1) -> Actions:
    """No CRM: the production-era firm. Mass marketing to win customers, the minimum of service,
    no customer database in use ([000] history: "produce first, then look for a buyer")."""
    return _fit_budget(Actions(mass_spend=mass_spend, agents=agents), view)


def _operational(view, *, mass_spend: float = 12_000.0, service_level: float | None = None,
                 crm_system: bool = True, initial_agents: int = 2) -> Actions:
    """Operational CRM ([000] [001] [004]): serve the customer fast and without error.

    Staffs the service centre each cycle with the fewest agents that meet the service-level
    target by Erlang C, forecasting load from last cycle's contacts and handling times (what the
    firm recorded), and runs a CRM system that gives agents one customer view so more issues
    are resolved at first contact. Marketing is the same as the transactional firm's, so a
    comparison isolates the operational levers.
    """
    prices = view.prices
    level = prices["service_level_target"] if service_level is None else service_level
    agents = initial_agents
    recent = view.recent(3)
    if recent and recent[-1]["contacts"] > 0:
        # Forecast: contacts per active customer per day over the last three cycles (a steadier
        # estimate than one cycle), times today's customers; handling time from the same data.
        exposure = sum(0.5 * (r["active_start"] + r["active_end"]) * r["days"] for r in recent)
        contacts = sum(r["contacts"] for r in recent)
        per_minute = contacts / max(exposure, 1.0) * view.n_active / (prices["open_hours"] * 60)
        handled = [(r["mean_handle_minutes"], r["contacts"]) for r in recent
                   if math.isfinite(r["mean_handle_minutes"])]
        weight = sum(n for _, n in handled)
        if weight > 0:
            handle = sum(h * n for h, n in handled) / weight
            agents = agents_needed(per_minute, handle, prices["wait_target_minutes"], level,
                                   int(prices["max_agents"]))
    return _fit_budget(Actions(mass_spend=mass_spend, agents=agents, crm_system=crm_system), view)


transactional = Preset(_transactional, "transactional",
                       "SOURCE-DIGEST 1 (production process vs customer process) [000] [001]",
                       reads_customers=False)
operational = Preset(_operational, "operational",
                     "SOURCE-DIGEST 5 (operational CRM) and 6 (call centre) [000] [001] [004]",
                     reads_customers=False)

#: Presets by name (the CLI's ``--strategy`` choices).
PRESETS: dict[str, Preset] = {p.name: p for p in (transactional, operational)}


def get(name: str) -> Preset:
    """The preset called ``name``; a clear error lists the choices."""
    try:
        return PRESETS[name]
    except KeyError:
        raise ValueError(f"unknown strategy {name!r}: choose one of {', '.join(PRESETS)}") from None

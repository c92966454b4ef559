"""Planning helpers a strategy can use: staffing, budgets and campaign lists (DESIGN section 4).

These are the "market planning" step of Swift's CRM cycle ([003]) made reusable: the presets of
:mod:`sim.strategies` are built from them, and students may call them from their own strategies.
They read only the :class:`~sim.view.FirmView` (what a real firm knows) and never draw from a
global random state.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import pandas as pd

from .actions import Actions, plan_cost
from .analytics.queueing import agents_needed

__all__ = ["ContactLog", "affordable", "fit_budget", "staff", "take_within"]


def staff(view, service_level: float | None = None, *, initial_agents: int = 2,
          history_cycles: int = 3) -> int:
    """Fewest agents that meet a service-level target by Erlang C, from the firm's own records.

    The load forecast is contacts per active customer per day over the last ``history_cycles``
    cycles (steadier than one cycle) times today's active customers, spread over the opening
    hours; the handling time is the recorded mean, weighted by contacts. Before any contact is
    recorded, ``initial_agents``.

    Parameters
    ----------
    view : FirmView
    service_level : float, optional
        Share of calls to answer within ``view.prices["wait_target_minutes"]`` (fraction,
        0 to 1); default the scenario's ``service_level_target``.
    initial_agents : int
        Agents before there is a record to forecast from.
    history_cycles : int
        Cycles of records the forecast averages over.

    Returns
    -------
    int
        Agents, 1 to ``view.prices["max_agents"]``.
    """
    prices = view.prices
    level = prices["service_level_target"] if service_level is None else service_level
    recent = view.recent(history_cycles)
    if not recent or recent[-1]["contacts"] <= 0:
        return int(min(max(1, initial_agents), prices["max_agents"]))
    exposure = sum(0.5 * (r["active_start"] + r["active_end"]) * r["days"] for r in recent)
    contacts = sum(r["contacts"] for r in recent)
    per_minute = contacts / max(exposure, 1.0) * view.n_active / (prices["open_hours"] * 60)
    handled = [(r["mean_handle_minutes"], r["contacts"]) for r in recent
               if math.isfinite(r["mean_handle_minutes"])]
    weight = sum(n for _, n in handled)
    if weight <= 0:
        return int(min(max(1, initial_agents), prices["max_agents"]))
    handle = sum(h * n for h, n in handled) / weight
    return agents_needed(per_minute, handle, prices["wait_target_minutes"], level,
                         int(prices["max_agents"]))


def affordable(budget: float, unit_cost: float) -> int:
    """How many contacts at ``unit_cost`` EUR fit in ``budget`` EUR (all of them if free)."""
    if budget <= 0:
        return 0
    if unit_cost <= 0:
        return int(np.iinfo(np.int64).max)
    return math.floor(budget / unit_cost + 1e-9)


def take_within(priority: pd.Series, budget: float,
                unit_cost: float | pd.Series) -> tuple[int, ...]:
    """The ids of the best entries of ``priority`` (highest first) that ``budget`` pays for.

    Parameters
    ----------
    priority : pandas.Series
        A score per customer, indexed by customer id; NaN entries are skipped.
    budget : float
        EUR available for the contacts.
    unit_cost : float or pandas.Series
        EUR per contact: one price for everyone, or a cost per customer indexed by customer id
        (an expected discount, say; >= 0, customers without one are skipped). With costs per
        customer the best are taken in order until the next one no longer fits, so the result
        is always the top of the ranking, never a cheaper customer further down.

    Returns
    -------
    tuple of int
        Customer ids, best first (ties broken by the smaller id, so runs are reproducible).
    """
    priority = priority.dropna()
    if isinstance(unit_cost, pd.Series):
        costs = unit_cost.reindex(priority.index).to_numpy(dtype=float)
        if (costs < 0).any():
            bad = priority.index[costs < 0][0]
            bad = bad.item() if isinstance(bad, np.generic) else bad
            raise ValueError(f"unit_cost[{bad!r}] = {float(costs[costs < 0][0])!r}: costs per "
                             "customer must be >= 0 EUR")
        known = ~np.isnan(costs)
        priority, costs = priority[known], costs[known]
    ids = priority.index.to_numpy(dtype=np.int64)
    order = np.lexsort((ids, -priority.to_numpy(dtype=float)))
    if isinstance(unit_cost, pd.Series):
        # The longest prefix of the ranking whose total cost fits (1e-9 EUR: float dust).
        n = int(np.searchsorted(np.cumsum(costs[order]), budget + 1e-9, side="right"))
    else:
        n = min(len(priority), affordable(budget, unit_cost))
    if n == 0 or budget <= 0:
        return ()
    return tuple(int(i) for i in ids[order[:n]])


def _cents_down(eur: float) -> float:
    """``eur`` rounded down to whole cents, never below 0: a cut by a computed overrun would
    otherwise leave float dust (1e-13 EUR) that keeps the plan a hair over budget."""
    return max(0.0, math.floor(eur * 100.0) / 100.0)


def _cut_spend(name):
    return lambda plan, over, prices: plan.replace(
        **{name: _cents_down(getattr(plan, name) - over)})


def _cut_targeted(plan, over, prices):
    # Targeted spend smaller than the data cost it brings buys less than the data cost: once cut
    # that far, it goes entirely (and the money can come back as mass marketing).
    left = _cents_down(plan.targeted_spend - over)
    return plan.replace(targeted_spend=left if left >= prices["targeted_data_cost_per_cycle"]
                        else 0.0)


def _cut_list(name, price):
    def cut(plan, over, prices):
        ids = getattr(plan, name)
        drop = min(len(ids), math.ceil(over / prices[price])) if prices[price] > 0 else len(ids)
        return plan.replace(**{name: ids[: len(ids) - drop]})
    return cut


def _switch_off(name):
    return lambda plan, over, prices: plan.replace(**{name: False})


def _cut_count(name, price):
    """Cut a count of contacts (telemarketing calls, campaign e-mails) by the overrun."""
    def cut(plan, over, prices):
        have = getattr(plan, name)
        drop = min(have, math.ceil(over / prices[price])) if prices[price] > 0 else have
        return plan.replace(**{name: have - drop})
    return cut


def _cut_reps(plan, over, prices):
    """Fewer sales reps, each saving their days and their automation seat; a plan that spreads
    reps over territories loses them where it has most, so its coverage keeps its shape."""
    reps = plan.sales_reps
    if not reps:
        return plan
    each = prices["rep_cost_per_day"] * prices["cycle_days"]
    if plan.sales_force_automation:
        each += prices["sfa_cost_per_rep"]
    drop = min(reps, math.ceil(over / each)) if each > 0 else reps
    spread = list(plan.rep_territories)
    for _ in range(drop if spread else 0):
        spread[spread.index(max(spread))] -= 1
    changes = {"sales_reps": reps - drop, "rep_territories": tuple(spread)}
    if reps == drop:
        changes.update(rep_territories=(), sales_force_automation=False)
    return plan.replace(**changes)


# The order in which fit_budget cuts a plan that costs too much, each cut shrinking one field by
# the overrun (EUR): discretionary marketing first (the sales channels with it, reps last among
# them), then campaign lists from their tails (a
# strategy lists its best targets first), the programmes and channels with a fixed cost per
# cycle, training and the CRM system; agents come last, because an understaffed service centre
# loses customers fastest. The self-service portal goes after the programmes: it takes calls
# off the agents. (E-mail and discounts have no fixed cost; they are paid as they are used.)
_CUTS = (
    _cut_targeted,
    _cut_spend("mass_spend"),
    _cut_count("email_campaign", "email_cost_per_message"),
    _cut_count("telemarketing_calls", "telemarketing_cost_per_call"),
    _switch_off("web_shop"),
    _switch_off("sales_force_automation"),
    _cut_reps,
    _cut_list("cross_sell", "cross_sell_contact_cost"),
    _cut_list("winback", "winback_contact_cost"),
    _cut_list("retention_offers", "retention_contact_cost"),
    _switch_off("collaborative"),
    _switch_off("channel_integration"),
    _switch_off("loyalty"),
    _switch_off("self_service"),
    _cut_spend("training_spend"),
    _switch_off("crm_system"),
)
#: Switches given back, most essential first, when the cuts overshot (the reverse of _CUTS).
_GIVE_BACK = ("crm_system", "training_spend", "self_service", "loyalty", "channel_integration",
              "collaborative")


def fit_budget(actions: Actions, view) -> Actions:
    """Cut a plan until it fits the cycle budget, least essential spending first.

    Order: targeted marketing, mass marketing, campaign e-mails, telemarketing calls, the web
    shop, sales force automation, sales reps (where a plan has most of them in a territory
    first), cross-sell, win-back and retention contacts
    (from the end of each list, so a list ordered best first keeps its best targets),
    collaboration, channel integration, the loyalty programme, the self-service portal,
    training, the CRM system, and last agents (never below one). Whatever the cuts overshot (a
    programme switched off frees its whole cost, agents come in whole days) is given back: the
    CRM system, training (only with the system), the portal, the loyalty programme, channel
    integration, collaboration, then marketing, as far as the budget allows. Targeted spend
    left smaller than its data cost is dropped, since the data would cost more than the
    contacts it buys. E-mail service, list prices and discounts cost nothing up front (they are
    paid as customers use them) and are never cut.

    A scenario's budget always pays for one agent (``Scenario`` checks it), so the result is a
    valid plan.

    Parameters
    ----------
    actions : Actions
        The plan wanted.
    view : FirmView
        Supplies the budget (EUR per cycle), the price list and the cycle length.

    Returns
    -------
    Actions
        ``actions`` itself if it fits, else a cut-down copy whose
        :func:`~sim.actions.plan_cost` is at most ``view.budget``.
    """
    # The cuts read prices only; the reps' cost per cycle needs the cycle's length too.
    prices: Mapping[str, float] = {**view.prices, "cycle_days": view.cycle_days}

    def over(plan: Actions) -> float:
        return plan_cost(plan, prices, view.cycle_days) - view.budget

    if over(actions) <= 0:
        return actions
    wanted = actions
    for cut in _CUTS:
        if over(actions) <= 0:
            break
        actions = cut(actions, over(actions), prices)
    agent_cycle = prices["agent_cost_per_day"] * view.cycle_days
    while over(actions) > 0 and actions.agents > 1:
        shed = max(1, math.ceil(over(actions) / agent_cycle)) if agent_cycle > 0 else 1
        actions = actions.replace(agents=max(1, actions.agents - shed))
    # Give back what the cuts overshot: switches first (most essential first), then marketing
    # money. Training is worth something only with the system it trains for.
    for name in _GIVE_BACK:
        if name == "training_spend" and not actions.crm_system:
            continue
        if getattr(wanted, name) != getattr(actions, name):
            trial = actions.replace(**{name: getattr(wanted, name)})
            if over(trial) <= 0:
                actions = trial
    for name in ("mass_spend", "targeted_spend"):
        room = -over(actions)
        short = getattr(wanted, name) - getattr(actions, name)
        if room <= 0 or short <= 0:
            continue
        trial = actions.replace(**{name: _cents_down(getattr(actions, name) + min(short, room))})
        if over(trial) > 0:  # targeted money back from zero brings its data cost with it
            trial = trial.replace(**{name: _cents_down(getattr(trial, name) - over(trial))})
        if over(trial) <= 0:
            actions = trial
    if over(actions) > 0:  # rounding: give back the last cents of marketing
        actions = actions.replace(mass_spend=_cents_down(actions.mass_spend - over(actions)))
    return actions


class ContactLog:
    """The firm's own record of when it last contacted each customer in one campaign.

    Presets keep one per campaign per run so that they do not offer a customer a second
    incentive while the first still runs, or call the same customer every month.

    Examples
    --------
    >>> log = ContactLog()
    >>> log.record([3, 5], day=30)
    >>> log.since([3, 4, 5], day=60).tolist()   # days since last contact (inf: never)
    [30.0, inf, 30.0]
    """

    def __init__(self):
        self._day = np.full(0, -np.inf)

    def record(self, ids, day: float) -> None:
        """Note that customers ``ids`` were contacted on ``day``."""
        ids = self._checked(ids)
        if not ids.size:
            return
        top = int(ids.max()) + 1
        if top > self._day.size:
            self._day = np.concatenate([self._day, np.full(top - self._day.size, -np.inf)])
        self._day[ids] = day

    def since(self, ids, day: float) -> np.ndarray:
        """Days since each of ``ids`` was last contacted (``inf`` if never)."""
        ids = self._checked(ids)
        last = np.full(ids.size, -np.inf)
        known = ids < self._day.size
        last[known] = self._day[ids[known]]
        return day - last

    @staticmethod
    def _checked(ids) -> np.ndarray:
        ids = np.asarray(ids, dtype=np.int64).ravel()
        if ids.size and ids.min() < 0:
            raise ValueError(f"customer id {int(ids.min())}: customer ids are >= 0")
        return ids

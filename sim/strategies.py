"""Strategies: what the firm does each CRM cycle (DESIGN section 4).

A strategy is any callable ``strategy(view) -> Actions``. Students write plain functions::

    def my_strategy(view):
        return sim.Actions(mass_spend=8_000, agents=2)

The presets below each embody one CRM model of the course (SOURCE-DIGEST section 5: the four
models are complementary) or one lifecycle step (section 4):

================ ===================================================================
``transactional`` no CRM: the production-era firm (mass marketing, one agent)
``operational``   serve fast and without error: Erlang-C staffing, CRM system, training,
                  web self-service and e-mail besides the call centre
``analytical``    a churn model on the firm's records targets retention offers
``collaborative`` shared customer knowledge: resolution, offer fit, partner referrals,
                  the service channels integrated on one customer view
``strategic``     customer-based cost model: acquire profitable segments, drop the rest,
                  price the rest to pay their way, discounts for the most valuable
``loyalty``       a loyalty programme for every customer
``winback``       win back recently lost customers who were worth keeping
``full_crm``      the four models together, each where it pays on this market
================ ===================================================================

Every preset except ``transactional`` stands on the operational front office (the records
every other model uses, and the service channels: call centre, self-service, e-mail), so
comparing, say, ``analytical`` with ``operational`` isolates what the churn model adds. They
work as they are (``sim.run(scenario, strategies.analytical)``) and any parameter can be changed
into a new, differently named strategy with ``configure``::

    busy = strategies.operational.configure(service_level=0.9)
    busy.name   # 'operational(service_level=0.9)'

Every preset keeps within the cycle budget on its own (:func:`sim.planning.fit_budget`).

A strategy that decides from the KPIs alone may say so with an attribute
``reads_customers = False`` (presets take it as an argument). The engine then skips building
the per-customer table of each cycle's view, which is most of the cost of a CRM cycle in a large
market; ``view.customers`` of such a view raises an error that says why.

A strategy that learns during a run (the churn model, the record of whom it contacted) keeps
that memory per run: the engine calls ``strategy.for_run()`` when a run starts, if the strategy
has one, and uses what it returns. So one preset object can serve many runs, one after another
or in parallel, without one run's memory leaking into the next.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable

import numpy as np
import pandas as pd

from .actions import Actions
from .analytics.profitability import cost_per_contact, segment_profitability
from .analytics.records import observed_days, segment_codes, segment_totals
from .planning import ContactLog, fit_budget, staff, take_within

__all__ = ["PRESETS", "Preset", "analytical", "collaborative", "full_crm", "get", "loyalty",
           "operational", "strategic", "transactional", "winback"]

TARGETS = ("expected_value", "risk", "value", "random")
#: Horizon of the predicted values that rank customers for offers and discounts (days).
VALUE_HORIZON_DAYS = 3 * 365.0


class Preset:
    """A named strategy with keyword parameters that ``configure`` can change.

    Parameters
    ----------
    func : callable
        ``func(view, **params) -> Actions``, or ``func(view, memory, **params)`` when
        ``memory`` is given; its keyword defaults are the preset's parameters.
    name : str
        Readable name shown in results and reports.
    source : str
        The course concept the preset embodies and where it comes from.
    params : dict, optional
        Parameter values differing from the defaults.
    reads_customers : bool
        Whether ``func`` reads ``view.customers`` (False spares the engine building it).
    memory : callable, optional
        ``memory(params) -> object``: builds what the strategy remembers during one run
        (a fresh one for each run, see :meth:`for_run`).
    """

    def __init__(self, func: Callable, name: str, source: str, params: dict | None = None,
                 *, reads_customers: bool = True, memory: Callable | None = None):
        self._func = func
        self._base = name
        self.source = source
        self.reads_customers = bool(reads_customers)
        self._memory_factory = memory
        self._memory = None
        sig = inspect.signature(func)
        skip = 2 if memory is not None else 1
        self.defaults = {k: p.default for k, p in list(sig.parameters.items())[skip:]}
        self.params = {**self.defaults, **(params or {})}
        self.__doc__ = func.__doc__

    @property
    def name(self) -> str:
        """Base name plus the parameters that differ from the defaults."""
        changed = {k: v for k, v in self.params.items() if self.defaults[k] != v}
        if not changed:
            return self._base
        # numpy scalars (from a sweep's grid, say) read as plain numbers: 2000.0, not
        # np.float64(2000.0)
        shown = {k: v.item() if isinstance(v, np.generic) else v for k, v in changed.items()}
        return f"{self._base}({', '.join(f'{k}={v!r}' for k, v in shown.items())})"

    def configure(self, **changes) -> Preset:
        """A new preset with some parameters changed; unknown names are an error."""
        unknown = sorted(set(changes) - set(self.defaults))
        if unknown:
            raise TypeError(f"{self._base} has no parameter {', '.join(map(repr, unknown))}; "
                            f"parameters: {', '.join(self.defaults)}")
        return Preset(self._func, self._base, self.source, {**self.params, **changes},
                      reads_customers=self.reads_customers, memory=self._memory_factory)

    def scaled(self, factor: float) -> Preset:
        """The same firm ``factor`` times as large, for a market ``Scenario.scaled(factor)``.

        Multiplies what grows with the firm: every marketing and campaign spend or budget
        (names ending in ``_spend`` or ``_budget``, EUR per cycle) and every fixed staff number
        (``agents``, ``initial_agents``: rounded, at least 1). Rates, shares, per-customer
        thresholds and days stay, and so does ``training_spend``: adoption is measured against
        the scenario's ``people.training_scale``, which ``Scenario.scaled`` keeps, like the
        other fixed costs per cycle. The larger firm then behaves per customer as the original.

        Parameters
        ----------
        factor : float
            Scale, > 0.

        Returns
        -------
        Preset
        """
        if not (isinstance(factor, (int, float)) and not isinstance(factor, bool)
                and np.isfinite(factor) and factor > 0):
            raise ValueError(f"factor = {factor!r}: must be a number > 0")
        changes = {}
        for key, value in self.params.items():
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                continue
            if key.endswith(("_spend", "_budget")) and key != "training_spend":
                changes[key] = type(value)(value * factor)
            elif key in ("agents", "initial_agents"):
                changes[key] = max(1, round(value * factor))
        return self.configure(**changes)

    def for_run(self) -> Preset:
        """This preset with a fresh memory, for one run (the engine calls it at the start)."""
        if self._memory_factory is None:
            return self
        fresh = Preset(self._func, self._base, self.source, self.params,
                       reads_customers=self.reads_customers, memory=self._memory_factory)
        fresh._memory = self._memory_factory(fresh.params)
        return fresh

    def __call__(self, view) -> Actions:
        if self._memory_factory is None:
            return self._func(view, **self.params)
        if self._memory is None or view.cycle == 0:
            # Called outside the engine (which uses for_run): start a memory on the first cycle.
            self._memory = self._memory_factory(self.params)
        return self._func(view, self._memory, **self.params)

    def __repr__(self) -> str:
        return f"<strategy {self.name}>"

    def __reduce__(self):
        # Pickled (for a process pool) without the memory of any run in progress.
        return (_rebuild, (self._func, self._base, self.source, self.params,
                           self.reads_customers, self._memory_factory))


def _rebuild(func, name, source, params, reads_customers, memory) -> Preset:
    return Preset(func, name, source, params, reads_customers=reads_customers, memory=memory)


class _Memory:
    """What a preset remembers during one run: its churn model and whom it contacted when."""

    def __init__(self, params: dict):
        self.params = params
        self._tracker = None
        self.offered = ContactLog()
        self.cross_sold = ContactLog()
        self.winback = ContactLog()

    @property
    def tracker(self):
        if self._tracker is None:  # scikit-learn is imported only by strategies that use it
            from .analytics.churn_model import ChurnTracker

            self._tracker = ChurnTracker(self.params.get("churn_model", "logistic"))
        return self._tracker


# -- building blocks ----------------------------------------------------------------------------
def _front_office(view, *, mass_spend, service_level, crm_system, training_spend,
                  initial_agents=2, self_service=False, email_service=False,
                  channel_integration=False) -> Actions:
    """The operational base every CRM preset shares: marketing, staffing, system, training and
    the service channels (web self-service, e-mail, their integration on one customer view)."""
    return Actions(mass_spend=mass_spend,
                   agents=staff(view, service_level, initial_agents=initial_agents),
                   crm_system=crm_system, training_spend=training_spend if crm_system else 0.0,
                   self_service=self_service, email_service=email_service,
                   channel_integration=channel_integration)


def _retention_targets(view, memory: _Memory, *, budget: float, target: str,
                       save_rate: float, value_horizon_days: float, exclude=()) -> tuple:
    """Customers to offer a retention incentive, best first, within ``budget`` (EUR)."""
    if target not in TARGETS:
        raise ValueError(f"target = {target!r}: choose one of {', '.join(TARGETS)}")
    prices = view.prices
    contact = prices["retention_contact_cost"]
    if budget <= 0 or view.n_active == 0:
        return ()
    # Imported here: the churn model pulls in scikit-learn, which presets without it never need.
    from .analytics.churn_model import expected_value_saved, predicted_value

    customers = view.customers
    # Only the active customers the firm has not offered anything in the offer's lifetime.
    ids = customers.loc[customers["status"] == "active", "customer_id"].to_numpy()
    ids = ids[memory.offered.since(ids, view.day) >= prices["retention_offer_days"]]
    if len(exclude):
        ids = np.setdiff1d(ids, np.asarray(exclude))
    if target == "random":
        # Untargeted: as many offers as the budget buys, to customers drawn at random. The draw
        # is seeded by the day, never by a global random state, so the run is reproducible.
        rng = np.random.default_rng([20_241, int(view.day)])
        pick = rng.permutation(ids)
        chosen = take_within(pd.Series(np.arange(pick.size, 0, -1), index=pick), budget, contact)
    else:
        risk = memory.tracker.update(view).reindex(ids)
        if target == "risk":
            priority = risk
        else:
            value = predicted_value(customers, value_horizon_days,
                                    prices["annual_discount_rate"]).reindex(ids)
            if target == "value":
                priority = value
            elif memory.tracker.fitted:
                # P(lost while the offer runs) from the model's P(lost within a cycle).
                cycles = prices["retention_offer_days"] / view.cycle_days
                p_offer = 1.0 - (1.0 - risk) ** cycles
                accept = _observed_acceptance(view)
                gain = expected_value_saved(p_offer, value, contact
                                            + accept * prices["retention_incentive_cost"],
                                            save_rate)
                priority = gain[gain > 0]
            else:
                # Before the model has enough churners to learn from: the heuristic rank times
                # value, only for customers worth something.
                priority = (risk * value)[value > 0]
        chosen = take_within(priority, budget, contact)
    memory.offered.record(chosen, view.day)
    return chosen


def _observed_acceptance(view, prior: float = 0.5, weight: float = 20.0) -> float:
    """Share of retention offers accepted so far, shrunk toward ``prior`` while offers are few."""
    kpis = view.recent(view.cycle)
    sent = sum(r.get("offers_sent", 0) for r in kpis)
    took = sum(r.get("offers_accepted", 0) for r in kpis)
    return (took + prior * weight) / (sent + weight)


def _in_segments(customers: pd.DataFrame, segments, codes=None) -> np.ndarray:
    """Mask of the rows of ``customers`` whose segment is one of ``segments`` (``codes``:
    :func:`segment_codes` of ``customers``, if already at hand)."""
    codes, names = segment_codes(customers) if codes is None else codes
    return np.isin(codes, [names.index(s) for s in segments if s in names])


def _cross_sell_targets(view, memory: _Memory, *, budget: float, every_days: float,
                        segments=None) -> tuple:
    """Customers most likely to take another product: the most frequent buyers for their
    segment (a fit the firm can see), who hold fewer than the full range and were not
    contacted in the last ``every_days``."""
    if budget <= 0:
        return ()
    customers = view.customers
    keep = ((customers["status"] == "active").to_numpy()
            & (customers["products"].to_numpy() < view.prices["max_products"]))
    codes, names = segment_codes(customers)
    if segments is not None:
        keep &= _in_segments(customers, segments, (codes, names))
    codes = codes[keep]
    days = observed_days(customers).to_numpy()[keep]
    with np.errstate(invalid="ignore", divide="ignore"):
        pace = np.where(days >= view.cycle_days,
                        customers["purchases"].to_numpy(dtype=float)[keep] / days, np.nan)
        # Pace relative to the segment's mean pace (over customers with a measured pace).
        measured = np.where(np.isfinite(pace), codes, -1)
        mean = (segment_totals(measured, len(names), np.nan_to_num(pace))
                / segment_totals(measured, len(names)))
        relative = pace / mean[codes]
    ids = customers["customer_id"].to_numpy()[keep]
    fresh = memory.cross_sold.since(ids, view.day) >= every_days
    relative = pd.Series(relative[fresh], index=ids[fresh])
    chosen = take_within(relative, budget, view.prices["cross_sell_contact_cost"])
    memory.cross_sold.record(chosen, view.day)
    return chosen


def _winback_targets(view, memory: _Memory, *, budget: float, max_days_lost: float,
                     segments=None) -> tuple:
    """Recently lost customers who earned the firm money, most valuable per day first, each
    contacted at most once per loss."""
    if budget <= 0:
        return ()
    customers = view.customers
    lost_day = customers["lost_day"].to_numpy(dtype=float)
    keep = (customers["status"] == "lost").to_numpy() & (view.day - lost_day <= max_days_lost)
    if segments is not None:
        keep &= _in_segments(customers, segments)
    days = observed_days(customers).to_numpy()[keep]
    with np.errstate(invalid="ignore", divide="ignore"):
        worth = np.where(days > 0, customers["margin"].to_numpy(dtype=float)[keep] / days,
                         np.nan)
    ids = customers["customer_id"].to_numpy()[keep]
    since_loss = view.day - lost_day[keep]
    # A customer lost again after a win-back may be tried again; one lost once, once.
    # (>=: a customer won back and lost again on the same day was contacted before this loss.)
    pick = (worth > 0) & (memory.winback.since(ids, view.day) >= since_loss)
    worth = pd.Series(worth[pick], index=ids[pick])
    chosen = take_within(worth, budget, view.prices["winback_contact_cost"])
    memory.winback.record(chosen, view.day)
    return chosen


def _loyalty_discounts(view, *, discount: float, budget: float, min_tenure_days: float,
                       value_horizon_days: float, segments=None) -> dict[int, float]:
    """Customer-specific prices for the most valuable loyal customers: ``discount`` off the list
    price for active customers with at least ``min_tenure_days`` of tenure (of ``segments``, if
    given), as many as an expected discount cost of ``budget`` EUR this cycle pays for.

    Ranked by the observable predicted value (:func:`sim.analytics.churn_model.predicted_value`),
    best first, with one exception: a customer who had the discount last cycle
    (``view.actions``) keeps it, ahead of newcomers to the list, while they qualify and the
    budget allows. A loyalty price is a status, and the discount itself lowers the margin the
    ranking reads, which would otherwise push the firm's best customers off the list and back
    every other month.

    The expected cost of a customer's discount is ``discount`` x their recorded revenue per day
    x the cycle's days: what the discount costs at the pace the customer bought so far. (They
    buy somewhat more at the lower price, which the firm cannot know in advance, so the booked
    ``cost_discount`` can run a little above the plan.) Customers without an observed day are
    left out: a customer-specific price needs a record of the customer.
    """
    if discount <= 0 or budget <= 0 or view.n_active == 0:
        return {}
    from .analytics.churn_model import predicted_value

    customers = view.customers
    keep = ((customers["status"] == "active").to_numpy()
            & (customers["tenure_days"].to_numpy(dtype=float) >= min_tenure_days))
    if segments is not None:
        keep &= _in_segments(customers, segments)
    days = observed_days(customers).to_numpy()[keep]
    ids = customers["customer_id"].to_numpy()[keep]
    with np.errstate(invalid="ignore", divide="ignore"):
        per_day = np.where(days > 0, customers["revenue"].to_numpy(dtype=float)[keep] / days,
                           np.nan)
    cost = pd.Series(discount * per_day * view.cycle_days, index=ids)
    value = predicted_value(customers, value_horizon_days,
                            view.prices["annual_discount_rate"]).reindex(ids)
    value = value[value > 0]
    held = np.isin(value.index, list(dict(view.actions.discounts)))
    kept = take_within(value[held], budget, cost)
    left = budget - float(cost.loc[list(kept)].sum())
    chosen = kept + take_within(value[~held], left, cost)
    return dict.fromkeys(chosen, float(discount))


def _segment_prices(view, keep, index: float) -> dict[str, float]:
    """List price ``index`` for the segments not in ``keep`` (none while ``index`` is 1)."""
    if index == 1.0:
        return {}
    return {s: float(index) for s in view.segments if s not in keep}


def profitable_segments(view, min_profit: float = 0.0) -> tuple[str, ...]:
    """Segments whose recorded profit per customer-year, service time charged, exceeds
    ``min_profit`` (EUR), in the scenario's order; every segment while there is no record yet,
    or if none qualifies (a firm does not stop acquiring altogether on one bad reading)."""
    if view.cycle == 0:
        return tuple(view.segments)
    table = segment_profitability(view.customers, cost_per_contact(view.recent(3)))
    keep = set(table.index[table["profit_per_year"] > min_profit])
    return tuple(s for s in view.segments if s in keep) or tuple(view.segments)


# -- the presets --------------------------------------------------------------------------------
def _transactional(view, *, mass_spend: float = 12_000.0, agents: int = 1,
                   welcome_discount: float = 0.0) -> Actions:
    """No CRM: the production-era firm (SOURCE-DIGEST 1, [000] [001]: "produce first, then look
    for a buyer"). Mass marketing to win customers, the minimum of service, no customer
    database in use. A ``welcome_discount`` for newcomers is the classic acquisition deal that
    loyal customers resent (section 7)."""
    return fit_budget(Actions(mass_spend=mass_spend, agents=agents,
                              welcome_discount=welcome_discount), view)


def _operational(view, *, mass_spend: float = 12_000.0, service_level: float | None = None,
                 crm_system: bool = True, training_spend: float = 1_000.0,
                 initial_agents: int = 2, self_service: bool = True,
                 email_service: bool = True) -> Actions:
    """Operational CRM (SOURCE-DIGEST 5 and 6, [000] [001] [004]): serve the customer fast and
    without error, in every channel the customer uses.

    Staffs the service centre each cycle with the fewest agents that meet the service-level
    target by Erlang C, forecasting load from the firm's own records
    (:func:`sim.planning.staff`), and runs a CRM system that gives agents one customer view so
    more issues are resolved at first contact. The system pays back only as far as employees
    use it: ``training_spend`` (EUR a cycle) builds adoption (section 2: people matter more than
    technology); ``training_spend=0`` is the "technology without people" trap. Besides the call
    centre it offers web self-service (``self_service``: cheap per contact, a fixed portal cost,
    resolves few complex issues) and e-mail (``email_service``: answered hours later) to the
    customers who prefer them ([004]: phone, web and e-mail on one database); the staffing
    forecast counts only the calls that reach the centre. ``initial_agents`` staff the first
    cycle, before there is a record. Marketing is the transactional firm's, so a comparison
    isolates the operational levers.
    """
    return fit_budget(_front_office(view, mass_spend=mass_spend, service_level=service_level,
                                    crm_system=crm_system, training_spend=training_spend,
                                    initial_agents=initial_agents, self_service=self_service,
                                    email_service=email_service), view)


def _analytical(view, memory, *, offer_budget: float = 3_000.0, target: str = "expected_value",
                churn_model: str = "logistic", save_rate: float = 0.3,
                value_horizon_days: float = VALUE_HORIZON_DAYS, mass_spend: float = 12_000.0,
                service_level: float | None = None, training_spend: float = 1_000.0,
                initial_agents: int = 2, self_service: bool = True,
                email_service: bool = True) -> Actions:
    """Analytical CRM (SOURCE-DIGEST 5 and 6, [000] [001]): data mining on what operational CRM
    recorded, to design retention campaigns.

    Each cycle a churn model is re-fit on the firm's records
    (:class:`sim.analytics.churn_model.ChurnTracker`) and up to ``offer_budget`` EUR of
    retention contacts go to the customers chosen by ``target``:

    * ``"expected_value"``: P(lost while the offer runs) x ``save_rate`` x predicted value -
      expected offer cost, offered only where positive, best first (DESIGN 3.4);
    * ``"risk"``: the highest churn scores; ``"value"``: the highest predicted values;
    * ``"random"``: the same budget spent on customers drawn at random, the untargeted
      campaign that analytics must beat.

    ``save_rate`` is the firm's assumption of the share of would-be leavers an accepted offer
    keeps (the true effect is latent). No customer is offered twice while an offer runs.
    Operational base as :func:`operational`: staffing, system, training, ``initial_agents``,
    ``self_service`` and ``email_service``.
    """
    plan = _front_office(view, mass_spend=mass_spend, service_level=service_level,
                         crm_system=True, training_spend=training_spend,
                         initial_agents=initial_agents, self_service=self_service,
                         email_service=email_service)
    offers = _retention_targets(view, memory, budget=offer_budget, target=target,
                                save_rate=save_rate, value_horizon_days=value_horizon_days)
    return fit_budget(plan.replace(retention_offers=offers), view)


def _collaborative(view, memory, *, cross_sell_budget: float = 3_000.0,
                   cross_sell_every_days: float = 90.0, mass_spend: float = 12_000.0,
                   service_level: float | None = None, training_spend: float = 1_000.0,
                   initial_agents: int = 2, self_service: bool = True,
                   email_service: bool = True, channel_integration: bool = True) -> Actions:
    """Collaborative CRM (SOURCE-DIGEST 5, [000] [001] [004]): customer knowledge shared across
    departments, channels and partners.

    Runs collaboration every cycle (``scenario.collaboration``: more issues resolved at first
    contact, better-fitting offers, partner referrals) and integrates the service channels on
    one customer view (``channel_integration``, [004] "an integrated call centre for
    multichannel personal interaction": first-contact resolution rises in the call centre, on
    the web and by e-mail), the channels being the operational base's self-service and e-mail.
    It uses the shared knowledge where it shows: cross-sell contacts, up to
    ``cross_sell_budget`` EUR a cycle, to the customers who buy most often for their segment,
    each at most once every ``cross_sell_every_days``. Operational base as :func:`operational`
    (``initial_agents``, ``self_service``, ``email_service``).
    """
    plan = _front_office(view, mass_spend=mass_spend, service_level=service_level,
                         crm_system=True, training_spend=training_spend,
                         initial_agents=initial_agents, self_service=self_service,
                         email_service=email_service, channel_integration=channel_integration)
    contacts = _cross_sell_targets(view, memory, budget=cross_sell_budget,
                                   every_days=cross_sell_every_days)
    return fit_budget(plan.replace(collaborative=True, cross_sell=contacts), view)


def _strategic(view, *, targeted_spend: float = 8_000.0, mass_spend: float = 2_000.0,
               min_profit: float = 0.0, service_level: float | None = None,
               training_spend: float = 1_000.0, loyalty_discount: float = 0.05,
               discount_budget: float = 1_000.0, min_tenure_days: float = 365.0,
               unprofitable_price: float = 1.2, initial_agents: int = 2,
               self_service: bool = True, email_service: bool = True) -> Actions:
    """Strategic CRM (SOURCE-DIGEST 3, 5 and 8, [001] [003]): a customer-based cost model decides
    whom to serve, and at what price.

    Each cycle it charges the service centre's cost to the customers who use it
    (:func:`sim.analytics.profitability.segment_profitability`) and keeps the segments whose
    profit per customer-year exceeds ``min_profit`` EUR. Then:

    * **acquisition**: marketing moves from mass media (which reaches everyone, "bad
      customers" included) to targeted marketing of the kept segments only;
    * **list prices**: the segments it does not keep pay ``unprofitable_price`` times the
      reference prices (an index, 0.5 to 2; 1 switches it off), so that a customer whose
      service costs more than their margin either pays for it or goes ("avoiding bad
      customers");
    * **customer-specific prices** (Peppers & Rogers: "customer-specific prices"): a
      ``loyalty_discount`` (fraction) off the list price for the loyal customers (tenure at
      least ``min_tenure_days``) of the kept segments with the highest observable predicted
      value (:func:`sim.analytics.churn_model.predicted_value`), as many as an expected
      discount cost of ``discount_budget`` EUR a cycle pays for (0 switches it off). The
      discount makes them buy more and, the more price-sensitive they are, leave less often;
      it goes only to long-standing customers, so newcomers never get a better deal than the
      loyal ones (SOURCE-DIGEST 7). Discounts are paid as they are taken up (booked as
      ``cost_discount``), not out of the cycle budget.

    Operational base as :func:`operational` (``initial_agents``, ``self_service``,
    ``email_service``).
    """
    plan = _front_office(view, mass_spend=mass_spend, service_level=service_level,
                         crm_system=True, training_spend=training_spend,
                         initial_agents=initial_agents, self_service=self_service,
                         email_service=email_service)
    keep = profitable_segments(view, min_profit)
    prices = _segment_prices(view, keep, unprofitable_price)
    discounts = _loyalty_discounts(view, discount=loyalty_discount, budget=discount_budget,
                                   min_tenure_days=min_tenure_days,
                                   value_horizon_days=VALUE_HORIZON_DAYS, segments=keep)
    return fit_budget(plan.replace(targeted_spend=targeted_spend, target_segments=keep,
                                   list_prices=prices, discounts=discounts), view)


def _loyalty(view, *, mass_spend: float = 12_000.0, service_level: float | None = None,
             training_spend: float = 1_000.0, initial_agents: int = 2,
             self_service: bool = True, email_service: bool = True) -> Actions:
    """Loyalty programme (SOURCE-DIGEST 7, [004] [001]): points, tiers and rewards for every
    customer, to build relationships and lower price sensitivity.

    Effects are modest and heavy buyers collect rewards for purchases they would have made
    anyway (``scenario.loyalty``), so whether it pays depends on the reward rate: compare it
    with :func:`operational`, its base (``initial_agents``, ``self_service`` and
    ``email_service`` as there).
    """
    plan = _front_office(view, mass_spend=mass_spend, service_level=service_level,
                         crm_system=True, training_spend=training_spend,
                         initial_agents=initial_agents, self_service=self_service,
                         email_service=email_service)
    return fit_budget(plan.replace(loyalty=True), view)


def _winback(view, memory, *, winback_budget: float = 1_500.0, max_days_lost: float = 90.0,
             mass_spend: float = 12_000.0, service_level: float | None = None,
             training_spend: float = 1_000.0, initial_agents: int = 2,
             self_service: bool = True, email_service: bool = True) -> Actions:
    """Win back lost customers (SOURCE-DIGEST 3, [001]: "study lost customers", "win back lost
    customers").

    Each cycle, up to ``winback_budget`` EUR of contacts go to customers lost within the last
    ``max_days_lost`` days who earned the firm money, most valuable per day first; the chance
    of success fades with time since the loss, so recent losses come first in practice too.
    Operational base as :func:`operational` (``initial_agents``, ``self_service``,
    ``email_service``).
    """
    plan = _front_office(view, mass_spend=mass_spend, service_level=service_level,
                         crm_system=True, training_spend=training_spend,
                         initial_agents=initial_agents, self_service=self_service,
                         email_service=email_service)
    back = _winback_targets(view, memory, budget=winback_budget, max_days_lost=max_days_lost)
    return fit_budget(plan.replace(winback=back), view)


def _full_crm(view, memory, *, targeted_spend: float = 8_000.0, mass_spend: float = 2_000.0,
              offer_budget: float = 3_000.0, cross_sell_budget: float = 3_000.0,
              winback_budget: float = 1_000.0, cross_sell_every_days: float = 90.0,
              max_days_lost: float = 90.0, collaborative: bool = False,
              loyalty: bool = False, service_level: float | None = None,
              training_spend: float = 1_000.0, min_profit: float = 0.0,
              save_rate: float = 0.3, churn_model: str = "logistic",
              loyalty_discount: float = 0.05, discount_budget: float = 1_000.0,
              min_tenure_days: float = 365.0, unprofitable_price: float = 1.2,
              initial_agents: int = 2, self_service: bool = True, email_service: bool = True,
              channel_integration: bool = True) -> Actions:
    """The four CRM models together (SOURCE-DIGEST 5: "the four are complementary"; 4: select,
    acquire, retain, grow and win back).

    Operational staffing, CRM system, training, ``self_service`` and ``email_service``; the
    channels integrated on one customer view (``channel_integration``, the collaborative lever
    of :func:`collaborative`); strategic acquisition of profitable segments only, list prices
    that make the others pay their way (``unprofitable_price``) and customer-specific prices
    for the most valuable loyal customers (``loyalty_discount``, ``discount_budget``,
    ``min_tenure_days``, as :func:`strategic`); analytical retention offers by expected value
    saved; cross-sell and win-back campaigns within the profitable segments. Collaboration with
    partners and the loyalty programme are switches, off by default: on the classroom market
    their fixed costs outweigh what they bring (see the README's comparison), which is itself
    a lesson: "full" CRM means each lever where it pays, not every lever at once. Channel
    integration is on: it costs more than it saves in the classroom firm, but it is what keeps
    self-service and e-mail from leaving customers with complex issues unresolved (with the
    channels on, it raises satisfaction and first-contact resolution).
    """
    plan = _front_office(view, mass_spend=mass_spend, service_level=service_level,
                         crm_system=True, training_spend=training_spend,
                         initial_agents=initial_agents, self_service=self_service,
                         email_service=email_service, channel_integration=channel_integration)
    keep = profitable_segments(view, min_profit)
    dropped = ()
    if len(keep) < len(view.segments):
        customers = view.customers
        dropped = customers["customer_id"].to_numpy()[~_in_segments(customers, keep)]
    offers = _retention_targets(view, memory, budget=offer_budget, target="expected_value",
                                save_rate=save_rate, value_horizon_days=VALUE_HORIZON_DAYS,
                                exclude=dropped)
    contacts = _cross_sell_targets(view, memory, budget=cross_sell_budget,
                                   every_days=cross_sell_every_days, segments=keep)
    back = _winback_targets(view, memory, budget=winback_budget, max_days_lost=max_days_lost,
                            segments=keep)
    prices = _segment_prices(view, keep, unprofitable_price)
    discounts = _loyalty_discounts(view, discount=loyalty_discount, budget=discount_budget,
                                   min_tenure_days=min_tenure_days,
                                   value_horizon_days=VALUE_HORIZON_DAYS, segments=keep)
    return fit_budget(plan.replace(targeted_spend=targeted_spend, target_segments=keep,
                                   retention_offers=offers, cross_sell=contacts, winback=back,
                                   collaborative=collaborative, loyalty=loyalty,
                                   list_prices=prices, discounts=discounts), view)


_KPIS_ONLY = {"reads_customers": False}
_LEARNS = {"memory": _Memory}

transactional = Preset(_transactional, "transactional",
                       "SOURCE-DIGEST 1 (production process vs customer process) [000] [001]",
                       **_KPIS_ONLY)
operational = Preset(_operational, "operational",
                     "SOURCE-DIGEST 5 (operational CRM) and 6 (call centre) [000] [001] [004]",
                     **_KPIS_ONLY)
analytical = Preset(_analytical, "analytical",
                    "SOURCE-DIGEST 5 (analytical CRM) and 6 (data mining) [000] [001]", **_LEARNS)
collaborative = Preset(_collaborative, "collaborative",
                       "SOURCE-DIGEST 5 (collaborative CRM) [000] [001] [004]", **_LEARNS)
strategic = Preset(_strategic, "strategic",
                   "SOURCE-DIGEST 3 (profitable vs unprofitable segments, avoiding bad "
                   "customers) and 5 (strategic CRM) [001]")
loyalty = Preset(_loyalty, "loyalty",
                 "SOURCE-DIGEST 7 (loyalty programmes) [004] [001]", **_KPIS_ONLY)
winback = Preset(_winback, "winback",
                 "SOURCE-DIGEST 3 (study and win back lost customers) [001]", **_LEARNS)
full_crm = Preset(_full_crm, "full_crm",
                  "SOURCE-DIGEST 4 (lifecycle) and 5 (the four models are complementary) "
                  "[000] [001] [004]", **_LEARNS)

#: Presets by name (the CLI's ``--strategy`` choices), in the course's order.
PRESETS: dict[str, Preset] = {p.name: p for p in (
    transactional, operational, analytical, collaborative, strategic, loyalty, winback,
    full_crm)}


def get(name: str) -> Preset:
    """The preset called ``name``; a clear error lists the choices."""
    try:
        return PRESETS[name]
    except KeyError:
        raise ValueError(f"unknown strategy {name!r}: choose one of {', '.join(PRESETS)}") from None

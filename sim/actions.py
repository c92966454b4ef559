"""What a strategy decides in one CRM cycle (DESIGN section 4).

A strategy returns an :class:`Actions`; the engine validates it against the scenario and the
budget before carrying it out, and a bad value stops the run with an :class:`ActionsError` that
names the field, the value and what is allowed. Money is in euros per cycle.
"""

from __future__ import annotations

import dataclasses
import math
import numbers
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np

from .errors import ActionsError

__all__ = ["ID_FIELDS", "Actions", "plan_cost", "planned_spend", "price_list"]


@dataclass(frozen=True, kw_only=True)
class Actions:
    """The firm's decisions for the next cycle.

    Attributes
    ----------
    mass_spend : float
        Mass-marketing spend this cycle, EUR. Contacts land on random members of the market.
    targeted_spend : float
        Targeted (database) marketing spend this cycle, EUR, excluding the data cost that any
        positive spend adds (``scenario.targeted.data_cost_per_cycle``).
    target_segments : tuple of str
        Segments whose prospects targeted marketing, telemarketing, e-mail campaigns and sales
        reps contact; empty means every segment.
    agents : int
        Service-centre agents staffed this cycle (1 to ``scenario.service.max_agents``).
    crm_system : bool
        Run the CRM system this cycle: raises first-contact resolution toward
        ``scenario.service.crm_system_fcr``, in proportion to employee adoption, for
        ``crm_system_cost_per_cycle``.
    training_spend : float
        Training in the CRM system this cycle, EUR: raises employee adoption.
    retention_offers : tuple of int
        Ids of active customers offered a retention incentive now (``scenario.retention``).
    cross_sell : tuple of int
        Ids of active customers contacted with another product now (``scenario.cross_sell``).
    winback : tuple of int
        Ids of lost customers contacted to come back now (``scenario.winback``).
    loyalty : bool
        Run the loyalty programme this cycle (every active customer is a member).
    collaborative : bool
        Share customer knowledge across departments and partners this cycle
        (``scenario.collaboration``).
    welcome_discount : float
        Discount on newcomers' first purchase, fraction 0 to 0.9: converts more prospects, and
        loyal customers notice when it dwarfs what they get (``scenario.fairness``).
    self_service : bool
        Offer web self-service this cycle: customers who prefer it serve themselves at once and
        for next to nothing, but it resolves few complex issues (``scenario.channels``).
    email_service : bool
        Answer service requests by e-mail this cycle: customers who prefer it write instead of
        calling, and wait hours for the answer.
    channel_integration : bool
        Integrate the channels on one customer view this cycle: first-contact resolution rises
        in every channel, the call centre included.
    list_prices : Mapping[str, float]
        List price of a segment this cycle, as an index on the scenario's reference prices
        (1 = the reference, 1.1 = 10% dearer; 0.5 to 2); segments not named stay at 1.
        Customers buy less often at a higher index (``Segment.price_elasticity``) and the
        price-sensitive leave more readily (``scenario.prices``).
    discounts : Mapping[int, float]
        Customer-specific prices this cycle: active customer id -> discount off the list price
        (fraction 0 to 0.9). Booked as ``cost_discount``; deep discounts for newcomers are a
        deal loyal customers notice (``scenario.fairness``). A pair list ``[(id, fraction),
        ...]`` is accepted too.
    sales_reps : int
        Field sales representatives employed this cycle (0 to ``scenario.sales.max_reps``), each
        at ``sales.rep_cost_per_day``. A rep visits the prospects of their own territory, one
        visit after another within ``sales.selling_hours`` a day (:mod:`sim.engine.sales`).
    rep_priority : {"random", "value"}
        Which prospects reps visit first: in random order, or the valuable accounts first
        (prospects of the segment whose customers have earned the most margin per day as
        customers in the firm's own records, then the next segment, and so on).
    rep_territories : tuple of int
        Reps per territory (one whole number per ``sales.territories``, adding up to
        ``sales_reps``); empty spreads the reps evenly, the first territories getting one more
        when they do not divide.
    sales_force_automation : bool
        Equip the reps with sales force automation this cycle (``sales.sfa_cost_per_rep`` per
        rep): visits take ``sales.sfa_time_cut`` less time when employees have adopted it fully.
    telemarketing_calls : int
        Outbound calls to prospects this cycle (spread over its days), of ``target_segments``
        if given, at ``sales.telemarketing_cost_per_call``.
    email_campaign : int
        Campaign e-mails to prospects who opted in to e-mail this cycle (of
        ``target_segments`` if given), at ``sales.email_cost_per_message``; each opted-in
        prospect gets at most one a cycle, so a larger number sends no more.
    web_shop : bool
        Run the web shop this cycle (``sales.web_shop_cost_per_cycle``): prospects find the firm
        and buy online by themselves (``sales.web_shop_adoption``).

    Contacts, training and the fixed costs of the programme and of collaboration are committed
    spend and must fit the cycle budget; incentives, rewards and discounts are paid as they are
    taken up, like the cost of goods, and are booked but not budgeted.
    """

    mass_spend: float = 0.0
    targeted_spend: float = 0.0
    target_segments: tuple[str, ...] = ()
    agents: int = 1
    crm_system: bool = False
    training_spend: float = 0.0
    retention_offers: tuple[int, ...] = ()
    cross_sell: tuple[int, ...] = ()
    winback: tuple[int, ...] = ()
    loyalty: bool = False
    collaborative: bool = False
    welcome_discount: float = 0.0
    self_service: bool = False
    email_service: bool = False
    channel_integration: bool = False
    list_prices: Mapping[str, float] | tuple = ()
    discounts: Mapping[int, float] | tuple = ()
    sales_reps: int = 0
    rep_priority: str = "random"
    rep_territories: tuple[int, ...] = ()
    sales_force_automation: bool = False
    telemarketing_calls: int = 0
    email_campaign: int = 0
    web_shop: bool = False

    def __repr__(self) -> str:
        # Campaign lists run to thousands of ids: show how many and the first few, and leave out
        # fields at their defaults, so a plan reads at a glance in a notebook or a log.
        parts = []
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if value == f.default:
                continue
            if f.name in (*ID_FIELDS, "discounts"):
                if isinstance(value, Mapping):
                    value = tuple(value.items())
                head = ", ".join(map(str, list(value)[:3]))
                more = ", ..." if len(value) > 3 else ""
                value = f"<{len(value)} id{'s' if len(value) != 1 else ''}: {head}{more}>"
            else:
                value = repr(value)
            parts.append(f"{f.name}={value}")
        return f"Actions({', '.join(parts)})"

    def replace(self, **changes) -> Actions:
        """A copy with some fields changed."""
        return dataclasses.replace(self, **changes)

    def validated(self, scenario) -> Actions:
        """Check every field against ``scenario`` and the cycle budget; return canonical actions.

        Raises
        ------
        ActionsError
            Naming the field, its value and what is allowed.
        """
        spends = {}
        for name in ("mass_spend", "targeted_spend", "training_spend"):
            value = getattr(self, name)
            # numbers.Real admits numpy scalars from a strategy's arithmetic; bools are refused.
            if (isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Real)
                    or not math.isfinite(value) or value < 0):
                raise ActionsError(f"Actions.{name} = {value!r}: must be a number >= 0 (EUR/cycle)")
            spends[name] = float(value)
        segs = self.target_segments
        if isinstance(segs, str):
            segs = (segs,)
        if not isinstance(segs, tuple | list | set | frozenset | np.ndarray):
            raise ActionsError(
                f"Actions.target_segments = {segs!r}: must be a list of segment names"
            )
        segs = [str(s) if isinstance(s, np.str_) else s for s in segs]
        known = scenario.segment_names
        for s in segs:
            if s not in known:
                raise ActionsError(
                    f"Actions.target_segments contains {s!r}: segments are {', '.join(known)}"
                )
        agents = self.agents
        if (isinstance(agents, numbers.Real) and not isinstance(agents, numbers.Integral | np.bool_)
                and math.isfinite(agents) and float(agents).is_integer()):
            agents = int(agents)
        max_agents = scenario.service.max_agents
        if (isinstance(agents, bool | np.bool_) or not isinstance(agents, numbers.Integral)
                or not 1 <= agents <= max_agents):
            raise ActionsError(
                f"Actions.agents = {self.agents!r}: must be a whole number from 1 to {max_agents}"
                " (service.max_agents)"
            )
        for name in SWITCHES:
            if not isinstance(getattr(self, name), bool | np.bool_):
                raise ActionsError(
                    f"Actions.{name} = {getattr(self, name)!r}: must be True or False")
        discount = self.welcome_discount
        if (isinstance(discount, bool | np.bool_) or not isinstance(discount, numbers.Real)
                or not 0.0 <= discount <= MAX_WELCOME_DISCOUNT):
            raise ActionsError(f"Actions.welcome_discount = {discount!r}: must be a fraction "
                               f"from 0 to {MAX_WELCOME_DISCOUNT}")
        list_prices = _list_prices(self.list_prices, known)
        discounts = _discounts(self.discounts)
        sales = _sales(self, scenario.sales)
        out = dataclasses.replace(
            self,
            **spends,
            target_segments=tuple(dict.fromkeys(segs)),
            agents=int(agents),
            **{name: bool(getattr(self, name)) for name in SWITCHES},
            welcome_discount=float(discount),
            list_prices=list_prices,
            discounts=discounts,
            **sales,
            **{name: _customer_ids(name, getattr(self, name)) for name in ID_FIELDS},
        )
        total = planned_spend(out, scenario)
        if total > scenario.budget_per_cycle * (1 + 1e-9):
            raise ActionsError(
                f"Actions plan EUR {total:,.0f} this cycle: must be at most budget_per_cycle "
                f"EUR {scenario.budget_per_cycle:,.0f} (marketing + data + agents + CRM system "
                "+ training + contacts + loyalty programme + collaboration + self-service "
                "portal + channel integration + sales reps + sales force automation + "
                "telemarketing + e-mail campaign + web shop)"
            )
        return out


#: Actions fields that list customer ids.
ID_FIELDS = ("retention_offers", "cross_sell", "winback")
#: Range of a segment's list price index (1 = the scenario's reference prices).
PRICE_INDEX_RANGE = (0.5, 2.0)
MAX_DISCOUNT = 0.9
#: Actions fields that switch a programme, system or channel on or off.
SWITCHES = ("crm_system", "loyalty", "collaborative", "self_service", "email_service",
            "channel_integration", "sales_force_automation", "web_shop")
MAX_WELCOME_DISCOUNT = 0.9
#: The orders in which sales reps may visit prospects (:attr:`Actions.rep_priority`).
REP_PRIORITIES = ("random", "value")
_BOOL_TYPES = frozenset((bool, np.bool_))  # True is an int to numpy, never a customer id


def _customer_ids(name: str, ids) -> tuple[int, ...]:
    """``ids`` as a tuple of distinct non-negative ints, first occurrence first (a set is
    taken in increasing order, so the same set always gives the same run)."""
    if isinstance(ids, set | frozenset):
        values = sorted(ids)
    elif isinstance(ids, str | bytes) or np.ndim(ids) != 1:
        raise ActionsError(f"Actions.{name} = {ids!r}: must be a list of customer ids")
    else:
        values = list(ids)
    # Fast path for the usual case, whole numbers (numpy ints or Python ints): campaign lists
    # run to thousands of ids every cycle, and a Python loop over them showed in profiles.
    array = np.asarray(values) if values else np.zeros(0, dtype=np.int64)
    # (numpy turns [True, 2] into integers: a list is checked for bools, which are not ids)
    if (array.dtype.kind in "iu" and array.ndim == 1
            and (isinstance(ids, np.ndarray) or not _BOOL_TYPES & set(map(type, values)))):
        if array.size and array.min() < 0:
            bad = int(array[array < 0][0])
            raise ActionsError(f"Actions.{name} contains {bad!r}: customer ids are whole "
                               "numbers >= 0 (view.customers.customer_id)")
        _, first = np.unique(array, return_index=True)
        return tuple(array[np.sort(first)].tolist())
    out = []
    for v in values:
        if (isinstance(v, bool | np.bool_) or not isinstance(v, numbers.Integral | np.integer)
                or v < 0):
            shown = v.item() if isinstance(v, np.generic) else v  # np.True_ reads as True
            raise ActionsError(f"Actions.{name} contains {shown!r}: customer ids are whole "
                               "numbers >= 0 (view.customers.customer_id)")
        out.append(int(v))
    return tuple(dict.fromkeys(out))


def _whole(name: str, value, lo: int, hi: int, what: str) -> int:
    """``value`` as an int from ``lo`` to ``hi`` (a float with an integer value is accepted, as
    for agents); the error names the field, the value and what is allowed."""
    if (isinstance(value, numbers.Real) and not isinstance(value, numbers.Integral | np.bool_)
            and math.isfinite(value) and float(value).is_integer()):
        value = int(value)
    if (isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Integral)
            or not lo <= value <= hi):
        raise ActionsError(f"Actions.{name} = {value!r}: must be a whole number from {lo} to "
                           f"{what}")
    return int(value)


def _sales(actions: Actions, sales) -> dict:
    """The sales-channel fields, checked against the scenario's ``sales`` section."""
    reps = _whole("sales_reps", actions.sales_reps, 0, sales.max_reps,
                  f"{sales.max_reps} (sales.max_reps)")
    priority = actions.rep_priority
    priority = str(priority) if isinstance(priority, np.str_) else priority
    if priority not in REP_PRIORITIES:
        raise ActionsError(f"Actions.rep_priority = {actions.rep_priority!r}: must be one of "
                           f"{', '.join(map(repr, REP_PRIORITIES))}")
    split = actions.rep_territories
    if isinstance(split, str | bytes | Mapping) or np.ndim(split) != 1:
        raise ActionsError(f"Actions.rep_territories = {split!r}: must be a list of reps per "
                           f"territory ({sales.territories} whole numbers) or empty")
    split = list(split)
    if split:
        if len(split) != sales.territories:
            raise ActionsError(
                f"Actions.rep_territories has {len(split)} numbers: must have one per territory, "
                f"{sales.territories} (sales.territories), or be empty to spread the reps evenly")
        for i, n in enumerate(split):
            if (isinstance(n, bool | np.bool_) or not isinstance(n, numbers.Real)
                    or not math.isfinite(n) or not float(n).is_integer() or not 0 <= n <= reps):
                raise ActionsError(
                    f"Actions.rep_territories[{i}] = {n!r}: reps in a territory must be a whole "
                    f"number from 0 to sales_reps ({reps})")
        split = [int(n) for n in split]
        if sum(split) != reps:
            raise ActionsError(
                f"Actions.rep_territories = {tuple(split)} adds up to {sum(split)} reps: must "
                f"add up to sales_reps = {reps}")
    big = 10**9  # a cycle's contacts: far beyond any budget, but a bound against typos
    return {
        "sales_reps": reps, "rep_priority": priority, "rep_territories": tuple(split),
        "telemarketing_calls": _whole("telemarketing_calls", actions.telemarketing_calls, 0,
                                      big, f"{big:,} (calls per cycle)"),
        "email_campaign": _whole("email_campaign", actions.email_campaign, 0, big,
                                 f"{big:,} (e-mails per cycle)"),
    }


def _pairs(name: str, value) -> list[tuple]:
    """A mapping or a list of (key, value) pairs as a list of pairs."""
    if isinstance(value, Mapping):
        return list(value.items())
    if isinstance(value, str | bytes) or not isinstance(value, tuple | list):
        raise ActionsError(f"Actions.{name} = {value!r}: must be a mapping (or a list of pairs)")
    pairs = []
    for item in value:
        if not isinstance(item, tuple | list) or len(item) != 2:
            raise ActionsError(f"Actions.{name} contains {item!r}: must be (key, value) pairs")
        pairs.append(tuple(item))
    return pairs


def _fraction(name: str, key, value, lo: float, hi: float, what: str) -> float:
    if (isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Real)
            or not math.isfinite(value) or not lo <= value <= hi):
        raise ActionsError(f"Actions.{name}[{key!r}] = {value!r}: must be {what} from {lo:g} "
                           f"to {hi:g}")
    return float(value)


def _list_prices(value, segments: tuple[str, ...]) -> tuple[tuple[str, float], ...]:
    """Canonical list prices: (segment, index) pairs in the scenario's segment order."""
    given = {}
    for seg, index in _pairs("list_prices", value):
        seg = str(seg) if isinstance(seg, np.str_) else seg
        if seg not in segments:
            raise ActionsError(f"Actions.list_prices names {seg!r}: segments are "
                               f"{', '.join(segments)}")
        given[seg] = _fraction("list_prices", seg, index, *PRICE_INDEX_RANGE, "a price index")
    return tuple((seg, given[seg]) for seg in segments if seg in given)


def _discounts(value) -> tuple[tuple[int, float], ...]:
    """Canonical discounts: (customer id, fraction) pairs in increasing id order."""
    given = {}
    for cid, fraction in _pairs("discounts", value):
        if (isinstance(cid, bool | np.bool_) or not isinstance(cid, numbers.Integral)
                or cid < 0):
            raise ActionsError(f"Actions.discounts names {cid!r}: customer ids are whole "
                               "numbers >= 0 (view.customers.customer_id)")
        given[int(cid)] = _fraction("discounts", int(cid), fraction, 0.0, MAX_DISCOUNT,
                                    "a fraction")
    return tuple(sorted(given.items()))


def price_list(scenario) -> Mapping[str, float]:
    """The firm's own price list: what each lever costs and the service targets (read-only).

    This is what a strategy sees as ``view.prices``; a firm knows its costs and the terms of its
    own offers (how long a retention offer runs, how many product lines it sells), not its
    customers' latent behaviour (who accepts, how much an offer cuts their risk). Money in EUR,
    times in days, minutes or hours as named.
    """
    srv = scenario.service
    return MappingProxyType({
        "mass_cost_per_contact": scenario.mass.cost_per_contact,
        "targeted_cost_per_contact": scenario.targeted.cost_per_contact,
        "targeted_data_cost_per_cycle": scenario.targeted.data_cost_per_cycle,
        "agent_cost_per_day": srv.agent_cost_per_day,
        "crm_system_cost_per_cycle": srv.crm_system_cost_per_cycle,
        "retention_contact_cost": scenario.retention.contact_cost,
        "retention_incentive_cost": scenario.retention.incentive_cost,
        "retention_offer_days": scenario.retention.duration_days,
        "cross_sell_contact_cost": scenario.cross_sell.contact_cost,
        "max_products": scenario.cross_sell.max_products,
        "winback_contact_cost": scenario.winback.contact_cost,
        "winback_incentive_cost": scenario.winback.incentive_cost,
        "loyalty_cost_per_cycle": scenario.loyalty.fixed_cost_per_cycle,
        "loyalty_reward_rate": scenario.loyalty.reward_rate,
        "collaboration_cost_per_cycle": scenario.collaboration.cost_per_cycle,
        "web_cost_per_cycle": scenario.channels.web_cost_per_cycle,
        "web_cost_per_contact": scenario.channels.web_cost_per_contact,
        "email_cost_per_contact": scenario.channels.email_cost_per_contact,
        "email_response_hours": scenario.channels.email_response_hours,
        "integration_cost_per_cycle": scenario.channels.integration_cost_per_cycle,
        "rep_cost_per_day": scenario.sales.rep_cost_per_day,
        "max_reps": scenario.sales.max_reps,
        "territories": scenario.sales.territories,
        "selling_hours": scenario.sales.selling_hours,
        "visit_hours": scenario.sales.visit_hours,
        "sfa_cost_per_rep": scenario.sales.sfa_cost_per_rep,
        "telemarketing_cost_per_call": scenario.sales.telemarketing_cost_per_call,
        "email_cost_per_message": scenario.sales.email_cost_per_message,
        "web_shop_cost_per_cycle": scenario.sales.web_shop_cost_per_cycle,
        "annual_discount_rate": scenario.annual_discount_rate,
        "max_agents": srv.max_agents,
        "open_hours": srv.open_hours,
        "wait_target_minutes": srv.wait_target_minutes,
        "service_level_target": srv.service_level_target,
    })


def plan_cost(actions: Actions, prices: Mapping[str, float], cycle_days: int) -> float:
    """Spend a full cycle of ``actions`` commits at ``prices``: marketing, data, agents, the
    CRM system, training, campaign contacts, the loyalty programme, collaboration, the
    self-service portal, channel integration, and the sales channels: reps, sales force
    automation, telemarketing calls, campaign e-mails and the web shop. (Per-contact costs of
    self-service and e-mail service are paid as customers use them, like the cost of goods,
    and are not part of the plan. Calls and e-mails are budgeted as planned; the books show
    those made, fewer if the prospects run out.)

    Parameters
    ----------
    actions : Actions
    prices : Mapping
        A :func:`price_list` (``view.prices`` in a strategy).
    cycle_days : int
        Days in a cycle.

    Returns
    -------
    float
        EUR per cycle.
    """
    data = prices["targeted_data_cost_per_cycle"] if actions.targeted_spend > 0 else 0.0
    agents = actions.agents * prices["agent_cost_per_day"] * cycle_days
    system = prices["crm_system_cost_per_cycle"] if actions.crm_system else 0.0
    contacts = (len(actions.retention_offers) * prices["retention_contact_cost"]
                + len(actions.cross_sell) * prices["cross_sell_contact_cost"]
                + len(actions.winback) * prices["winback_contact_cost"])
    programmes = ((prices["loyalty_cost_per_cycle"] if actions.loyalty else 0.0)
                  + (prices["collaboration_cost_per_cycle"] if actions.collaborative else 0.0)
                  + (prices["web_cost_per_cycle"] if actions.self_service else 0.0)
                  + (prices["integration_cost_per_cycle"] if actions.channel_integration
                     else 0.0))
    reps = actions.sales_reps
    sales = (reps * prices["rep_cost_per_day"] * cycle_days
             + (reps * prices["sfa_cost_per_rep"] if actions.sales_force_automation else 0.0)
             + actions.telemarketing_calls * prices["telemarketing_cost_per_call"]
             + actions.email_campaign * prices["email_cost_per_message"]
             + (prices["web_shop_cost_per_cycle"] if actions.web_shop else 0.0))
    return (actions.mass_spend + actions.targeted_spend + data + agents + system
            + actions.training_spend + contacts + programmes + sales)


def planned_spend(actions: Actions, scenario) -> float:
    """:func:`plan_cost` of ``actions`` at ``scenario``'s prices, EUR per cycle."""
    return plan_cost(actions, price_list(scenario), scenario.cycle_days)

"""The books of a run: per-cycle accounts, the transaction log, and the tables of a Result.

Money is booked where it is spent or earned, once. Every cost of the firm is a ``cost_*`` column
of the timeline, so ``profit = revenue - sum(cost_*)`` holds by construction and is tested.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd

from .market import CHANNELS, LOSS_REASONS, LOST
from .service import MINUTES_PER_DAY

__all__ = ["COST_COLUMNS", "Ledger", "build_result"]

#: Every cost of the firm, one timeline column each (EUR per cycle).
#: What ``run(..., transactions=...)`` keeps of the transaction log.
TRANSACTION_LOGS = ("full", "compact", "none")
COST_COLUMNS = ("cost_goods", "cost_serve", "cost_mass", "cost_targeted", "cost_agents",
                "cost_crm_system", "cost_training", "cost_retention", "cost_loyalty",
                "cost_cross_sell", "cost_winback", "cost_collaboration", "cost_welcome",
                "cost_self_service", "cost_email", "cost_integration", "cost_discount",
                "cost_reps", "cost_sfa", "cost_telemarketing", "cost_email_campaign",
                "cost_web_shop")
_COUNTS = ("acquired_initial", "acquired_mass", "acquired_targeted", "acquired_referral",
           "acquired_partner", "lost", "purchases", "requests", "competitor_waves",
           "offers_sent", "offers_accepted", "cross_sell_contacts", "cross_sell_accepted",
           "winback_contacts", "won_back", "web_contacts", "email_contacts", "escalations",
           "social_complaints", "social_praise",
           "rep_days", "rep_visits", "acquired_rep", "telemarketing_calls",
           "acquired_telemarketing", "emails_sent", "acquired_email", "acquired_web")
#: Sales reps' hours in a cycle: paid for visits (reps x selling hours a working day), and spent
#: in visits (travel and meetings).
_REP_HOURS = ("rep_hours", "rep_visit_hours")
#: New customers of a cycle, by the channel that won them (``acquired`` is their sum).
_NEW = ("acquired_mass", "acquired_targeted", "acquired_referral", "acquired_partner",
        "acquired_rep", "acquired_telemarketing", "acquired_email", "acquired_web")


class Ledger:
    """Accumulates a cycle's money and counts, and keeps the transaction log."""

    def __init__(self, scenario, transactions: str = "full"):
        if transactions not in TRANSACTION_LOGS:
            raise ValueError(f"transactions = {transactions!r}: must be one of "
                             f"{', '.join(map(repr, TRANSACTION_LOGS))}")
        self.sc = scenario
        self.log_mode = transactions
        self.rows: list[dict] = []
        self.open = False
        # Zeros before the first cycle opens too, so a model driven by hand (as tests do) can
        # book counts.
        self.acc: dict[str, float] = self._zero_accounts()
        self._tx: list[tuple] = []  # the day's sales not yet added to the customer totals
        # Settled sales kept for result.transactions, one list of chunks per column, so the
        # final table can be assembled a column at a time (see take_transactions).
        self._log: dict[str, list[np.ndarray]] = {name: [] for name in _TX_COLUMNS}
        self._svc_row = 0
        self.discount_per_day = np.log1p(scenario.annual_discount_rate) / 365.0

    def settle(self, cust) -> None:
        """Add the sales booked since the last call to the customers' running totals.

        Daily booking only appends chunks; summing them per customer when somebody reads the
        totals (a strategy's view of the customers, the result) is much cheaper than scattering
        into the customer columns every day.
        """
        chunks = self._tx
        if not chunks:
            return
        self._tx = []
        ids = np.concatenate([t[0] for t in chunks])
        day = np.concatenate([np.full(t[0].size, t[1], dtype=float) for t in chunks])
        amount = np.concatenate([t[2] for t in chunks])
        count = np.concatenate([t[3] for t in chunks])
        margin = np.concatenate([t[5] for t in chunks])
        self._keep(ids, day, amount, count)
        n = cust.n
        cust.purchases[:n] += np.bincount(ids, weights=count, minlength=n).astype(np.int64)
        cust.revenue[:n] += np.bincount(ids, weights=amount, minlength=n)
        cust.serve_cost[:n] += np.bincount(ids, weights=np.concatenate([t[4] for t in chunks]),
                                           minlength=n)
        cust.margin[:n] += np.bincount(ids, weights=margin, minlength=n)
        # Margin discounted to day 0 continuously, each purchase at the middle of its day.
        discounted = margin * np.exp(-self.discount_per_day * (day + 0.5))
        cust.discounted_margin[:n] += np.bincount(ids, weights=discounted, minlength=n)
        # Chunks are in day order and every id in a chunk has the chunk's day, so assigning
        # chunk by chunk leaves each customer's last day (forwards) or first day (backwards).
        last = cust.last_purchase_day
        for t in chunks:
            last[t[0]] = t[1]
        first = np.full(n, np.nan)
        for t in reversed(chunks):
            first[t[0]] = t[1]
        known = cust.first_purchase_day[:n]
        np.copyto(known, first, where=np.isnan(known))

    def _keep(self, ids, day, amount, count) -> None:
        """Keep settled sales for the transaction log as the run's ``transactions`` option
        says: all of it, compact (32-bit ids and amounts, 16-bit counts: a third of the
        memory, amounts to about 7 significant digits), or nothing. The per-customer totals
        (RFM, revenue, margin) are exact whatever is kept."""
        if self.log_mode == "none":
            return
        types = _TX_TYPES[self.log_mode == "compact"]
        for name, values, dtype in zip(_TX_COLUMNS, (ids, day, amount, count), types,
                                       strict=True):
            self._log[name].append(values.astype(dtype, copy=False))

    def open_cycle(self, model, cycle: int, start: int) -> None:
        self.acc = self._zero_accounts()
        self.cycle, self.start, self.open = cycle, start, True
        self.active_start = model.active.n_alive
        self.actions = model.actions

    @staticmethod
    def _zero_accounts() -> dict[str, float]:
        return dict.fromkeys((*_COUNTS, *_REP_HOURS, "revenue", "revenue_reference",
                              *COST_COLUMNS), 0.0)

    def add(self, key: str, value: float) -> None:
        self.acc[key] += value

    def book_sales(self, ids, count, amount, serve, margin, goods, day: int) -> None:
        """Book one day's sales: customer ids, purchases, EUR amounts, cost to serve, margin
        (gross margin - cost to serve) and cost of goods (amount - gross margin), booked
        directly rather than by difference so it never rounds below zero."""
        acc = self.acc
        acc["purchases"] += int(count.sum())
        acc["revenue"] += float(amount.sum())
        acc["cost_serve"] += float(serve.sum())
        acc["cost_goods"] += float(goods.sum())
        self._tx.append((ids, day, amount, count, serve, margin))

    def add_daily_costs(self, model) -> None:
        """Costs that accrue by the day: marketing spend, data, agents, the CRM system."""
        act, sc = model.actions, self.sc
        per_day = 1.0 / sc.cycle_days
        acc = self.acc
        acc["cost_mass"] += act.mass_spend * per_day
        if act.targeted_spend > 0:
            acc["cost_targeted"] += (act.targeted_spend + sc.targeted.data_cost_per_cycle) * per_day
        acc["cost_agents"] += act.agents * sc.service.agent_cost_per_day
        if act.crm_system:
            acc["cost_crm_system"] += sc.service.crm_system_cost_per_cycle * per_day
        acc["cost_training"] += act.training_spend * per_day
        if act.loyalty:
            acc["cost_loyalty"] += sc.loyalty.fixed_cost_per_cycle * per_day
        if act.collaborative:
            acc["cost_collaboration"] += sc.collaboration.cost_per_cycle * per_day
        if act.self_service:
            acc["cost_self_service"] += sc.channels.web_cost_per_cycle * per_day
        if act.channel_integration:
            acc["cost_integration"] += sc.channels.integration_cost_per_cycle * per_day
        if act.sales_reps:
            acc["cost_reps"] += act.sales_reps * sc.sales.rep_cost_per_day
            if act.sales_force_automation:
                acc["cost_sfa"] += act.sales_reps * sc.sales.sfa_cost_per_rep * per_day
        if act.web_shop:
            acc["cost_web_shop"] += sc.sales.web_shop_cost_per_cycle * per_day

    def close(self, model, end: int) -> None:
        """Write the cycle's row of the timeline (the firm's monthly report)."""
        # Settling every cycle keeps at most a cycle of full-width sales in memory, whatever the
        # strategy reads, so the transactions option bounds a large run's memory.
        self.settle(model.cust)
        acc, act = self.acc, self.actions
        a = model.active
        alive = a.alive[: a.m]
        row = {
            "cycle": self.cycle, "start_day": self.start, "end_day": end,
            "days": end - self.start,
            "active_start": self.active_start, "active_end": int(alive.sum()),
            "prospects_end": int(model.prospects_by_seg.sum()), "lost_total": model.n_lost,
            "acquired": int(sum(acc[k] for k in _NEW)),
        }
        row.update({k: int(acc[k]) for k in _COUNTS if k != "acquired_initial"})
        row.update({k: acc[k] for k in _REP_HOURS})
        row["churn_rate"] = acc["lost"] / self.active_start if self.active_start else np.nan
        row["revenue"] = acc["revenue"]
        # What customers paid (list prices less discounts) against the same purchases at the
        # scenario's reference prices: 1 for a firm that never changed its prices.
        if model.pricing:
            row["price_index"] = ((acc["revenue"] - acc["cost_discount"])
                                  / acc["revenue_reference"] if acc["revenue_reference"]
                                  else np.nan)
        else:
            row["price_index"] = 1.0
        row.update({k: acc[k] for k in COST_COLUMNS})
        row["cost_total"] = sum(acc[k] for k in COST_COLUMNS)
        row["profit"] = acc["revenue"] - row["cost_total"]
        row.update(agents=act.agents, crm_system=act.crm_system, mass_spend=act.mass_spend,
                   targeted_spend=act.targeted_spend, training_spend=act.training_spend,
                   loyalty=act.loyalty, collaborative=act.collaborative,
                   welcome_discount=act.welcome_discount, self_service=act.self_service,
                   email_service=act.email_service, channel_integration=act.channel_integration,
                   discounted_customers=len(act.discounts),
                   sales_reps=act.sales_reps, rep_priority=act.rep_priority,
                   sales_force_automation=act.sales_force_automation, web_shop=act.web_shop,
                   adoption=model.adoption,
                   fcr_target=model.centre.fcr, fairness_gap=model.fairness_gap)
        # Contacts are logged when they arrive, so the rows since the last close are exactly
        # this cycle's; the ones still waiting count as contacts but not yet in the waits.
        hi = len(model.centre.log)
        row.update(_service_stats(*_log_arrays(model.centre, self._svc_row, hi), self.sc.service))
        self._svc_row = hi
        # Latent: the firm cannot measure this; FirmView drops it (see sim.view.TRUTH_KPIS).
        sat = a.satisfaction(slice(0, a.m))
        row["satisfaction"] = float(sat[alive].mean()) if alive.any() else np.nan
        self.rows.append(row)
        self.open = False

    def take_transactions(self) -> pd.DataFrame:
        """The transaction log kept so far, handed over once (call :meth:`settle` first).

        Each column's chunks are released once the column is assembled, so building the table
        needs at most one column more than the table itself (for a million customers over
        three years the log has tens of millions of rows); the ledger keeps no log afterwards.
        """
        types = _TX_TYPES[self.log_mode == "compact"]
        columns = {}
        for name, dtype in zip(_TX_COLUMNS, types, strict=True):
            chunks = self._log[name]  # one chunk a settled cycle
            columns[name] = np.concatenate(chunks) if chunks else np.zeros(0, dtype)
            chunks.clear()  # this column's chunks go before the next column is built
        return pd.DataFrame(columns, copy=False)


#: Columns of the transaction log and their types: full, then compact (32-bit ids and amounts,
#: 16-bit counts).
_TX_COLUMNS = ("customer_id", "day", "amount", "purchases")
_TX_TYPES = ((np.int64, np.int64, np.float64, np.int64), (np.int32, np.int32, np.float32, np.int16))


def _service_stats(arrival, start, end, resolved, service) -> dict:
    """Service KPIs of a set of contacts (arrays of one cycle's contacts, times in days)."""
    n = int(arrival.size)
    answered = ~np.isnan(start)
    if not answered.any():
        return {"contacts": n, "mean_wait_minutes": np.nan, "service_level": np.nan,
                "fcr": np.nan, "mean_handle_minutes": np.nan}
    wait = (start[answered] - arrival[answered]) * MINUTES_PER_DAY
    done = ~np.isnan(end)
    return {
        "contacts": n,
        "mean_wait_minutes": float(wait.mean()),
        "service_level": float(np.mean(wait <= service.wait_target_minutes)),
        "fcr": float(resolved[done].mean()) if done.any() else np.nan,
        "mean_handle_minutes": float(((end[done] - start[done]) * MINUTES_PER_DAY).mean())
        if done.any() else np.nan,
    }


def _log_arrays(centre, lo: int = 0, hi: int | None = None):
    """The centre's log rows ``[lo, hi)`` as arrays: arrival, start, end (days), resolved."""
    t = centre.table(lo, hi)
    return t["arrival"], t["start"], t["end"], t["resolved"]


def build_result(model):
    """Assemble the :class:`~sim.result.Result` of a finished model.

    The result takes the customer columns over (no copies: the model is finished, and its
    columns were trimmed to size), which keeps a large market's peak memory down.
    """
    from ..result import Result  # the result module imports analytics; keep the engine light

    sc, c = model.sc, model.cust
    model.ledger.settle(c)
    n = c.n
    lost = c.col("status") == LOST
    log = model.centre.table()
    tally = model.centre.per_customer(n, log)
    online = model.desk.per_customer(n)
    contacts = tally["contacts"]
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_wait = np.where(contacts > 0, tally["wait_sum"] / contacts, np.nan)
    ids = np.arange(n)
    customers = pd.DataFrame({
        "customer_id": ids,
        # Categories from their codes: labelling millions of rows first would cost seconds.
        "segment": pd.Categorical.from_codes(c.col("segment"), categories=sc.segment_names),
        "channel": pd.Categorical.from_codes(c.col("channel"), categories=CHANNELS),
        "acquired_day": c.col("acquired_day").astype(np.int64),
        "lost_day": c.col("lost_day"),
        "tenure_days": np.where(lost, c.col("lost_day"),
                                float(sc.horizon_days)) - c.col("acquired_day"),
        "status": pd.Categorical.from_codes(lost.astype(np.int8), categories=("active", "lost")),
        "purchases": c.col("purchases"),
        "revenue": c.col("revenue"),
        "margin": c.col("margin"),
        "cost_to_serve": c.col("serve_cost"),
        "discounted_margin": c.col("discounted_margin"),
        "complaints": c.col("complaints"),
        "contacts": contacts,
        "unresolved": tally["unresolved"],
        "mean_wait_minutes": mean_wait,
        "web_contacts": online["web_contacts"],
        "email_contacts": online["email_contacts"],
        "first_purchase_day": c.col("first_purchase_day"),
        "last_purchase_day": c.col("last_purchase_day"),
        "products": c.col("products"),
        "offers_received": c.col("offers"),
        "loyalty_member": c.col("member") == 1,
        "loyalty_points": c.col("points"),
        "lives": c.col("lives"),
        "won_back_day": c.col("won_back_day"),
        "first_lost_day": c.col("first_lost_day"),
    })
    truth = _truth(model)
    arrival, start, end, resolved = log["arrival"], log["start"], log["end"], log["resolved"]
    service = pd.DataFrame({
        "customer_id": log["customer"],
        "issue": log["issue"],
        "contact": log["contact"],
        "arrival_day": arrival,
        "wait_minutes": (start - arrival) * MINUTES_PER_DAY,
        "handle_minutes": (end - start) * MINUTES_PER_DAY,
        "resolved": resolved,
        "answered": ~np.isnan(start),
    })
    service["within_target"] = service["wait_minutes"] <= sc.service.wait_target_minutes
    desk = model.desk.table()
    channel_contacts = pd.DataFrame({
        "customer_id": desk["customer"],
        "channel": pd.Categorical.from_codes(desk["channel"] - 1, categories=("web", "email")),
        "arrival_day": desk["arrival"],
        "wait_minutes": (desk["end"] - desk["arrival"]) * MINUTES_PER_DAY,
        "complex": desk["complex"],
        "resolved": desk["resolved"],
        "escalated": desk["escalated"],
        "call_issue": desk["call_issue"],
    })
    timeline = pd.DataFrame(model.ledger.rows)
    # Recompute the service KPIs with every contact's final outcome (at each close some were
    # still waiting); contacts are in arrival order, so each cycle is one slice.
    bounds = np.searchsorted(arrival, timeline["start_day"].to_numpy(), side="left")
    bounds = np.append(bounds, arrival.size)
    stats = [_service_stats(arrival[lo:hi], start[lo:hi], end[lo:hi], resolved[lo:hi], sc.service)
             for lo, hi in itertools.pairwise(bounds)]
    for key in stats[0] if stats else ():
        timeline[key] = [row[key] for row in stats]
    return Result(scenario=sc, strategy=model.strategy_name, seed=model.seed, customers=customers,
                  transactions=model.ledger.take_transactions(), service=service, timeline=timeline,
                  truth=truth, campaigns=_campaigns(model._campaigns),
                  channel_contacts=channel_contacts, rep_visits=_rep_visits(model))


def _rep_visits(model) -> pd.DataFrame:
    """The sales reps' visits (see :mod:`sim.engine.sales`), with the customer each won."""
    sc, c = model.sc, model.cust
    v = model.visit_log()
    # Each person has at most one customer row (a second life reuses it).
    customer = np.full(sc.market_size, -1, dtype=np.int64)
    customer[c.col("person")] = np.arange(c.n)
    return pd.DataFrame({
        "day": v["day"], "start_hour": v["start_hour"], "hours": v["hours"],
        "territory": v["territory"], "rep": v["rep"], "prospect": v["prospect"],
        "segment": pd.Categorical.from_codes(v["segment"], categories=sc.segment_names),
        "converted": v["converted"],
        "customer_id": np.where(v["converted"], customer[v["prospect"]], -1),
    })


def _campaigns(chunks: list[tuple]) -> pd.DataFrame:
    """The campaign log from the levers' chunks (see :class:`~sim.engine.levers.Levers`)."""
    from .levers import CAMPAIGNS

    if not chunks:
        return pd.DataFrame({
            "day": np.zeros(0, np.int64),
            "customer_id": np.zeros(0, np.int64),
            "campaign": pd.Categorical([], categories=CAMPAIGNS),
            "accepted": np.zeros(0, bool), "cost": np.zeros(0),
            "would_have_left": pd.array([], dtype="boolean")})
    sizes = [len(ch[2]) for ch in chunks]
    codes = np.repeat([ch[1] for ch in chunks], sizes)
    retention = CAMPAIGNS.index("retention")
    return pd.DataFrame({
        "day": np.repeat([ch[0] for ch in chunks], sizes).astype(np.int64),
        "customer_id": np.concatenate([ch[2] for ch in chunks]),
        "campaign": pd.Categorical.from_codes(codes, categories=CAMPAIGNS),
        "accepted": np.concatenate([ch[3] for ch in chunks]),
        "cost": np.concatenate([ch[4] for ch in chunks]).astype(float),
        # Known only for retention offers; NA (not False) for the other campaigns.
        "would_have_left": pd.arrays.BooleanArray(np.concatenate([ch[5] for ch in chunks]),
                                                  mask=codes != retention),
    })


def _truth(model) -> pd.DataFrame:
    """The latent ground truth per customer, which strategies never see (DESIGN section 5)."""
    sc, c = model.sc, model.cust
    n = c.n
    seg = c.col("segment")
    status = c.col("status")
    # Hazard now: for active customers the hazard in force on the last day, at loss for the
    # lost (both stored by the engine).
    hazard = c.col("hazard")
    # Competing risks: the largest part of the hazard at the moment of leaving names the latent
    # reason: baseline, the excess from low satisfaction, or the excess from competitor offers.
    # The baseline in force includes the levers' cuts (a running offer, a loyalty tier).
    lost = status == LOST
    f = c.col("sat_factor")[lost]
    base = c.col("base_hazard")[lost] * c.col("lever_factor")[lost]
    parts = np.stack([base * np.minimum(f, 1.0), base * np.maximum(f - 1.0, 0.0),
                      hazard[lost] - base * f])
    reason = np.zeros(n, dtype=np.int64)
    reason[lost] = 1 + np.argmax(parts, axis=0)
    margin = np.array([x.margin for x in sc.segments])[seg]
    cost = np.array([x.cost_per_purchase for x in sc.segments])[seg]
    daily_margin = c.col("rate") * (c.col("spend") * margin - cost)
    base = c.col("base_hazard")
    # Expected discounted margin of the rest of the relationship at baseline behaviour:
    # integral of m e^{-(h + d) t} dt = m / (h + d), with d the continuous discount rate per day.
    rate = base + model.discount_per_day
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        # A customer who (practically) never leaves, valued without discounting, is worth an
        # unbounded amount if profitable (inf) and nothing if not (0, not 0/0).
        remaining = np.where(daily_margin == 0, 0.0, daily_margin / rate)
    remaining[status == LOST] = 0.0
    return pd.DataFrame({
        "customer_id": np.arange(n),
        "segment": pd.Categorical.from_codes(seg, categories=sc.segment_names),
        "purchase_rate": c.col("rate") * 365.0,
        "spend_mean": c.col("spend"),
        "base_hazard": base,
        "annual_churn_baseline": -np.expm1(-365.0 * base),
        "satisfaction": c.col("satisfaction"),
        "hazard": hazard,
        "loss_reason": pd.Categorical.from_codes(reason, categories=LOSS_REASONS),
        "expected_remaining_value": remaining,
    })

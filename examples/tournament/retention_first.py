"""Team "retention first": keep the customers we have, and keep them happy.

A tournament entry is one file that defines ``strategy(view)``. Each CRM cycle (30 days) the
tournament calls it with ``view``, what the firm knows today (``view.customers``,
``view.kpis``, ``view.prices``, ``view.budget``, ...), and it returns ``sim.Actions``: what
the firm does this cycle. Copy this file, rename it to your team's name, and change it.

The idea here: acquiring a customer costs far more than keeping one, so spend on service and
on retention offers for valuable customers who show warning signs, and keep marketing modest.
"""

import numpy as np
import pandas as pd

import sim
from sim.planning import fit_budget, staff, take_within

# Module variables are the team's memory for one run: the file is executed afresh when a run
# starts, so nothing carries over from one replication to the next.
offered_on = {}  # customer id -> day of their last retention offer


def strategy(view):
    customers = view.active_customers
    prices = view.prices

    # Warning signs a firm can see: a customer quieter than usual (days since the last purchase
    # against their usual gap between purchases) or with unresolved complaints.
    usual_gap = customers["tenure_days"] / customers["purchases"].clip(lower=1)
    quiet = customers["recency_days"] / usual_gap.clip(lower=1.0)
    risk = quiet + 2.0 * customers["unresolved"]
    # Worth keeping: margin earned per day as a customer so far.
    value = customers["margin"] / customers["tenure_days"].clip(lower=30)
    priority = pd.Series((risk * value).to_numpy(), index=customers["customer_id"].to_numpy())

    # No second offer while the first one still runs (an offer lasts retention_offer_days).
    recent = [cid for cid, day in offered_on.items()
              if view.day - day < prices["retention_offer_days"]]
    priority = priority.drop(index=recent, errors="ignore")
    priority = priority[priority > 0]
    offers = take_within(priority, budget=1_000.0, unit_cost=prices["retention_contact_cost"])
    for cid in offers:
        offered_on[cid] = view.day

    plan = sim.Actions(
        mass_spend=9_000.0,                      # enough new customers to replace the lost
        agents=staff(view, service_level=0.85),  # Erlang C staffing from our own records
        crm_system=True, training_spend=1_000.0,  # the system only pays when staff use it
        retention_offers=np.asarray(offers, dtype=np.int64),
    )
    # Cut the plan to the cycle budget if it asks for too much (least essential first).
    return fit_budget(plan, view)

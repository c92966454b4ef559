"""Team "growth first": win profitable customers, and sell more to the ones we have.

A tournament entry is one file that defines ``strategy(view)``, called once per CRM cycle with
what the firm knows (``view``) and returning ``sim.Actions``. Copy this file and change it.

The idea here: not every customer is worth winning. Measure each segment's profit from the
firm's own records, aim targeted marketing at the profitable segments only, and cross-sell to
customers who buy often for their segment.
"""

import sim
from sim.planning import fit_budget, staff, take_within
from sim.strategies import profitable_segments


def strategy(view):
    # Segments whose customers earned more than they cost to serve (all of them until there
    # is a record to judge by).
    keep = profitable_segments(view)

    # Cross-sell to active customers who buy most often, and who do not hold every product.
    customers = view.active_customers
    room = customers[customers["products"] < view.prices["max_products"]]
    pace = room["purchases"] / room["tenure_days"].clip(lower=30)
    pace.index = room["customer_id"]
    cross = take_within(pace, budget=2_000.0, unit_cost=view.prices["cross_sell_contact_cost"])

    plan = sim.Actions(
        mass_spend=3_000.0,
        targeted_spend=12_000.0,          # contacts only prospects of the chosen segments
        target_segments=keep,
        agents=staff(view),               # the scenario's own service-level target
        cross_sell=cross,
    )
    return fit_budget(plan, view)

"""Scenario section for prices: how customers respond to what they pay (DESIGN section 3.7).

The course's "right price" (the 4 Ps, Peppers & Rogers' customer-specific pricing) becomes a
lever: a strategy sets a list price per segment, as an index on the scenario's reference prices
(1 = the reference, 1.1 = 10% dearer), and discounts for chosen customers
(:class:`~sim.actions.Actions`). A customer paying the index ``p`` buys at ``p ** -elasticity``
times their usual rate (``Segment.price_elasticity``) and, the more price-sensitive they are
(``Segment.price_sensitivity``), leaves more readily when prices rise and less when they fall
(:attr:`Prices.churn_effect`). Costs of goods do not move with the price, so the margin a
purchase earns does: the profit-maximising index of a segment follows the inverse-elasticity
(Lerner) rule ``p* = c e / (e - 1)`` for unit cost ``c`` (as an index) and elasticity
``e > 1``, which the tests check against the simulation.
"""

from __future__ import annotations

from dataclasses import dataclass

from .fields import Record, param

__all__ = ["PRICE_SOURCES", "Prices"]

#: Where the price responses come from.
PRICE_SOURCES = (
    "meta-analyses of sales price elasticities: mean -2.62 (Bijmolt, van Heerde & Pieters "
    "2005) and -1.76 (Tellis 1988); segments differ around them (teaching assumption)"
)


@dataclass(frozen=True, kw_only=True)
class Prices(Record):
    """How prices move churn (how they move purchases is each segment's ``price_elasticity``)."""

    churn_effect: float = param(
        "dimensionless", "relative change in the churn hazard per unit change of the price "
        "index, times the segment's price_sensitivity (a 10% rise at sensitivity 1 and effect 1 "
        "raises the hazard 10%)", lo=0, hi=20,
        source="teaching assumption: dearer prices push price-sensitive customers away (vary it)",
    )

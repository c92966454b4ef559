"""Analytics derived from results and from theory (one concept per module)."""

from . import churn_model, queueing

__all__ = ["churn_model", "queueing"]

"""Analytics derived from results and from theory (one concept per module)."""

from . import queueing

__all__ = ["queueing"]

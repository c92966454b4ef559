"""Analytics derived from results and from theory (one concept per module).

``churn_model`` is imported on first use: it pulls in scikit-learn, which would add most of a
second to ``import sim`` for every user who never fits a model.
"""

import importlib

from . import (
    acquisition,
    clv,
    cohorts,
    comparison,
    concentration,
    evaluation,
    funnel,
    profitability,
    queueing,
    records,
    rfm,
    service,
    survival,
)

__all__ = ["acquisition", "churn_model", "clv", "cohorts", "comparison", "concentration",
           "evaluation", "funnel", "profitability", "queueing", "records", "rfm", "service",
           "survival"]


def __getattr__(name: str):
    if name == "churn_model":
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

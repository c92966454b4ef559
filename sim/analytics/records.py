"""What the firm's records cover: the observation window of each customer.

Shared by the analytics that turn recorded totals into rates (churn model, predicted value,
segment profitability).
"""

from __future__ import annotations

import pandas as pd

__all__ = ["observed_days"]


def observed_days(customers: pd.DataFrame) -> pd.Series:
    """Days each customer has been in the firm's records (days, >= 0).

    The records start at day 0 of the run: customers on the books at day 0 were acquired
    earlier (negative ``acquired_day``), but their purchases before day 0 are not in the table.
    So the span in which the firm could have seen a customer buy is the tenure minus the part
    before day 0: ``tenure_days - max(0, -acquired_day)``, which equals the tenure for anyone
    acquired during the run. Without an ``acquired_day`` column it is the tenure.

    Parameters
    ----------
    customers : pandas.DataFrame
        Rows of ``view.customers`` (needs ``tenure_days``; uses ``acquired_day`` if present).

    Returns
    -------
    pandas.Series
        Days, aligned with ``customers``.
    """
    tenure = customers["tenure_days"].astype(float)
    if "acquired_day" in customers.columns:
        before_records = (-customers["acquired_day"].astype(float)).clip(lower=0.0)
        tenure = tenure - before_records
    return tenure.clip(lower=0.0)

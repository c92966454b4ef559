"""What the firm's records cover: the observation window of each customer, and its segments.

Shared by the analytics that turn recorded totals into rates (churn model, predicted value,
segment profitability). Strategies call these every CRM cycle, so they work on numpy arrays
(a pandas string conversion of the segment column costs more than the whole computation).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["observed_days", "segment_codes", "segment_totals"]


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
    tenure = customers["tenure_days"].to_numpy(dtype=float)
    if "acquired_day" in customers.columns:
        before_records = np.maximum(-customers["acquired_day"].to_numpy(dtype=float), 0.0)
        tenure = tenure - before_records
    return pd.Series(np.maximum(tenure, 0.0), index=customers.index, name="observed_days")


def segment_codes(customers: pd.DataFrame) -> tuple[np.ndarray, list[str]]:
    """The ``segment`` column as integer codes and the names they stand for.

    Parameters
    ----------
    customers : pandas.DataFrame
        A table with a ``segment`` column (categorical, as in ``view.customers``, or plain).

    Returns
    -------
    codes : numpy.ndarray of int
        One code per row: an index into ``names``; -1 for a missing segment.
    names : list of str
        Segment names: the categories in their order for a categorical column (every segment
        of the scenario, with or without rows here), else the names present, sorted.
    """
    segment = customers["segment"]
    if isinstance(segment.dtype, pd.CategoricalDtype):
        return (segment.cat.codes.to_numpy(dtype=np.int64),
                [str(c) for c in segment.cat.categories])
    values = segment.to_numpy(dtype=object)
    present = pd.notna(values)
    names = sorted({str(v) for v in values[present]})
    codes = np.full(values.size, -1, dtype=np.int64)
    codes[present] = np.searchsorted(np.array(names, dtype=object),
                                     values[present].astype(str).astype(object))
    return codes, names


def segment_totals(codes: np.ndarray, n_segments: int, weights=None) -> np.ndarray:
    """Per-segment sums of ``weights`` (row counts without), by the codes of :func:`segment_codes`.

    Parameters
    ----------
    codes : numpy.ndarray of int
        One segment code per row; rows coded -1 (no segment) are left out.
    n_segments : int
        Number of segments (length of the result).
    weights : array-like, optional
        One value per row; default 1 (count the rows).

    Returns
    -------
    numpy.ndarray
        ``n_segments`` sums (float with weights, int counts without).
    """
    known = codes >= 0
    values = None if weights is None else np.asarray(weights, dtype=float)[known]
    return np.bincount(codes[known], weights=values, minlength=n_segments)

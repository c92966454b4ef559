"""The transaction log can be kept in full, compact or not at all, for large markets
(issue 5, item 4): the per-customer aggregates and every KPI stay the same."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from sim import Scenario, run, strategies
from sim.analytics.rfm import summary_data

SC = Scenario.load("classroom").replace(market_size=6_000, initial_customers=800,
                                        horizon_days=200)


@pytest.fixture(scope="module")
def runs():
    return {mode: run(SC, strategies.analytical, seed=3, transactions=mode)
            for mode in ("full", "compact", "none")}


def _same_kpis(a: dict, b: dict) -> bool:
    """Equal KPIs, a KPI that is undefined (NaN) in both counting as equal."""
    return a.keys() == b.keys() and all(
        a[k] == b[k] or (isinstance(a[k], float) and math.isnan(a[k]) and math.isnan(b[k]))
        for k in a)


def test_kpis_and_customer_totals_do_not_depend_on_the_log(runs):
    full = runs["full"]
    for mode in ("compact", "none"):
        assert _same_kpis(runs[mode].summary(), full.summary())
        for name in ("customers", "timeline", "truth", "service", "campaigns"):
            pd.testing.assert_frame_equal(getattr(runs[mode], name), getattr(full, name))


def test_compact_log_holds_the_same_rows_in_smaller_types(runs):
    full, compact = runs["full"].transactions, runs["compact"].transactions
    assert len(compact) == len(full) > 0
    assert compact.dtypes.tolist() == [np.int32, np.int32, np.float32, np.int16]
    assert compact.memory_usage(index=False).sum() < 0.45 * full.memory_usage(index=False).sum()
    for column in ("customer_id", "day", "purchases"):
        assert (compact[column].to_numpy() == full[column].to_numpy()).all()
    np.testing.assert_allclose(compact["amount"], full["amount"], rtol=1e-6)
    # The lifetimes-style summary works on it as it is.
    a = summary_data(compact, SC.horizon_days - 1)
    b = summary_data(full, SC.horizon_days - 1)
    pd.testing.assert_frame_equal(a[["frequency", "recency", "T"]].astype(float),
                                  b[["frequency", "recency", "T"]].astype(float),
                                  check_index_type=False)


def test_no_log_is_an_empty_table_with_the_usual_columns(runs):
    empty = runs["none"].transactions
    assert len(empty) == 0
    assert list(empty.columns) == ["customer_id", "day", "amount", "purchases"]
    # The per-customer RFM aggregates are still there.
    cu = runs["none"].customers
    assert cu["purchases"].sum() == runs["full"].transactions["purchases"].sum()


def test_a_bad_option_is_refused_before_the_run():
    with pytest.raises(ValueError, match=r"transactions = 'some'.*'full', 'compact', 'none'"):
        run(SC, strategies.transactional, seed=1, transactions="some")

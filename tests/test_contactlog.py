"""The service centre's columnar contact log."""

import math

import numpy as np

from sim.engine.contactlog import COLUMNS, ContactLog


def test_rows_are_appended_filled_in_and_read_as_columns():
    log = ContactLog()
    first = log.append(7, 1, 1, 0.25)  # still waiting
    second = log.append(8, 2, 1, 0.5, 0.5, 0.6, True)
    assert (first, second, len(log)) == (0, 1, 2)
    log.start[first], log.end[first], log.resolved[first] = 0.3, 0.4, False
    t = log.table()
    assert tuple(t) == COLUMNS
    assert t["customer"].dtype == np.int64 and t["resolved"].dtype == bool
    np.testing.assert_array_equal(t["start"], [0.3, 0.5])
    np.testing.assert_array_equal(t["resolved"], [False, True])
    assert log.rows()[1] == (8, 2, 1, 0.5, 0.5, 0.6, 1)


def test_a_waiting_contact_reads_as_nan_and_a_slice_is_a_copy():
    log = ContactLog()
    log.append(1, 1, 1, 2.0)
    t = log.table(0, 1)
    assert math.isnan(t["start"][0]) and math.isnan(t["end"][0]) and not t["resolved"][0]
    t["arrival"][0] = 99.0
    assert log.arrival[0] == 2.0  # the table is the caller's to change
    assert log.table(1)["customer"].size == 0


def test_close_after_clears_later_ends_and_the_log_can_still_grow():
    log = ContactLog()
    for i, end in enumerate((1.0, 2.5, math.nan)):
        log.append(i, i, 1, 0.0, 0.0, end, True)
    log.close_after(2.0)
    ends = log.table()["end"]
    assert ends[0] == 1.0 and math.isnan(ends[1]) and math.isnan(ends[2])
    log.append(3, 3, 1, 3.0)  # no numpy view is left holding the buffer
    assert len(log) == 4

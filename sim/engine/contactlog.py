"""The service centre's contact log, kept as typed columns rather than a list of rows.

A large market logs millions of contacts. As Python lists of seven objects each they took
about 240 bytes a contact (2 GB for a million customers over three years) and gave the
garbage collector millions of containers to walk; as ``array.array`` columns they take 49
bytes, appending is about twice as fast, and :meth:`ContactLog.table` hands numpy columns
over without converting objects one by one.

A contact is appended when it is logged (on arrival in the SimPy centre; on start, or while it
waits at a day boundary, in the batched one) and its start, end and outcome are written into
its row by index when they are known.
"""

from __future__ import annotations

import math
from array import array

import numpy as np

__all__ = ["ContactLog"]

#: Column name, ``array`` type code and numpy type.
_COLUMNS = (
    ("customer", "q", np.int64),
    ("issue", "q", np.int64),
    ("contact", "q", np.int64),
    ("arrival", "d", np.float64),  # days
    ("start", "d", np.float64),  # days; NaN: not started
    ("end", "d", np.float64),  # days; NaN: not ended
    ("resolved", "b", np.bool_),
)
COLUMNS = tuple(name for name, _, _ in _COLUMNS)


class ContactLog:
    """One row per contact in order of logging: customer, issue, contact number (1 for the
    first contact of an issue), arrival, start and end day, and whether it was resolved.

    Each column is an ``array.array`` attribute of that name: append to all seven to add a
    row (:meth:`append` does it in one call), write ``log.start[i] = day`` to fill one in.
    """

    def __init__(self):
        for name, code, _ in _COLUMNS:
            setattr(self, name, array(code))

    def __len__(self) -> int:
        return len(self.customer)

    def append(self, customer: int, issue: int, contact: int, arrival: float,
               start: float = math.nan, end: float = math.nan, resolved: bool = False) -> int:
        """Add one contact and return its row index."""
        row = len(self.customer)
        self.customer.append(customer)
        self.issue.append(issue)
        self.contact.append(contact)
        self.arrival.append(arrival)
        self.start.append(start)
        self.end.append(end)
        self.resolved.append(resolved)
        return row

    def appenders(self) -> tuple:
        """The seven columns' ``append`` methods, in column order, for loops that log one
        contact per step and cannot afford a method call on top of seven appends."""
        return tuple(getattr(self, name).append for name in COLUMNS)

    def table(self, lo: int = 0, hi: int | None = None) -> dict[str, np.ndarray]:
        """Rows ``[lo, hi)`` as numpy columns (copies: the log may grow afterwards)."""
        return {name: np.array(getattr(self, name)[lo:hi], dtype=dtype)
                for name, _, dtype in _COLUMNS}

    def close_after(self, horizon: float) -> None:
        """Clear the end of every contact that ends after ``horizon`` (a run stopped there has
        not seen it end)."""
        end = np.frombuffer(self.end, dtype=np.float64)
        end[end > horizon] = math.nan
        del end  # release the buffer: an array viewed by numpy cannot grow

    def rows(self) -> list[tuple]:
        """Every row as a tuple (for tests and debugging; slow for a large log)."""
        return list(zip(*(getattr(self, name).tolist() for name in COLUMNS), strict=True))

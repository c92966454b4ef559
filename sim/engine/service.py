"""The service centre: a queue in front of a team of agents (DESIGN section 3.3).

This is where SimPy's process-and-resource model is visible. The agents are the servers of a
``simpy.PriorityResource``, and every service request is its own SimPy process: it arrives,
waits in line (first come, first served), is handled for a random time, and is resolved at the
first contact or not. An unresolved request may come back a few days later as a new contact.

Staffing changes between CRM cycles without touching SimPy internals: the resource has
``max_agents`` seats and the seats nobody staffs are held by *break* requests of higher
priority. To staff fewer agents, breaks are added (an agent leaves after finishing the current
call, as in a real centre); to staff more, breaks end.

With ``open_hours = 24``, exponential handling, no recontacts and Poisson arrivals, the centre
is an M/M/c queue, and its waits match Erlang C (``tests/test_service_theory.py``).
"""

from __future__ import annotations

import bisect
import math
import random
from collections.abc import Callable

import numpy as np
import simpy

from .contactlog import ContactLog

__all__ = ["CentreBase", "ServiceCentre", "handle_sampler", "recontact_day"]

_CUSTOMER, _BREAK = 1, 0  # SimPy serves lower priority values first
MINUTES_PER_DAY = 1440.0


def recontact_day(end: float, after_days: float, u: float, open_fraction: float) -> float:
    """When an unresolved issue comes back: during the opening hours of the day ``after_days``
    after ``end``, at fraction ``u`` of them, and never before ``end`` (days)."""
    back = math.floor(end + after_days) + u * open_fraction
    return back if back >= end else back + 1.0


def handle_sampler(rng: np.random.Generator, handle_minutes: float, distribution: str,
                   handle_cv: float, block: int = 1024) -> Callable[[], float]:
    """A function returning the next handling time in days, drawn from ``rng``.

    Times are drawn ``block`` at a time with numpy and handed out one by one, which costs a
    tenth of a scalar draw per call; the sequence depends only on ``rng`` and the parameters.

    Parameters
    ----------
    rng : numpy.random.Generator
        The run's ``handling`` stream.
    handle_minutes : float
        Mean handling time, minutes.
    distribution : {"exponential", "lognormal"}
    handle_cv : float
        Coefficient of variation of the lognormal (0: every call takes exactly the mean).
    block : int
        Draws per batch.
    """
    mean_days = handle_minutes / MINUTES_PER_DAY
    if distribution == "exponential":
        def draw():
            return rng.exponential(mean_days, block)
    elif distribution == "lognormal":
        s2 = math.log1p(handle_cv**2)
        mu, sd = math.log(mean_days) - 0.5 * s2, math.sqrt(s2)

        def draw():
            return rng.lognormal(mu, sd, block)
    else:
        raise ValueError(f"distribution = {distribution!r}: must be exponential or lognormal")

    def times():
        while True:
            yield from draw().tolist()

    return times().__next__


class _InsertionQueue(simpy.resources.resource.SortedQueue):
    """SimPy's priority queue, with each request inserted in place (O(log n) search) instead
    of re-sorting the whole list on every arrival, which made an overloaded centre slow down
    quadratically. Stable like the sort it replaces: equal keys stay first come, first served.
    """

    def append(self, item) -> None:
        if self.maxlen is not None and len(self) >= self.maxlen:
            raise RuntimeError("Cannot append event. Queue is full.")
        bisect.insort_right(self, item, key=_request_key)


def _request_key(request):
    return request.key




class _Agents(simpy.PriorityResource):
    """The agents: a ``simpy.PriorityResource`` whose line is an :class:`_InsertionQueue`."""

    PutQueue = _InsertionQueue


class CentreBase:
    """What both queue implementations share: their settings, the handling-time draw and the
    contact log, with what is derived from it.

    ``log`` (a :class:`~sim.engine.contactlog.ContactLog`) holds one row per contact in order
    of arrival: customer, issue, contact number, arrival day, start day, end day, resolved
    (NaN start or end: not yet). Parameters: see :class:`ServiceCentre`.
    """

    def __init__(self, env, *, max_agents: int, handle_minutes: float,
                 distribution: str = "exponential", handle_cv: float = 1.0,
                 rand: random.Random, fcr: float = 1.0, open_hours: float = 24.0,
                 recontact_prob: float = 0.0, recontact_days: float = 1.0,
                 is_active: Callable[[int, float], bool] | None = None,
                 handle_rng: np.random.Generator | None = None,
                 handle_times: Callable[[], float] | None = None):
        self.env = env
        self.max_agents = max_agents
        self.rand = rand
        self.fcr = fcr
        self.open_fraction = open_hours / 24.0
        self.recontact_prob = recontact_prob
        self.recontact_days = recontact_days
        # Decided contacts as (end day, customer, wait minutes, resolved) until the engine takes
        # them (take_outcomes) at a day boundary after they ended.
        self.outcomes: list[tuple[float, int, float, bool]] = []
        self.is_active = is_active
        if handle_times is None:
            if handle_rng is None:  # derived from ``rand``: still no global state
                handle_rng = np.random.default_rng(rand.getrandbits(128))
            handle_times = handle_sampler(handle_rng, handle_minutes, distribution, handle_cv)
        self._handle = handle_times
        self._issues = 0
        self.log = ContactLog()
        # Per-customer tallies of finished contacts: rows before ``_tallied`` are all finished
        # and counted in ``_tally`` (contacts, wait minutes, unresolved).
        self._tallied = 0
        self._tally = np.zeros((3, 0))

    def sync(self, now: float) -> None:
        """Bring the log up to ``now`` (the SimPy centre is always up to date)."""

    def take_outcomes(self, now: float) -> list[tuple[float, int, float, bool]]:
        """The contacts that ended by ``now`` and were not taken before, as ``(end day,
        customer, wait minutes, resolved)``, in no particular order (call ``sync`` first).

        The engine applies them to satisfaction at each day boundary, the only instants at
        which satisfaction is read, so both queues give the same effect at the same time.
        """
        outcomes = self.outcomes
        if all(o[0] <= now for o in outcomes):
            self.outcomes = []
            return outcomes
        self.outcomes = [o for o in outcomes if o[0] > now]
        return [o for o in outcomes if o[0] <= now]

    def per_customer(self, n: int, log: dict | None = None) -> dict[str, np.ndarray]:
        """Finished contacts, total wait (minutes) and unresolved contacts per customer id.

        Parameters
        ----------
        n : int
            Number of customers (length of the returned arrays).
        log : dict, optional
            ``table()`` of the whole log as it is now, if the caller has it already (saves
            converting the log twice).
        """
        if log is None:
            t = self.table(self._tallied)
        else:
            t = {k: v[self._tallied:] for k, v in log.items()}
        done = ~np.isnan(t["end"])
        open_rows = np.flatnonzero(~done)
        settled = open_rows[0] if open_rows.size else done.size
        if self._tally.shape[1] < n:
            self._tally = np.pad(self._tally, ((0, 0), (0, n - self._tally.shape[1])))

        def tally(sel):
            who = t["customer"][sel]
            wait = (t["start"][sel] - t["arrival"][sel]) * MINUTES_PER_DAY
            return np.stack([np.bincount(who, minlength=n),
                             np.bincount(who, weights=wait, minlength=n),
                             np.bincount(who, weights=~t["resolved"][sel], minlength=n)])

        self._tally[:, :n] += tally(slice(0, settled))
        self._tallied += int(settled)
        later = np.flatnonzero(done[settled:]) + settled
        total = self._tally[:, :n] + tally(later) if later.size else self._tally[:, :n].copy()
        return {"contacts": total[0].astype(np.int64), "wait_sum": total[1],
                "unresolved": total[2].astype(np.int64)}

    def table(self, lo: int = 0, hi: int | None = None) -> dict:
        """Log rows ``[lo, hi)`` as numpy columns (times in days; NaN = not yet).

        A contact still in progress now shows no end and is not resolved yet, although its
        end and outcome are already decided when it starts.
        """
        t = self.log.table(lo, hi)
        end, resolved = t["end"], t["resolved"]
        going = ~(end <= self.env.now)  # NaN (not started) or later than now
        if going.any():
            end[going] = np.nan
            resolved[going] = False
        return t


class ServiceCentre(CentreBase):
    """A multi-agent FIFO service queue with one SimPy process per request.

    Parameters
    ----------
    env : simpy.Environment
        Time unit: days.
    agents : int
        Agents staffed at the start.
    max_agents : int
        Seats in the centre (upper bound on ``agents``).
    handle_minutes : float
        Mean handling time, minutes.
    distribution : {"exponential", "lognormal"}
        Distribution of handling times.
    handle_cv : float
        Coefficient of variation for lognormal handling times.
    rand : random.Random
        The run's ``service`` stream, for resolution and recontacts (scalar draws are cheaper
        with ``random`` than numpy).
    fcr : float
        First-contact resolution probability; may be changed between cycles.
    open_hours : float
        Hours a day during which recontacts arrive.
    recontact_prob, recontact_days : float
        Chance an unresolved request comes back, and after how many days.
    is_active : callable, optional
        ``is_active(customer, day) -> bool``: whether the customer is still there to come back
        at ``day``. Default: always there.
    handle_rng : numpy.random.Generator, optional
        The run's ``handling`` stream, for handling times (default: seeded from ``rand``).
    handle_times : callable, optional
        Returns the next handling time in days, replacing the random draw (for tests that feed
        both queue implementations the same service times).
    """

    def __init__(self, env: simpy.Environment, *, agents: int, max_agents: int, **settings):
        super().__init__(env, max_agents=max_agents, **settings)
        self.resource = _Agents(env, capacity=max_agents)
        self._breaks: list[simpy.resources.resource.PriorityRequest] = []
        self.agents = max_agents
        self.set_agents(agents)

    def set_agents(self, agents: int) -> None:
        """Staff ``agents`` agents from now on (breaks start or end; calls in progress finish)."""
        if not 1 <= agents <= self.max_agents:
            raise ValueError(f"agents = {agents}: must be 1 to {self.max_agents}")
        while self.agents > agents:
            self._breaks.append(self.resource.request(priority=_BREAK))
            self.agents -= 1
        while self.agents < agents:
            req = self._breaks.pop()
            if req.triggered:
                self.resource.release(req)
            else:
                req.cancel()
            self.agents += 1

    def submit(self, customer: int, delay: float) -> None:
        """A new issue of ``customer`` arrives ``delay`` days from now."""
        self._issues += 1
        self.env.process(self._request(customer, delay, self._issues))

    def submit_many(self, customers: list[int], delays: list[float]) -> range:
        """New issues of ``customers`` arriving ``delays`` days from now (in this order);
        returns their issue numbers."""
        process, request = self.env.process, self._request
        first = issue = self._issues
        for customer, delay in zip(customers, delays, strict=True):
            issue += 1
            process(request(customer, delay, issue))
        self._issues = issue
        return range(first + 1, issue + 1)

    def _request(self, customer: int, delay: float, issue: int):
        env, rand, res = self.env, self.rand, self.resource
        if delay > 0:
            yield env.timeout(delay)
        contact = 1
        log = self.log
        while True:
            arrival = env.now
            row = log.append(customer, issue, contact, arrival)
            req = res.request(priority=_CUSTOMER)
            yield req
            log.start[row] = start = env.now
            # The outcome is decided as the agent takes the call (the batched queue decides at
            # the same moment, so both draw from ``rand`` in the same order).
            log.resolved[row] = resolved = rand.random() < self.fcr
            again = not resolved and rand.random() < self.recontact_prob
            u = rand.random() if again else 0.0
            yield env.timeout(self._handle())
            res.release(req)
            log.end[row] = env.now
            self.outcomes.append((env.now, customer, (start - arrival) * MINUTES_PER_DAY,
                                  resolved))
            if not again:
                return
            # The issue comes back during opening hours a few days later, if the customer stays.
            back = recontact_day(env.now, self.recontact_days, u, self.open_fraction)
            yield env.timeout(back - env.now)
            if self.is_active is not None and not self.is_active(customer, env.now):
                return
            contact += 1

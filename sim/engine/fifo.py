"""The service centre without a process per request: the exact FIFO multi-server recursion.

For large markets a SimPy process per service request costs more than everything else in a run.
A first-come-first-served queue with ``c`` interchangeable agents needs no event loop, though:
taking requests in order of arrival, each starts when it arrives or when the earliest of the
agents becomes free, whichever is later, and that agent is then busy until the start plus the
handling time (Kiefer & Wolfowitz 1955). Keeping the agents' free times in a heap makes each
request O(log c).

:class:`BatchedCentre` offers the same interface and the same contact log as
:class:`~sim.engine.service.ServiceCentre`, and on the same arrivals and handling times it gives
the same starts and ends, including when staffing changes (``tests/test_fifo.py`` proves it):

* requests are settled lazily, up to the instant ``sync(t)`` asks for; one still waiting at
  ``t`` is decided after any staffing change at ``t``, as in the SimPy queue;
* fewer agents: those who would be free first leave (an agent finishes the current call, then
  goes), exactly like the SimPy centre's break requests that outrank waiting customers;
* more agents: the new ones are free at once.

A contact's outcome (resolved or not, and whether and when the issue comes back) is decided
as it starts, as in the SimPy centre, and joins ``outcomes`` with its end; the engine takes the
outcomes that ended at each day boundary and applies them to satisfaction, with either queue,
so the effect on the customer is the same as with SimPy. A recontact joins the line as soon as
it is decided; it cannot be served before it arrives, after the contact that caused it ended.

References
----------
Kiefer, J. & Wolfowitz, J. (1955). On the theory of queues with many servers. *Transactions of
the American Mathematical Society* 78(1), 1-18.
"""

from __future__ import annotations

import heapq
import itertools

from .service import MINUTES_PER_DAY, CentreBase, recontact_day

__all__ = ["BatchedCentre"]

class BatchedCentre(CentreBase):
    """FIFO queue with ``agents`` servers, settled by recursion instead of SimPy processes.

    Parameters are those of :class:`~sim.engine.service.ServiceCentre` (``env`` is only read for
    the current time).
    """

    def __init__(self, env, *, agents: int, max_agents: int, **settings):
        super().__init__(env, max_agents=max_agents, **settings)
        if not 1 <= agents <= max_agents:
            raise ValueError(f"agents = {agents}: must be 1 to {max_agents}")
        # Every seat starts free; unstaffed seats go to breaks, as in the SimPy centre.
        self._free = [0.0] * max_agents  # heap: when each staffed seat is next free (days)
        self._breaks: list[float] = []  # seats on break, by the time each break began
        self.agents = max_agents
        self._waiting: list[tuple] = []  # heap: (arrival, seq, customer, issue, contact)
        # Log rows of requests logged while still waiting, by sequence number; None marks a
        # recontact that never arrives (its customer left), dropped when it reaches the head.
        self._logged: dict[int, int | None] = {}
        # Entries sync's logging pass has not looked at yet, so that each request is looked at
        # once however long the line: an understaffed centre's backlog can hold millions.
        self._fresh: list[tuple] = []
        self._seq = 0
        self.set_agents(agents)

    def submit(self, customer: int, delay: float) -> None:
        """A new issue of ``customer`` arrives ``delay`` days from now."""
        self._issues += 1
        self._push(self.env.now + delay, customer, self._issues, 1)

    def submit_many(self, customers: list[int], delays: list[float]) -> range:
        """New issues of ``customers`` arriving ``delays`` days from now (in this order);
        returns their issue numbers."""
        n, now, seq, issue = len(customers), self.env.now, self._seq, self._issues
        if len(delays) != n:
            raise ValueError(f"{n} customers but {len(delays)} delays")
        # Entries as in _push, built by zip in C rather than one by one in Python.
        entries = list(zip([now + d for d in delays], range(seq + 1, seq + n + 1),
                           customers, range(issue + 1, issue + n + 1),
                           itertools.repeat(1, n), strict=True))
        waiting = self._waiting
        if len(waiting) > 4 * n:  # a long line: n pushes cost less than re-heaping it all
            for entry in entries:
                heapq.heappush(waiting, entry)
        else:
            waiting.extend(entries)
            heapq.heapify(waiting)
        self._fresh.extend(entries)
        self._seq, self._issues = seq + n, issue + n
        return range(issue + 1, issue + n + 1)

    def _push(self, arrival: float, customer: int, issue: int, contact: int) -> None:
        self._seq += 1
        entry = (arrival, self._seq, customer, issue, contact)
        heapq.heappush(self._waiting, entry)
        self._fresh.append(entry)

    def set_agents(self, agents: int) -> None:
        """Staff ``agents`` agents from now on (settling everything before now first).

        Mirrors the SimPy centre's breaks: a new break takes the seat that is free soonest
        (before any waiting customer); ending a break cancels the most recent one, whose seat
        returns to work when that agent's call ends, or now if the agent had already left.
        """
        if not 1 <= agents <= self.max_agents:
            raise ValueError(f"agents = {agents}: must be 1 to {self.max_agents}")
        now = self.env.now
        self.sync(now)
        while self.agents > agents:
            self._breaks.append(heapq.heappop(self._free))
            self.agents -= 1
        while self.agents < agents:
            heapq.heappush(self._free, max(self._breaks.pop(), now))
            self.agents += 1

    def _gone(self, customer: int, contact: int, arrival: float) -> bool:
        """A recontact whose customer left before it came back never arrives."""
        return contact > 1 and self.is_active is not None and not self.is_active(customer,
                                                                                   arrival)

    def sync(self, now: float) -> None:
        """Settle every contact that starts before ``now`` (its end, outcome and any recontact
        are decided then), and log (unanswered for now) the requests that arrived before
        ``now`` and still wait."""
        # This loop runs once per contact, so its helpers are bound to locals and everything
        # is written inline: a method call per step cost a third of a large run.
        waiting, free, outcomes = self._waiting, self._free, self.outcomes
        heappop, heappush, heapreplace = heapq.heappop, heapq.heappush, heapq.heapreplace
        handle, rand, logged, log = self._handle, self.rand.random, self._logged, self.log
        add_customer, add_issue, add_contact, add_arrival, add_start, add_end, add_resolved = (
            log.appenders())
        starts, ends, resolutions = log.start, log.end, log.resolved
        fresh = self._fresh
        fcr, recontact_prob = self.fcr, self.recontact_prob
        recontact_days, open_fraction = self.recontact_days, self.open_fraction
        while waiting:
            # FIFO: the longest-waiting request takes the earliest free agent. (A cancelled
            # entry at the head gives no later start than the live ones behind it.)
            start = waiting[0][0]
            if free[0] > start:
                start = free[0]
            if start >= now:
                break
            arrival, seq, customer, issue, contact = heappop(waiting)
            row = logged.pop(seq, -1)
            if row is None:  # cancelled by an earlier logging pass
                continue
            if row == -1 and contact > 1 and self._gone(customer, contact, arrival):
                continue
            end = start + handle()
            heapreplace(free, end)
            # Drawn in the SimPy centre's order: resolution, recontact, its instant.
            resolved = rand() < fcr
            if row == -1:  # not logged yet: it started before any logging pass saw it wait
                add_customer(customer)
                add_issue(issue)
                add_contact(contact)
                add_arrival(arrival)
                add_start(start)
                add_end(end)
                add_resolved(resolved)
            else:
                starts[row] = start
                ends[row] = end
                resolutions[row] = resolved
            outcomes.append((end, customer, (start - arrival) * MINUTES_PER_DAY, resolved))
            if not resolved and rand() < recontact_prob:
                self._seq += 1
                entry = (recontact_day(end, recontact_days, rand(), open_fraction),
                         self._seq, customer, issue, contact + 1)
                heappush(waiting, entry)
                fresh.append(entry)
        # Requests that arrived before now and still wait are logged now, in order of arrival,
        # so the log (and each cycle's statistics) reads as the SimPy centre's does. Only the
        # entries this pass has not seen are looked at; those arriving later wait for the next.
        # The heap hands entries out in key order and every entry pushed since has a larger key
        # than any handed out (it arrives after the contact or the day that created it), so an
        # entry below the head of the line has started already.
        head = waiting[0] if waiting else None
        fresh.sort()
        later = []
        for entry in fresh:
            arrival, seq, customer, issue, contact = entry
            if arrival >= now:
                later.append(entry)
                continue
            if head is None or entry < head:
                continue
            if self._gone(customer, contact, arrival):
                logged[seq] = None
                continue
            logged[seq] = log.append(customer, issue, contact, arrival)
        self._fresh = later

    def finish(self, horizon: float) -> None:
        """Close the books at the horizon: what had not started stays unanswered (logged by
        ``sync``), what had not ended stays open (no end; its decided outcome is not shown by
        ``table``), as in a SimPy run stopped there."""
        self.sync(horizon)
        self.log.close_after(horizon)

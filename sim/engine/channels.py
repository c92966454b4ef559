"""Web self-service and e-mail: the service channels besides the call centre (DESIGN 3.7).

Every service request starts with the customer choosing a channel. If the firm offers web
self-service or e-mail and the customer prefers it (``Segment.web_preference``,
``Segment.email_preference``), the request goes there; otherwise the customer calls the
service centre (:mod:`sim.engine.service`), as before. The desk here handles the requests that
do not call:

* **web self-service** answers at once and costs next to nothing per contact, but resolves a
  complex issue only rarely (``channels.web_fcr_complex``);
* **e-mail** is answered by staff after an exponentially distributed delay of mean
  ``channels.email_response_hours``; customers expect an answer within
  ``channels.email_expected_hours``, and a longer wait hurts their satisfaction the way a
  call's wait beyond the customer's patience does;
* an unresolved web or e-mail contact is followed by a call to the centre with probability
  ``channels.escalation_prob``: at once after self-service, when the answer arrives for e-mail.
  The call joins the centre's queue like any other and counts as a contact there;
* **channel integration** (one customer view in every channel) adds
  ``channels.integration_fcr_boost`` to the resolution of every channel, the centre's included
  (that part is set with the centre's rate, see ``Levers._service_quality``).

A contact's outcome moves satisfaction through the same rule as a call's (waiting, resolved or
not, the segment's sensitivity to service), applied by the engine at the next day boundary.

Draws come from the run's own ``channels`` stream, and only when a channel is offered: a run
that offers neither draws nothing here, so it repeats exactly the runs of a firm with only a
call centre.
"""

from __future__ import annotations

import numpy as np

from .service import MINUTES_PER_DAY

__all__ = ["CHANNEL_NAMES", "EMAIL", "WEB", "ChannelDesk"]

WEB, EMAIL = 1, 2  # codes in the log (0 would be the call centre, whose log is its own)
CHANNEL_NAMES = {WEB: "web", EMAIL: "email"}


class ChannelDesk:
    """Routes service requests to web self-service, e-mail or the call centre, and settles the
    web and e-mail contacts.

    Parameters
    ----------
    scenario : Scenario
        Its ``channels`` section and the segments' channel preferences are read.
    rng : numpy.random.Generator
        The run's ``channels`` stream.
    """

    def __init__(self, scenario, rng: np.random.Generator):
        self.ch = scenario.channels
        self.rng = rng
        self.web_pref = np.array([s.web_preference for s in scenario.segments])
        self.email_pref = np.array([s.email_preference for s in scenario.segments])
        self.web = self.email = self.integrated = False
        # Contacts as chunks of columns, one chunk per call of route(); see table().
        self._chunks: list[dict[str, np.ndarray]] = []
        # Decided outcomes not yet applied: (end day, customer, wait minutes, resolved,
        # the wait in minutes a customer takes in stride) as arrays, one chunk per route().
        self._pending: list[tuple[np.ndarray, ...]] = []
        # Escalations of the last route() waiting for their calls' issue numbers (see link).
        self._unlinked: list[tuple[dict, np.ndarray]] = []

    # -- the cycle's offer ----------------------------------------------------------------------
    def offer(self, actions) -> None:
        """Take the cycle's decisions: which channels are open, and whether they are integrated."""
        self.web, self.email = actions.self_service, actions.email_service
        self.integrated = actions.channel_integration

    @property
    def open(self) -> bool:
        """Whether any channel besides the call centre is offered."""
        return self.web or self.email

    def _fcr(self, base: np.ndarray | float) -> np.ndarray | float:
        if self.integrated:
            return np.minimum(base + self.ch.integration_fcr_boost, 1.0)
        return base

    # -- requests ---------------------------------------------------------------------------------
    def route(self, who: np.ndarray, seg: np.ndarray, delays: np.ndarray, now: float,
              ledger) -> tuple[np.ndarray, np.ndarray]:
        """Send today's requests to their channels; settle the web and e-mail ones.

        Parameters
        ----------
        who, seg : numpy.ndarray
            Customer id and segment code of each request.
        delays : numpy.ndarray
            When each request is made, days from ``now``.
        now : float
            The current time, days.
        ledger : Ledger
            Receives the channels' contact costs and counts.

        Returns
        -------
        who, delays : numpy.ndarray
            The calls for the service centre: the requests that call, and the escalations of
            unresolved web and e-mail contacts, with the delay (days from ``now``) of each.
        """
        ch, rng = self.ch, self.rng
        u = rng.random(who.size)
        web_cut = self.web_pref[seg]
        to_web = (u < web_cut) if self.web else np.zeros(who.size, dtype=bool)
        to_email = ((u >= web_cut) & (u < web_cut + self.email_pref[seg]) if self.email
                    else np.zeros(who.size, dtype=bool))
        calls = ~(to_web | to_email)
        call_who, call_delays = [who[calls]], [delays[calls]]
        for channel, pick in ((WEB, to_web), (EMAIL, to_email)):
            k = int(pick.sum())
            if not k:
                continue
            cust, arrival = who[pick], delays[pick] + now
            if channel == WEB:
                complex_ = rng.random(k) < ch.complex_share
                fcr = self._fcr(np.where(complex_, ch.web_fcr_complex, ch.web_fcr_simple))
                answer = np.zeros(k)
                expected = np.ones(k)  # no wait: the value only avoids dividing by zero
                cost = ch.web_cost_per_contact
            else:
                complex_ = np.zeros(k, dtype=bool)  # a written answer does not depend on it here
                fcr = self._fcr(ch.email_fcr)
                answer = rng.exponential(ch.email_response_hours / 24.0, k)
                expected = np.full(k, ch.email_expected_hours * 60.0)
                cost = ch.email_cost_per_contact
            resolved = rng.random(k) < fcr
            escalated = ~resolved & (rng.random(k) < ch.escalation_prob)
            end = arrival + answer
            call_who.append(cust[escalated])
            call_delays.append(end[escalated] - now)
            chunk = {
                "customer": cust, "channel": np.full(k, channel, dtype=np.int8),
                "arrival": arrival, "end": end, "complex": complex_, "resolved": resolved,
                "escalated": escalated,
                # The centre's issue number of the call each escalation became (see link).
                "call_issue": np.full(k, -1, dtype=np.int64),
            }
            self._chunks.append(chunk)
            if escalated.any():
                self._unlinked.append((chunk, np.flatnonzero(escalated)))
            self._pending.append((end, cust, answer * MINUTES_PER_DAY, resolved, expected))
            name = CHANNEL_NAMES[channel]
            ledger.add(f"{name}_contacts", k)
            ledger.add("escalations", int(escalated.sum()))
            ledger.add("cost_self_service" if channel == WEB else "cost_email", k * cost)
        if len(call_who) == 1:
            return call_who[0], call_delays[0]
        # The centre orders calls by when they are made; the order given is only the order in
        # which issue numbers are handed out.
        return np.concatenate(call_who), np.concatenate(call_delays)

    def link(self, issues: range) -> None:
        """The centre's issue numbers of the calls just submitted for the last :meth:`route`:
        its escalations are the last of them, in order, so each online contact that ended in
        a call knows which issue the call was (for the turnaround from request to
        resolution)."""
        rows = [(chunk, where) for chunk, where in self._unlinked]
        n = sum(where.size for _, where in rows)
        if n:
            numbers = np.asarray(issues[len(issues) - n:], dtype=np.int64)
            start = 0
            for chunk, where in rows:
                chunk["call_issue"][where] = numbers[start:start + where.size]
                start += where.size
        self._unlinked = []

    def take_outcomes(self, now: float):
        """Web and e-mail contacts that ended by ``now`` and were not taken before, as arrays
        ``(end, customer, wait minutes, resolved, expected wait minutes)``; None if none."""
        if not self._pending:
            return None
        cols = [np.concatenate(c) for c in zip(*self._pending, strict=True)]
        done = cols[0] <= now
        later = ~done
        self._pending = [tuple(c[later] for c in cols)] if later.any() else []
        if not done.any():
            return None
        return tuple(c[done] for c in cols)

    # -- records ---------------------------------------------------------------------------------
    def table(self) -> dict[str, np.ndarray]:
        """Every web and e-mail contact so far, in order of handling: customer, channel code,
        arrival and end (days), complex, resolved, escalated (to a call) and the call's issue
        number in the centre's log (-1 if none)."""
        names = ("customer", "channel", "arrival", "end", "complex", "resolved", "escalated",
                 "call_issue")
        if not self._chunks:
            empty = {"customer": np.int64, "channel": np.int8, "arrival": float, "end": float,
                     "complex": bool, "resolved": bool, "escalated": bool,
                     "call_issue": np.int64}
            return {k: np.zeros(0, dtype=empty[k]) for k in names}
        if len(self._chunks) > 1:  # concatenated once, then kept as one chunk
            self._chunks = [{k: np.concatenate([c[k] for c in self._chunks]) for k in names}]
        return dict(self._chunks[0])

    def per_customer(self, n: int) -> dict[str, np.ndarray]:
        """Web and e-mail contacts per customer id (arrays of length ``n``)."""
        t = self.table()
        return {name: np.bincount(t["customer"][t["channel"] == code], minlength=n)[:n]
                for code, name in ((WEB, "web_contacts"), (EMAIL, "email_contacts"))}

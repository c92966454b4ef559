"""A team's strategy as the engine sees it: a callable that asks the entry's worker.

The engine runs in the tournament's process and calls :class:`EntryRun` once a CRM cycle, as
it calls any strategy. The proxy sends the cycle's observable view to the team's worker
(:class:`~.sandbox.Sandbox`), checks the answer as the engine would
(:func:`~.wire.actions_from_plain`) and returns it; so the engine never sees anything but
valid :class:`~sim.actions.Actions`, whatever the entry does.

When the entry does not decide (an exception, a timeout, a memory or forbidden operation, a
crash, an invalid answer, a file that does not load), the cycle is decided by the
**fallback**, and an incident is recorded:

``"last"`` (the default)
    the entry's last valid actions, without their campaign lists (retention offers,
    cross-sell and win-back contacts name customers at one moment: sending the same people the
    same offer again would be a decision the entry never made); before the entry's first valid
    decision, ``sim.Actions()``'s defaults (no marketing, one agent, no programme);
a preset name (``"transactional"``, ...)
    that preset decides the cycle, from the same view.

A worker killed for overrunning its time or memory, or that crashed, is restarted for the next
cycle with the file executed afresh (what the entry kept in module variables is lost). After
``max_strikes`` such failures in one run the entry sits out the rest of that run: the fallback
decides without asking it (so an entry stuck in a loop costs a few time limits, not one per
cycle). A file that does not load, at the start of a run or after a restart, sits out the run
at once.
"""

from __future__ import annotations

from ..actions import Actions
from ..strategies import PRESETS
from .sandbox import Failure, Sandbox, entry_key
from .wire import actions_from_plain, view_payload

__all__ = ["FALLBACK_LAST", "EntryRun", "check_fallback"]

#: The default fallback: repeat the entry's last valid actions (see the module docstring).
FALLBACK_LAST = "last"
#: The ``fallback`` of an incident whose decision stood (the entry caught the refusal).
_CAUGHT_NOTE = "none: the entry caught the refusal, and its decision was used"


def check_fallback(fallback: str) -> str:
    """``fallback`` if it names a fallback (``"last"`` or a preset), else a ValueError."""
    if fallback != FALLBACK_LAST and fallback not in PRESETS:
        raise ValueError(f"fallback = {fallback!r}: choose {FALLBACK_LAST!r} (the entry's last "
                         f"valid actions) or a preset: {', '.join(PRESETS)}")
    return fallback


class EntryRun:
    """One run of one team's entry, callable as ``strategy(view) -> Actions``.

    Parameters
    ----------
    team : str
        The team's name (``Result.strategy`` of the run).
    replication, seed : int
        Which run this is. The seed stays here: the worker is told only ``key``.
    sandbox : Sandbox or None
        The team's worker; None for an entry that could not even be read (``problem``).
    scenario : Scenario
        The tournament's scenario, to check the actions against.
    fallback : str
        ``"last"`` or a preset name (module docstring).
    max_strikes : int
        Restarts (timeouts, memory failures, crashes) after which the entry sits out the run.
    problem : str, optional
        Why the entry cannot run at all (its file could not be read): every cycle falls back.
    key : int, optional
        The run's key for the entry's own random numbers (:func:`.sandbox.entry_key` of
        ``seed``, computed here if not given).

    Attributes
    ----------
    decisions, fallbacks : int
        Cycles the entry decided, and cycles the fallback decided.
    incidents : list of dict
        One per failed decision (and per refusal the entry caught): ``team``, ``replication``,
        ``cycle``, ``kind``, ``detail``, ``fallback``.
    status : str
        ``"ok"``, or the kind of the first failure that needed the fallback.
    """

    reads_customers = True  # the proxy checks customer ids, so the engine builds the columns

    def __init__(self, team: str, replication: int, seed: int, sandbox: Sandbox | None,
                 scenario, *, fallback: str = FALLBACK_LAST, max_strikes: int = 3,
                 problem: str | None = None, key: int | None = None):
        self.name = team
        self.replication = int(replication)
        self.seed = int(seed)
        self.key = entry_key(self.seed) if key is None else int(key)
        self.sandbox = sandbox
        self.scenario = scenario
        self.fallback = check_fallback(fallback)
        self.max_strikes = int(max_strikes)
        self.problem = problem
        self.decisions = 0
        self.fallbacks = 0
        self.incidents: list[dict] = []
        self.status = "ok"
        self._last: Actions | None = None
        self._last_cycle = -1
        self._strikes = 0
        self._benched = False
        self._preset = None if fallback == FALLBACK_LAST else PRESETS[fallback].for_run()

    def __repr__(self) -> str:
        return f"<entry {self.name} (replication {self.replication})>"

    # -- the fallback ------------------------------------------------------------------------
    def _fall_back(self, view) -> tuple[Actions, str]:
        """The fallback's actions for this cycle, and what they were."""
        if self._preset is not None:
            return self._preset(view), f"preset {self.fallback}"
        if self._last is None:
            return Actions(), "sim.Actions() defaults (no valid decision yet)"
        return (self._last.replace(retention_offers=(), cross_sell=(), winback=()),
                f"last valid actions (cycle {self._last_cycle}) without campaign lists")

    def _fail(self, view, failure: Failure, *, sit_out: bool = False) -> Actions:
        actions, how = self._fall_back(view)
        self.fallbacks += 1
        if self.status == "ok":
            self.status = failure.kind
        detail = failure.detail
        if failure.restarted and not sit_out:
            self._strikes += 1
            if self._strikes >= self.max_strikes:
                sit_out = True
                detail += (f" (failure {self._strikes} of {self.max_strikes} needing a restart "
                           "in this run)")
        if sit_out:
            self._benched = True
            left = max(0, -(-view.horizon_days // view.cycle_days) - view.cycle - 1)
            if left:
                detail += (f"; the entry sits out the rest of this run: {left} more "
                           f"cycle{'s' if left != 1 else ''} decided by the fallback")
        self.incidents.append({"team": self.name, "replication": self.replication,
                               "cycle": int(view.cycle), "kind": failure.kind,
                               "detail": detail, "fallback": how})
        return actions

    # -- the strategy ------------------------------------------------------------------------
    def __call__(self, view) -> Actions:
        if self._benched:
            self.fallbacks += 1
            return self._fall_back(view)[0]
        if self.problem is not None or self.sandbox is None:
            return self._fail(view, Failure("load", self.problem or "no worker"), sit_out=True)
        answer = self.sandbox.decide(
            self.key, lambda customers: view_payload(view, customers=customers))
        if answer.failure is not None:
            # A file that does not load (at the run's start, or after a restart) will not load
            # next cycle either: the entry sits out the run.
            return self._fail(view, answer.failure, sit_out=answer.loading)
        plain, refused = answer.actions, answer.refused
        try:
            actions = actions_from_plain(plain, self.scenario, view)
        except Exception as err:  # ActionsError as a rule; anything else is as invalid
            return self._fail(view, Failure("invalid", str(err)[:2000]))
        for what in refused:
            self.incidents.append({"team": self.name, "replication": self.replication,
                                   "cycle": int(view.cycle), "kind": "forbidden",
                                   "detail": f"refused {what}", "fallback": _CAUGHT_NOTE})
        self._last, self._last_cycle = actions, int(view.cycle)
        self.decisions += 1
        return actions

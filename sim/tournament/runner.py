"""Running a tournament: every team and every yardstick preset on the same seeds.

Each team plays through a proxy strategy (:class:`~.proxy.EntryRun`) whose decisions come from
the team's worker process (:class:`~.sandbox.Sandbox`); presets play as they are. Every run is
``sim.run(scenario, strategy, seed=s)`` with the seeds of :func:`sim.experiments._seeds`, so a
preset's row is exactly what ``sim.run`` gives for that preset and seed, and every team faces
the same markets (common random numbers). A run depends only on its inputs, so the tables are
the same whether the teams play one after another or side by side (``jobs``), and from one
tournament to the next.
"""

from __future__ import annotations

import math
import os
import platform
import sys
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor

import pandas as pd

from .. import __version__
from ..engine import run
from ..experiments import _seeds
from ..rng import fresh_seed
from ..strategies import PRESETS
from .confine import private_folders as _private_folders
from .confine import summary as _confinement
from .entries import Entry, load_entries
from .leaderboard import leaderboard
from .proxy import FALLBACK_LAST, EntryRun, check_fallback
from .result import OBJECTIVES, TournamentResult
from .sandbox import Sandbox, entry_key

__all__ = ["DEFAULT_PRESETS", "INCIDENT_COLUMNS", "run_tournament"]

#: Presets that play as yardsticks unless told otherwise: no CRM, operational CRM, all of it.
DEFAULT_PRESETS = ("transactional", "operational", "full_crm")
#: Columns of ``TournamentResult.incidents``.
INCIDENT_COLUMNS = ("team", "replication", "cycle", "kind", "detail", "fallback")
#: Seconds of CPU a worker may use besides its decisions (start, loading), for the backstop.
_CPU_SLACK = 60.0


def _check_number(name: str, value, low: float, unit: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not (
            math.isfinite(value) and value >= low):
        raise ValueError(f"{name} = {value!r}: must be a number >= {low:g} ({unit})")
    return float(value)


def _check_presets(presets) -> tuple[str, ...]:
    if isinstance(presets, str):
        presets = [p.strip() for p in presets.split(",") if p.strip()]
    names = tuple(presets)
    unknown = [p for p in names if p not in PRESETS]
    if unknown:
        raise ValueError(f"presets contains {unknown[0]!r}: presets are {', '.join(PRESETS)}")
    if len(set(names)) < len(names):
        raise ValueError(f"presets = {list(names)}: a preset appears twice")
    return names


def _scenario(scenario, horizon_days):
    from ..scenario import Scenario

    label = str(scenario) if not isinstance(scenario, Scenario) else scenario.name
    if not isinstance(scenario, Scenario):
        scenario = Scenario.load(scenario)
    if horizon_days is not None:
        scenario = scenario.replace(horizon_days=horizon_days)
    return scenario, label


def _rows(kind: str, name: str, replication: int, seed: int, result, decisions: int,
          fallbacks: int, status: str) -> tuple[dict, pd.DataFrame]:
    row = {"team": name, "kind": kind, "replication": replication, "seed": seed,
           **result.summary(), "decisions": decisions, "fallbacks": fallbacks, "status": status}
    timeline = result.timeline.copy()
    timeline.insert(0, "replication", replication)
    timeline.insert(0, "kind", kind)
    timeline.insert(0, "team", name)
    return row, timeline


def play(unit: tuple, progress=None) -> dict:
    """Play one team's or preset's runs on every seed (a worker function for process pools).

    Parameters
    ----------
    unit : tuple
        ``(kind, name, entry, scenario, seeds, options)``: ``kind`` ``"team"`` (``entry`` an
        :class:`~.entries.Entry`) or ``"preset"`` (``entry`` None); ``options`` the sandbox
        and fallback settings of :func:`run_tournament`, the runs' keys (``keys``,
        :func:`~.sandbox.entry_key`) and the folders the workers must not see (``private``).
    progress : callable, optional
        Called after each run.

    Returns
    -------
    dict
        ``runs`` (rows), ``timelines`` (frames), ``incidents`` (rows), ``limits`` and
        ``confinement`` (the worker's resource limits and confinement layers, for a team).
    """
    kind, name, entry, scenario, seeds, options = unit
    runs, timelines, incidents, limits, layers = [], [], [], None, None
    if kind == "preset":
        for i, seed in enumerate(seeds):
            result = run(scenario, PRESETS[name], seed=seed, transactions="none")
            row, timeline = _rows(kind, name, i, seed, result, len(result.timeline), 0, "ok")
            runs.append(row)
            timelines.append(timeline)
            if progress:
                progress()
        return {"runs": runs, "timelines": timelines, "incidents": incidents, "limits": None,
                "confinement": None}
    sandbox = None
    if entry.problem is None:
        cycles = -(-scenario.horizon_days // scenario.cycle_days)
        sandbox = Sandbox(name, entry.source, decision_timeout=options["decision_timeout"],
                          memory_mb=options["memory_mb"],
                          cpu_seconds=options["decision_timeout"] * (cycles + 2) * len(seeds)
                          + _CPU_SLACK, private=options["private"])
    try:
        for i, seed in enumerate(seeds):
            proxy = EntryRun(name, i, seed, sandbox, scenario, fallback=options["fallback"],
                             max_strikes=options["max_strikes"], problem=entry.problem,
                             key=options["keys"][i])
            result = run(scenario, proxy, seed=seed, transactions="none")
            row, timeline = _rows(kind, name, i, seed, result, proxy.decisions, proxy.fallbacks,
                                  proxy.status)
            runs.append(row)
            timelines.append(timeline)
            incidents.extend(proxy.incidents)
            if progress:
                progress()
        if sandbox is not None:
            limits, layers = sandbox.limits, sandbox.confinement
    finally:
        if sandbox is not None:
            sandbox.close()
    return {"runs": runs, "timelines": timelines, "incidents": incidents, "limits": limits,
            "confinement": layers}


def run_tournament(entries, scenario="classroom", *, replications: int = 10,
                   seed: int | None = None,
                   objective: str = "profit", horizon_days: int | None = None,
                   presets: Sequence[str] | str = DEFAULT_PRESETS, fallback: str = FALLBACK_LAST,
                   decision_timeout: float = 5.0, memory_mb: float = 1024.0,
                   max_strikes: int = 3, level: float = 0.95, jobs: int | None = None,
                   private: Sequence = (), progress: bool = True) -> TournamentResult:
    """Run every team's entry and the yardstick presets on the same markets, and rank them.

    Each team's file runs in a worker process of its own, sandboxed (:mod:`sim.tournament`):
    it sees only the observable view of its own runs, has ``decision_timeout`` seconds per
    decision and ``memory_mb`` of memory, and whatever it does, the tournament goes on. A
    cycle the entry does not decide is decided by the ``fallback`` and recorded as an
    incident.

    Parameters
    ----------
    entries : str, Path, mapping or sequence
        A folder of team files (one ``strategy(view)`` per ``.py`` file; team name = file
        stem), a mapping team -> file, or a list of files.
    scenario : Scenario or str
        The market: a Scenario, or a shipped scenario's name or a ``.toml`` file.
    replications : int
        Runs per team and preset (>= 1; >= 2 for intervals).
    seed : int, optional
        Seed of the first replication; the others follow (``seed + 1``, ...). By default a
        fresh one (:func:`sim.rng.fresh_seed`), recorded in ``settings["seed"]``: give it
        again to replay the tournament. The seeds are the tournament's secret: an entry that
        knew its run's seed could replay its market and read the latent truth, so workers are
        never told it, and a small seed chosen by hand (0, 1, ...) is one an entry could find
        by trying; use the default for a real tournament.
    objective : {"profit", "customer_equity"}
        What the leaderboard ranks by (:data:`~.result.OBJECTIVES`; larger is better).
    horizon_days : int, optional
        Shorten or lengthen the scenario's horizon, days.
    presets : sequence of str or str
        Presets playing as yardsticks (names of :data:`sim.strategies.PRESETS`, or one
        comma-separated string); empty for none.
    fallback : str
        What decides a cycle the entry did not: ``"last"`` (its last valid actions without
        campaign lists; ``sim.Actions()`` before any) or a preset name
        (:mod:`sim.tournament.proxy`).
    decision_timeout : float
        Wall-clock seconds per decision (also for loading the file), > 0.
    memory_mb : float
        Memory an entry may use on top of its worker's baseline (Python, numpy, pandas), MB.
    max_strikes : int
        Time-outs, memory failures and crashes in one run after which an entry sits out the
        rest of that run (>= 1).
    level : float
        Confidence level of the leaderboard's intervals (two-sided fraction).
    jobs : int, optional
        Teams and presets played side by side in worker processes; default one after another.
        The tables are the same either way.
    private : sequence of str or Path
        More folders the workers must not see (the command line passes its ``--out``), besides
        the entries' folders, the working folder, homes and temporary folders
        (:func:`sim.tournament.confine.private_folders`).
    progress : bool
        Show a progress bar (``tqdm.auto``; ``TQDM_DISABLE=1`` silences it).

    Returns
    -------
    TournamentResult

    Raises
    ------
    ValueError
        For a bad argument or entries folder (naming it); ``sim.errors.ScenarioError`` for a
        bad scenario.
    """
    if os.name != "posix":
        raise RuntimeError("tournaments need a POSIX system (Linux or macOS: the sandbox uses "
                           "resource limits and process groups); on Windows use WSL")
    if objective not in OBJECTIVES:
        raise ValueError(f"objective = {objective!r}: choose one of {', '.join(OBJECTIVES)}")
    check_fallback(fallback)
    presets = _check_presets(presets)
    decision_timeout = _check_number("decision_timeout", decision_timeout, 0.01, "seconds")
    memory_mb = _check_number("memory_mb", memory_mb, 64, "MB")
    if isinstance(max_strikes, bool) or not isinstance(max_strikes, int) or max_strikes < 1:
        raise ValueError(f"max_strikes = {max_strikes!r}: must be a whole number >= 1")
    if not (isinstance(level, float) and 0 < level < 1):
        raise ValueError(f"level = {level!r}: must be a fraction between 0 and 1")
    if jobs is not None and (isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1):
        raise ValueError(f"jobs = {jobs!r}: must be a whole number >= 1 (worker processes)")
    given = seed is not None
    seeds = _seeds(fresh_seed() if seed is None else seed, replications)
    scenario, label = _scenario(scenario, horizon_days)
    teams: list[Entry] = load_entries(entries, reserved=presets)
    if isinstance(private, str | os.PathLike):
        private = [private]
    hidden = _private_folders([*(e.path.resolve().parent for e in teams), *private])
    options = {"decision_timeout": decision_timeout, "memory_mb": memory_mb,
               "fallback": fallback, "max_strikes": max_strikes, "private": hidden,
               "keys": [entry_key(s) for s in seeds] if teams else []}
    units = ([("team", e.team, e, scenario, seeds, options) for e in teams]
             + [("preset", p, None, scenario, seeds, options) for p in presets])
    outcomes = _play_all(units, jobs, progress, len(seeds))

    runs = pd.DataFrame([row for o in outcomes for row in o["runs"]])
    timelines = pd.concat([t for o in outcomes for t in o["timelines"]], ignore_index=True)
    incidents = pd.DataFrame([i for o in outcomes for i in o["incidents"]],
                             columns=list(INCIDENT_COLUMNS))
    incidents = incidents.astype({"replication": "int64", "cycle": "int64"})
    board = leaderboard(runs, objective, level=level)
    limits = next((o["limits"] for o in outcomes if o["limits"]), None)
    layers = next((o["confinement"] for o in outcomes if o["confinement"]), None)
    settings = {
        "replications": len(seeds), "seed": seeds[0],
        "seed_source": "given" if given else "fresh (sim.rng.fresh_seed)",
        "horizon_days": scenario.horizon_days,
        "cycle_days": scenario.cycle_days, "presets": list(presets), "fallback": fallback,
        "decision_timeout": decision_timeout, "memory_mb": memory_mb,
        "max_strikes": max_strikes, "level": level, "jobs": jobs or 1,
        "entries": {e.team: {"file": str(e.path), "sha256": e.sha256} for e in teams},
        "sandbox_limits": limits, "confinement": _confinement(layers), "version": __version__,
        "python": sys.version.split()[0], "platform": platform.platform(),
    }
    return TournamentResult(scenario=label, objective=objective, seeds=tuple(seeds), runs=runs,
                            timelines=timelines, incidents=incidents, leaderboard=board,
                            settings=settings)


def _play_all(units: list[tuple], jobs: int | None, progress: bool, n: int) -> list[dict]:
    """Every unit's outcome, in the order of ``units``, serially or on a process pool."""
    from tqdm.auto import tqdm

    bar = tqdm(total=len(units) * n, desc="tournament", unit="run", leave=False,
               disable=not progress or None)
    try:
        if jobs is None or jobs == 1 or len(units) == 1:
            return [play(unit, bar.update) for unit in units]
        with ProcessPoolExecutor(max_workers=min(jobs, len(units))) as pool:
            futures = [pool.submit(play, unit) for unit in units]
            for future in futures:
                future.add_done_callback(lambda _f: bar.update(n))
            return [future.result() for future in futures]
    finally:
        bar.close()

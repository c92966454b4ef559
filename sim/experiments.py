"""Experiments: replications and paired comparisons of strategies (DESIGN section 10).

One run is one draw of a random market; a strategy is judged by many. :func:`replicate` runs one
strategy on ``n`` seeds; :func:`compare` runs several strategies on the *same* seeds (common
random numbers: each strategy faces the same market, the same customers and the same competitor
waves), so that the difference between two strategies is measured seed by seed and its
confidence interval is far narrower than the strategies' own intervals.

Both return tidy tables, one row per run, holding every input that produced the row (scenario,
strategy, seed) and every KPI of :meth:`sim.result.Result.summary`. Runs go through any
:class:`concurrent.futures.Executor` (``executor=``; ``jobs=N`` builds a local process pool, and
a ``dask.distributed`` client's ``get_executor()`` runs the same experiment on a cluster);
the table is the same whichever runs it, because each run depends only on its seed.

Examples
--------
>>> from sim import Scenario, strategies, experiments          # doctest: +SKIP
>>> cmp = experiments.compare(Scenario.load("classroom"),
...                           [strategies.transactional, strategies.full_crm], n=30, jobs=2)
>>> cmp.table                 # means, paired differences to the baseline, 95% intervals
>>> cmp.not_significant       # differences the replications cannot tell from zero
"""

from __future__ import annotations

import contextlib
import itertools
import os
import pickle
from collections.abc import Mapping, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass, field

import pandas as pd

from .view import strategy_name

__all__ = ["Comparison", "compare", "replicate", "replicate_until", "run_summary", "sweep"]


def run_summary(job: tuple) -> dict:
    """Run one ``(scenario, strategy, seed)`` job and return its tidy row (a worker function:
    it lives in the package so that process pools and clusters can import it)."""
    from .engine import run

    scenario, strategy, seed = job
    # Only the summary is kept, and no KPI reads the transaction log: not building it saves
    # most of a large market's memory (the KPIs are the same, tests/test_transaction_log.py).
    result = run(scenario, strategy, seed=seed, transactions="none")
    return {"scenario": scenario.name, "strategy": result.strategy, "seed": seed,
            **result.summary()}


def _seeds(seed: int, n: int) -> list[int]:
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed = {seed!r}: must be a whole number >= 0 (the first run's seed)")
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"n = {n!r}: must be a whole number >= 1 (replications)")
    # Consecutive seeds are independent draws: the engine hashes each seed through numpy's
    # SeedSequence (sim.rng), and they are easy to replay one by one.
    return list(range(seed, seed + n))


@contextlib.contextmanager
def _pool(executor: Executor | None, jobs: int | None):
    """The executor to use: ``executor``, a local process pool of ``jobs`` workers (shut
    down on leaving), or None for serial."""
    if executor is not None and jobs is not None:
        raise ValueError("give either executor= or jobs=, not both")
    if jobs is not None and (isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1):
        raise ValueError(f"jobs = {jobs!r}: must be a whole number >= 1 (worker processes)")
    if executor is not None or jobs is None or jobs == 1:
        yield executor
        return
    pool = ProcessPoolExecutor(max_workers=min(jobs, os.cpu_count() or 1))
    try:
        yield pool
    finally:
        pool.shutdown()


def _execute(jobs_list: list[tuple], executor: Executor | None, jobs: int | None,
             progress: bool, label: str) -> list[dict]:
    """Rows of ``jobs_list`` in order, run serially, on a local pool or on ``executor``."""
    with _pool(executor, jobs) as pool:
        bar = _progress(len(jobs_list), progress, label)
        try:
            if pool is None:
                rows = []
                for job in jobs_list:
                    rows.append(run_summary(job))
                    bar.update()
                return rows
            _check_picklable(jobs_list)
            futures = [pool.submit(run_summary, job) for job in jobs_list]
            for future in futures:
                future.add_done_callback(lambda _f: bar.update())
            return [future.result() for future in futures]
        finally:
            bar.close()


def _check_picklable(jobs_list: list[tuple]) -> None:
    # Each distinct strategy once (an experiment repeats each on every seed).
    for strategy in {id(job[1]): job[1] for job in jobs_list}.values():
        try:
            pickle.dumps(strategy)
        except Exception as exc:
            raise TypeError(
                f"strategy {strategy_name(strategy)!r} cannot be sent to worker processes "
                f"({exc}); define it in a module (not in a notebook cell or as a lambda), or "
                "run without jobs= and executor=") from None


def _progress(total: int, enabled: bool, label: str):
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=label, unit="run", disable=not enabled or None, leave=False)


def replicate(scenario, strategy, n: int = 30, seed: int = 0, *, executor=None,
              jobs: int | None = None, progress: bool = True) -> pd.DataFrame:
    """Run ``strategy`` on ``n`` seeds: ``seed``, ``seed + 1``, ..., ``seed + n - 1``.

    Parameters
    ----------
    scenario : Scenario
    strategy : callable
        A preset or any ``strategy(view) -> Actions`` (for worker processes it must be
        importable: defined in a module, not in a notebook).
    n : int
        Replications (runs), >= 1.
    seed : int
        Seed of the first run, >= 0.
    executor : concurrent.futures.Executor, optional
        Runs the replications (e.g. ``dask.distributed.Client(...).get_executor()``).
    jobs : int, optional
        Local worker processes (a process pool); default serial.
    progress : bool
        Show a progress bar (``tqdm.auto``; ``TQDM_DISABLE=1`` silences it everywhere).

    Returns
    -------
    pandas.DataFrame
        One row per run, in seed order: ``scenario``, ``strategy``, ``seed`` and every KPI of
        :meth:`sim.result.Result.summary` (units in :data:`sim.result.KPI_INFO`).
    """
    jobs_list = [(scenario, strategy, s) for s in _seeds(seed, n)]
    rows = _execute(jobs_list, executor, jobs, progress, strategy_name(strategy))
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class Comparison:
    """Strategies run on the same seeds, and what the replications say about them.

    Attributes
    ----------
    runs : pandas.DataFrame
        One row per run (``scenario``, ``strategy``, ``seed``, KPIs).
    baseline : str
        The strategy every other one is compared with.
    level : float
        Confidence level of the intervals (two-sided).
    kpis : tuple of str, optional
        KPIs of :attr:`table` (default :data:`sim.analytics.comparison.COMPARISON_KPIS`).
    table : pandas.DataFrame
        Per strategy and KPI: mean, paired difference to the baseline, its interval and
        whether it is significant (:func:`sim.analytics.comparison.comparison_table`).
    """

    runs: pd.DataFrame
    baseline: str
    level: float = 0.95
    kpis: tuple[str, ...] | None = None
    table: pd.DataFrame = field(init=False, repr=False)

    def __post_init__(self):
        from .analytics.comparison import COMPARISON_KPIS, comparison_table

        wanted = COMPARISON_KPIS if self.kpis is None else self.kpis
        unknown = [k for k in wanted if k not in self.runs.columns]
        if self.kpis is not None and unknown:
            raise ValueError(f"kpis contains {unknown[0]!r}: not a column of the runs; KPIs "
                             f"are those of Result.summary()")
        object.__setattr__(self, "table", comparison_table(
            self.runs, wanted, baseline=self.baseline, level=self.level))

    @property
    def not_significant(self) -> pd.DataFrame:
        """The rows of :attr:`table` whose difference to the baseline is not significant."""
        return self.table[self.table["significant"].eq(False)]

    def notes(self) -> list[str]:
        """One sentence per difference the replications cannot tell from zero."""
        n = int(self.runs.groupby("strategy")["seed"].nunique().min())
        return [f"{row.strategy} vs {self.baseline} on {row.kpi}: the difference "
                f"({row.difference:,.4g}) is not significant at {self.level:.0%} with {n} "
                "paired replications" for row in self.not_significant.itertuples()]


def compare(scenario, strategies, n: int = 30, seed: int = 0, *, baseline: str | None = None,
            level: float = 0.95, kpis=None, executor=None, jobs: int | None = None,
            progress: bool = True) -> Comparison:
    """Run every strategy on the same ``n`` seeds and compare them with a baseline, paired.

    Parameters
    ----------
    scenario : Scenario
    strategies : sequence of callables
        Presets or strategy functions; their names (``strategy.name`` or the function name)
        must differ.
    n, seed, executor, jobs, progress
        As in :func:`replicate`.
    baseline : str, optional
        Name of the strategy to compare the others with (default: the first).
    level : float
        Confidence level of the intervals of the differences (fraction, two-sided).
    kpis : sequence of str, optional
        KPIs to compare (any of :meth:`sim.result.Result.summary`; the runs table keeps them
        all either way). Default: profit, customer equity, churn and the other headline KPIs.

    Returns
    -------
    Comparison
        ``runs`` (tidy, one row per run), ``table`` (means, paired differences to the baseline
        with intervals and significance) and ``notes()``.
    """
    strategies = list(strategies)
    if not strategies:
        raise ValueError("strategies is empty: give at least one strategy")
    names = [strategy_name(s) for s in strategies]
    twice = sorted({x for x in names if names.count(x) > 1})
    if twice:
        raise ValueError(f"strategies named {', '.join(map(repr, twice))} more than once: "
                         "configure them differently or give them distinct names")
    if baseline is not None and baseline not in names:
        raise ValueError(f"baseline = {baseline!r}: strategies are {', '.join(names)}")
    seeds = _seeds(seed, n)
    # Seed-major order, so that a partial experiment (interrupted) has every strategy run on
    # the first seeds, and a pool works on all strategies of a seed at once.
    jobs_list = [(scenario, strategy, s) for s in seeds for strategy in strategies]
    rows = _execute(jobs_list, executor, jobs, progress, f"{len(strategies)} strategies")
    runs = pd.DataFrame(rows)
    order = {name: i for i, name in enumerate(names)}
    runs = runs.sort_values(["strategy", "seed"], key=lambda c: c.map(order)
                            if c.name == "strategy" else c, kind="stable").reset_index(drop=True)
    return Comparison(runs, baseline or names[0], level,
                      None if kpis is None else tuple(kpis))


def replicate_until(scenario, strategy, kpi: str = "profit", half_width: float = 10_000.0, *,
                    level: float = 0.95, seed: int = 0, min_n: int = 5, max_n: int = 200,
                    batch: int = 5, executor=None, jobs: int | None = None,
                    progress: bool = True) -> pd.DataFrame:
    """Replicate until the confidence interval of the mean ``kpi`` is narrow enough.

    Runs ``min_n`` replications, then ``batch`` more at a time, until the half-width of the
    two-sided t interval of the mean, ``t(level, n - 1) s / sqrt(n)``, is at most ``half_width``
    (in the KPI's unit), or ``max_n`` runs are done. The seeds are consecutive from ``seed``, so
    the runs are those :func:`replicate` would make.

    Parameters
    ----------
    kpi : str
        A KPI of :meth:`sim.result.Result.summary`.
    half_width : float
        Target half-width of the interval, in the KPI's unit (> 0).
    level : float
        Confidence level (fraction, two-sided).
    min_n, max_n, batch : int
        Replications before the first check (>= 2), at most, and added between checks.

    Returns
    -------
    pandas.DataFrame
        The runs, as :func:`replicate`; ``attrs["half_width"]`` holds the half-width reached
        and ``attrs["converged"]`` whether it met the target.
    """
    from .analytics.comparison import t_half_width

    if not half_width > 0:
        raise ValueError(f"half_width = {half_width!r}: must be > 0 (in the unit of {kpi!r})")
    if not 2 <= min_n <= max_n or batch < 1:
        raise ValueError(f"min_n = {min_n}, max_n = {max_n}, batch = {batch}: need "
                         "2 <= min_n <= max_n and batch >= 1")
    from .result import KPI_INFO

    if kpi not in KPI_INFO:
        raise ValueError(f"kpi = {kpi!r}: not a KPI of Result.summary(); KPIs are "
                         f"{', '.join(KPI_INFO)}")
    # One pool for every batch: starting worker processes (each importing sim) costs more
    # than a batch of classroom runs.
    with _pool(executor, jobs) as pool:
        table = replicate(scenario, strategy, min_n, seed, executor=pool, progress=progress)
        while True:
            values = table[kpi].to_numpy(dtype=float)
            n = values.size
            reached = t_half_width(values, level)
            if reached <= half_width or n >= max_n:
                break
            more = replicate(scenario, strategy, min(batch, max_n - n), seed + n,
                             executor=pool, progress=progress)
            table = pd.concat([table, more], ignore_index=True)
    table.attrs.update(half_width=float(reached), converged=bool(reached <= half_width))
    return table


def _apply(scenario, strategy, point: Mapping):
    """The scenario and strategy of one grid point: ``strategy.X`` keys configure the
    strategy (a preset), every other key is a scenario field (``Scenario.replace``)."""
    fields = {k: v for k, v in point.items() if not k.startswith("strategy.")}
    params = {k.removeprefix("strategy."): v for k, v in point.items() if k.startswith("strategy.")}
    if params:
        if not hasattr(strategy, "configure"):
            raise ValueError(f"grid has {', '.join('strategy.' + k for k in params)} but "
                             f"strategy {strategy_name(strategy)!r} has no configure(): only "
                             "presets take parameters")
        try:
            strategy = strategy.configure(**params)
        except TypeError as err:  # an unknown parameter: the grid's mistake, say so
            raise ValueError(f"grid: {err}") from None
    return (scenario.replace(**fields) if fields else scenario), strategy


def sweep(scenario, strategy, grid: Mapping[str, Sequence], n: int = 10, seed: int = 0, *,
          executor=None, jobs: int | None = None, progress: bool = True) -> pd.DataFrame:
    """Run every combination of a grid of scenario fields and strategy parameters.

    Every grid point uses the same seeds (common random numbers), so neighbouring points
    differ by the parameter, not by the draw.

    Parameters
    ----------
    scenario : Scenario
    strategy : callable
        A preset when the grid holds strategy parameters.
    grid : mapping
        Name -> values. Scenario fields by their dotted path (``"budget_per_cycle"``,
        ``"service.handle_minutes"``, ``"segments.regulars.annual_churn"``); preset parameters
        as ``"strategy.<name>"`` (``"strategy.offer_budget"``).
    n, seed, executor, jobs, progress
        As in :func:`replicate`.

    Returns
    -------
    pandas.DataFrame
        One row per grid point and seed: a column per grid name (its value), then
        ``scenario``, ``strategy``, ``seed`` and every KPI.

    Raises
    ------
    sim.errors.ScenarioError, TypeError, ValueError
        For a bad field, value or parameter, before anything runs.
    """
    if not grid:
        raise ValueError("grid is empty: give at least one name with a list of values")
    names = list(grid)
    for name in names:
        values = grid[name]
        if isinstance(values, str) or not isinstance(values, Sequence) or not len(values):
            raise ValueError(f"grid[{name!r}] = {values!r}: must be a non-empty list of values")
    points = [dict(zip(names, combo, strict=True))
              for combo in itertools.product(*(grid[k] for k in names))]
    # Build (and so validate) every point before running any.
    setups = [_apply(scenario, strategy, point) for point in points]
    seeds = _seeds(seed, n)
    jobs_list = [(sc, st, s) for sc, st in setups for s in seeds]
    rows = _execute(jobs_list, executor, jobs, progress, f"{len(points)} grid points")
    out = pd.DataFrame(rows)
    grid_columns = pd.DataFrame([point for point in points for _ in seeds])
    return pd.concat([grid_columns, out], axis=1)

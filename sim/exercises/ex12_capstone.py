"""Exercise 12, capstone: a paired comparison with your seeds, its interval, how many
replications, profit against customer equity, and a strategy of your own that beats a preset."""

from __future__ import annotations

import functools
import math
import time
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import numpy as np

from .. import strategies
from ..experiments import run_summary
from ..scenario import Scenario
from .feedback import ParamDraws, Params
from .questions import ChoiceQuestion, Mistake, NumberQuestion, Question, StrategyQuestion
from .registry import Exercise, register
from .runs import _scenario

#: Presets a student's strategy may be asked to beat (each runs three years in about a second;
#: full_crm and analytical, which re-fit a churn model every cycle, would make checks slow).
PRESETS = ("operational", "collaborative", "strategic", "loyalty", "winback")
#: KPIs the strategy must win on.
KPIS = ("profit", "customer_equity")
#: Levers the strategy must keep on in every cycle (the firm's management insists on them).
LEVERS = ("loyalty", "collaborative")
LEVER_LABELS = {"loyalty": "the loyalty programme", "collaborative": "collaboration"}
#: Replications of the experiment (consecutive seeds from params.seed, as experiments.compare).
N = 3
#: Processor seconds one three-year run of a student's strategy may take.
CPU_SECONDS = 10.0


# -- exercise 12: capstone ------------------------------------------------------------------------
def _params_12(draws: ParamDraws) -> dict:
    seed = draws.integer(100, 999_999)  # from 100: the notebooks' seeds 42-46 are never among them
    preset, kpi, lever = draws.choice(PRESETS), draws.choice(KPIS), draws.choice(LEVERS)
    if (preset, kpi, lever) == ("collaborative", "profit", "loyalty"):
        # A loyalty programme costs about as much profit as cross-selling well earns over
        # collaboration's: a margin too thin for a fair task.
        lever = "collaborative"
    return {"seed": seed, "seeds": tuple(range(seed, seed + N)), "n": N, "preset": preset,
            "kpi": kpi, "lever": lever}


def _three_years(params: Params) -> Scenario:
    return _scenario("classroom")


@functools.lru_cache(maxsize=128)
def _kpis(name: str, seed: int, horizon_days: int | None = None) -> MappingProxyType:
    """The KPIs of preset ``name`` on the classroom market, exactly as experiments.compare
    computes them (its worker function), cached."""
    scenario = _scenario("classroom")
    if horizon_days is not None:
        scenario = scenario.replace(horizon_days=horizon_days)
    return MappingProxyType(run_summary((scenario, strategies.get(name), seed)))


def _differences(params: Params, *, kpi: str | None = None, seeds=None,
                 horizon_days: int | None = None) -> np.ndarray:
    """Paired differences preset - transactional on ``kpi``, one per seed."""
    kpi = params.kpi if kpi is None else kpi
    seeds = params.seeds if seeds is None else seeds
    return np.array([_kpis(params.preset, s, horizon_days)[kpi]
                     - _kpis("transactional", s, horizon_days)[kpi] for s in seeds])


def _mean_of(params: Params, name: str) -> float:
    return float(np.mean([_kpis(name, s)[params.kpi] for s in params.seeds]))


def _own_half_width(params: Params, name: str) -> float:
    values = np.array([_kpis(name, s)[params.kpi] for s in params.seeds])
    return _t(len(values)) * values.std(ddof=1) / math.sqrt(len(values))


def _t(n: int) -> float:
    from scipy import stats  # here, not at the top: scipy.stats costs 0.4 s to import

    return float(stats.t.ppf(0.975, n - 1))


def _half_width(params: Params, quantile: float | None = None) -> float:
    d = _differences(params)
    q = _t(d.size) if quantile is None else quantile
    return q * d.std(ddof=1) / math.sqrt(d.size)


_SEED_HINT = ("That is the value for seeds 42 to 44, the notebook's: run with your own seeds, "
              "`seed=params.seed` and `n=params.n`.")
_TWO_YEARS_HINT = ("That is the value for two-year runs, the notebook's: use the three-year "
                   "classroom market, `Scenario.load(\"classroom\")` as it is.")
_OTHER_KPI = {"profit": "customer_equity", "customer_equity": "profit"}


# -- the coding task ------------------------------------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class CapstoneQuestion(Question):
    """A strategy function, run for three years on every seed of ``params.seeds``: it must keep
    ``params.lever`` on in every cycle, take at most :data:`CPU_SECONDS` of processor time a
    run, leave more customer equity than ``operational`` and beat ``params.preset`` on
    ``params.kpi``, both on average over the seeds (paired: the same seeds for all)."""

    praise: str = ""

    def expected(self, params: Params) -> str:
        return "a strategy function: see the question"

    def assess(self, answer: Any, params: Params) -> tuple[bool | None, str]:
        mine = []
        for seed in params.seeds:
            box: dict = {}
            # StrategyQuestion runs the function and turns its errors into hints.
            probe = StrategyQuestion(id=self.id, text=self.text, scenario=_three_years,
                                     verify=lambda result, _p, box=box: box.update(result=result))
            start = time.process_time()
            verdict, message = probe.assess(answer, Params(params.exercise, params.student_id,
                                                           {**params, "seed": seed}))
            spent = time.process_time() - start
            if verdict is not True:
                if "budget_per_cycle" in message:
                    message += (" End your strategy with `return fit_budget(plan, view)`: it "
                                "cuts a plan to the budget.")
                return verdict, message
            result = box["result"]
            on = result.timeline[params.lever].astype(bool)
            if not on.all():
                return False, (
                    f"Your strategy ran {LEVER_LABELS[params.lever]} in {int(on.sum())} of "
                    f"{len(on)} cycles; the task asks for every cycle: set "
                    f"`{params.lever}=True` in your plan. If it is set, `fit_budget` switched it "
                    "off because the plan cost more than the budget: spend less elsewhere.")
            if spent > CPU_SECONDS:
                return False, (
                    f"Your strategy took {spent:.0f} s of processor time for one three-year run; "
                    f"keep it under {CPU_SECONDS:.0f} s (a tournament runs it many times). Use "
                    "pandas column operations rather than Python loops over customers.")
            mine.append(result.summary())
        equity = np.mean([m["customer_equity"] - _kpis("operational", s)["customer_equity"]
                          for m, s in zip(mine, params.seeds, strict=True)])
        if equity <= 0:
            return False, (
                "Your strategy leaves a customer base worth less than operational CRM's "
                "(customer equity, on average over your seeds): serving customers properly is "
                "the floor, and a firm that lives off its customers does not count. Serve them "
                "(agents by Erlang C, a CRM system with training) and grow them.")
        d = np.array([m[params.kpi] - _kpis(params.preset, s)[params.kpi]
                      for m, s in zip(mine, params.seeds, strict=True)])
        wins = int((d > 0).sum())
        if d.mean() <= 0:
            return False, (
                f"Your strategy kept within the budget but lost to `{params.preset}` on "
                f"{params.kpi}: behind by EUR {-d.mean():,.0f} on average over your seeds (ahead "
                f"on {wins} of {d.size}). Read what the preset does "
                f"(`help(strategies.{params.preset})`) and the notebook's worked example.")
        return True, (
            f"Correct. Your strategy beat `{params.preset}` on {params.kpi} by EUR "
            f"{d.mean():,.0f} on average (ahead on {wins} of {d.size} seeds). {self.praise}"
        ).strip()


CAPSTONE = register(Exercise(
    name="12_capstone",
    title="Capstone: a fair comparison and a strategy of your own",
    make_params=_params_12,
    defaults={"seed": 42, "seeds": (42, 43, 44), "n": N, "preset": "winback",
              "kpi": "customer_equity", "lever": "loyalty"},
    questions=(
        NumberQuestion(
            id="q1",
            text="Mean paired difference params.preset - transactional on params.kpi, three "
                 "years, n = params.n seeds from params.seed (EUR, whole euros).",
            compute=lambda p: float(_differences(p).mean()),
            abs_tol=1.0,
            rel_tol=1e-6,
            near=0.01,
            near_hint=("Close: give the amount in whole euros, read from the `difference` "
                       "column of `comparison.table` (not from a plot)."),
            hint=("Run `experiments.compare(Scenario.load(\"classroom\"), "
                  "[strategies.transactional, strategies.get(params.preset)], n=params.n, "
                  "seed=params.seed)` and read the `difference` of your preset's row for "
                  "`params.kpi` in `comparison.table`."),
            mistakes=(
                Mistake(lambda p: -float(_differences(p).mean()),
                        "Right size, wrong sign: the difference is your preset minus "
                        "transactional (the baseline, the first strategy)."),
                Mistake(lambda p: _mean_of(p, p.preset),
                        "That is your preset's mean; the question asks for its paired "
                        "difference to transactional (the `difference` column)."),
                Mistake(lambda p: _mean_of(p, "transactional"),
                        "That is the transactional firm's mean; the question asks for the "
                        "paired difference of your preset to it."),
                Mistake(lambda p: float(_differences(p)[0]),
                        "That is the difference on your first seed only; average the paired "
                        "differences over all `params.n` seeds."),
                Mistake(lambda p: float(_differences(p, kpi=_OTHER_KPI[p.kpi]).mean()),
                        "That is the difference in the other money KPI; the question is about "
                        "`params.kpi`: use its row of `comparison.table`."),
                Mistake(lambda p: float(_differences(p, horizon_days=730).mean()),
                        _TWO_YEARS_HINT),
                Mistake(lambda p: float(_differences(p, seeds=(42, 43, 44)).mean()),
                        _SEED_HINT),
            ),
            praise="Paired by seed: each seed's market is the same for both firms.",
        ),
        NumberQuestion(
            id="q2",
            text="Half-width of the 95% confidence interval of that difference (EUR, whole "
                 "euros).",
            compute=_half_width,
            abs_tol=1.0,
            rel_tol=1e-6,
            near=0.01,
            near_hint=("Close: give the amount in whole euros, computed from `comparison.table` "
                       "(`high` minus `difference`)."),
            hint=("The interval runs from `low` to `high` around the `difference` in "
                  "`comparison.table`; the half-width is the distance from the difference to "
                  "either end."),
            mistakes=(
                Mistake(lambda p: 2 * _half_width(p),
                        "That is the whole width of the interval (`high` - `low`); give half "
                        "of it."),
                Mistake(lambda p: _own_half_width(p, p.preset),
                        "That is the half-width of your preset's own mean (`mean_half_width`); "
                        "the question asks about the interval of the paired difference."),
                Mistake(lambda p: _own_half_width(p, "transactional"),
                        "That is the half-width of the transactional firm's own mean; the "
                        "question asks about the interval of the paired difference."),
                Mistake(lambda p: _half_width(p, quantile=1.959964),
                        "You used 1.96, the normal quantile. With so few replications the "
                        "interval uses the t distribution with n - 1 degrees of freedom, as "
                        "`experiments.compare` does."),
                Mistake(lambda p: _half_width(p, quantile=1.0),
                        "That is the standard error of the mean difference (s / √n); the "
                        "half-width multiplies it by the t quantile."),
                Mistake(lambda p: float(_differences(p).std(ddof=1)),
                        "That is the standard deviation of the paired differences; the "
                        "half-width is t × s / √n."),
                Mistake(lambda p: float(_differences(p).mean()) + _half_width(p),
                        "That is the upper end of the interval (`high`); the half-width is "
                        "`high` minus `difference`."),
            ),
            praise=("Is the difference significant? It is when the interval excludes zero "
                    "(the table's `significant` column)."),
        ),
        ChoiceQuestion(
            id="q3",
            text="How many paired replications halve the standard error of three?",
            options={"a": "6", "b": "9", "c": "12", "d": "30"},
            answer="c",
            why={
                "a": ("Twice the replications divide the standard error s / √n by √2 only, "
                      "not by 2."),
                "b": "Three times the replications divide s / √n by √3, not by 2.",
                "d": ("That is more than needed: the standard error falls as 1/√n; work out "
                      "which n makes √(n / 3) equal 2."),
            },
            praise=("Four times the replications for half the standard error: the 1/√n law. "
                    "Common random numbers narrow it further for free."),
        ),
        ChoiceQuestion(
            id="q4",
            text="focus_and_grow: behind transactional on profit after one year, ahead after "
                 "two, far ahead on customer equity. Which reading fits?",
            options={
                "a": ("Profit is the only KPI that counts: customer equity is a guess, so the "
                      "first year's verdict stands."),
                "b": ("Customer equity values the customers the firm still has; spending on "
                      "serving and growing them lowers profit first and shows in customer "
                      "equity before it shows in profit."),
                "c": ("The transactional firm is the better one: it wins the first year, and "
                      "later years are too uncertain to count."),
                "d": ("The difference in customer equity is luck: five replications cannot "
                      "show anything."),
            },
            answer="b",
            why={
                "a": ("In the simulation customer equity is computed from the latent truth, not "
                      "guessed; and the second year's profit turned the first year's verdict "
                      "round. A real firm estimates it, but it measures the future the profit "
                      "of one year leaves out."),
                "c": ("Judging on one year's profit favours a firm that lives off its customer "
                      "base; the notebook's cumulative profit shows what happened next."),
                "d": ("The paired interval of the difference in customer equity was far from "
                      "zero: five replications can show a difference that large."),
            },
            praise=("Report both KPIs and the horizon: the objective and the time it is "
                    "measured over go together (course section 9)."),
        ),
        CapstoneQuestion(
            id="q5",
            text="Write my_strategy(view): params.lever on in every cycle, within budget for "
                 "three years, customer equity above operational CRM's, and better than "
                 "params.preset on params.kpi on average over params.seeds.",
            points=3.0,
            praise=("Three seeds show the direction, not significance: compare on more seeds "
                    "(`n=20`, `jobs=2`) before you trust the margin."),
        ),
    ),
))

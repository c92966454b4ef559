"""Exercise 00, a first run: active customers, waits, concentration, the view, a strategy."""

from __future__ import annotations

from ..scenario import Scenario
from ..strategies import operational, transactional
from .feedback import ParamDraws, Params
from .questions import ChoiceQuestion, Mistake, NumberQuestion, StrategyQuestion
from .registry import Exercise, register
from .runs import _kpi, _scenario


# -- exercise 00: a first run ---------------------------------------------------------------------
def _params_00(draws: ParamDraws) -> dict:
    seed = draws.integer(100, 999_999)
    if seed == 42:  # 42 is the notebooks' seed: a student must not get it by chance
        seed = 43
    return {"seed": seed, "mass_spend": float(draws.integer(6_000, 20_000, 500))}


def _wait_ratio(params: Params, seed: int | None = None) -> float:
    return (_kpi(params, transactional, "mean_wait_minutes", seed=seed)
            / _kpi(params, operational, "mean_wait_minutes", seed=seed))


_SEED_HINT = ("That is the value for seed 42, the notebooks' seed: run with your own seed, "
              "`seed=params.seed`.")


def _one_year(params: Params) -> Scenario:
    return _scenario("classroom").replace(horizon_days=365)


def _verify_00_strategy(result, params: Params) -> str | None:
    tl = result.timeline
    agents = sorted(set(tl["agents"].astype(int)))
    if agents != [2]:
        return (f"Your strategy staffed {', '.join(map(str, agents))} agent(s); the task asks "
                "for 2 agents in every cycle.")
    if (tl["targeted_spend"] > 0).any():
        return ("Your strategy spends on targeted marketing; the task asks for mass marketing "
                "only.")
    if tl["crm_system"].astype(bool).any():
        return ("Your strategy runs the CRM system (`crm_system=True`); the task does not ask "
                "for it.")
    # What was actually spent, pro rata for a short last cycle.
    spent = tl["cost_mass"] * result.scenario.cycle_days / tl["days"]
    target = params.mass_spend
    if (abs(spent - target) <= 0.005 * target).all():
        return None
    if spent.max() - spent.min() > 0.005 * target:
        return ("Your mass-marketing spend changes between cycles; it should be the same every "
                "cycle.")
    ratio = float(spent.iloc[0]) / target
    if abs(ratio * 30 - 1) < 0.05:
        return ("Your spend looks like a daily amount: `Actions.mass_spend` is EUR per cycle "
                "(30 days), so use `params.mass_spend` as it is.")
    if abs(ratio * 12 - 1) < 0.05 or abs(ratio / 12 - 1) < 0.05:
        return ("Your spend is off by a factor of 12: `Actions.mass_spend` is EUR per cycle "
                "(30 days), not per year; use `params.mass_spend` as it is.")
    return ("Your mass-marketing spend per cycle is not the amount asked: use "
            "`mass_spend=params.mass_spend`.")


FIRST_RUN = register(Exercise(
    name="00_first_run",
    title="A first run: reading a result and writing a strategy",
    make_params=_params_00,
    defaults={"seed": 42, "mass_spend": 10_000.0},
    questions=(
        NumberQuestion(
            id="q1",
            text="Active customers at the end of a classroom run with strategies.transactional.",
            compute=lambda p: _kpi(p, transactional, "customers_active_end"),
            abs_tol=0.5,
            near=0.03,
            near_hint=("Close, but this count should match exactly: read it from the result "
                       "(not from a plot), from the last cycle's end, with `seed=params.seed`."),
            hint=("Run `Scenario.load(\"classroom\")` with `strategies.transactional` "
                  "and `seed=params.seed`, then read the customers active at the end of the run "
                  "(`summary()` has it; so does the last row of `timeline`)."),
            mistakes=(
                Mistake(lambda p: _kpi(p, operational, "customers_active_end"),
                        "That is the result of a different strategy: this question is about "
                        "`strategies.transactional`."),
                Mistake(lambda p: _kpi(p, transactional, "customers_active_end", seed=42),
                        _SEED_HINT),
                Mistake(lambda p: _kpi(p, transactional, "customers_ever"),
                        "That counts every customer the firm ever had, including those it lost. "
                        "Count only the customers still active at the end."),
                Mistake(lambda p: _kpi(p, transactional, "customers_acquired"),
                        "That is the number of customers won during the run; the question asks "
                        "how many are active at the end."),
                Mistake(lambda p: _kpi(p, transactional, "active_start_last_cycle"),
                        "That is the count at the start of the last cycle; take it at the end."),
                Mistake(lambda p: _scenario("classroom").initial_customers,
                        "That is the number of customers on day 0, before the run."),
            ),
            praise="Compare it with the customers the firm had on day 0.",
        ),
        NumberQuestion(
            id="q2",
            text="How many times longer is the mean wait under transactional than under "
                 "operational (one decimal)?",
            compute=_wait_ratio,
            rel_tol=0.01,
            abs_tol=0.06,
            near=0.1,
            near_hint=("Close: give the ratio to one decimal place and use the mean wait of "
                       "both runs in minutes (`summary()['mean_wait_minutes']`)."),
            hint=("Run the classroom scenario twice with `seed=params.seed`, once with "
                  "`strategies.transactional` and once with `strategies.operational`, and divide "
                  "the first mean wait by the second."),
            mistakes=(
                Mistake(lambda p: 1.0 / _wait_ratio(p),
                        "You divided the other way round: how many times longer is the "
                        "transactional wait than the operational one?", rel_tol=0.1),
                Mistake(lambda p: (_kpi(p, transactional, "mean_wait_minutes")
                                   - _kpi(p, operational, "mean_wait_minutes")),
                        "That is the difference in minutes; the question asks for a ratio "
                        "(how many times longer)."),
                Mistake(lambda p: _wait_ratio(p, seed=42), _SEED_HINT),
            ),
            praise="Staffing and first-contact resolution are operational CRM's levers.",
        ),
        NumberQuestion(
            id="q3",
            text="Share of revenue brought by the top 20% of customers, transactional run "
                 "(fraction, 3 decimals).",
            compute=lambda p: _kpi(p, transactional, "top20_revenue_share"),
            abs_tol=0.0015,
            near=0.03,
            near_hint=("Close: give the fraction to three decimal places (e.g. 0.123, "
                       "not 0.12)."),
            hint=("Use the transactional run with your seed and its "
                  "`summary()['top20_revenue_share']`: the share of all revenue that the best "
                  "fifth of customers brought."),
            mistakes=(
                Mistake(lambda p: 100 * _kpi(p, transactional, "top20_revenue_share"),
                        "Give a fraction between 0 and 1, not a percentage.", rel_tol=0.01),
                Mistake(lambda p: 1 - _kpi(p, transactional, "top20_revenue_share"),
                        "That is the share of the other 80% of customers; the question asks for "
                        "the top 20%."),
                Mistake(lambda p: 0.2,
                        "0.2 is the share of customers; the question asks for their share of "
                        "revenue."),
                Mistake(lambda p: 0.8,
                        "0.8 is the folk Pareto rule, not what the simulation shows: read the "
                        "value from your run."),
                Mistake(lambda p: _kpi(p, transactional, "top20_revenue_share", seed=42),
                        _SEED_HINT),
            ),
            praise=("Compare it with the folk 80/20 rule (course section 7, loyalty and the "
                    "Pareto rule)."),
        ),
        ChoiceQuestion(
            id="q4",
            text="Which of these can a strategy see when it decides?",
            options={
                "a": "a customer's current satisfaction",
                "b": "the days since a customer's last purchase (recency)",
                "c": "a customer's true churn hazard",
                "d": "a customer's expected remaining lifetime value",
            },
            answer="b",
            why={
                "a": ("Satisfaction is latent: the engine knows it, the firm does not. It is in "
                      "`result.truth`, which strategies never see."),
                "c": ("The true hazard is latent truth (`result.truth`): a firm can only "
                      "estimate churn risk from what it records."),
                "d": ("The expected remaining value is computed from latent truth; a firm can "
                      "only predict it from its own records."),
            },
            praise=("Recency is recorded by the firm (the R of RFM); see "
                    "`sim.view.OBSERVABLE_COLUMNS`."),
        ),
        StrategyQuestion(
            id="q5",
            text="Write my_strategy(view): 2 agents and params.mass_spend of mass marketing "
                 "every cycle, nothing else.",
            points=2.0,
            scenario=_one_year,
            verify=_verify_00_strategy,
            praise="Your strategy ran for a year and did exactly what was asked.",
        ),
    ),
))

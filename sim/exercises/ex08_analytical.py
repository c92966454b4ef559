"""Exercise 08, analytical CRM: RFM and next year's value, grading a churn model, what aiming
retention offers buys per euro, and a targeting rule of one's own."""

from __future__ import annotations

import functools
from types import MappingProxyType

import numpy as np
import pandas as pd

from ..actions import Actions
from ..analytics import evaluation, rfm
from ..engine import run
from ..scenario import Scenario
from ..strategies import analytical, operational
from .feedback import ParamDraws, Params
from .questions import ChoiceQuestion, Mistake, NumberQuestion, StrategyQuestion, told_apart
from .registry import Exercise, register
from .runs import _scenario

__all__ = ["ANALYTICAL"]

#: RFM is computed from the first year of the two-year run (days 0 to CUT).
CUT = 364
#: The "batched" service queue gives the same runs as SimPy's (notebook 01), only faster.
_FAST = {"service.queue": "batched"}


# -- parameters -----------------------------------------------------------------------------------
def _params_08(draws: ParamDraws) -> dict:
    seed = draws.integer(100, 999_999)
    if seed == 42:  # 42 is the notebooks' seed: a student must not get it by chance
        seed = 43
    return {"seed": seed,
            "offer_budget": float(draws.integer(200, 600, 50)),
            "n_offers": draws.integer(60, 150, 10)}


def _seed(params: Params, seed: int | None) -> int:
    return params.seed if seed is None else seed


def _two_years() -> Scenario:
    return _scenario("classroom").replace(horizon_days=730, **_FAST)


def _one_year(params: Params | None = None) -> Scenario:
    return _scenario("classroom").replace(horizon_days=365)


# -- questions 1 and 2: the operational firm's records, two years, with churn scores -------------
@functools.lru_cache(maxsize=8)
def _scored(seed: int) -> MappingProxyType:
    """Transactions, customers and churn scores of two years of ``operational``, cached."""
    result, scores = evaluation.run_with_churn_scores(_two_years(), operational, seed=seed)
    return MappingProxyType({"result": result, "scores": scores,
                             "labelled": evaluation.label_churn(result, scores)})


@functools.lru_cache(maxsize=256)
def _rfm_share(params: Params, *, seed: int | None = None, end: float = CUT,
               active_only: bool = True, denominator: str = "segmented",
               of: str = "revenue") -> float:
    """Share of the revenue after ``CUT`` of the customers active on day ``CUT`` that the RFM
    champions (scored on days 0 to ``end``) bring; variants give the typical mistakes."""
    run_ = _scored(_seed(params, seed))
    log, customers = run_["result"].transactions, run_["result"].customers
    table = rfm.rfm_analysis(log, end)
    if active_only:
        active = customers.loc[(customers["acquired_day"] <= CUT)
                               & ~(customers["lost_day"] <= CUT), "customer_id"]
        table = table[table.index.isin(active)]
    later = log[log["day"] > CUT].groupby("customer_id")["amount"].sum()
    future = later.reindex(table.index, fill_value=0.0)
    champions = (table["segment"] == "champions").to_numpy()
    if of == "customers":
        return float(champions.mean())
    total = later.sum() if denominator == "all" else future.sum()
    return float(future[champions].sum() / total)


@functools.lru_cache(maxsize=256)
def _lift(params: Params, *, seed: int | None = None, fitted_only: bool = True,
          top: float = 0.1, metric: str = "lift") -> float:
    """Top-decile lift of the scores with a known outcome (the fitted model's only)."""
    labelled = _scored(_seed(params, seed))["labelled"]
    known = labelled[labelled["label"].notna()]
    if fitted_only:
        known = known[known["fitted"]]
    y, s = known["label"].to_numpy(dtype=int), known["score"].to_numpy(dtype=float)
    if metric == "auc":
        return evaluation.auc(y, s)
    return evaluation.lift(y, s, top)


@functools.lru_cache(maxsize=256)
def _mean_cycle_lift(params: Params) -> float:
    run_ = _scored(params.seed)
    table = evaluation.evaluate_churn_scores(run_["result"], run_["scores"])
    return float(table.loc[table["fitted"], "top_decile_lift"].mean())


# -- question 3: retention offers by risk, one year ----------------------------------------------
@functools.lru_cache(maxsize=16)
def _offers(seed: int, target: str, budget: float) -> pd.DataFrame:
    """The retention offers of one year of ``analytical(target, offer_budget=budget)``."""
    preset = analytical.configure(target=target, offer_budget=float(budget))
    result = run(_one_year().replace(**_FAST), preset, seed=seed, transactions="none")
    cp = result.campaigns
    return cp[cp["campaign"] == "retention"].reset_index(drop=True)


@functools.lru_cache(maxsize=256)
def _reached(params: Params, *, seed: int | None = None, target: str = "risk",
             budget: float | None = None, accepted_only: bool = True, per: float = 1_000.0,
             cost: str = "offers") -> float:
    """Would-be leavers who accepted an offer, per ``per`` EUR spent on the offers."""
    budget = params.offer_budget if budget is None else budget
    offers = _offers(_seed(params, seed), target, float(budget))
    hit = offers["would_have_left"].astype(bool).to_numpy()
    if accepted_only:
        hit = hit & offers["accepted"].to_numpy()
    spent = offers["cost"].sum() if cost == "offers" else budget * len(offers["day"].unique())
    return float(hit.sum() / spent * per)


@functools.lru_cache(maxsize=256)
def _waste(params: Params) -> float:
    offers = _offers(params.seed, "risk", float(params.offer_budget))
    return float(1.0 - offers["would_have_left"].astype(bool).mean())


_SEED_HINT = ("That is the value for seed 42, the notebooks' seed: run with your own seed, "
              "`seed=params.seed`.")


# -- question 5: a targeting rule with a churn tracker -------------------------------------------
def _replay(result) -> pd.DataFrame:
    """The churn scores a default ``ChurnTracker`` gave in ``result``'s run, recomputed.

    The run is replayed with the same decisions (read from the timeline and the campaign log),
    so every view, and hence every score, is the one the student's tracker saw."""
    tl = result.timeline
    cp = result.campaigns
    offers = cp[cp["campaign"] == "retention"]
    by_day = {int(day): tuple(int(i) for i in group["customer_id"])
              for day, group in offers.groupby("day")}
    plans = {int(row.start_day): Actions(mass_spend=float(row.mass_spend), agents=int(row.agents),
                                         crm_system=bool(row.crm_system),
                                         training_spend=float(row.training_spend),
                                         self_service=bool(row.self_service),
                                         email_service=bool(row.email_service),
                                         channel_integration=bool(row.channel_integration))
             for row in tl.itertuples()}

    def replay(view):
        return plans[int(view.day)].replace(retention_offers=by_day.get(int(view.day), ()))

    _, scores = evaluation.run_with_churn_scores(result.scenario, replay, seed=result.seed)
    return scores


def _verify_08_strategy(result, params: Params) -> str | None:
    tl, cp = result.timeline, result.campaigns
    if ((tl["targeted_spend"] > 0).any() or tl["loyalty"].astype(bool).any()
            or tl["collaborative"].astype(bool).any() or (tl["welcome_discount"] > 0).any()
            or (cp["campaign"] != "retention").any()):
        return ("Your strategy pulls other levers too (targeted marketing, loyalty, "
                "collaboration, cross-selling, win-back or a welcome discount): take the plan "
                "of `strategies.operational(view)` and add only `retention_offers`.")
    sent = tl["offers_sent"].astype(int)
    if (sent == 0).all():
        return ("Your strategy made no retention offers: return the plan with "
                "`retention_offers=` a list of customer ids.")
    n = params.n_offers
    if (sent != n).any():
        wrong = sorted(set(sent) - {n})
        return (f"Your strategy made {', '.join(map(str, wrong[:3]))} offers in some cycles; "
                "the task asks for `params.n_offers` offers in every cycle.")
    scores = _replay(result)
    offers = cp[["day", "customer_id"]]
    marked = offers.merge(scores[["day", "customer_id", "score"]], on=["day", "customer_id"],
                          how="left")
    if marked["score"].isna().any():
        return ("Some of your offers went to customers who were not active that day: offer "
                "only to the customers your tracker scored.")
    # Each day: the n-th highest score; an offer at or above it is one of the n highest (ties
    # at the cut may go either way).
    cut = scores.groupby("day")["score"].apply(lambda s: np.sort(s.to_numpy())[-n])
    top = marked["score"].to_numpy() >= cut.reindex(marked["day"]).to_numpy() - 1e-12
    if top.mean() >= 0.99:
        return None
    rank = scores.groupby("day")["score"].rank(pct=True)
    pct = offers.merge(scores.assign(pct=rank)[["day", "customer_id", "pct"]],
                       on=["day", "customer_id"], how="left")["pct"]
    if pct.median() < 0.5:
        return ("Your offers go to customers with *low* churn scores: take the highest "
                "(`scores.nlargest(params.n_offers)`, or sort in descending order).")
    return ("Your offers do not go to the customers with the highest churn scores of a "
            "default `ChurnTracker()`: create the tracker once, outside the function, call "
            "`tracker.update(view)` exactly once per cycle, and offer to the `params.n_offers` "
            "highest scores it returns.")


# -- the exercise ---------------------------------------------------------------------------------
ANALYTICAL = register(Exercise(
    name="08_analytical",
    title="Analytical CRM: RFM, grading a churn model, aiming retention offers",
    make_params=_params_08,
    defaults={"seed": 42, "offer_budget": 300.0, "n_offers": 100},
    questions=(
        NumberQuestion(
            id="q1",
            text="Two-year operational run: share of the revenue after day 364 (customers "
                 "active on day 364) brought by the RFM champions of day 364 (fraction, 3 "
                 "decimals).",
            compute=_rfm_share,
            abs_tol=0.0015,
            near=0.03,
            near_hint=("Close: give the fraction to three decimal places, and check that you "
                       "kept exactly the customers active on day 364."),
            hint=("Run `evaluation.run_with_churn_scores` on the classroom scenario for 730 "
                  "days with `strategies.operational` and your seed. Score RFM with "
                  "`rfm.rfm_analysis(result.transactions, 364)`, keep the customers active on "
                  "day 364, sum each one's revenue after day 364, and divide the champions' sum "
                  "by the sum over all of them."),
            mistakes=told_apart(
                _rfm_share, 0.0015, 0.001,
                Mistake(lambda p: 100 * _rfm_share(p),
                        "Give a fraction between 0 and 1, not a percentage.", rel_tol=0.01),
                Mistake(lambda p: _rfm_share(p, end=729),
                        "Your RFM scores use the whole log: score customers on days 0 to 364 "
                        "only (`observation_end=364`), then judge them on what came after. A "
                        "score computed on the future it predicts proves nothing."),
                Mistake(lambda p: _rfm_share(p, denominator="all"),
                        "Your total includes customers who joined after day 364 and have no RFM "
                        "segment: divide by the revenue of the customers you scored."),
                Mistake(lambda p: _rfm_share(p, of="customers"),
                        "That is the champions' share of the *customers*; the question asks for "
                        "their share of the revenue after day 364."),
                Mistake(lambda p: _rfm_share(p, seed=42), _SEED_HINT),
            ),
            praise="Compare it with the champions' share of the customers.",
        ),
        NumberQuestion(
            id="q2",
            text="Same run: top-decile lift of the churn scores, pooled over every score the "
                 "fitted model gave with a known outcome (2 decimals).",
            compute=_lift,
            abs_tol=0.006,
            near=0.05,
            near_hint=("Close: give the lift to two decimal places, pooled over all fitted "
                       "scores with a known label."),
            hint=("Label the scores with `evaluation.label_churn(result, scores)`, keep the "
                  "rows with `fitted` True and a known `label`, and compute "
                  "`evaluation.lift(labels, scores, 0.1)` on them all at once."),
            mistakes=told_apart(
                _lift, 0.006, 0.01,
                Mistake(lambda p: _lift(p, fitted_only=False),
                        "You kept the scores of cycle 0 too, when the tracker had no model yet "
                        "and gave a heuristic rank: keep only the rows with `fitted` True."),
                Mistake(lambda p: _lift(p, metric="auc"),
                        "That is the AUC; the question asks for the top-decile lift "
                        "(`evaluation.lift(..., 0.1)`)."),
                Mistake(_mean_cycle_lift,
                        "That is the mean of the cycles' lifts from `evaluate_churn_scores`; "
                        "the question pools all fitted scores and computes one lift."),
                Mistake(lambda p: _lift(p, top=0.2),
                        "That is the lift of the top 20%; the question asks for the top decile "
                        "(10%)."),
                Mistake(lambda p: _lift(p, seed=42), _SEED_HINT),
            ),
            praise="1 would be a random list: how many times the average rate does the top "
                   "decile leave at?",
        ),
        NumberQuestion(
            id="q3",
            text="One year of analytical(target='risk', offer_budget=params.offer_budget): "
                 "would-be leavers reached per EUR 1,000 spent on offers (2 decimals).",
            compute=_reached,
            abs_tol=0.006,
            near=0.05,
            near_hint=("Close: give the number to two decimal places; count accepted offers to "
                       "customers who would have left, and divide by the cost of all offers."),
            hint=("Run the classroom scenario for 365 days with "
                  "`strategies.analytical.configure(target=\"risk\", "
                  "offer_budget=params.offer_budget)` and your seed. Among the retention rows "
                  "of `result.campaigns`, count those `accepted` and `would_have_left`, divide "
                  "by the sum of `cost` of all retention offers, and multiply by 1,000."),
            mistakes=told_apart(
                _reached, 0.006, 0.01,
                Mistake(lambda p: _reached(p, target="random"),
                        "That is the random campaign; the question asks about offers aimed by "
                        "churn risk (`target=\"risk\"`)."),
                Mistake(lambda p: _reached(p, accepted_only=False),
                        "You counted every offer to a would-be leaver; count only the accepted "
                        "ones (an offer turned down keeps nobody)."),
                Mistake(lambda p: _reached(p, per=1.0),
                        "That is per euro; the question asks per EUR 1,000.", rel_tol=0.01),
                Mistake(lambda p: _reached(p, cost="budget"),
                        "You divided by the contact budget; divide by what the offers actually "
                        "cost (`cost` of the retention rows: contacts plus the incentives "
                        "accepted)."),
                Mistake(_waste,
                        "That looks like the waste (share of offers to customers who would have "
                        "stayed); the question asks for would-be leavers reached per EUR 1,000."),
                Mistake(lambda p: _reached(p, budget=3_000.0),
                        "That is the preset's default offer budget: configure it with "
                        "`offer_budget=params.offer_budget`."),
                Mistake(lambda p: _reached(p, seed=42), _SEED_HINT),
            ),
            praise="Compare it with the random campaign of the same budget "
                   "(`target=\"random\"`).",
        ),
        ChoiceQuestion(
            id="q4",
            text="Why does the churn model's AUC stay near 0.6?",
            options={
                "a": "Because it is trained on the future it predicts, so it overfits.",
                "b": "Because leaving is partly chance (even the true hazard gives an AUC of "
                     "only about 0.75), and the records hold only traces of each customer's "
                     "own risk.",
                "c": "Because the model cannot see satisfaction; with satisfaction as a feature "
                     "it would rank perfectly.",
                "d": "Because too few retention offers were sent; more offers would make it "
                     "rank better.",
            },
            answer="b",
            why={
                "a": ("It is not: each score comes from a model fitted on older snapshots with "
                      "labels known by then, so it never sees the future it predicts."),
                "c": ("The scores already track satisfaction closely; most of the difference in "
                      "risk is the customer's own baseline hazard, and even the true hazard "
                      "leaves departures to chance."),
                "d": ("Offers change who leaves, not how well the records predict it; they even "
                      "blur the labels the model learns from."),
            },
            praise="Churn models are judged against what is knowable, not against 1.",
        ),
        StrategyQuestion(
            id="q5",
            text="Write targeted(view): strategies.operational's plan plus retention offers to "
                 "the params.n_offers active customers with the highest scores of a default "
                 "ChurnTracker, every cycle.",
            points=2.0,
            scenario=_one_year,
            verify=_verify_08_strategy,
            praise="Your rule ran for a year and aimed every offer at the top of the model's "
                   "list: measure its waste from `result.campaigns`.",
        ),
    ),
))

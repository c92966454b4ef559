"""The analytical-CRM churn model (sim.analytics.churn_model, DESIGN section 3.4).

What these tests prove:

* the feature matrix follows its stated rules exactly on tiny hand-made tables;
* the model learns a churn that truly depends on recency and complaints (synthetic data with a
  known answer, scored on held-out rows);
* the tracker labels only what the past reveals, falls back to the heuristic until it has seen
  enough churners, and starts afresh for a new run;
* a training set with one class only does not crash;
* in the real simulation, the customers the tracker ranks riskiest do leave more often within
  the next cycle than the rest.
"""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

import sim
from sim.analytics.churn_model import (
    FEATURES,
    ChurnModel,
    ChurnTracker,
    expected_value_saved,
    features,
    heuristic_score,
    observed_days,
    predicted_value,
)

COLUMNS = ["customer_id", "segment", "channel", "acquired_day", "status", "lost_day",
           "tenure_days", "purchases", "revenue", "margin", "recency_days", "frequency",
           "monetary", "complaints", "contacts", "unresolved", "mean_wait_minutes"]
NAN = float("nan")


def table(rows, segments=("a", "b", "c")) -> pd.DataFrame:
    """A customer table shaped like ``view.customers`` from rows in :data:`COLUMNS` order."""
    frame = pd.DataFrame(rows, columns=COLUMNS)
    frame["segment"] = pd.Categorical(frame["segment"], categories=list(segments))
    frame["channel"] = pd.Categorical(frame["channel"], categories=["initial", "mass"])
    frame["status"] = pd.Categorical(frame["status"], categories=["active", "lost"])
    return frame


def tiny() -> pd.DataFrame:
    """Four customers seen on day 100: a day-0 customer (acquired 50 days before the records
    start), a never-buyer who never called, a lost customer and a newcomer."""
    return table([
        # id seg  chan       acq  status    lost  ten  n  rev    marg rec  f  mon   c  k  u  wait
        (0, "a", "initial", -50, "active", NAN, 150, 4, 200.0, 60.0, 10, 3, 50.0, 1, 2, 1, 3.0),
        (1, "b", "mass", 40, "active", NAN, 60, 0, 0.0, 0.0, NAN, 0, NAN, 0, 0, 0, NAN),
        (2, "a", "mass", 20, "lost", 70.0, 50, 2, 80.0, 20.0, 30, 1, 40.0, 3, 3, 2, 20.0),
        (3, "a", "mass", 90, "active", NAN, 10, 1, 30.0, 9.0, 5, 0, 30.0, 0, 1, 0, 0.0),
    ])


# (a) features ---------------------------------------------------------------------------------

def test_features_follow_their_rules_exactly():
    X = features(tiny())
    # Observed days: 150 - 50 before the records for customer 0, the tenure for the others.
    # Pooled gap G = (100 + 60 + 10) days / (4 + 0 + 1) purchases = 34 days.
    expected = pd.DataFrame({
        "recency_days": [10.0, 60.0, 5.0],            # the never-buyer: 60 observed days
        "recency_ratio": [10 * 5 / (100 + 34), 60 * 1 / (60 + 34), 5 * 2 / (10 + 34)],
        "never_bought": [0.0, 1.0, 0.0],
        "frequency": [3.0, 0.0, 0.0],
        "monetary": [50.0, 0.0, 30.0],
        "tenure_days": [150.0, 60.0, 10.0],
        "complaints": [1.0, 0.0, 0.0],
        "contacts": [2.0, 0.0, 1.0],
        "unresolved": [1.0, 0.0, 0.0],
        "mean_wait_minutes": [3.0, 0.0, 0.0],         # answered at once and never called...
        "no_contact": [0.0, 1.0, 0.0],                # ...told apart by the indicator
        "segment=a": [1.0, 0.0, 1.0],
        "segment=b": [0.0, 1.0, 0.0],
        "segment=c": [0.0, 0.0, 0.0],                 # nobody active, the column stays
    }, index=pd.Index([0, 1, 3], name="customer_id"))
    pd.testing.assert_frame_equal(X, expected)
    assert not X.isna().any().any()
    assert list(X.columns[:11]) == [f for f in FEATURES if f in X.columns]


def test_features_use_the_optional_columns_present_and_only_active_rows():
    customers = tiny().assign(products=[2, 1, 1, 3], loyalty_member=[True, False, True, False])
    X = features(customers)
    assert list(X.index) == [0, 1, 3]                    # the lost customer 2 is not scored
    assert X["products"].tolist() == [2.0, 1.0, 3.0]
    assert X["loyalty_member"].tolist() == [1.0, 0.0, 0.0]
    assert "offers_received" not in X.columns and "lives" not in X.columns
    assert all(dtype == np.float64 for dtype in X.dtypes)
    # With nobody active the matrix is empty but keeps its columns.
    empty = features(tiny().assign(status=pd.Categorical(["lost"] * 4,
                                                         categories=["active", "lost"])))
    assert empty.empty and "recency_ratio" in empty.columns


def test_heuristic_ranks_new_and_silent_customers_first():
    # Tenure 150, 60, 10 days: newness ranks 1/3, 2/3, 1. Recency 10, 60, 5 days: silence
    # ranks 2/3, 1, 1/3. The score is their mean.
    score = heuristic_score(features(tiny()))
    assert score.tolist() == pytest.approx([0.5, 5 / 6, 2 / 3])
    assert heuristic_score(pd.DataFrame(index=[4, 5])).tolist() == [0.5, 0.5]


def test_observed_days_subtract_the_time_before_the_records():
    assert observed_days(tiny()).tolist() == [100.0, 60.0, 50.0, 10.0]


def test_predicted_value_formula():
    customers = pd.concat([tiny(), table([
        (4, "a", "mass", 100, "active", NAN, 0, 0, 0.0, 0.0, NAN, 0, NAN, 0, 0, 0, NAN)])],
        ignore_index=True)
    value = predicted_value(customers, horizon_days=365, annual_discount_rate=0.0)
    # Segment a: 1 loss in 100 + 50 + 10 + 0 observed days; b: no loss, so no churn at all.
    h = 1 / 160
    days_a = (1 - math.exp(-h * 365)) / h
    assert value.index.tolist() == [0, 1, 3, 4]
    assert value[0] == pytest.approx(60 / 100 * days_a)
    assert value[1] == 0.0                                  # margin 0 EUR so far
    assert value[3] == pytest.approx(9 / 10 * days_a)
    assert value[4] == pytest.approx((60 + 9) / (100 + 10) * days_a)  # segment's pooled rate
    # Discounting alone (segment b has no churn): 10 % a year over one year.
    paid = customers.assign(margin=[60.0, 30.0, 20.0, 9.0, 0.0])
    delta = math.log(1.1) / 365
    assert predicted_value(paid, 365, 0.10)[1] == pytest.approx(
        0.5 * (1 - math.exp(-delta * 365)) / delta)


def test_expected_value_saved():
    scores = pd.Series([0.1, 0.5], index=[7, 3])
    value = pd.Series([20.0, 200.0], index=[3, 7])          # aligned on the index
    gain = expected_value_saved(scores, value, offer_cost=2.0, save_rate=0.3)
    assert gain.index.tolist() == [7, 3]
    assert gain.tolist() == pytest.approx([0.1 * 0.3 * 200 - 2, 0.5 * 0.3 * 20 - 2])
    assert expected_value_saved([0.2], [100.0], 5.0, 0.5) == pytest.approx([5.0])
    with pytest.raises(ValueError, match="save_rate"):
        expected_value_saved(scores, value, 2.0, 1.5)


# (b) the model learns a known churn pattern ---------------------------------------------------

def synthetic(n: int, rng: np.random.Generator, day: float = 400.0):
    """Active customers whose chance of leaving within a cycle rises with their recency and
    their complaints only: logit P = -2.6 + 0.025 (recency - 40) + 0.6 complaints."""
    tenure = rng.uniform(30, 900, n)
    seen = np.minimum(tenure, day)
    purchases = rng.poisson(seen / 40)
    bought = purchases > 0
    recency = np.where(bought, np.minimum(rng.exponential(40, n), seen), NAN)
    monetary = np.where(bought, rng.lognormal(3.5, 0.5, n), NAN)
    complaints = rng.poisson(0.6, n)
    contacts = complaints + rng.poisson(0.2, n)
    wait = np.where(contacts > 0, rng.gamma(2.0, 3.0, n), NAN)
    customers = pd.DataFrame({
        "customer_id": np.arange(n),
        "segment": pd.Categorical(rng.choice(["a", "b"], n), categories=["a", "b"]),
        "channel": pd.Categorical(["mass"] * n, categories=["mass"]),
        "acquired_day": day - tenure, "status": pd.Categorical(["active"] * n),
        "lost_day": NAN, "tenure_days": tenure, "purchases": purchases,
        "revenue": np.nan_to_num(monetary) * purchases,
        "margin": 0.25 * np.nan_to_num(monetary) * purchases,
        "recency_days": recency, "frequency": np.maximum(purchases - 1, 0),
        "monetary": monetary, "complaints": complaints, "contacts": contacts,
        "unresolved": rng.binomial(complaints, 0.3), "mean_wait_minutes": wait,
    })
    logit = -2.6 + 0.025 * (np.where(bought, recency, seen) - 40) + 0.6 * complaints
    lost = rng.random(n) < 1 / (1 + np.exp(-logit))
    return customers, lost.astype(int), logit


@pytest.mark.parametrize("kind", ["logistic", "gbm"])
def test_model_learns_churn_from_recency_and_complaints(kind):
    rng = np.random.default_rng(2024)
    customers, y, logit = synthetic(8_000, rng)
    X = features(customers)
    train, test = slice(0, 4_000), slice(4_000, None)
    model = ChurnModel(kind, random_state=0).fit(X.iloc[train], y[train])
    assert model.fitted
    p = model.predict_proba(X.iloc[test])
    assert p.index.equals(X.index[test]) and p.between(0, 1).all()
    auc = roc_auc_score(y[test], p)
    oracle = roc_auc_score(y[test], logit[test])              # the true logit: the ceiling
    random_auc = roc_auc_score(y[test], rng.random(4_000))
    # About 13 % churn gives ~530 churners among the 4,000 held-out rows; the standard error of
    # an AUC near 0.77 with that many positives is about 0.015 (Hanley & McNeil 1982), so a
    # model that learnt the pattern sits far above 0.65 (it reaches ~0.77) and a random score
    # within a few hundredths of 0.5. The true logit itself reaches ~0.775 (the ceiling, as
    # churn is a coin toss given it): the model must come within 0.05 of it.
    assert 0.08 < y[test].mean() < 0.16
    assert auc > 0.65 and auc > oracle - 0.05, (auc, oracle)
    assert auc > random_auc + 0.1, (auc, random_auc)
    # Deterministic: the same data gives the same model.
    again = ChurnModel(kind, random_state=0).fit(X.iloc[train], y[train])
    pd.testing.assert_series_equal(again.predict_proba(X.iloc[test]), p)


def test_logistic_coefficients_point_the_right_way():
    customers, y, _ = synthetic(8_000, np.random.default_rng(7))
    model = ChurnModel().fit(features(customers), y)
    coef = dict(zip(model.columns, model.pipeline[-1].coef_[0], strict=True))
    assert coef["complaints"] > 0.2 and coef["recency_days"] > 0.2


# (c) the tracker over cycles ------------------------------------------------------------------

class World:
    """A small synthetic firm seen every 30 days: customers leave at exponential times whose
    rate grows with their complaints, and buy as a Poisson process until they leave."""

    def __init__(self, n: int = 800, seed: int = 3, hazard: float = 0.0006):
        rng = np.random.default_rng(seed)
        self.n = n
        self.acquired = -rng.integers(1, 400, n).astype(float)
        self.segment = rng.choice(["a", "b"], n)
        self.complaints = rng.poisson(0.8, n)
        daily_hazard = hazard * np.exp(0.9 * self.complaints)
        with np.errstate(divide="ignore"):              # no hazard: never leaves (inf)
            self.loss = rng.exponential(1.0, n) / daily_hazard
        buy_rate = rng.gamma(2.0, 1 / 60, n)
        self.buys = [np.cumsum(rng.exponential(1 / r, 40)) for r in buy_rate]

    def view(self, cycle: int, day: float | None = None):
        day = 30.0 * cycle if day is None else day
        lost = self.loss <= day
        until = np.where(lost, self.loss, day)
        purchases = np.array([np.searchsorted(b, u, side="right") for b, u in
                              zip(self.buys, until, strict=True)])
        last = np.array([b[k - 1] if k else NAN for b, k in zip(self.buys, purchases,
                                                                  strict=True)])
        customers = pd.DataFrame({
            "customer_id": np.arange(self.n),
            "segment": pd.Categorical(self.segment, categories=["a", "b"]),
            "channel": pd.Categorical(["initial"] * self.n),
            "acquired_day": self.acquired,
            "status": pd.Categorical(np.where(lost, "lost", "active"),
                                     categories=["active", "lost"]),
            "lost_day": np.where(lost, np.floor(self.loss), NAN),
            "tenure_days": until - self.acquired, "purchases": purchases,
            "revenue": 40.0 * purchases, "margin": 10.0 * purchases,
            "recency_days": day - last, "frequency": np.maximum(purchases - 1, 0),
            "monetary": np.where(purchases > 0, 40.0, NAN), "complaints": self.complaints,
            "contacts": self.complaints, "unresolved": 0 * self.complaints,
            "mean_wait_minutes": np.where(self.complaints > 0, 2.0, NAN),
        })
        return SimpleNamespace(day=day, cycle=cycle, cycle_days=30, customers=customers)


def test_tracker_falls_back_until_enough_churners_then_fits():
    world = World()
    tracker = ChurnTracker(min_events=60)
    fitted, events = [], []
    for cycle in range(8):
        view = world.view(cycle)
        scores = tracker.update(view)
        active = view.customers.loc[view.customers["status"] == "active", "customer_id"]
        assert list(scores.index) == active.tolist()
        assert scores.between(0, 1).all() and not scores.isna().any()
        if not tracker.fitted:
            pd.testing.assert_series_equal(scores, heuristic_score(features(view.customers)))
        fitted.append(tracker.fitted)
        events.append(tracker.n_events)
    # Cycle 0 has nothing labelled; cycle 1 has one labelled cycle with too few churners (~50);
    # the window (3 cycles) then holds enough.
    assert fitted[0] is False and events[0] == 0
    assert fitted[1] is False and 0 < events[1] < 60, events
    assert all(f == (e >= 60) for f, e in zip(fitted, events, strict=True))
    assert fitted[-1] is True, (fitted, events)
    # Once fitted the scores are probabilities near the observed churn rate per cycle.
    assert 0.005 < scores.mean() < 0.2


def test_tracker_labels_only_losses_within_the_cycle():
    base = tiny().iloc[[0, 1, 3]].assign(status=pd.Categorical(["active"] * 3,
                                                               categories=["active", "lost"]))
    later = base.copy()
    later.loc[later["customer_id"] == 1, ["status", "lost_day"]] = ["lost", 12.0]
    later.loc[later["customer_id"] == 3, ["status", "lost_day"]] = ["lost", 30.0]
    tracker = ChurnTracker(min_events=1)
    tracker.update(SimpleNamespace(day=0, cycle=0, cycle_days=30, customers=base))
    tracker.update(SimpleNamespace(day=30, cycle=1, cycle_days=30, customers=later))
    # Customer 1 left on day 12: a churner of the cycle. Customer 3's loss was recorded on
    # day 30, when the next view was taken: it belongs to the next cycle.
    assert (tracker.n_train, tracker.n_events) == (3, 1)
    assert tracker.fitted


def test_tracker_resets_for_a_new_run():
    world = World()
    tracker = ChurnTracker(min_events=40)
    first = [tracker.update(world.view(c)) for c in range(8)]
    assert tracker.fitted
    # A new run (cycle 0 again) forgets everything and repeats the same scores.
    again = [tracker.update(world.view(c)) for c in range(8)]
    for a, b in zip(first, again, strict=True):
        pd.testing.assert_series_equal(a, b)
    # A day not later than the last one also means a new run, whatever the cycle says.
    tracker.update(world.view(5, day=60.0))
    assert tracker.fitted is False and tracker.n_train == 0


# (d) one class only ---------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["logistic", "gbm"])
@pytest.mark.parametrize("label", [0, 1])
def test_single_class_training_does_not_crash(kind, label):
    X = features(tiny())
    model = ChurnModel(kind).fit(X, np.full(len(X), label))
    assert model.fitted is False and model.base_rate == label
    p = model.predict_proba(X)
    pd.testing.assert_series_equal(p, heuristic_score(X))
    assert p.between(0, 1).all()


def test_tracker_without_any_churner_stays_on_the_heuristic():
    world = World(hazard=0.0)
    tracker = ChurnTracker(min_events=1)
    for cycle in range(4):
        scores = tracker.update(world.view(cycle))
        assert tracker.fitted is False and tracker.n_events == 0
        assert scores.between(0, 1).all()


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="kind"):
        ChurnModel("forest")
    with pytest.raises(ValueError, match="labels"):
        ChurnModel().fit(features(tiny()), [0, 2, 1])
    with pytest.raises(ValueError, match="window"):
        ChurnTracker(window=0)


# (e) in the real simulation -------------------------------------------------------------------

def test_tracker_ranks_real_churners_in_the_simulation():
    sc = sim.Scenario.load("classroom").replace(market_size=20_000, initial_customers=3_000,
                                                horizon_days=400)
    tracker = ChurnTracker()
    seen = []

    def strategy(view):
        scores = tracker.update(view)
        seen.append((view.day, tracker.fitted, scores))
        return sim.Actions(agents=2)

    result = sim.run(sc, strategy, seed=1)
    assert seen[0][1] is False                      # nothing to learn from at cycle 0
    lost_day = result.customers.set_index("customer_id")["lost_day"]   # the true loss instant
    top, bottom = [], []
    for day, fitted, scores in seen:
        if not fitted or day + sc.cycle_days > sc.horizon_days:
            continue                                # heuristic, or a cycle the run cut short
        churned = (lost_day.reindex(scores.index) < day + sc.cycle_days).to_numpy()
        rank = scores.rank(pct=True).to_numpy()
        top.append(churned[rank > 0.9])
        bottom.append(churned[rank <= 0.5])
    assert len(top) >= 10                           # fitted from cycle 1 to the end
    top, bottom = np.concatenate(top), np.concatenate(bottom)
    lift = top.mean() / bottom.mean()
    # The engine's hazard is latent, but it leaves observable traces: segments differ in churn,
    # the frail leave early so churn falls with tenure, and bad service (complaints, waits,
    # unresolved issues) lowers satisfaction. A model of those must rank churners above the
    # rest: lift > 1. It is ~2.4 here (1.7 to 2.75 over seeds 1 to 8). The pooled rows are not
    # independent (a customer is scored every cycle), so beside lift > 1 we ask the gap to be
    # at least 3 standard errors of a two-proportion test (7.7 here, 4.2 to 9.1 over seeds 1
    # to 8): a lift that is only chance would not pass.
    pooled = np.concatenate([top, bottom]).mean()
    se = math.sqrt(pooled * (1 - pooled) * (1 / top.size + 1 / bottom.size))
    assert lift > 1 and (top.mean() - bottom.mean()) / se > 3, (lift, top.sum(), bottom.sum())

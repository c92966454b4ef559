"""How good is a churn model? Ranking, lift and calibration, scored against what happened.

A churn score is used in two ways (DESIGN section 3.4): to *rank* customers (whom to call
first) and, once fitted, as a *probability* (is the offer worth its cost). So it is judged on
both:

* **ranking**: the area under the ROC curve (:func:`auc`, with its standard error
  :func:`auc_standard_error`), the ROC curve itself (:func:`roc_curve`), the lift of the top
  of the list (:func:`lift`) and the cumulative gains by decile (:func:`gains_table`);
* **probability**: the calibration table (:func:`calibration_table`: predicted against observed
  churn per bin) and the Brier score (:func:`brier_score`).

These metric functions take any labels and scores. The rest of the module applies them to a
simulation honestly (:func:`run_with_churn_scores`, :func:`label_churn`,
:func:`evaluate_churn_scores`): the scores are those a
:class:`~sim.analytics.churn_model.ChurnTracker` gave *during* the run, each from a model
trained only on the past, and the labels come from the run's recorded loss days afterwards.
See :func:`run_with_churn_scores` for why this, and not a reconstruction of old customer
tables, is the clean way.

Ties
----
Scores tie often (the heuristic rank before the model is fitted, a segment-only model). Every
metric here treats tied customers as indistinguishable: the AUC gives a tied churner/stayer
pair half a point; the lift of the top ``k`` counts, for a tied group cut by the ``k``-th
place, the share of its churners that a random order of the group would put above the cut
(the expected value under random tie-breaking, so no arbitrary order favours the model).

References
----------
Hanley, J. A. & McNeil, B. J. (1982). The meaning and use of the area under a receiver
operating characteristic (ROC) curve. *Radiology* 143(1), 29-36.
Fawcett, T. (2006). An introduction to ROC analysis. *Pattern Recognition Letters* 27(8),
861-874.
Brier, G. W. (1950). Verification of forecasts expressed in terms of probability. *Monthly
Weather Review* 78(1), 1-3.
Neslin, S. A., Gupta, S., Kamakura, W., Lu, J. & Mason, C. H. (2006). Defection detection:
measuring and understanding the predictive accuracy of customer churn models. *Journal of
Marketing Research* 43(2), 204-211 (top-decile lift as the churn-model yardstick).
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd

__all__ = [
    "SCORE_COLUMNS",
    "auc",
    "auc_standard_error",
    "brier_score",
    "calibration_table",
    "evaluate_churn_scores",
    "gains_table",
    "label_churn",
    "lift",
    "roc_curve",
    "run_with_churn_scores",
]


# -- validation -----------------------------------------------------------------------------------
def _labels_scores(labels, scores, name: str = "scores") -> tuple[np.ndarray, np.ndarray]:
    """Labels as a bool array and scores as a float array, checked."""
    y = np.asarray(labels)
    s = np.asarray(scores, dtype=float)
    if y.ndim != 1 or s.ndim != 1 or y.size != s.size:
        raise ValueError(f"labels (shape {y.shape}) and {name} (shape {s.shape}) must be "
                         "one-dimensional and of the same length")
    if y.dtype != bool:
        yf = np.asarray(y, dtype=float)
        bad = ~np.isin(yf, (0.0, 1.0))
        if bad.any():
            raise ValueError(f"labels must be 0/1 or True/False; got {y[bad][0]} (drop rows "
                             "with a missing label first)")
        y = yf == 1.0
    if not np.isfinite(s).all():
        raise ValueError(f"{name} must be finite numbers; got {s[~np.isfinite(s)][0]!r}")
    return y, s


def _probabilities(labels, probabilities) -> tuple[np.ndarray, np.ndarray]:
    y, p = _labels_scores(labels, probabilities, "probabilities")
    if ((p < 0) | (p > 1)).any():
        raise ValueError(f"probabilities must be in [0, 1]; got {p[(p < 0) | (p > 1)][0]!r} "
                         "(a rank or heuristic score is not a probability)")
    return y, p


# -- ranking --------------------------------------------------------------------------------------
def _average_ranks(s: np.ndarray) -> np.ndarray:
    """Ranks 1..n of ``s``, ties sharing the mean of the ranks they span."""
    order = np.argsort(s, kind="mergesort")
    ordered = s[order]
    starts = np.r_[0, np.flatnonzero(np.diff(ordered)) + 1]
    ends = np.r_[starts[1:], s.size]
    ranks = np.empty(s.size)
    ranks[order] = np.repeat((starts + 1 + ends) / 2.0, ends - starts)
    return ranks


def auc(labels, scores) -> float:
    """Area under the ROC curve: P(a random churner scores above a random stayer).

    Computed exactly by the rank-sum (Mann-Whitney) formula,
    ``AUC = (R1 - n1 (n1 + 1) / 2) / (n1 n0)``, where ``R1`` is the sum of the churners' ranks
    among all scores (ties share the mean of the ranks they span), ``n1`` the churners and
    ``n0`` the stayers. A tied churner/stayer pair counts one half. 1 is a perfect ranking,
    0.5 a random one, 0 a perfectly reversed one (Hanley & McNeil 1982).

    Parameters
    ----------
    labels : array-like of bool or {0, 1}
        1 (True) for a churner.
    scores : array-like of float
        Higher means more likely to churn (any scale: only the order matters).

    Returns
    -------
    float
        In [0, 1]; NaN when ``labels`` hold only one class (the AUC is then undefined).
    """
    y, s = _labels_scores(labels, scores)
    n1 = int(y.sum())
    n0 = y.size - n1
    if n1 == 0 or n0 == 0:
        return math.nan
    rank_sum = float(_average_ranks(s)[y].sum())
    return (rank_sum - n1 * (n1 + 1) / 2.0) / (n1 * n0)


def auc_standard_error(area: float, n_pos: int, n_neg: int) -> float:
    """Standard error of an AUC estimate (Hanley & McNeil 1982, equation 2).

    ``SE^2 = [A (1 - A) + (n1 - 1)(Q1 - A^2) + (n0 - 1)(Q2 - A^2)] / (n1 n0)`` with
    ``Q1 = A / (2 - A)`` and ``Q2 = 2 A^2 / (1 + A)``: exact under an exponential model of the
    two score distributions and a good approximation otherwise. It assumes independent rows.

    Parameters
    ----------
    area : float
        The AUC ``A``, in [0, 1].
    n_pos, n_neg : int
        Churners ``n1`` and stayers ``n0`` it was computed from.

    Returns
    -------
    float
        Standard error (same unit as the AUC); NaN if either count is zero or ``area`` is NaN.
    """
    if math.isnan(area) or n_pos <= 0 or n_neg <= 0:
        return math.nan
    if not 0.0 <= area <= 1.0:
        raise ValueError(f"area = {area}: an AUC lies in [0, 1]")
    q1 = area / (2.0 - area)
    q2 = 2.0 * area * area / (1.0 + area)
    var = (area * (1.0 - area) + (n_pos - 1) * (q1 - area * area)
           + (n_neg - 1) * (q2 - area * area)) / (n_pos * n_neg)
    return math.sqrt(max(var, 0.0))


def roc_curve(labels, scores) -> pd.DataFrame:
    """Points of the ROC curve: true- against false-positive rate at every distinct threshold.

    At threshold ``t`` every customer scoring ``>= t`` is flagged: ``tpr`` is the share of the
    churners flagged, ``fpr`` the share of the stayers flagged (Fawcett 2006). The first point
    is ``(0, 0)`` at threshold ``+inf``; each distinct score, from the highest down, adds one
    point, so a tied group is one diagonal step and the trapezoidal area under the points
    equals :func:`auc`.

    Parameters
    ----------
    labels : array-like of bool or {0, 1}
        1 (True) for a churner.
    scores : array-like of float
        Higher means more likely to churn.

    Returns
    -------
    pandas.DataFrame
        Columns ``threshold`` (score), ``fpr`` and ``tpr`` (shares, 0 to 1), one row per
        distinct score plus the origin; NaN rates for a class that is absent.
    """
    y, s = _labels_scores(labels, scores)
    order = np.argsort(-s, kind="mergesort")
    ordered, hit = s[order], y[order]
    ends = np.r_[np.flatnonzero(np.diff(ordered)) + 1, s.size]   # end of each tied group
    tp = np.cumsum(hit)[ends - 1] if s.size else np.zeros(0)
    fp = ends - tp
    n1, n0 = int(y.sum()), int(y.size - y.sum())
    with np.errstate(invalid="ignore", divide="ignore"):
        tpr = np.r_[0.0, tp] / n1 if n1 else np.full(ends.size + 1, np.nan)
        fpr = np.r_[0.0, fp] / n0 if n0 else np.full(ends.size + 1, np.nan)
    return pd.DataFrame({"threshold": np.r_[np.inf, ordered[ends - 1]], "fpr": fpr,
                         "tpr": tpr})


def _captured(y: np.ndarray, s: np.ndarray, k: np.ndarray) -> np.ndarray:
    """Expected churners among the ``k`` highest scores, ties broken at random (exact mean).

    A tied group cut by the ``k``-th place contributes its churners in proportion to the part
    of it above the cut."""
    k = np.asarray(k, dtype=np.int64)
    out = np.zeros(k.shape)
    if s.size == 0:
        return out
    order = np.argsort(-s, kind="mergesort")
    ordered, hit = s[order], y[order].astype(float)
    starts = np.r_[0, np.flatnonzero(np.diff(ordered)) + 1]
    ends = np.r_[starts[1:], s.size]
    cum = np.r_[0.0, np.cumsum(hit)]
    positive = k > 0
    g = np.searchsorted(ends, k[positive], side="left")      # the group holding place k
    size = ends[g] - starts[g]
    in_group = cum[ends[g]] - cum[starts[g]]
    out[positive] = cum[starts[g]] + (k[positive] - starts[g]) / size * in_group
    return out


def _top_count(top: float, n: int) -> int:
    """Customers in the top ``top`` share of ``n``: ceil(top n), at least 1 (a hair of slack
    keeps 0.1 x 30 = 3.0000000000000004 from becoming 4)."""
    return max(1, math.ceil(top * n - 1e-9))


def lift(labels, scores, top: float = 0.1) -> float:
    """Lift of the top of the list: churn rate among the highest scores / overall churn rate.

    ``lift(q) = (churners among the top k / k) / (n1 / n)`` with ``k = ceil(q n)`` customers
    (at least one). Top-decile lift (``q = 0.1``) is the usual yardstick of churn models
    (Neslin et al. 2006): 1 is no better than a random list, ``1 / q`` the most possible when
    churners are at least ``q`` of the customers. Ties across the cut count at their expected
    value under random tie-breaking (module notes).

    Parameters
    ----------
    labels : array-like of bool or {0, 1}
        1 (True) for a churner.
    scores : array-like of float
        Higher means more likely to churn.
    top : float
        Share of customers at the top of the list, in (0, 1].

    Returns
    -------
    float
        Dimensionless ratio, >= 0; NaN when there are no customers or no churner.
    """
    if not 0.0 < top <= 1.0:
        raise ValueError(f"top = {top}: must be a share in (0, 1]")
    y, s = _labels_scores(labels, scores)
    n, n1 = y.size, int(y.sum())
    if n == 0 or n1 == 0:
        return math.nan
    k = _top_count(top, n)
    return float(_captured(y, s, np.array([k]))[0] / k / (n1 / n))


def gains_table(labels, scores, bins: int = 10) -> pd.DataFrame:
    """Cumulative gains and lift by quantile of the score (deciles by default).

    Customers are sorted by score, highest first, and cut into ``bins`` groups at places
    ``k_j = ceil(j n / bins)`` (so bin 1 is exactly the top used by :func:`lift` with
    ``top = 1 / bins``). Ties across a cut are shared at their expected value (module notes),
    so ``events`` may be fractional there.

    Parameters
    ----------
    labels : array-like of bool or {0, 1}
        1 (True) for a churner.
    scores : array-like of float
        Higher means more likely to churn.
    bins : int
        Number of groups, >= 1.

    Returns
    -------
    pandas.DataFrame
        One row per bin (1 = highest scores), columns:

        * ``bin``; ``customers`` (count); ``events`` (churners, count);
        * ``min_score``, ``max_score``: the range of scores in the bin;
        * ``rate``: events / customers (share); ``lift``: rate / overall churn rate;
        * ``cum_customers``: share of all customers in bins 1..j;
        * ``gain``: share of all churners captured by bins 1..j (the cumulative gains curve);
        * ``cum_lift``: gain / cum_customers.

        Rates are NaN for an empty bin (fewer customers than bins) and lifts and gains NaN
        without any churner.
    """
    if int(bins) != bins or bins < 1:
        raise ValueError(f"bins = {bins}: must be a whole number >= 1")
    bins = int(bins)
    y, s = _labels_scores(labels, scores)
    n, n1 = y.size, int(y.sum())
    j = np.arange(bins + 1)
    k = -(-j * n // bins)                      # ceil(j n / bins) in exact integer arithmetic
    caught = _captured(y, s, k)
    customers = np.diff(k)
    events = np.diff(caught)
    ordered = np.sort(s)[::-1]
    cuts = list(itertools.pairwise(int(v) for v in k))
    lo = [float(ordered[b - 1]) if b > a else math.nan for a, b in cuts]
    hi = [float(ordered[a]) if b > a else math.nan for a, b in cuts]
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = np.where(customers > 0, events / np.maximum(customers, 1), np.nan)
        base = n1 / n if n else math.nan
        cum_customers = k[1:] / n if n else np.full(bins, np.nan)
        gain = caught[1:] / n1 if n1 else np.full(bins, np.nan)
        out = pd.DataFrame({
            "bin": j[1:], "customers": customers, "events": events,
            "min_score": lo, "max_score": hi, "rate": rate,
            "lift": rate / base if n1 else np.nan,
            "cum_customers": cum_customers, "gain": gain,
            "cum_lift": gain / cum_customers if n1 else np.nan,
        })
    return out


# -- probabilities --------------------------------------------------------------------------------
def brier_score(labels, probabilities) -> float:
    """Mean squared error of probability forecasts: ``mean((p - y)^2)`` (Brier 1950).

    0 is perfect; always predicting the base rate ``r`` scores ``r (1 - r)``, the benchmark a
    useful model must beat.

    Parameters
    ----------
    labels : array-like of bool or {0, 1}
        1 (True) for a churner.
    probabilities : array-like of float
        Predicted P(churn), in [0, 1].

    Returns
    -------
    float
        In [0, 1] (squared probability); NaN for no rows.
    """
    y, p = _probabilities(labels, probabilities)
    return float(np.mean((p - y) ** 2)) if y.size else math.nan


def calibration_table(labels, probabilities, bins: int = 10,
                      strategy: str = "uniform") -> pd.DataFrame:
    """Predicted against observed churn, bin by bin (a reliability diagram's data).

    A calibrated model's customers predicted at ``p`` churn at rate ``p``: in each bin the
    mean prediction should match the observed rate within sampling error
    (``observed_se = sqrt(rate (1 - rate) / n)``, the binomial standard error).

    Parameters
    ----------
    labels : array-like of bool or {0, 1}
        1 (True) for a churner.
    probabilities : array-like of float
        Predicted P(churn), in [0, 1].
    bins : int
        Number of bins, >= 1.
    strategy : {"uniform", "quantile"}
        ``"uniform"``: equal-width bins ``[i / bins, (i + 1) / bins)`` of the probability (the
        last one closed), bin ``floor(p bins)``. ``"quantile"``: equal-count groups of the
        customers sorted by prediction, cut at places ``ceil(j n / bins)`` (better when the
        predictions crowd near a small churn rate, as churn models' do).

    Returns
    -------
    pandas.DataFrame
        One row per non-empty bin: ``bin`` (0-based), ``lower`` and ``upper`` (probability
        range: the bin's edges for "uniform", its smallest and largest prediction for
        "quantile"), ``n`` (customers), ``events`` (churners), ``mean_predicted``,
        ``observed_rate`` and ``observed_se`` (shares).
    """
    if int(bins) != bins or bins < 1:
        raise ValueError(f"bins = {bins}: must be a whole number >= 1")
    if strategy not in ("uniform", "quantile"):
        raise ValueError(f"strategy = {strategy!r}: must be 'uniform' or 'quantile'")
    bins = int(bins)
    y, p = _probabilities(labels, probabilities)
    if strategy == "uniform":
        which = np.minimum(np.floor(p * bins).astype(np.int64), bins - 1)
    else:
        order = np.argsort(p, kind="mergesort")
        k = -(-np.arange(bins + 1) * y.size // bins)
        which = np.empty(y.size, dtype=np.int64)
        which[order] = np.repeat(np.arange(bins), np.diff(k))
    frame = pd.DataFrame({"bin": which, "y": y.astype(float), "p": p})
    grouped = frame.groupby("bin", sort=True)
    out = pd.DataFrame({
        "n": grouped.size(), "events": grouped["y"].sum(),
        "mean_predicted": grouped["p"].mean(), "observed_rate": grouped["y"].mean(),
    })
    if strategy == "uniform":
        out.insert(0, "lower", out.index.to_numpy() / bins)
        out.insert(1, "upper", (out.index.to_numpy() + 1) / bins)
    else:
        out.insert(0, "lower", grouped["p"].min())
        out.insert(1, "upper", grouped["p"].max())
    rate = out["observed_rate"].to_numpy()
    out["observed_se"] = np.sqrt(rate * (1.0 - rate) / out["n"].to_numpy())
    out["n"] = out["n"].astype(np.int64)
    return out.reset_index()


# -- honest evaluation on a run -------------------------------------------------------------------
#: Columns of the scores table of :func:`run_with_churn_scores`.
SCORE_COLUMNS = ("day", "cycle", "customer_id", "score", "fitted")


def run_with_churn_scores(scenario, strategy, *, seed: int | None = None,
                          kind: str = "logistic", **tracker_options):
    """Run ``strategy`` and record, each cycle, the churn scores a firm would have had.

    A :class:`~sim.analytics.churn_model.ChurnTracker` rides along: at the start of every
    cycle it is updated with the firm's view, exactly as a strategy would (it labels older
    snapshots with the losses recorded since, refits, and scores today's active customers), and
    its scores are kept. The strategy itself decides as usual, so the run is the run of
    ``strategy`` (the tracker draws no random number of the engine).

    Why this and not a model evaluated afterwards on rebuilt tables: every score recorded on
    day ``d`` comes from a model trained only on snapshots taken before ``d`` and labelled with
    losses recorded before ``d`` (the tracker's rule), so judging it on what happened from
    ``d`` on is an out-of-sample test, the one that counts for a firm. Rebuilding the customer
    table of a past day from the result is not faithful: the result keeps the *final* state of
    products, offers received, loyalty membership, lives and margin, not their history.

    Parameters
    ----------
    scenario : Scenario
        The market.
    strategy : callable
        ``strategy(view) -> Actions`` (a preset or a function). A preset gets its fresh
        per-run memory as in :func:`sim.run`. The view always builds its customer table (the
        tracker reads it), whatever ``reads_customers`` says.
    seed : int, optional
        As in :func:`sim.run`.
    kind : {"logistic", "gbm"}
        The tracker's classifier.
    **tracker_options
        Passed to :class:`~sim.analytics.churn_model.ChurnTracker` (``window``,
        ``min_events``, ``random_state``, ``max_rows``).

    Returns
    -------
    result : Result
        The run (``result.strategy`` is the strategy's own name).
    scores : pandas.DataFrame
        One row per active customer per cycle: ``day`` (the cycle's first day), ``cycle``,
        ``customer_id``, ``score`` (P(lost within one cycle) when ``fitted``, else the
        heuristic rank, which is not a probability) and ``fitted`` (bool).
    """
    from ..engine import run
    from ..view import strategy_name
    from .churn_model import ChurnTracker

    tracker = ChurnTracker(kind, **tracker_options)
    start = getattr(strategy, "for_run", None)
    inner = start() if callable(start) else strategy
    chunks: list[pd.DataFrame] = []

    def scored(view):
        scores = tracker.update(view)
        chunks.append(pd.DataFrame({
            "day": np.full(scores.size, int(view.day), dtype=np.int64),
            "cycle": np.full(scores.size, int(view.cycle), dtype=np.int64),
            "customer_id": scores.index.to_numpy(dtype=np.int64),
            "score": scores.to_numpy(dtype=float),
            "fitted": np.full(scores.size, bool(tracker.fitted)),
        }))
        return inner(view)

    scored.name = strategy_name(inner)
    result = run(scenario, scored, seed=seed)
    if chunks:
        scores = pd.concat(chunks, ignore_index=True)
    else:
        scores = pd.DataFrame({c: pd.Series(dtype=t) for c, t in zip(
            SCORE_COLUMNS, ("int64", "int64", "int64", "float64", "bool"), strict=True)})
    return result, scores


def label_churn(result, scores: pd.DataFrame, horizon_days: float | None = None) -> pd.DataFrame:
    """The truth for each score: was the customer lost within ``horizon_days`` of its day?

    For a customer scored (so active) on day ``d``, ``label = 1`` if the run records a loss in
    ``[d, d + H)``, else 0, where ``H = horizon_days`` (default: the scenario's cycle, the
    horizon the tracker predicts). Only what the run recorded is used:

    * ``result.customers.lost_day``, the instant of the customer's last loss (comparing the
      recorded whole day, ``floor(lost_day) < d + H``, is the same for a whole ``d + H``);
    * accepted win-backs in ``result.campaigns``. Winning a customer back erases their earlier
      loss day, but a win-back on day ``w`` with ``d < w <= d + H`` proves a loss inside the
      window (active on ``d``, lost before ``w``). When the first win-back after ``d`` comes
      later than ``d + H``, the loss it undid fell in ``[d, w)``, on either side of ``d + H``;
      the scores settle it: a customer scored again on a day in ``[d + H, w)`` was still
      active then, so was not lost in the window (label 0); one missing from the scores of day
      ``d + H`` had left by then (label 1), provided that day's scores cover every active
      customer (their count equals the timeline's ``active_start`` of the cycle starting that
      day, as with :func:`run_with_churn_scores`; a partial table proves nothing by absence).

    The label is unknown (``<NA>``) when the window is not fully observed: ``d + H`` after the
    end of the run (every row of that day, so that the losses seen before the end do not make
    a biased sample), or a loss undone by a later win-back that the scores cannot place.

    Parameters
    ----------
    result : Result
        The run the scores come from.
    scores : pandas.DataFrame
        With ``day`` and ``customer_id`` (as from :func:`run_with_churn_scores`).
    horizon_days : float, optional
        ``H``, days (> 0).

    Returns
    -------
    pandas.DataFrame
        ``scores`` with a column ``label`` (nullable ``Int8``: 1, 0 or ``<NA>``), same index.
    """
    horizon = float(result.scenario.cycle_days if horizon_days is None else horizon_days)
    if not horizon > 0:
        raise ValueError(f"horizon_days = {horizon_days}: must be > 0 days")
    missing = {"day", "customer_id"} - set(scores.columns)
    if missing:
        raise ValueError(f"scores lacks column(s) {sorted(missing)}; it needs day and "
                         "customer_id (see run_with_churn_scores)")
    day = scores["day"].to_numpy(dtype=float)
    ids = scores["customer_id"].to_numpy(dtype=np.int64)
    lost = (result.customers.set_index("customer_id")["lost_day"]
            .reindex(ids).to_numpy(dtype=float))
    churned = (lost >= day) & (lost < day + horizon)      # NaN (never lost) compares False

    cp = result.campaigns
    back = cp.loc[(cp["campaign"] == "winback") & cp["accepted"].astype(bool),
                  ["day", "customer_id"]]
    first_back = _next_day(ids, day, back["customer_id"].to_numpy(dtype=np.int64),
                           back["day"].to_numpy(dtype=float), strictly_after=True)
    churned |= first_back <= day + horizon
    unsure = ~churned & np.isfinite(first_back)
    if unsure.any():
        end = day[unsure] + horizon
        seen = _next_day(ids[unsure], end, ids, day, strictly_after=False)
        stayed = np.zeros(ids.size, dtype=bool)
        stayed[unsure] = seen < first_back[unsure]
        # Absent (seen >= first_back > end) from a complete snapshot of day d + H: gone.
        left = np.zeros(ids.size, dtype=bool)
        left[unsure] = ~stayed[unsure] & np.isin(end, _complete_days(result, scores))
        churned |= left
        unsure &= ~(stayed | left)
    unknown = unsure | (day + horizon > result.scenario.horizon_days)
    label = pd.array(churned.astype(np.int8), dtype="Int8")
    label[unknown] = pd.NA
    return scores.assign(label=label)


def _complete_days(result, scores: pd.DataFrame) -> np.ndarray:
    """Scoring days whose scores hold every customer active that day (per the timeline)."""
    timeline = getattr(result, "timeline", None)
    if timeline is None or not {"start_day", "active_start"} <= set(timeline.columns):
        return np.zeros(0)
    counts = scores.groupby("day").size()
    active = timeline.set_index("start_day")["active_start"]
    both = counts.index.intersection(active.index)
    full = both[counts.reindex(both).to_numpy() == active.reindex(both).to_numpy()]
    return full.to_numpy(dtype=float)


def _next_day(ids: np.ndarray, after: np.ndarray, event_ids: np.ndarray,
              event_days: np.ndarray, strictly_after: bool) -> np.ndarray:
    """For each ``(ids[i], after[i])``, the first of the events of the same customer on a day
    ``> after[i]`` (``>=`` unless ``strictly_after``); ``inf`` if none."""
    out = np.full(ids.size, np.inf)
    if not ids.size or not event_ids.size:
        return out
    left = pd.DataFrame({"row": np.arange(ids.size), "customer_id": ids, "day": after})
    right = pd.DataFrame({"customer_id": event_ids, "day": event_days, "found": event_days})
    found = pd.merge_asof(left.sort_values("day", kind="mergesort"),
                          right.sort_values("day", kind="mergesort"), on="day",
                          by="customer_id", direction="forward",
                          allow_exact_matches=not strictly_after)
    out[found["row"].to_numpy()] = found["found"].fillna(np.inf).to_numpy(dtype=float)
    return out


def evaluate_churn_scores(result, scores: pd.DataFrame,
                          horizon_days: float | None = None) -> pd.DataFrame:
    """Ranking and probability quality of the scores of each cycle, against what happened.

    Labels come from :func:`label_churn`; rows whose label is unknown are left out (counted in
    ``unlabelled``). Brier score and mean prediction are given only for cycles where the
    tracker was ``fitted`` (before that the score is a rank, not a probability).

    Parameters
    ----------
    result : Result
        The run.
    scores : pandas.DataFrame
        From :func:`run_with_churn_scores` (``day``, ``cycle``, ``customer_id``, ``score``,
        ``fitted``).
    horizon_days : float, optional
        Prediction horizon, days (default: the cycle).

    Returns
    -------
    pandas.DataFrame
        One row per scoring day: ``day``, ``cycle``, ``fitted``, ``customers`` (labelled),
        ``events`` (churners), ``churn_rate`` (share), ``auc``, ``auc_se`` (Hanley-McNeil),
        ``top_decile_lift``, ``mean_score``, ``brier`` (NaN unless fitted), ``unlabelled``.
    """
    labelled = label_churn(result, scores, horizon_days)
    rows = []
    for day, group in labelled.groupby("day", sort=True):
        known = group[group["label"].notna()]
        y = known["label"].to_numpy(dtype=np.int8)
        s = known["score"].to_numpy(dtype=float)
        fitted = bool(group["fitted"].all())
        n1 = int(y.sum())
        area = auc(y, s)
        rows.append({
            "day": int(day), "cycle": int(group["cycle"].iloc[0]), "fitted": fitted,
            "customers": int(y.size), "events": n1,
            "churn_rate": n1 / y.size if y.size else math.nan,
            "auc": area, "auc_se": auc_standard_error(area, n1, y.size - n1),
            "top_decile_lift": lift(y, s, 0.1) if y.size else math.nan,
            "mean_score": float(s.mean()) if y.size else math.nan,
            "brier": brier_score(y, s) if fitted and y.size else math.nan,
            "unlabelled": int(group["label"].isna().sum()),
        })
    return pd.DataFrame(rows, columns=["day", "cycle", "fitted", "customers", "events",
                                       "churn_rate", "auc", "auc_se", "top_decile_lift",
                                       "mean_score", "brier", "unlabelled"])

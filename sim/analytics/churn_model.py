"""Analytical CRM: who is likely to leave, learnt from the firm's own records.

Operational CRM records what happened (purchases, complaints, waits); analytical CRM asks what
the records say will happen next (SOURCE-DIGEST section 5: "predictive models of customer
behaviour", "when they leave for competitors"). Data mining is the tool: find the patterns in a
large table with little manual effort (SOURCE-DIGEST section 6). DESIGN section 3.4 asks for a
churn-risk model fit on *observable* data with scikit-learn and re-fit each CRM cycle, so that
retention offers can be targeted by risk, by value, or by expected value saved.

How the model learns without cheating
-------------------------------------
A firm cannot see who *will* churn: the latent hazard lives in the engine, never in the view
(DESIGN section 5). What it can do is look back. At every cycle :class:`ChurnTracker` keeps a
*snapshot* of the features of the customers active that day. One cycle later it knows which of
them have left since, and that answer is the label. The model is trained only on such old
snapshots with labels that are now known, then scores the customers active today. Nothing in a
training row was recorded after the day of its snapshot, so the model never sees the future it
is asked to predict. That avoids "leakage": a model fit on today's table against today's
status would learn from what happened *after* the departure (a lost customer's tenure and
purchases stop growing the day they leave) and would look excellent on paper, then fail on the
customers still active, whose future is exactly what it cannot see.

The pieces
----------
* :func:`features`: the feature matrix (RFM, tenure, service history, segment) of the active
  customers, numeric and without missing values.
* :class:`ChurnModel`: a scikit-learn pipeline (scaled logistic regression, or gradient-boosted
  trees) giving P(lost within one cycle).
* :class:`ChurnTracker`: what a strategy keeps across cycles: snapshots, labels, a rolling
  training window, the refit, and a transparent heuristic while churners are still too few.
* :func:`predicted_value` and :func:`expected_value_saved`: the value side of targeting,
  "P(churn) x value saved - offer cost" (DESIGN section 3.4).

Examples
--------
>>> tracker = ChurnTracker()                                   # doctest: +SKIP
>>> def strategy(view):                                        # doctest: +SKIP
...     risk = tracker.update(view)           # P(lost within a cycle) once fitted
...     if not tracker.fitted:                # a heuristic rank, not a probability
...         return Actions(agents=2)
...     value = predicted_value(view.customers)
...     gain = expected_value_saved(risk, value, offer_cost=15.0, save_rate=0.3)
...     targets = gain[gain > 0].index        # offer only where the expected gain is positive
...     return Actions(agents=2)
"""

from __future__ import annotations

import functools
from collections import deque

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import ThreadpoolController  # a dependency of scikit-learn itself

from .clv import continuous_clv, continuous_discount_rate
from .records import observed_days, segment_codes, segment_totals

__all__ = [
    "FEATURES",
    "ChurnModel",
    "ChurnTracker",
    "expected_value_saved",
    "features",
    "heuristic_score",
    "observed_days",
    "predicted_value",
]

#: Candidate features, in column order. :func:`features` keeps those the table can supply (the
#: optional ones only when their column exists) and expands ``"segment"`` into one 0/1 column
#: per segment, named ``"segment=<name>"``.
FEATURES = (
    # Recency, frequency, monetary: the classic RFM summary of buying behaviour.
    "recency_days",
    "recency_ratio",      # recency relative to the customer's own pace (see features())
    "never_bought",       # 1 if no purchase recorded yet (recency/monetary were missing)
    "frequency",
    "monetary",
    "tenure_days",
    # Service history: complaints and how they were handled move satisfaction and so churn.
    "complaints",
    "contacts",
    "unresolved",
    "mean_wait_minutes",
    "no_contact",         # 1 if never contacted the service centre (wait was missing)
    # CRM levers, when the view records them.
    "products",
    "offers_received",
    "loyalty_member",
    "lives",
    # Segment, one-hot.
    "segment",
)
_OPTIONAL = ("products", "offers_received", "loyalty_member", "lives")
_KINDS = ("logistic", "gbm")


def features(customers: pd.DataFrame) -> pd.DataFrame:
    """Feature matrix of the *active* customers: numeric, no missing values.

    Each missing value is filled by a stated rule (the reasons are in the comments of the
    code), and a 0/1 indicator keeps "missing" apart from a real zero where that matters.

    * ``recency_days``: days since the last purchase (days). A customer who never bought has
      been silent for as long as the firm has records of them, so their recency is
      :func:`observed_days`.
    * ``recency_ratio``: recency divided by the customer's own expected gap between purchases
      (dimensionless: "how many purchases has this silence skipped"). The customer's purchase
      rate is estimated as ``(purchases + 1) / (observed_days + G)`` per day, where ``G`` is the
      pooled mean gap of the active customers in this table (total observed days / total
      purchases, at least 1 day): one pseudo-purchase at the average pace, so a newcomer with
      no history gets the average pace instead of an infinite or zero rate.
    * ``never_bought``: 1 if no purchase is recorded, else 0.
    * ``frequency``: repeat purchases (count).
    * ``monetary``: mean revenue per purchase (EUR); 0 for a customer who never bought.
    * ``tenure_days``: days since acquisition (days).
    * ``complaints``, ``contacts``, ``unresolved``: counts.
    * ``mean_wait_minutes``: mean wait in the service queue (minutes); 0 with ``no_contact = 1``
      for a customer who never contacted the service centre.
    * ``products``, ``offers_received``, ``loyalty_member`` (0/1), ``lives`` (1 + times won
      back): when present.
    * ``segment=<name>``: 0/1 per segment (every category of the column, so the columns are
      the same from cycle to cycle even when a segment has no active customer).

    Parameters
    ----------
    customers : pandas.DataFrame
        A customer table shaped like ``view.customers``.

    Returns
    -------
    pandas.DataFrame
        One row per active customer, indexed by ``customer_id``; float columns in the order of
        :data:`FEATURES` (those available), segment columns last.
    """
    active = (customers["status"] == "active").to_numpy()
    table = customers[active]

    def column(name):
        return table[name].to_numpy(dtype=float)

    # Columns are collected as numpy arrays and framed once: assigning them one by one to a
    # DataFrame costs more than computing them (strategies call this every cycle).
    out = {}
    purchases = column("purchases")
    seen = observed_days(table).to_numpy()
    bought = purchases > 0

    # A never-buyer has been silent for the whole time the firm has records of them: that is
    # what "days since last purchase" means for them, and it keeps the order (a long silent
    # spell is a warning sign whether or not it started with a purchase). The tenure itself
    # would overstate the silence of day-0 customers, whose earlier purchases are unrecorded.
    recency = column("recency_days")
    recency = np.where(bought & np.isfinite(recency), recency, seen)
    out["recency_days"] = recency
    # Silence means more for a customer who usually buys weekly than for one who buys twice a
    # year. The pooled gap G is a shrinkage prior: one pseudo-purchase at the average pace.
    # With no purchase in the table yet, any positive G keeps the order (the longest observed
    # silence ranks first); the mean observed span is a natural scale for it.
    total = purchases.sum()
    if total > 0:
        gap = max(1.0, seen.sum() / total)
    else:
        gap = max(1.0, float(seen.mean())) if seen.size else 1.0
    out["recency_ratio"] = recency * (purchases + 1.0) / (seen + gap)
    out["never_bought"] = (~bought).astype(float)
    out["frequency"] = column("frequency")
    # Monetary is undefined without a purchase; 0 EUR per purchase is what the firm has earned
    # from them, and never_bought tells the model the 0 is "no purchase", not "cheap purchases".
    monetary = column("monetary")
    out["monetary"] = np.where(bought & np.isfinite(monetary), monetary, 0.0)
    out["tenure_days"] = column("tenure_days")
    for name in ("complaints", "contacts", "unresolved"):
        out[name] = column(name)
    # No contact means no waiting was experienced: 0 minutes is the experience; no_contact keeps
    # "never called" apart from "called and answered at once" (both would otherwise read 0).
    wait = column("mean_wait_minutes")
    contacted = np.isfinite(wait)
    out["mean_wait_minutes"] = np.where(contacted, wait, 0.0)
    out["no_contact"] = (~contacted).astype(float)
    # Optional CRM-lever columns: a missing value (none expected) counts as "none/not a member".
    for name in _OPTIONAL:
        if name in table.columns:
            values = table[name]
            if values.dtype == bool or pd.api.types.is_numeric_dtype(values.dtype):
                values = values.to_numpy(dtype=float, na_value=np.nan)
            else:
                values = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
            out[name] = np.nan_to_num(values, nan=0.0)
    codes, names = segment_codes(table)
    for code, name in enumerate(names):
        out[f"segment={name}"] = (codes == code).astype(float)
    index = pd.Index(table["customer_id"].to_numpy(), name="customer_id")
    return pd.DataFrame(out, index=index)


def heuristic_score(X: pd.DataFrame) -> pd.Series:
    """Transparent churn score for when no model can be fit yet: new and silent first.

    The score is the mean of two percentile ranks (ties share their mean rank):

    * **newness**: the shorter the tenure, the higher. Churn falls with tenure because the
      frailest customers leave first, so the ones still there after years are the steady ones
      (a regularity of real customer bases, and of this market). At cycle 0, when the records
      hold no purchase yet, it is the only signal there is.
    * **silence**: the longer the recency (days since the last purchase, or since the records
      began for a customer who never bought), the higher.

    Recency relative to the customer's own pace (``recency_ratio``) is the sharper idea where
    a firm cannot see a customer leave (in non-contractual settings a long silence is the only
    trace of a departure), but here a departure is recorded as ``status = "lost"``, so among
    the active customers an unusual silence says little (in the classroom scenario its top
    decile leaves no more often than the rest, while short tenure alone gives a lift of 1.5
    to 2). The model gets ``recency_ratio`` as a feature and learns what it is worth.

    The score orders customers, nothing more: it is **not** a probability of churn (use it to
    rank, not in :func:`expected_value_saved`).

    Parameters
    ----------
    X : pandas.DataFrame
        Output of :func:`features` (uses ``tenure_days`` and ``recency_days``).

    Returns
    -------
    pandas.Series
        Scores in (0, 1], indexed like ``X``, named ``"churn_score"``; 0.5 for everyone when
        ``X`` has neither column.
    """
    ranks = [(sign * X[name]).rank(pct=True, method="average")
             for sign, name in ((-1.0, "tenure_days"), (1.0, "recency_days"))
             if name in X.columns]
    if not ranks:
        return pd.Series(0.5, index=X.index, name="churn_score")
    return (sum(ranks) / len(ranks)).astype(float).rename("churn_score")


@functools.cache
def _controller() -> ThreadpoolController:
    """The process's thread-pool controller, made once: finding the loaded BLAS and OpenMP
    libraries reads the process's memory map, which costs more than a small fit."""
    return ThreadpoolController()


class ChurnModel:
    """P(customer lost within one CRM cycle), a scikit-learn pipeline on :func:`features`.

    ``kind="logistic"`` (default) scales the features and fits a logistic regression: each
    coefficient reads as "this feature, one standard deviation up, multiplies the odds of
    leaving by exp(coef)", which is what a course needs. ``kind="gbm"`` fits gradient-boosted
    trees (scikit-learn's ``HistGradientBoostingClassifier``), which find interactions and
    thresholds on their own. Neither reweights the classes, so the predicted probabilities stay
    on the scale of the observed churn rate and can be used as probabilities.

    A training set with a single class (no churner yet, or nobody stayed) cannot be fit: the
    model then stays unfitted (``fitted = False``) and :meth:`predict_proba` returns
    :func:`heuristic_score`.

    Parameters
    ----------
    kind : {"logistic", "gbm"}
        The classifier.
    random_state : int
        Seed for everything random in the fit (the trees' validation split), so a refit on the
        same data gives the same model.
    C : float
        Inverse L2 regularisation strength of the logistic regression (ignored for "gbm").

    Attributes
    ----------
    fitted : bool
        Whether the last :meth:`fit` produced a model.
    pipeline : sklearn.pipeline.Pipeline
        The scikit-learn pipeline (fitted when ``fitted``).
    columns : tuple of str
        Feature columns of the last fit; :meth:`predict_proba` aligns ``X`` on them.
    base_rate : float
        Share of positives (churners) in the last training set, NaN before any fit.
    """

    def __init__(self, kind: str = "logistic", *, random_state: int = 0, C: float = 1.0):
        if kind not in _KINDS:
            raise ValueError(f"kind = {kind!r}: must be one of {_KINDS}")
        self.kind = kind
        self.random_state = int(random_state)
        self.C = float(C)
        self.fitted = False
        self.columns: tuple[str, ...] = ()
        self.base_rate = float("nan")
        self.pipeline = self._make_pipeline()

    def _make_pipeline(self, minority: int = 0) -> Pipeline:
        if self.kind == "gbm":
            # Churners are a few percent of a cycle's customers: small trees, large leaves,
            # a slow learning rate and early stopping on a held-out tenth keep the trees from
            # memorising the few churners (scikit-learn's defaults overfit here). Early
            # stopping needs a stratified split, so only with enough churners to split.
            return Pipeline([("model", HistGradientBoostingClassifier(
                max_leaf_nodes=8, min_samples_leaf=50, learning_rate=0.05,
                l2_regularization=1.0, early_stopping=minority >= 20,
                random_state=self.random_state))])
        return Pipeline([
            ("scale", StandardScaler()),
            # warm_start: a refit on next cycle's (mostly the same) data starts from the last
            # coefficients and converges in a few iterations instead of a hundred.
            ("model", LogisticRegression(C=self.C, max_iter=1000, warm_start=True,
                                         random_state=self.random_state)),
        ])

    def fit(self, X: pd.DataFrame, y) -> ChurnModel:
        """Fit on features ``X`` and labels ``y`` (1 = lost within one cycle, 0 = stayed).

        Parameters
        ----------
        X : pandas.DataFrame
            Numeric features (as from :func:`features`), one row per customer-snapshot.
        y : array-like of bool or int
            Labels, one per row of ``X``.

        Returns
        -------
        ChurnModel
            ``self``; ``fitted`` tells whether a model was fit (False for one class only).
        """
        labels = np.asarray(y, dtype=int)
        if labels.shape != (len(X),):
            raise ValueError(f"{labels.size} labels for {len(X)} rows")
        if not np.isin(labels, (0, 1)).all():
            raise ValueError("labels must be 0 (stayed) or 1 (lost)")
        previous, self.columns = self.columns, tuple(X.columns)
        self.base_rate = float(labels.mean()) if labels.size else float("nan")
        counts = np.bincount(labels, minlength=2) if labels.size else np.zeros(2, dtype=int)
        # A logistic model refit on the same columns keeps its pipeline, so the fit warm-starts.
        if not (self.kind == "logistic" and self.fitted and tuple(X.columns) == previous):
            self.pipeline = self._make_pipeline(minority=int(counts.min()))
        self.fitted = bool((counts > 0).all()) and counts.size == 2
        if self.fitted:
            with self._threads():
                self.pipeline.fit(X.to_numpy(dtype=float), labels)
        return self

    def _threads(self):
        """One thread for BLAS and OpenMP during a fit or a prediction.

        The fits here are small (thousands of rows, a score of columns), so threads cost more
        in start-up and synchronisation than they save: a logistic fit takes 15 ms in one
        thread and 30 ms or more in two on this machine. And runs are parallelised by process
        (DESIGN section 10): threads competing with other busy processes for the same cores
        wait on each other at every barrier (tree fits 100 times slower were seen).
        """
        return _controller().limit(limits=1)

    def predict_proba(self, X: pd.DataFrame) -> pd.Series:
        """P(lost within one cycle) for each row of ``X`` (or the heuristic rank if unfitted).

        Parameters
        ----------
        X : pandas.DataFrame
            Features with (at least) the training columns; a missing column counts as 0,
            extra columns are ignored.

        Returns
        -------
        pandas.Series
            Values in [0, 1], indexed like ``X``, named ``"churn_score"``.
        """
        if not self.fitted:
            return heuristic_score(X)
        if len(X) == 0:
            return pd.Series(np.zeros(0), index=X.index, name="churn_score")
        aligned = X.reindex(columns=list(self.columns), fill_value=0.0).to_numpy(dtype=float)
        with self._threads():
            p = self.pipeline.predict_proba(aligned)[:, 1]
        return pd.Series(p, index=X.index, name="churn_score")


class ChurnTracker:
    """Churn scores for a strategy, learnt cycle by cycle from the firm's own past.

    Call :meth:`update` once per CRM cycle with the view. Each call

    1. labels the snapshots stored one cycle (``view.cycle_days``) or more ago: a customer of
       a snapshot taken on day ``d`` is a churner if the table now says ``lost`` with a
       ``lost_day`` before ``d + cycle_days``;
    2. keeps the last ``window`` labelled snapshots as the training set and refits the
       :class:`ChurnModel` when a new one arrived;
    3. stores today's snapshot (features of today's active customers) for the next call;
    4. scores today's active customers: the model's P(lost within one cycle) when the training
       window holds at least ``min_events`` churners (``fitted = True``), otherwise
       :func:`heuristic_score`, a rank that is not a probability (``fitted = False``).

    A run starts afresh (all snapshots dropped) when the view says ``cycle == 0`` or its day is
    not later than the last one seen, so one tracker can serve many runs in turn. It is not
    meant to be shared by runs going on at the same time.

    Parameters
    ----------
    kind : {"logistic", "gbm"}
        Classifier of the :class:`ChurnModel`.
    window : int
        Labelled snapshots (cycles) kept for training, >= 1.
    min_events : int
        Churners the window must hold before the model is trusted, >= 1.
    random_state : int
        Seed of the model and of the subsampling below.
    max_rows : int or None
        Most training rows; a larger window is subsampled uniformly at random (which keeps the
        churn rate, so the probabilities stay calibrated). Keeps refits quick in big markets.

    Attributes
    ----------
    fitted : bool
        Whether the last :meth:`update` returned model probabilities (True) or the heuristic.
    model : ChurnModel
        The current model.
    n_train, n_events : int
        Rows and churners in the current training window.
    """

    def __init__(self, kind: str = "logistic", *, window: int = 3, min_events: int = 20,
                 random_state: int = 0, max_rows: int | None = 200_000):
        if window < 1 or min_events < 1:
            raise ValueError(f"window = {window}, min_events = {min_events}: both must be >= 1")
        self.kind = kind
        self.window = int(window)
        self.min_events = int(min_events)
        self.random_state = int(random_state)
        self.max_rows = max_rows
        self.model = ChurnModel(kind, random_state=random_state)
        self.reset()

    def reset(self) -> None:
        """Forget every snapshot and the model (a new run)."""
        self.fitted = False
        self.model = ChurnModel(self.kind, random_state=self.random_state)
        self.n_train = 0
        self.n_events = 0
        self._last_day: float | None = None
        self._pending: list[tuple[float, pd.DataFrame]] = []
        self._labelled: deque[tuple[pd.DataFrame, np.ndarray]] = deque(maxlen=self.window)

    def update(self, view) -> pd.Series:
        """Learn from what happened since the last snapshots, then score today's customers.

        Parameters
        ----------
        view : sim.view.FirmView
            Today's view (uses ``day``, ``cycle``, ``cycle_days`` and ``customers``).

        Returns
        -------
        pandas.Series
            Churn score of every active customer, indexed by ``customer_id``, in [0, 1]:
            P(lost within one cycle) if ``fitted``, else the heuristic rank.
        """
        day = float(view.day)
        if view.cycle == 0 or (self._last_day is not None and day <= self._last_day):
            self.reset()
        self._last_day = day
        horizon = float(getattr(view, "cycle_days", 30))
        customers = view.customers
        if self._pending and self._label(customers, day, horizon):
            self._refit(day)
        today = features(customers)
        self._pending.append((day, today))
        if self.fitted:
            return self.model.predict_proba(today)
        return heuristic_score(today)

    def _label(self, customers: pd.DataFrame, day: float, horizon: float) -> bool:
        """Label the pending snapshots whose cycle is over; True if any was labelled."""
        lost_day = pd.Series(
            np.where(customers["status"] == "lost",
                     customers["lost_day"].to_numpy(dtype=float), np.inf),
            index=customers["customer_id"].to_numpy())
        waiting = []
        for snap_day, X in self._pending:
            if snap_day + horizon > day:
                waiting.append((snap_day, X))
                continue
            # lost_day is the recorded (whole) day; a customer lost on day snap_day + horizon or
            # later was still active at the next cycle's view, so is not a churner of this one.
            left = lost_day.reindex(X.index, fill_value=np.inf).to_numpy() < snap_day + horizon
            self._labelled.append((X, left.astype(int)))
        labelled = len(waiting) < len(self._pending)
        self._pending = waiting
        return labelled

    def _refit(self, day: float) -> None:
        X = pd.concat([x for x, _ in self._labelled], ignore_index=True).fillna(0.0)
        y = np.concatenate([labels for _, labels in self._labelled])
        if self.max_rows is not None and len(y) > self.max_rows:
            rng = np.random.default_rng([self.random_state, int(day)])
            keep = np.sort(rng.choice(len(y), size=int(self.max_rows), replace=False))
            X, y = X.iloc[keep], y[keep]
        self.n_train, self.n_events = len(y), int(y.sum())
        if self.n_events >= self.min_events:
            self.model.fit(X, y)
            self.fitted = self.model.fitted
        else:
            self.fitted = False


def predicted_value(customers: pd.DataFrame, horizon_days: float = 3 * 365,
                    annual_discount_rate: float = 0.10) -> pd.Series:
    """A simple, observable estimate of each active customer's remaining value (EUR).

    ``value = m x (1 - exp(-(h + delta) H)) / (h + delta)``, the discounted margin of a
    customer who keeps earning ``m`` EUR a day until they leave, over at most ``H`` days:

    * ``m``: the customer's margin per day in the records, ``margin / observed_days`` (EUR/day,
      see :func:`observed_days`; the pre-run tenure of day-0 customers earned margin the table
      does not hold). A customer with no observed day yet gets their segment's pooled rate
      (total margin / total observed days of its active customers).
    * ``h``: the segment's observed churn hazard, customers lost / customer-days observed,
      over every customer of the segment in the table (per day). Constant in time: an
      expected lifetime of ``1/h`` days.
    * ``delta = ln(1 + annual_discount_rate) / 365``: the continuous daily discount rate.
    * ``H = horizon_days``. The formula is the integral of ``m exp(-(h + delta) t)`` from 0 to
      ``H``; with ``h + delta = 0`` it is ``m H``.

    Everything comes from observable columns (margin, tenure, acquisition day, status, segment);
    it ignores the customer's own churn risk on purpose, so that value and risk stay separate
    inputs of :func:`expected_value_saved`. The true remaining value is in ``result.truth``,
    for comparison.

    Parameters
    ----------
    customers : pandas.DataFrame
        A table shaped like ``view.customers`` (all customers: the lost ones inform ``h``).
    horizon_days : float
        Horizon ``H`` (days, >= 0).
    annual_discount_rate : float
        Yearly discount rate (fraction, > -1), e.g. 0.10 for 10 %.

    Returns
    -------
    pandas.Series
        EUR per active customer, indexed by ``customer_id``, named ``"predicted_value"``.
        Negative for a customer whose recorded margin is negative.
    """
    if horizon_days < 0 or annual_discount_rate <= -1:
        raise ValueError(f"horizon_days = {horizon_days}, annual_discount_rate = "
                         f"{annual_discount_rate}: need horizon_days >= 0 and rate > -1")
    seen = observed_days(customers).to_numpy()
    lost = (customers["status"] == "lost").to_numpy()
    active = ~lost
    margin = customers["margin"].to_numpy(dtype=float)
    codes, names = segment_codes(customers)
    k = len(names)
    seg_seen, seg_lost = segment_totals(codes, k, seen), segment_totals(codes, k, lost)
    active_seen, active_margin = np.where(active, seen, 0.0), np.where(active, margin, 0.0)
    seg_active_seen = segment_totals(codes, k, active_seen)
    seg_active_margin = segment_totals(codes, k, active_margin)
    pooled_h = lost.sum() / seen.sum() if seen.sum() > 0 else 0.0
    all_rate = active_margin.sum() / active_seen.sum() if active_seen.sum() > 0 else 0.0
    with np.errstate(invalid="ignore", divide="ignore"):
        # One extra entry, the pooled value, for rows without a segment (code -1 -> k).
        h_seg = np.append(np.where(seg_seen > 0, seg_lost / seg_seen, pooled_h), pooled_h)
        m_seg = np.append(np.where(seg_active_seen > 0, seg_active_margin / seg_active_seen,
                                   all_rate), all_rate)
        bins_a = np.where(codes >= 0, codes, k)[active]
        seen_a = seen[active]
        m = np.where(seen_a > 0, margin[active] / seen_a, m_seg[bins_a])
    delta = continuous_discount_rate(annual_discount_rate, unit_days=1.0)
    value = continuous_clv(m, h_seg[bins_a], delta, horizon=horizon_days)
    ids = customers["customer_id"].to_numpy()[active]
    return pd.Series(value, index=pd.Index(ids, name="customer_id"), name="predicted_value")


def expected_value_saved(scores, value, offer_cost: float, save_rate: float):
    """Expected gain of a retention offer: ``P(churn) x save_rate x value - offer_cost`` (EUR).

    A retention offer pays only if it reaches a customer who would have left, keeps them with
    probability ``save_rate``, and what it keeps is their value; it costs ``offer_cost`` for
    everyone it reaches, including those who would have stayed anyway (DESIGN section 3.4: the
    waste analytics must reduce). Offer where the result is positive, best first.

    Parameters
    ----------
    scores : pandas.Series or array-like
        P(churn within the offer's horizon) per customer (probability, 0 to 1), e.g. from a
        fitted :class:`ChurnTracker`. A heuristic rank is not a probability.
    value : pandas.Series, array-like or float
        Value kept if the customer is saved (EUR), e.g. :func:`predicted_value`. A Series is
        aligned on the index of ``scores`` (a customer with no value gets NaN).
    offer_cost : float
        Cost of one offer (EUR per customer reached).
    save_rate : float
        Share of would-be churners the offer keeps (fraction, 0 to 1).

    Returns
    -------
    pandas.Series or numpy.ndarray
        Expected gain per customer (EUR): a Series indexed like ``scores`` when ``scores`` is
        a Series, else an array.
    """
    if not 0.0 <= save_rate <= 1.0:
        raise ValueError(f"save_rate = {save_rate}: must be 0 to 1 (fraction)")
    if isinstance(scores, pd.Series):
        if isinstance(value, pd.Series):
            value = value.reindex(scores.index)
        gain = scores.astype(float) * save_rate * value - offer_cost
        return pd.Series(np.asarray(gain, dtype=float), index=scores.index,
                         name="expected_value_saved")
    return np.asarray(scores, dtype=float) * save_rate * np.asarray(value, dtype=float) - offer_cost

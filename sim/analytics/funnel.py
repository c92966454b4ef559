"""The front office in numbers: the acquisition funnel by channel and the service level.

Two questions a CRM manager asks of every cycle's report, answered from a run's tables with
the definitions of :mod:`sim.result` (so the totals agree with :meth:`Result.summary`):

* **Acquisition** (:func:`acquisition_funnel`, :func:`acquisition_totals`): how many prospects
  each marketing channel reached, how many became customers, and what each cost (CAC).
  Word of mouth (``referral``) and partner referrals (``partner``, collaborative CRM) bring
  customers without marketing spend: their CAC is not defined, and the summary's ``cac`` counts
  only customers won by mass and targeted marketing.
* **Service** (:func:`service_levels`): how long customers waited, the share answered within
  the target wait, the tail of the waits (percentiles), contacts left unanswered, and resolution.

The timeline holds no count of marketing contacts; they are derived from the spend and the
scenario's cost per contact (see :func:`acquisition_funnel`).

References
----------
Blattberg, R. C., Getz, G. & Thomas, J. S. (2001). *Customer Equity: Building and Managing
Relationships as Valuable Assets*. Harvard Business School Press (acquisition cost and rate).
Gans, N., Koole, G. & Mandelbaum, A. (2003). Telephone call centers: tutorial, review, and
research prospects. *Manufacturing & Service Operations Management* 5(2), 79-141 (service level
as the share answered within a target wait; abandonment).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

__all__ = ["MARKETING_CHANNELS", "NEW_CHANNELS", "acquisition_funnel", "acquisition_totals",
           "service_levels", "wait_percentiles"]

#: Channels that cost marketing spend (their cost column in the timeline is ``cost_<channel>``).
MARKETING_CHANNELS = ("mass", "targeted")
#: Every channel that brings new customers during a run (``initial`` customers were there).
NEW_CHANNELS = ("mass", "targeted", "referral", "partner")

_FUNNEL_COLUMNS = ["cycle", "start_day", "end_day", "channel", "spend", "contacts", "acquired",
                   "conversion", "cac"]


def _ratio(num, den):
    """``num / den`` elementwise, NaN where ``den`` is 0."""
    num, den = np.asarray(num, dtype=float), np.asarray(den, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den != 0, num / np.where(den != 0, den, 1.0), np.nan)


def acquisition_funnel(result) -> pd.DataFrame:
    """Marketing contacts, customers acquired and acquisition cost, per cycle and channel.

    For each cycle of ``result.timeline`` and each channel of :data:`NEW_CHANNELS`:

    * ``spend``: the channel's marketing cost (EUR): ``cost_mass`` and ``cost_targeted`` of the
      timeline (targeted includes the customer-data cost of the cycle); 0 for ``referral`` and
      ``partner``, which cost no marketing spend. (Partners come with collaborative CRM, whose
      cost, ``cost_collaboration``, pays for shared systems and the partner programme at once
      and is not marketing spend; a welcome discount, ``cost_welcome``, is a price cut, not a
      contact cost. Neither enters CAC, as in :meth:`Result.summary`.)
    * ``contacts``: marketing contacts bought, estimated as ``spend_action x days /
      cycle_days / cost_per_contact`` from the timeline's ``mass_spend`` / ``targeted_spend``
      and the scenario's ``mass.cost_per_contact`` / ``targeted.cost_per_contact``. The engine
      buys whole contacts each day and carries the remainder, so over the run the count is
      within one contact of this; targeted contacts are also capped by the prospects left in
      the chosen segments, so for ``targeted`` it is an upper bound. NaN for ``referral`` and
      ``partner`` (no contact is bought).
    * ``acquired``: new customers of the channel (count).
    * ``conversion``: ``acquired / contacts`` (share of contacts that became customers).
    * ``cac``: ``spend / acquired`` (EUR per customer); NaN for a channel without marketing
      spend or without a customer in the cycle.

    Parameters
    ----------
    result : Result
        A run.

    Returns
    -------
    pandas.DataFrame
        Long format, one row per cycle and channel: ``cycle``, ``start_day``, ``end_day``,
        ``channel``, ``spend``, ``contacts``, ``acquired``, ``conversion``, ``cac``.
    """
    tl, sc = result.timeline, result.scenario
    frames = []
    share_of_cycle = tl["days"].to_numpy(dtype=float) / sc.cycle_days
    for channel in NEW_CHANNELS:
        acquired = tl[f"acquired_{channel}"].to_numpy(dtype=np.int64)
        if channel in MARKETING_CHANNELS:
            spend = tl[f"cost_{channel}"].to_numpy(dtype=float)
            cost_per_contact = getattr(sc, channel).cost_per_contact
            contacts = (tl[f"{channel}_spend"].to_numpy(dtype=float) * share_of_cycle
                        / cost_per_contact)
            cac = _ratio(spend, acquired)
        else:
            spend = np.zeros(len(tl))
            contacts = np.full(len(tl), np.nan)
            cac = np.full(len(tl), np.nan)
        frames.append(pd.DataFrame({
            "cycle": tl["cycle"].to_numpy(), "start_day": tl["start_day"].to_numpy(),
            "end_day": tl["end_day"].to_numpy(), "channel": channel, "spend": spend,
            "contacts": contacts, "acquired": acquired,
            "conversion": _ratio(acquired, contacts), "cac": cac,
        }))
    out = pd.concat(frames, ignore_index=True)
    out["channel"] = pd.Categorical(out["channel"], categories=NEW_CHANNELS)
    return out.sort_values(["cycle", "channel"], kind="mergesort").reset_index(drop=True)


def acquisition_totals(result) -> pd.DataFrame:
    """The acquisition funnel over the whole run, by channel, with the summary's CAC.

    Rows: the channels of :data:`NEW_CHANNELS`, then ``marketing`` (mass + targeted) and
    ``all`` (every new customer). Columns as in :func:`acquisition_funnel`, summed over the
    cycles, plus ``share`` (share of all new customers). ``cac`` is ``spend / acquired``:

    * for ``mass``, ``targeted`` and ``marketing`` it equals :meth:`Result.summary`'s
      ``cac_mass``, ``cac_targeted`` and ``cac`` (EUR per customer won by marketing);
    * for ``all`` it is the *blended* CAC, marketing spend over every new customer, word of
      mouth and partners included (lower than ``cac`` whenever referrals bring anyone);
    * NaN for ``referral`` and ``partner`` (no marketing spend: not a cost per customer).

    Parameters
    ----------
    result : Result
        A run.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``channel``: ``spend`` (EUR), ``contacts`` (estimated, see
        :func:`acquisition_funnel`), ``acquired`` (count), ``share``, ``conversion``, ``cac``
        (EUR per customer).
    """
    funnel = acquisition_funnel(result)
    by = funnel.groupby("channel", observed=False, sort=False)
    spend = by["spend"].sum()
    acquired = by["acquired"].sum()
    # A channel with no contact bought in any cycle keeps NaN (sum would turn it into 0).
    contacts = by["contacts"].sum(min_count=1)
    table = pd.DataFrame({"spend": spend, "contacts": contacts, "acquired": acquired})
    table = table.reindex(list(NEW_CHANNELS))
    table.loc["marketing"] = [table.loc[list(MARKETING_CHANNELS), "spend"].sum(),
                              table.loc[list(MARKETING_CHANNELS), "contacts"].sum(),
                              table.loc[list(MARKETING_CHANNELS), "acquired"].sum()]
    table.loc["all"] = [table.loc["marketing", "spend"], math.nan,
                        table.loc[list(NEW_CHANNELS), "acquired"].sum()]
    table["acquired"] = table["acquired"].astype(np.int64)
    total = table.loc["all", "acquired"]
    table["share"] = _ratio(table["acquired"], np.full(len(table), total))
    table["conversion"] = _ratio(table["acquired"], table["contacts"])
    table["cac"] = _ratio(table["spend"], table["acquired"])
    table.loc[["referral", "partner"], "cac"] = math.nan
    table.index.name = "channel"
    return table[["spend", "contacts", "acquired", "share", "conversion", "cac"]]


# -- service ----------------------------------------------------------------------------------
_PERCENTILES = (0.5, 0.8, 0.9, 0.95, 0.99)


def wait_percentiles(result, q=_PERCENTILES) -> pd.Series:
    """Percentiles of the wait of the answered contacts (minutes).

    The mean wait hides the tail that customers remember: with a busy centre most wait nothing
    and a few wait long. Percentiles are the linear interpolation between order statistics
    (numpy's default, Hyndman & Fan 1996 type 7).

    Parameters
    ----------
    result : Result
        A run.
    q : sequence of float
        Probabilities in [0, 1].

    Returns
    -------
    pandas.Series
        Minutes, indexed by ``q``; NaN if no contact was answered.
    """
    q = np.atleast_1d(np.asarray(q, dtype=float))
    if ((q < 0) | (q > 1) | ~np.isfinite(q)).any():
        raise ValueError(f"q = {q.tolist()}: percentiles must be probabilities in [0, 1]")
    sv = result.service
    wait = sv.loc[sv["answered"].astype(bool), "wait_minutes"].to_numpy(dtype=float)
    values = np.quantile(wait, q) if wait.size else np.full(q.size, np.nan)
    return pd.Series(values, index=pd.Index(q, name="q"), name="wait_minutes")


def service_levels(result, by: str = "cycle") -> pd.DataFrame:
    """Service KPIs of the contacts, per cycle, per day or for the whole run.

    Definitions (those of :meth:`Result.summary` and of the timeline's service columns):

    * ``contacts``: contacts that arrived in the period (count), ``answered`` those an agent
      took, ``unanswered_share = 1 - answered / contacts`` (still waiting when the run ended:
      the engine's customers do not hang up, a long wait lowers their satisfaction instead);
    * ``mean_wait_minutes``: mean wait of the answered contacts (minutes);
    * ``service_level``: share of the *answered* contacts whose wait was at most
      ``scenario.service.wait_target_minutes`` (unanswered contacts are outside the share, as
      in the summary: a queue still long at the end of the run flatters it, read the two
      together);
    * ``wait_p50``, ``wait_p90``, ``wait_p95``: percentiles of the answered waits (minutes,
      linear interpolation, see :func:`wait_percentiles`);
    * ``fcr``: share of the handled contacts (service finished) that resolved the issue, the
      summary's ``first_contact_resolution``;
    * ``issue_fcr``: share of the issues whose first contact was handled that this first
      contact resolved (stricter: a recontact that resolves an issue counts in ``fcr`` but not
      here).

    A contact belongs to the period of its arrival; cycles are ``[start_day, end_day)`` of the
    timeline, days are whole days ``floor(arrival_day)``.

    Parameters
    ----------
    result : Result
        A run.
    by : {"cycle", "day", "total"}
        The period.

    Returns
    -------
    pandas.DataFrame
        One row per period (``cycle`` with ``start_day``; ``day``; or a single row for
        "total"), columns ``contacts``, ``answered``, ``unanswered_share``,
        ``mean_wait_minutes``, ``service_level``, ``wait_p50``, ``wait_p90``, ``wait_p95``,
        ``fcr``, ``issue_fcr``, and ``target_minutes``. Periods without contacts are present
        (cycles and days of the run) with NaN shares.
    """
    if by not in ("cycle", "day", "total"):
        raise ValueError(f"by = {by!r}: must be 'cycle', 'day' or 'total'")
    sv, tl, sc = result.service, result.timeline, result.scenario
    target = float(sc.service.wait_target_minutes)
    arrival = sv["arrival_day"].to_numpy(dtype=float)
    if by == "cycle":
        starts = tl["start_day"].to_numpy(dtype=float)
        key = np.searchsorted(starts, arrival, side="right") - 1
        periods = pd.Index(tl["cycle"].to_numpy(), name="cycle")
        key = tl["cycle"].to_numpy()[np.clip(key, 0, None)] if len(tl) else key
    elif by == "day":
        key = np.floor(arrival).astype(np.int64)
        periods = pd.Index(np.arange(int(sc.horizon_days)), name="day")
    else:
        key = np.zeros(arrival.size, dtype=np.int64)
        periods = pd.Index([0], name="total")
    answered = sv["answered"].to_numpy(dtype=bool)
    handled = sv["handle_minutes"].notna().to_numpy()
    wait = sv["wait_minutes"].to_numpy(dtype=float)
    first = sv["contact"].to_numpy() == 1
    frame = pd.DataFrame({
        "key": key, "contact": 1.0,
        "answered": answered.astype(float),
        # Per-contact quantities that exist only for some contacts: NaN elsewhere, so the
        # group means below are over the right contacts.
        "wait": np.where(answered, wait, np.nan),
        "within": np.where(answered, sv["within_target"].to_numpy(dtype=float), np.nan),
        "resolved": np.where(handled, sv["resolved"].to_numpy(dtype=float), np.nan),
        "first_resolved": np.where(handled & first, sv["resolved"].to_numpy(dtype=float),
                                   np.nan),
    })
    grouped = frame.groupby("key", sort=True)
    out = pd.DataFrame({
        "contacts": grouped["contact"].sum(),
        "answered": grouped["answered"].sum(),
        "mean_wait_minutes": grouped["wait"].mean(),
        "service_level": grouped["within"].mean(),
        "wait_p50": grouped["wait"].quantile(0.5),
        "wait_p90": grouped["wait"].quantile(0.9),
        "wait_p95": grouped["wait"].quantile(0.95),
        "fcr": grouped["resolved"].mean(),
        "issue_fcr": grouped["first_resolved"].mean(),
    }).reindex(periods)
    out[["contacts", "answered"]] = out[["contacts", "answered"]].fillna(0).astype(np.int64)
    out.insert(2, "unanswered_share", 1.0 - _ratio(out["answered"], out["contacts"]))
    out["target_minutes"] = target
    if by == "cycle":
        out.insert(0, "start_day", tl["start_day"].to_numpy())
    if by == "total":
        out.index = pd.RangeIndex(1)
    return out

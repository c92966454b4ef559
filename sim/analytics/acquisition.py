"""Customer acquisition cost (CAC) and acquired value by channel, sales channels included.

Every acquisition channel of a run side by side, as the course's "all channels on one shared
customer database" lets a firm compare them (SOURCE-DIGEST 2 [004]): mass and targeted
marketing, sales reps, telemarketing, e-mail campaigns, the web shop, and the channels that cost
no acquisition money, word of mouth (``referral``) and partner referrals (``partner``). For
each: contacts bought, customers won, cost, conversion, CAC, and the value the customers won
have brought so far (their margin), per customer, per euro spent and, for reps, per hour of
selling time paid. CAC alone rewards cheap channels that win poor customers; the value columns
show which channel wins customers worth their cost (Blattberg, Getz & Thomas 2001).

Definitions, used by :meth:`sim.result.Result.summary` too:

* **CAC of a channel** = its acquisition cost / customers it won (EUR per customer): ``inf``
  when money was spent and nobody was won, NaN when the channel was not used or costs no
  acquisition money (word of mouth and partners: their cost is not a cost per customer);
* **acquired value** = margin to date of the customers the channel won (revenue x gross margin
  - cost to serve, undiscounted, over the run), from ``result.customers``;
* **value per rep-hour** = acquired value of the reps' customers / selling hours paid (reps x
  selling hours a working day), the measure of a sales force's productivity.

References
----------
Blattberg, R. C., Getz, G. & Thomas, J. S. (2001). *Customer Equity: Building and Managing
Relationships as Valuable Assets*. Harvard Business School Press.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from .funnel import acquisition_funnel, ratio

__all__ = ["ACQUISITION_CHANNELS", "CHANNEL_COSTS", "PAID_CHANNELS", "cac_by_channel"]

#: Every channel that brings customers during a run, paid ones first (as in
#: ``result.customers["channel"]``, less ``initial``).
ACQUISITION_CHANNELS = ("mass", "targeted", "rep", "telemarketing", "email", "web", "referral",
                        "partner")
#: Channels bought with acquisition money.
PAID_CHANNELS = ACQUISITION_CHANNELS[:6]
#: The timeline's cost columns of each paid channel (EUR).
CHANNEL_COSTS = {
    "mass": ("cost_mass",), "targeted": ("cost_targeted",), "rep": ("cost_reps", "cost_sfa"),
    "telemarketing": ("cost_telemarketing",), "email": ("cost_email_campaign",),
    "web": ("cost_web_shop",),
}
#: The timeline's count of contacts of each channel that counts them.
_CONTACTS = {"rep": "rep_visits", "telemarketing": "telemarketing_calls", "email": "emails_sent"}


def _cac(cost: np.ndarray, acquired: np.ndarray) -> np.ndarray:
    """cost / acquired; inf for money spent on nobody won, NaN for a channel not used."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(acquired > 0, cost / np.where(acquired > 0, acquired, 1),
                        np.where(cost > 0, np.inf, np.nan))


def cac_by_channel(result) -> pd.DataFrame:
    """Contacts, conversions, cost, CAC and acquired value per acquisition channel of a run.

    Parameters
    ----------
    result : Result
        A run (:func:`sim.run`).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``channel``: the channels of :data:`ACQUISITION_CHANNELS`, then ``paid``
        (the paid channels together) and ``all`` (every new customer; its cost is the paid
        channels'). Columns:

        * ``contacts``: contacts bought: reps' visits, telemarketing calls, campaign e-mails
          sent, and for mass and targeted marketing the contacts their spend bought
          (:func:`sim.analytics.funnel.acquisition_funnel`); NaN for the web shop, word of
          mouth and partners, which buy no contacts;
        * ``acquired``: customers won (count);
        * ``cost``: acquisition cost, EUR: the channel's timeline cost columns
          (:data:`CHANNEL_COSTS`; reps include sales force automation, targeted marketing its
          data); 0 for word of mouth and partners;
        * ``conversion``: ``acquired / contacts``;
        * ``cac``: EUR per customer won (see the module's definitions for inf and NaN);
        * ``acquired_margin``: margin to date of the customers won, EUR;
        * ``margin_per_customer``: ``acquired_margin / acquired``, EUR;
        * ``margin_per_euro``: ``acquired_margin / cost`` (NaN where nothing was spent): above
          1, the channel's customers have already paid back what winning them cost;
        * ``rep_hours``: selling hours paid (reps only, else NaN);
        * ``value_per_rep_hour``: ``acquired_margin / rep_hours``, EUR per hour (reps only).

    Examples
    --------
    >>> from sim.analytics.acquisition import cac_by_channel      # doctest: +SKIP
    >>> table = cac_by_channel(result)                               # doctest: +SKIP
    >>> table.loc[["rep", "email"], ["cac", "margin_per_customer"]]  # doctest: +SKIP
    """
    tl, cu = result.timeline, result.customers
    funnel = acquisition_funnel(result)
    bought = funnel.groupby("channel", observed=True)["contacts"].sum(min_count=1)
    margin = cu.groupby(cu["channel"].astype(str))["margin"].sum()
    rows = {}
    for channel in ACQUISITION_CHANNELS:
        acquired = int(tl[f"acquired_{channel}"].sum())
        cost = float(sum(tl[c].sum() for c in CHANNEL_COSTS.get(channel, ())))
        if channel in _CONTACTS:
            contacts = float(tl[_CONTACTS[channel]].sum())
        elif channel in ("mass", "targeted"):
            contacts = float(bought.get(channel, math.nan))
        else:
            contacts = math.nan
        rows[channel] = {"contacts": contacts, "acquired": acquired, "cost": cost,
                         "acquired_margin": float(margin.get(channel, 0.0))}
    table = pd.DataFrame.from_dict(rows, orient="index")
    paid = table.loc[list(PAID_CHANNELS)]
    table.loc["paid"] = [paid["contacts"].sum(min_count=1), paid["acquired"].sum(),
                         paid["cost"].sum(), paid["acquired_margin"].sum()]
    table.loc["all"] = [math.nan, table.loc[list(ACQUISITION_CHANNELS), "acquired"].sum(),
                        table.loc["paid", "cost"],
                        table.loc[list(ACQUISITION_CHANNELS), "acquired_margin"].sum()]
    table["acquired"] = table["acquired"].astype(np.int64)
    table["conversion"] = ratio(table["acquired"], table["contacts"])
    table["cac"] = _cac(table["cost"].to_numpy(), table["acquired"].to_numpy())
    table.loc[["referral", "partner"], "cac"] = math.nan  # no acquisition money: not a CAC
    table["margin_per_customer"] = ratio(table["acquired_margin"], table["acquired"])
    table["margin_per_euro"] = ratio(table["acquired_margin"], table["cost"])
    table["rep_hours"] = math.nan
    table.loc["rep", "rep_hours"] = float(tl["rep_hours"].sum())
    table["value_per_rep_hour"] = ratio(table["acquired_margin"], table["rep_hours"])
    table.index.name = "channel"
    return table[["contacts", "acquired", "cost", "conversion", "cac", "acquired_margin",
                  "margin_per_customer", "margin_per_euro", "rep_hours", "value_per_rep_hour"]]

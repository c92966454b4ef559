"""The acquisition funnel by channel: contacts, customers won, conversion and CAC.

A question a CRM manager asks of every cycle's report, answered from a run's tables with the
definitions of :mod:`sim.result` (so the totals agree with :meth:`Result.summary`): how many
prospects each marketing channel reached, how many became customers, and what each cost (CAC).
Word of mouth (``referral``) and partner referrals (``partner``, collaborative CRM) bring
customers without marketing spend: their CAC is not defined, and the summary's ``cac`` counts
only customers won by mass and targeted marketing. The service side is in
:mod:`sim.analytics.service`.

The timeline holds no count of marketing contacts; they are derived from the spend and the
scenario's cost per contact (see :func:`acquisition_funnel`).

References
----------
Blattberg, R. C., Getz, G. & Thomas, J. S. (2001). *Customer Equity: Building and Managing
Relationships as Valuable Assets*. Harvard Business School Press (acquisition cost and rate).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

__all__ = ["MARKETING_CHANNELS", "NEW_CHANNELS", "acquisition_funnel", "acquisition_totals",
           "ratio"]

#: Channels that cost marketing spend (their cost column in the timeline is ``cost_<channel>``).
MARKETING_CHANNELS = ("mass", "targeted")
#: Every channel that brings new customers during a run (``initial`` customers were there).
NEW_CHANNELS = ("mass", "targeted", "referral", "partner")

#: The sales channels' acquisition costs (timeline columns, EUR), counted in the ``all`` row.
_SALES_COSTS = ("cost_reps", "cost_sfa", "cost_telemarketing", "cost_email_campaign",
                "cost_web_shop")

_FUNNEL_COLUMNS = ["cycle", "start_day", "end_day", "channel", "spend", "contacts", "acquired",
                   "conversion", "cac"]


def ratio(num, den):
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
            cac = ratio(spend, acquired)
        else:
            spend = np.zeros(len(tl))
            contacts = np.full(len(tl), np.nan)
            cac = np.full(len(tl), np.nan)
        frames.append(pd.DataFrame({
            "cycle": tl["cycle"].to_numpy(), "start_day": tl["start_day"].to_numpy(),
            "end_day": tl["end_day"].to_numpy(), "channel": channel, "spend": spend,
            "contacts": contacts, "acquired": acquired,
            "conversion": ratio(acquired, contacts), "cac": cac,
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
    * for ``all`` it is the *blended* CAC, all acquisition spend (marketing and the sales
      channels: reps, calls, e-mail campaigns, the web shop) over every new customer, word of
      mouth and partners included (lower than ``cac`` whenever referrals bring anyone). The
      sales channels have no row of their own here, so ``share`` sums to 1 over the rows only
      without them; :func:`sim.analytics.acquisition.cac_by_channel` has every channel;
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
    # Every new customer, and every acquisition cost: the sales channels' (reps, calls, e-mail
    # campaigns, web shop; by channel in sim.analytics.acquisition) are in this row only.
    tl = result.timeline
    won = [c for c in tl.columns if c.startswith("acquired_") and c != "acquired_initial"]
    sales = [c for c in _SALES_COSTS if c in tl]
    table.loc["all"] = [table.loc["marketing", "spend"] + tl[sales].to_numpy().sum(), math.nan,
                        tl[won].to_numpy().sum()]
    table["acquired"] = table["acquired"].astype(np.int64)
    total = table.loc["all", "acquired"]
    table["share"] = ratio(table["acquired"], np.full(len(table), total))
    table["conversion"] = ratio(table["acquired"], table["contacts"])
    table["cac"] = ratio(table["spend"], table["acquired"])
    table.loc[["referral", "partner"], "cac"] = math.nan
    table.index.name = "channel"
    return table[["spend", "contacts", "acquired", "share", "conversion", "cac"]]

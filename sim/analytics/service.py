"""The service centre in numbers: waits, service level, the tail of the waits, resolution.

How long customers waited, the share answered within the target wait, the percentiles of the
waits that customers remember, contacts left unanswered, and first-contact resolution, from a
run's ``service`` table with the definitions of :mod:`sim.result` (so the totals agree with
:meth:`Result.summary` and the timeline).

References
----------
Gans, N., Koole, G. & Mandelbaum, A. (2003). Telephone call centers: tutorial, review, and
research prospects. *Manufacturing & Service Operations Management* 5(2), 79-141 (service level
as the share answered within a target wait; abandonment).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .funnel import ratio

__all__ = ["by_channel", "service_levels", "turnaround", "wait_percentiles"]

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
    out.insert(2, "unanswered_share", 1.0 - ratio(out["answered"], out["contacts"]))
    out["target_minutes"] = target
    if by == "cycle":
        out.insert(0, "start_day", tl["start_day"].to_numpy())
    if by == "total":
        out.index = pd.RangeIndex(1)
    return out


def by_channel(result) -> pd.DataFrame:
    """Every service channel side by side: how much it was used, how well it resolved issues,
    how long customers waited and what it cost.

    Definitions:

    * ``contacts``: contacts handled in the channel (calls include the escalations of web and
      e-mail contacts and recontacts); ``share_of_requests``: contacts that were a customer's
      *first* choice for a request, as a share of all requests (the three add up to 1);
    * ``fcr``: share of the finished contacts that resolved the issue;
    * ``mean_wait_minutes``: mean wait for an answer (the answered calls' queue wait; the
      e-mail answer time; 0 for self-service);
    * ``escalated``: web and e-mail contacts that ended in a call (count);
    * ``cost``: what the channel cost over the run, EUR (agents for calls; per-contact costs
      and the portal for self-service; per-contact costs for e-mail); ``cost_per_contact`` its
      ratio to ``contacts``.

    Parameters
    ----------
    result : Result
        A run.

    Returns
    -------
    pandas.DataFrame
        Indexed by channel (``phone``, ``web``, ``email``).
    """
    sv, cc, tl = result.service, result.channel_contacts, result.timeline
    requests = float(tl["requests"].sum())
    handled = sv["handle_minutes"].notna()
    answered = sv[sv["answered"]]
    online = {name: cc[cc["channel"] == name] for name in ("web", "email")}
    first_calls = requests - sum(len(part) for part in online.values())
    rows = {"phone": {
        "contacts": len(sv),
        "share_of_requests": first_calls / requests if requests else np.nan,
        "fcr": float(sv.loc[handled, "resolved"].mean()) if handled.any() else np.nan,
        "mean_wait_minutes": float(answered["wait_minutes"].mean()) if len(answered) else np.nan,
        "escalated": 0,
        "cost": float(tl["cost_agents"].sum()),
    }}
    for name, column in (("web", "cost_self_service"), ("email", "cost_email")):
        part = online[name]
        rows[name] = {
            "contacts": len(part),
            "share_of_requests": len(part) / requests if requests else np.nan,
            "fcr": float(part["resolved"].mean()) if len(part) else np.nan,
            "mean_wait_minutes": float(part["wait_minutes"].mean()) if len(part) else np.nan,
            "escalated": int(part["escalated"].sum()),
            "cost": float(tl[column].sum()),
        }
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index.name = "channel"
    out["cost_per_contact"] = ratio(out["cost"], out["contacts"])
    return out


def turnaround(result) -> pd.DataFrame:
    """Complaint turnaround: for every service request, how long from the request to the
    resolution of its issue, whatever channels it went through.

    A request made by phone is its issue in the ``service`` table: it is resolved when a
    contact of that issue (the first or a recontact) resolves it. A request made online is
    resolved by its web or e-mail contact, or, if that contact escalated to a call, when the
    call's issue is resolved (``channel_contacts.call_issue``). A request not resolved by the
    end of the run has no resolution (NaN): read the turnaround with the share resolved.

    Parameters
    ----------
    result : Result
        A run.

    Returns
    -------
    pandas.DataFrame
        One row per request: ``customer_id``, ``first_channel`` (phone, web or email),
        ``request_day``, ``resolved_day`` (days, NaN if unresolved) and ``turnaround_hours``.
    """
    sv, cc = result.service, result.channel_contacts
    issue = sv["issue"].to_numpy()
    ends = (sv["arrival_day"] + (sv["wait_minutes"] + sv["handle_minutes"]) / 1440.0).to_numpy()
    solved = sv["resolved"].to_numpy(dtype=bool) & np.isfinite(ends)
    # The day each issue was resolved (its first resolving contact), NaN if never.
    resolved_at = pd.Series(ends[solved], index=issue[solved]).groupby(level=0).min()
    first = sv[sv["contact"] == 1]
    called = cc["call_issue"].to_numpy()
    phone = first[~first["issue"].isin(called[called >= 0])]
    online_end = (cc["arrival_day"] + cc["wait_minutes"] / 1440.0).to_numpy()
    online_done = np.where(cc["resolved"].to_numpy(dtype=bool), online_end,
                           resolved_at.reindex(called).to_numpy())
    out = pd.DataFrame({
        "customer_id": np.concatenate([phone["customer_id"].to_numpy(),
                                       cc["customer_id"].to_numpy()]),
        "first_channel": pd.Categorical(
            np.concatenate([np.full(len(phone), "phone"), cc["channel"].astype(str).to_numpy()]),
            categories=["phone", "web", "email"]),
        "request_day": np.concatenate([phone["arrival_day"].to_numpy(),
                                       cc["arrival_day"].to_numpy()]),
        "resolved_day": np.concatenate([resolved_at.reindex(phone["issue"]).to_numpy(),
                                        online_done]),
    })
    out["turnaround_hours"] = (out["resolved_day"] - out["request_day"]) * 24.0
    return out.sort_values("request_day", kind="stable", ignore_index=True)

"""Scenario section for the sales channels: reps, telemarketing, e-mail and a web shop (DESIGN 3.7).

The course lists the channels a CRM system serves on one customer database: sales
representatives, the call centre, the web shop and e-mail (SOURCE-DIGEST 2 [004]); its tools
include sales force automation, "shorter sales cycle, higher sales productivity" (SOURCE-DIGEST 6
[001]), and time and territory management and telemarketing ([004]). This module declares what
each sales channel costs and how well it converts; how much of each the firm uses is the
strategy's decision (:class:`~sim.actions.Actions`), carried out by
:mod:`sim.engine.sales`.

* **Sales representatives** are a scarce resource: each works ``selling_hours`` a day on visits
  (travel within the territory and the meeting), a visit takes ``visit_hours`` on average, and
  a rep visits only the prospects of the territory assigned to them (the market's people are
  spread over ``territories`` equal regions). A visit wins the prospect with
  ``visit_conversion`` times the segment's ``marketing_response``.
* **Sales force automation** (SFA) cuts the time per visit by ``sfa_time_cut`` when employees
  have fully adopted it (in proportion to adoption, as the CRM system: ``scenario.people``).
* **Telemarketing** calls prospects from the firm's list, **e-mail campaigns** write to the
  prospects who opted in to e-mail, and a **web shop** lets prospects find and buy from the
  firm by themselves.

Published anchors (ranges, with their years; what is not published is marked as a teaching
assumption to vary):

* selling time: salespeople spend about 41% of their time selling by phone or face to face
  (CSO Insights Sales Optimization Survey 2011; 46% in 2006), about a third in Salesforce's
  State of Sales reports (2018); the rest is administration, reporting and internal work;
* calls a day: field reps average about three sales calls a day, and one or two are not unusual
  (Coe 2004, Journal of Interactive Marketing 18(2));
* cost of a call: a face-to-face business-to-business sales call is commonly quoted at USD
  180-300 (trade surveys 1980s-2000s, not a study we can cite exactly); a short consumer or
  transactional visit costs far less;
* direct-marketing response (DMA Response Rate Report 2012): outbound telephone 8.2% for
  prospect lists (12.9% for cross-selling to customers) at about USD 15.6 per prospect contact;
  e-mail 0.12%; a response is an answer or an order, so conversion into a customer is lower.
"""

from __future__ import annotations

from dataclasses import dataclass

from .fields import Record, param

__all__ = ["Sales"]

_SELLING_TIME = (
    "CSO Insights (2011): 41% of a salesperson's time goes to selling by phone or face to face "
    "(46% in 2006); Salesforce State of Sales (2018): about a third; travel within the territory "
    "counts as visit time here (teaching assumption)"
)
_CALLS_PER_DAY = (
    "Coe (2004, J. Interactive Marketing 18(2)): field reps average about three sales calls a "
    "day, one or two are not unusual; the spread of visit times is a teaching assumption"
)
_REP_COST = (
    "B2B face-to-face sales calls are commonly quoted at USD 180-300 each (trade surveys, "
    "1980s-2000s); a consumer visit is shorter and cheaper: the value is a teaching assumption"
)
_VISIT_CONVERSION = (
    "teaching assumption: a personal visit converts far better than any remote contact "
    "(vary it); DMA (2012) puts even telephone response at only 8% for prospects"
)
_SFA = (
    "SOURCE-DIGEST 6 [001]: sales force automation shortens the sales cycle and raises sales "
    "productivity; no published effect size (teaching assumption, vary it); it works through "
    "the employees who use it (scenario.people)"
)
_SFA_COST = (
    "SFA software is sold per user and month, list prices from about USD 25 to 300 (CRM "
    "vendors' price lists, 2023); with upkeep the value is a teaching assumption"
)
_DMA_PHONE = (
    "DMA Response Rate Report (2012): outbound telephone response 8.2% on prospect lists at about "
    "USD 15.6 a contact; conversion into a customer is lower (teaching assumption)"
)
_DMA_EMAIL = (
    "DMA Response Rate Report (2012): e-mail response 0.12%; e-mail costs cents a message "
    "(teaching assumption within that range)"
)
_OPT_IN = (
    "teaching assumption: only people who agreed to receive e-mail may be written to (e-mail "
    "marketing law in the EU and elsewhere); the share is not a published figure (vary it)"
)
_WEB_SHOP = (
    "teaching assumption: a web shop adds spontaneous adoption (Bass innovation p; Sultan, "
    "Farley & Lehmann 1990 find p about 0.03/yr, often below 0.01)"
)


@dataclass(frozen=True, kw_only=True)
class Sales(Record):
    """Sales channels: field sales reps with territories, telemarketing, e-mail, a web shop."""

    territories: int = param(
        "territories", "regions the market's people are divided into (equal shares); a rep "
        "visits only the prospects of their own territory", lo=1, hi=1_000,
        source="teaching assumption: time and territory management (SOURCE-DIGEST 6 [004])",
    )
    max_reps: int = param(
        "reps", "most sales reps the firm can employ", lo=0, hi=10_000,
        source="teaching assumption: the size of the sales organisation",
    )
    rep_cost_per_day: float = param(
        "EUR/day", "loaded cost of one sales rep for one day (salary, car, travel)", lo=0,
        source=_REP_COST,
    )
    selling_hours: float = param(
        "hours/day", "hours of a rep's day available for visits (travel and meetings); the rest "
        "goes to administration and reports", lo=0, hi=16, lo_open=True,
        source=_SELLING_TIME,
    )
    visit_hours: float = param(
        "hours/visit", "mean time of one visit, travel within the territory included", lo=0,
        lo_open=True,
        source=_CALLS_PER_DAY,
    )
    visit_shape: int = param(
        "dimensionless", "Erlang shape of visit times (1: exponential, the most variable; larger: "
        "more regular)", lo=1, hi=100,
        source=_CALLS_PER_DAY,
    )
    visit_conversion: float = param(
        "probability/visit", "chance a visit wins a prospect (times the segment's "
        "marketing_response, capped at 1)", lo=0, hi=1,
        source=_VISIT_CONVERSION,
    )
    sfa_cost_per_rep: float = param(
        "EUR/cycle per rep", "cost of sales force automation for one rep in a cycle", lo=0,
        source=_SFA_COST,
    )
    sfa_time_cut: float = param(
        "fraction", "cut in the time per visit with sales force automation fully adopted (in "
        "proportion to employee adoption)", lo=0, hi=0.9,
        source=_SFA,
    )
    telemarketing_cost_per_call: float = param(
        "EUR/call", "cost of one outbound telemarketing call to a prospect", lo=0,
        source=_DMA_PHONE,
    )
    telemarketing_conversion: float = param(
        "probability/call", "chance a call wins a prospect (times the segment's "
        "marketing_response)", lo=0, hi=1,
        source=_DMA_PHONE,
    )
    email_cost_per_message: float = param(
        "EUR/message", "cost of one campaign e-mail (list, sending, content)", lo=0,
        source=_DMA_EMAIL,
    )
    email_opt_in: float = param(
        "fraction", "share of the market's people who agreed to receive e-mail (only they can "
        "be written to)", lo=0, hi=1,
        source=_OPT_IN,
    )
    email_conversion: float = param(
        "probability/message", "chance an e-mail wins a prospect (times the segment's "
        "marketing_response)", lo=0, hi=1,
        source=_DMA_EMAIL,
    )
    web_shop_cost_per_cycle: float = param(
        "EUR/cycle", "cost of running the web shop (hosting, content, upkeep)", lo=0,
        source="teaching assumption (vary it)",
    )
    web_shop_adoption: float = param(
        "1/year", "spontaneous adoption rate the web shop adds to every prospect (on top of "
        "word_of_mouth.innovation)", lo=0, hi=10,
        source=_WEB_SHOP,
    )

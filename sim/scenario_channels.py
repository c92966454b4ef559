"""Scenario sections for the firm's service channels (DESIGN section 3.7).

The course describes CRM as one customer database behind every channel the customer uses:
the call centre, web self-service and e-mail (SOURCE-DIGEST 1, 6 [004]). This module declares
what each service channel costs and how well it resolves an issue; which channels a segment's
customers prefer is a field of each :class:`~sim.scenario.Segment`, and which channels the firm
offers is the strategy's decision (:class:`~sim.actions.Actions`).

Published anchors (Gartner 2019 customer service and support leader poll and customer survey;
SuperOffice 2018 customer service benchmark):

* live channels cost about USD 8.01 a contact, self-service about USD 0.10;
* only 9% of customers resolve their issue completely in self-service; the rest go on to a
  live channel;
* consumers' preferred channels for resolving an issue: phone 44%, chat 17%, e-mail 15%, the
  company's website 12%;
* companies that answer e-mail take 12 hours on average, while customers expect an answer
  within an hour.
"""

from __future__ import annotations

from dataclasses import dataclass

from .fields import Record, param

__all__ = ["Channels"]

_GARTNER_COST = (
    "Gartner (2019): live channels cost about USD 8.01 a contact, self-service about USD 0.10"
)
_GARTNER_RESOLUTION = (
    "Gartner (2019): only 9% of customers resolve their issue completely in self-service; the "
    "classroom's rates resolve about 30% of web contacts, and the split by complexity is a "
    "teaching assumption (vary it)"
)
_SUPEROFFICE = (
    "SuperOffice customer service benchmark (2018): companies that answer e-mail take 12 hours "
    "on average; customers expect an answer within an hour"
)
_INTEGRATION = (
    "teaching assumption: one customer view across all channels on one database (SOURCE-DIGEST "
    "1, 5, 6 [004]); no published effect size (vary it)"
)


@dataclass(frozen=True, kw_only=True)
class Channels(Record):
    """Service channels besides the call centre: web self-service and e-mail.

    A service request goes to the channel its customer prefers if the firm offers it, else to
    the call centre (:attr:`Segment.web_preference`, :attr:`Segment.email_preference`).
    Self-service answers at once, for next to nothing, but resolves few complex issues;
    e-mail is answered by staff hours later; an unresolved web or e-mail contact often ends as
    a call. Channel integration (one customer view in every channel) raises first-contact
    resolution everywhere, the call centre included.
    """

    complex_share: float = param(
        "fraction", "share of service requests that are complex (need a person who knows the "
        "customer's history)", lo=0, hi=1,
        source="teaching assumption (vary it)",
    )
    web_fcr_simple: float = param(
        "fraction", "chance self-service resolves a simple issue", lo=0, hi=1,
        source=_GARTNER_RESOLUTION,
    )
    web_fcr_complex: float = param(
        "fraction", "chance self-service resolves a complex issue", lo=0, hi=1,
        source=_GARTNER_RESOLUTION,
    )
    web_cost_per_contact: float = param(
        "EUR/contact", "cost of one self-service contact (hosting, content upkeep)", lo=0,
        source=_GARTNER_COST,
    )
    web_cost_per_cycle: float = param(
        "EUR/cycle", "cost of running the self-service portal, used or not", lo=0,
        source="teaching assumption (vary it)",
    )
    email_fcr: float = param(
        "fraction", "chance an e-mail answer resolves the issue", lo=0, hi=1,
        source="teaching assumption: a written answer without a conversation (vary it)",
    )
    email_cost_per_contact: float = param(
        "EUR/contact", "staff cost of answering one e-mail", lo=0,
        source=_GARTNER_COST,
    )
    email_response_hours: float = param(
        "hours", "mean time to answer an e-mail (exponentially distributed)", lo=0, lo_open=True,
        source=_SUPEROFFICE,
    )
    email_expected_hours: float = param(
        "hours", "e-mail wait a customer takes in stride; waits beyond it hurt satisfaction as a "
        "call's wait beyond the customer's patience does", lo=0, lo_open=True,
        source=_SUPEROFFICE,
    )
    escalation_prob: float = param(
        "probability", "chance an unresolved self-service or e-mail contact is followed by a call "
        "to the centre", lo=0, hi=1,
        source=(
            "Gartner (2019): most customers who do not resolve their issue in self-service go on "
            "to a live channel; the value is a teaching assumption"
        ),
    )
    integration_fcr_boost: float = param(
        "fraction", "first-contact resolution added in every channel by channel integration "
        "(capped at 1)", lo=0, hi=1,
        source=_INTEGRATION,
    )
    integration_cost_per_cycle: float = param(
        "EUR/cycle", "cost of integrating the channels on one customer view", lo=0,
        source=_INTEGRATION,
    )

"""Scenario section for social CRM: word of mouth that travels through social media.

The course counts social CRM and a quick turnaround after complaints among the measures of CRM
success (SOURCE-DIGEST 9 [002]). In the model, a customer who has a notable service experience
may tell it in public: after a contact that left the issue unresolved or was answered slowly,
a complaint post; after a quick resolution that leaves the customer delighted, a praise post.
A post adds to the market's net voice (DESIGN section 3.2) what years of a customer's
ordinary word of mouth would, within about a month, and fades as feeds move on. Praise feeds
the imitation term of acquisition; complaints feed the detractor term that lowers marketing
conversion. So a slow or unresolved complaint costs the firm customers it never meets, which
is why complaint turnaround is a KPI (:func:`sim.analytics.service.turnaround`).

Published anchors, American Express Global Customer Service Barometer (2011, 2012; about 1,000
US consumers each year):

* 17% of consumers used social media at least once in the last year for a service matter;
* consumers tell about 15 people of a good service experience and 24 of a poor one (2012;
  in 2011 twice as many of poor service as of good);
* those who use social media for service tell about 42 people of a good experience, against
  9 for the average consumer of 2011 and 15 of 2012;
* of those who used social media for service, about half did so to praise a company and about
  half to share or vent about an experience.

So a notable service experience is posted by about 5% of customers (17% a year, about half of
them to praise or complain, after one or two notable experiences a year), and a post reaches
about 2.8 times (42/15) as many people as a customer tells by word of mouth, a complaint about
1.6 times (24/15) further still.
"""

from __future__ import annotations

from dataclasses import dataclass

from .fields import Record, param

__all__ = ["Social"]

_AMEX_SHARE = (
    "American Express Global Customer Service Barometer (2012): 17% of US consumers used "
    "social media for a service matter in the last year, about half of them to praise or "
    "complain; about 5% per notable experience is a teaching reading (vary it)"
)
_AMEX_REACH = (
    "American Express Global Customer Service Barometer (2012): social-media users tell about "
    "42 people of good service, against 15 for the average consumer; all consumers tell 24 of "
    "poor service against 15 of good (2011: twice as many), so a complaint post reaches about "
    "1.6 times as far as praise; expressed as years of one customer's word of mouth, the "
    "weights are a teaching reading of these counts (vary them)"
)


@dataclass(frozen=True, kw_only=True)
class Social(Record):
    """Posts about service experiences on social media, and how far they carry.

    Each service contact that ends unresolved, or answered later than :attr:`slow_hours`, leads
    to a complaint post with probability :attr:`posting_share`; each contact resolved within
    the customer's patience that leaves them at :attr:`delight_satisfaction` or above leads to a
    praise post with the same probability. A post's influence is :attr:`complaint_reach` (or
    :attr:`delight_reach`) years of its author's full word of mouth (their segment's
    ``referral``), spread over its life: it adds ``reach x 365 / memory_days x referral`` to the
    market's net voice on the day it is made and fades exponentially with mean life
    :attr:`memory_days`. Setting both reaches to 0 turns
    social media off: no post is drawn and runs are those of a market without it.
    """

    posting_share: float = param(
        "fraction", "chance that a customer posts in public after a slow, unresolved or "
        "delightful service contact", lo=0, hi=1, source=_AMEX_SHARE,
    )
    complaint_reach: float = param(
        "customer-years", "influence of a complaint post: years of a fully dissatisfied "
        "customer's word of mouth", lo=0, hi=100, source=_AMEX_REACH,
    )
    delight_reach: float = param(
        "customer-years", "influence of a praise post: years of a fully satisfied customer's "
        "word of mouth", lo=0, hi=100, source=_AMEX_REACH,
    )
    slow_hours: float = param(
        "hours", "an answer later than this after the request counts as slow", lo=0,
        lo_open=True,
        source=(
            "teaching assumption: a day; customers expect an e-mail answer within an hour and "
            "firms take 12 hours on average (SuperOffice 2018)"
        ),
    )
    delight_satisfaction: float = param(
        "0-1", "satisfaction at or above which a customer served well is delighted", lo=0, hi=1,
        source=(
            "teaching assumption: a satisfied customer (0.7: the classroom's two best segments "
            "at their baseline)"
        ),
    )
    memory_days: float = param(
        "days", "mean life of a post's influence (it fades exponentially)", lo=0, lo_open=True,
        source="teaching assumption: about a month, as a feed moves on (vary it)",
    )

    @property
    def on(self) -> bool:
        """Whether posts carry any weight (else none are drawn)."""
        return self.complaint_reach > 0 or self.delight_reach > 0

"""Scenarios: the market a run simulates, as a frozen, validated record (DESIGN section 8).

A scenario is read from a TOML file (``sim/scenarios/*.toml`` or any path) into a
:class:`Scenario`. Every field has a unit, an allowed range, a one-line meaning and a source
(a citation, or "teaching assumption" where no published figure exists), kept next to the field
below; validation uses them, so an error always says which field, which value and what is
allowed, and ``python -m sim scenarios --fields`` prints the same table with each field's value
in the default ``classroom`` scenario.

Variants are made with :meth:`Scenario.replace`, which re-validates::

    base = Scenario.load("classroom")
    busy = base.replace(market_size=80_000, **{"service.handle_minutes": 25})

Rates are per year and durations in days unless a field says otherwise; money is in euros.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import ScenarioError
from .fields import Record, build, param, set_path, to_plain
from .fields import field_table as _field_table
from .scenario_channels import Channels
from .scenario_files import SCENARIO_DIR, available, read
from .scenario_prices import PRICE_SOURCES, Prices
from .scenario_sales import Sales
from .scenario_social import Social

__all__ = [
    "SCENARIO_DIR",
    "Channels",
    "Collaboration",
    "Competitors",
    "CrossSell",
    "Fairness",
    "Loyalty",
    "MassMarketing",
    "People",
    "Prices",
    "RetentionOffers",
    "Sales",
    "Satisfaction",
    "Scenario",
    "Segment",
    "Service",
    "Social",
    "TargetedMarketing",
    "WinBack",
    "WordOfMouth",
    "available",
    "field_table",
]


# Sources shared by several fields (CALIBRATION.md, SOURCE-DIGEST.md, classroom.toml).
_LABEL = "a label, not a calibrated value"
_CONCENTRATION = (
    "set with the other rate and spend fields so the top 20% bring 60-75% of revenue (Kim, Singh & "
    "Winer 2017; Sharp, Romaniuk & Graham 2019)"
)
_BAD_CUSTOMERS = (
    "teaching assumption: high_maintenance earns less margin than it costs to serve (SOURCE-DIGEST "
    "3 [001]: avoiding bad customers)"
)
_ACQUISITION = (
    "teaching assumption: a CAC of about EUR 80-100; acquisition/retention cost ratios (quoted 3 "
    "to 25) are outcomes to test, not inputs"
)
_SERVICE_EFFECTS = (
    "teaching assumption: set so an hour's wait or an unresolved complaint moves a customer from "
    "satisfied toward neutral (vary it)"
)
_COMPETITION = "teaching assumption: quarterly offer waves (vary it)"
_OFFER_EFFECT = "teaching assumption: no published figure for this offer (vary it)"
_CROSS_SELL = (
    "teaching assumption: cross-/up-sell is a course aim (SOURCE-DIGEST 1, 5); no published effect "
    "size (vary it)"
)
_WIN_BACK = (
    "teaching assumption; Thomas, Blattberg & Fox (2004) find won-back customers return 214% per "
    "acquisition dollar vs 23% for list-acquired ones"
)
_COLLABORATIVE = (
    "teaching assumption: collaborative CRM shares customer knowledge across departments and "
    "partners (SOURCE-DIGEST 5 [000] [001] [004]); no published effect size (vary it)"
)
_PEOPLE = (
    "SOURCE-DIGEST 2 [000] [002]: technology is 20-30% of a CRM project, people ~50%; the value "
    "is a teaching assumption (vary it)"
)
_CHANNEL_PREFERENCE = (
    "Gartner (2019) consumer survey: phone 44%, chat 17%, e-mail 15%, company website 12% as the "
    "preferred channel; segments differ around it (teaching assumption)"
)
_FAIRNESS = (
    "SOURCE-DIGEST 7 [004]: a neglected loyal customer becomes an opponent; the size is a teaching "
    "assumption (vary it)"
)


@dataclass(frozen=True, kw_only=True)
class Segment(Record):
    """A group of customers who behave alike ("select customers": segmentation).

    Within a segment customers still differ: purchase rates are gamma distributed, mean spend
    lognormal, churn hazards gamma distributed, so revenue concentration and rising retention
    with tenure emerge instead of being imposed.
    """

    name: str = param("", "segment name, unique in the scenario", source=_LABEL)
    share: float = param(
        "fraction", "share of the market's prospects in this segment", lo=0, hi=1,
        source="teaching assumption: the classroom market's segment mix (vary it)",
    )
    purchase_rate: float = param(
        "purchases/year", "mean purchase rate of a customer", lo=0, hi=365, lo_open=True,
        source=_CONCENTRATION,
    )
    rate_shape: float = param(
        "dimensionless", "gamma shape of individual purchase rates (smaller = more unequal)",
        lo=0.05, hi=100,
        source=_CONCENTRATION,
    )
    spend_mean: float = param(
        "EUR/purchase", "mean amount of one purchase", lo=0, lo_open=True,
        source=_CONCENTRATION,
    )
    spend_sigma: float = param(
        "dimensionless", "lognormal sigma of customers' mean spend", lo=0, hi=3,
        source=_CONCENTRATION,
    )
    spend_cv: float = param(
        "dimensionless", "coefficient of variation of one purchase around its mean", lo=0, hi=3,
        source="teaching assumption: purchases vary around a customer's mean (vary it)",
    )
    margin: float = param(
        "fraction", "gross margin as a share of revenue", lo=0, hi=1,
        source=_BAD_CUSTOMERS,
    )
    cost_per_purchase: float = param(
        "EUR/purchase", "cost to serve one purchase", lo=0,
        source=_BAD_CUSTOMERS,
    )
    annual_churn: float = param(
        "probability/year", "chance an average customer at baseline satisfaction leaves within a "
        "year", lo=0, hi=1, hi_open=True,
        source=(
            "Thomas, Blattberg & Fox (2004): 22-30% annual defection (ISP, long distance, mobile); "
            "segments range 10-35% around it"
        ),
    )
    churn_shape: float = param(
        "dimensionless", "gamma shape of individual churn hazards (smaller = more unequal)",
        lo=0.05, hi=100,
        source=(
            "Fader & Hardie (shifted-beta-geometric): individual hazards make retention rise with "
            "tenure; the shape is a teaching assumption"
        ),
    )
    complaint_prob: float = param(
        "probability/purchase", "chance a purchase leads to a service request", lo=0, hi=1,
        source="teaching assumption: high_maintenance complains most (vary it)",
    )
    satisfaction: float = param(
        "0-1", "baseline that satisfaction drifts back to", lo=0, hi=1,
        source="teaching assumption (vary it)",
    )
    service_sensitivity: float = param(
        "dimensionless", "how strongly service outcomes move satisfaction", lo=0, hi=10,
        source="teaching assumption: valuable customers expect good service (vary it)",
    )
    price_sensitivity: float = param(
        "dimensionless", "how strongly competitor offers raise churn", lo=0, hi=10,
        source=(
            "teaching assumption; loyal customers are less price-sensitive (SOURCE-DIGEST 7 [001])"
        ),
    )
    marketing_response: float = param(
        "dimensionless", "multiplier on marketing conversion", lo=0, hi=20,
        source="teaching assumption: bargain hunters respond most (vary it)",
    )
    referral: float = param(
        "dimensionless", "word-of-mouth weight of one customer's voice", lo=0, hi=20,
        source="teaching assumption; loyal customers bring new customers (SOURCE-DIGEST 7 [001])",
    )
    patience_minutes: float = param(
        "minutes", "wait a customer tolerates before satisfaction suffers", lo=0, lo_open=True,
        source="teaching assumption (vary it)",
    )
    web_preference: float = param(
        "fraction", "share of service requests sent through web self-service when the firm "
        "offers it (the rest call, or write if e-mail is offered)", lo=0, hi=1,
        source=_CHANNEL_PREFERENCE,
    )
    email_preference: float = param(
        "fraction", "share of service requests sent by e-mail when the firm offers it",
        lo=0, hi=1,
        source=_CHANNEL_PREFERENCE,
    )
    price_elasticity: float = param(
        "dimensionless", "how purchases respond to price: a customer paying the price index p "
        "buys at p ** -price_elasticity times the usual rate", lo=0, hi=10,
        source=PRICE_SOURCES,
    )

    def __post_init__(self):
        super().__post_init__()
        both = self.web_preference + self.email_preference
        if both > 1.0 + 1e-9:
            raise ScenarioError(
                f"= {self.email_preference:g}: web_preference + email_preference must be at most "
                f"1, got {both:g}", field="email_preference")


@dataclass(frozen=True, kw_only=True)
class MassMarketing(Record):
    """Mass marketing: broad and cheap per contact, converts poorly, cannot choose segments."""

    cost_per_contact: float = param(
        "EUR/contact", "cost of one contact", lo=0, lo_open=True,
        source=_ACQUISITION,
    )
    conversion: float = param(
        "probability/contact", "chance a reached prospect becomes a customer", lo=0, hi=1,
        source=_ACQUISITION,
    )


@dataclass(frozen=True, kw_only=True)
class TargetedMarketing(Record):
    """Targeted (database) marketing: reaches chosen segments' prospects, converts better."""

    cost_per_contact: float = param(
        "EUR/contact", "cost of one contact", lo=0, lo_open=True,
        source=(
            "teaching assumption: targeted rather than mass advertising costs more a contact and "
            "converts better (SOURCE-DIGEST 7 [004])"
        ),
    )
    conversion: float = param(
        "probability/contact", "chance a reached prospect becomes a customer", lo=0, hi=1,
        source=(
            "teaching assumption: targeted rather than mass advertising costs more a contact and "
            "converts better (SOURCE-DIGEST 7 [004])"
        ),
    )
    data_cost_per_cycle: float = param(
        "EUR/cycle", "cost of the prospect database in a cycle it is used", lo=0,
        source="teaching assumption (vary it)",
    )


@dataclass(frozen=True, kw_only=True)
class WordOfMouth(Record):
    """Bass-style diffusion: spontaneous adoption plus imitation driven by customers' voice."""

    innovation: float = param(
        "1/year", "spontaneous adoption rate of a prospect (Bass p)", lo=0, hi=10,
        source="Sultan, Farley & Lehmann (1990): Bass p about 0.03/yr, often below 0.01",
    )
    imitation: float = param(
        "1/year", "adoption rate per unit of net positive voice share (Bass q)", lo=0, hi=20,
        source="Sultan, Farley & Lehmann (1990): Bass q about 0.38/yr, typically 0.3-0.5",
    )
    detractor_effect: float = param(
        "dimensionless", "how much unhappy customers' voice lowers marketing conversion",
        lo=0, hi=20,
        source=(
            "teaching assumption: unhappy customers speak against the firm (SOURCE-DIGEST 7 "
            "[004]); no published size (vary it)"
        ),
    )


@dataclass(frozen=True, kw_only=True)
class Service(Record):
    """The service centre: a queue with ``agents`` servers (a ``simpy.Resource``)."""

    queue: str = param(
        "", "simpy: a SimPy process per request; batched: the exact FIFO recursion, same waits, "
        "far faster for large markets", choices=("simpy", "batched"),
        source="implementation choice, not a calibrated value: both give the same waits",
    )
    open_hours: float = param(
        "hours/day", "hours a day requests arrive (staffed agents work on through the "
        "backlog after closing, so waits are shorter than Erlang C at the daytime rate)",
        lo=0, hi=24, lo_open=True,
        source="teaching assumption: an 8-hour day",
    )
    handle_minutes: float = param(
        "minutes", "mean handling time of a request", lo=0, lo_open=True,
        source="teaching assumption: complaint handling including follow-up work (vary it)",
    )
    handle_distribution: str = param(
        "", "distribution of handling times", choices=("exponential", "lognormal"),
        source=(
            "Erlang C (M/M/c) assumes exponential handling; non-exponential handling moves real "
            "centres away from it"
        ),
    )
    handle_cv: float = param(
        "dimensionless", "coefficient of variation of lognormal handling times", lo=0, hi=5,
        source=(
            "teaching assumption; used only with lognormal handling (1 matches the exponential's "
            "spread)"
        ),
    )
    fcr: float = param(
        "fraction", "first-contact resolution without a CRM system", lo=0, hi=1,
        source=(
            "teaching assumption: a CRM system's one customer view raises first-contact resolution "
            "(vary it)"
        ),
    )
    crm_system_fcr: float = param(
        "fraction", "first-contact resolution with a CRM system fully adopted (below "
        "service.fcr it adds nothing)", lo=0, hi=1,
        source=(
            "teaching assumption: a CRM system's one customer view raises first-contact resolution "
            "(vary it)"
        ),
    )
    crm_system_cost_per_cycle: float = param(
        "EUR/cycle", "cost of the CRM system", lo=0,
        source="teaching assumption (vary it)",
    )
    agent_cost_per_day: float = param(
        "EUR/day", "cost of one agent for one day", lo=0,
        source="teaching assumption: loaded cost of one agent-day",
    )
    max_agents: int = param(
        "agents", "most agents the centre can seat", lo=1, hi=10_000,
        source="teaching assumption: seats in the centre",
    )
    wait_target_minutes: float = param(
        "minutes", "service-level target: answer within this wait", lo=0, lo_open=True,
        source="call-centre convention: 80% of calls answered within 20 seconds",
    )
    service_level_target: float = param(
        "fraction", "share of requests to answer within the target wait", lo=0, hi=1,
        source="call-centre convention: 80% of calls answered within 20 seconds",
    )
    recontact_prob: float = param(
        "probability", "chance an unresolved request comes back as a new contact", lo=0, hi=1,
        source="teaching assumption (vary it)",
    )
    recontact_days: float = param(
        "days", "delay before an unresolved request comes back", lo=0, lo_open=True,
        source="teaching assumption (vary it)",
    )


@dataclass(frozen=True, kw_only=True)
class Satisfaction(Record):
    """How satisfaction moves and how it moves the churn hazard."""

    recovery_days: float = param(
        "days", "time constant of the drift back to baseline", lo=0, lo_open=True,
        source="teaching assumption (vary it)",
    )
    churn_effect: float = param(
        "dimensionless", "hazard multiplier exp(effect x (baseline - satisfaction))", lo=0, hi=50,
        source=(
            "teaching assumption: 0.2 below baseline satisfaction multiplies the hazard by 2.2 "
            "(vary it)"
        ),
    )
    wait_penalty: float = param(
        "0-1", "satisfaction lost per unit of log(1 + wait / patience)", lo=0, hi=1,
        source=_SERVICE_EFFECTS,
    )
    unresolved_penalty: float = param(
        "0-1", "satisfaction lost when not resolved", lo=0, hi=1,
        source=_SERVICE_EFFECTS,
    )
    resolved_bonus: float = param(
        "0-1", "satisfaction gained when resolved", lo=0, hi=1,
        source=_SERVICE_EFFECTS,
    )


@dataclass(frozen=True, kw_only=True)
class Competitors(Record):
    """Competitor offer waves that raise the churn hazard of the customers they reach."""

    waves_per_year: float = param(
        "1/year", "rate of competitor offer waves", lo=0, hi=365,
        source=_COMPETITION,
    )
    reach: float = param(
        "fraction", "share of active customers one wave reaches", lo=0, hi=1,
        source=_COMPETITION,
    )
    pressure: float = param(
        "dimensionless", "hazard increase of a reached, fully price-sensitive customer",
        lo=0, hi=100,
        source=_COMPETITION,
    )
    decay_days: float = param(
        "days", "time constant of the pressure's decay", lo=0, lo_open=True,
        source=_COMPETITION,
    )


@dataclass(frozen=True, kw_only=True)
class RetentionOffers(Record):
    """Retention offers to chosen customers (a discount or gift): a hazard reduction for a
    period if accepted. Offers to customers who would have stayed anyway are waste."""

    contact_cost: float = param(
        "EUR/offer", "cost of making one offer (accepted or not)", lo=0,
        source="teaching assumption: a mailing or call (vary it)",
    )
    incentive_cost: float = param(
        "EUR/offer", "cost of the incentive when accepted", lo=0,
        source="teaching assumption: a discount or gift worth several purchases' margin (vary it)",
    )
    acceptance: float = param(
        "probability", "chance a customer accepts an offer", lo=0, hi=1,
        source=(
            "teaching assumption: most customers take a free gift, including those who would have "
            "stayed anyway (vary it)"
        ),
    )
    hazard_reduction: float = param(
        "fraction", "churn hazard cut while an accepted offer runs", lo=0, hi=1,
        source=_OFFER_EFFECT,
    )
    duration_days: float = param(
        "days", "how long an accepted offer keeps working", lo=0, lo_open=True,
        source=_OFFER_EFFECT,
    )
    satisfaction_boost: float = param(
        "0-1", "satisfaction gained on accepting", lo=0, hi=1,
        source=_OFFER_EFFECT,
    )


@dataclass(frozen=True, kw_only=True)
class Loyalty(Record):
    """A loyalty programme: points on every purchase, tiers by spend, modest effects."""

    fixed_cost_per_cycle: float = param(
        "EUR/cycle", "cost of running the programme", lo=0,
        source=(
            "teaching assumption; a programme whose reward cost exceeds its incremental margin is "
            "a common outcome (Sharp & Sharp 1997; Liu 2007)"
        ),
    )
    reward_rate: float = param(
        "fraction", "rewards issued as a share of members' revenue", lo=0, hi=1,
        source="industry practice: rewards of 1-5% of revenue (commonly quoted, no study cited)",
    )
    breakage: float = param(
        "fraction", "share of issued rewards never redeemed", lo=0, hi=1,
        source="industry estimates of breakage 20-30% (commonly quoted, no study cited)",
    )
    hazard_reduction: float = param(
        "fraction", "churn hazard cut for a top-tier member (a third of it for the base tier, two "
        "thirds for the middle tier)", lo=0, hi=1,
        source=(
            "Sharp & Sharp (1997): only 2 of 6 programme brands showed substantial excess loyalty, "
            "so modest; the size is a teaching assumption"
        ),
    )
    price_sensitivity_reduction: float = param(
        "fraction", "cut in members' sensitivity to competitor offers", lo=0, hi=1,
        source=(
            "loyal customers are less price-sensitive (SOURCE-DIGEST 7 [001]); modest (Sharp & "
            "Sharp 1997); the size is a teaching assumption"
        ),
    )
    rate_lift: float = param(
        "fraction", "purchase-rate increase of light and moderate buyers (personal rate below the "
        "segment mean); heavy buyers do not change", lo=0, hi=5,
        source=(
            "Liu (2007): light and moderate buyers buy more, heavy buyers do not change; the size "
            "is a teaching assumption"
        ),
    )
    silver_spend: float = param(
        "EUR", "spend as a member that reaches the middle tier", lo=0,
        source="teaching assumption: tiers by spend (vary it)",
    )
    gold_spend: float = param(
        "EUR", "spend as a member that reaches the top tier", lo=0,
        source="teaching assumption: tiers by spend (vary it)",
    )


@dataclass(frozen=True, kw_only=True)
class CrossSell(Record):
    """Cross- and up-sell campaigns: another product for customers it fits, annoyance for
    those it does not. Fit is latent and higher for customers who buy more often than their
    segment."""

    contact_cost: float = param(
        "EUR/contact", "cost of one campaign contact", lo=0,
        source=_CROSS_SELL,
    )
    acceptance: float = param(
        "probability", "chance a customer with a perfect fit takes the product", lo=0, hi=1,
        source=_CROSS_SELL,
    )
    fit_slope: float = param(
        "dimensionless", "how strongly fit rises with a customer's purchase rate relative to "
        "the segment", lo=0, hi=10,
        source=_CROSS_SELL,
    )
    rate_lift: float = param(
        "fraction", "purchase-rate increase per product added", lo=0, hi=5,
        source=_CROSS_SELL,
    )
    spend_lift: float = param(
        "fraction", "spend-per-purchase increase per product added", lo=0, hi=5,
        source=_CROSS_SELL,
    )
    max_products: int = param(
        "products", "most products a customer can hold", lo=1, hi=100,
        source=_CROSS_SELL,
    )
    annoyance_prob: float = param(
        "probability", "chance a declined contact annoys (times 1 - fit)", lo=0, hi=1,
        source=_CROSS_SELL,
    )
    annoyance_penalty: float = param(
        "0-1", "satisfaction lost when annoyed", lo=0, hi=1,
        source=_CROSS_SELL,
    )


@dataclass(frozen=True, kw_only=True)
class WinBack(Record):
    """Win-back campaigns on lost customers: success decays with time since the loss; a
    won-back customer starts a second life."""

    contact_cost: float = param(
        "EUR/contact", "cost of one win-back contact", lo=0,
        source=_WIN_BACK,
    )
    incentive_cost: float = param(
        "EUR/customer", "incentive paid to a won-back customer", lo=0,
        source=_WIN_BACK,
    )
    success: float = param(
        "probability", "chance of winning back a customer just lost", lo=0, hi=1,
        source=_WIN_BACK,
    )
    decay_days: float = param(
        "days", "time constant of the decay of that chance", lo=0, lo_open=True,
        source="teaching assumption: the chance decays with time since the loss (vary it)",
    )


@dataclass(frozen=True, kw_only=True)
class Collaboration(Record):
    """Collaborative CRM: customer knowledge shared across departments and partners."""

    cost_per_cycle: float = param(
        "EUR/cycle", "cost of sharing (systems, partner programme)", lo=0,
        source=_COLLABORATIVE,
    )
    fcr_boost: float = param(
        "fraction", "first-contact resolution added (capped at 1)", lo=0, hi=1,
        source=_COLLABORATIVE,
    )
    fit_boost: float = param(
        "fraction", "relative increase in offer acceptance from better personalisation", lo=0, hi=5,
        source=_COLLABORATIVE,
    )
    partner_referrals: float = param(
        "customers/year per 1,000 customers", "new customers partners bring", lo=0, hi=10_000,
        source=_COLLABORATIVE,
    )


@dataclass(frozen=True, kw_only=True)
class People(Record):
    """People and technology: the CRM system works through the employees who use it."""

    initial_adoption: float = param(
        "fraction", "share of employees using the CRM system at the start", lo=0, hi=1,
        source=_PEOPLE,
    )
    training_scale: float = param(
        "EUR/cycle", "training spend that closes 63% of the adoption gap in one cycle", lo=0,
        lo_open=True,
        source=_PEOPLE,
    )
    adoption_decay: float = param(
        "fraction/cycle", "adoption lost in a cycle without training", lo=0, hi=1,
        source=_PEOPLE,
    )


@dataclass(frozen=True, kw_only=True)
class Fairness(Record):
    """Welcome deals for newcomers, and how loyal customers take a deal they do not get."""

    welcome_response: float = param(
        "dimensionless", "marketing conversion multiplier per unit of welcome discount (1 + r x d)",
        lo=0, hi=50,
        source="teaching assumption: a 20% welcome discount lifts conversion by 40% (vary it)",
    )
    tolerance: float = param(
        "fraction", "gap between the newcomers' discount and loyal customers' benefit that goes "
        "unnoticed", lo=0, hi=1,
        source=_FAIRNESS,
    )
    penalty: float = param(
        "0-1 per cycle", "satisfaction a loyal customer loses each cycle per unit of gap beyond "
        "the tolerance", lo=0, hi=10,
        source=_FAIRNESS,
    )
    loyal_tenure_days: float = param(
        "days", "tenure from which a customer counts as loyal", lo=0,
        source="teaching assumption: a customer of a year counts as loyal (vary it)",
    )


@dataclass(frozen=True, kw_only=True)
class Scenario(Record):
    """A complete, validated market: who the prospects are, what things cost, how people react.

    Frozen and keyword-only; make variants with :meth:`replace`. Load with :meth:`load`.
    """

    name: str = param("", "short name", source=_LABEL)
    description: str = param("", "one-line description", source=_LABEL)
    sources: str = param(
        "", "where the values come from (citations)",
        source="the citations themselves",
    )
    horizon_days: int = param(
        "days", "length of a run", lo=1, hi=36_500,
        source="teaching assumption: 3 years, long enough for retention curves and lifetime values",
    )
    cycle_days: int = param(
        "days", "length of one CRM cycle (the strategy decides once)", lo=1,
        source="teaching assumption: the strategy decides once a month",
    )
    market_size: int = param(
        "people", "prospects and customers in the market", lo=1, hi=50_000_000,
        source="teaching assumption: a mid-sized market that runs in seconds (vary it)",
    )
    initial_customers: int = param(
        "people", "customers the firm has on day 0", lo=0,
        source="teaching assumption: 10% penetration on day 0",
    )
    budget_per_cycle: float = param(
        "EUR/cycle", "most the strategy may spend on levers", lo=0,
        source=(
            "teaching assumption: enough for agents, a CRM system and some levers, not all "
            "(vary it)"
        ),
    )
    annual_discount_rate: float = param(
        "1/year", "discount rate for lifetime values", lo=0, hi=1,
        source="teaching assumption: a typical cost of capital",
    )
    segments: tuple[Segment, ...] = param("", "the market's segments (at least one)")
    mass: MassMarketing = param("", "mass marketing channel")
    targeted: TargetedMarketing = param("", "targeted marketing channel")
    word_of_mouth: WordOfMouth = param("", "word of mouth")
    service: Service = param("", "service centre")
    channels: Channels = param("", "web self-service and e-mail, besides the service centre")
    prices: Prices = param("", "how prices move churn")
    sales: Sales = param("", "sales channels: reps with territories, telemarketing, e-mail "
                         "campaigns, a web shop")
    social: Social = param("", "word of mouth through social media (social CRM)")
    satisfaction: Satisfaction = param("", "satisfaction dynamics")
    competitors: Competitors = param("", "competitor offers")
    retention: RetentionOffers = param("", "retention offers")
    loyalty: Loyalty = param("", "loyalty programme")
    cross_sell: CrossSell = param("", "cross- and up-sell campaigns")
    winback: WinBack = param("", "win-back campaigns")
    collaboration: Collaboration = param("", "collaborative CRM")
    people: People = param("", "employee adoption of the CRM system")
    fairness: Fairness = param("", "welcome deals and the neglected loyal customer")

    def __post_init__(self):
        super().__post_init__()  # each scalar field's type and range
        if not self.segments:
            raise ScenarioError("needs at least one segment", field="segments")
        names = [s.name for s in self.segments]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ScenarioError(f"segment names must be unique, repeated: {dupes}",
                                field="segments")
        total = math.fsum(s.share for s in self.segments)
        if abs(total - 1.0) > 1e-6:
            raise ScenarioError(
                f"shares add up to {total:g}; they must add up to 1", field="segments.share"
            )
        if self.initial_customers > self.market_size:
            raise ScenarioError(
                f"= {self.initial_customers}: must be at most market_size ({self.market_size})",
                field="initial_customers",
            )
        one_agent = self.service.agent_cost_per_day * self.cycle_days
        if self.budget_per_cycle < one_agent:
            raise ScenarioError(
                f"= {self.budget_per_cycle:g}: must be at least the cost of one agent for a "
                f"cycle, {one_agent:g} EUR (service.agent_cost_per_day x cycle_days)",
                field="budget_per_cycle",
            )
        if self.loyalty.gold_spend < self.loyalty.silver_spend:
            raise ScenarioError(
                f"= {self.loyalty.gold_spend:g}: must be at least loyalty.silver_spend "
                f"({self.loyalty.silver_spend:g})", field="loyalty.gold_spend",
            )
        if self.cycle_days > self.horizon_days:
            raise ScenarioError(
                f"= {self.cycle_days}: must be at most horizon_days ({self.horizon_days})",
                field="cycle_days",
            )

    # -- construction ---------------------------------------------------------------------------
    @classmethod
    def from_dict(cls, data: dict, *, source: str | None = None) -> Scenario:
        """Build and validate a scenario from a nested dict (the shape of a TOML file)."""
        try:
            return build(cls, data, "")
        except ScenarioError as err:
            raise (err.with_source(source) if source else err) from None

    @classmethod
    def load(cls, name_or_path: str | Path = "classroom") -> Scenario:
        """Load a shipped scenario by name (see :func:`available`) or a TOML file by path.

        A file may start with ``extends = "classroom"`` (a shipped name or a path relative to
        the file) and give only the fields it changes; a ``segments`` list replaces the base's
        list whole.
        """
        data, source = read(name_or_path, seen=())
        return cls.from_dict(data, source=source)

    def to_dict(self) -> dict:
        """The scenario as a nested dict of plain values (TOML-shaped)."""
        return to_plain(self)

    def replace(self, **changes: Any) -> Scenario:
        """A validated copy with some fields changed.

        Top-level fields by name (``market_size=80_000``); nested fields by a dotted or
        double-underscore path (``**{"service.fcr": 0.8}`` or ``service__fcr=0.8``); a segment's
        field by its name (``**{"segments.regulars.share": 0.3}``). The original is unchanged.
        """
        data = self.to_dict()
        for key, value in changes.items():
            set_path(data, key.replace("__", ".").split("."), value, key)
        return type(self).from_dict(data)

    def scaled(self, factor: float) -> Scenario:
        """The same market ``factor`` times as large, for research at scale.

        Multiplies what counts people and the means to serve them: ``market_size``,
        ``initial_customers`` (rounded to whole people), ``budget_per_cycle`` and
        ``service.max_agents`` (rounded up, at most the field's limit). Everything per person,
        per contact or per agent stays (segments, prices, rates), so each customer behaves as
        before; fixed costs per cycle (CRM system, data, programmes) stay too, so a larger firm
        finds them relatively cheaper, as it would. A strategy's own spends (a preset's
        ``mass_spend``) are the strategy's to scale.

        Parameters
        ----------
        factor : float
            Scale, > 0 (200 turns the classroom's 5,000 customers into 1,000,000).

        Returns
        -------
        Scenario
            A validated copy; its ``name`` says ``x<factor>``.

        Examples
        --------
        >>> Scenario.load("classroom").scaled(20).initial_customers
        100000
        """
        if not (isinstance(factor, (int, float)) and math.isfinite(factor) and factor > 0):
            raise ScenarioError(f"= {factor!r}: must be a number > 0", field="factor")
        service_limit = next(f.metadata["hi"] for f in dataclasses.fields(Service)
                             if f.name == "max_agents")
        return self.replace(
            name=f"{self.name} x{factor:g}",
            market_size=max(1, round(self.market_size * factor)),
            initial_customers=round(self.initial_customers * factor),
            budget_per_cycle=self.budget_per_cycle * factor,
            **{"service.max_agents": min(service_limit,
                                         max(1, math.ceil(self.service.max_agents * factor)))},
        )

    def segment(self, name: str) -> Segment:
        """The segment called ``name``."""
        for seg in self.segments:
            if seg.name == name:
                return seg
        raise ScenarioError(
            f"no segment {name!r}; segments are {[s.name for s in self.segments]}",
            field="segments",
        )

    @property
    def segment_names(self) -> tuple[str, ...]:
        """Names of the segments, in order."""
        return tuple(s.name for s in self.segments)




def field_table(defaults: Scenario | None = None) -> list[dict]:
    """Every scenario field, for docs and the CLI: one dict per field with ``field`` (dotted
    path, ``segments[].`` for a segment's fields), ``unit``, ``allowed``, ``meaning``,
    ``source`` (where the value or its range comes from) and ``default``: its value in
    ``defaults``, the shipped classroom scenario unless given (every segment's value, by name,
    for a segment's field; long text shortened)."""
    example = Scenario.load("classroom") if defaults is None else defaults
    return _field_table(Scenario, example)

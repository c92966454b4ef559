"""The textbook model: one SimPy process per customer (DESIGN section 9).

This is the classic way to write a customer-base simulation, and the easiest to read. It
simulates only the *shared core* of CRM Lab, the part that does not depend on satisfaction,
word of mouth or competitors:

**The market.** ``market_size`` people. Each person belongs to a segment (drawn with the
segments' shares) and has their own, fixed habits, drawn once when the market is created:

* a purchase rate per day: the segment's ``purchase_rate / 365`` times a Gamma(k, 1/k) factor
  with ``k = rate_shape`` (mean 1, so the segment mean holds, but people differ);
* a mean spend per purchase: ``spend_mean`` times a lognormal factor with mean 1 and log-scale
  spread ``spend_sigma``;
* a churn hazard per day: ``-ln(1 - annual_churn) / 365`` times a Gamma(k, 1/k) factor with
  ``k = churn_shape``.

``initial_customers`` people, chosen at random, are customers on day 0; everybody else is a
*prospect*. A customer who leaves is *lost* for good (never a prospect again).

**A customer is a process.** Two exponential clocks race: the next purchase (rate = the
person's purchase rate) and leaving (rate = the churn hazard). Because exponential clocks are
memoryless, the leaving time can be drawn once, when the customer arrives, and purchases drawn
one gap at a time until the next one would come after it. Each purchase costs the customer an
amount drawn from a Gamma distribution with the person's mean spend and coefficient of
variation ``spend_cv``; with probability ``complaint_prob`` it also starts a service request.

**The service centre** is a ``simpy.Resource`` with ``agents`` servers. Each service request is
its own process: it asks for an agent, waits in line (first come, first served), is handled for
a random time (``service.handle_minutes`` on average, exponential or lognormal) and releases
the agent.

**Acquisition.** Two processes bring prospects in:

* *spontaneous adoption* (Bass's innovation term): every prospect adopts on their own at rate
  ``word_of_mouth.innovation / 365`` per day;
* *mass marketing*: the budget buys ``mass_spend / cost_per_contact`` contacts a CRM cycle,
  spread evenly over its days, each landing on a random member of the whole market; a prospect
  who is reached becomes a customer with probability ``mass.conversion`` times their segment's
  ``marketing_response``.

A new customer buys once on the spot and then becomes a customer process like any other.

Time is measured in days (waits are reported in minutes). :func:`run_reference` runs the model
to ``horizon_days`` and returns a few key counts; :func:`engine_kpis` computes the same counts
from a run of the fast engine (:func:`sim.run`), which keeps the customers as numpy columns
instead of processes. Both must agree statistically (``tests/test_reference.py``), and
``benchmarks/run.py`` times one against the other.

Randomness comes from the run's named streams (:class:`sim.rng.Streams`), never from global
state: a seed gives the same run every time.
"""

from __future__ import annotations

import math

import numpy as np
import simpy

from .actions import Actions
from .engine.service import MINUTES_PER_DAY, handle_sampler
from .rng import Streams

__all__ = ["KPI_KEYS", "ReferenceModel", "core_scenario", "engine_kpis", "fixed_strategy",
           "run_reference"]


#: The shared KPIs, in a fixed order (see :func:`run_reference` for their meaning).
KPI_KEYS = ("acquired", "lost", "active_end", "purchases", "revenue", "requests",
            "mean_wait_minutes")

#: The scenario values that switch off everything outside the shared core.
CORE = {
    "satisfaction.churn_effect": 0.0,  # the churn hazard no longer depends on satisfaction
    "word_of_mouth.imitation": 0.0,  # no referrals driven by customers' voice
    "word_of_mouth.detractor_effect": 0.0,  # unhappy customers do not hurt conversion
    "social.posting_share": 0.0,  # nobody posts about service on social media
    "competitors.waves_per_year": 0.0,  # no competitor offers
    "service.recontact_prob": 0.0,  # every request is one contact
    "service.open_hours": 24.0,  # requests arrive around the clock, when purchases happen
}

# Where a person stands with the firm.
PROSPECT, CUSTOMER, LOST = "prospect", "customer", "lost"


def core_scenario(scenario):
    """The scenario restricted to the core that the reference model and the engine share.

    Parameters
    ----------
    scenario : Scenario
        Any scenario.

    Returns
    -------
    Scenario
        A validated copy with the fields of :data:`CORE` set: no satisfaction effect on churn,
        no word of mouth beyond spontaneous adoption (none on social media either), no
        competitors, no recontacts, a service centre open 24 hours a day.
    """
    return scenario.replace(**CORE)


def _core_violations(scenario) -> list[str]:
    """The fields of ``scenario`` that differ from the core, as ``"field = value"`` texts."""
    out = []
    for key, wanted in CORE.items():
        group, name = key.split(".")
        value = getattr(getattr(scenario, group), name)
        if value != wanted:
            out.append(f"{key} = {value!r} (core: {wanted!r})")
    return out


def fixed_strategy(agents: int, mass_spend: float):
    """A strategy that does the same thing every cycle, to run the engine on the shared core.

    Parameters
    ----------
    agents : int
        Service-centre agents staffed every cycle.
    mass_spend : float
        Mass-marketing spend every cycle, EUR per cycle.

    Returns
    -------
    callable
        ``strategy(view) -> sim.Actions``, named ``"fixed(agents=..., mass_spend=...)"``.
    """
    actions = Actions(mass_spend=mass_spend, agents=agents)

    def strategy(view) -> Actions:
        return actions

    strategy.__name__ = strategy.__qualname__ = f"fixed(agents={agents}, mass_spend={mass_spend:g})"
    strategy.reads_customers = False  # it reads nothing at all
    return strategy


class ReferenceModel:
    """The shared core with one SimPy process per customer (see the module docstring).

    Parameters
    ----------
    scenario : Scenario
        A core scenario (:func:`core_scenario`).
    agents : int
        Service-centre agents, constant over the run.
    mass_spend : float
        Mass-marketing spend per CRM cycle, EUR, constant over the run.
    seed : int
        Non-negative seed of the run's random streams.

    Attributes
    ----------
    env : simpy.Environment
        The simulation clock and event queue; time unit: days.
    agents : simpy.Resource
        The service centre's agents.
    status : list of str
        Each person's standing: ``"prospect"``, ``"customer"`` or ``"lost"``.
    """

    def __init__(self, scenario, *, agents: int, mass_spend: float, seed: int):
        bad = _core_violations(scenario)
        if bad:
            raise ValueError(
                "the reference model simulates only the shared core, but this scenario has "
                + "; ".join(bad) + ". Pass core_scenario(scenario) instead."
            )
        # The same checks (agents in range, plan within the cycle budget) as the engine makes.
        Actions(mass_spend=mass_spend, agents=agents).validated(scenario)
        self.sc = scenario
        self.mass_spend = float(mass_spend)
        streams = Streams(seed)
        # Scalar draws inside processes come from Python's random.Random (cheap one at a time),
        # one generator per random process so that each has its own independent stream.
        self.rand_acquisition = streams.scalar("acquisition")
        self.rand_purchases = streams.scalar("purchases")
        self.rand_spend = streams.scalar("spend")
        self.rand_service = streams.scalar("service")
        self.rand_churn = streams.scalar("churn")
        self._create_market(streams.numpy("market"))

        self.env = simpy.Environment()
        self.agents = simpy.Resource(self.env, capacity=agents)
        srv = scenario.service
        self._handle_time = handle_sampler(streams.numpy("handling"), srv.handle_minutes,
                                           srv.handle_distribution, srv.handle_cv)

        # The running totals that become the KPIs.
        self.acquired = self.lost = self.purchases = self.requests = 0
        self.revenue = 0.0
        self.waits: list[float] = []  # minutes, one per request that reached an agent

    def _create_market(self, rng: np.random.Generator) -> None:
        """Draw every person's segment and habits at once (vectorised), then keep plain lists
        because the processes read one person at a time."""
        segs = self.sc.segments
        n = self.sc.market_size
        shares = np.array([s.share for s in segs])
        segment = rng.choice(len(segs), size=n, p=shares / shares.sum())

        def per_person(attribute: str) -> np.ndarray:
            return np.array([getattr(s, attribute) for s in segs])[segment]

        rate_shape, churn_shape = per_person("rate_shape"), per_person("churn_shape")
        sigma = per_person("spend_sigma")
        # Gamma(k, 1/k) factors have mean 1 and a lognormal with mu = -sigma^2/2 too, so each
        # segment keeps its stated mean purchase rate, spend and churn.
        rate = per_person("purchase_rate") / 365.0 * rng.gamma(rate_shape, 1.0 / rate_shape)
        spend = per_person("spend_mean") * np.exp(rng.normal(-0.5 * sigma**2, sigma))
        # A constant hazard h keeps a customer for a year with probability exp(-365 h).
        hazard = (-np.log1p(-per_person("annual_churn")) / 365.0
                  * rng.gamma(churn_shape, 1.0 / churn_shape))
        initial = rng.choice(n, size=self.sc.initial_customers, replace=False)
        # Day-0 customers have already stayed T days (up to three years), so their hazard is the
        # gamma posterior given that survival, Gamma(k, rate k + h T), as in the engine.
        tenure = rng.integers(1, 3 * 365 + 1, size=initial.size)
        base = -np.log1p(-per_person("annual_churn")[initial]) / 365.0
        k = churn_shape[initial]
        hazard[initial] = base * rng.gamma(k, 1.0 / (k + base * tenure))

        self.segment = [segs[k] for k in segment.tolist()]  # each person's Segment record
        self.rate = rate.tolist()  # purchases per day
        self.spend = spend.tolist()  # EUR per purchase, on average
        self.hazard = hazard.tolist()  # churn hazard per day
        self.status = [PROSPECT] * n
        self.initial = sorted(initial.tolist())
        for person in self.initial:
            self.status[person] = CUSTOMER

    # -- the processes ----------------------------------------------------------------------------
    def customer(self, person: int):
        """One customer's life: purchases until the churn clock rings, then lost for good."""
        env = self.env
        rate, hazard = self.rate[person], self.hazard[person]
        # Memoryless clocks: drawing the moment of leaving once, now, is as exact as racing
        # the two clocks anew after every purchase.
        leaves = (env.now + self.rand_churn.expovariate(hazard)) if hazard > 0 else math.inf
        while True:
            gap = self.rand_purchases.expovariate(rate) if rate > 0 else math.inf
            if env.now + gap >= leaves:
                break  # the churn clock rings first
            yield env.timeout(gap)
            self.purchase(person)
        if leaves == math.inf:
            return  # never buys and never leaves: nothing will ever happen to this customer
        yield env.timeout(leaves - env.now)
        self.status[person] = LOST
        self.lost += 1

    def service_request(self):
        """One service request: queue for an agent, be handled, free the agent."""
        env = self.env
        self.requests += 1
        arrived = env.now
        with self.agents.request() as request:  # the agent is released when the block ends
            yield request
            self.waits.append((env.now - arrived) * MINUTES_PER_DAY)
            yield env.timeout(self._handle_time())

    def spontaneous_adoption(self):
        """Every prospect adopts on their own at rate ``innovation / 365`` per day.

        Rather than tracking the changing number of prospects, every *person* gets the same
        rate and the process ignores events that fall on somebody who is not a prospect
        (thinning a Poisson process): what remains is exactly rate ``innovation / 365`` per
        prospect, however the prospects come and go.
        """
        env, rand = self.env, self.rand_acquisition
        n = self.sc.market_size
        rate = self.sc.word_of_mouth.innovation / 365.0 * n  # events per day, whole market
        if rate <= 0:
            return
        while True:
            yield env.timeout(rand.expovariate(rate))
            person = rand.randrange(n)
            if self.status[person] == PROSPECT:
                self.acquire(person)

    def mass_marketing(self):
        """Contacts evenly spread over time, each to a random member of the market.

        The spend buys a fixed number of contacts a cycle (as the engine books it), so the
        gap between two contacts is fixed too.
        """
        env, rand, sc = self.env, self.rand_acquisition, self.sc
        per_day = self.mass_spend / sc.cycle_days / sc.mass.cost_per_contact
        if per_day <= 0:
            return
        gap = 1.0 / per_day
        n = sc.market_size
        while True:
            yield env.timeout(gap)
            person = rand.randrange(n)
            if self.status[person] != PROSPECT:
                continue  # already a customer, or lost for good: the contact is wasted
            p = sc.mass.conversion * self.segment[person].marketing_response
            if rand.random() < p:
                self.acquire(person)

    # -- what happens at an event -----------------------------------------------------------------
    def purchase(self, person: int) -> None:
        """Book one purchase of ``person``; it may start a service request."""
        seg = self.segment[person]
        cv = seg.spend_cv
        if cv > 0:
            # Gamma with shape 1/cv^2 and scale mean cv^2: mean = the person's mean spend.
            amount = self.rand_spend.gammavariate(1.0 / cv**2, self.spend[person] * cv**2)
        else:
            amount = self.spend[person]
        self.purchases += 1
        self.revenue += amount
        # The complaint draw comes from the purchases stream, one per purchase whatever happens
        # next, so a change of service parameters leaves who buys when and who complains alone.
        if self.rand_purchases.random() < seg.complaint_prob:
            self.env.process(self.service_request())

    def acquire(self, person: int) -> None:
        """A prospect becomes a customer: a first purchase now, then a customer process."""
        self.status[person] = CUSTOMER
        self.acquired += 1
        self.purchase(person)
        self.env.process(self.customer(person))

    # -- the run ----------------------------------------------------------------------------------
    def run(self) -> dict[str, float]:
        """Start the processes, run to the horizon and return the KPIs (see
        :func:`run_reference`). A model runs once."""
        env = self.env
        if env.now > 0:
            raise RuntimeError("this model has already run; build a new ReferenceModel")
        for person in self.initial:
            env.process(self.customer(person))
        env.process(self.spontaneous_adoption())
        env.process(self.mass_marketing())
        env.run(until=self.sc.horizon_days)
        return {
            "acquired": self.acquired,
            "lost": self.lost,
            "active_end": len(self.initial) + self.acquired - self.lost,
            "purchases": self.purchases,
            "revenue": self.revenue,
            "requests": self.requests,
            "mean_wait_minutes": float(np.mean(self.waits)) if self.waits else math.nan,
        }


def run_reference(scenario, *, agents: int, mass_spend: float, seed: int) -> dict[str, float]:
    """Run the process-per-customer reference model of the shared core.

    Parameters
    ----------
    scenario : Scenario
        A core scenario: pass ``core_scenario(scenario)``.
    agents : int
        Service-centre agents, the same every cycle.
    mass_spend : float
        Mass-marketing spend, EUR per CRM cycle, the same every cycle.
    seed : int
        Non-negative seed; the same seed gives the same result.

    Returns
    -------
    dict
        ``acquired``: customers acquired during the run; ``lost``: customers lost;
        ``active_end``: customers at the horizon; ``purchases``: purchases, each new customer's
        first one included; ``revenue``: EUR; ``requests``: service requests;
        ``mean_wait_minutes``: mean wait of the requests that reached an agent, minutes (NaN if
        none did).

    Raises
    ------
    ValueError
        If the scenario is not a core scenario, or the plan is invalid for it (agents out of
        range, spend over ``budget_per_cycle``: :class:`sim.ActionsError`).
    """
    return ReferenceModel(scenario, agents=agents, mass_spend=mass_spend, seed=seed).run()


def engine_kpis(result) -> dict[str, float]:
    """The KPIs of :func:`run_reference` computed from an engine run, to compare like with like.

    Parameters
    ----------
    result : Result
        A run of :func:`sim.run`, normally on a core scenario with :func:`fixed_strategy`.

    Returns
    -------
    dict
        The keys of :data:`KPI_KEYS`, with the same meanings and units as
        :func:`run_reference`.
    """
    customers, timeline, service = result.customers, result.timeline, result.service
    answered = service["wait_minutes"][service["answered"]]
    return {
        "acquired": int((customers["channel"] != "initial").sum()),
        "lost": int((customers["status"] == "lost").sum()),
        "active_end": int((customers["status"] == "active").sum()),
        "purchases": int(timeline["purchases"].sum()),
        "revenue": float(timeline["revenue"].sum()),
        "requests": int((service["contact"] == 1).sum()),
        "mean_wait_minutes": float(answered.mean()) if len(answered) else math.nan,
    }

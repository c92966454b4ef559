"""Queueing theory for the service centre: Erlang B and C, Little's law, staffing.

For an M/M/c queue (Poisson arrivals at rate ``lambda``, exponential handling with mean ``h``,
``c`` agents, first come first served, nobody hangs up) the offered load is ``a = lambda h``
erlangs, and when ``a < c``:

* probability of waiting (Erlang C): ``C(c, a) = c B / (c - a (1 - B))`` with ``B`` the Erlang B
  blocking probability, computed by the stable recursion ``B_0 = 1``,
  ``B_k = a B_{k-1} / (k + a B_{k-1})``;
* mean wait: ``W_q = C(c, a) h / (c - a)``;
* service level: ``P(W <= t) = 1 - C(c, a) exp(-(c - a) t / h)``;
* Little's law: mean queue length ``L_q = lambda W_q`` (any stable queue).

References
----------
Erlang, A. K. (1917). Solution of some problems in the theory of probabilities of significance
in automatic telephone exchanges. Gross, D., Shortle, J., Thompson, J. & Harris, C. (2008).
*Fundamentals of Queueing Theory*, 4th ed., section 2.3. Little, J. D. C. (1961). A proof for
the queuing formula L = lambda W. *Operations Research* 9(3).
"""

from __future__ import annotations

import math

__all__ = ["agents_needed", "erlang_b", "erlang_c", "mean_wait", "service_level"]


def erlang_b(load: float, agents: int) -> float:
    """Erlang B: probability that all ``agents`` are busy in a loss system with ``load`` erlangs.

    Parameters
    ----------
    load : float
        Offered load ``a = arrival rate x mean handling time`` (erlangs, >= 0).
    agents : int
        Servers (>= 0).
    """
    if load < 0 or agents < 0:
        raise ValueError(f"load = {load}, agents = {agents}: both must be >= 0")
    b = 1.0
    for k in range(1, int(agents) + 1):
        b = load * b / (k + load * b)
    return b


def erlang_c(load: float, agents: int) -> float:
    """Erlang C: probability that an arriving request has to wait (M/M/c).

    Parameters
    ----------
    load : float
        Offered load in erlangs.
    agents : int
        Agents (servers).

    Returns
    -------
    float
        In [0, 1]; 1 when ``load >= agents`` (the queue grows without bound).
    """
    if load >= agents:
        return 1.0
    b = erlang_b(load, agents)
    return agents * b / (agents - load * (1.0 - b))


def mean_wait(arrival_rate: float, mean_handle: float, agents: int) -> float:
    """Mean wait in the queue ``W_q`` of an M/M/c queue (same time unit as ``mean_handle``).

    Parameters
    ----------
    arrival_rate : float
        Requests per unit of time (e.g. per minute).
    mean_handle : float
        Mean handling time (e.g. minutes).
    agents : int

    Returns
    -------
    float
        ``inf`` if the load reaches the number of agents.
    """
    load = arrival_rate * mean_handle
    if load >= agents:
        return math.inf
    return erlang_c(load, agents) * mean_handle / (agents - load)


def service_level(arrival_rate: float, mean_handle: float, agents: int, target: float) -> float:
    """Share of requests answered within ``target`` (same time unit as ``mean_handle``)."""
    load = arrival_rate * mean_handle
    if load >= agents:
        return 0.0
    return 1.0 - erlang_c(load, agents) * math.exp(-(agents - load) * target / mean_handle)


def agents_needed(arrival_rate: float, mean_handle: float, target: float, level: float,
                  max_agents: int = 10_000) -> int:
    """Fewest agents that answer a share ``level`` of requests within ``target`` (Erlang C).

    Parameters
    ----------
    arrival_rate, mean_handle, target : float
        Requests per unit of time, mean handling time and target wait, in one time unit.
    level : float
        Required share answered within ``target``, in [0, 1].
    max_agents : int
        Upper bound returned when no smaller staffing meets the level.
    """
    load = arrival_rate * mean_handle
    c = max(1, math.floor(load) + 1)
    while c < max_agents and service_level(arrival_rate, mean_handle, c, target) < level:
        c += 1
    return min(c, max_agents)

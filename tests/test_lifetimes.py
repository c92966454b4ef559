"""Customer lifetimes and diffusion against closed forms (DESIGN section 12).

* (a) With one segment, no satisfaction effect and no competitors, a customer's hazard is her
  baseline ``h0 x G`` with ``G ~ Gamma(k, 1/k)`` (``k = churn_shape``) and
  ``h0 = -ln(1 - annual_churn) / 365``. With ``k = 100`` (the largest allowed) the hazard is
  nearly constant: deaths / exposure estimates ``h0``.
* (b) Mixing exponential lifetimes over a gamma hazard gives the Pareto II (Lomax) survival
  ``S(t) = (1 + h0 t / k)^(-k)``; the retention rate of survivors rises with tenure (Fader &
  Hardie: the frailest leave first), although nobody's own hazard changes. Day-0 customers
  have already survived their tenure ``T``, so their multipliers follow the gamma posterior
  ``Gamma(k, rate k + h0 T)`` and each survives ``t`` more days with probability
  ``(1 + h0 t / (k + h0 T))^(-k)``.
* (c) Without churn, with every customer fully satisfied (voice weight ``referral (2s - 1) = 1``)
  and without marketing, acquisition is Bass diffusion.

Tolerances: Poisson error of death counts, binomial error of survival shares, and for the
diffusion the linear-noise (van Kampen) variance of the Bass birth process; every check asserts
|z| < 4 with fixed seeds, and a "power" assertion shows the alternative hypothesis (e.g. no
heterogeneity) would fail by far more.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim import Actions, Scenario, run


def nothing(view):
    """No marketing, one agent: the firm only watches."""
    return Actions()


def one_segment(**segment) -> Scenario:
    """Classroom with a single segment ("only") and no acquisition, churn feedback or rivals."""
    d = Scenario.load("classroom").to_dict()
    seg = dict(d["segments"][1])
    seg.update(name="only", share=1.0, purchase_rate=0.01, complaint_prob=0.0)
    seg.update(segment)
    d["segments"] = [seg]
    d["word_of_mouth"].update(innovation=0.0, imitation=0.0)
    d["satisfaction"]["churn_effect"] = 0.0
    d["competitors"]["waves_per_year"] = 0.0
    return Scenario.from_dict(d)


def daily(annual_churn: float) -> float:
    return -math.log1p(-annual_churn) / 365.0


def lomax(t, h0, k):
    """Survival of exponential lifetimes with Gamma(k, 1/k)-distributed rate multipliers."""
    return (1.0 + h0 * np.asarray(t, dtype=float) / k) ** (-k)


def survivors(t, h0, k, tenure):
    """Mean survival for ``t`` more days of day-0 customers who have already stayed ``tenure``.

    Having survived ``T`` days, a customer's multiplier is Gamma(k, rate k + h0 T) (the gamma
    posterior), so she survives ``t`` more days with probability
    ``(1 + h0 t / (k + h0 T))^(-k)``; averaged over the customers. ``tenure = 0`` is Lomax.
    """
    t = np.asarray(t, dtype=float)[..., None]
    return np.mean((1.0 + h0 * t / (k + h0 * np.asarray(tenure))) ** (-k), axis=-1)


def lifetimes(result):
    """Lifetimes from day 0 (all customers are day-0 customers), whether each was observed,
    and each customer's tenure on day 0."""
    cu = result.customers
    assert (cu["channel"] == "initial").all()
    lost = (cu["status"] == "lost").to_numpy()
    t = np.where(lost, cu["lost_day"].to_numpy(), result.scenario.horizon_days)
    return t, lost, -cu["acquired_day"].to_numpy(dtype=float)


# -- (a) near-constant hazard ---------------------------------------------------------------------
@pytest.fixture(scope="module")
def constant_hazard():
    n = 20_000
    sc = one_segment(annual_churn=0.3, churn_shape=100.0).replace(
        market_size=n, initial_customers=n, horizon_days=365)
    return sc, run(sc, nothing, seed=2024)


def test_constant_hazard_deaths_over_exposure(constant_hazard):
    _, result = constant_hazard
    t, lost, tenure = lifetimes(result)
    h0, k, tau = daily(0.3), 100.0, 365.0
    deaths, exposure = lost.sum(), t.sum()
    estimate = deaths / exposure
    # The death count is Poisson to first order: SE(deaths / exposure) = sqrt(deaths) / exposure
    # (about 1.8 % here with ~6,000 deaths).
    se = math.sqrt(deaths) / exposure
    # Each survivor's future is Lomax with effective hazard h_i = h0 k / (k + h0 T_i), so the
    # pooled estimate has expectation sum(1 - S_i(tau)) / sum(integral_0^tau S_i): exact, and
    # within 1 % of h0 for k = 100 (survivors of up to three years are barely selected).
    h_i = h0 * k / (k + h0 * tenure)
    integral = k / (h_i * (k - 1)) * (1.0 - (1.0 + h_i * tau / k) ** (1.0 - k))
    expected = np.sum(1.0 - lomax(tau, h_i, k)) / np.sum(integral)
    assert abs(expected - h0) < 0.01 * h0
    z = (estimate - expected) / se
    assert abs(z) < 4, f"hazard {estimate:.3e}/day vs {h0:.3e}/day (z={z:.2f})"
    # Power: using the annual probability as if it were a rate (0.3/365) would be 8 SE off.
    assert abs(0.3 / 365 - h0) > 8 * se


def test_constant_hazard_is_constant_in_time(constant_hazard):
    _, result = constant_hazard
    t, lost, _ = lifetimes(result)
    rates = []
    for lo, hi in ((0.0, 182.5), (182.5, 365.0)):
        exposure = np.clip(t, lo, hi).sum() - lo * t.size
        deaths = np.sum(lost & (t >= lo) & (t < hi))
        rates.append((deaths / exposure, math.sqrt(deaths) / exposure))
    (r1, s1), (r2, s2) = rates
    z = (r1 - r2) / math.hypot(s1, s2)  # k = 100: the hazard falls by < 0.2 % in a year
    assert abs(z) < 4, f"hazard first half {r1:.3e} vs second half {r2:.3e} (z={z:.2f})"


def test_one_year_survival_matches_gamma_mixture(constant_hazard):
    _, result = constant_hazard
    t, lost, tenure = lifetimes(result)
    n = t.size
    survived = np.mean(~lost)  # horizon = 365 days: every active customer lived a full year
    h0, k = daily(0.3), 100.0
    expected = survivors(365.0, h0, k, tenure)  # about (1 + H/k)^(-k), H = 365 h0 = -ln(0.7)
    se = math.sqrt(expected * (1 - expected) / n)  # binomial, 0.32 percentage points
    z = (survived - expected) / se
    assert abs(z) < 4, f"one-year survival {survived:.4f} vs {expected:.4f} (z={z:.2f})"
    assert expected == pytest.approx(0.7, abs=0.005)  # k = 100 is close to no spread at all
    # Every lost customer left inside the run, after day 0.
    assert np.all((t[lost] > 0) & (t[lost] <= 365))


# -- (b) gamma heterogeneity: Lomax survival, retention rising with tenure ------------------------
@pytest.fixture(scope="module")
def heterogeneous():
    n = 10_000
    sc = one_segment(annual_churn=0.6, churn_shape=0.5).replace(
        market_size=n, initial_customers=n, horizon_days=730)
    return sc, run(sc, nothing, seed=99)


def test_survival_curve_is_lomax(heterogeneous):
    _, result = heterogeneous
    t, _, tenure = lifetimes(result)
    h0, k, n = daily(0.6), 0.5, t.size
    for day in (30, 91, 182, 365, 547, 729):
        observed = np.mean(t > day)
        expected = survivors(day, h0, k, tenure)
        se = math.sqrt(expected * (1 - expected) / n)  # binomial; at most 0.5 points
        z = (observed - expected) / se
        assert abs(z) < 4, f"S({day}) = {observed:.4f} vs Lomax {expected:.4f} (z={z:.2f})"
    # Power: a homogeneous hazard h0 would leave far fewer after two years, and ignoring that
    # day-0 customers are survivors (a fresh Lomax cohort) would leave fewer too.
    assert survivors(729, h0, k, tenure) - math.exp(-h0 * 729) > 50 * math.sqrt(0.25 / n)
    assert survivors(729, h0, k, tenure) - lomax(729, h0, k) > 8 * math.sqrt(0.25 / n)


def test_retention_rises_with_tenure(heterogeneous):
    _, result = heterogeneous
    t, _, tenure = lifetimes(result)
    h0, k, period = daily(0.6), 0.5, 91
    rates, ses = [], []
    for j in range(8):  # quarters 0..7
        at_risk = np.sum(t > j * period)
        kept = np.sum(t > (j + 1) * period)
        r = kept / at_risk
        expected = (survivors((j + 1) * period, h0, k, tenure)
                    / survivors(j * period, h0, k, tenure))
        se = math.sqrt(expected * (1 - expected) / at_risk)  # binomial given those at risk
        z = (r - expected) / se
        assert abs(z) < 4, f"quarter {j}: retention {r:.4f} vs {expected:.4f} (z={z:.2f})"
        rates.append(r)
        ses.append(se)
    # Retention rises (theory 0.83 -> 0.95): first year vs second year, and first vs last quarter.
    first, second = np.mean(rates[:4]), np.mean(rates[4:])
    assert second - first > 4 * math.hypot(np.mean(ses[:4]), np.mean(ses[4:]))
    assert rates[-1] - rates[0] > 4 * math.hypot(ses[0], ses[-1])


# -- (c) Bass diffusion ---------------------------------------------------------------------------
def bass_with_start(t, p, q, f0):
    r"""Bass cumulative adoption with ``F(0) = f0``.

    The ODE ``dF/dt = (p + q F)(1 - F)`` separates: with partial fractions
    ``1 / ((p + qF)(1 - F)) = [q / (p + qF) + 1 / (1 - F)] / (p + q)``, integrating gives
    ``ln((p + qF) / (1 - F)) = (p + q) t + const``, so ``(p + qF) / (1 - F) = C e^{(p+q)t}`` with
    ``C = (p + q f0) / (1 - f0)``. Solving for F::

        F(t) = (C e^{(p+q)t} - p) / (C e^{(p+q)t} + q)

    For ``f0 = 0`` (``C = p``) this is the textbook ``(1 - e^{-(p+q)t}) / (1 + (q/p) e^{-(p+q)t})``.
    """
    c = (p + q * f0) / (1.0 - f0)
    e = c * np.exp((p + q) * np.asarray(t, dtype=float))
    return (e - p) / (e + q)


def bass_lna_sd(times, p, q, f0, m, dt=0.01):
    """Standard deviation of the adopted share by the linear noise approximation.

    Adoptions form a birth process of intensity ``m a(F)``, ``a(F) = (p + qF)(1 - F)``. To first
    order in ``1/m`` the share's variance obeys ``dV/dt = 2 a'(F) V + a(F) / m`` with
    ``V(0) = 0`` (the start is fixed): binomial-size noise each day, amplified while imitation
    dominates (``a' > 0``) and damped later. The engine's daily draws are binomial, slightly
    less variable than the Poisson increments assumed here, so this SD is conservative.
    """
    out, phi, var, now = {}, f0, 0.0, 0.0
    for target in sorted(times):
        while now < target - 1e-12:
            step = min(dt, target - now)
            a = (p + q * phi) * (1 - phi)
            da = q * (1 - phi) - (p + q * phi)
            phi, var, now = phi + a * step, var + (2 * da * var + a / m) * step, now + step
        out[target] = math.sqrt(var)
    return np.array([out[t] for t in times])


def test_bass_diffusion_matches_closed_form():
    m, initial, horizon = 10_000, 200, 900
    innovation, imitation = 0.2, 2.0  # per year
    sc = one_segment(annual_churn=0.0, satisfaction=1.0, referral=1.0, purchase_rate=0.5,
                     complaint_prob=0.0).replace(
        market_size=m, initial_customers=initial, horizon_days=horizon,
        **{"word_of_mouth.innovation": innovation, "word_of_mouth.imitation": imitation})
    p, q, f0 = innovation / 365.0, imitation / 365.0, initial / m
    times = np.array([50, 100, 200, 300, 400, 500, 600, 700, 800, 900])
    reps = 8
    shares = np.empty((reps, times.size))
    for rep in range(reps):
        result = run(sc, nothing, seed=500 + rep)
        cu = result.customers
        assert (cu["channel"].isin(["initial", "referral"])).all()
        assert (cu["status"] == "active").all()  # nobody leaves
        # A customer won on day d talks from day d + 1: adopters by the end of day t - 1 are
        # the model's F(t).
        won = cu.loc[cu["channel"] != "initial", "acquired_day"].to_numpy()
        shares[rep] = (initial + np.searchsorted(np.sort(won), times - 1, side="right")) / m
    mean = shares.mean(axis=0)
    expected = bass_with_start(times, p, q, f0)
    se = bass_lna_sd(times, p, q, f0, m) / math.sqrt(reps)
    # The engine advances a day at a time (F_{d+1} = F_d + (1 - F_d)(1 - e^{-(p + q F_d)})):
    # its deterministic gap to the ODE is computed here and allowed for (at most 0.0014).
    f, daily_map = f0, [f0]
    for _ in range(horizon):
        f += (1 - f) * -math.expm1(-(p + q * f))
        daily_map.append(f)
    step_bias = np.abs(np.array(daily_map)[times] - expected)
    z = (mean - expected) / se
    bad = np.abs(mean - expected) > 4 * se + step_bias
    assert not bad.any(), (
        f"Bass F(t) off at t={times[bad]}: simulated {mean[bad]} vs {expected[bad]} "
        f"(z={z[bad]})")
    # Power: pure innovation (no word of mouth) would reach only 1 - (1 - f0) e^{-pt} = 0.41 at
    # t = 900 against Bass's 0.96.
    assert expected[-1] - (1 - (1 - f0) * math.exp(-p * 900)) > 100 * se[-1]

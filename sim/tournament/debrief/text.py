"""How the debrief writes numbers in its sentences: EUR amounts, shares, paired differences, ranks.

The prompts (:mod:`.rules`, :mod:`.prompts`) and the pages (:mod:`.pages`, :mod:`.tables`) say
the same numbers in the same words, so the formats live here once. A number that could not be
computed (NaN) is written "n/a", never "nan". Private helpers of the package.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

__all__: list[str] = []


def _eur(value: float) -> str:
    return "n/a" if math.isnan(value) else f"EUR {value:,.0f}"


def _pct(share: float) -> str:
    """A share as a percentage, with a decimal when it is small ("0.5%", not "0%")."""
    return f"{share:.1%}" if abs(share) < 0.1 else f"{share:.0%}"


def _difference(d: float, low: float, high: float, sig: bool, level: float) -> str:
    """"EUR +1,234 (95% interval EUR -100 to EUR 2,568): not significant"."""
    if math.isnan(d):
        return "n/a"
    if math.isnan(low):
        return f"{_signed(d)} (one seed: no interval)"
    return (f"{_signed(d)} ({level:.0%} interval {_eur(low)} to {_eur(high)}): "
            f"{'significant' if sig else 'not significant'}")


def _signed(value: float) -> str:
    return "n/a" if math.isnan(value) else f"EUR {value:+,.0f}"


def _plain_rank(rank):
    """A rank as the whole number it is (ranks are floats in the facts, beside presets' NaN)."""
    if isinstance(rank, (int, float, np.number)) and not pd.isna(rank) and rank == int(rank):
        return int(rank)
    return rank

"""Argument types shared by the command-line tools (``python -m sim`` and its subcommands).

argparse calls a type with the text the user typed; these return the number or raise
``argparse.ArgumentTypeError`` with one line naming the option, the text and what is allowed,
which argparse prints with the usage and exit status 2.
"""

from __future__ import annotations

import argparse
import math

__all__ = ["number"]


def number(label: str, minimum: float, *, whole: bool = False, above: bool = False,
           unit: str = ""):
    """An argparse type: a number at least ``minimum`` (more than it if ``above``).

    Parameters
    ----------
    label : str
        The option, as the error message names it (e.g. ``"--jobs"``).
    minimum : float
        The smallest value allowed (excluded if ``above``).
    whole : bool
        Only whole numbers.
    above : bool
        ``minimum`` itself is not allowed.
    unit : str
        What the number counts, for the message (e.g. ``"seconds"``).
    """
    kind = ("a whole number" if whole else "a number") + (f" of {unit}" if unit else "")
    bound = f"{'>' if above else '>='} {minimum:g}"

    def parse(text: str):
        try:
            value = int(text) if whole else float(text)
        except ValueError:
            value = None
        # (a whole number of 400 digits is fine to compare, but not to make a float of)
        ok = value is not None and (whole or math.isfinite(value)) and (
            value > minimum if above else value >= minimum)
        if not ok:
            raise argparse.ArgumentTypeError(f"{label} {text!r}: must be {kind} {bound}")
        return value

    return parse

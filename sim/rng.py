"""Independent, named random streams for one run (DESIGN section 6).

Each random process of the model draws from its own stream, derived from the run's integer seed
with ``numpy.random.SeedSequence(seed, spawn_key=(k,))``, where ``k`` is the stream's position in
:data:`STREAMS`. The list is append-only: adding a stream at the end never changes the draws of
the existing ones, so old results stay reproducible. Nothing here touches global random state.
"""

from __future__ import annotations

import random

import numpy as np

__all__ = ["STREAMS", "Streams", "fresh_seed"]

#: Stream names in their fixed order. Append only.
STREAMS = (
    "market",  # every prospect's own attributes, drawn once when the market is created
    "acquisition",  # who is contacted and who converts
    "purchases",  # purchase clocks
    "spend",  # purchase amounts
    "service",  # arrival instants and resolution of service requests
    "churn",  # reserved for churn draws that cannot be made at market creation
    "competitors",  # competitor waves: timing and reach
    "offers",  # strategy-driven offers (retention, cross-sell, win-back)
    "handling",  # handling times of service contacts, drawn in blocks
    "fit",  # each person's latent fit for cross-sold products, drawn on first use
    "channels",  # web self-service and e-mail: routing, resolution, answer times, escalation
    "social",  # social CRM: who posts about a service experience
    "sales",  # sales channels: reps' visits, telemarketing, e-mail, web shop, e-mail opt-in
)


def fresh_seed() -> int:
    """Draw a new 63-bit seed from the operating system's entropy (for ``seed=None``)."""
    return int(np.random.SeedSequence().generate_state(2, dtype=np.uint32).view(np.uint64)[0] >> 1)


class Streams:
    """The random streams of one run.

    Parameters
    ----------
    seed : int
        The run's seed (a non-negative integer). A ``SeedSequence`` object is refused because
        ``spawn()`` is stateful: reusing one would silently give different runs.
    """

    def __init__(self, seed: int):
        if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
            raise TypeError(f"seed must be a non-negative int, got {seed!r}")
        self.seed = int(seed)

    def sequence(self, name: str) -> np.random.SeedSequence:
        """The ``SeedSequence`` of stream ``name``."""
        return np.random.SeedSequence(self.seed, spawn_key=(STREAMS.index(name),))

    def numpy(self, name: str) -> np.random.Generator:
        """A numpy ``Generator`` for batch draws of stream ``name``."""
        return np.random.Generator(np.random.PCG64(self.sequence(name)))

    def scalar(self, name: str) -> random.Random:
        """A ``random.Random`` for scalar draws inside SimPy processes (3-10x cheaper than numpy
        scalars), seeded from stream ``name``."""
        # A child key of its own, so the scalar stream never mirrors the numpy one.
        child = np.random.SeedSequence(self.seed, spawn_key=(STREAMS.index(name), 1))
        state = child.generate_state(4, dtype=np.uint64)
        return random.Random(int.from_bytes(state.tobytes(), "little"))

"""Shared test configuration.

Hypothesis explores new random examples on every local run (that is how it finds bugs), but CI
must be reproducible: with ``CI`` set, examples are derived deterministically from each test.
A failure found locally is replayed from ``.hypothesis/`` until fixed.
"""

import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

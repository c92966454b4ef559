"""CRM Lab: a SimPy market simulation for teaching and researching CRM.

Typical use::

    from sim import Scenario, run, strategies
    result = run(Scenario.load("classroom"), strategies.operational, seed=42)
    result.summary()
"""

from . import strategies
from .actions import Actions
from .engine import run
from .errors import ActionsError, CRMLabError, ScenarioError
from .result import Result
from .scenario import Scenario
from .view import FirmView

__all__ = [
    "Actions",
    "ActionsError",
    "CRMLabError",
    "FirmView",
    "Result",
    "Scenario",
    "ScenarioError",
    "run",
    "strategies",
]
__version__ = "0.1.0"

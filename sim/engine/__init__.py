"""The simulation engine: SimPy processes around a columnar customer base."""

from .model import Model, run

__all__ = ["Model", "run"]

"""Errors raised by CRM Lab for bad input.

Every error names *where* the bad value is (file and field path), *what* it is, and *what is
allowed*, so a student or an instructor can fix a scenario file or a strategy without reading a
traceback. The CLI turns these into one line and exit status 2.
"""

from __future__ import annotations

__all__ = ["ActionsError", "CRMLabError", "ScenarioError"]


class CRMLabError(ValueError):
    """Base class of CRM Lab's input errors (a ``ValueError``, so generic handlers work)."""


class ScenarioError(CRMLabError):
    """A scenario file or a scenario change is invalid.

    Parameters
    ----------
    message : str
        What is wrong and what is allowed.
    field : str, optional
        Dotted path of the offending field, e.g. ``"service.handle_minutes"``.
    source : str, optional
        The file the value came from, when it came from a file.
    """

    def __init__(self, message: str, *, field: str | None = None, source: str | None = None):
        self.field = field
        self.source = source
        self.detail = message
        where = ": ".join(part for part in (source, field) if part)
        super().__init__(f"{where}: {message}" if where else message)

    def with_source(self, source: str) -> ScenarioError:
        """Return the same error located in ``source`` (a file name)."""
        return ScenarioError(self.detail, field=self.field, source=source)


class ActionsError(CRMLabError):
    """A strategy returned actions that cannot be carried out (bad field, value or budget)."""

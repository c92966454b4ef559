"""The scenario schema documents every field: meaning, unit, allowed values, default and source.

``field_table()`` (printed by ``python -m sim scenarios --fields``) is the schema: every field
declared with ``param(...)`` must say what it means, its unit, what is allowed, where its value
comes from (a citation or, honestly, "teaching assumption") and its value in the shipped
``classroom`` scenario, the default every other scenario ``extends``.
"""

from __future__ import annotations

import dataclasses
import re

import pytest

from sim import Scenario
from sim.fields import Record, param
from sim.fields import field_table as record_field_table
from sim.scenario import field_table

CLASSROOM = Scenario.load("classroom")
ROWS = field_table()
BY_FIELD = {row["field"]: row for row in ROWS}
# The sections of the CRM levers (DESIGN 3.4, 3.6).
LEVER_SECTIONS = ("retention", "loyalty", "cross_sell", "winback", "collaboration", "people",
                  "fairness")


def _is_text(row) -> bool:
    return row["allowed"] == "text" or row["allowed"].startswith("one of ")


@pytest.mark.parametrize("row", ROWS, ids=[row["field"] for row in ROWS])
def test_every_field_has_meaning_unit_range_default_and_source(row):
    assert row["meaning"].strip(), "no meaning"
    assert row["allowed"].strip(), "no allowed range"
    assert row["default"].strip(), "no classroom default"
    assert row["source"].strip(), (
        f"{row['field']} has no source: give it param(..., source=...), a citation or "
        "'teaching assumption: ...'"
    )
    if not _is_text(row):  # text fields have no unit; their allowed values say what they are
        assert row["unit"].strip(), f"{row['field']} has no unit (use 'dimensionless')"


def test_a_param_without_a_source_is_caught():
    """The schema check above would fail for a new field declared without ``source=``."""

    @dataclasses.dataclass(frozen=True, kw_only=True)
    class NewLever(Record):
        cited: float = param("fraction", "a cited value", lo=0, hi=1, source="Someone (2020)")
        forgotten: float = param("fraction", "a value nobody sourced", lo=0, hi=1)

    rows = {r["field"]: r for r in record_field_table(NewLever, NewLever(cited=0.1, forgotten=0.2))}
    assert rows["cited"]["source"] == "Someone (2020)"
    assert rows["forgotten"]["source"] == ""
    assert rows["forgotten"]["default"] == "0.2"
    assert "default" not in record_field_table(NewLever)[0]  # no example, no default


def test_every_lever_section_is_in_the_schema():
    for section in LEVER_SECTIONS:
        names = [f.name for f in dataclasses.fields(getattr(CLASSROOM, section))]
        assert names, section
        for name in names:
            assert f"{section}.{name}" in BY_FIELD, f"{section}.{name}"


def _value(path: str, scenario: Scenario):
    node = scenario
    for part in path.split("."):
        node = getattr(node, part)
    return node


def _shown(value) -> str:
    return repr(value) if isinstance(value, float | str) else str(value)


@pytest.mark.parametrize("row", [r for r in ROWS if "[]" not in r["field"]
                                 and r["field"] not in ("sources", "description")],
                         ids=lambda r: r["field"])
def test_default_is_the_classroom_value(row):
    assert row["default"] == _shown(_value(row["field"], CLASSROOM))


def test_segment_defaults_list_every_segment():
    churn = BY_FIELD["segments[].annual_churn"]["default"]
    assert churn == ", ".join(f"{s.name} {s.annual_churn!r}" for s in CLASSROOM.segments)
    assert "regulars 0.18" in churn
    names = BY_FIELD["segments[].name"]["default"]
    assert names == ", ".join(repr(n) for n in CLASSROOM.segment_names)


def test_long_text_defaults_are_shortened():
    shown = BY_FIELD["sources"]["default"]
    assert shown.startswith("'Churn: Thomas, Blattberg & Fox (2004") and "(shortened)" in shown
    assert len(shown) < 130
    assert BY_FIELD["description"]["default"] == repr(CLASSROOM.description)


def test_defaults_can_come_from_another_scenario():
    busy = CLASSROOM.replace(**{"loyalty.breakage": 0.3, "segments.regulars.annual_churn": 0.2})
    rows = {r["field"]: r for r in field_table(busy)}
    assert rows["loyalty.breakage"]["default"] == "0.3"
    assert "regulars 0.2," in rows["segments[].annual_churn"]["default"]
    assert rows["loyalty.breakage"]["source"] == BY_FIELD["loyalty.breakage"]["source"]


@pytest.mark.parametrize(("field", "cited"), [
    ("loyalty.breakage", "breakage 20-30%"),
    ("loyalty.hazard_reduction", "Sharp & Sharp (1997)"),
    ("loyalty.rate_lift", "Liu (2007)"),
    ("winback.success", "Thomas, Blattberg & Fox (2004)"),
    ("people.initial_adoption", "people ~50%"),
    ("fairness.penalty", "SOURCE-DIGEST 7"),
    ("segments[].annual_churn", "Thomas, Blattberg & Fox (2004)"),
    ("word_of_mouth.innovation", "Sultan, Farley & Lehmann (1990)"),
    ("word_of_mouth.imitation", "0.38"),
    ("service.service_level_target", "80% of calls answered within 20 seconds"),
    ("retention.acceptance", "teaching assumption"),
])
def test_sources_cite_the_calibration_notes(field, cited):
    assert cited in BY_FIELD[field]["source"]


def test_years_cited_in_the_schema_are_cited_in_the_classroom_sources():
    """A run's report prints the scenario's ``sources``: it must name every study a field cites."""
    years = {y for row in ROWS for y in re.findall(r"\b(?:19|20)\d{2}\b", row["source"])}
    assert years, "no study cited at all"
    missing = sorted(y for y in years if y not in CLASSROOM.sources)
    assert not missing, missing


def test_classroom_sources_name_the_lever_sources():
    text = " ".join(CLASSROOM.sources.split())
    for cited in ("Sharp & Sharp 1997", "Liu 2007", "Thomas, Blattberg & Fox 2004", "breakage",
                  "20-30%", "people about 50%", "SOURCE-DIGEST 2"):
        assert cited in text, cited
